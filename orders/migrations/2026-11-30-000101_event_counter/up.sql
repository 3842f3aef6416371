-- The number of the order's last event, on the order's row: a move takes
-- the next number from the row it updates, under that row's lock, so on
-- PostgreSQL the update and the event's insert can be one statement (a
-- sub-select of the events would read the statement's snapshot, taken
-- before the lock was granted). An order is inserted with its first event,
-- hence the default of 1; the orders already here count the events they
-- have. Written only by SQL of its own (store/moves.rs): the orders table
-- is at diesel's 32 columns without it.
ALTER TABLE orders ADD COLUMN last_event BIGINT NOT NULL DEFAULT 1;
UPDATE orders SET last_event = (
    SELECT COALESCE(MAX(sequence), 0) FROM order_events WHERE order_events.order_id = orders.id
);
