-- Events (platform::events), in every service's database. Times are
-- microseconds since the Unix epoch.

-- The transactional outbox: each event is written in the transaction of
-- the change it describes; the relay publishes pending rows in id order.
CREATE TABLE event_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    aggregate_id TEXT NOT NULL,
    aggregate_sequence BIGINT NOT NULL,
    -- The encoded shop.events.v1.Event, exactly as published.
    envelope BLOB NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'published', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    published_at BIGINT,
    UNIQUE (aggregate_id, aggregate_sequence)
);
CREATE INDEX event_outbox_by_state ON event_outbox (state, id);

-- The last sequence number given to each aggregate's events: the row lock
-- of its upsert makes the numbers gap-free under concurrent writers.
CREATE TABLE event_sequences (
    aggregate_id TEXT PRIMARY KEY NOT NULL,
    last_sequence BIGINT NOT NULL
);

-- Which replica runs a singleton loop (the relay), until when.
CREATE TABLE event_leases (
    name TEXT PRIMARY KEY NOT NULL,
    owner TEXT NOT NULL,
    until BIGINT NOT NULL
);

-- Events waiting for one of this service's consumers (the local
-- transport delivers here) and dead letters (on either transport).
CREATE TABLE event_queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    consumer TEXT NOT NULL,
    event_id TEXT NOT NULL,
    envelope BLOB NOT NULL,
    deliveries INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'ready' CHECK (state IN ('ready', 'dead')),
    last_error TEXT,
    enqueued_at BIGINT NOT NULL,
    UNIQUE (consumer, event_id)
);
CREATE INDEX event_queue_by_state ON event_queue (consumer, state, id);

-- Events a consumer has applied, recorded in the transaction of their
-- effect: a redelivered event is found here and skipped.
CREATE TABLE event_inbox (
    consumer TEXT NOT NULL,
    event_id TEXT NOT NULL,
    processed_at BIGINT NOT NULL,
    PRIMARY KEY (consumer, event_id)
);
CREATE INDEX event_inbox_by_time ON event_inbox (processed_at);

-- The last aggregate_sequence each ordered consumer applied per aggregate.
CREATE TABLE event_positions (
    consumer TEXT NOT NULL,
    aggregate_id TEXT NOT NULL,
    last_sequence BIGINT NOT NULL,
    PRIMARY KEY (consumer, aggregate_id)
);
