//! What operators see of one checkout: one trace across all four services,
//! and the metrics of every service on the admin endpoint.

use std::collections::BTreeSet;

use contracts::orders::OrderStatus;
use opentelemetry::{Value, trace::TraceId};
use opentelemetry_sdk::trace::SpanData;
use platform::testing::{authorized, eventually};

use crate::helpers::TestShop;

/// Places one card order as a new customer; returns when it is CONFIRMED.
async fn checkout(shop: &TestShop, email: &str, request_id: &str) {
    let (token, _) = shop.register(email).await;
    let product = shop.product("Traced Teapot", 2_500, 10).await;
    let order = shop
        .orders
        .clone()
        .create_order(authorized(
            shop.quoted_order(&token, request_id, &product, 1).await,
            &token,
        ))
        .await
        .expect("checkout")
        .into_inner();
    assert_eq!(order.status(), OrderStatus::Confirmed);
}

fn attribute(span: &SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| match &kv.value {
            Value::String(s) => s.as_str().to_owned(),
            other => other.to_string(),
        })
}

/// The services with an RPC span in `trace`.
fn services_in(spans: &[SpanData], trace: TraceId) -> BTreeSet<String> {
    spans
        .iter()
        .filter(|s| s.span_context.trace_id() == trace)
        .filter_map(|s| attribute(s, "service"))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn one_checkout_is_one_trace_across_every_service() {
    let exporter = platform::testing::capture_spans();
    let shop = TestShop::spawn().await;
    checkout(&shop, "traced@example.com", "traced-1").await;

    // The checkout's trace, from the trace context its confirmation event
    // stored (tests running beside this one make checkouts of their own,
    // so "some trace with all four services" may be theirs).
    let confirmed = platform::testing::outbox_events(shop.database_url("orders"))
        .await
        .into_iter()
        .find(|e| e.r#type == "orders.order.confirmed")
        .expect("the order's confirmation in the outbox");
    let trace = confirmed
        .traceparent
        .split('-')
        .nth(1)
        .and_then(|hex| TraceId::from_hex(hex).ok())
        .expect("the event carries the checkout's trace context");
    // Fulfilment is in it too: orders checks the shipping quote's price.
    let everyone: BTreeSet<String> = ["catalog", "fulfilment", "gateway", "orders", "payments"]
        .map(String::from)
        .into();
    eventually(
        "the checkout's spans from all five services share its trace",
        || {
            let exporter = exporter.clone();
            let everyone = everyone.clone();
            async move {
                let spans = exporter.get_finished_spans().unwrap_or_default();
                services_in(&spans, trace) == everyone
            }
        },
    )
    .await;

    let spans = exporter.get_finished_spans().unwrap_or_default();
    assert!(
        spans.iter().any(|s| {
            s.span_context.trace_id() == trace
                && s.name == "/shop.orders.v1.OrderService/CreateOrder"
                && attribute(s, "service").as_deref() == Some("orders")
        }),
        "orders' CreateOrder span in the trace"
    );
    assert!(
        spans
            .iter()
            .any(|s| s.span_context.trace_id() == trace && s.name == "db.transaction"),
        "database work shows in the trace"
    );
    let charge = spans
        .iter()
        .find(|s| {
            s.span_context.trace_id() == trace
                && attribute(s, "service").as_deref() == Some("payments")
        })
        .expect("payments' span in the trace");
    assert!(
        charge.parent_span_id != opentelemetry::trace::SpanId::INVALID,
        "payments' span continues the caller's, it does not start a trace"
    );
    // The confirmation email the order caused joins the same trace, through
    // the event's stored trace context. Events travel in the background (and
    // through a broker under TEST_AMQP_URL): a generous bound, only there to
    // end a failure. Polled slowly: reading the exporter copies every span
    // of this test binary under the lock every other test's spans wait on.
    let applied_in_trace = || {
        exporter
            .get_finished_spans()
            .unwrap_or_default()
            .iter()
            .any(|s| {
                s.span_context.trace_id() == trace
                    && s.name == "orders.order.confirmed"
                    && attribute(s, "consumer").as_deref() == Some("notifications")
            })
    };
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(90);
    while !applied_in_trace() {
        if tokio::time::Instant::now() >= deadline {
            let applied = platform::testing::inbox_holds(
                shop.database_url("notifications"),
                "notifications",
                &confirmed.event_id,
            )
            .await;
            panic!(
                "no span of notifications applying the order's confirmation in its trace \
                 {trace} (notifications applied the event: {applied})"
            );
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    shop.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_checkout_shows_in_the_metrics_of_every_service() {
    platform::metrics::install();
    let shop = TestShop::spawn().await;
    checkout(&shop, "metered@example.com", "metered-1").await;

    let metrics = scrape().await;
    for (service, grpc_service, method) in [
        ("gateway", "shop.orders.v1.OrderService", "CreateOrder"),
        ("orders", "shop.orders.v1.OrderService", "CreateOrder"),
        (
            "catalog",
            "shop.catalog.v1.InventoryService",
            "ReserveStock",
        ),
        ("payments", "shop.payments.v1.PaymentService", "Charge"),
    ] {
        let line = format!(
            "grpc_server_handled_total{{service=\"{service}\",grpc_service=\"{grpc_service}\",\
             grpc_method=\"{method}\",grpc_type=\"unary\",grpc_code=\"OK\"}} "
        );
        assert!(metrics.contains(&line), "no {line} in\n{metrics}");
    }
    for (caller, grpc_service, method) in [
        ("gateway", "shop.orders.v1.OrderService", "CreateOrder"),
        ("orders", "shop.catalog.v1.InventoryService", "ReserveStock"),
        ("orders", "shop.payments.v1.PaymentService", "Charge"),
    ] {
        let line = format!(
            "grpc_client_handled_total{{service=\"{caller}\",grpc_service=\"{grpc_service}\",\
             grpc_method=\"{method}\",grpc_type=\"unary\",grpc_code=\"OK\"}} "
        );
        assert!(metrics.contains(&line), "no {line} in\n{metrics}");
    }
    for line in [
        "orders_saga_outcomes_total{status=\"CONFIRMED\",reason=\"NONE\"} ",
        "db_pool_connections{service=\"orders\",state=\"in_use\"} ",
        "db_pool_max_connections{service=\"catalog\"} ",
        "grpc_server_handling_seconds_bucket{service=\"gateway\",grpc_service=\"shop.orders.v1.OrderService\"",
        "grpc_server_in_flight_requests{service=\"gateway\"",
        "shop_build_info{service=\"payments\"",
    ] {
        assert!(metrics.contains(line), "no {line} in\n{metrics}");
    }
    shop.stop().await;
}

/// GET /metrics from an admin endpoint, as Prometheus would.
async fn scrape() -> String {
    use http_body_util::BodyExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(platform::admin::serve(listener, std::future::pending()));
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Empty<bytes::Bytes>>();
    let response = client
        .get(format!("http://{address}/metrics").parse().expect("uri"))
        .await
        .expect("the metrics endpoint answers");
    assert_eq!(response.status(), 200);
    let body = response
        .into_body()
        .collect()
        .await
        .expect("the whole page")
        .to_bytes();
    String::from_utf8(body.to_vec()).expect("text")
}
