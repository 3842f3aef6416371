//! Table definitions, identical on SQLite and PostgreSQL (the migrations
//! keep the column types portable: text and big integers).

diesel::table! {
    payments (id) {
        id -> Text,
        idempotency_key -> Text,
        fingerprint -> Text,
        order_id -> Text,
        user_id -> Text,
        currency -> Text,
        amount_minor -> BigInt,
        method -> Text,
        card_brand -> Text,
        card_last4 -> Text,
        status -> Text,
        decline_code -> Nullable<Text>,
        captured_minor -> BigInt,
        refunded_minor -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    charge_leases (payment_id) {
        payment_id -> Text,
        lease_until -> BigInt,
        attempts -> BigInt,
    }
}

diesel::table! {
    refunds (id) {
        id -> Text,
        payment_id -> Text,
        idempotency_key -> Text,
        fingerprint -> Text,
        amount_minor -> BigInt,
        reason -> Text,
        status -> Text,
        actor -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    wallets (user_id, currency) {
        user_id -> Text,
        currency -> Text,
        balance_minor -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    top_ups (id) {
        id -> Text,
        idempotency_key -> Text,
        fingerprint -> Text,
        user_id -> Text,
        currency -> Text,
        amount_minor -> BigInt,
        reason -> Text,
        actor -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    ledger_entries (id) {
        id -> Text,
        kind -> Text,
        reference -> Text,
        payment_id -> Nullable<Text>,
        user_id -> Text,
        method -> Text,
        currency -> Text,
        amount_minor -> BigInt,
        processor_reference -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::joinable!(refunds -> payments (payment_id));
diesel::joinable!(charge_leases -> payments (payment_id));
diesel::allow_tables_to_appear_in_same_query!(
    payments,
    charge_leases,
    refunds,
    wallets,
    top_ups,
    ledger_entries
);

diesel::table! {
    charge_voids (idempotency_key) {
        idempotency_key -> Text,
        order_id -> Text,
        created_at -> BigInt,
    }
}
