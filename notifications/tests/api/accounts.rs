//! Account emails: a verification link, a reset link and the news of a
//! changed password, each to the address the accounts named, greeting the
//! user by name; the links lead to the storefront's pages with the token;
//! once sent, the stored copy of a link is forgotten.

use contracts::{events::AccountEmailKind, notifications::NotificationKind};

use crate::helpers::{TestApp, account_email, registered, the_email};

/// A token as the gateway makes them: 43 base64url characters.
const TOKEN: &str = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE";

#[tokio::test(flavor = "multi_thread")]
async fn a_verification_email_links_to_the_verify_page_with_its_token() {
    let app = TestApp::spawn().await;
    app.deliver([account_email(
        "user-1",
        "ada@example.com",
        AccountEmailKind::VerifyEmail,
        TOKEN,
    )])
    .await;

    let sent = app.settled(1).await;
    assert_eq!(sent[0].kind(), NotificationKind::VerifyEmail);
    assert_eq!(sent[0].recipient, "ada@example.com");
    assert_eq!(sent[0].subject, "Confirm your email address for Test Shop");
    let mailbox = app.mailbox();
    let email = the_email(&mailbox, "Subject: Confirm your email address");
    assert!(email.contains("Hello Ada,"), "{email}");
    assert!(
        email.contains(&format!("https://shop.example.com/#/verify?token={TOKEN}")),
        "{email}"
    );
    assert!(email.contains("until 2030-01-02 03:04 UTC"), "{email}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reset_email_links_to_the_reset_page_with_its_token() {
    let app = TestApp::spawn().await;
    app.deliver([account_email(
        "user-1",
        "ada@example.com",
        AccountEmailKind::PasswordReset,
        TOKEN,
    )])
    .await;

    let sent = app.settled(1).await;
    assert_eq!(sent[0].kind(), NotificationKind::PasswordReset);
    assert_eq!(sent[0].subject, "Reset your Test Shop password");
    let mailbox = app.mailbox();
    let email = the_email(&mailbox, "Subject: Reset your Test Shop password");
    assert!(email.contains("Hello Ada,"), "{email}");
    assert!(
        email.contains(&format!(
            "https://shop.example.com/#/reset-password?token={TOKEN}"
        )),
        "{email}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_password_is_told_without_a_link() {
    let app = TestApp::spawn().await;
    app.deliver([account_email(
        "user-1",
        "ada@example.com",
        AccountEmailKind::PasswordChanged,
        "",
    )])
    .await;

    let sent = app.settled(1).await;
    assert_eq!(sent[0].kind(), NotificationKind::PasswordChanged);
    let mailbox = app.mailbox();
    let email = the_email(&mailbox, "Subject: Your Test Shop password was changed");
    assert!(email.contains("Hello Ada,"), "{email}");
    assert!(!email.contains("token="), "{email}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_email_goes_to_the_address_it_names_not_the_registered_one() {
    let app = TestApp::spawn().await;
    app.deliver([registered("user-1", "old@example.com", "Ada")])
        .await;
    let mut verify = account_email(
        "user-1",
        "new@example.com",
        AccountEmailKind::VerifyEmail,
        TOKEN,
    );
    // The user's second event.
    verify.aggregate_sequence = 2;
    app.deliver([verify]).await;
    let sent = app.settled(2).await;
    let verify = sent
        .iter()
        .find(|n| n.kind() == NotificationKind::VerifyEmail)
        .expect("the verification email");
    assert_eq!(verify.recipient, "new@example.com");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_link_without_a_usable_token_is_a_bad_event_that_does_not_show_the_token() {
    let app = TestApp::spawn().await;
    for token in ["", "<script>alert(1)</script>"] {
        let event = account_email(
            "user-1",
            "ada@example.com",
            AccountEmailKind::PasswordReset,
            token,
        );
        let refused = app.try_deliver([event]).await;
        let reason = refused.expect_err("a bad event");
        assert!(!reason.contains("script"), "{reason}");
    }
    assert!(app.all().await.is_empty());
}
