//! The native gRPC call a REST request becomes, and the answer read back:
//! the request message framed as gRPC frames it (one byte "not
//! compressed", four bytes of length, the protobuf bytes) in an
//! `application/grpc` request with `te: trailers`, exactly what a gRPC
//! client would send, so the layers below (metrics, the edge, the proxy)
//! cannot tell it from one. The answer's status comes from its trailers
//! (or its headers, for a trailers-only answer).

use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use http::{HeaderMap, HeaderValue, Method, Request, Response, Uri, Version, header, request};
use http_body_util::BodyExt;
use prost::Message;
use prost_reflect::DynamicMessage;
use tonic::{Code, Status, body::Body};

use super::errors::RestError;

/// The headers naming the REST client's deadline, in seconds (`2.5`).
pub const TIMEOUT_HEADERS: [&str; 2] = ["request-timeout", "x-request-timeout"];

/// The client's deadline from [`TIMEOUT_HEADERS`], if it gave one.
pub fn requested_timeout(headers: &HeaderMap) -> Result<Option<Duration>, RestError> {
    let Some((name, value)) = TIMEOUT_HEADERS
        .iter()
        .find_map(|name| headers.get(*name).map(|value| (*name, value)))
    else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|text| text.trim().parse::<f64>().ok())
        .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
        .filter(|timeout| !timeout.is_zero())
        .map(Some)
        .ok_or_else(|| RestError::bad_parameter(name, "must be a positive number of seconds"))
}

/// The gRPC request for `message` to `grpc_path`, keeping what the REST
/// request carried that the edge and the services read (authorization,
/// request id, trace context, the connection's address in the extensions).
pub fn grpc_request(
    parts: request::Parts,
    grpc_path: &str,
    message: &DynamicMessage,
    timeout: Option<Duration>,
) -> Result<Request<Body>, RestError> {
    grpc_request_of(parts, grpc_path, &message.encode_to_vec(), timeout)
}

/// [`grpc_request`] for a message already encoded (`encoded`): what the
/// gateway's own HTTP routes (`/images/...`) call with.
pub fn grpc_request_of(
    mut parts: request::Parts,
    grpc_path: &str,
    encoded: &[u8],
    timeout: Option<Duration>,
) -> Result<Request<Body>, RestError> {
    let length =
        u32::try_from(encoded.len()).map_err(|_| RestError::BodyTooLarge(super::MAX_BODY))?;
    let mut framed = BytesMut::with_capacity(encoded.len() + 5);
    framed.put_u8(0);
    framed.put_u32(length);
    framed.extend_from_slice(encoded);

    parts.method = Method::POST;
    parts.uri = Uri::try_from(grpc_path).map_err(|_| RestError::NotFound)?;
    parts.version = Version::HTTP_2;
    let headers = &mut parts.headers;
    // What described the REST exchange, and anything a client sent that
    // only gRPC itself may set.
    let grpc_own: Vec<header::HeaderName> = headers
        .keys()
        .filter(|name| name.as_str().starts_with("grpc-"))
        .cloned()
        .collect();
    for name in grpc_own {
        headers.remove(name);
    }
    for name in [
        header::CONTENT_TYPE,
        header::CONTENT_LENGTH,
        header::CONTENT_ENCODING,
        header::ACCEPT,
        header::ACCEPT_ENCODING,
        header::HOST,
        header::EXPECT,
        header::TE,
    ] {
        headers.remove(name);
    }
    for name in TIMEOUT_HEADERS {
        headers.remove(name);
    }
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/grpc"),
    );
    headers.insert(header::TE, HeaderValue::from_static("trailers"));
    if let Some(timeout) = timeout
        && let Ok(value) = HeaderValue::from_str(&crate::deadline::format(timeout))
    {
        headers.insert("grpc-timeout", value);
    }
    let body = http_body_util::Full::new(framed.freeze());
    Ok(Request::from_parts(parts, Body::new(body)))
}

/// The failure of a trailers-only answer (every refusal of the edge): its
/// status is in the headers, and its body holds nothing worth reading.
pub fn refusal(response: &Response<Body>) -> Option<Status> {
    Status::from_header_map(response.headers()).filter(|status| status.code() != Code::Ok)
}

/// The answer message's bytes, or the call's status when it failed.
pub async fn read_answer(response: Response<Body>) -> Result<Bytes, Status> {
    if let Some(status) = refusal(&response) {
        return Err(status);
    }
    let (parts, body) = response.into_parts();
    let collected = body.collect().await?;
    let status = collected
        .trailers()
        .and_then(Status::from_header_map)
        .or_else(|| Status::from_header_map(&parts.headers))
        .ok_or_else(|| Status::from(RestError::BadAnswer))?;
    if status.code() != Code::Ok {
        return Err(status);
    }
    unframe(collected.to_bytes()).ok_or_else(|| Status::from(RestError::BadAnswer))
}

/// The one uncompressed message of a unary answer.
fn unframe(mut data: Bytes) -> Option<Bytes> {
    if data.len() < 5 || data[0] != 0 {
        return None;
    }
    let length = u32::from_be_bytes([data[1], data[2], data[3], data[4]]);
    let length = usize::try_from(length).ok()?;
    let message = data.split_off(5);
    (message.len() == length).then_some(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_holds_exactly_its_message() {
        assert_eq!(
            unframe(Bytes::from_static(b"\0\0\0\0\x02hi")),
            Some(Bytes::from_static(b"hi"))
        );
        assert_eq!(unframe(Bytes::from_static(b"\0\0\0\0\x03hi")), None);
        assert_eq!(unframe(Bytes::from_static(b"\x01\0\0\0\x02hi")), None);
        assert_eq!(unframe(Bytes::from_static(b"\0\0")), None);
    }

    #[test]
    fn the_rest_deadline_is_seconds_and_must_be_positive() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert("request-timeout", value.parse().expect("value"));
            requested_timeout(&headers).ok().flatten()
        };
        assert_eq!(with("2.5"), Some(Duration::from_millis(2500)));
        assert_eq!(with("0"), None);
        assert_eq!(with("soon"), None);
        assert_eq!(requested_timeout(&HeaderMap::new()).ok(), Some(None));
    }
}
