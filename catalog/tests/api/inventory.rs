//! InventoryService: all-or-nothing, idempotent reservations that never
//! oversell, expiry, and admin stock adjustments.

use std::{sync::Arc, time::Duration};

use contracts::catalog::ReservationStatus;
use tonic::Code;

use crate::helpers::*;

#[tokio::test]
async fn a_reservation_takes_every_line_or_none() {
    let app = TestApp::spawn().await;
    let plenty = app.create_product("Plenty", 100, 10).await;
    let scarce = app.create_product("Scarce", 100, 1).await;

    let short = app
        .reserve("order-1", &[(&plenty.id, 3), (&scarce.id, 2)])
        .await;
    let status = expect_code(short, Code::FailedPrecondition);
    assert_eq!(reason(&status), "OUT_OF_STOCK");
    assert_eq!(info(&status, "product_ids"), scarce.id);
    assert_eq!(info(&status, &format!("available.{}", scarce.id)), "1");
    assert_eq!(
        app.stock(&plenty.id).await.available,
        10,
        "nothing was taken"
    );

    let reservation = app
        .reserve("order-2", &[(&plenty.id, 3), (&scarce.id, 1)])
        .await
        .expect("reserve");
    assert_eq!(reservation.status(), ReservationStatus::Held);
    let stock = app.stock(&plenty.id).await;
    assert_eq!((stock.available, stock.reserved), (7, 3));
}

#[tokio::test]
async fn an_out_of_stock_refusal_names_every_short_product_with_what_it_has_left() {
    let app = TestApp::spawn().await;
    let plenty = app.create_product("Plenty", 100, 10).await;
    let scarce = app.create_product("Scarce", 100, 2).await;
    let gone = app.create_product("Gone", 100, 0).await;

    let short = app
        .reserve(
            "order-1",
            &[(&plenty.id, 10), (&scarce.id, 3), (&gone.id, 1)],
        )
        .await;
    let status = expect_code(short, Code::FailedPrecondition);
    assert_eq!(reason(&status), "OUT_OF_STOCK");
    let mut named: Vec<String> = info(&status, "product_ids")
        .split(',')
        .map(str::to_owned)
        .collect();
    named.sort();
    let mut expected = vec![scarce.id.clone(), gone.id.clone()];
    expected.sort();
    assert_eq!(named, expected);
    assert_eq!(info(&status, &format!("available.{}", scarce.id)), "2");
    assert_eq!(info(&status, &format!("available.{}", gone.id)), "0");
    assert!(
        info(&status, &format!("available.{}", plenty.id)).is_empty(),
        "a product with enough is not named"
    );
}

#[tokio::test]
async fn repeating_a_reservation_returns_it_and_other_lines_are_refused() {
    let app = TestApp::spawn().await;
    let a = app.create_product("A", 100, 10).await;
    let b = app.create_product("B", 100, 10).await;

    let first = app
        .reserve("order-1", &[(&a.id, 1), (&b.id, 2)])
        .await
        .expect("reserve");
    // The same request with its lines in another order is the same request.
    let again = app
        .reserve("order-1", &[(&b.id, 2), (&a.id, 1)])
        .await
        .expect("repeat");
    assert_eq!(again, first);
    assert_eq!(app.stock(&a.id).await.available, 9, "reserved once");

    let different = app.reserve("order-1", &[(&a.id, 5)]).await;
    let status = expect_code(different, Code::AlreadyExists);
    assert_eq!(reason(&status), "RESERVATION_MISMATCH");
}

