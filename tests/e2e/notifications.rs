//! The emails of a customer's visit, through the whole shop: the gateway
//! writes `accounts.user.registered` with the account, orders writes
//! `orders.order.confirmed` with the status change, the local bus carries
//! both to the notifications service, and its sender writes the emails.
//! Admins see them through the gateway; customers may not.

use contracts::notifications::{
    self as proto, ListNotificationsRequest, NotificationKind, NotificationState,
};
use contracts::orders::OrderStatus;
use platform::testing::eventually;
use tonic::Code;

use crate::helpers::*;

/// The user's notifications, as an admin lists them through the gateway.
pub async fn notifications_of(
    shop: &TestShop,
    admin: &str,
    user_id: &str,
) -> Vec<proto::Notification> {
    shop.notifications
        .clone()
        .list_notifications(call(
            ListNotificationsRequest {
                user_id: user_id.into(),
                page_size: 100,
                ..Default::default()
            },
            Some(admin),
        ))
        .await
        .expect("an admin lists notifications through the gateway")
        .into_inner()
        .notifications
}

/// The .eml files in the shop's mail folder that mention every one of
/// `needles`.
pub fn emails_mentioning(shop: &TestShop, needles: &[&str]) -> usize {
    std::fs::read_dir(&shop.mail_dir).map_or(0, |entries| {
        entries
            .filter_map(Result::ok)
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .filter(|text| needles.iter().all(|n| text.contains(n)))
            .count()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmed_order_sends_exactly_one_confirmation_email() {
    let shop = TestShop::spawn().await;
    let beans = shop.product("Kenya Coffee Beans", 1_450, 10).await;
    let (token, user_id) = shop.register("mail@example.com").await;
    let admin = shop.admin().await;

    let order = shop
        .orders
        .clone()
        .create_order(call(
            shop.quoted_order(&token, "mail-1", &beans, 2).await,
            Some(&token),
        ))
        .await
        .expect("order")
        .into_inner();
    assert_eq!(order.status(), OrderStatus::Confirmed);

    eventually(
        "the welcome, the verification link and the confirmation are sent",
        || async {
            let sent = notifications_of(&shop, &admin, &user_id).await;
            sent.len() == 3 && sent.iter().all(|n| n.state() == NotificationState::Sent)
        },
    )
    .await;
    let sent = notifications_of(&shop, &admin, &user_id).await;
    let confirmations: Vec<&proto::Notification> = sent
        .iter()
        .filter(|n| n.kind() == NotificationKind::OrderConfirmed)
        .collect();
    assert_eq!(confirmations.len(), 1);
    assert_eq!(confirmations[0].recipient, "mail@example.com");
    assert!(confirmations[0].subject.contains(&order.number));
    assert_eq!(emails_mentioning(&shop, &[&order.id]), 1);
    assert_eq!(
        emails_mentioning(&shop, &["To: mail@example.com", "Subject: Welcome to Shop"]),
        1
    );

    let refused = shop
        .notifications
        .clone()
        .list_notifications(call(ListNotificationsRequest::default(), Some(&token)))
        .await;
    assert_eq!(code_of(&refused), Code::PermissionDenied);
    shop.stop().await;
}
