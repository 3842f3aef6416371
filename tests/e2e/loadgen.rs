//! The load generator against the whole shop in-process: every scenario,
//! over gRPC and grpc-web, makes calls and none fails. Counts only: timings
//! on a shared machine prove nothing.

use std::time::Duration;

use shop::loadgen::{Args, Scenario, Transport, run};

use crate::helpers::*;

/// A shop whose gateway lets one client address make many calls and sign
/// up several accounts, as a load test does (the defaults would refuse it).
async fn shop_for_load() -> TestShop {
    TestShop::spawn_with(|config| {
        config.rate = gateway::limits::Rate {
            per_second: 10_000.0,
            burst: 10_000,
        };
    })
    .await
}

fn args(shop: &TestShop, scenario: Scenario, transport: Transport) -> Args {
    use clap::Parser;
    let mut args = Args::parse_from(["loadgen"]);
    args.target = format!("http://{}", shop.address).parse().expect("uri");
    args.scenario = scenario;
    args.transport = transport;
    args.users = 2;
    args.connections = 2;
    args.warmup = Duration::from_millis(200);
    args.duration = Duration::from_millis(800);
    args.quiet = true;
    args
}

async fn runs_cleanly(args: Args) {
    let report = run(&args).await.expect("the run starts");
    assert!(
        !report.failed(),
        "{:?} over {:?} had errors:\n{}",
        args.scenario,
        args.transport,
        report.render()
    );
    assert!(report.total.ok > 0, "{}", report.render());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_runs_without_errors_over_grpc() {
    let shop = shop_for_load().await;
    for scenario in [
        Scenario::GetProduct,
        Scenario::ListProducts,
        Scenario::Browse,
        Scenario::Checkout,
        Scenario::Mixed,
    ] {
        runs_cleanly(args(&shop, scenario, Transport::Grpc)).await;
    }
    shop.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mix_runs_without_errors_over_grpc_web_in_an_open_loop() {
    let shop = shop_for_load().await;
    let mut open = args(&shop, Scenario::Mixed, Transport::GrpcWeb);
    open.rate = Some(40.0);
    runs_cleanly(open).await;
    shop.stop().await;
}
