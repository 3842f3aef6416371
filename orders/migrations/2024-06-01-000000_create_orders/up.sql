-- Times are microseconds since the Unix epoch (the same integer on both backends).
CREATE TABLE orders (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL,
    request_id TEXT NOT NULL,
    -- Hash of what was asked (never card numbers), to tell a retry from a
    -- different request reusing request_id.
    fingerprint TEXT NOT NULL,
    status TEXT NOT NULL,
    currency TEXT NOT NULL,
    total_minor BIGINT NOT NULL CHECK (total_minor >= 0),
    payment_method TEXT NOT NULL CHECK (payment_method IN ('card', 'wallet')),
    card_brand TEXT,
    card_last4 TEXT,
    payment_id TEXT,
    failure_reason TEXT,
    decline_code TEXT,
    cancel_reason TEXT,
    ship_recipient TEXT NOT NULL,
    ship_line1 TEXT NOT NULL,
    ship_line2 TEXT NOT NULL,
    ship_city TEXT NOT NULL,
    ship_region TEXT NOT NULL,
    ship_postal_code TEXT NOT NULL,
    ship_country_code TEXT NOT NULL,
    -- Which process drives the saga, until when (see the recovery loop).
    lease_owner TEXT,
    lease_until BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (user_id, request_id)
);
CREATE INDEX orders_by_user ON orders (user_id, created_at, id);
CREATE INDEX orders_by_time ON orders (created_at, id);
CREATE INDEX orders_in_progress ON orders (status, updated_at);

CREATE TABLE order_lines (
    order_id TEXT NOT NULL REFERENCES orders (id),
    line_no INTEGER NOT NULL,
    product_id TEXT NOT NULL,
    product_name TEXT NOT NULL,
    unit_price_minor BIGINT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, line_no)
);

-- Every status change, written in the same transaction as the change.
CREATE TABLE order_events (
    order_id TEXT NOT NULL REFERENCES orders (id),
    sequence BIGINT NOT NULL,
    status TEXT NOT NULL,
    failure_reason TEXT,
    decline_code TEXT,
    payment_id TEXT,
    card_brand TEXT,
    cancel_reason TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (order_id, sequence)
);