#[tokio::test]
async fn a_reservation_request_names_every_bad_line() {
    let app = TestApp::spawn().await;
    let a = app.create_product("A", 100, 10).await;

    let status = expect_code(
        app.reserve("bad id!", &[(&a.id, 0), ("nope", 1), (&a.id, 1)])
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(
        violated_fields(&status),
        [
            "reservation_id",
            "lines[0].quantity",
            "lines[1].product_id",
            "lines[2].product_id"
        ]
    );

    let empty = app.reserve("order-1", &[]).await;
    assert_eq!(
        violated_fields(&expect_code(empty, Code::InvalidArgument)),
        ["lines"]
    );

    let unknown = app
        .reserve("order-1", &[("0190a1b2-0000-7000-8000-000000000001", 1)])
        .await;
    assert_eq!(
        reason(&expect_code(unknown, Code::NotFound)),
        "PRODUCT_NOT_FOUND"
    );
}

#[tokio::test]
async fn releasing_returns_the_units_once() {
    let app = TestApp::spawn().await;
    let a = app.create_product("A", 100, 10).await;
    app.hold("order-1", &a.id, 4).await;

    for _ in 0..2 {
        let released = app.release("order-1").await.expect("release");
        assert_eq!(released.status(), ReservationStatus::Released);
    }
    let stock = app.stock(&a.id).await;
    assert_eq!((stock.available, stock.reserved), (10, 0));

    let unknown = app.release("order-404").await;
    expect_code(unknown, Code::NotFound);
}

#[tokio::test]
async fn committing_sells_the_units_and_a_cancelled_order_can_restock_them() {
    let app = TestApp::spawn().await;
    let a = app.create_product("A", 100, 10).await;
    app.hold("order-1", &a.id, 4).await;

    for _ in 0..2 {
        let committed = app.commit("order-1").await.expect("commit");
        assert_eq!(committed.status(), ReservationStatus::Committed);
    }
    let sold = app.stock(&a.id).await;
    assert_eq!((sold.available, sold.reserved), (6, 0));

    app.release("order-1").await.expect("restock");
    let restocked = app.stock(&a.id).await;
    assert_eq!((restocked.available, restocked.reserved), (10, 0));

    let late_commit = app.commit("order-1").await;
    let status = expect_code(late_commit, Code::FailedPrecondition);
    assert_eq!(reason(&status), "RESERVATION_RELEASED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_buyers_racing_for_the_last_ten_units_get_exactly_ten() {
    let app = Arc::new(TestApp::spawn().await);
    let last_ten = app.create_product("Last ten", 100, 10).await;

    let attempts = concurrently(50, |i| {
        let app = app.clone();
        let product_id = last_ten.id.clone();
        async move {
            app.reserve(&format!("order-{i}"), &[(&product_id, 1)])
                .await
        }
    })
    .await;
    let mut won = 0;
    for attempt in attempts {
        match attempt {
            Ok(_) => won += 1,
            Err(status) => assert_eq!(reason(&status), "OUT_OF_STOCK", "{status:?}"),
        }
    }
    assert_eq!(won, 10);
    let stock = app.stock(&last_ten.id).await;
    assert_eq!((stock.available, stock.reserved), (0, 10));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_repeats_of_reserve_commit_and_release_act_once() {
    let app = Arc::new(TestApp::spawn().await);
    let a = app.create_product("A", 100, 10).await;

    let reserves = concurrently(10, |_| {
        let app = app.clone();
        let id = a.id.clone();
        async move { app.reserve("order-1", &[(&id, 3)]).await }
    });
    for result in reserves.await {
        result.expect("every repeat succeeds");
    }
    assert_eq!(app.stock(&a.id).await.available, 7);

    let commits = concurrently(10, |_| {
        let app = app.clone();
        async move { app.commit("order-1").await }
    });
    for result in commits.await {
        result.expect("every repeat succeeds");
    }
    let sold = app.stock(&a.id).await;
    assert_eq!((sold.available, sold.reserved), (7, 0));

    let releases = concurrently(10, |_| {
        let app = app.clone();
        async move { app.release("order-1").await }
    });
    for result in releases.await {
        result.expect("every repeat succeeds");
    }
    let restocked = app.stock(&a.id).await;
    assert_eq!((restocked.available, restocked.reserved), (10, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn commits_and_reservations_of_the_same_products_at_once_neither_deadlock_nor_lose_a_unit() {
    let app = Arc::new(TestApp::spawn().await);
    let a = app.create_product("A", 100, 100).await;
    let b = app.create_product("B", 100, 100).await;
    for i in 0..20 {
        app.reserve(&format!("held-{i}"), &[(&a.id, 1), (&b.id, 2)])
            .await
            .expect("reserve");
    }

    // Each commit lowers both products' reserved units while each new
    // reservation takes both products' rows: on PostgreSQL, rows taken in
    // different orders by the two would deadlock.
    let results = concurrently(40, |i| {
        let app = app.clone();
        let (a, b) = (a.id.clone(), b.id.clone());
        async move {
            if i % 2 == 0 {
                app.commit(&format!("held-{}", i / 2)).await
            } else {
                app.reserve(&format!("new-{i}"), &[(&b, 2), (&a, 1)]).await
            }
        }
    })
    .await;
    for result in results {
        result.expect("every commit and every reservation succeeds");
    }
    for (product, each) in [(&a.id, 1), (&b.id, 2)] {
        let stock = app.stock(product).await;
        assert_eq!(
            (stock.available, stock.reserved),
            (100 - 40 * each, 20 * each),
            "40 orders took units, 20 of them are still held"
        );
    }
}

#[tokio::test]
async fn an_expired_hold_goes_back_on_sale_and_can_no_longer_be_committed() {
    let app = TestApp::spawn_with(|config| {
        config.reservation_hold = Duration::from_secs(600);
        config.sweep_interval = Duration::from_millis(20);
    })
    .await;
    let a = app.create_product("A", 100, 5).await;
    app.hold("order-1", &a.id, 5).await;
    assert_eq!(app.stock(&a.id).await.available, 0);

    app.clock.advance(Duration::from_secs(601));
    eventually("the sweeper releases the expired hold", || async {
        app.stock(&a.id).await.available == 5
    })
    .await;
    assert_eq!(app.stock(&a.id).await.reserved, 0);

    let late = app.commit("order-1").await;
    expect_code(late, Code::FailedPrecondition);
}

#[tokio::test]
async fn a_hold_past_its_expiry_cannot_be_committed_even_before_the_sweep() {
    let app = TestApp::spawn_with(|config| {
        config.reservation_hold = Duration::from_secs(60);
        config.sweep_interval = Duration::from_secs(3600);
    })
    .await;
    let a = app.create_product("A", 100, 5).await;
    app.hold("order-1", &a.id, 2).await;
    app.clock.advance(Duration::from_secs(61));

    let late = app.commit("order-1").await;
    let status = expect_code(late, Code::FailedPrecondition);
    assert_eq!(reason(&status), "RESERVATION_EXPIRED");
}

#[tokio::test]
async fn admins_adjust_stock_but_never_below_zero() {
    let app = TestApp::spawn().await;
    let a = app.create_product("A", 100, 5).await;
    let delivered = app.adjust(&a.id, 10, "delivery").await.expect("add");
    assert_eq!(delivered.available, 15);

    let too_many = app.adjust(&a.id, -16, "breakage").await;
    assert_eq!(
        reason(&expect_code(too_many, Code::FailedPrecondition)),
        "INSUFFICIENT_STOCK"
    );
    assert_eq!(app.stock(&a.id).await.available, 15);

    let invalid = app.adjust(&a.id, 0, "").await;
    assert_eq!(
        violated_fields(&expect_code(invalid, Code::InvalidArgument)),
        ["delta", "reason"]
    );

    let unknown = app
        .adjust("0190a1b2-0000-7000-8000-000000000001", 1, "typo")
        .await;
    expect_code(unknown, Code::NotFound);
}

#[tokio::test]
async fn products_not_for_sale_are_named_before_any_shortfall_and_nothing_is_held() {
    let app = TestApp::spawn().await;
    let plenty = app.create_product("Plenty", 100, 10).await;
    let scarce = app.create_product("Scarce", 100, 1).await;
    let deleted = app.create_product("Deleted", 100, 10).await;
    app.delete(&deleted.id, &deleted.etag)
        .await
        .expect("delete");
    let unknown = "0190a1b2-0000-7000-8000-000000000001";

    let refused = app
        .reserve(
            "order-1",
            &[
                (&plenty.id, 3),
                (&scarce.id, 2),
                (&deleted.id, 1),
                (unknown, 1),
            ],
        )
        .await;
    let status = expect_code(refused, Code::NotFound);
    assert_eq!(reason(&status), "PRODUCT_NOT_FOUND");
    let mut named: Vec<String> = info(&status, "product_ids")
        .split(',')
        .map(str::to_owned)
        .collect();
    named.sort();
    let mut expected = vec![deleted.id.clone(), unknown.to_owned()];
    expected.sort();
    assert_eq!(named, expected, "the short product is not named");
    for (product, units) in [(&plenty.id, 10), (&scarce.id, 1)] {
        let stock = app.stock(product).await;
        assert_eq!(
            (stock.available, stock.reserved),
            (units, 0),
            "nothing held"
        );
    }
}

#[tokio::test]
async fn a_refused_reservation_leaves_its_id_free_for_a_retry() {
    let app = TestApp::spawn().await;
    let scarce = app.create_product("Scarce", 100, 1).await;

    let refused = app.reserve("order-1", &[(&scarce.id, 2)]).await;
    expect_code(refused, Code::FailedPrecondition);
    let missing = app
        .reserve("order-1", &[("0190a1b2-0000-7000-8000-000000000001", 1)])
        .await;
    expect_code(missing, Code::NotFound);

    let held = app
        .reserve("order-1", &[(&scarce.id, 1)])
        .await
        .expect("the same id, now with what is there");
    assert_eq!(held.status(), ReservationStatus::Held);
    let stock = app.stock(&scarce.id).await;
    assert_eq!((stock.available, stock.reserved), (0, 1));
}

#[tokio::test]
async fn a_commit_answers_the_reservation_as_committed_and_a_repeat_answers_the_same() {
    let app = TestApp::spawn().await;
    let a = app.create_product("A", 100, 10).await;
    let b = app.create_product("B", 100, 10).await;
    let held = app
        .reserve("order-1", &[(&b.id, 2), (&a.id, 1)])
        .await
        .expect("reserve");

    let committed = app.commit("order-1").await.expect("commit");
    assert_eq!(committed.status(), ReservationStatus::Committed);
    assert_eq!(committed.lines, held.lines, "every line, as reserved");
    assert_eq!(committed.id, held.id);
    let again = app.commit("order-1").await.expect("repeat");
    assert_eq!(again, committed, "the first answer was what was stored");
    for (product, units) in [(&a.id, 9), (&b.id, 8)] {
        let stock = app.stock(product).await;
        assert_eq!((stock.available, stock.reserved), (units, 0));
    }
}
