//! The browser storefront: the built files of `web/` (`web/dist`), embedded
//! in the binary so running the gateway needs no Node.js, served at `/`,
//! and the API reference page (Redoc reading `/v1/openapi.json`) at `/docs`.
//!
//! [`WebLayer`] answers the page's GETs before the grpc-web translation,
//! and any other request that is not gRPC or grpc-web with 404 Not Found
//! (the translation would call it a bad request). Text files are served
//! brotli- or gzip-compressed when the browser accepts it, from copies the
//! web build made (`web/compress.mjs`), so nothing is compressed per request.

use axum::{
    Router,
    extract::Path,
    http::{HeaderMap, StatusCode, header},
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

/// The icon, also at the path browsers ask for without reading the page.
const ICONS: [&str; 2] = ["/favicon.svg", "/favicon.ico"];

/// Where the API reference page is.
pub const DOCS_PATH: &str = "/docs";

/// `GET /` (the page), `GET /assets/...` (its scripts and styles), the icon
/// and the API reference page with its script.
fn router() -> Router {
    Router::new()
        .route("/", get(index))
        .route("/index.html", get(index))
        .route("/assets/{*path}", get(asset))
        .route(DOCS_PATH, get(docs))
        .route("/docs/", get(docs))
        .route("/docs/{*path}", get(docs_asset))
        .route(ICONS[0], get(icon))
        .route(ICONS[1], get(icon))
}

/// Whether a request is for the storefront's files.
fn is_page_request<B>(request: &http::Request<B>) -> bool {
    let path = request.uri().path();
    matches!(*request.method(), http::Method::GET | http::Method::HEAD)
        && (path == "/"
            || path == "/index.html"
            || path.starts_with("/assets/")
            || path == DOCS_PATH
            || path.starts_with("/docs/")
            || ICONS.contains(&path))
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

async fn index(headers: HeaderMap) -> Response {
    // The page names its assets by content hash, so only it must be fresh.
    file("index.html", "no-cache", &headers)
}

async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    file(
        &format!("assets/{path}"),
        "public, max-age=31536000, immutable",
        &headers,
    )
}

async fn docs(headers: HeaderMap) -> Response {
    file("docs/index.html", "no-cache", &headers)
}

async fn docs_asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    // In a folder named by Redoc's version (web/docs.mjs): a new one is a new URL.
    file(
        &format!("docs/{path}"),
        "public, max-age=31536000, immutable",
        &headers,
    )
}

async fn icon(headers: HeaderMap) -> Response {
    file("favicon.svg", "public, max-age=86400", &headers)
}

/// The embedded file `path`, in the best encoding the request accepts
/// that the build made a copy in.
fn file(path: &str, cache: &'static str, request: &HeaderMap) -> Response {
    let Some(plain) = DIST.get_file(path) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let encoded = ["br", "gzip"].into_iter().find_map(|encoding| {
        let suffix = if encoding == "br" { "br" } else { "gz" };
        let copy = DIST.get_file(format!("{path}.{suffix}"))?;
        accepts(request, encoding).then_some((encoding, copy.contents()))
    });
    let common = [
        (header::CONTENT_TYPE, content_type(path)),
        (header::CACHE_CONTROL, cache),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        // Caches keep one copy per encoding.
        (header::VARY, "Accept-Encoding"),
    ];
    match encoded {
        Some((encoding, body)) => {
            (common, [(header::CONTENT_ENCODING, encoding)], body).into_response()
        }
        None => (common, plain.contents()).into_response(),
    }
}

