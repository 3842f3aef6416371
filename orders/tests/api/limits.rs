//! The documented maximum of CreateOrder's lines (checked before any line
//! is looked at, and before the saga starts) and of ListOrders' page_size.

use contracts::orders as proto;
use tonic::Code;

use crate::helpers::*;

#[tokio::test]
async fn more_than_50_lines_are_refused_before_anything_else_happens() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 900, 10).await;
    let unknown: Vec<String> = (0..50)
        .map(|i| format!("00000000-0000-7000-8000-{i:012}"))
        .collect();
    let mut lines = vec![(mug.as_str(), 1)];
    lines.extend(unknown.iter().map(|id| (id.as_str(), 1)));

    // Other fields are bad too; only the line count is reported.
    let mut request = order("", &lines, card("1234"));
    request.shipping_address = None;
    let status = expect_code(shop.place("alice", request).await, Code::InvalidArgument);
    assert_eq!(violated_fields(&status), ["lines"]);
    assert!(status.message().contains("at most 50"), "{status:?}");
    let size = status.message().len() + status.details().len();
    assert!(size < 1024, "{size} bytes of error: {status:?}");

    // Well-formed: without the limit this would be a saga (NOT_FOUND).
    let status = expect_code(
        shop.place("alice", order("r1", &lines, card(GOOD_CARD)))
            .await,
        Code::InvalidArgument,
    );
    assert_eq!(violated_fields(&status), ["lines"]);

    assert!(shop.orders_of("alice").await.is_empty());
    let stock = shop.stock(&mug).await;
    assert_eq!((stock.available, stock.reserved), (10, 0));
}

#[tokio::test]
async fn a_page_size_above_100_is_served_as_100() {
    let shop = TestShop::spawn().await;
    let mug = shop.product("Mug", 100, 1000).await;
    for i in 0..101 {
        shop.place(
            "alice",
            order(&format!("r{i}"), &[(&mug, 1)], card(GOOD_CARD)),
        )
        .await
        .expect("place");
    }
    let list = |page_token: String| proto::ListOrdersRequest {
        page_size: 101,
        page_token,
        ..Default::default()
    };
    let page = shop
        .orders
        .clone()
        .list_orders(shop.as_user("alice", list(String::new())))
        .await
        .expect("a page size above the maximum is coerced")
        .into_inner();
    assert_eq!(page.orders.len(), 100);
    assert!(!page.next_page_token.is_empty());

    let rest = shop
        .orders
        .clone()
        .list_orders(shop.as_user("alice", list(page.next_page_token)))
        .await
        .expect("second page")
        .into_inner();
    assert_eq!(rest.orders.len(), 1);
    assert!(rest.next_page_token.is_empty());
}
