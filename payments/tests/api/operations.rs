//! What operators and tools rely on: the checks every service passes
//! (`platform::testing::operations`), run for payments; and a ledger the
//! database itself keeps append-only.

use std::{future::Future, time::Duration};

use payments::processor::card::test_cards;
use platform::{
    auth::Policy,
    clock::Clock,
    db::Migrations,
    testing::{Shutdown, TestAuth, operations::Service},
};
use tokio::net::TcpListener;

use crate::helpers::*;

struct Payments;

impl Service for Payments {
    type Error = payments::StartError;
    const NAME: &'static str = "payments";
    const PACKAGE: &'static str = "shop.payments.v1";
    const SERVICES: &'static [&'static str] = &["shop.payments.v1.PaymentService"];

    fn policy() -> Policy {
        payments::api::policy()
    }

    fn migrations() -> Migrations {
        payments::store::migrations()
    }

    fn serve(
        database_url: &str,
        drain_delay: Duration,
        listener: TcpListener,
        shutdown: Shutdown,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let mut config = config(database_url, &TestAuth::new(), &Clock::default());
        config.drain_delay = drain_delay;
        payments::serve(config, listener, shutdown)
    }
}

platform::operations_tests!(Payments);

#[tokio::test]
async fn the_database_refuses_to_change_or_delete_ledger_entries() {
    let app = TestApp::spawn().await;
    let payment = app
        .charge(charge_request("k1", 500, card(test_cards::APPROVED)))
        .await
        .expect("charge");
    assert!(
        app.execute_sql("UPDATE ledger_entries SET amount_minor = 1")
            .await
            .is_err()
    );
    assert!(app.execute_sql("DELETE FROM ledger_entries").await.is_err());
    let ledger = app.ledger(&payment.id).await;
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger[0].amount_minor, 500);
}
