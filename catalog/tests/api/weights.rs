//! A product's shipping weight: set when it is created, changed by an
//! update naming "weight_grams", read back everywhere, and kept between 0
//! (not known) and a tonne.

use contracts::{catalog as proto, events::event::Payload};
use prost_types::FieldMask;
use tonic::Code;

use crate::helpers::*;

fn weighing(grams: i32) -> proto::Product {
    proto::Product {
        weight_grams: grams,
        ..product("Kettle", "brewing", 7900)
    }
}

fn update(product: &proto::Product, paths: &[&str]) -> proto::UpdateProductRequest {
    proto::UpdateProductRequest {
        product: Some(product.clone()),
        update_mask: Some(FieldMask {
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        }),
    }
}

#[tokio::test]
async fn a_products_weight_is_read_back_by_every_read() {
    let app = TestApp::spawn().await;
    let created = app.create(weighing(1300), 5).await.expect("created");
    assert_eq!(created.weight_grams, 1300);
    let read = app.get_product(&created.id).await.expect("read");
    assert_eq!(read.weight_grams, 1300);
    let batch = app
        .batch_get(vec![created.id.clone()])
        .await
        .expect("batch");
    assert_eq!(batch[0].weight_grams, 1300);
    let listed = app
        .list_products(proto::ListProductsRequest::default())
        .await
        .expect("listed");
    assert_eq!(listed.products[0].weight_grams, 1300);
}

#[tokio::test]
async fn a_product_created_without_a_weight_weighs_zero() {
    let app = TestApp::spawn().await;
    let created = app.create_product("Mug", 900, 1).await;
    assert_eq!(created.weight_grams, 0);
}

#[tokio::test]
async fn an_update_naming_the_weight_changes_it_and_nothing_else() {
    let app = TestApp::spawn().await;
    let created = app.create(weighing(1300), 5).await.expect("created");
    let heavier = proto::Product {
        weight_grams: 1450,
        name: "ignored, not in the mask".into(),
        ..created.clone()
    };
    let updated = app
        .update(update(&heavier, &["weight_grams"]))
        .await
        .expect("updated");
    assert_eq!(updated.weight_grams, 1450);
    assert_eq!(updated.name, created.name);

    // A price change leaves the weight alone.
    let repriced = proto::Product {
        price: Some(usd(100)),
        weight_grams: 0,
        ..updated.clone()
    };
    let updated = app
        .update(update(&repriced, &["price"]))
        .await
        .expect("repriced");
    assert_eq!(updated.weight_grams, 1450);

    // "*" sets every field, the weight included.
    let everything = proto::Product {
        weight_grams: 0,
        ..updated.clone()
    };
    let updated = app
        .update(update(&everything, &["*"]))
        .await
        .expect("replaced");
    assert_eq!(updated.weight_grams, 0);
    assert_eq!(
        app.get_product(&created.id)
            .await
            .expect("read")
            .weight_grams,
        0
    );
}

#[tokio::test]
async fn a_weight_below_zero_or_over_a_tonne_is_refused() {
    let app = TestApp::spawn().await;
    for grams in [-1, 1_000_001] {
        let status = expect_code(app.create(weighing(grams), 1).await, Code::InvalidArgument);
        assert_eq!(violated_fields(&status), ["product.weight_grams"]);
    }
    let tonne = app.create(weighing(1_000_000), 1).await.expect("a tonne");
    let too_heavy = proto::Product {
        weight_grams: 1_000_001,
        ..tonne.clone()
    };
    let status = expect_code(
        app.update(update(&too_heavy, &["weight_grams"])).await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&status), ["product.weight_grams"]);
    assert_eq!(
        app.get_product(&tonne.id).await.expect("read").weight_grams,
        1_000_000
    );
}

#[tokio::test]
async fn an_update_may_name_all_five_fields() {
    let app = TestApp::spawn().await;
    let created = app.create(weighing(1300), 5).await.expect("created");
    let changed = proto::Product {
        name: "Kettle II".into(),
        weight_grams: 1200,
        ..created.clone()
    };
    let updated = app
        .update(update(
            &changed,
            &["name", "description", "category", "price", "weight_grams"],
        ))
        .await
        .expect("updated");
    assert_eq!(
        (updated.name.as_str(), updated.weight_grams),
        ("Kettle II", 1200)
    );
}

#[tokio::test]
async fn the_product_events_carry_the_weight() {
    let app = TestApp::spawn().await;
    let created = app.create(weighing(1300), 5).await.expect("created");
    let heavier = proto::Product {
        weight_grams: 1450,
        ..created.clone()
    };
    app.update(update(&heavier, &["weight_grams"]))
        .await
        .expect("updated");
    let weights: Vec<i32> = app
        .events()
        .await
        .into_iter()
        .filter_map(|e| match e.payload {
            Some(Payload::Product(changed)) => changed.product.map(|p| p.weight_grams),
            _ => None,
        })
        .collect();
    assert_eq!(weights, [1300, 1450]);
}
