//! Product images as browsers fetch them: `/images/{id}` becomes a
//! GetImageContent call through the gateway's edge, answered as a file
//! with its type, a strong ETag and caching for good; 304 when the
//! browser's copy is current; 404 for any id that is not an image. And an
//! upload as large as the catalog takes gets through the gateway's REST.
//! The catalog is an in-process fake that serves one image.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use base64::Engine as _;
use bytes::Bytes;
use contracts::catalog::{
    AddProductImageRequest, BatchGetProductsRequest, BatchGetProductsResponse,
    CreateProductRequest, DeleteProductImageRequest, DeleteProductImageResponse,
    DeleteProductRequest, DeleteProductResponse, GetImageContentRequest, GetProductRequest,
    ImageContent, ImageSize, ListCategoriesRequest, ListCategoriesResponse, ListProductsRequest,
    ListProductsResponse, Product, ProductImage, ReorderProductImagesRequest, UpdateProductRequest,
    catalog_service_server::{CatalogService, CatalogServiceServer},
};
use gateway::routes;
use http_body_util::{BodyExt, Full};
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use platform::{
    auth::Role,
    testing::{TestAuth, TestDatabase},
};
use tonic::{Request, Response, Status, transport::server::TcpIncoming};

/// The one image the fake catalog has.
const IMAGE_ID: &str = "0192a4a0-0000-7000-8000-000000000001";
/// An image the fake catalog says is gone.
const GONE_ID: &str = "0192a4a0-0000-7000-8000-0000000000ff";
/// An image whose reading the fake catalog says is unavailable.
const DOWN_ID: &str = "0192a4a0-0000-7000-8000-0000000000dd";
const FULL: &[u8] = b"\x89PNG full-size bytes";
const THUMB: &[u8] = b"\xff\xd8\xff thumbnail bytes";

/// The catalog's message limit: a 4 MiB image and room around it.
const CATALOG_MESSAGE_LIMIT: usize = 4 * 1024 * 1024 + 16 * 1024;

/// A loopback port nothing listens on.
const NOWHERE: &str = "http://127.0.0.1:1";

#[derive(Clone, Default)]
struct FakeCatalog {
    /// The sizes of the uploads that reached it.
    uploads: Arc<Mutex<Vec<usize>>>,
}

fn not_here<T>() -> Result<Response<T>, Status> {
    Err(Status::unimplemented("not routed in these tests"))
}

#[tonic::async_trait]
impl CatalogService for FakeCatalog {
    async fn list_products(
        &self,
        _: Request<ListProductsRequest>,
    ) -> Result<Response<ListProductsResponse>, Status> {
        not_here()
    }

    async fn get_product(
        &self,
        _: Request<GetProductRequest>,
    ) -> Result<Response<Product>, Status> {
        not_here()
    }

    async fn batch_get_products(
        &self,
        _: Request<BatchGetProductsRequest>,
    ) -> Result<Response<BatchGetProductsResponse>, Status> {
        not_here()
    }

    async fn create_product(
        &self,
        _: Request<CreateProductRequest>,
    ) -> Result<Response<Product>, Status> {
        not_here()
    }

    async fn update_product(
        &self,
        _: Request<UpdateProductRequest>,
    ) -> Result<Response<Product>, Status> {
        not_here()
    }

    async fn delete_product(
        &self,
        _: Request<DeleteProductRequest>,
    ) -> Result<Response<DeleteProductResponse>, Status> {
        not_here()
    }

    async fn list_categories(
        &self,
        _: Request<ListCategoriesRequest>,
    ) -> Result<Response<ListCategoriesResponse>, Status> {
        not_here()
    }

    async fn add_product_image(
        &self,
        request: Request<AddProductImageRequest>,
    ) -> Result<Response<ProductImage>, Status> {
        let size = request.get_ref().content.len();
        self.uploads.lock().expect("lock").push(size);
        Ok(Response::new(ProductImage {
            id: IMAGE_ID.to_owned(),
            size_bytes: i64::try_from(size).expect("small"),
            ..ProductImage::default()
        }))
    }

