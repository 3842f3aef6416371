-- Charges voided by VoidCharge, by idempotency key: the caller that could
-- make the charge will never come back. A Charge under a voided key moves
-- no money (its payment, if it gets one, is voided at once). Kept apart
-- from `payments` because a key may be voided before any charge was made.
CREATE TABLE charge_voids (
    idempotency_key TEXT PRIMARY KEY NOT NULL,
    order_id TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
