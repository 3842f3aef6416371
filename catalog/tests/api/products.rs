//! CatalogService: listing, reading and admin writes of products.

use contracts::catalog as proto;
use prost_types::FieldMask;
use tonic::Code;

use crate::helpers::*;

fn list(
    page_size: i32,
    page_token: &str,
    category: &str,
    query: &str,
) -> proto::ListProductsRequest {
    proto::ListProductsRequest {
        page_size,
        page_token: page_token.to_owned(),
        category: category.to_owned(),
        query: query.to_owned(),
        order_by: String::new(),
    }
}

/// An update of product `id` to `product`'s fields named in `paths`.
fn update(
    id: &str,
    product: proto::Product,
    etag: &str,
    paths: &[&str],
) -> proto::UpdateProductRequest {
    proto::UpdateProductRequest {
        product: Some(proto::Product {
            id: id.to_owned(),
            etag: etag.to_owned(),
            ..product
        }),
        update_mask: Some(FieldMask {
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        }),
    }
}

#[tokio::test]
async fn listing_pages_through_every_product_once_in_creation_order() {
    let app = TestApp::spawn().await;
    let mut created = Vec::new();
    for i in 0..5 {
        created.push(app.create_product(&format!("Item {i}"), 100, 1).await.id);
    }

    let app = &app;
    let (seen, pages) = every_page(|token| async move {
        let page = app.list_products(list(2, &token, "", "")).await;
        let page = page.expect("list");
        let ids = page.products.into_iter().map(|p| p.id).collect();
        (ids, page.next_page_token)
    })
    .await;
    assert_eq!(seen, created);
    assert_eq!(pages, 3);
}

#[tokio::test]
async fn listing_filters_by_category_and_by_text_ignoring_case() {
    let app = TestApp::spawn().await;
    let beans = app.create_in("Kenya Coffee Beans", "coffee", 1200, 5).await;
    app.create_in("Coffee Mug", "kitchen", 900, 5).await;
    app.create_in("Green Tea", "tea", 700, 5).await;

    let coffee_category = app.list_products(list(0, "", "coffee", "")).await;
    let coffee_category = coffee_category.expect("list");
    assert_eq!(coffee_category.products.len(), 1);
    assert_eq!(coffee_category.products[0].id, beans.id);

    let mentions_coffee = app.list_products(list(0, "", "", "cOFFee")).await;
    let mentions_coffee = mentions_coffee.expect("list");
    let names: Vec<_> = mentions_coffee
        .products
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(names, ["Kenya Coffee Beans", "Coffee Mug"]);

    let wildcard_is_literal = app.list_products(list(0, "", "", "%")).await;
    assert!(wildcard_is_literal.expect("list").products.is_empty());
}

#[tokio::test]
async fn a_page_token_is_refused_if_tampered_with_or_used_with_other_filters() {
    let app = TestApp::spawn().await;
    for i in 0..3 {
        app.create_in(&format!("Tea {i}"), "tea", 100, 1).await;
    }
    let first = app
        .list_products(list(1, "", "tea", ""))
        .await
        .expect("list");
    assert!(!first.next_page_token.is_empty());

    let other_filters = app
        .list_products(list(1, &first.next_page_token, "coffee", ""))
        .await;
    let status = expect_code(other_filters, Code::InvalidArgument);
    assert_eq!(violated_fields(&status), ["page_token"]);

    let mut tampered = first.next_page_token.clone();
    tampered.insert(3, 'x');
    let status = expect_code(
        app.list_products(list(1, &tampered, "tea", "")).await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&status), ["page_token"]);
}

#[tokio::test]
async fn listing_rejects_bad_arguments_by_field() {
    let app = TestApp::spawn().await;
    let status = expect_code(
        app.list_products(list(-1, "", "Not A Slug", &"x".repeat(101)))
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&status), ["page_size", "category", "query"]);

    // Above the maximum is lowered to it, as AIP-158 says.
    app.list_products(list(10_000, "", "", ""))
        .await
        .expect("capped page size");
}

#[tokio::test]
async fn a_created_product_can_be_read_back() {
    let app = TestApp::spawn().await;
    let created = app.create_product("Pour-Over Dripper", 2400, 7).await;
    assert!(!created.id.is_empty());
    assert_eq!(created.etag, "v1");

    let read = app.get_product(&created.id).await.expect("get");
    assert_eq!(read, created);
    assert_eq!(app.stock(&created.id).await.available, 7);
}

#[tokio::test]
async fn reading_an_unknown_or_malformed_id_fails_clearly() {
    let app = TestApp::spawn().await;
    let unknown = app
        .get_product("0190a1b2-0000-7000-8000-000000000001")
        .await;
    assert_eq!(
        reason(&expect_code(unknown, Code::NotFound)),
        "PRODUCT_NOT_FOUND"
    );

    let malformed = app.get_product("42").await;
    assert_eq!(
        violated_fields(&expect_code(malformed, Code::InvalidArgument)),
        ["id"]
    );
}

#[tokio::test]
async fn batch_get_keeps_the_requested_order_and_names_missing_ids() {
    let app = TestApp::spawn().await;
    let a = app.create_product("A", 100, 1).await;
    let b = app.create_product("B", 200, 1).await;
    // Warm the cache for one of them, so hits and misses are mixed.
    app.get_product(&a.id).await.expect("get");

    let both = app
        .batch_get(vec![b.id.clone(), a.id.clone()])
        .await
        .expect("batch");
    let ids: Vec<_> = both.iter().map(|p| p.id.clone()).collect();
    assert_eq!(ids, [b.id.clone(), a.id.clone()]);

    let missing = "0190a1b2-0000-7000-8000-000000000009";
    let status = expect_code(
        app.batch_get(vec![a.id.clone(), missing.into()]).await,
        Code::NotFound,
    );
    assert_eq!(info(&status, "product_ids"), missing);
}

