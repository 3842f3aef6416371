-- The same SQL on SQLite and PostgreSQL. Accounts that last: verified
-- addresses, refresh tokens grouped by login, and the single-use tokens of
-- password-reset and verification emails. Tokens are high-entropy random
-- strings, so only their SHA-256 is kept (a leaked table signs no one in).

-- When the user proved they own the address (VerifyEmail); NULL: not yet.
ALTER TABLE users ADD COLUMN email_verified_at BIGINT;

-- One family per login (Login or Register): every refresh token descended
-- from it. Revoking the family (Logout, reuse of a spent token, a password
-- change or reset) ends them all at once.
CREATE TABLE refresh_families (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    -- The expiry of its newest token: after it the family is swept.
    expires_at BIGINT NOT NULL
);
CREATE INDEX refresh_families_by_user ON refresh_families (user_id);
CREATE INDEX refresh_families_expiry ON refresh_families (expires_at);

-- Each refresh token: live until spent (by one RefreshSession, with a
-- conditional update) or expired; a spent one presented again is a reuse.
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    family_id TEXT NOT NULL REFERENCES refresh_families (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    spent_at BIGINT
);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at);

-- The tokens emailed to a user: a password reset (30 minutes) or an
-- address verification (7 days). Single-use; a newer one of a purpose
-- replaces the user's older ones.
CREATE TABLE account_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    purpose TEXT NOT NULL CHECK (purpose IN ('reset_password', 'verify_email')),
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    spent_at BIGINT
);
CREATE INDEX account_tokens_by_user ON account_tokens (user_id, purpose);
CREATE INDEX account_tokens_expiry ON account_tokens (expires_at);
