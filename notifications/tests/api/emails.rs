//! What events make which emails, with what in them, and what happens when
//! they cannot be sent.

use std::time::Duration;

use contracts::{
    common::DeclineCode,
    notifications::{self as proto, NotificationKind, NotificationState},
    orders::{OrderShipment, OrderStatus},
};
use platform::{clock::Clock, events::types};

use crate::helpers::{
    NO_MAIL_SERVER, TestApp, confirmed, declined, eventually, order, order_event, refunded,
    registered, the_email, through_smtp,
};

#[tokio::test(flavor = "multi_thread")]
async fn a_registration_then_a_confirmed_order_send_one_welcome_and_one_confirmation() {
    let app = TestApp::spawn().await;

    app.deliver([registered("user-1", "ada@example.com", "Ada")])
        .await;
    let (order, event) = confirmed("user-1");
    app.deliver([event.clone()]).await;

    let sent = app.settled(2).await;
    let kinds: Vec<NotificationKind> = sent.iter().map(proto::Notification::kind).collect();
    assert_eq!(
        kinds,
        [NotificationKind::OrderConfirmed, NotificationKind::Welcome],
        "newest first"
    );
    for notification in &sent {
        assert_eq!(notification.state(), NotificationState::Sent);
        assert_eq!(notification.recipient, "ada@example.com");
        assert_eq!(notification.user_id, "user-1");
        assert_eq!(notification.attempts, 1);
        assert!(notification.send_time.is_some());
    }
    assert_eq!(sent[0].event_id, event.event_id);

    let mailbox = app.mailbox();
    assert_eq!(mailbox.len(), 2);
    let welcome = the_email(&mailbox, "Subject: Welcome to Test Shop");
    assert!(welcome.contains("To: ada@example.com"), "{welcome}");
    assert!(welcome.contains("Hello Ada,"), "{welcome}");
    assert!(welcome.contains("https://shop.example.com/"), "{welcome}");

    let confirmation = the_email(&mailbox, &order.number);
    assert!(confirmation.contains("is confirmed"), "{confirmation}");
    assert!(
        confirmation.contains("Content-Type: text/plain"),
        "{confirmation}"
    );
    assert!(
        confirmation.contains("Content-Type: text/html"),
        "{confirmation}"
    );
    for expected in [
        "2 x Blue Mug at 12.50 USD = 25.00 USD",
        "1 x Coffee Beans at 9.99 USD = 9.99 USD",
        "Total: 34.99 USD",
        "your Visa card ending in 4242",
        "12 Analytical Row",
        "N1 9GU London",
    ] {
        assert!(
            confirmation.contains(expected),
            "{expected:?} in {confirmation}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_event_delivered_twice_makes_one_email() {
    let app = TestApp::spawn().await;
    app.deliver([registered("user-1", "ada@example.com", "Ada")])
        .await;
    let (_, event) = confirmed("user-1");

    app.deliver([event.clone()]).await;
    app.deliver([event.clone()]).await;
    app.deliver([event.clone(), event]).await;

    let sent = app.settled(2).await;
    assert_eq!(
        sent.iter()
            .filter(|n| n.kind() == NotificationKind::OrderConfirmed)
            .count(),
        1
    );
    assert_eq!(app.mailbox().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_order_followed_to_its_delivery_makes_one_email_per_step() {
    let app = TestApp::spawn().await;
    app.deliver([registered("user-1", "ada@example.com", "Ada")])
        .await;
    let (mut order, confirmation) = confirmed("user-1");
    order.set_status(OrderStatus::Shipped);
    order.shipment = Some(OrderShipment {
        shipment_id: uuid::Uuid::now_v7().to_string(),
        carrier: "DHL".into(),
        tracking_number: "JD0146 0000 1234".into(),
        ..Default::default()
    });
    let shipped = order_event(types::ORDER_SHIPPED, &order);
    order.set_status(OrderStatus::Delivered);
    let delivered = order_event(types::ORDER_DELIVERED, &order);

    app.deliver([confirmation]).await;
    app.deliver([shipped.clone(), shipped]).await;
    app.deliver([delivered]).await;

    let sent = app.settled(4).await;
    let kinds: Vec<NotificationKind> = sent.iter().map(proto::Notification::kind).collect();
    assert_eq!(
        kinds,
        [
            NotificationKind::OrderDelivered,
            NotificationKind::OrderShipped,
            NotificationKind::OrderConfirmed,
            NotificationKind::Welcome
        ],
        "newest first"
    );
    let mailbox = app.mailbox();
    assert_eq!(mailbox.len(), 4);
    let on_its_way = the_email(&mailbox, "is on its way");
    assert!(on_its_way.contains("Carrier: DHL"), "{on_its_way}");
    assert!(
        on_its_way.contains("Tracking number: JD0146 0000 1234"),
        "{on_its_way}"
    );
    assert!(on_its_way.contains(&order.number), "{on_its_way}");
    assert!(the_email(&mailbox, "was delivered").contains(&order.number));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_order_email_that_arrives_before_the_registration_is_sent_once_the_address_is_known() {
    let app = TestApp::spawn().await;
    let (order, event) = confirmed("user-2");
    app.deliver([event]).await;

    eventually("the email waits for an address", || async {
        app.all().await.first().is_some_and(|n| {
            n.state() == NotificationState::Queued
                && n.recipient.is_empty()
                && n.last_error
                    .contains("waiting for the user's email address")
        })
    })
    .await;
    assert!(app.mailbox().is_empty());

    app.deliver([registered("user-2", "grace@example.com", "Grace")])
        .await;

    let sent = app.settled(2).await;
    assert!(sent.iter().all(|n| n.state() == NotificationState::Sent));
    assert!(sent.iter().all(|n| n.recipient == "grace@example.com"));
    let mailbox = app.mailbox();
    assert!(the_email(&mailbox, &order.number).contains("To: grace@example.com"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_address_that_never_arrives_fails_the_email_with_the_reason() {
    let clock = Clock::manual(time::OffsetDateTime::now_utc());
    let app = TestApp::spawn_with(clock.clone(), |config| {
        config.sending.address_wait = Duration::from_secs(3600);
        config.sending.address_retry = Duration::from_secs(60);
    })
    .await;
    app.deliver([confirmed("user-3").1]).await;
    eventually("the email waits for an address", || async {
        app.all()
            .await
            .first()
            .is_some_and(|n| n.last_error.contains("waiting"))
    })
    .await;

    clock.advance(Duration::from_secs(3601));

    let failed = app.settled(1).await;
    assert_eq!(failed[0].state(), NotificationState::Failed);
    assert_eq!(
        failed[0].last_error,
        "no email address is known for user user-3: their registration did not arrive within 1h"
    );
    assert!(app.mailbox().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mail_server_that_cannot_be_reached_is_retried_then_the_email_fails_with_the_reason() {
    let app = TestApp::spawn_with(Clock::System, |config| {
        through_smtp(NO_MAIL_SERVER)(config);
        config.sending.retry.max_attempts = 3;
    })
    .await;
    app.deliver([registered("user-4", "alan@example.com", "Alan")])
        .await;

    let failed = app.settled(1).await;
    assert_eq!(failed[0].state(), NotificationState::Failed);
    assert_eq!(failed[0].attempts, 3);
    assert!(
        failed[0]
            .last_error
            .starts_with("gave up after 3 attempts: the mail server: "),
        "{}",
        failed[0].last_error
    );
    assert!(failed[0].send_time.is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_order_says_why_in_plain_words() {
    let app = TestApp::spawn().await;
    app.deliver([registered("user-5", "ada@example.com", "Ada")])
        .await;
    let (order, event) = declined("user-5", DeclineCode::InsufficientFunds);
    app.deliver([event]).await;

    let sent = app.settled(2).await;
    assert_eq!(sent[0].kind(), NotificationKind::OrderFailed);
    let mailbox = app.mailbox();
    let email = the_email(&mailbox, &order.number);
    assert!(email.contains("could not be placed"), "{email}");
    assert!(
        email.contains("your payment was declined: the card's account does not have enough funds."),
        "{email}"
    );
    assert!(email.contains("Nothing was charged."), "{email}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancelled_order_says_it_was_refunded() {
    let app = TestApp::spawn().await;
    app.deliver([registered("user-6", "ada@example.com", "Ada")])
        .await;
    let mut cancelled = order("user-6", OrderStatus::Cancelled);
    cancelled.cancel_reason = "changed my mind".into();
    app.deliver([order_event(types::ORDER_CANCELLED, &cancelled)])
        .await;

    let sent = app.settled(2).await;
    assert_eq!(sent[0].kind(), NotificationKind::OrderCancelled);
    let mailbox = app.mailbox();
    let email = the_email(&mailbox, &cancelled.number);
    assert!(
        email.contains("has been cancelled (changed my mind)."),
        "{email}"
    );
    assert!(
        email.contains("We have refunded 34.99 USD to your Visa card ending in 4242"),
        "{email}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn events_of_other_types_make_no_email() {
    let app = TestApp::spawn().await;
    let placed = order_event(types::ORDER_PLACED, &order("user-7", OrderStatus::Pending));

    app.deliver([placed, refunded("payment-1")]).await;
    app.deliver([registered("user-7", "ada@example.com", "Ada")])
        .await;

    let sent = app.settled(1).await;
    assert_eq!(sent[0].kind(), NotificationKind::Welcome);
}

#[tokio::test(flavor = "multi_thread")]
async fn what_a_customer_typed_is_escaped_in_the_html_part() {
    let app = TestApp::spawn().await;
    app.deliver([registered("user-8", "ada@example.com", "<b>Ada</b> & co")])
        .await;

    app.settled(1).await;
    let mailbox = app.mailbox();
    let email = the_email(&mailbox, "Welcome");
    let (text, html) = email
        .split_once("Content-Type: text/html")
        .expect("an HTML part");
    assert!(text.contains("Hello <b>Ada</b> & co,"), "{text}");
    assert!(html.contains("Hello &lt;b&gt;Ada&lt;"), "{html}");
    assert!(html.contains("&amp; co,"), "{html}");
    assert!(!html.contains("<b>"), "{html}");
}
