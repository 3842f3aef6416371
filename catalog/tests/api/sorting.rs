//! ListProducts' order_by and ListCategories.

use std::time::Duration;

use contracts::catalog as proto;
use tonic::Code;

use crate::helpers::*;

fn sorted(order_by: &str, page_size: i32, page_token: &str) -> proto::ListProductsRequest {
    proto::ListProductsRequest {
        page_size,
        page_token: page_token.to_owned(),
        order_by: order_by.to_owned(),
        ..Default::default()
    }
}

/// Every product id in `order_by`, page by page.
async fn all_ids(app: &TestApp, order_by: &str, page_size: i32) -> Vec<String> {
    let (ids, _) = every_page(|token| async move {
        let page = app.list_products(sorted(order_by, page_size, &token)).await;
        let page = page.expect("list");
        (
            page.products.into_iter().map(|p| p.id).collect(),
            page.next_page_token,
        )
    })
    .await;
    ids
}

/// Products created a second apart, so creation order differs from name
/// and price order; names and prices repeat, so only ids break ties.
async fn shuffled_products(app: &TestApp) -> Vec<proto::Product> {
    let mut created = Vec::new();
    for (name, price) in [
        ("cherry", 300),
        ("apple", 500),
        ("banana", 100),
        ("apple", 300),
        ("date", 900),
        ("banana", 300),
        ("elder", 0),
    ] {
        created.push(app.create_product(name, price, 1).await);
        app.clock.advance(Duration::from_secs(1));
    }
    created
}

fn price(p: &proto::Product) -> i64 {
    p.price.as_ref().map_or(0, |m| m.amount_minor)
}

#[tokio::test]
async fn every_order_pages_through_every_product_exactly_once() {
    let app = TestApp::spawn().await;
    let created = shuffled_products(&app).await;
    let by = |key: fn(&proto::Product) -> (String, i64), descending: bool| {
        let mut products = created.clone();
        products.sort_by_key(|p| (key(p), p.id.clone()));
        if descending {
            products.reverse();
        }
        products.into_iter().map(|p| p.id).collect::<Vec<_>>()
    };
    let creation_order: Vec<String> = created.iter().map(|p| p.id.clone()).collect();
    let expected = [
        ("", creation_order.clone()),
        ("create_time", creation_order.clone()),
        (
            "create_time desc",
            creation_order.iter().rev().cloned().collect(),
        ),
        ("name", by(|p| (p.name.clone(), 0), false)),
        ("name desc", by(|p| (p.name.clone(), 0), true)),
        ("price", by(|p| (String::new(), price(p)), false)),
        ("price desc", by(|p| (String::new(), price(p)), true)),
    ];
    for (order_by, ids) in expected {
        for page_size in [1, 3, 100] {
            assert_eq!(
                all_ids(&app, order_by, page_size).await,
                ids,
                "order_by {order_by:?}, page_size {page_size}"
            );
        }
    }
}

#[tokio::test]
async fn name_and_price_orders_show_their_keys_in_order() {
    let app = TestApp::spawn().await;
    shuffled_products(&app).await;
    let names = app
        .list_products(sorted("name", 0, ""))
        .await
        .expect("list");
    let names: Vec<_> = names.products.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "apple", "apple", "banana", "banana", "cherry", "date", "elder"
        ]
    );
    let prices = app.list_products(sorted(" price desc ", 0, "")).await;
    let prices: Vec<_> = prices.expect("list").products.iter().map(price).collect();
    assert_eq!(prices, [900, 500, 300, 300, 300, 100, 0]);
}

#[tokio::test]
async fn a_sorted_listing_keeps_its_filters() {
    let app = TestApp::spawn().await;
    app.create_in("zebra mug", "kitchen", 100, 1).await;
    app.create_in("coffee", "coffee", 50, 1).await;
    app.create_in("aardvark mug", "kitchen", 200, 1).await;
    let request = proto::ListProductsRequest {
        category: "kitchen".into(),
        query: "MUG".into(),
        order_by: "name desc".into(),
        page_size: 1,
        ..Default::default()
    };
    let first = app.list_products(request.clone()).await.expect("list");
    let second = app
        .list_products(proto::ListProductsRequest {
            page_token: first.next_page_token.clone(),
            ..request
        })
        .await
        .expect("list");
    assert_eq!(first.products[0].name, "zebra mug");
    assert_eq!(second.products[0].name, "aardvark mug");
    assert!(second.next_page_token.is_empty());
}