/// Whether `Accept-Encoding` allows `encoding` (named, or `*`, and not
/// refused with `q=0`).
fn accepts(request: &HeaderMap, encoding: &str) -> bool {
    let offered = request
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','));
    let mut verdict = false;
    for item in offered {
        let mut parts = item.split(';').map(str::trim);
        let name = parts.next().unwrap_or_default();
        let refused = parts.any(|p| {
            p.strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        if name.eq_ignore_ascii_case(encoding) {
            return !refused;
        }
        if name == "*" {
            verdict = !refused;
        }
    }
    verdict
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
        Some("txt") => "text/plain; charset=utf-8",
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
            let linked = name
                .strip_suffix(".br")
                .or_else(|| name.strip_suffix(".gz"))
                .unwrap_or(name);
            assert!(index.contains(linked), "{name} is not linked");
        }
    }

    fn accepting(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_ENCODING, value.parse().expect("a header"));
        headers
    }

    async fn body_of(response: Response) -> Vec<u8> {
        axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("a body")
            .to_vec()
    }

    #[tokio::test]
    async fn assets_go_out_in_the_best_encoding_the_browser_accepts() {
        let script = DIST
            .get_dir("assets")
            .expect("assets")
            .files()
            .find(|f| f.path().extension().is_some_and(|e| e == "js"))
            .expect("the script");
        let path = script.path().to_str().expect("a path");
        for (accept, encoding, suffix) in [
            ("gzip, deflate, br, zstd", Some("br"), ".br"),
            ("gzip", Some("gzip"), ".gz"),
            ("br;q=0, gzip;q=0.5", Some("gzip"), ".gz"),
            ("*", Some("br"), ".br"),
            ("identity", None, ""),
            ("gzip;q=0", None, ""),
        ] {
            let response = file(path, "no-cache", &accepting(accept));
            assert_eq!(response.status(), StatusCode::OK);
            let said = response
                .headers()
                .get(header::CONTENT_ENCODING)
                .map(|v| v.to_str().expect("text").to_owned());
            assert_eq!(said.as_deref(), encoding, "Accept-Encoding: {accept}");
            assert_eq!(
                response
                    .headers()
                    .get(header::VARY)
                    .map(http::HeaderValue::as_bytes),
                Some(&b"Accept-Encoding"[..])
            );
            let expected = DIST
                .get_file(format!("{path}{suffix}"))
                .expect("the copy")
                .contents();
            assert_eq!(
                body_of(response).await,
                expected,
                "Accept-Encoding: {accept}"
            );
        }
        let plain = DIST.get_file(path).expect("the script").contents().len();
        let br = DIST
            .get_file(format!("{path}.br"))
            .expect("br")
            .contents()
            .len();
        assert!(
            br * 3 < plain,
            "compressed to under a third: {br} of {plain}"
        );
    }

    #[tokio::test]
    async fn the_icon_is_served_where_browsers_look_for_it() {
        for path in ICONS {
            get_ok(path, "image/svg+xml").await;
        }
    }

    /// The body of `GET path` from [`router`], after checking it is 200 OK
    /// of `content_type`.
    async fn get_ok(path: &str, content_type: &str) -> String {
        let response = router()
            .oneshot(
                http::Request::get(path)
                    .body(axum::body::Body::empty())
                    .expect("a request"),
            )
            .await
            .expect("an answer");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            response
                .headers()
                .get(header::CONTENT_TYPE)
                .map(|v| v.to_str().ok()),
            Some(Some(content_type)),
            "{path}"
        );
        String::from_utf8(body_of(response).await).expect("text")
    }

    #[tokio::test]
    async fn the_api_reference_page_renders_the_openapi_document_with_its_embedded_script() {
        let page = get_ok(DOCS_PATH, "text/html; charset=utf-8").await;
        assert_eq!(page, get_ok("/docs/", "text/html; charset=utf-8").await);
        assert!(
            page.contains(&format!(r#"spec-url="{}""#, crate::rest::OPENAPI_PATH)),
            "{page}"
        );
        let script = page
            .split(r#"<script src=""#)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("the page loads a script");
        assert!(script.starts_with("/docs/"), "{script}");
        let bundle = get_ok(script, "text/javascript; charset=utf-8").await;
        assert!(bundle.contains("Redoc"), "the Redoc bundle");
        // The storefront's footer links here.
        let index = get_ok("/", "text/html; charset=utf-8").await;
        assert!(index.contains(&format!(r#"href="{DOCS_PATH}""#)), "{index}");
    }
}
