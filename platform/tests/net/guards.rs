//! Guards on outgoing calls against deliberately failing dependencies on
//! the network: a dead one fails calls fast once the breaker opens, and a
//! hanging one never holds more calls than the limit.

use std::time::Duration;

use platform::{
    client::channel,
    resilience::{Guard, Guarded},
};
use tonic::{Code, transport::Channel};
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
use tonic_types::StatusExt;
use tower::ServiceExt;

use crate::helpers::*;

const GUARD: Guard = Guard {
    timeout: Duration::from_secs(10),
    max_in_flight: 3,
    failures_to_open: 4,
    cool_down: Duration::from_secs(60),
};

async fn check_through(service: &Guarded<Channel>) -> Result<(), tonic::Status> {
    HealthClient::new(service.clone())
        .check(HealthCheckRequest::default())
        .await
        .map(drop)
}

#[tokio::test]
async fn a_dead_dependency_is_called_until_the_breaker_opens_then_calls_fail_fast() {
    let dead = FakeBackend::spawn(Behaviour::Unavailable).await;
    let service = GUARD.wrap("payments", channel(&dead.url()).expect("channel"));

    let mut refusals = Vec::new();
    for _ in 0..20 {
        refusals.push(check_through(&service).await.expect_err("dead"));
    }

    assert_eq!(
        dead.calls(),
        4,
        "only the calls before the breaker opened reach it"
    );
    assert!(refusals.iter().all(|s| s.code() == Code::Unavailable));
    assert!(
        refusals[19].message().contains("circuit open"),
        "{:?}",
        refusals[19]
    );
}

#[tokio::test]
async fn an_unreachable_dependency_opens_the_breaker_too() {
    let gone = FakeBackend::spawn(Behaviour::Healthy).await;
    let url = gone.url();
    drop(gone);
    let service = GUARD.wrap("catalog", channel(&url).expect("channel"));

    for _ in 0..10 {
        let status = check_through(&service).await.expect_err("nobody listens");
        assert_eq!(status.code(), Code::Unavailable);
    }

    assert!(service.is_open());
}

#[tokio::test]
async fn a_hanging_dependency_holds_at_most_the_limit_of_calls() {
    let stuck = FakeBackend::spawn(Behaviour::Hang).await;
    let service = GUARD.wrap("catalog", channel(&stuck.url()).expect("channel"));

    let calls: Vec<_> = (0..10)
        .map(|_| {
            let service = service.clone();
            tokio::spawn(async move { check_through(&service).await })
        })
        .collect();
    eventually("the limit of calls reached the backend", || async {
        stuck.calls() == 3
    })
    .await;
    // Give the waiting calls every chance to get through if the limit leaked.
    tokio::time::sleep(Duration::from_millis(200)).await;

    assert_eq!(stuck.calls(), 3);
    for call in calls {
        call.abort();
    }
}

#[tokio::test]
async fn a_healthy_dependency_passes_through_untouched() {
    let fine = FakeBackend::spawn(Behaviour::Healthy).await;
    let service = GUARD.wrap("catalog", channel(&fine.url()).expect("channel"));

    for _ in 0..10 {
        check_through(&service).await.expect("healthy");
    }

    assert_eq!(fine.calls(), 10);
}

#[tokio::test]
async fn an_error_answer_with_hundreds_of_violations_arrives_bounded_and_counts_for_nothing() {
    let picky = FakeBackend::spawn(Behaviour::Invalid { violations: 500 }).await;
    let service = GUARD.wrap("catalog", channel(&picky.url()).expect("channel"));

    for _ in 0..10 {
        let status = check_through(&service).await.expect_err("invalid");
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert!(status.message().ends_with("and 480 more"));
        let details = status.get_error_details();
        let listed = &details.bad_request().expect("violations").field_violations;
        assert_eq!(listed.len(), 20);
    }

    assert!(!service.is_open());
    assert_eq!(picky.calls(), 10);
}

#[tokio::test]
async fn an_answer_too_large_to_read_breaks_that_call_only() {
    let loud = FakeBackend::spawn(Behaviour::Oversized).await;
    let service = GUARD.wrap("catalog", channel(&loud.url()).expect("channel"));

    for _ in 0..10 {
        let status = check_through(&service).await.expect_err("unreadable");
        assert_eq!(status.code(), Code::Internal, "{status:?}");
        assert_eq!(platform::testing::reason(&status), "CALL_BROKEN");
    }

    assert!(!service.is_open());
    assert_eq!(loud.calls(), 10);
}

#[tokio::test]
async fn a_caller_going_away_mid_request_counts_for_nothing() {
    let fine = FakeBackend::spawn(Behaviour::Healthy).await;
    let service = GUARD.wrap("catalog", channel(&fine.url()).expect("channel"));

    for _ in 0..10 {
        let response = service
            .clone()
            .oneshot(platform::testing::health_check_whose_body_breaks_off(
                "catalog",
            ))
            .await
            .expect("infallible");
        let code = platform::error::grpc_status(response.headers());
        assert_ne!(code, Some(Code::Unavailable), "{response:?}");
    }

    assert!(!service.is_open());
    check_through(&service).await.expect("still called");
}
