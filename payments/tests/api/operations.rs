//! What operators and tools rely on: the checks every service passes
//! (`platform::testing::operations`), run for payments; and a ledger the
//! database itself keeps append-only.

use futures_util::FutureExt;
use payments::processor::card::test_cards;
use platform::{
    clock::Clock,
    testing::{TestAuth, operations::Service},
};

use crate::helpers::*;

const PAYMENTS: Service<payments::StartError> = Service {
    name: "payments",
    package: "shop.payments.v1",
    services: &[
        "shop.payments.v1.PaymentService",
        platform::events::admin::SERVICE,
    ],
    policy: payments::api::policy,
    migrations: payments::store::migrations,
    serve: |database_url, drain_delay, listener, shutdown| {
        let mut config = config(database_url, &TestAuth::new(), &Clock::default());
        config.common.drain_delay = drain_delay;
        payments::serve(config, listener, shutdown).boxed()
    },
};

platform::operations_tests!(PAYMENTS);

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
