//! What every store of images' bytes promises, one body run against each
//! backend (the catalog's database, and an S3 bucket when TEST_S3_URL is
//! set): bytes by key, and that bytes no metadata names are no image, as a
//! crash between writing an upload's bytes and its metadata leaves them.

use catalog::{
    domain::{ImageId, ImageSize, ProductImage},
    store::{BlobStore, DbBlobs},
};
use contracts::catalog as proto;
use platform::{db::Db, testing::TestDatabase};
use tonic::Code;

use crate::{helpers::*, s3::TestBucket};

/// Bytes by key: what is put comes back whole (none, every byte value, 4
/// MiB of them), a second put replaces the first, keys do not share bytes,
/// a missing key reads as nothing, and a delete forgets, whether the key
/// is there or not.
async fn keeps_bytes_by_key(store: &dyn BlobStore) {
    let id = ImageId::generate();
    let full = ProductImage::blob_key(id, ImageSize::Full);
    let thumb = ProductImage::blob_key(id, ImageSize::Thumb);
    assert_eq!(store.get(&full).await.expect("get"), None, "nothing yet");

    store.put(&full, b"first".to_vec()).await.expect("put");
    store.put(&thumb, Vec::new()).await.expect("put nothing");
    assert_eq!(
        store.get(&full).await.expect("get").as_deref(),
        Some(&b"first"[..])
    );
    assert_eq!(
        store.get(&thumb).await.expect("get").as_deref(),
        Some(&[][..]),
        "no bytes are bytes too"
    );

    let large: Vec<u8> = (0..4 * 1024 * 1024)
        .map(|i: u32| i.to_le_bytes()[0] ^ i.to_le_bytes()[1])
        .collect();
    store.put(&full, large.clone()).await.expect("replace");
    assert_eq!(store.get(&full).await.expect("get"), Some(large));

    store.delete(&full).await.expect("delete");
    assert_eq!(store.get(&full).await.expect("get"), None);
    assert_eq!(
        store.get(&thumb).await.expect("get").as_deref(),
        Some(&[][..]),
        "the other key keeps its bytes"
    );
    store
        .delete(&full)
        .await
        .expect("deleting it again is done");
    let never = ProductImage::blob_key(ImageId::generate(), ImageSize::Full);
    store
        .delete(&never)
        .await
        .expect("deleting what never was is done");
    store.delete(&thumb).await.expect("delete");
    assert_eq!(store.get(&thumb).await.expect("get"), None);
}

/// An upload's bytes are written before its metadata; a crash in between
/// leaves bytes that nothing names. They are no image: not in any product
/// read, not served, and the product unchanged.
async fn unnamed_bytes_are_no_image(app: &TestApp, store: &dyn BlobStore) {
    let product = app.create_product("Mug", 900, 1).await;
    let orphan = ImageId::generate();
    for size in [ImageSize::Full, ImageSize::Thumb] {
        store
            .put(&ProductImage::blob_key(orphan, size), b"bytes".to_vec())
            .await
            .expect("bytes written, then the crash");
    }
    let read = app.get_product(&product.id).await.expect("product");
    assert!(read.images.is_empty());
    assert_eq!(read.etag, product.etag, "the product did not change");
    let listed = app
        .list_products(proto::ListProductsRequest::default())
        .await
        .expect("list");
    assert!(listed.products.iter().all(|p| p.images.is_empty()));
    for size in [proto::ImageSize::Full, proto::ImageSize::Thumb] {
        let status = expect_code(
            app.image_content(&orphan.to_string(), size).await,
            Code::NotFound,
        );
        assert_eq!(reason(&status), "IMAGE_NOT_FOUND");
    }
    // The product takes images as before.
    let picture = include_bytes!("../../demo-images/01.webp");
    app.add_image(&product.id, picture.to_vec())
        .await
        .expect("an upload after the crash");
    let read = app.get_product(&product.id).await.expect("product");
    assert_eq!(read.images.len(), 1);
}

#[tokio::test]
async fn the_database_keeps_bytes_by_key() {
    let database = TestDatabase::new().await;
    let db = Db::connect(database.url(), 2, catalog::store::migrations())
        .await
        .expect("connect");
    keeps_bytes_by_key(&DbBlobs::new(db)).await;
}

#[tokio::test]
async fn an_s3_bucket_keeps_bytes_by_key() {
    let Some(bucket) = TestBucket::create().await else {
        return;
    };
    keeps_bytes_by_key(&bucket.blobs(None)).await;
    assert!(bucket.keys().await.is_empty(), "every object deleted");
    // Under a prefix, the objects are named PREFIX/KEY.
    let prefixed = bucket.blobs(Some("shop/images"));
    keeps_bytes_by_key(&prefixed).await;
    prefixed.put("a", b"a".to_vec()).await.expect("put");
    assert_eq!(bucket.keys().await, ["shop/images/a"]);
}

#[tokio::test]
async fn bytes_a_crash_left_in_the_database_are_no_image() {
    let app = TestApp::spawn().await;
    // Once the catalog has migrated its database, a second pool on it.
    app.list_products(proto::ListProductsRequest::default())
        .await
        .expect("started");
    let db = Db::connect(app.database_url(), 2, catalog::store::migrations())
        .await
        .expect("connect");
    unnamed_bytes_are_no_image(&app, &DbBlobs::new(db)).await;
}

#[tokio::test]
async fn bytes_a_crash_left_in_s3_are_no_image() {
    let Some(bucket) = TestBucket::create().await else {
        return;
    };
    let app = bucket.app(None).await;
    unnamed_bytes_are_no_image(&app, &bucket.blobs(None)).await;
}
