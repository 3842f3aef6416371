//! REST/JSON, transcoded from the same contract: a request to `/v1/...`
//! is matched against the methods' `google.api.http` rules
//! ([`routes`]), its path, query and JSON body become the request message
//! ([`json`]), and the message is sent down as the native gRPC call it
//! stands for ([`call`]), through the very layers a gRPC client's call
//! passes ([`crate::translate`]): metrics, the edge (authentication, the access table, rate
//! limits, deadlines) and the proxy. Nothing is checked here that the
//! edge checks, so nothing can be checked differently. The answer comes
//! back as JSON, a failure as AIP-193 JSON with its HTTP status
//! ([`errors`]). `GET /v1/openapi.json` is the OpenAPI document of the
//! same routes ([`openapi`]).
//!
//! A method that answers with a stream (WatchOrder) answers server-sent
//! events ([`sse`]); one that takes a stream has no REST form (501).

pub mod call;
pub mod errors;
pub mod json;
pub mod openapi;
pub mod routes;
pub mod sse;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use platform::auth::Policy;
use prost_reflect::{DescriptorPool, MessageDescriptor};
use tonic::body::Body;
use tower::{Service, ServiceExt};

use errors::RestError;
use routes::{Found, RouteTable};

/// Where the OpenAPI document is served.
pub const OPENAPI_PATH: &str = "/v1/openapi.json";

/// The largest JSON body read (gRPC's default message limit).
pub const MAX_BODY: usize = 4 * 1024 * 1024;

/// The one method whose JSON body may be larger: an image upload carries
/// up to 4 MiB of bytes, which base64 makes about 5.6 MB.
pub const IMAGE_UPLOAD: &str = "shop.catalog.v1.CatalogService.AddProductImage";
/// The largest body of [`IMAGE_UPLOAD`]: 4 MiB in base64 and room for the
/// other fields (the catalog refuses content over 4 MiB itself).
pub const MAX_IMAGE_UPLOAD_BODY: usize = 6 * 1024 * 1024;

/// Why REST cannot be served from the contract.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("the contract's descriptors: {0}")]
    Descriptors(#[from] prost_reflect::DescriptorError),
    #[error("the contract has no google.rpc.Status")]
    NoStatus,
    #[error(transparent)]
    Routes(#[from] routes::RouteError),
}

/// The contract's descriptors with their options (the HTTP rules) and
/// comments, plus `google.rpc`'s (the error details), as one pool.
pub fn descriptor_pool() -> Result<DescriptorPool, prost_reflect::DescriptorError> {
    use prost::Message;
    let mut pool = DescriptorPool::decode(contracts::FILE_DESCRIPTOR_SET)?;
    // google.rpc's files as tonic-types compiled them, less the well-known
    // types the contract's set already holds.
    let rpc = prost_types::FileDescriptorSet::decode(tonic_types::pb::FILE_DESCRIPTOR_SET)
        .unwrap_or_default();
    let missing: Vec<_> = rpc
        .file
        .into_iter()
        .filter(|file| pool.get_file_by_name(file.name()).is_none())
        .collect();
    pool.add_file_descriptor_protos(missing)?;
    Ok(pool)
}

/// Everything REST needs, built once at start.
pub struct Rest {
    table: RouteTable,
    rpc_status: MessageDescriptor,
    openapi: Bytes,
}

impl Rest {
    /// The routes of the methods `policy` serves, from the contract.
    pub fn new(policy: &Policy) -> Result<Self, SetupError> {
        let pool = descriptor_pool()?;
        let table = RouteTable::build(&pool, policy)?;
        let rpc_status = pool
            .get_message_by_name("google.rpc.Status")
            .ok_or(SetupError::NoStatus)?;
        let openapi = openapi::document(&table, policy).to_string();
        Ok(Self {
            table,
            rpc_status,
            openapi: Bytes::from(openapi),
        })
    }

    /// `google.rpc.Status`, to decode errors' details with.
    pub fn rpc_status(&self) -> &MessageDescriptor {
        &self.rpc_status
    }

    pub fn routes(&self) -> &RouteTable {
        &self.table
    }

    /// The OpenAPI document, as served.
    pub fn openapi(&self) -> &Bytes {
        &self.openapi
    }

    /// The answer to a request refused before any call; logged in our own
    /// words (the error's text never holds a value the client sent).
    fn refused(&self, error: RestError) -> Response<Body> {
        tracing::info!(refusal = %error, "REST request refused");
        errors::refusal(error, &self.rpc_status)
    }
}

/// The body, if JSON (or unlabelled) and no larger than `limit`.
async fn read_body(
    headers: &http::HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Bytes, RestError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|value| {
            let media = value.split(';').next().unwrap_or_default().trim();
            media.eq_ignore_ascii_case("application/json")
                || media.to_ascii_lowercase().ends_with("+json")
        });
    let collected = http_body_util::Limited::new(body, limit)
        .collect()
        .await
        .map_err(|error| {
            if error.is::<http_body_util::LengthLimitError>() {
                RestError::BodyTooLarge(limit)
            } else {
                RestError::BodyUnreadable
            }
        })?
        .to_bytes();
    if !is_json && !collected.iter().all(u8::is_ascii_whitespace) {
        return Err(RestError::NotJson);
    }
    Ok(collected)
}

