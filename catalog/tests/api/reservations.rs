//! ListReservations: a product's reservations for admins, newest first,
//! each with all its lines.

use std::time::Duration;

use contracts::catalog::{self as proto, ReservationStatus};
use platform::auth::{Role, issuer};
use platform::testing::authorized;
use tonic::{Code, Status};

use crate::helpers::*;

fn request(
    product_id: &str,
    status: ReservationStatus,
    page_size: i32,
    page_token: &str,
) -> proto::ListReservationsRequest {
    proto::ListReservationsRequest {
        product_id: product_id.to_owned(),
        status: status.into(),
        page_size,
        page_token: page_token.to_owned(),
    }
}

async fn list_as_admin(
    app: &TestApp,
    request: proto::ListReservationsRequest,
) -> Result<proto::ListReservationsResponse, Status> {
    app.inventory
        .clone()
        .list_reservations(app.as_admin(request))
        .await
        .map(tonic::Response::into_inner)
}

/// Every reservation of `product_id` with `status`, page by page.
async fn every_reservation(
    app: &TestApp,
    product_id: &str,
    status: ReservationStatus,
    page_size: i32,
) -> (Vec<proto::Reservation>, usize) {
    every_page(|token| async move {
        let page = list_as_admin(app, request(product_id, status, page_size, &token)).await;
        let page = page.expect("list reservations");
        (page.reservations, page.next_page_token)
    })
    .await
}

fn ids(reservations: &[proto::Reservation]) -> Vec<&str> {
    reservations.iter().map(|r| r.id.as_str()).collect()
}

/// A mug with five reservations a minute apart (order-1 oldest); order-2
/// also holds a pot and a cup, order-3 is sold and order-4 released; a
/// sixth reservation is of the cup only.
async fn reserved_mug(app: &TestApp) -> (String, String, String) {
    let mug = app.create_product("Mug", 900, 100).await.id;
    let pot = app.create_product("Pot", 900, 100).await.id;
    let cup = app.create_product("Cup", 900, 100).await.id;
    for i in 1..=5 {
        let lines: Vec<(&str, i64)> = if i == 2 {
            vec![(&pot, 2), (&mug, 1), (&cup, 3)]
        } else {
            vec![(&mug, i)]
        };
        app.reserve(&format!("order-{i}"), &lines)
            .await
            .expect("reserve");
        app.clock.advance(Duration::from_secs(60));
    }
    app.hold("cup-only", &cup, 1).await;
    app.commit("order-3").await.expect("commit");
    app.release("order-4").await.expect("release");
    (mug, pot, cup)
}

#[tokio::test]
async fn a_products_reservations_come_newest_first_across_pages() {
    let app = TestApp::spawn().await;
    let (mug, _, _) = reserved_mug(&app).await;
    let newest_first = ["order-5", "order-4", "order-3", "order-2", "order-1"];
    for (page_size, expected_pages) in [(1, 5), (2, 3), (5, 1), (0, 1)] {
        let (all, pages) =
            every_reservation(&app, &mug, ReservationStatus::Unspecified, page_size).await;
        assert_eq!(ids(&all), newest_first, "page size {page_size}");
        assert_eq!(pages, expected_pages);
    }
}

#[tokio::test]
async fn each_reservation_comes_with_all_its_lines_by_product_id_and_its_status() {
    let app = TestApp::spawn().await;
    let (mug, pot, cup) = reserved_mug(&app).await;
    let (all, _) = every_reservation(&app, &mug, ReservationStatus::Unspecified, 0).await;
    let two = all.iter().find(|r| r.id == "order-2").expect("order-2");
    let mut expected = vec![(mug.clone(), 1), (pot, 2), (cup, 3)];
    expected.sort();
    let lines: Vec<_> = two
        .lines
        .iter()
        .map(|l| (l.product_id.clone(), l.quantity))
        .collect();
    assert_eq!(lines, expected);
    let statuses: Vec<_> = all.iter().map(|r| (r.id.as_str(), r.status())).collect();
    assert_eq!(
        statuses,
        [
            ("order-5", ReservationStatus::Held),
            ("order-4", ReservationStatus::Released),
            ("order-3", ReservationStatus::Committed),
            ("order-2", ReservationStatus::Held),
            ("order-1", ReservationStatus::Held),
        ]
    );
    assert!(
        all.iter()
            .all(|r| r.create_time.is_some() && r.expire_time.is_some())
    );
}

