//! The catalog with its images' bytes in a real S3-compatible server: the
//! one TEST_S3_URL names (`.ci/s3-server` starts moto), each test in a
//! bucket of its own. Without it these tests say they were skipped, except
//! those that need no server. The bucket is made, and its objects listed,
//! with unsigned requests, which moto takes.

use std::{net::SocketAddr, sync::Arc};

use catalog::{
    ImageStore,
    store::{S3Blobs, S3Config, S3Credentials},
};
use contracts::catalog::{self as proto, ImageSize};
use platform::testing::{TestAuth, TestDatabase};
use tokio::{
    io::copy_bidirectional,
    net::{TcpListener, TcpStream},
    task::{JoinHandle, JoinSet},
};
use tokio_rustls::rustls;
use tonic::Code;

use crate::helpers::*;

/// A bucket of its own on the server TEST_S3_URL names.
pub struct TestBucket {
    url: String,
    name: String,
}

impl TestBucket {
    /// A new, empty bucket; `None`, saying so, when TEST_S3_URL is unset.
    pub async fn create() -> Option<Self> {
        let url = match std::env::var("TEST_S3_URL") {
            Ok(url) if !url.is_empty() => url.trim_end_matches('/').to_owned(),
            _ => {
                eprintln!(
                    "skipped: set TEST_S3_URL (e.g. `eval \"$(.ci/s3-server)\"`, which starts \
                     moto) to run the S3 image store tests"
                );
                return None;
            }
        };
        let name = format!("catalog-test-{}", uuid::Uuid::new_v4().simple());
        let created = http()
            .put(format!("{url}/{name}"))
            .send()
            .await
            .expect("create the bucket");
        assert!(created.status().is_success(), "{created:?}");
        Some(Self { url, name })
    }

    /// The catalog's configuration of this bucket, objects under `prefix`.
    pub fn config(&self, prefix: Option<&str>) -> S3Config {
        self.config_at(&self.url, prefix)
    }

    /// The same bucket, reached at `endpoint`.
    fn config_at(&self, endpoint: &str, prefix: Option<&str>) -> S3Config {
        S3Config {
            endpoint: Some(endpoint.to_owned()),
            region: Some("us-east-1".into()),
            prefix: prefix.map(str::to_owned),
            credentials: S3Credentials::Static {
                key_id: "test-key".into(),
                secret: "test-secret".into(),
                session_token: None,
            },
            ..S3Config::new(&self.name)
        }
    }

    /// A store of its own on the bucket.
    pub fn blobs(&self, prefix: Option<&str>) -> S3Blobs {
        S3Blobs::new(&self.config(prefix)).expect("an S3 client")
    }

    /// A catalog keeping its images in the bucket, under `prefix`.
    pub async fn app(&self, prefix: Option<&str>) -> TestApp {
        let config = self.config(prefix);
        TestApp::spawn_with(|c| c.images = ImageStore::S3(config)).await
    }

    /// The names of the bucket's objects, in order.
    pub async fn keys(&self) -> Vec<String> {
        let listing = http()
            .get(format!("{}/{}?list-type=2", self.url, self.name))
            .send()
            .await
            .expect("list the bucket")
            .text()
            .await
            .expect("a listing");
        assert!(
            !listing.contains("<IsTruncated>true"),
            "a test's bucket lists in one page"
        );
        let mut keys: Vec<String> = listing
            .split("<Key>")
            .skip(1)
            .map(|rest| rest.split("</Key>").next().expect("</Key>").to_owned())
            .collect();
        keys.sort();
        keys
    }
}

/// An HTTP client for plain-HTTP test servers (reqwest needs a TLS setup
/// even for those; this one trusts nothing).
fn http() -> reqwest::Client {
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_root_certificates(rustls::RootCertStore::empty())
    .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .build()
        .expect("an HTTP client")
}

/// A picture the catalog takes, `side` pixels square.
fn png(side: u32) -> Vec<u8> {
    let mut out = Vec::new();
    image::DynamicImage::new_rgb8(side, side)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("encode");
    out
}

/// A TCP proxy to the S3 server, which a test stops and starts again to
/// play the server going down and coming back.
struct Proxy {
    address: SocketAddr,
    target: SocketAddr,
    task: JoinHandle<()>,
}

