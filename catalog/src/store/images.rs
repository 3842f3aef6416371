//! Product images: adding, removing and reordering them, and reading their
//! bytes. Every change of a product's images is a change of the product:
//! one transaction bumps its version and time, applies the change and
//! appends `catalog.product.updated`. The version bump comes first, so it
//! takes the product's row lock (PostgreSQL) or the write lock (SQLite)
//! before the images are counted: concurrent uploads to one product queue
//! there, and none can see a count another is about to change.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use platform::{clock::to_micros, on_db};

use super::{
    Store,
    rows::{ImageRow, ProductRow, products_with_images},
    schema::{product_images, products, stock},
};
use crate::{
    domain::{
        AltText, ImageId, ImageSize, Product, ProductId, ProductImage,
        image::{Format, MAX_IMAGES_PER_PRODUCT, ProcessedImage, check_order},
    },
    error::{Error, Result},
    events,
};

/// What a change does to a product's images, decided on the product as
/// it is inside the transaction.
enum Change {
    Add(ImageRow),
    Remove(String),
    Order(Vec<String>),
}

/// One copy of an image's bytes, as served.
#[derive(Debug, Clone)]
pub struct ImageBytes {
    pub format: Format,
    pub bytes: Vec<u8>,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
}

impl Store {
    /// Adds `processed` after the product's other images. Refused with
    /// [`Error::TooManyImages`] when the product already has the most.
    pub async fn add_image(
        &self,
        product: ProductId,
        processed: ProcessedImage,
        alt_text: AltText,
    ) -> Result<(Product, ProductImage)> {
        let id = ImageId::generate();
        let image = processed.describe(id, alt_text, self.clock.now());
        let keys = [
            ProductImage::blob_key(id, ImageSize::Full),
            ProductImage::blob_key(id, ImageSize::Thumb),
        ];
        let ProcessedImage { full, thumb, .. } = processed;
        let stored = async {
            self.blobs.put(&keys[0], full).await?;
            self.blobs.put(&keys[1], thumb).await?;
            self.change_images(product, |current, next_position| {
                if current.images.len() >= MAX_IMAGES_PER_PRODUCT {
                    return Err(Error::TooManyImages(product.to_string()));
                }
                Ok(Change::Add(ImageRow::new(product, next_position, &image)))
            })
            .await
        };
        match stored.await {
            Ok(product) => Ok((product, image)),
            Err(refused) => {
                self.forget_blobs(&keys).await;
                Err(refused)
            }
        }
    }

    /// Removes one of the product's images.
    pub async fn delete_image(&self, product: ProductId, image: ImageId) -> Result<Product> {
        let updated = self
            .change_images(product, |current, _| {
                if current.images.iter().any(|i| i.id == image) {
                    Ok(Change::Remove(image.to_string()))
                } else {
                    Err(Error::ImageNotFound {
                        product: product.to_string(),
                        image: image.to_string(),
                    })
                }
            })
            .await?;
        // The metadata is gone: nothing names the bytes any more.
        self.forget_blobs(&[
            ProductImage::blob_key(image, ImageSize::Full),
            ProductImage::blob_key(image, ImageSize::Thumb),
        ])
        .await;
        Ok(updated)
    }

    /// Puts the product's images in the order `order` names them; it must
    /// name each exactly once.
    pub async fn reorder_images(&self, product: ProductId, order: &[ImageId]) -> Result<Product> {
        self.change_images(product, |current, _| {
            let ids: Vec<ImageId> = current.images.iter().map(|i| i.id).collect();
            check_order(&ids, order).map_err(|d| Error::invalid("image_ids", d))?;
            Ok(Change::Order(
                order.iter().map(ToString::to_string).collect(),
            ))
        })
        .await
    }

