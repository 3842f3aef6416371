//! The all-in-one's demo data across services: the demo customer's
//! starting wallet balance, credited once however often the shop starts.

use contracts::payments::{GetWalletRequest, payment_service_client::PaymentServiceClient};
use platform::testing::{authorized, minor};

use crate::helpers::TestShop;

#[tokio::test]
async fn the_demo_customer_starts_with_500_dollars_credited_once() {
    let shop = TestShop::spawn().await;
    let gateway = format!("http://{}", shop.address);
    let payments = format!("http://{}", shop.backends.payments);
    for _ in 0..2 {
        shop::demo::fund_demo_customer(
            gateway.clone(),
            payments.clone(),
            shop.keys.gateway_signer(),
        )
        .await
        .expect("funded");
    }

    let (email, password) = gateway::DEMO_CUSTOMER;
    let token = shop.login(email, password).await.expect("demo login");
    let wallet = PaymentServiceClient::new(shop.channel.clone())
        .get_wallet(authorized(
            GetWalletRequest {
                user_id: String::new(),
                currency_code: "USD".into(),
            },
            &token,
        ))
        .await
        .expect("the demo customer's wallet")
        .into_inner();
    assert_eq!(minor(&wallet.balance), shop::demo::DEMO_WALLET_MINOR);
    assert_eq!(shop::demo::DEMO_WALLET_MINOR, 50_000, "500.00 USD");
}
