//! Health, and every method having an access rule.

use prost::Message;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

use crate::helpers::*;

#[tokio::test]
async fn health_reports_serving() {
    let shop = TestShop::spawn().await;
    let status = HealthClient::new(shop.orders_channel.clone())
        .check(HealthCheckRequest {
            service: "shop.orders.v1.OrderService".into(),
        })
        .await
        .expect("health")
        .into_inner()
        .status();
    assert_eq!(status, ServingStatus::Serving);
}

#[test]
fn every_orders_method_has_an_access_rule_and_every_rule_a_method() {
    let descriptors = prost_types::FileDescriptorSet::decode(contracts::FILE_DESCRIPTOR_SET)
        .expect("descriptor set");
    let mut methods: Vec<String> = descriptors
        .file
        .iter()
        .filter(|f| f.package() == "shop.orders.v1")
        .flat_map(|f| {
            f.service.iter().flat_map(move |s| {
                s.method
                    .iter()
                    .map(move |m| format!("/{}.{}/{}", f.package(), s.name(), m.name()))
            })
        })
        .collect();
    methods.sort();
    let mut ruled: Vec<String> = orders::api::policy().paths().map(str::to_owned).collect();
    ruled.sort();
    assert_eq!(ruled, methods);
}
