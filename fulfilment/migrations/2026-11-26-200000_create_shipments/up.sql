-- The same SQL on SQLite and PostgreSQL. Times are microseconds since the
-- Unix epoch (the same integer on both backends).

-- One parcel per confirmed order, learnt from orders.order.confirmed
-- events (never read from the orders' database).
CREATE TABLE shipments (
    id TEXT PRIMARY KEY NOT NULL,
    -- One shipment per order: a redelivered event inserts nothing more.
    order_id TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'packed', 'shipped', 'delivered', 'cancelled')),
    -- The order's lines and shipping address as the event carried them
    -- (JSON): a copy, read and written whole, never queried into.
    lines TEXT NOT NULL,
    address TEXT NOT NULL,
    carrier TEXT,
    tracking_number TEXT,
    created_at BIGINT NOT NULL,
    packed_at BIGINT,
    shipped_at BIGINT,
    delivered_at BIGINT,
    cancelled_at BIGINT,
    updated_at BIGINT NOT NULL
);

-- The warehouse's queue (oldest first), by status and by customer.
CREATE INDEX shipments_listing ON shipments (created_at, id);
CREATE INDEX shipments_by_status ON shipments (status, created_at, id);
CREATE INDEX shipments_by_user ON shipments (user_id, created_at, id);
-- The demo mode's sweep: what has sat in its status long enough.
CREATE INDEX shipments_due ON shipments (status, updated_at);