impl Proxy {
    async fn start(address: SocketAddr, target: SocketAddr) -> Self {
        let listener = TcpListener::bind(address).await.expect("bind the proxy");
        let address = listener.local_addr().expect("address");
        let task = tokio::spawn(async move {
            // Dropped with the task: every connection closes with it.
            let mut connections = JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                connections.spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Self {
            address,
            target,
            task,
        }
    }

    /// Closes the port and every connection through it.
    async fn stop(self) -> (SocketAddr, SocketAddr) {
        self.task.abort();
        let _ = self.task.await;
        (self.address, self.target)
    }
}

fn socket_address(url: &str) -> SocketAddr {
    let url = reqwest::Url::parse(url).expect("TEST_S3_URL is a URL");
    url.socket_addrs(|| None).expect("an address")[0]
}

#[tokio::test]
async fn images_go_to_the_bucket_and_come_back_whole() {
    let Some(bucket) = TestBucket::create().await else {
        return;
    };
    let app = bucket.app(Some("catalog/images")).await;
    let product = app.create_product("Mug", 900, 1).await;
    let content = png(600);
    let image = app
        .add_image(&product.id, content.clone())
        .await
        .expect("added");
    let read = app.get_product(&product.id).await.expect("product");
    assert_eq!(read.images, std::slice::from_ref(&image));

    let full = app
        .image_content(&image.id, ImageSize::Full)
        .await
        .expect("full size");
    assert_eq!(full.content, content, "the bytes come back as uploaded");
    let thumb = app
        .image_content(&image.id, ImageSize::Thumb)
        .await
        .expect("thumb");
    let decoded = image::load_from_memory(&thumb.content).expect("decodes");
    assert_eq!((decoded.width(), decoded.height()), (480, 480));

    // The bytes are in the bucket, under the prefix, and not in the database.
    assert_eq!(
        bucket.keys().await,
        [
            format!("catalog/images/{}", image.id),
            format!("catalog/images/{}.thumb", image.id)
        ]
    );
    let in_database = app.execute_sql("UPDATE image_blobs SET key = key").await;
    assert_eq!(in_database, 0);

    app.delete_image(&product.id, &image.id)
        .await
        .expect("deleted");
    for size in [ImageSize::Full, ImageSize::Thumb] {
        let status = expect_code(app.image_content(&image.id, size).await, Code::NotFound);
        assert_eq!(reason(&status), "IMAGE_NOT_FOUND");
    }
    assert!(bucket.keys().await.is_empty(), "no bytes left behind");
    let read = app.get_product(&product.id).await.expect("product");
    assert!(read.images.is_empty());
}

#[tokio::test]
async fn the_demo_catalog_loads_its_pictures_into_the_bucket() {
    let Some(bucket) = TestBucket::create().await else {
        return;
    };
    let config = bucket.config(None);
    let app = TestApp::spawn_with(|c| {
        c.images = ImageStore::S3(config);
        c.seed_demo = true;
    })
    .await;
    let listed = app
        .list_products(proto::ListProductsRequest {
            page_size: 100,
            ..Default::default()
        })
        .await
        .expect("list");
    assert_eq!(bucket.keys().await.len(), 2 * listed.products.len());
    let image = &listed.products[0].images[0];
    app.image_content(&image.id, ImageSize::Thumb)
        .await
        .expect("served from the bucket");
}

#[tokio::test]
async fn twenty_uploads_at_once_leave_the_bytes_of_eight_images() {
    let Some(bucket) = TestBucket::create().await else {
        return;
    };
    let app = bucket.app(None).await;
    let product = app.create_product("Mug", 900, 1).await;
    let client = app.catalog.clone();
    let results = concurrently(20, |i| {
        let mut client = client.clone();
        let request = app.as_admin(proto::AddProductImageRequest {
            product_id: product.id.clone(),
            content: png(8 + u32::try_from(i).expect("small")),
            alt_text: format!("picture {i}"),
        });
        async move { client.add_product_image(request).await }
    })
    .await;
    let added: Vec<_> = results
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|r| r.get_ref().id.clone())
        .collect();
    assert_eq!(added.len(), 8);
    for refused in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(reason(refused), "TOO_MANY_IMAGES", "{refused:?}");
    }
    // A refused upload's bytes were written, then deleted.
    let mut expected: Vec<String> = added
        .iter()
        .flat_map(|id| [id.clone(), format!("{id}.thumb")])
        .collect();
    expected.sort();
    assert_eq!(bucket.keys().await, expected);
    for id in &added {
        app.image_content(id, ImageSize::Full)
            .await
            .expect("each image is served");
    }
}