#[tokio::test]
async fn a_page_token_is_only_good_for_the_order_it_came_from() {
    let app = TestApp::spawn().await;
    shuffled_products(&app).await;
    let first = app
        .list_products(sorted("name", 2, ""))
        .await
        .expect("list");
    assert!(!first.next_page_token.is_empty());
    for other in ["", "create_time", "name desc", "price"] {
        let status = expect_code(
            app.list_products(sorted(other, 2, &first.next_page_token))
                .await,
            Code::InvalidArgument,
        );
        assert_eq!(violated_fields(&status), ["page_token"], "{other:?}");
    }
    // The same order spelled with spaces around it is the same order.
    app.list_products(sorted(" name ", 2, &first.next_page_token))
        .await
        .expect("same order");
}

#[tokio::test]
async fn unknown_orders_are_refused_naming_order_by_and_what_is_allowed() {
    let app = TestApp::spawn().await;
    for bad in [
        "rating",
        "Name",
        "name asc",
        "name DESC",
        "name  desc",
        "name,price",
        "price desc, name",
        "desc",
        "create_time desc desc",
        &"name ".repeat(10_000),
    ] {
        let status = expect_code(
            app.list_products(sorted(bad, 0, "")).await,
            Code::InvalidArgument,
        );
        assert_eq!(violated_fields(&status), ["order_by"]);
        let message = status.message();
        for allowed in ["create_time", "name desc", "price desc"] {
            assert!(message.contains(allowed), "{message}");
        }
        assert!(message.len() < 1024);
    }
    // Every field is checked at once, and a bad order does not hide a bad size.
    let status = expect_code(
        app.list_products(sorted("rating", -1, "not a token")).await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&status), ["page_size", "order_by"]);
}

async fn categories(app: &TestApp) -> Vec<(String, i64)> {
    app.catalog
        .clone()
        .list_categories(proto::ListCategoriesRequest {})
        .await
        .expect("list categories")
        .into_inner()
        .categories
        .into_iter()
        .map(|c| (c.slug, c.product_count))
        .collect()
}

#[tokio::test]
async fn categories_count_their_products_and_come_by_slug() {
    let app = TestApp::spawn().await;
    assert_eq!(categories(&app).await, []);
    app.create_in("Tea 1", "tea", 100, 1).await;
    app.create_in("Tea 2", "tea", 100, 0).await;
    app.create_in("Beans", "coffeemaker", 100, 1).await;
    app.create_in("Grinder", "coffee-gear", 100, 1).await;
    app.create_in("Kenya", "coffee", 100, 1).await;
    let gone = app.create_in("Gone", "discontinued", 100, 1).await;
    let gone_tea = app.create_in("Tea 3", "tea", 100, 1).await;
    app.delete(&gone.id, "").await.expect("delete");
    app.delete(&gone_tea.id, "").await.expect("delete");

    // Byte order: "-" before letters, whatever the database's collation.
    assert_eq!(
        categories(&app).await,
        [
            ("coffee".to_owned(), 1),
            ("coffee-gear".to_owned(), 1),
            ("coffeemaker".to_owned(), 1),
            ("tea".to_owned(), 2),
        ]
    );
}

#[tokio::test]
async fn categories_are_public_and_follow_moves() {
    let app = TestApp::spawn().await;
    let mug = app.create_in("Mug", "kitchen", 900, 1).await;
    app.update(proto::UpdateProductRequest {
        product: Some(proto::Product {
            id: mug.id.clone(),
            category: "mugs".into(),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["category".into()],
        }),
    })
    .await
    .expect("move");
    assert_eq!(categories(&app).await, [("mugs".to_owned(), 1)]);
}
