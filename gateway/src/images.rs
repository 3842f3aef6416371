//! Product images for browsers: `GET /images/{id}` (the full-size image)
//! and `GET /images/{id}?size=thumb` (the grid-sized copy), and HEAD of
//! both, as `ProductImage.url` and `thumbnail_url` name them.
//!
//! Each becomes a `CatalogService.GetImageContent` call sent down through
//! the same layers as any gRPC call (metrics, the edge's access table and
//! rate limits, the proxy), as REST's are ([`crate::translate`], framed by
//! [`crate::rest::call`]). An
//! image's bytes never change under its id, so the answer may be cached
//! for good (`immutable`), with the bytes' SHA-256 as a strong ETag: a
//! matching `If-None-Match` gets 304 without the bytes. An id that is not
//! one (malformed, unknown, deleted) is 404, never 500.

use contracts::catalog::{GetImageContentRequest, ImageContent, ImageSize};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use prost::Message;
use prost_reflect::MessageDescriptor;
use tonic::{Code, body::Body};
use tower::{Service, ServiceExt};

use crate::{
    rest::{call, errors},
    translate::Translator,
};

/// Where images are served.
pub const PREFIX: &str = "/images/";

/// The gRPC method behind the URLs.
const GET_IMAGE_CONTENT: &str = "/shop.catalog.v1.CatalogService/GetImageContent";

/// How long browsers and caches may keep an image: a year, and never
/// revalidate (a new image is a new id).
const CACHE_FOREVER: &str = "public, max-age=31536000, immutable";

/// Whether a request is for an image: a GET or HEAD under [`PREFIX`].
pub fn is_image_request<B>(request: &Request<B>) -> bool {
    matches!(*request.method(), Method::GET | Method::HEAD)
        && request.uri().path().starts_with(PREFIX)
        && !crate::routes::is_grpc(request)
}

/// The image id and size a URL names, if it names one: a UUID, and no
/// query or `size=full` or `size=thumb`.
fn named(request: &Request<Body>) -> Option<GetImageContentRequest> {
    let id = request.uri().path().strip_prefix(PREFIX)?;
    let id = uuid::Uuid::try_parse(id).ok()?;
    let size = match request.uri().query() {
        None | Some("" | "size=full") => ImageSize::Full,
        Some("size=thumb") => ImageSize::Thumb,
        Some(_) => return None,
    };
    Some(GetImageContentRequest {
        image_id: id.hyphenated().to_string(),
        size: size.into(),
    })
}

/// Image URLs, answered by GetImageContent calls (a [`Translator`]).
pub struct Images {
    rpc_status: MessageDescriptor,
}

impl Images {
    /// `rpc_status` is `google.rpc.Status`, to turn failures into the same
    /// JSON errors REST answers.
    pub fn new(rpc_status: MessageDescriptor) -> Self {
        Self { rpc_status }
    }
}

impl Translator for Images {
    fn answers(&self, request: &Request<Body>) -> bool {
        is_image_request(request)
    }

    /// Answers one image request.
    async fn serve<S>(&self, request: Request<Body>, grpc: S) -> Result<Response<Body>, S::Error>
    where
        S: Service<Request<Body>, Response = Response<Body>> + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Send + 'static,
    {
        let Some(asked) = named(&request) else {
            return Ok(crate::web::not_found());
        };
        let head = request.method() == Method::HEAD;
        let (parts, _) = request.into_parts();
        let if_none_match = parts.headers.get(header::IF_NONE_MATCH).cloned();
        let Ok(grpc_request) =
            call::grpc_request_of(parts, GET_IMAGE_CONTENT, &asked.encode_to_vec(), None)
        else {
            return Ok(crate::web::not_found());
        };
        let answer = grpc.oneshot(grpc_request).await?;
        let content = match call::read_answer(answer).await {
            Ok(bytes) => match ImageContent::decode(bytes) {
                Ok(content) => content,
                Err(_) => {
                    return Ok(errors::response(
                        &tonic::Status::internal("the catalog's answer could not be read"),
                        &self.rpc_status,
                    ));
                }
            },
            // A malformed id the catalog refused, or an image that is not
            // there: either way, no such URL.
            Err(status) if matches!(status.code(), Code::NotFound | Code::InvalidArgument) => {
                return Ok(crate::web::not_found());
            }
            Err(status) => return Ok(errors::response(&status, &self.rpc_status)),
        };
        Ok(image_response(content, if_none_match.as_ref(), head))
    }
}

/// The answer for `content`: 304 if the client's copy is current, else
/// the bytes (none for HEAD), with the headers that let it be cached.
fn image_response(
    content: ImageContent,
    if_none_match: Option<&HeaderValue>,
    head: bool,
) -> Response<Body> {
    let etag = format!("\"{}\"", content.etag);
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_FOREVER),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let fresh = if_none_match.is_some_and(|value| matches(value, &etag));
    let (status, body) = if fresh {
        (StatusCode::NOT_MODIFIED, Body::empty())
    } else {
        if let Ok(value) = HeaderValue::from_str(&content.content_type) {
            headers.insert(header::CONTENT_TYPE, value);
        }
        headers.insert(
            header::CONTENT_LENGTH,
            HeaderValue::from(content.content.len()),
        );
        let body = if head {
            Body::empty()
        } else {
            Body::new(http_body_util::Full::new(bytes::Bytes::from(
                content.content,
            )))
        };
        (StatusCode::OK, body)
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

/// Whether `If-None-Match` names `etag` (or is `*`). Weak tags compare by
/// their value, as RFC 9110 says this header does.
fn matches(if_none_match: &HeaderValue, etag: &str) -> bool {
    let Ok(listed) = if_none_match.to_str() else {
        return false;
    };
    listed
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(uri: &str) -> Request<Body> {
        Request::get(uri).body(Body::empty()).expect("request")
    }

    #[test]
    fn only_uuids_and_known_sizes_are_image_urls() {
        let id = "0192a4a0-0000-7000-8000-000000000001";
        let full = named(&request(&format!("/images/{id}"))).expect("full");
        assert_eq!(
            (full.image_id.as_str(), full.size),
            (id, i32::from(ImageSize::Full))
        );
        let thumb = named(&request(&format!("/images/{id}?size=thumb"))).expect("thumb");
        assert_eq!(thumb.size, i32::from(ImageSize::Thumb));
        for bad in [
            "/images/",
            "/images/42",
            "/images/../etc/passwd",
            &format!("/images/{id}/more"),
            &format!("/images/{id}?size=huge"),
        ] {
            assert!(named(&request(bad)).is_none(), "{bad}");
        }
    }

    #[test]
    fn if_none_match_compares_tags() {
        let etag = "\"abc\"";
        let header = |v: &'static str| HeaderValue::from_static(v);
        assert!(matches(&header("\"abc\""), etag));
        assert!(matches(&header("\"x\", W/\"abc\""), etag));
        assert!(matches(&header("*"), etag));
        assert!(!matches(&header("\"abd\""), etag));
        assert!(!matches(&header("abc"), etag));
    }
}
