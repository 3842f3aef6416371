//! ListNotifications: for admins only, paged as AIP-158 says, filtered by
//! user and state.

use contracts::notifications::{self as proto, NotificationState};
use platform::{
    auth::Role,
    testing::{authorized, every_page, violated_fields},
};
use tonic::{Code, Request};

use crate::helpers::{TestApp, confirmed, expect_code, registered};

#[tokio::test(flavor = "multi_thread")]
async fn only_admins_may_list_notifications() {
    let app = TestApp::spawn().await;
    let request = proto::ListNotificationsRequest::default;

    let customer = app.auth.user_token("user-1", Role::Customer);
    let refused = app
        .client
        .clone()
        .list_notifications(authorized(request(), &customer))
        .await;
    expect_code(refused, Code::PermissionDenied);

    let anonymous = app
        .client
        .clone()
        .list_notifications(Request::new(request()))
        .await;
    expect_code(anonymous, Code::Unauthenticated);

    assert!(app.list(request()).await.is_ok());
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_follow_each_other_without_gaps_or_repeats() {
    let app = TestApp::spawn().await;
    for n in 0..5 {
        app.deliver([registered(&format!("user-{n}"), "ada@example.com", "Ada")])
            .await;
    }
    app.settled(5).await;

    let (items, pages) = every_page(|page_token| async {
        let page = app
            .list(proto::ListNotificationsRequest {
                page_size: 2,
                page_token,
                ..Default::default()
            })
            .await
            .expect("a page");
        (page.notifications, page.next_page_token)
    })
    .await;

    assert_eq!(pages, 3);
    let mut ids: Vec<String> = items.iter().map(|n| n.id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn notifications_are_filtered_by_user_and_state() {
    let app = TestApp::spawn().await;
    app.deliver([registered("user-1", "ada@example.com", "Ada")])
        .await;
    app.deliver([registered("user-2", "grace@example.com", "Grace")])
        .await;
    app.deliver([confirmed("user-1").1]).await;
    // No address for user-3: stays queued.
    app.deliver([confirmed("user-3").1]).await;
    crate::helpers::eventually("three emails sent", || async {
        app.all()
            .await
            .iter()
            .filter(|n| n.state() == NotificationState::Sent)
            .count()
            == 3
    })
    .await;

    let of_user_1 = app
        .list(proto::ListNotificationsRequest {
            user_id: "user-1".into(),
            ..Default::default()
        })
        .await
        .expect("listed");
    assert_eq!(of_user_1.notifications.len(), 2);
    assert!(
        of_user_1
            .notifications
            .iter()
            .all(|n| n.user_id == "user-1")
    );

    let queued = app
        .list(proto::ListNotificationsRequest {
            state: NotificationState::Queued.into(),
            ..Default::default()
        })
        .await
        .expect("listed");
    assert_eq!(queued.notifications.len(), 1);
    assert_eq!(queued.notifications[0].user_id, "user-3");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_requests_name_every_bad_field() {
    let app = TestApp::spawn().await;

    let status = app
        .list(proto::ListNotificationsRequest {
            page_size: -1,
            page_token: "forged".into(),
            state: 42,
            user_id: "a\u{7}b".into(),
        })
        .await
        .expect_err("refused");

    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        violated_fields(&status),
        ["page_size", "user_id", "state", "page_token"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_token_is_good_only_for_the_filters_it_was_issued_with() {
    let app = TestApp::spawn().await;
    for n in 0..3 {
        app.deliver([registered("user-1", "ada@example.com", &format!("Ada {n}"))])
            .await;
    }
    app.settled(3).await;
    let first = app
        .list(proto::ListNotificationsRequest {
            page_size: 1,
            user_id: "user-1".into(),
            ..Default::default()
        })
        .await
        .expect("a page");
    assert!(!first.next_page_token.is_empty());

    let status = app
        .list(proto::ListNotificationsRequest {
            page_size: 1,
            page_token: first.next_page_token,
            ..Default::default()
        })
        .await
        .expect_err("refused");
    assert_eq!(violated_fields(&status), ["page_token"]);
}
