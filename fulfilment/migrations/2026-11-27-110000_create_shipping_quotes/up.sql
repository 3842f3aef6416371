-- The same SQL on SQLite and PostgreSQL. Times are microseconds since the
-- Unix epoch.

-- Shipping quotes (GetShippingQuote), each its user's, checked by the
-- orders service (CheckShippingQuote) until it expires, and swept away a
-- while after.
CREATE TABLE shipping_quotes (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL,
    -- The currency of the options' prices.
    currency TEXT NOT NULL,
    -- The parcel quoted and its options (JSON): read and written whole.
    address TEXT NOT NULL,
    lines TEXT NOT NULL,
    options TEXT NOT NULL,
    weight_grams BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- The sweep: what expired long enough ago.
CREATE INDEX shipping_quotes_expiry ON shipping_quotes (expires_at);
