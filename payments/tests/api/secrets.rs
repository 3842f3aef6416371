//! Card numbers and CVCs are used for the one call they come with and go
//! nowhere else: not into the logs (at any level, ours or our
//! dependencies'), not into the database, not into a `Debug` print.

use std::sync::{Arc, Mutex, Once};

use contracts::payments as proto;
use payments::processor::card::test_cards;
use tracing_subscriber::fmt::MakeWriter;

use crate::helpers::*;

/// A CVC that nothing else in a log line is likely to spell.
const CVC: &str = "3141";

/// Log output collected in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        let bytes = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Whether `text` holds `secret` as a whole word (so "3141" is not found
/// in "31415").
fn holds_word(text: &str, secret: &str) -> bool {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|word| word == secret)
}

/// Charges and refunds with cards the way checkout does: approved,
/// declined, interrupted and retried, and one with a mistyped number.
async fn card_traffic(app: &TestApp) {
    let cards = [
        ("approved", test_cards::APPROVED),
        ("declined", test_cards::DECLINED),
        ("flaky", test_cards::FLAKY),
    ];
    for (key, number) in cards {
        let request = charge_request(key, 1234, card_with(number, 12, 2099, CVC));
        let _ = app.charge(request.clone()).await;
        let _ = app.charge(request).await;
    }
    let mistyped = app
        .charge(charge_request(
            "mistyped",
            1234,
            card_with("4242424242424241", 12, 2099, CVC),
        ))
        .await;
    assert!(mistyped.is_err());
    let approved = app
        .charge(charge_request(
            "approved",
            1234,
            card_with(test_cards::APPROVED, 12, 2099, CVC),
        ))
        .await
        .expect("captured");
    app.refund("r1", &approved.id, Some(234))
        .await
        .expect("refund");
}

// A current-thread runtime: the server, the client and every task they
// spawn run on this thread, inside the capturing subscriber.
#[tokio::test]
async fn card_numbers_and_cvcs_never_reach_the_logs() {
    // Dependencies that log through the `log` crate (the PostgreSQL driver
    // logs query parameters at debug level) are captured too.
    static LOG_BRIDGE: Once = Once::new();
    LOG_BRIDGE.call_once(|| {
        let _ = tracing_log::LogTracer::init();
    });
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(logs.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // tracing caches per callsite whether anyone listens. With a single
    // scoped subscriber in the process it asks only the thread that hits a
    // callsite first, so a test running on another thread would switch our
    // events off for good; with a second (silent) dispatcher alive it asks
    // every dispatcher, and each event checks the subscriber of its thread.
    let _silent = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());

    let app = TestApp::spawn().await;
    card_traffic(&app).await;

    let text = logs.text();
    assert!(
        text.contains("charge processed") && text.contains("refund sent"),
        "the logs were captured"
    );
    for number in [
        test_cards::APPROVED,
        test_cards::DECLINED,
        test_cards::FLAKY,
        "4242424242424241",
    ] {
        assert!(!text.contains(number), "{number} is in the logs");
        // Not even in part: at most the last four digits may show.
        assert!(!text.contains(&number[..12]), "{number} is in the logs");
    }
    assert!(!holds_word(&text, CVC), "the CVC is in the logs");
}

#[tokio::test]
async fn card_numbers_and_cvcs_never_reach_the_database() {
    let app = TestApp::spawn().await;
    card_traffic(&app).await;

    let stored = app.database_contents().await;
    assert!(stored.contains("4242"), "the last four digits are kept");
    for number in [
        test_cards::APPROVED,
        test_cards::DECLINED,
        test_cards::FLAKY,
    ] {
        assert!(!stored.contains(&number[..12]), "{number} is stored");
    }
    assert!(!holds_word(&stored, CVC), "the CVC is stored");
}

#[test]
fn a_charge_request_cannot_print_its_card_secrets() {
    let request: proto::ChargeRequest =
        charge_request("k1", 100, card_with(test_cards::APPROVED, 12, 2099, CVC));
    for printed in [format!("{request:?}"), format!("{request:#?}")] {
        assert!(!printed.contains(test_cards::APPROVED), "{printed}");
        assert!(!holds_word(&printed, CVC), "{printed}");
        assert!(printed.contains("4242"), "{printed}");
    }
}