/// A JSON answer.
pub fn json_response(status: StatusCode, body: impl Into<Bytes>) -> Response<Body> {
    let mut response = Response::new(Body::new(http_body_util::Full::new(body.into())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Whether a request is for REST: under `/v1/` and not gRPC (gRPC paths
/// are `/package.Service/Method`, never `/v1/...`).
pub fn is_rest<B>(request: &Request<B>) -> bool {
    let path = request.uri().path();
    (path == "/v1" || path.starts_with("/v1/")) && !crate::routes::is_grpc(request)
}

impl crate::translate::Translator for Rest {
    fn answers(&self, request: &Request<Body>) -> bool {
        is_rest(request)
    }

    /// Answers one REST request, calling `grpc` for the method it names.
    async fn serve<S>(&self, request: Request<Body>, grpc: S) -> Result<Response<Body>, S::Error>
    where
        S: Service<Request<Body>, Response = Response<Body>> + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Send + 'static,
    {
        let (parts, body) = request.into_parts();
        if parts.method == Method::GET && parts.uri.path() == OPENAPI_PATH {
            return Ok(json_response(StatusCode::OK, self.openapi.clone()));
        }
        let (route, variables) = match self.table.find(&parts.method, parts.uri.path()) {
            Found::Route(route, variables) => (route, variables),
            Found::OtherVerbs(verbs) => return Ok(self.refused(RestError::MethodNotAllowed(verbs))),
            Found::NotFound => return Ok(self.refused(RestError::NotFound)),
        };
        if route.method.is_client_streaming() {
            return Ok(self.refused(RestError::TakesAStream));
        }
        let limit = if route.method.full_name() == IMAGE_UPLOAD {
            MAX_IMAGE_UPLOAD_BODY
        } else {
            MAX_BODY
        };
        let prepared = async {
            let body = read_body(&parts.headers, body, limit).await?;
            let message = json::request_message(route, variables, parts.uri.query(), &body)?;
            let timeout = call::requested_timeout(&parts.headers)?;
            call::grpc_request(parts, &route.grpc_path(), &message, timeout)
        };
        let grpc_request = match prepared.await {
            Ok(request) => request,
            Err(error) => return Ok(self.refused(error)),
        };
        let answer = grpc.oneshot(grpc_request).await?;
        if route.method.is_server_streaming() {
            // Refused before the first message (the edge, NOT_FOUND, ...):
            // a plain error with its HTTP status; else the stream's events.
            return Ok(match call::refusal(&answer) {
                Some(status) => errors::response(&status, &self.rpc_status),
                None => sse::events(
                    answer.into_body(),
                    route.method.output(),
                    self.rpc_status.clone(),
                ),
            });
        }
        Ok(match call::read_answer(answer).await {
            Ok(bytes) => match json::message_json(route.method.output(), &bytes) {
                Some(json) => json_response(StatusCode::OK, json),
                None => self.refused(RestError::BadAnswer),
            },
            Err(status) => errors::response(&status, &self.rpc_status),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rest() -> Rest {
        Rest::new(&crate::routes::policy()).expect("REST from the contract")
    }

    /// Methods of the contract that no client outside the shop may call.
    const INTERNAL: [&str; 12] = [
        "/shop.catalog.v1.InventoryService/ReserveStock",
        "/shop.catalog.v1.InventoryService/ReleaseReservation",
        "/shop.catalog.v1.InventoryService/CommitReservation",
        "/shop.payments.v1.PaymentService/Charge",
        "/shop.payments.v1.PaymentService/Refund",
        "/shop.payments.v1.PaymentService/VoidCharge",
        "/shop.fulfilment.v1.FulfilmentService/CheckShippingQuote",
        "/shop.fulfilment.v1.FulfilmentService/CancelShipment",
        "/shop.events.v1.EventAdminService/ListDeadEvents",
        "/shop.events.v1.EventAdminService/RedriveDeadEvents",
        "/shop.events.v1.EventAdminService/ListDeadLetters",
        "/shop.events.v1.EventAdminService/RedriveDeadLetters",
    ];

    #[test]
    fn every_method_of_the_access_table_has_a_rest_route() {
        let rest = rest();
        let mut routed: Vec<String> = rest
            .routes()
            .routes()
            .iter()
            .map(routes::Route::grpc_path)
            .collect();
        // Images' bytes are files at /images/{id} (crate::images), not JSON.
        let mut served: Vec<String> = crate::routes::policy()
            .paths()
            .filter(|path| *path != "/shop.catalog.v1.CatalogService/GetImageContent")
            .map(str::to_owned)
            .collect();
        routed.sort();
        served.sort();

        assert_eq!(routed, served);
    }

    #[test]
    fn internal_methods_carry_no_http_rule_in_the_contract() {
        let pool = descriptor_pool().expect("pool");
        let rule = pool
            .get_extension_by_name(routes::HTTP_RULE)
            .expect("the extension");
        for path in INTERNAL {
            let (service, method) = path[1..].split_once('/').expect("a method path");
            let method = pool
                .get_service_by_name(service)
                .and_then(|s| s.methods().find(|m| m.name() == method))
                .expect("in the contract");
            assert!(!method.options().has_extension(&rule), "{path} has a route");
        }
    }

    #[test]
    fn requests_find_their_route_by_verb_and_path() {
        let rest = rest();
        let table = rest.routes();
        let Found::Route(route, variables) = table.find(&Method::POST, "/v1/orders/o%2D1:cancel")
        else {
            panic!("CancelOrder is routed");
        };
        assert_eq!(
            route.grpc_path(),
            "/shop.orders.v1.OrderService/CancelOrder"
        );
        assert_eq!(variables.len(), 1);
        assert_eq!(variables[0].0.dotted(), "id");
        assert_eq!(variables[0].1, "o-1");

        let Found::OtherVerbs(verbs) = table.find(&Method::PUT, "/v1/products/p-1") else {
            panic!("the path exists with other verbs");
        };
        assert!(
            verbs.contains(&Method::GET)
                && verbs.contains(&Method::PATCH)
                && verbs.contains(&Method::DELETE)
        );
        assert!(matches!(
            table.find(&Method::GET, "/v1/nothing"),
            Found::NotFound
        ));
    }

    /// Log lines written while `during` runs, as text.
    fn logs_of<T>(during: impl FnOnce() -> T) -> (T, String) {
        use std::sync::{Arc, Mutex};
        #[derive(Clone, Default)]
        struct Lines(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Lines {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().expect("lock").extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_max_level(tracing::Level::TRACE)
            .finish();
        let result = tracing::subscriber::with_default(subscriber, during);
        let text = String::from_utf8_lossy(&lines.0.lock().expect("lock")).into_owned();
        (result, text)
    }

    #[tokio::test]
    async fn a_card_number_in_a_mistyped_field_reaches_neither_the_answer_nor_the_logs() {
        let rest = rest();
        let Found::Route(route, variables) = rest.routes().find(&Method::POST, "/v1/orders") else {
            panic!("CreateOrder is routed");
        };
        let card = "4111111111111111";
        let body =
            format!(r#"{{"requestId": "r-1", "paymentMethod": {{"card": {{"number": {card}}}}}}}"#);

        let (answer, logs) = logs_of(|| {
            let refusal = json::request_message(route, variables, None, body.as_bytes())
                .expect_err("a number where a string belongs");
            rest.refused(refusal)
        });
        let status = answer.status();
        let text = answer.into_body().collect().await.expect("body").to_bytes();
        let text = String::from_utf8_lossy(&text);

        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(text.contains("paymentMethod.card.number"), "{text}");
        assert!(logs.contains("paymentMethod.card.number"), "{logs}");
        assert!(!text.contains(card), "{text}");
        assert!(!logs.contains(card), "{logs}");
    }
}