#[tokio::test]
async fn the_status_filter_keeps_only_that_status() {
    let app = TestApp::spawn().await;
    let (mug, _, cup) = reserved_mug(&app).await;
    let held = every_reservation(&app, &mug, ReservationStatus::Held, 1)
        .await
        .0;
    assert_eq!(ids(&held), ["order-5", "order-2", "order-1"]);
    let sold = every_reservation(&app, &mug, ReservationStatus::Committed, 1)
        .await
        .0;
    assert_eq!(ids(&sold), ["order-3"]);
    let released = every_reservation(&app, &mug, ReservationStatus::Released, 0)
        .await
        .0;
    assert_eq!(ids(&released), ["order-4"]);
    let cups = every_reservation(&app, &cup, ReservationStatus::Held, 0)
        .await
        .0;
    assert_eq!(ids(&cups), ["cup-only", "order-2"]);
}

#[tokio::test]
async fn a_page_token_is_only_good_for_its_product_and_status() {
    let app = TestApp::spawn().await;
    let (mug, pot, _) = reserved_mug(&app).await;
    let first = list_as_admin(&app, request(&mug, ReservationStatus::Held, 1, ""))
        .await
        .expect("list");
    let token = first.next_page_token;
    assert!(!token.is_empty());
    for other in [
        request(&mug, ReservationStatus::Unspecified, 1, &token),
        request(&mug, ReservationStatus::Released, 1, &token),
        request(&pot, ReservationStatus::Held, 1, &token),
        request(&mug, ReservationStatus::Held, 1, &format!("{token}x")),
    ] {
        let status = expect_code(list_as_admin(&app, other).await, Code::InvalidArgument);
        assert_eq!(violated_fields(&status), ["page_token"]);
    }
}

#[tokio::test]
async fn bad_requests_are_refused_by_field() {
    let app = TestApp::spawn().await;
    let status = expect_code(
        list_as_admin(
            &app,
            proto::ListReservationsRequest {
                product_id: "not-a-uuid".into(),
                status: 99,
                page_size: -1,
                page_token: "garbage".into(),
            },
        )
        .await,
        Code::InvalidArgument,
    );
    assert_eq!(
        violated_fields(&status),
        ["product_id", "status", "page_size", "page_token"]
    );
}

#[tokio::test]
async fn an_unknown_product_is_not_found_and_one_without_reservations_has_none() {
    let app = TestApp::spawn().await;
    let unknown = "0190a1b2-0000-7000-8000-000000000099";
    expect_code(
        list_as_admin(
            &app,
            request(unknown, ReservationStatus::Unspecified, 0, ""),
        )
        .await,
        Code::NotFound,
    );
    let quiet = app.create_product("Quiet", 100, 1).await;
    let page = list_as_admin(
        &app,
        request(&quiet.id, ReservationStatus::Unspecified, 0, ""),
    )
    .await
    .expect("list");
    assert!(page.reservations.is_empty());
    assert!(page.next_page_token.is_empty());
}

#[tokio::test]
async fn a_deleted_products_reservations_are_still_listed() {
    let app = TestApp::spawn().await;
    let mug = app.create_product("Mug", 900, 5).await;
    app.hold("order-1", &mug.id, 2).await;
    app.commit("order-1").await.expect("commit");
    app.delete(&mug.id, "").await.expect("delete");
    let page = list_as_admin(
        &app,
        request(&mug.id, ReservationStatus::Unspecified, 0, ""),
    )
    .await
    .expect("list");
    assert_eq!(ids(&page.reservations), ["order-1"]);
}

#[tokio::test]
async fn only_admins_may_list_reservations() {
    let app = TestApp::spawn().await;
    let mug = app.create_product("Mug", 900, 5).await;
    app.hold("order-1", &mug.id, 1).await;
    let mut inventory = app.inventory.clone();
    let ask = || request(&mug.id, ReservationStatus::Unspecified, 0, "");

    let anonymous = inventory.list_reservations(ask()).await;
    expect_code(anonymous, Code::Unauthenticated);
    let customer = inventory.list_reservations(app.as_customer(ask())).await;
    expect_code(customer, Code::PermissionDenied);
    let orders = inventory.list_reservations(app.as_orders(ask())).await;
    expect_code(orders, Code::PermissionDenied);
    let admin_of_orders = authorized(
        ask(),
        &app.auth
            .service_token(issuer::ORDERS, "admin-1", Role::Admin),
    );
    expect_code(
        inventory.list_reservations(admin_of_orders).await,
        Code::PermissionDenied,
    );
    inventory
        .list_reservations(app.as_admin(ask()))
        .await
        .expect("admins may");
}

#[tokio::test]
async fn twenty_listings_at_once_agree() {
    let app = TestApp::spawn().await;
    let (mug, _, _) = reserved_mug(&app).await;
    let app = std::sync::Arc::new(app);
    let answers = concurrently(20, |_| {
        let (app, mug) = (app.clone(), mug.clone());
        async move {
            list_as_admin(&app, request(&mug, ReservationStatus::Unspecified, 0, ""))
                .await
                .expect("list")
                .reservations
                .len()
        }
    })
    .await;
    assert!(answers.iter().all(|n| *n == 5), "{answers:?}");
}
