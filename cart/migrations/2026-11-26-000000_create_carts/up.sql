-- The same SQL on SQLite and PostgreSQL. Times are microseconds since the
-- Unix epoch (the same integer on both backends).

-- The catalog's products as its events last described them: never read
-- from the catalog's database, never asked for synchronously.
CREATE TABLE products (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    price_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    deleted BOOLEAN NOT NULL,
    -- The aggregate sequence of the event that wrote the row: an older
    -- event arriving late changes nothing.
    sequence BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- A cart: a customer's (user_id set, one per user) or an anonymous one.
CREATE TABLE carts (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT UNIQUE,
    -- Bumped by every write; the etag is made from it.
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE INDEX carts_expiry ON carts (expires_at);

CREATE TABLE cart_lines (
    cart_id TEXT NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    product_id TEXT NOT NULL,
    -- The line's place in the cart (first added first).
    position BIGINT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    unit_price_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    -- The price the customer saw before the catalog changed it; NULL when
    -- the price did not change since the customer last changed the line.
    previous_price_minor BIGINT,
    unavailable BOOLEAN NOT NULL,
    PRIMARY KEY (cart_id, product_id)
);

CREATE INDEX cart_lines_by_product ON cart_lines (product_id);

-- The writes already applied, by request id, so a retry is applied once.
-- `scope` is whose request it was: `user:<id>`, `cart:<id>` (anonymous), or
-- `new:<request id>` (the anonymous write that created a cart).
CREATE TABLE cart_requests (
    scope TEXT NOT NULL,
    request_id TEXT NOT NULL,
    cart_id TEXT NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    -- What the request asked for: the same id with other content is refused.
    fingerprint TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (scope, request_id)
);

CREATE INDEX cart_requests_age ON cart_requests (created_at);
