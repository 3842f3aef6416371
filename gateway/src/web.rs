//! The browser storefront: the built files of `web/` (`web/dist`), embedded
//! in the binary so running the gateway needs no Node.js, served at `/`.
//!
//! [`WebLayer`] answers the page's GETs before the grpc-web translation,
//! and any other request that is not gRPC or grpc-web with 404 Not Found
//! (the translation would call it a bad request).

use axum::{
    Router,
    extract::Path,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use include_dir::{Dir, include_dir};
use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};
use tower::{Layer, Service, ServiceExt};

static DIST: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../web/dist");

/// `GET /` (the page) and `GET /assets/...` (its scripts and styles).
fn router() -> Router {
    Router::new()
        .route("/", get(index))
        .route("/index.html", get(index))
        .route("/assets/{*path}", get(asset))
}

/// Whether a request is for the storefront's files.
fn is_page_request<B>(request: &http::Request<B>) -> bool {
    let path = request.uri().path();
    matches!(*request.method(), http::Method::GET | http::Method::HEAD)
        && (path == "/" || path == "/index.html" || path.starts_with("/assets/"))
}

/// 404 with a short plain-text body: what the gateway answers to any URL
/// it does not serve.
pub fn not_found() -> http::Response<tonic::body::Body> {
    let mut response = http::Response::new(tonic::body::Body::new(axum::body::Body::from(
        "not found\n",
    )));
    *response.status_mut() = StatusCode::NOT_FOUND;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// Tower layer sending the storefront's GETs to [`router`], gRPC on, and
/// everything else to [`not_found`].
#[derive(Clone, Default)]
pub struct WebLayer;

impl<S> Layer<S> for WebLayer {
    type Service = WebService<S>;

    fn layer(&self, inner: S) -> WebService<S> {
        WebService {
            inner,
            pages: router(),
        }
    }
}

/// The service [`WebLayer`] wraps.
#[derive(Clone)]
pub struct WebService<S> {
    inner: S,
    pages: Router,
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S> Service<http::Request<tonic::body::Body>> for WebService<S>
where
    S: Service<http::Request<tonic::body::Body>, Response = http::Response<tonic::body::Body>>
        + Send,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        if !is_page_request(&request) {
            if crate::routes::is_grpc(&request) {
                return Box::pin(self.inner.call(request));
            }
            return Box::pin(std::future::ready(Ok(not_found())));
        }
        let pages = self.pages.clone();
        Box::pin(async move {
            let request = request.map(axum::body::Body::new);
            let response = match pages.oneshot(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            Ok(response.map(tonic::body::Body::new))
        })
    }
}

async fn index() -> Response {
    // The page names its assets by content hash, so only it must be fresh.
    file("index.html", "no-cache")
}

async fn asset(Path(path): Path<String>) -> Response {
    file(
        &format!("assets/{path}"),
        "public, max-age=31536000, immutable",
    )
}

fn file(path: &str, cache: &'static str) -> Response {
    match DIST.get_file(path) {
        Some(file) => (
            [
                (header::CONTENT_TYPE, content_type(path)),
                (header::CACHE_CONTROL, cache),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            file.contents(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_storefront_is_embedded_and_links_its_assets() {
        let index = DIST
            .get_file("index.html")
            .and_then(|f| f.contents_utf8())
            .expect("web/dist/index.html is embedded");
        for asset in DIST.get_dir("assets").expect("assets").files() {
            let name = asset
                .path()
                .file_name()
                .and_then(|n| n.to_str())
                .expect("name");
            assert!(
                index.contains(name)
                    || asset
                        .path()
                        .extension()
                        .is_some_and(|ext| ext.eq_ignore_ascii_case("map")),
                "{name} is not linked"
            );
        }
    }
}
