-- The same SQL on SQLite and PostgreSQL. Times are microseconds since the
-- Unix epoch (the same integer on both backends).

-- Who the shop writes to: learnt from accounts.user.registered events,
-- never read from another service's database.
CREATE TABLE recipients (
    user_id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL,
    display_name TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Every email, rendered when its event arrived, sent by the sender loop.
CREATE TABLE notifications (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL,
    -- NULL until the user's address is known (an order event may arrive
    -- before the registration event).
    recipient TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('welcome', 'order_confirmed', 'order_failed', 'order_cancelled')),
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    event_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- When the sender may next take it; also its claim: a sender moves it
    -- forward by a lease before sending.
    next_attempt_at BIGINT NOT NULL,
    sent_at BIGINT,
    -- At most one email of a kind per event.
    UNIQUE (event_id, kind)
);

CREATE INDEX notifications_due ON notifications (state, next_attempt_at);
CREATE INDEX notifications_listing ON notifications (created_at, id);
CREATE INDEX notifications_by_user ON notifications (user_id, created_at, id);