    async fn delete_product_image(
        &self,
        _: Request<DeleteProductImageRequest>,
    ) -> Result<Response<DeleteProductImageResponse>, Status> {
        not_here()
    }

    async fn reorder_product_images(
        &self,
        _: Request<ReorderProductImagesRequest>,
    ) -> Result<Response<Product>, Status> {
        not_here()
    }

    async fn get_image_content(
        &self,
        request: Request<GetImageContentRequest>,
    ) -> Result<Response<ImageContent>, Status> {
        let request = request.into_inner();
        match request.image_id.as_str() {
            IMAGE_ID => {}
            DOWN_ID => return Err(Status::unavailable("the database is away")),
            _ => return Err(Status::not_found("no such image")),
        }
        let thumb = request.size == i32::from(ImageSize::Thumb);
        Ok(Response::new(if thumb {
            ImageContent {
                content_type: "image/jpeg".into(),
                content: THUMB.to_vec(),
                etag: "b".repeat(64),
            }
        } else {
            ImageContent {
                content_type: "image/png".into(),
                content: FULL.to_vec(),
                etag: "a".repeat(64),
            }
        }))
    }
}

/// A gateway in front of the fake catalog.
struct Shop {
    url: String,
    auth: TestAuth,
    catalog: FakeCatalog,
    _database: TestDatabase,
}

/// An HTTP answer.
struct Answer {
    status: u16,
    headers: http::HeaderMap,
    body: Bytes,
}

