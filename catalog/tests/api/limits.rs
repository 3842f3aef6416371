//! The documented maximum of every repeated request field (and of
//! page_size), enforced before any item is looked at: one small
//! INVALID_ARGUMENT naming the field, and nothing read or written.

use contracts::catalog as proto;
use prost_types::FieldMask;
use tonic::{Code, Status};

use crate::helpers::*;

/// A well-formed product id that names no product.
fn unknown_id(i: usize) -> String {
    format!("00000000-0000-7000-8000-{i:012}")
}

/// One violation, of `field`, saying what the maximum is; and an answer
/// that fits easily in HTTP/2 headers however many items were sent.
fn assert_one_small_violation(status: &Status, field: &str, max: usize) {
    assert_eq!(violated_fields(status), [field]);
    assert!(
        status.message().contains(&format!("at most {max}")),
        "{}",
        status.message()
    );
    let size = status.message().len() + status.details().len();
    assert!(size < 1024, "{size} bytes of error: {status:?}");
}

#[tokio::test]
async fn batch_get_refuses_more_than_100_ids_before_reading_any() {
    let app = TestApp::spawn().await;
    // Ids that would each be a violation, and far more than allowed.
    let invalid = app
        .catalog
        .clone()
        .batch_get_products(proto::BatchGetProductsRequest {
            ids: (0..1000).map(|i| format!("not an id {i}")).collect(),
        })
        .await;
    assert_one_small_violation(&expect_code(invalid, Code::InvalidArgument), "ids", 100);

    // Well-formed unknown ids: a lookup would have said NOT_FOUND.
    let unknown = app
        .catalog
        .clone()
        .batch_get_products(proto::BatchGetProductsRequest {
            ids: (0..101).map(unknown_id).collect(),
        })
        .await;
    assert_one_small_violation(&expect_code(unknown, Code::InvalidArgument), "ids", 100);

    // The maximum itself is a lookup like any other.
    let at_max = app
        .catalog
        .clone()
        .batch_get_products(proto::BatchGetProductsRequest {
            ids: (0..100).map(unknown_id).collect(),
        })
        .await;
    expect_code(at_max, Code::NotFound);
}

#[tokio::test]
async fn reserve_stock_refuses_more_than_50_lines_before_reserving_any() {
    let app = TestApp::spawn().await;
    let product = app.create_product("Kettle", 3000, 10).await;
    let mut lines = vec![(product.id.as_str(), 1)];
    let others: Vec<String> = (0..50).map(unknown_id).collect();
    lines.extend(others.iter().map(|id| (id.as_str(), 1)));

    // Even a bad reservation id is not looked at.
    let status = expect_code(app.reserve("", &lines).await, Code::InvalidArgument);
    assert_one_small_violation(&status, "lines", 50);
    let status = expect_code(app.reserve("order-1", &lines).await, Code::InvalidArgument);
    assert_one_small_violation(&status, "lines", 50);

    let stock = app.stock(&product.id).await;
    assert_eq!((stock.available, stock.reserved), (10, 0));
}

#[tokio::test]
async fn update_refuses_more_than_5_mask_paths_before_changing_anything() {
    let app = TestApp::spawn().await;
    let product = app.create_product("Grinder", 9000, 1).await;
    let paths = [
        "name",
        "description",
        "category",
        "price",
        "weight_grams",
        "name",
    ];
    let status = expect_code(
        app.catalog
            .clone()
            .update_product(app.as_admin(proto::UpdateProductRequest {
                product: Some(proto::Product {
                    name: "Renamed".into(),
                    ..product.clone()
                }),
                update_mask: Some(FieldMask {
                    paths: paths.iter().map(|p| (*p).to_owned()).collect(),
                }),
            }))
            .await,
        Code::InvalidArgument,
    );
    assert_one_small_violation(&status, "update_mask.paths", 5);

    let read = app
        .catalog
        .clone()
        .get_product(proto::GetProductRequest {
            id: product.id.clone(),
        })
        .await
        .expect("get")
        .into_inner();
    assert_eq!((read.name.as_str(), read.etag.as_str()), ("Grinder", "v1"));
}

#[tokio::test]
async fn a_page_size_above_100_is_served_as_100() {
    let app = TestApp::spawn().await;
    for i in 0..101 {
        app.create_product(&format!("Item {i}"), 100, 1).await;
    }
    let page = app
        .catalog
        .clone()
        .list_products(proto::ListProductsRequest {
            page_size: 101,
            ..Default::default()
        })
        .await
        .expect("a page size above the maximum is coerced")
        .into_inner();
    assert_eq!(page.products.len(), 100);
    assert!(!page.next_page_token.is_empty());

    let rest = app
        .catalog
        .clone()
        .list_products(proto::ListProductsRequest {
            page_size: 101,
            page_token: page.next_page_token,
            ..Default::default()
        })
        .await
        .expect("second page")
        .into_inner();
    assert_eq!(rest.products.len(), 1);
    assert!(rest.next_page_token.is_empty());
}
