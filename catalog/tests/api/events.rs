//! What the catalog tells others: product and stock events written with
//! each change (the outbox), numbered per product.

use contracts::events::{ListDeadEventsRequest, RedriveDeadEventsRequest, event::Payload};
use platform::events::types;
use prost_types::FieldMask;

use crate::helpers::{TestApp, product};
use contracts::catalog as proto;

/// The (type, aggregate, sequence) of every event written so far.
async fn written(app: &TestApp) -> Vec<(String, String, i64)> {
    app.events()
        .await
        .into_iter()
        .map(|e| (e.r#type, e.aggregate_id, e.aggregate_sequence))
        .collect()
}

#[tokio::test]
async fn creating_repricing_and_deleting_a_product_each_publish_one_event() {
    let app = TestApp::spawn().await;
    let created = app.create_product("Kettle", 2500, 40).await;
    let repriced = app
        .update(proto::UpdateProductRequest {
            product: Some(proto::Product {
                id: created.id.clone(),
                etag: created.etag.clone(),
                ..product("Kettle", "general", 2900)
            }),
            update_mask: Some(FieldMask {
                paths: vec!["price".to_owned()],
            }),
        })
        .await
        .expect("reprice");
    app.delete(&created.id, &repriced.etag)
        .await
        .expect("delete");

    let id = created.id.clone();
    assert_eq!(
        written(&app).await,
        vec![
            (types::PRODUCT_CREATED.to_owned(), id.clone(), 1),
            (types::PRODUCT_UPDATED.to_owned(), id.clone(), 2),
            (types::PRODUCT_DELETED.to_owned(), id.clone(), 3),
        ]
    );
    let events = app.events().await;
    let Some(Payload::Product(update)) = &events[1].payload else {
        panic!("an update carries the product: {:?}", events[1].payload);
    };
    assert_eq!(update.previous_price_minor, Some(2500), "the price it had");
    assert_eq!(
        update
            .product
            .as_ref()
            .and_then(|p| p.price.as_ref())
            .map(|m| m.amount_minor),
        Some(2900)
    );
}

#[tokio::test]
async fn a_failed_update_publishes_nothing() {
    let app = TestApp::spawn().await;
    let created = app.create_product("Kettle", 2500, 40).await;
    let stale = app
        .update(proto::UpdateProductRequest {
            product: Some(proto::Product {
                id: created.id.clone(),
                etag: "not-the-etag".into(),
                ..product("Kettle", "general", 2900)
            }),
            update_mask: Some(FieldMask {
                paths: vec!["price".to_owned()],
            }),
        })
        .await;
    assert!(stale.is_err(), "refused");
    assert_eq!(written(&app).await.len(), 1, "only the creation");
}

#[tokio::test]
async fn stock_low_is_published_once_when_a_sale_takes_it_below_the_threshold() {
    let app = TestApp::spawn_with(|config| config.low_stock_threshold = 5).await;
    let created = app.create_product("Mug", 900, 8).await;
    app.hold("r1", &created.id, 2).await; // 8 -> 6: above
    app.hold("r2", &created.id, 2).await; // 6 -> 4: crosses
    app.hold("r3", &created.id, 1).await; // 4 -> 3: already below
    app.release("r3").await.expect("release"); // back up to 4
    app.adjust(&created.id, 10, "delivery")
        .await
        .expect("restock"); // 14
    app.adjust(&created.id, -12, "damaged")
        .await
        .expect("write off"); // 2: crosses again

    let lows: Vec<_> = app
        .events()
        .await
        .into_iter()
        .filter(|e| e.r#type == types::STOCK_LOW)
        .filter_map(|e| match e.payload {
            Some(Payload::StockLow(low)) => Some((low.available, low.threshold)),
            _ => None,
        })
        .collect();
    assert_eq!(lows, vec![(4, 5), (2, 5)]);
}

#[tokio::test]
async fn admins_see_and_redrive_dead_events_and_customers_may_not() {
    let app = TestApp::spawn().await;
    let created = app.create_product("Kettle", 2500, 40).await;
    // As the relay leaves an event no queue would take.
    app.execute_sql("UPDATE event_outbox SET state = 'dead', last_error = 'unroutable'")
        .await;

    let refused = app
        .event_admin()
        .list_dead_events(app.as_customer(ListDeadEventsRequest::default()))
        .await
        .expect_err("admins only");
    assert_eq!(refused.code(), tonic::Code::PermissionDenied);

    let dead = app
        .event_admin()
        .list_dead_events(app.as_admin(ListDeadEventsRequest::default()))
        .await
        .expect("list")
        .into_inner();
    assert_eq!(dead.events.len(), 1);
    assert_eq!(dead.events[0].aggregate_id, created.id);
    assert_eq!(dead.events[0].reason, "unroutable");

    let garbage = app
        .event_admin()
        .redrive_dead_events(app.as_admin(RedriveDeadEventsRequest {
            event_ids: vec!["not-an-id".into()],
        }))
        .await
        .expect_err("ids are checked");
    assert_eq!(crate::helpers::violated_fields(&garbage), ["event_ids[0]"]);

    let redriven = app
        .event_admin()
        .redrive_dead_events(app.as_admin(RedriveDeadEventsRequest {
            event_ids: vec![dead.events[0].event_id.clone()],
        }))
        .await
        .expect("redrive")
        .into_inner();
    assert_eq!(redriven.redriven, 1);
    let left = app
        .event_admin()
        .list_dead_events(app.as_admin(ListDeadEventsRequest::default()))
        .await
        .expect("list")
        .into_inner();
    assert!(left.events.is_empty(), "pending again: {left:?}");
}

#[tokio::test]
async fn dead_events_page_like_every_listing() {
    let app = TestApp::spawn().await;
    for i in 0..5 {
        app.create_product(&format!("Thing {i}"), 100, 1).await;
    }
    app.execute_sql("UPDATE event_outbox SET state = 'dead'")
        .await;
    let (events, pages) = crate::helpers::every_page(|token| async {
        let page = app
            .event_admin()
            .list_dead_events(app.as_admin(ListDeadEventsRequest {
                page_size: 2,
                page_token: token,
            }))
            .await
            .expect("page")
            .into_inner();
        (page.events, page.next_page_token)
    })
    .await;
    assert_eq!((events.len(), pages), (5, 3));
}
