-- The same SQL on SQLite and PostgreSQL. The shipping addresses a customer
-- saved for their next orders: at most 20 each (checked in the writing
-- transaction, which first locks the user's row), at most one default
-- each (the partial unique index below; the same lock keeps racing
-- "make this the default" calls from tripping over it).
CREATE TABLE saved_addresses (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- "Home", "Work", ...; empty: none.
    label TEXT NOT NULL,
    recipient TEXT NOT NULL,
    line1 TEXT NOT NULL,
    line2 TEXT NOT NULL,
    city TEXT NOT NULL,
    region TEXT NOT NULL,
    postal_code TEXT NOT NULL,
    country_code TEXT NOT NULL,
    is_default BOOLEAN NOT NULL,
    -- Bumped by every change: the etag.
    version BIGINT NOT NULL,
    -- Times are microseconds since the Unix epoch.
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX saved_addresses_by_user ON saved_addresses (user_id, created_at, id);
CREATE UNIQUE INDEX saved_addresses_one_default ON saved_addresses (user_id) WHERE is_default;
