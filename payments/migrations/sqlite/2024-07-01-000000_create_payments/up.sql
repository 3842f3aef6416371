-- Times are microseconds since the Unix epoch and amounts are integers of
-- the currency's minor unit (the same integers on both backends).

-- One row per charge, keyed by the caller's idempotency key. Card numbers
-- and CVCs are never stored: only brand and last four digits.
CREATE TABLE payments (
    id TEXT PRIMARY KEY NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    -- SHA-256 of the fields that identify the request (see domain::fingerprint).
    fingerprint TEXT NOT NULL,
    order_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    method TEXT NOT NULL CHECK (method IN ('card', 'wallet')),
    card_brand TEXT NOT NULL,
    card_last4 TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('processing', 'captured', 'declined')),
    decline_code TEXT,
    captured_minor BIGINT NOT NULL CHECK (captured_minor IN (0, amount_minor)),
    -- Never more than captured, whatever the code above it does.
    refunded_minor BIGINT NOT NULL CHECK (refunded_minor >= 0 AND refunded_minor <= captured_minor),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX payments_by_time ON payments (created_at, id);
CREATE INDEX payments_by_user ON payments (user_id, created_at, id);
CREATE INDEX payments_by_order ON payments (order_id, created_at, id);

-- One row per charge still processing: which attempt owns it, until when.
-- Once lease_until has passed (or is 0: released after transient trouble),
-- a repeat of the request may take the charge over. Deleted with the
-- outcome.
CREATE TABLE charge_leases (
    payment_id TEXT PRIMARY KEY NOT NULL REFERENCES payments (id),
    lease_until BIGINT NOT NULL,
    attempts BIGINT NOT NULL
);

CREATE TABLE refunds (
    id TEXT PRIMARY KEY NOT NULL,
    payment_id TEXT NOT NULL REFERENCES payments (id),
    idempotency_key TEXT NOT NULL UNIQUE,
    fingerprint TEXT NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    reason TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded')),
    actor TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX refunds_by_payment ON refunds (payment_id, created_at, id);

-- Store credit. A missing row is a balance of zero.
CREATE TABLE wallets (
    user_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    balance_minor BIGINT NOT NULL CHECK (balance_minor >= 0),
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, currency)
);

CREATE TABLE top_ups (
    id TEXT PRIMARY KEY NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    fingerprint TEXT NOT NULL,
    user_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    reason TEXT NOT NULL,
    actor TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Every movement of money, appended once and never changed.
CREATE TABLE ledger_entries (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('charge', 'refund', 'top_up')),
    -- The payment (charges), refund or top-up recorded.
    reference TEXT NOT NULL,
    payment_id TEXT REFERENCES payments (id),
    user_id TEXT NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('card', 'wallet')),
    currency TEXT NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    -- The card network's id for the movement, if it went through one.
    processor_reference TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (kind, reference)
);
CREATE INDEX ledger_by_payment ON ledger_entries (payment_id);
CREATE INDEX ledger_by_wallet ON ledger_entries (user_id, currency);

CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger entries are append-only');
END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger entries are append-only');
END;
