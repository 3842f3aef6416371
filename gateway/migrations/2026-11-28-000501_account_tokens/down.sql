DROP TABLE account_tokens;
DROP TABLE refresh_tokens;
DROP TABLE refresh_families;
ALTER TABLE users DROP COLUMN email_verified_at;
