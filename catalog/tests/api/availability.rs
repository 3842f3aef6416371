//! Product.availability on every read, kept current through stock changes
//! on this replica (the cache forgets what they touch) and within the cache
//! TTL elsewhere.

use std::time::Duration;

use contracts::catalog::{self as proto, AvailabilityStatus};

use crate::helpers::*;

const IN_STOCK: (AvailabilityStatus, i64) = (AvailabilityStatus::InStock, 0);
const OUT: (AvailabilityStatus, i64) = (AvailabilityStatus::OutOfStock, 0);

fn low(units: i64) -> (AvailabilityStatus, i64) {
    (AvailabilityStatus::LowStock, units)
}

fn of(product: &proto::Product) -> (AvailabilityStatus, i64) {
    let availability = product.availability.expect("every product has one");
    (availability.status(), availability.units_left)
}

/// A catalog whose cache would keep a product for an hour: only the
/// invalidation of stock changes can make them show at once.
async fn long_cached() -> TestApp {
    TestApp::spawn_with(|config| config.cache_ttl = Duration::from_secs(3600)).await
}

/// The product's availability as GetProduct, BatchGetProducts and
/// ListProducts show it, which must agree.
async fn seen(app: &TestApp, id: &str) -> (AvailabilityStatus, i64) {
    let got = of(&app.get_product(id).await.expect("get"));
    let batch = app.batch_get(vec![id.to_owned()]).await.expect("batch get");
    let listed = app
        .list_products(proto::ListProductsRequest::default())
        .await
        .expect("list");
    let listed = listed.products.iter().find(|p| p.id == id).expect("listed");
    assert_eq!(of(&batch[0]), got, "BatchGetProducts disagrees");
    assert_eq!(of(listed), got, "ListProducts disagrees");
    got
}

#[tokio::test]
async fn a_product_shows_its_availability_from_creation() {
    let app = TestApp::spawn().await;
    let plenty = app.create_product("Plenty", 100, 6).await;
    let few = app.create_product("Few", 100, 5).await;
    let one = app.create_product("One", 100, 1).await;
    let none = app.create_product("None", 100, 0).await;
    // What the create answers, and what every read shows.
    assert_eq!(of(&plenty), IN_STOCK);
    assert_eq!(of(&few), low(5));
    assert_eq!(of(&one), low(1));
    assert_eq!(of(&none), OUT);
    assert_eq!(seen(&app, &plenty.id).await, IN_STOCK);
    assert_eq!(seen(&app, &few.id).await, low(5));
    assert_eq!(seen(&app, &one.id).await, low(1));
    assert_eq!(seen(&app, &none.id).await, OUT);
}

#[tokio::test]
async fn reserving_adjusting_and_releasing_show_at_once_despite_the_cache() {
    let app = long_cached().await;
    let mug = app.create_product("Mug", 900, 10).await;
    // Cached now.
    assert_eq!(seen(&app, &mug.id).await, IN_STOCK);

    app.hold("order-1", &mug.id, 6).await;
    assert_eq!(seen(&app, &mug.id).await, low(4));

    app.adjust(&mug.id, -4, "broken").await.expect("adjust");
    assert_eq!(seen(&app, &mug.id).await, OUT);

    app.release("order-1").await.expect("release");
    assert_eq!(seen(&app, &mug.id).await, IN_STOCK);

    app.adjust(&mug.id, -3, "counted").await.expect("adjust");
    assert_eq!(seen(&app, &mug.id).await, low(3));

    // A commit sells held units: what is available does not change.
    app.hold("order-2", &mug.id, 2).await;
    assert_eq!(seen(&app, &mug.id).await, low(1));
    app.commit("order-2").await.expect("commit");
    assert_eq!(seen(&app, &mug.id).await, low(1));
    // Releasing a sold reservation (a refund) puts its units back.
    app.release("order-2").await.expect("release");
    assert_eq!(seen(&app, &mug.id).await, low(3));
}

#[tokio::test]
async fn a_reservation_of_several_products_updates_each() {
    let app = long_cached().await;
    let a = app.create_product("A", 100, 7).await;
    let b = app.create_product("B", 100, 2).await;
    seen(&app, &a.id).await;
    seen(&app, &b.id).await;
    app.reserve("order-1", &[(&a.id, 3), (&b.id, 2)])
        .await
        .expect("reserve");
    assert_eq!(seen(&app, &a.id).await, low(4));
    assert_eq!(seen(&app, &b.id).await, OUT);
    // A refused reservation changes nothing.
    app.reserve("order-2", &[(&a.id, 1), (&b.id, 1)])
        .await
        .expect_err("out of stock");
    assert_eq!(seen(&app, &a.id).await, low(4));
}

#[tokio::test]
async fn an_expired_hold_shows_its_units_back_at_once() {
    let app = TestApp::spawn_with(|config| {
        config.cache_ttl = Duration::from_secs(3600);
        config.sweep_interval = Duration::from_millis(20);
    })
    .await;
    let mug = app.create_product("Mug", 900, 3).await;
    app.hold("order-1", &mug.id, 3).await;
    assert_eq!(seen(&app, &mug.id).await, OUT);

    app.clock.advance(Duration::from_secs(16 * 60));
    eventually("the sweeper releases the expired hold", || async {
        app.stock(&mug.id).await.available == 3
    })
    .await;
    assert_eq!(seen(&app, &mug.id).await, low(3));
}

#[test]
fn the_cache_keeps_other_replicas_within_a_few_seconds() {
    let config = catalog::Config::new(
        "sqlite::memory:",
        platform::testing::TestAuth::new().verifier(),
    );
    assert!(
        config.cache_ttl <= Duration::from_secs(3),
        "{:?}",
        config.cache_ttl
    );
}

#[tokio::test]
async fn product_events_do_not_carry_availability() {
    let app = TestApp::spawn().await;
    let mug = app.create_product("Mug", 900, 3).await;
    app.update(proto::UpdateProductRequest {
        product: Some(proto::Product {
            id: mug.id.clone(),
            price: Some(usd(1000)),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["price".into()],
        }),
    })
    .await
    .expect("update");
    let products: Vec<_> = app
        .events()
        .await
        .into_iter()
        .filter_map(|event| match event.payload {
            Some(contracts::events::event::Payload::Product(changed)) => changed.product,
            _ => None,
        })
        .collect();
    assert_eq!(products.len(), 2);
    assert!(products.iter().all(|p| p.availability.is_none()));
}
