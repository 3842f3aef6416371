//! Sending through a real SMTP server: runs when `TEST_SMTP_URL` names one
//! (CI starts aiosmtpd), and checks what arrived when `TEST_SMTP_MAILDIR`
//! is the Maildir it delivers into. Skipped, with a note, otherwise.

use contracts::notifications::NotificationState;
use platform::clock::Clock;

use crate::helpers::{TestApp, confirmed, readable, registered, through_smtp};

/// Every message in the Maildir at `dir` (its `new` and `cur` folders).
fn maildir(dir: &str) -> Vec<String> {
    ["new", "cur"]
        .iter()
        .filter_map(|sub| std::fs::read_dir(std::path::Path::new(dir).join(sub)).ok())
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
        .map(|raw| readable(&raw))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn emails_go_through_a_real_smtp_server() {
    let Ok(url) = std::env::var("TEST_SMTP_URL") else {
        eprintln!(
            "skipped: set TEST_SMTP_URL (and TEST_SMTP_MAILDIR) to send through a real SMTP server"
        );
        return;
    };
    let app = TestApp::spawn_with(Clock::System, through_smtp(&url)).await;
    // Unique per run: the server's mailbox outlives the test.
    let address = format!("smtp-{}@example.com", uuid::Uuid::new_v4().simple());
    app.deliver([registered("smtp-user", &address, "Ada")])
        .await;
    let (order, event) = confirmed("smtp-user");
    app.deliver([event]).await;

    let sent = app.settled(2).await;
    assert!(
        sent.iter().all(|n| n.state() == NotificationState::Sent),
        "{sent:?}"
    );

    let Ok(dir) = std::env::var("TEST_SMTP_MAILDIR") else {
        eprintln!("not checking what arrived: set TEST_SMTP_MAILDIR to the server's Maildir");
        return;
    };
    let arrived: Vec<String> = maildir(&dir)
        .into_iter()
        .filter(|m| m.contains(&address))
        .collect();
    assert_eq!(arrived.len(), 2, "a welcome and a confirmation arrived");
    let confirmation = arrived
        .iter()
        .find(|m| m.contains(&order.number))
        .expect("the confirmation arrived");
    assert!(confirmation.contains("Total: 34.99 USD"), "{confirmation}");
    assert!(
        arrived
            .iter()
            .any(|m| m.contains("Subject: Welcome to Test Shop")),
        "the welcome arrived"
    );
}
