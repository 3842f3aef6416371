//! Table definitions, identical on SQLite and PostgreSQL (the migrations
//! keep the column types portable: text, big integers, booleans, and
//! bytes as BYTEA, which SQLite stores as a blob).

diesel::table! {
    products (id) {
        id -> Text,
        name -> Text,
        description -> Text,
        category -> Text,
        price_minor -> BigInt,
        currency -> Text,
        search_text -> Text,
        version -> BigInt,
        deleted -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
        weight_grams -> Integer,
    }
}

diesel::table! {
    stock (product_id) {
        product_id -> Text,
        available -> BigInt,
        reserved -> BigInt,
    }
}

diesel::table! {
    reservations (id) {
        id -> Text,
        status -> Text,
        expires_at -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    reservation_lines (reservation_id, product_id) {
        reservation_id -> Text,
        product_id -> Text,
        quantity -> BigInt,
    }
}

diesel::table! {
    stock_adjustments (id) {
        id -> Text,
        product_id -> Text,
        delta -> BigInt,
        reason -> Text,
        actor -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    product_images (id) {
        id -> Text,
        product_id -> Text,
        position -> Integer,
        content_type -> Text,
        width -> Integer,
        height -> Integer,
        size_bytes -> BigInt,
        sha256 -> Text,
        thumb_content_type -> Text,
        thumb_sha256 -> Text,
        alt_text -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    image_blobs (key) {
        key -> Text,
        content -> Binary,
    }
}

diesel::joinable!(stock -> products (product_id));
diesel::joinable!(product_images -> products (product_id));
diesel::joinable!(reservation_lines -> reservations (reservation_id));
diesel::allow_tables_to_appear_in_same_query!(
    products,
    stock,
    reservations,
    reservation_lines,
    product_images
);
