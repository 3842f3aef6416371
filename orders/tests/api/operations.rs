//! Health, and every method having an access rule.

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
    platform::testing::assert_policy_covers("shop.orders.v1", &orders::api::policy());
}
