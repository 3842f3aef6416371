//! Table definitions, identical on SQLite and PostgreSQL.

diesel::table! {
    orders (id) {
        id -> Text,
        user_id -> Text,
        request_id -> Text,
        fingerprint -> Text,
        status -> Text,
        currency -> Text,
        total_minor -> BigInt,
        payment_method -> Text,
        card_brand -> Nullable<Text>,
        card_last4 -> Nullable<Text>,
        payment_id -> Nullable<Text>,
        failure_reason -> Nullable<Text>,
        decline_code -> Nullable<Text>,
        cancel_reason -> Nullable<Text>,
        ship_recipient -> Text,
        ship_line1 -> Text,
        ship_line2 -> Text,
        ship_city -> Text,
        ship_region -> Text,
        ship_postal_code -> Text,
        ship_country_code -> Text,
        lease_owner -> Nullable<Text>,
        lease_until -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
        subtotal_minor -> BigInt,
        shipment_id -> Nullable<Text>,
        carrier -> Nullable<Text>,
        tracking_number -> Nullable<Text>,
        shipped_at -> Nullable<BigInt>,
        delivered_at -> Nullable<BigInt>,
        number -> Nullable<Text>,
    }
}

diesel::table! {
    order_lines (order_id, line_no) {
        order_id -> Text,
        line_no -> Integer,
        product_id -> Text,
        product_name -> Text,
        unit_price_minor -> BigInt,
        quantity -> BigInt,
    }
}

diesel::table! {
    order_events (order_id, sequence) {
        order_id -> Text,
        sequence -> BigInt,
        status -> Text,
        failure_reason -> Nullable<Text>,
        decline_code -> Nullable<Text>,
        payment_id -> Nullable<Text>,
        card_brand -> Nullable<Text>,
        cancel_reason -> Nullable<Text>,
        created_at -> BigInt,
        shipment_id -> Nullable<Text>,
        carrier -> Nullable<Text>,
        tracking_number -> Nullable<Text>,
        shipped_at -> Nullable<BigInt>,
        delivered_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    order_shipping (order_id) {
        order_id -> Text,
        quote_id -> Text,
        option_code -> Text,
        option_name -> Text,
        price_minor -> BigInt,
        earliest_delivery -> Nullable<BigInt>,
        latest_delivery -> Nullable<BigInt>,
    }
}

diesel::table! {
    order_shortfalls (order_id, product_id) {
        order_id -> Text,
        product_id -> Text,
        product_name -> Text,
        requested -> BigInt,
        available -> BigInt,
    }
}

diesel::joinable!(order_lines -> orders (order_id));
diesel::joinable!(order_shortfalls -> orders (order_id));
diesel::joinable!(order_shipping -> orders (order_id));
diesel::joinable!(order_events -> orders (order_id));
diesel::allow_tables_to_appear_in_same_query!(
    orders,
    order_lines,
    order_events,
    order_shipping,
    order_shortfalls
);
