-- Times are microseconds since the Unix epoch (the same integer on both backends).
CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    -- Normalised (trimmed, lower case): one account per address.
    email TEXT NOT NULL UNIQUE,
    -- argon2id, in PHC string format (algorithm, parameters and salt included).
    password_hash TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('customer', 'admin')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