    /// One copy of an image of a product that is not deleted.
    pub async fn image_content(&self, image: ImageId, size: ImageSize) -> Result<ImageBytes> {
        let key = image.to_string();
        let row: Option<ImageRow> = on_db!(&self.db, |conn| {
            product_images::table
                .inner_join(products::table)
                .filter(product_images::id.eq(&key))
                .filter(products::deleted.eq(false))
                .select(ImageRow::as_select())
                .first(conn)
                .await
                .optional()?
        });
        let stored = ProductImage::try_from(row.ok_or(Error::ImageContentNotFound(key.clone()))?)?;
        let (format, sha256) = match size {
            ImageSize::Full => (stored.format, stored.sha256),
            ImageSize::Thumb => (stored.thumb_format, stored.thumb_sha256),
        };
        // Bytes missing behind metadata that was just read: the image was
        // deleted in between.
        let bytes = self
            .blobs
            .get(&ProductImage::blob_key(image, size))
            .await?
            .ok_or(Error::ImageContentNotFound(key))?;
        Ok(ImageBytes {
            format,
            bytes,
            sha256,
        })
    }

    /// Applies the change `decide` makes of the product (as it is in the
    /// transaction, one version later, and the position after its last
    /// image), and returns the product as it then is.
    async fn change_images(
        &self,
        id: ProductId,
        decide: impl Fn(&Product, i32) -> Result<Change> + Send + Sync,
    ) -> Result<Product> {
        let key = id.to_string();
        let keys = vec![key.clone()];
        let at = self.clock.now();
        let now = to_micros(at);
        on_db!(&self.db, |conn| {
            conn.transaction::<_, Error, _>(async |tx| {
                // First: the lock that queues other changes of this product.
                let bumped = diesel::update(
                    products::table
                        .filter(products::id.eq(&key))
                        .filter(products::deleted.eq(false)),
                )
                .set((
                    products::version.eq(products::version + 1),
                    products::updated_at.eq(now),
                ))
                .execute(tx)
                .await?;
                if bumped == 0 {
                    return Err(Error::ProductNotFound(key.clone()));
                }
                // With its availability, as every product read answers it.
                let row: (ProductRow, i64) = products::table
                    .inner_join(stock::table)
                    .filter(products::id.eq(&key))
                    .select((ProductRow::as_select(), stock::available))
                    .first(tx)
                    .await?;
                let image_rows: Vec<ImageRow> = images_of!(&keys).load(tx).await?;
                let next_position = image_rows
                    .iter()
                    .map(|r| r.position)
                    .max()
                    .map_or(0, |p| p + 1);
                let before = products_with_images(vec![row.clone()], image_rows)?
                    .pop()
                    .ok_or_else(|| Error::ProductNotFound(key.clone()))?;
                match decide(&before, next_position)? {
                    Change::Add(image) => {
                        diesel::insert_into(product_images::table)
                            .values(&image)
                            .execute(tx)
                            .await?;
                    }
                    Change::Remove(image) => {
                        diesel::delete(
                            product_images::table
                                .filter(product_images::id.eq(&image))
                                .filter(product_images::product_id.eq(&key)),
                        )
                        .execute(tx)
                        .await?;
                    }
                    Change::Order(order) => {
                        for (position, image) in (0..).zip(&order) {
                            diesel::update(
                                product_images::table
                                    .filter(product_images::id.eq(image))
                                    .filter(product_images::product_id.eq(&key)),
                            )
                            .set(product_images::position.eq(position))
                            .execute(tx)
                            .await?;
                        }
                    }
                }
                let image_rows: Vec<ImageRow> = images_of!(&keys).load(tx).await?;
                let after = products_with_images(vec![row], image_rows)?
                    .pop()
                    .ok_or_else(|| Error::ProductNotFound(key.clone()))?;
                platform::events::append(tx.into(), events::updated(&after, None), at).await?;
                Ok(after)
            })
            .await
        })
    }

    /// Deletes bytes nothing names (any more, or ever: a refused upload's).
    /// A failure leaves them behind, unreachable; it is logged, not raised,
    /// since the change it follows has already happened or been refused.
    async fn forget_blobs(&self, keys: &[String]) {
        for key in keys {
            if let Err(error) = self.blobs.delete(key).await {
                tracing::warn!(%error, key, "could not delete an image's bytes");
            }
        }
    }
}
