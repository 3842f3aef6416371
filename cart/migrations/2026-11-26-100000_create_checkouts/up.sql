-- The same SQL on SQLite and PostgreSQL (times in microseconds).

-- One row per cart version checked out: the order placed for it, by the
-- request id derived from the cart and the version, with exactly the lines
-- ordered. `state` goes from 'placing' to 'confirmed' (the lines left the
-- cart) or 'failed' (the cart moved to a new version), once: the update
-- that settles it is conditional on 'placing', so a duplicate event or a
-- race between the API and the consumer changes the cart once.
CREATE TABLE checkouts (
    request_id TEXT PRIMARY KEY NOT NULL,
    cart_id TEXT NOT NULL,
    cart_version BIGINT NOT NULL,
    user_id TEXT NOT NULL,
    lines TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('placing', 'confirmed', 'failed')),
    order_id TEXT,
    created_at BIGINT NOT NULL,
    settled_at BIGINT
);

CREATE INDEX checkouts_age ON checkouts (created_at);
