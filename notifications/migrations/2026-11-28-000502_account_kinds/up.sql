-- The same SQL on SQLite and PostgreSQL. Account emails (verify the
-- address, reset the password, the password changed): the kind's CHECK list
-- grows. SQLite cannot alter a CHECK constraint, so the table is
-- rebuilt (in the migration's transaction) on both backends alike.
CREATE TABLE notifications_next (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL,
    -- NULL until the user's address is known (an order event may arrive
    -- before the registration event).
    recipient TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('welcome', 'order_confirmed', 'order_failed', 'order_cancelled', 'order_shipped', 'order_delivered', 'verify_email', 'password_reset', 'password_changed')),
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
INSERT INTO notifications_next
    (id, user_id, recipient, kind, subject, text_body, html_body, state, attempts,
     last_error, event_id, created_at, next_attempt_at, sent_at)
SELECT id, user_id, recipient, kind, subject, text_body, html_body, state, attempts,
       last_error, event_id, created_at, next_attempt_at, sent_at
FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_next RENAME TO notifications;

CREATE INDEX notifications_due ON notifications (state, next_attempt_at);
CREATE INDEX notifications_listing ON notifications (created_at, id);
CREATE INDEX notifications_by_user ON notifications (user_id, created_at, id);
