-- The same SQL on SQLite and PostgreSQL.

-- Product images, in display order (position ascending). Their bytes are
-- in a blob store (by default `image_blobs` below), under the keys the
-- store derives from the image's id.
CREATE TABLE product_images (
    id TEXT PRIMARY KEY NOT NULL,
    product_id TEXT NOT NULL REFERENCES products (id),
    position INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    width INTEGER NOT NULL CHECK (width > 0),
    height INTEGER NOT NULL CHECK (height > 0),
    size_bytes BIGINT NOT NULL CHECK (size_bytes > 0),
    -- SHA-256 of the full-size bytes, hex: the ETag they are served with.
    sha256 TEXT NOT NULL,
    thumb_content_type TEXT NOT NULL,
    thumb_sha256 TEXT NOT NULL,
    alt_text TEXT NOT NULL,
    -- Microseconds since the Unix epoch, as every time in the catalog.
    created_at BIGINT NOT NULL
);
CREATE INDEX product_images_of_product ON product_images (product_id, position);

-- The image store's default backend: bytes by key, in the catalog's own
-- database, so every replica sees every image. BYTEA is PostgreSQL's
-- binary type; SQLite keeps a blob as a blob under any declared type.
CREATE TABLE image_blobs (
    key TEXT PRIMARY KEY NOT NULL,
    content BYTEA NOT NULL
);
