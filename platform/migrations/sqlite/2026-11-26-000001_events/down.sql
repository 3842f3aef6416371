DROP TABLE event_positions;
DROP TABLE event_inbox;
DROP TABLE event_queue;
DROP TABLE event_leases;
DROP TABLE event_sequences;
DROP TABLE event_outbox;