#[tokio::test]
async fn a_store_that_goes_down_answers_unavailable_and_is_used_again_when_back() {
    let Some(bucket) = TestBucket::create().await else {
        return;
    };
    let proxy = Proxy::start(
        "127.0.0.1:0".parse().expect("address"),
        socket_address(&bucket.url),
    )
    .await;
    let config = bucket.config_at(&format!("http://{}", proxy.address), None);
    let app = TestApp::spawn_with(|c| c.images = ImageStore::S3(config)).await;
    let product = app.create_product("Mug", 900, 1).await;
    let kept = app.add_image(&product.id, png(10)).await.expect("added");
    let doomed = app.add_image(&product.id, png(12)).await.expect("added");
    let before = app.get_product(&product.id).await.expect("product");

    let (address, target) = proxy.stop().await;
    let unavailable = |status: &tonic::Status| {
        assert_eq!(status.code(), Code::Unavailable, "{status:?}");
        assert_eq!(reason(status), "UNAVAILABLE");
        // Nothing of the store: no address, bucket or error of its own.
        assert_eq!(status.message(), "temporarily unavailable, retry later");
    };
    unavailable(&app.add_image(&product.id, png(14)).await.expect_err("down"));
    unavailable(
        &app.image_content(&kept.id, ImageSize::Full)
            .await
            .expect_err("down"),
    );
    // The refused upload changed nothing.
    let read = app.get_product(&product.id).await.expect("product reads");
    assert_eq!(read.images, before.images);
    assert_eq!(read.etag, before.etag);
    // Deleting an image is the metadata's change: done, its bytes left
    // behind unnamed.
    app.delete_image(&product.id, &doomed.id)
        .await
        .expect("deleted while the store is down");

    let _proxy = Proxy::start(address, target).await;
    let content = app
        .image_content(&kept.id, ImageSize::Full)
        .await
        .expect("served again");
    assert_eq!(content.content, png(10));
    app.add_image(&product.id, png(16))
        .await
        .expect("uploads again");
    expect_code(
        app.image_content(&doomed.id, ImageSize::Full).await,
        Code::NotFound,
    );
    let read = app.get_product(&product.id).await.expect("product");
    assert_eq!(read.images.len(), 2);
}

/// Starts a catalog on `images` and returns why it did not start.
async fn start_error(images: S3Config) -> String {
    let database = TestDatabase::new().await;
    let auth = TestAuth::new();
    let mut config = catalog::Config::new(database.url(), auth.verifier());
    config.images = ImageStore::S3(images);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let error = catalog::serve(config, listener, std::future::pending())
        .await
        .expect_err("the catalog does not start");
    platform::binary::one_line(&error)
}

#[tokio::test]
async fn an_unreachable_store_stops_the_catalog_at_start_naming_its_flags() {
    // A port nothing listens on.
    let closed = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = closed.local_addr().expect("address");
    drop(closed);
    let mut images = S3Config::new("shop-images");
    images.endpoint = Some(format!("http://{address}"));
    images.credentials = S3Credentials::Static {
        key_id: "test-key".into(),
        secret: "test-secret".into(),
        session_token: None,
    };
    let error = start_error(images).await;
    assert!(
        error.starts_with(&format!(
            "cannot keep images in the S3 bucket \"shop-images\" at http://{address} \
             (check --images-s3-bucket, --images-s3-endpoint"
        )),
        "{error}"
    );
    assert!(!error.contains("test-secret"), "{error}");
}

#[tokio::test]
async fn a_missing_bucket_stops_the_catalog_at_start() {
    let Some(bucket) = TestBucket::create().await else {
        return;
    };
    let mut images = bucket.config(None);
    images.bucket = format!("{}-missing", bucket.name);
    let error = start_error(images).await;
    assert!(
        error.starts_with("cannot keep images in the S3 bucket"),
        "{error}"
    );
    assert!(error.contains("-missing"), "{error}");
    assert!(bucket.keys().await.is_empty(), "the start check cleans up");
}
