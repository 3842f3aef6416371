ALTER TABLE shipments DROP COLUMN awaiting_order;
ALTER TABLE shipments DROP COLUMN cancel_reason;
