ALTER TABLE orders DROP COLUMN last_event;
