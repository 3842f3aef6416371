//! Calls between services spread over every replica behind one name, and
//! follow the name as replicas come and go.

use platform::client::{ChannelOptions, connect};

use crate::helpers::*;

async fn replicas(n: usize) -> Vec<FakeBackend> {
    let mut replicas = Vec::new();
    for _ in 0..n {
        replicas.push(FakeBackend::spawn(Behaviour::Healthy).await);
    }
    replicas
}

fn options(dns: &FakeDns) -> ChannelOptions {
    ChannelOptions {
        resolver: dns.resolver(),
        resolve_every: REFRESH,
        ..ChannelOptions::default()
    }
}

/// Calls until every replica in `replicas` has had one more call (at most 500 calls).
async fn call_until_each_is_reached(
    channel: &tonic::transport::Channel,
    replicas: &[&FakeBackend],
) {
    let before: Vec<usize> = replicas.iter().map(|r| r.calls()).collect();
    for _ in 0..500 {
        check(channel).await.expect("health check");
        if replicas.iter().zip(&before).all(|(r, b)| r.calls() > *b) {
            return;
        }
    }
    panic!("some replica never received a call");
}

#[tokio::test]
async fn calls_spread_over_every_replica_behind_one_name() {
    let replicas = replicas(3).await;
    let dns = FakeDns::new(&replicas.iter().map(|r| r.address).collect::<Vec<_>>());
    let channel = connect("http://catalog.shop.test:50051", &options(&dns)).expect("channel");

    call_until_each_is_reached(&channel, &replicas.iter().collect::<Vec<_>>()).await;
}

#[tokio::test]
async fn a_replica_that_leaves_the_name_gets_no_more_calls_and_a_new_one_gets_calls() {
    let mut replicas = replicas(3).await;
    let dns = FakeDns::new(&replicas.iter().map(|r| r.address).collect::<Vec<_>>());
    let channel = connect("http://catalog.shop.test:50051", &options(&dns)).expect("channel");
    call_until_each_is_reached(&channel, &replicas.iter().collect::<Vec<_>>()).await;

    let gone = replicas.remove(0);
    dns.set(&[replicas[0].address, replicas[1].address]);
    dns.propagated().await;
    let calls_before = gone.calls();
    for _ in 0..50 {
        check(&channel)
            .await
            .expect("the remaining replicas answer");
    }
    assert_eq!(
        gone.calls(),
        calls_before,
        "the removed replica still gets calls"
    );

    let newcomer = FakeBackend::spawn(Behaviour::Healthy).await;
    dns.set(&[replicas[0].address, replicas[1].address, newcomer.address]);
    dns.propagated().await;
    call_until_each_is_reached(&channel, &[&replicas[0], &replicas[1], &newcomer]).await;
    assert_eq!(gone.calls(), calls_before);
}

#[tokio::test]
async fn a_failed_lookup_keeps_the_replicas_already_known() {
    let replicas = replicas(2).await;
    let dns = FakeDns::new(&[replicas[0].address, replicas[1].address]);
    let channel = connect("http://catalog.shop.test:50051", &options(&dns)).expect("channel");
    call_until_each_is_reached(&channel, &[&replicas[0], &replicas[1]]).await;

    dns.set(&[]);
    dns.propagated().await;

    call_until_each_is_reached(&channel, &[&replicas[0], &replicas[1]]).await;
}

#[tokio::test]
async fn localhost_is_one_channel_that_finds_the_listening_address() {
    let replica = FakeBackend::spawn(Behaviour::Healthy).await;
    let url = format!("http://localhost:{}", replica.address.port());
    let channel = connect(&url, &ChannelOptions::default()).expect("channel");

    for _ in 0..20 {
        check(&channel).await.expect("health check over localhost");
    }
    assert_eq!(replica.calls(), 20);
}
