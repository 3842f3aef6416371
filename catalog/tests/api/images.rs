//! Product images: uploads read their type from the bytes and are bounded
//! in bytes, pixels and number; images show in every product read, in
//! their order; their bytes come back whole, with a grid-sized copy.

use std::io::Cursor;

use contracts::catalog::{self as proto, ImageSize};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use tonic::Code;

use crate::helpers::*;

/// A picture of `width` x `height` in `format`, with a gradient so the
/// encoders have something to encode.
fn picture(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
    let pixels = RgbImage::from_fn(width, height, |x, y| {
        Rgb([
            x.to_le_bytes()[0],
            y.to_le_bytes()[0],
            (x + y).to_le_bytes()[0],
        ])
    });
    encode(&DynamicImage::ImageRgb8(pixels), format)
}

fn encode(picture: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    picture
        .write_to(&mut Cursor::new(&mut out), format)
        .expect("encode");
    out
}

fn png(width: u32, height: u32) -> Vec<u8> {
    picture(width, height, ImageFormat::Png)
}

/// CRC-32 as PNG chunks carry it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG chunk: length, type, data, CRC.
fn chunk(kind: [u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(data.len())
        .expect("small")
        .to_be_bytes()
        .to_vec();
    out.extend_from_slice(&kind);
    out.extend_from_slice(data);
    let mut checked = kind.to_vec();
    checked.extend_from_slice(data);
    out.extend_from_slice(&crc32(&checked).to_be_bytes());
    out
}

/// A valid little PNG whose header claims `width` x `height` pixels: a
/// few hundred bytes that would decode to gigabytes.
fn bomb(width: u32, height: u32) -> Vec<u8> {
    let mut real = png(16, 16);
    // Signature (8), then IHDR: length (4), type (4), width, height...
    let mut header = real[16..29].to_vec();
    header[0..4].copy_from_slice(&width.to_be_bytes());
    header[4..8].copy_from_slice(&height.to_be_bytes());
    let ihdr = chunk(*b"IHDR", &header);
    real.splice(8..33, ihdr);
    real
}

/// A PNG padded with a text chunk to exactly `size` bytes.
fn png_of_size(size: usize) -> Vec<u8> {
    let small = png(64, 64);
    let padding = size - small.len() - 12;
    let text = chunk(*b"tEXt", &[b'a'; 1].repeat(padding));
    let mut out = small[..33].to_vec();
    out.extend_from_slice(&text);
    out.extend_from_slice(&small[33..]);
    assert_eq!(out.len(), size);
    out
}

#[tokio::test]
async fn jpeg_png_and_webp_are_taken_with_their_sizes_and_types_read_from_the_bytes() {
    let app = TestApp::spawn().await;
    let product = app.create_product("Mug", 900, 1).await;
    for (format, content_type, width, height) in [
        (ImageFormat::Jpeg, "image/jpeg", 640, 480),
        (ImageFormat::Png, "image/png", 300, 200),
        (ImageFormat::WebP, "image/webp", 100, 50),
    ] {
        let bytes = picture(width, height, format);
        let image = app
            .add_image(&product.id, bytes.clone())
            .await
            .expect("accepted");
        assert_eq!(image.content_type, content_type);
        assert_eq!(
            (image.width, image.height),
            (width.cast_signed(), height.cast_signed())
        );
        assert_eq!(image.size_bytes, i64::try_from(bytes.len()).expect("small"));
        assert_eq!(image.url, format!("/images/{}", image.id));
        assert_eq!(
            image.thumbnail_url,
            format!("/images/{}?size=thumb", image.id)
        );

        let full = app
            .image_content(&image.id, ImageSize::Full)
            .await
            .expect("full size");
        assert_eq!(full.content, bytes, "the bytes come back as uploaded");
        assert_eq!(full.content_type, content_type);
        assert_eq!(full.etag.len(), 64, "a SHA-256 in hex");
    }
}

#[tokio::test]
async fn the_grid_copy_is_at_most_480_pixels_and_keeps_transparency() {
    let app = TestApp::spawn().await;
    let product = app.create_product("Poster", 900, 1).await;
    let wide = app
        .add_image(&product.id, picture(1600, 900, ImageFormat::Jpeg))
        .await
        .expect("accepted");
    let thumb = app
        .image_content(&wide.id, ImageSize::Thumb)
        .await
        .expect("thumb");
    assert_eq!(thumb.content_type, "image/jpeg");
    let decoded = image::load_from_memory(&thumb.content).expect("decodes");
    assert_eq!((decoded.width(), decoded.height()), (480, 270));

    let clear = RgbaImage::from_pixel(900, 1200, Rgba([10, 20, 30, 0]));
    let transparent = app
        .add_image(
            &product.id,
            encode(&DynamicImage::ImageRgba8(clear), ImageFormat::Png),
        )
        .await
        .expect("accepted");
    let thumb = app
        .image_content(&transparent.id, ImageSize::Thumb)
        .await
        .expect("thumb");
    assert_eq!(thumb.content_type, "image/png");
    let decoded = image::load_from_memory(&thumb.content).expect("decodes");
    assert_eq!((decoded.width(), decoded.height()), (360, 480));
    assert!(decoded.color().has_alpha());
}

#[tokio::test]
async fn anything_but_a_readable_jpeg_png_or_webp_is_refused_naming_the_content() {
    let app = TestApp::spawn().await;
    let product = app.create_product("Mug", 900, 1).await;
    let whole = png(40, 40);
    let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;".to_vec();
    for (what, content) in [
        ("a GIF", gif),
        (
            "text",
            b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec(),
        ),
        ("nothing", Vec::new()),
        ("a truncated PNG", whole[..whole.len() / 2].to_vec()),
        ("a decompression bomb", bomb(100_000, 100_000)),
        ("a picture over 8000 pixels wide", bomb(8001, 10)),
    ] {
        let status = expect_code(
            app.add_image(&product.id, content).await,
            Code::InvalidArgument,
        );
        assert_eq!(violated_fields(&status), ["content"], "{what}");
    }
    let product = app.get_product(&product.id).await.expect("product");
    assert!(product.images.is_empty());
    assert_eq!(product.etag, "v1", "refused uploads change nothing");
}

#[tokio::test]
async fn a_4_mib_image_is_taken_and_a_larger_one_refused() {
    let app = TestApp::spawn().await;
    let product = app.create_product("Mug", 900, 1).await;
    let largest = png_of_size(4 * 1024 * 1024);
    let image = app
        .add_image(&product.id, largest.clone())
        .await
        .expect("4 MiB is allowed");
    let full = app
        .image_content(&image.id, ImageSize::Full)
        .await
        .expect("read back");
    assert_eq!(full.content, largest);

    let status = expect_code(
        app.add_image(&product.id, png_of_size(4 * 1024 * 1024 + 1))
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&status), ["content"]);
    // Far over: the message itself is refused before it is decoded (tonic
    // says OUT_OF_RANGE), and the server goes on.
    let status = app
        .add_image(&product.id, vec![0; 6 * 1024 * 1024])
        .await
        .expect_err("refused");
    assert!(
        matches!(
            status.code(),
            Code::OutOfRange | Code::ResourceExhausted | Code::InvalidArgument
        ),
        "{status:?}"
    );
    app.add_image(&product.id, png(8, 8))
        .await
        .expect("still serving");
}

