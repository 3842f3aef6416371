-- The same SQL on SQLite and PostgreSQL.

-- Why a shipment was cancelled (its order's cancel reason); '' otherwise.
ALTER TABLE shipments ADD COLUMN cancel_reason TEXT NOT NULL DEFAULT '';

-- A shipment cancelled (CancelShipment) before its order's confirmed
-- event arrived: the row holds the cancellation under the order's unique
-- id, so the event, when it comes, fills it in (still CANCELLED) instead
-- of creating a PENDING shipment. Hidden from reads and listings until then.
ALTER TABLE shipments ADD COLUMN awaiting_order BOOLEAN NOT NULL DEFAULT FALSE;
