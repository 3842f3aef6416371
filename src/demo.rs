//! Demo data that spans services, which the all-in-one (`cargo run`) adds
//! and nothing else does (the Kubernetes overlays never run this): the demo
//! customer's starting wallet balance of 500.00 USD, so checking out with
//! the wallet works out of the box. It goes through payments' own
//! TopUpWallet, as an admin would credit it, with an idempotency key fixed
//! per customer: every start after the first finds it done and credits
//! nothing more (what the customer spent stays spent).

use std::time::Duration;

use contracts::{
    auth::{LoginRequest, auth_service_client::AuthServiceClient},
    common::Money,
    payments::{TopUpWalletRequest, payment_service_client::PaymentServiceClient},
};
use platform::auth::{Role, Signer};
use tonic::{Request, transport::Endpoint};

/// The demo customer's starting balance, in US cents.
pub const DEMO_WALLET_MINOR: i64 = 50_000;

/// How often, and how long apart, the services are tried while they start.
const ATTEMPTS: u32 = 60;
const PAUSE: Duration = Duration::from_millis(500);

/// Credits the demo customer's wallet once (see the module doc), trying
/// while the gateway and payments are still starting. `admin` signs the
/// admin token payments is called with (the gateway's development key).
pub async fn fund_demo_customer(
    gateway_url: String,
    payments_url: String,
    admin: Signer,
) -> Result<(), String> {
    let mut last = String::new();
    for _ in 0..ATTEMPTS {
        match try_fund(&gateway_url, &payments_url, &admin).await {
            Ok(()) => return Ok(()),
            Err(why) => last = why,
        }
        tokio::time::sleep(PAUSE).await;
    }
    Err(last)
}

async fn try_fund(gateway_url: &str, payments_url: &str, admin: &Signer) -> Result<(), String> {
    let (email, password) = gateway::DEMO_CUSTOMER;
    let gateway = Endpoint::from_shared(gateway_url.to_owned())
        .map_err(|e| e.to_string())?
        .connect()
        .await
        .map_err(|e| format!("gateway: {e}"))?;
    // Its id is the gateway's to choose: logging in tells it.
    let login = AuthServiceClient::new(gateway)
        .login(LoginRequest {
            email: email.into(),
            password: password.into(),
        })
        .await
        .map_err(|s| format!("demo customer login: {}", s.message()))?
        .into_inner();
    let user_id = login.user.map(|u| u.id).unwrap_or_default();
    if user_id.is_empty() {
        return Err("the gateway named no demo customer".into());
    }
    let payments = Endpoint::from_shared(payments_url.to_owned())
        .map_err(|e| e.to_string())?
        .connect()
        .await
        .map_err(|e| format!("payments: {e}"))?;
    let mut request = Request::new(TopUpWalletRequest {
        idempotency_key: format!("demo-wallet-{user_id}"),
        user_id,
        amount: Some(Money {
            currency_code: "USD".into(),
            amount_minor: DEMO_WALLET_MINOR,
        }),
        reason: "demo starting balance".into(),
    });
    let token = admin
        .sign("shop-demo", Role::Admin)
        .map_err(|e| e.to_string())?;
    let bearer = format!("Bearer {token}")
        .parse()
        .map_err(|_| "a token that is no header value".to_owned())?;
    request.metadata_mut().insert("authorization", bearer);
    PaymentServiceClient::new(payments)
        .top_up_wallet(request)
        .await
        .map_err(|s| format!("top-up: {}", s.message()))?;
    Ok(())
}