#[tokio::test]
async fn an_unknown_product_is_not_found() {
    let app = TestApp::spawn().await;
    let status = expect_code(
        app.add_image("00000000-0000-7000-8000-00000000abcd", png(8, 8))
            .await,
        Code::NotFound,
    );
    assert_eq!(reason(&status), "PRODUCT_NOT_FOUND");
    let status = expect_code(
        app.add_image("nope", png(8, 8)).await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&status), ["product_id"]);
}

#[tokio::test]
async fn a_ninth_image_is_refused() {
    let app = TestApp::spawn().await;
    let product = app.create_product("Mug", 900, 1).await;
    for _ in 0..8 {
        app.add_image(&product.id, png(8, 8)).await.expect("added");
    }
    let status = expect_code(
        app.add_image(&product.id, png(8, 8)).await,
        Code::FailedPrecondition,
    );
    assert_eq!(reason(&status), "TOO_MANY_IMAGES");
    let product = app.get_product(&product.id).await.expect("product");
    assert_eq!(product.images.len(), 8);
}

#[tokio::test]
async fn twenty_uploads_at_once_add_eight_images_in_eight_places() {
    let app = TestApp::spawn().await;
    let product = app.create_product("Mug", 900, 1).await;
    let client = app.catalog.clone();
    let results = concurrently(20, |i| {
        let mut client = client.clone();
        let request = app.as_admin(proto::AddProductImageRequest {
            product_id: product.id.clone(),
            content: png(8 + u32::try_from(i).expect("small"), 8),
            alt_text: format!("picture {i}"),
        });
        async move { client.add_product_image(request).await }
    })
    .await;
    let added = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(added, 8);
    for refused in results.into_iter().filter_map(Result::err) {
        assert_eq!(reason(&refused), "TOO_MANY_IMAGES", "{refused:?}");
    }
    let read = app.get_product(&product.id).await.expect("product");
    assert_eq!(read.images.len(), 8);
    assert_eq!(read.etag, "v9", "each upload changed the product once");
    let shared_positions = app
        .execute_sql(&format!(
            "UPDATE product_images SET position = position WHERE product_id = '{id}' \
             AND position IN (SELECT position FROM product_images WHERE product_id = '{id}' \
             GROUP BY position HAVING COUNT(*) > 1)",
            id = product.id
        ))
        .await;
    assert_eq!(shared_positions, 0, "every image has a place of its own");
}

