//! Where images' bytes live: a small key-value interface ([`BlobStore`]),
//! so the bytes can move to an object store without the rest knowing; its
//! default backend, a table in the catalog's own database ([`DbBlobs`]),
//! which every replica shares on either backend; and the scale path, a
//! bucket of S3 or an S3-compatible server ([`S3Blobs`], in `s3`).
//!
//! Bytes are written before the metadata that names them and deleted after
//! it is gone, so a reader never finds metadata without bytes; a crash in
//! between leaves at worst unnamed bytes behind, never a broken image.

mod s3;

use std::fmt::Debug;

use diesel::{prelude::*, upsert::excluded};
use diesel_async::RunQueryDsl;
use platform::{db::Db, on_db};

use super::schema::image_blobs;
use crate::error::Result;

pub use s3::{S3Blobs, S3Config, S3Credentials};

/// Bytes by key. Keys are the store's own (derived from image ids). A
/// backend's failure is [`Error::ImageStore`](crate::error::Error::ImageStore)
/// (or [`Error::Db`](crate::error::Error::Db) for [`DbBlobs`]).
#[async_trait::async_trait]
pub trait BlobStore: Send + Sync + Debug {
    /// Stores `bytes` under `key`, replacing what was there.
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<()>;
    /// The bytes under `key`, if any.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>>;
    /// Forgets `key`; forgetting a missing key is not an error.
    async fn delete(&self, key: &str) -> Result<()>;
}

/// Blobs in the catalog's database (`image_blobs`).
#[derive(Debug, Clone)]
pub struct DbBlobs {
    db: Db,
}

impl DbBlobs {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait::async_trait]
impl BlobStore for DbBlobs {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<()> {
        on_db!(&self.db, |conn| {
            diesel::insert_into(image_blobs::table)
                .values((
                    image_blobs::key.eq(key),
                    image_blobs::content.eq(bytes.as_slice()),
                ))
                .on_conflict(image_blobs::key)
                .do_update()
                .set(image_blobs::content.eq(excluded(image_blobs::content)))
                .execute(conn)
                .await?;
        });
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(on_db!(&self.db, |conn| {
            image_blobs::table
                .filter(image_blobs::key.eq(key))
                .select(image_blobs::content)
                .first::<Vec<u8>>(conn)
                .await
                .optional()?
        }))
    }

    async fn delete(&self, key: &str) -> Result<()> {
        on_db!(&self.db, |conn| {
            diesel::delete(image_blobs::table.filter(image_blobs::key.eq(key)))
                .execute(conn)
                .await?;
        });
        Ok(())
    }
}
