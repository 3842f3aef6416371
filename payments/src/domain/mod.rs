//! The payment rules, free of transport and storage: validated values (a
//! value of these types is valid by construction), cards, payments and
//! refunds, wallets, the ledger, and request fingerprints.
//!
//! Constructors return `Err(description)`; the API layer names the field.

pub mod card;
pub mod fingerprint;
pub mod ledger;
pub mod payment;
pub mod values;
pub mod wallet;

pub use card::{Brand, Card, CardNumber, CardSummary, Cvc, Expiry, ExpiryError, HolderName};
pub use fingerprint::Fingerprint;
pub use ledger::{EntryKind, LedgerEntry};
pub use payment::{
    ChargeDecision, ChargeRequest, ChargeState, DeclineCode, ListQuery, MethodKind, MethodSummary,
    NewCharge, Payment, PaymentMethod, PaymentStatus, Refund, RefundDecision, RefundRequest,
    RefundState,
};
pub use values::*;
pub use wallet::{TopUpRequest, Wallet};