#[tokio::test]
async fn images_show_in_every_read_in_their_order() {
    let app = TestApp::spawn().await;
    let product = app.create_product("Mug", 900, 1).await;
    let other = app.create_product("Cup", 500, 1).await;
    let first = app
        .add_image(&product.id, png(10, 10))
        .await
        .expect("first");
    let second = app
        .add_image(&product.id, png(20, 20))
        .await
        .expect("second");
    let ids = |p: &proto::Product| p.images.iter().map(|i| i.id.clone()).collect::<Vec<_>>();
    let expected = vec![first.id.clone(), second.id.clone()];

    let got = app.get_product(&product.id).await.expect("get");
    assert_eq!(ids(&got), expected);
    assert_eq!(got.images[1], second);

    let batch = app
        .batch_get(vec![other.id.clone(), product.id.clone()])
        .await
        .expect("batch");
    assert!(batch[0].images.is_empty());
    assert_eq!(ids(&batch[1]), expected);

    let listed = app
        .list_products(proto::ListProductsRequest::default())
        .await
        .expect("list");
    let listed = listed
        .products
        .iter()
        .find(|p| p.id == product.id)
        .expect("listed");
    assert_eq!(ids(listed), expected);

    // The last change's event carries the product as it now is.
    let events = app.events().await;
    let last = events.last().expect("an event");
    assert_eq!(last.r#type, "catalog.product.updated");
    let Some(contracts::events::event::Payload::Product(changed)) = &last.payload else {
        panic!("a product event: {last:?}");
    };
    let in_event = changed.product.as_ref().expect("product");
    assert_eq!(ids(in_event), expected);
    assert_eq!(in_event.etag, got.etag);
}

#[tokio::test]
async fn adding_an_image_changes_a_cached_product_at_once() {
    let app = TestApp::spawn_with(|c| c.cache_ttl = std::time::Duration::from_secs(600)).await;
    let product = app.create_product("Mug", 900, 1).await;
    let before = app.get_product(&product.id).await.expect("cached now");
    let image = app
        .add_image(&product.id, png(10, 10))
        .await
        .expect("added");
    let after = app.get_product(&product.id).await.expect("read");
    assert_ne!(after.etag, before.etag);
    assert_eq!(after.images, [image]);
}

#[tokio::test]
async fn a_reorder_must_name_each_image_once() {
    let app = TestApp::spawn().await;
    let product = app.create_product("Mug", 900, 1).await;
    let other = app.create_product("Cup", 500, 1).await;
    let a = app.add_image(&product.id, png(10, 10)).await.expect("a").id;
    let b = app.add_image(&product.id, png(11, 11)).await.expect("b").id;
    let c = app.add_image(&product.id, png(12, 12)).await.expect("c").id;
    let foreign = app
        .add_image(&other.id, png(13, 13))
        .await
        .expect("other")
        .id;
    for (what, order) in [
        ("one missing", vec![a.as_str(), b.as_str()]),
        ("one twice", vec![a.as_str(), b.as_str(), b.as_str()]),
        (
            "another product's",
            vec![a.as_str(), b.as_str(), foreign.as_str()],
        ),
        (
            "an extra",
            vec![a.as_str(), b.as_str(), c.as_str(), foreign.as_str()],
        ),
    ] {
        let status = expect_code(
            app.reorder_images(&product.id, &order).await,
            Code::InvalidArgument,
        );
        assert_eq!(violated_fields(&status), ["image_ids"], "{what}");
    }
    let status = expect_code(
        app.reorder_images(&product.id, &[a.as_str(), "garbage", c.as_str()])
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&status), ["image_ids[1]"]);

    let before = app.get_product(&product.id).await.expect("product");
    let reordered = app
        .reorder_images(&product.id, &[c.as_str(), a.as_str(), b.as_str()])
        .await
        .expect("reordered");
    let order: Vec<_> = reordered.images.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(order, [c.as_str(), a.as_str(), b.as_str()]);
    assert_ne!(reordered.etag, before.etag);
    let read = app.get_product(&product.id).await.expect("product");
    assert_eq!(read.images, reordered.images);
    assert_eq!(read.etag, reordered.etag);
}

