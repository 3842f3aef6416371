//! Everything that can go wrong in the orders service, as one enum. The API
//! layer turns each variant into a gRPC status (see `api::status`).

use platform::{db::DbError, error::FieldViolation};

use crate::domain::{OrderId, OrderStatus, QuoteId};

/// Why the fulfilment service refused the shipping quote a checkout named
/// (each relayed with the fulfilment service's reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuoteRefusal {
    Expired,
    /// Made for other lines or another address.
    Mismatch,
    /// The quote has no option with this code.
    OptionUnknown,
}

impl QuoteRefusal {
    /// The reason both services give it.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Expired => "SHIPPING_QUOTE_EXPIRED",
            Self::Mismatch => "SHIPPING_QUOTE_MISMATCH",
            Self::OptionUnknown => "SHIPPING_OPTION_UNKNOWN",
        }
    }

    /// The refusal the fulfilment service gave as `reason`, if it is one.
    pub fn of_reason(reason: &str) -> Option<Self> {
        [Self::Expired, Self::Mismatch, Self::OptionUnknown]
            .into_iter()
            .find(|r| r.reason() == reason)
    }
}

/// An orders failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid request")]
    InvalidArgument(Vec<FieldViolation>),
    #[error("order {0} not found")]
    OrderNotFound(OrderId),
    #[error("products not found: {}", .0.join(", "))]
    ProductsNotFound(Vec<String>),
    #[error("the products and the shipping are not all priced in one currency")]
    CurrencyMismatch,
    #[error("request_id {0} was already used for a different order")]
    RequestIdReused(String),
    #[error("order {id} is {status} and cannot be cancelled")]
    NotCancellable { id: OrderId, status: &'static str },
    #[error("order {id} cannot be cancelled: its parcel has left the warehouse ({})", .status.as_str())]
    ParcelLeft { id: OrderId, status: OrderStatus },
    #[error(
        "shipping quote {0} not found: get a new quote with FulfilmentService.GetShippingQuote"
    )]
    QuoteNotFound(QuoteId),
    #[error("the shipping quote cannot be used: {message}")]
    QuoteRefused {
        refusal: QuoteRefusal,
        message: String,
    },
    #[error(
        "the wallet's balance ({balance_minor} minor units) is below the order's total ({total_minor}): top it up or pay by card"
    )]
    InsufficientFunds {
        balance_minor: i64,
        total_minor: i64,
    },
    #[error("customers may only list their own orders")]
    OthersOrders,
    #[error("the caller's token names no usable user")]
    NoUser,
    #[error("{0} is unavailable, retry later")]
    DependencyUnavailable(&'static str),
    #[error("{0} refused the call: {1}")]
    DependencyFailed(&'static str, String),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

platform::service_error!(Error);

pub type Result<T, E = Error> = std::result::Result<T, E>;
