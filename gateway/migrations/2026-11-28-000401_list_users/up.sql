-- The back office lists users newest first (or oldest first), optionally
-- only one role; ties are broken by id, so the index ends with it. Sorting
-- by email uses the UNIQUE index the column already has. The role index
-- also serves the last-admin guard, which reads (and on PostgreSQL locks)
-- every admin row.
CREATE INDEX users_by_creation ON users (created_at, id);
CREATE INDEX users_by_role ON users (role, created_at, id);