#[tokio::test]
async fn a_deleted_image_is_gone_with_its_bytes() {
    let app = TestApp::spawn().await;
    let product = app.create_product("Mug", 900, 1).await;
    let kept = app.add_image(&product.id, png(10, 10)).await.expect("kept");
    let gone = app.add_image(&product.id, png(20, 20)).await.expect("gone");
    app.delete_image(&product.id, &gone.id)
        .await
        .expect("deleted");

    let read = app.get_product(&product.id).await.expect("product");
    assert_eq!(read.images, std::slice::from_ref(&kept));
    for size in [ImageSize::Full, ImageSize::Thumb] {
        let status = expect_code(app.image_content(&gone.id, size).await, Code::NotFound);
        assert_eq!(reason(&status), "IMAGE_NOT_FOUND");
    }
    let blobs = app
        .execute_sql(&format!(
            "UPDATE image_blobs SET key = key WHERE key LIKE '{}%'",
            gone.id
        ))
        .await;
    assert_eq!(blobs, 0, "no bytes left behind");
    let status = expect_code(
        app.delete_image(&product.id, &gone.id).await,
        Code::NotFound,
    );
    assert_eq!(reason(&status), "IMAGE_NOT_FOUND");
    // An image is only deleted from its own product.
    let other = app.create_product("Cup", 500, 1).await;
    expect_code(app.delete_image(&other.id, &kept.id).await, Code::NotFound);
    // A deleted product's images are not served.
    app.delete(&product.id, "").await.expect("product deleted");
    expect_code(
        app.image_content(&kept.id, ImageSize::Full).await,
        Code::NotFound,
    );
}

#[tokio::test]
async fn image_ids_are_checked() {
    let app = TestApp::spawn().await;
    let status = expect_code(
        app.image_content("../../etc/passwd", ImageSize::Full).await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&status), ["image_id"]);
    expect_code(
        app.image_content("00000000-0000-7000-8000-00000000abcd", ImageSize::Thumb)
            .await,
        Code::NotFound,
    );
}

#[tokio::test]
async fn only_admins_change_images() {
    let app = TestApp::spawn().await;
    let product = app.create_product("Mug", 900, 1).await;
    let image = app
        .add_image(&product.id, png(10, 10))
        .await
        .expect("added");
    let mut client = app.catalog.clone();
    let add = client
        .add_product_image(app.as_customer(proto::AddProductImageRequest {
            product_id: product.id.clone(),
            content: png(10, 10),
            alt_text: String::new(),
        }))
        .await;
    expect_code(add, Code::PermissionDenied);
    let delete = client
        .delete_product_image(app.as_customer(proto::DeleteProductImageRequest {
            product_id: product.id.clone(),
            image_id: image.id.clone(),
        }))
        .await;
    expect_code(delete, Code::PermissionDenied);
    let reorder = client
        .reorder_product_images(app.as_customer(proto::ReorderProductImagesRequest {
            product_id: product.id.clone(),
            image_ids: vec![image.id.clone()],
        }))
        .await;
    expect_code(reorder, Code::PermissionDenied);
    let anonymous = client
        .add_product_image(proto::AddProductImageRequest {
            product_id: product.id.clone(),
            content: png(10, 10),
            alt_text: String::new(),
        })
        .await;
    expect_code(anonymous, Code::Unauthenticated);
    // Anyone may read the bytes.
    app.image_content(&image.id, ImageSize::Full)
        .await
        .expect("public");
}

#[tokio::test]
async fn alt_text_is_kept_and_bounded() {
    let app = TestApp::spawn().await;
    let product = app.create_product("Mug", 900, 1).await;
    let mut client = app.catalog.clone();
    let request = |alt: String| {
        app.as_admin(proto::AddProductImageRequest {
            product_id: product.id.clone(),
            content: png(10, 10),
            alt_text: alt,
        })
    };
    let image = client
        .add_product_image(request("A blue mug".into()))
        .await
        .expect("added")
        .into_inner();
    assert_eq!(image.alt_text, "A blue mug");
    let status = expect_code(
        client.add_product_image(request("x".repeat(201))).await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&status), ["alt_text"]);
}

#[tokio::test]
async fn the_demo_catalog_comes_with_a_picture_per_product() {
    let app = TestApp::spawn_with(|c| c.seed_demo = true).await;
    let (products, _) = every_page(|token| {
        let app = &app;
        async move {
            let page = app
                .list_products(proto::ListProductsRequest {
                    page_size: 100,
                    page_token: token,
                    ..Default::default()
                })
                .await
                .expect("list");
            (page.products, page.next_page_token)
        }
    })
    .await;
    assert_eq!(products.len(), 22);
    for product in &products {
        assert_eq!(product.images.len(), 1, "{}", product.name);
        let image = &product.images[0];
        assert_eq!(image.content_type, "image/webp");
        let thumb = app
            .image_content(&image.id, ImageSize::Thumb)
            .await
            .expect("thumb");
        assert_eq!(thumb.content_type, "image/jpeg");
    }
}
