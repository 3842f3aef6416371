//! Calls to the fulfilment service: the price of the shipping option a
//! checkout names (CheckShippingQuote), and cancelling an order's shipment
//! before the order refunds (CancelShipment). Both act for the order's
//! user with this service's token, and both may be retried: one is a read,
//! the other answers a cancelled shipment as it is.

use contracts::{
    common as common_proto,
    fulfilment::{self as proto, ShippingLine},
    timestamp,
};
use platform::auth::Principal;
use tonic::Code;

use super::{Dependencies, acting_for, is_transient, reason};
use crate::{
    domain::{Address, CheckoutRequest, Currency, Money, Order, OrderStatus, ShippingChoice},
    error::{Error, QuoteRefusal},
};

const FULFILMENT: &str = "fulfilment";

impl Dependencies {
    /// The option the checkout names, as the fulfilment service priced it
    /// for `user`'s quote, if the quote still holds for these lines and
    /// this address.
    pub async fn shipping_option(
        &self,
        user: &Principal,
        request: &CheckoutRequest,
    ) -> Result<ShippingChoice, Error> {
        let message = proto::CheckShippingQuoteRequest {
            quote_id: request.quote_id.to_string(),
            option_code: request.shipping_option.as_str().to_owned(),
            address: Some(address(&request.address)),
            lines: request
                .lines
                .iter()
                .map(|(product_id, quantity)| ShippingLine {
                    product_id: product_id.to_string(),
                    quantity: *quantity,
                })
                .collect(),
        };
        let result = self
            .retrying(&self.fulfilment_budget, "CheckShippingQuote", || {
                let mut client = self.fulfilment.clone();
                let request = self.caller.request(user, message.clone());
                async move { client.check_shipping_quote(request?).await }
            })
            .await;
        match result {
            Ok(option) => choice(option.into_inner()),
            Err(status) if status.code() == Code::NotFound => {
                Err(Error::QuoteNotFound(request.quote_id))
            }
            Err(status) if is_transient(&status) => Err(Error::DependencyUnavailable(FULFILMENT)),
            Err(status) => match QuoteRefusal::of_reason(&reason(&status)) {
                Some(refusal) if status.code() == Code::FailedPrecondition => {
                    Err(Error::QuoteRefused {
                        refusal,
                        message: status.message().to_owned(),
                    })
                }
                _ => Err(Error::DependencyFailed(
                    FULFILMENT,
                    status.message().to_owned(),
                )),
            },
        }
    }

    /// Cancels the shipment of `order` (or has it created cancelled), with
    /// the order's cancel reason. A parcel that has left refuses it.
    pub async fn cancel_shipment(&self, order: &Order, why: &str) -> Result<(), Error> {
        let message = proto::CancelShipmentRequest {
            order_id: order.id.to_string(),
            reason: why.to_owned(),
        };
        let result = self
            .retrying(&self.fulfilment_budget, "CancelShipment", || {
                let mut client = self.fulfilment.clone();
                let request = self.caller.request(&acting_for(order), message.clone());
                async move { client.cancel_shipment(request?).await }
            })
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(status) if is_transient(&status) => Err(Error::DependencyUnavailable(FULFILMENT)),
            Err(status)
                if status.code() == Code::FailedPrecondition
                    && reason(&status) == "SHIPMENT_STATUS" =>
            {
                Err(Error::ParcelLeft {
                    id: order.id,
                    status: parcel_status(&status),
                })
            }
            Err(status) => Err(Error::DependencyFailed(
                FULFILMENT,
                status.message().to_owned(),
            )),
        }
    }
}

/// The order status a shipment's status (as the refusal names it) means.
fn parcel_status(status: &tonic::Status) -> OrderStatus {
    use tonic_types::StatusExt;
    let named = status
        .get_error_details()
        .error_info()
        .and_then(|info| info.metadata.get("status").cloned())
        .unwrap_or_default();
    if named.ends_with("DELIVERED") {
        OrderStatus::Delivered
    } else {
        OrderStatus::Shipped
    }
}

fn address(a: &Address) -> common_proto::Address {
    common_proto::Address {
        recipient: a.recipient.clone(),
        line1: a.line1.clone(),
        line2: a.line2.clone(),
        city: a.city.clone(),
        region: a.region.clone(),
        postal_code: a.postal_code.clone(),
        country_code: a.country_code.clone(),
    }
}

/// The option as fulfilment answered it; it checks its own data, so an
/// answer that does not parse is fulfilment failing.
fn choice(option: proto::ShippingOption) -> Result<ShippingChoice, Error> {
    let unusable = |what: &str| {
        Error::DependencyFailed(
            FULFILMENT,
            format!("shipping option {}: {what}", option.code),
        )
    };
    let price = option.price.as_ref().ok_or_else(|| unusable("no price"))?;
    let currency =
        Currency::parse(&price.currency_code).map_err(|_| unusable("unknown currency"))?;
    if price.amount_minor < 0 {
        return Err(unusable("a negative price"));
    }
    Ok(ShippingChoice {
        price: Money::new(currency, price.amount_minor),
        earliest_delivery: option
            .earliest_delivery_time
            .as_ref()
            .and_then(timestamp::to_datetime),
        latest_delivery: option
            .latest_delivery_time
            .as_ref()
            .and_then(timestamp::to_datetime),
        code: option.code,
        name: option.name,
    })
}
