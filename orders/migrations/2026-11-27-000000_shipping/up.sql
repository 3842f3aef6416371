-- Shipping is charged at checkout and the parcel followed to its delivery.
-- Orders placed before keep a subtotal equal to their total and have no
-- shipping row (shipping 0, no option).
ALTER TABLE orders ADD COLUMN subtotal_minor BIGINT NOT NULL DEFAULT 0 CHECK (subtotal_minor >= 0);
UPDATE orders SET subtotal_minor = total_minor;
-- The parcel, once handed to the carrier (as the fulfilment service said).
ALTER TABLE orders ADD COLUMN shipment_id TEXT;
ALTER TABLE orders ADD COLUMN carrier TEXT;
ALTER TABLE orders ADD COLUMN tracking_number TEXT;
ALTER TABLE orders ADD COLUMN shipped_at BIGINT;
ALTER TABLE orders ADD COLUMN delivered_at BIGINT;

-- The option chosen at checkout, as the quote priced it (in the order's
-- currency). Written with the order, never changed; a table of its own
-- keeps orders within the columns diesel's tables are built for.
CREATE TABLE order_shipping (
    order_id TEXT PRIMARY KEY NOT NULL REFERENCES orders (id),
    quote_id TEXT NOT NULL,
    option_code TEXT NOT NULL,
    option_name TEXT NOT NULL,
    price_minor BIGINT NOT NULL CHECK (price_minor >= 0),
    earliest_delivery BIGINT,
    latest_delivery BIGINT
);

-- Each event keeps the parcel as it was then, so a replay shows it.
ALTER TABLE order_events ADD COLUMN shipment_id TEXT;
ALTER TABLE order_events ADD COLUMN carrier TEXT;
ALTER TABLE order_events ADD COLUMN tracking_number TEXT;
ALTER TABLE order_events ADD COLUMN shipped_at BIGINT;
ALTER TABLE order_events ADD COLUMN delivered_at BIGINT;