impl Answer {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

impl Shop {
    async fn start() -> Self {
        let catalog = FakeCatalog::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let backend: SocketAddr = listener.local_addr().expect("address");
        let server = tonic::transport::Server::builder()
            .add_service(
                CatalogServiceServer::new(catalog.clone())
                    .max_decoding_message_size(CATALOG_MESSAGE_LIMIT),
            )
            .serve_with_incoming(TcpIncoming::from(listener));
        tokio::spawn(server);

        let database = TestDatabase::new().await;
        let auth = TestAuth::new();
        let backends = routes::backends().into_iter().map(|name| {
            let url = if name == "catalog" {
                format!("http://{backend}")
            } else {
                NOWHERE.to_owned()
            };
            (name, url)
        });
        let config = gateway::Config::new(
            database.url(),
            auth.gateway_signer(),
            auth.verifier(),
            backends,
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(gateway::serve(config, listener, std::future::pending()));
        Self {
            url,
            auth,
            catalog,
            _database: database,
        }
    }

    async fn send(&self, request: http::request::Builder, body: Bytes) -> Answer {
        let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        let request = request.body(Full::new(body)).expect("request");
        let response = client.request(request).await.expect("an answer");
        let (parts, body) = response.into_parts();
        Answer {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: body.collect().await.expect("the body").to_bytes(),
        }
    }

    async fn get(&self, path: &str) -> Answer {
        self.send(
            http::Request::get(format!("{}{path}", self.url)),
            Bytes::new(),
        )
        .await
    }
}

#[tokio::test]
async fn an_image_is_served_with_its_type_and_cached_for_good() {
    let shop = Shop::start().await;
    let answer = shop.get(&format!("/images/{IMAGE_ID}")).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body.as_ref(), FULL);
    assert_eq!(answer.header("content-type"), "image/png");
    assert_eq!(answer.header("etag"), format!("\"{}\"", "a".repeat(64)));
    assert_eq!(
        answer.header("cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(answer.header("x-content-type-options"), "nosniff");

    let thumb = shop.get(&format!("/images/{IMAGE_ID}?size=thumb")).await;
    assert_eq!(thumb.status, 200);
    assert_eq!(thumb.body.as_ref(), THUMB);
    assert_eq!(thumb.header("content-type"), "image/jpeg");
    assert_eq!(thumb.header("etag"), format!("\"{}\"", "b".repeat(64)));
}

#[tokio::test]
async fn a_current_copy_is_not_sent_again() {
    let shop = Shop::start().await;
    let etag = format!("\"{}\"", "a".repeat(64));
    let url = format!("{}/images/{IMAGE_ID}", shop.url);
    let answer = shop
        .send(
            http::Request::get(&url).header("if-none-match", &etag),
            Bytes::new(),
        )
        .await;
    assert_eq!(answer.status, 304);
    assert!(answer.body.is_empty());
    assert_eq!(answer.header("etag"), etag);

    let stale = shop
        .send(
            http::Request::get(&url).header("if-none-match", "\"old\""),
            Bytes::new(),
        )
        .await;
    assert_eq!(stale.status, 200);
    assert_eq!(stale.body.as_ref(), FULL);
}

#[tokio::test]
async fn head_answers_the_headers_without_the_bytes() {
    let shop = Shop::start().await;
    let answer = shop
        .send(
            http::Request::head(format!("{}/images/{IMAGE_ID}", shop.url)),
            Bytes::new(),
        )
        .await;
    assert_eq!(answer.status, 200);
    assert!(answer.body.is_empty());
    assert_eq!(answer.header("content-type"), "image/png");
    assert_eq!(answer.header("content-length"), FULL.len().to_string());
    assert_eq!(answer.header("etag"), format!("\"{}\"", "a".repeat(64)));
}

#[tokio::test]
async fn anything_but_an_image_id_is_not_found() {
    let shop = Shop::start().await;
    for path in [
        format!("/images/{GONE_ID}"),
        "/images/42".to_owned(),
        "/images/".to_owned(),
        "/images/%2e%2e%2fetc%2fpasswd".to_owned(),
        format!("/images/{IMAGE_ID}/more"),
        format!("/images/{IMAGE_ID}?size=enormous"),
    ] {
        let answer = shop.get(&path).await;
        assert_eq!(answer.status, 404, "{path}");
    }
}

#[tokio::test]
async fn other_failures_keep_their_meaning() {
    let shop = Shop::start().await;
    let answer = shop.get(&format!("/images/{DOWN_ID}")).await;
    assert_eq!(answer.status, 503);
    let json: serde_json::Value = serde_json::from_slice(&answer.body).expect("json error");
    assert_eq!(json["error"]["status"], "UNAVAILABLE");
}

#[tokio::test]
async fn a_4_mib_upload_gets_through_rest_and_a_larger_one_is_refused() {
    let shop = Shop::start().await;
    let admin = shop.auth.user_token("admin-1", Role::Admin);
    let upload = |size: usize| {
        let body = serde_json::json!({
            "content": base64::engine::general_purpose::STANDARD.encode(vec![7u8; size]),
            "altText": "a picture",
        });
        (
            http::Request::post(format!(
                "{}/v1/products/0192a4a0-0000-7000-8000-00000000000a/images",
                shop.url
            ))
            .header("authorization", format!("Bearer {admin}"))
            .header("content-type", "application/json"),
            Bytes::from(body.to_string()),
        )
    };
    let (request, body) = upload(4 * 1024 * 1024);
    assert!(body.len() > 5_500_000, "base64 makes it larger");
    let answer = shop.send(request, body).await;
    assert_eq!(
        answer.status,
        200,
        "{:?}",
        String::from_utf8_lossy(&answer.body)
    );
    assert_eq!(
        *shop.catalog.uploads.lock().expect("lock"),
        [4 * 1024 * 1024]
    );

    let (request, body) = upload(5 * 1024 * 1024);
    let answer = shop.send(request, body).await;
    assert_eq!(answer.status, 413);
    assert_eq!(shop.catalog.uploads.lock().expect("lock").len(), 1);
}
