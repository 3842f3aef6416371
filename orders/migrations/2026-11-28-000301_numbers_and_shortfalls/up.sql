-- Order numbers for people ("SH-4KQ7-9MZ2"). Nullable here because the
-- orders placed before have none yet and SQL alone cannot draw them from a
-- CSPRNG on both backends: the service gives each one a number in batches
-- when it starts, before it answers (Store::number_old_orders), and every
-- order it places from now on has one. The unique index (which, on both
-- backends, lets the NULLs of not yet numbered rows be) makes a collision a
-- retry with a new number.
ALTER TABLE orders ADD COLUMN number TEXT;
CREATE UNIQUE INDEX orders_by_number ON orders (number);

-- ListOrders by total, cheapest or dearest first, keyset-paged.
CREATE INDEX orders_by_user_total ON orders (user_id, total_minor, id);
CREATE INDEX orders_by_total ON orders (total_minor, id);

-- What an order that failed out of stock was short of: written in the
-- transaction that fails it, never changed.
CREATE TABLE order_shortfalls (
    order_id TEXT NOT NULL REFERENCES orders (id),
    product_id TEXT NOT NULL,
    product_name TEXT NOT NULL,
    requested BIGINT NOT NULL CHECK (requested > 0),
    available BIGINT NOT NULL CHECK (available >= 0),
    PRIMARY KEY (order_id, product_id)
);