#[tokio::test]
async fn batch_get_refuses_empty_oversized_and_repeated_id_lists() {
    let app = TestApp::spawn().await;
    let a = app.create_product("A", 100, 1).await;
    let empty = app.batch_get(vec![]).await;
    assert_eq!(
        violated_fields(&expect_code(empty, Code::InvalidArgument)),
        ["ids"]
    );

    let repeated = app.batch_get(vec![a.id.clone(), a.id.clone()]).await;
    assert_eq!(
        violated_fields(&expect_code(repeated, Code::InvalidArgument)),
        ["ids[1]"]
    );

    let oversized = app.batch_get(vec![a.id.clone(); 101]).await;
    expect_code(oversized, Code::InvalidArgument);
}

#[tokio::test]
async fn creating_an_invalid_product_names_every_bad_field() {
    let app = TestApp::spawn().await;
    let invalid = proto::Product {
        name: " ".into(),
        description: "ok".into(),
        category: "Coffee Beans".into(),
        price: Some(contracts::common::Money {
            currency_code: "XYZ".into(),
            amount_minor: 100,
        }),
        ..Default::default()
    };
    let status = expect_code(app.create(invalid, 5_000_000).await, Code::InvalidArgument);
    assert_eq!(
        violated_fields(&status),
        [
            "product.name",
            "product.category",
            "product.price.currency_code",
            "initial_stock"
        ]
    );

    let negative_price = app.create(product("Mug", "kitchen", -1), 1).await;
    assert_eq!(
        violated_fields(&expect_code(negative_price, Code::InvalidArgument)),
        ["product.price.amount_minor"]
    );
}

#[tokio::test]
async fn an_update_changes_only_the_masked_fields_and_is_visible_at_once() {
    let app = TestApp::spawn().await;
    let created = app.create_product("Mug", 900, 1).await;
    // Cache it first: the update must not leave the old price behind.
    app.get_product(&created.id).await.expect("get");

    let repriced = proto::Product {
        name: "ignored, not in the mask".into(),
        price: Some(usd(1200)),
        ..Default::default()
    };
    let updated = app
        .update(update(&created.id, repriced, &created.etag, &["price"]))
        .await
        .expect("update");
    assert_eq!(updated.name, "Mug");
    assert_eq!(updated.price, Some(usd(1200)));
    assert_ne!(updated.etag, created.etag);

    let read = app.get_product(&created.id).await.expect("get");
    assert_eq!(read, updated);
}

#[tokio::test]
async fn an_update_with_a_stale_etag_is_aborted() {
    let app = TestApp::spawn().await;
    let created = app.create_product("Mug", 900, 1).await;
    let rename = |name: &str, etag: &str| {
        let renamed = proto::Product {
            name: name.into(),
            ..Default::default()
        };
        update(&created.id, renamed, etag, &["name"])
    };
    app.update(rename("First", &created.etag))
        .await
        .expect("first writer wins");
    let second = app.update(rename("Second", &created.etag)).await;
    assert_eq!(reason(&expect_code(second, Code::Aborted)), "ETAG_MISMATCH");

    let not_ours = app.update(rename("Third", "abc")).await;
    assert_eq!(
        violated_fields(&expect_code(not_ours, Code::InvalidArgument)),
        ["product.etag"]
    );
}

#[tokio::test]
async fn an_update_needs_a_known_product_and_a_valid_mask() {
    let app = TestApp::spawn().await;
    let created = app.create_product("Mug", 900, 1).await;
    let rename = |id: &str, paths: &[&str]| {
        let renamed = proto::Product {
            name: "New".into(),
            ..Default::default()
        };
        update(id, renamed, "", paths)
    };
    let unknown = app
        .update(rename("0190a1b2-0000-7000-8000-000000000001", &["name"]))
        .await;
    expect_code(unknown, Code::NotFound);

    let empty_mask = app.update(rename(&created.id, &[])).await;
    assert_eq!(
        violated_fields(&expect_code(empty_mask, Code::InvalidArgument)),
        ["update_mask"]
    );

    let unknown_field = app.update(rename(&created.id, &["stock"])).await;
    assert_eq!(
        violated_fields(&expect_code(unknown_field, Code::InvalidArgument)),
        ["update_mask.paths[0]"]
    );
}

#[tokio::test]
async fn a_deleted_product_disappears_from_every_read() {
    let app = TestApp::spawn().await;
    let kept = app.create_product("Kept", 100, 1).await;
    let gone = app.create_product("Gone", 100, 1).await;

    let stale = app.delete(&gone.id, "v9").await;
    expect_code(stale, Code::Aborted);

    app.delete(&gone.id, &gone.etag).await.expect("delete");

    let get = app.get_product(&gone.id).await;
    expect_code(get, Code::NotFound);
    let listed = app.list_products(list(0, "", "", "")).await.expect("list");
    let ids: Vec<_> = listed.products.into_iter().map(|p| p.id).collect();
    assert_eq!(ids, [kept.id]);

    let again = app.delete(&gone.id, "").await;
    expect_code(again, Code::NotFound);
    let reserve = app.reserve("order-1", &[(&gone.id, 1)]).await;
    expect_code(reserve, Code::NotFound);
}
