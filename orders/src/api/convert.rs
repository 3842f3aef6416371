//! Validation at the edge (`TryFrom` from the request to a domain checkout
//! request, naming every invalid field) and `From` from domain orders and
//! events to response messages.

use contracts::{
    common::{
        self as common_proto, DeclineCode, PaymentMethodSummary, PaymentMethodType,
        payment_method::Method,
    },
    fulfilment as fulfilment_proto, orders as proto, timestamp,
};
pub use platform::error::Violations;

use crate::{
    domain::{
        Address, CheckoutRequest, FailureReason, MAX_LINES, MAX_QUANTITY, MethodType, OptionCode,
        Order, OrderEvent, OrderSort, OrderStatus, PaymentChoice, ProductId, QuoteId, RequestId,
        Shipment, ShippingChoice,
    },
    error::Error,
};

impl TryFrom<proto::CreateOrderRequest> for CheckoutRequest {
    type Error = Error;

    fn try_from(request: proto::CreateOrderRequest) -> Result<Self, Error> {
        // Before anything else: too many lines is one violation, not one per line.
        platform::limits::at_most("lines", request.lines.len(), MAX_LINES)?;
        let mut v = Violations::default();
        let request_id = v.check("request_id", RequestId::parse(&request.request_id));

        if request.lines.is_empty() {
            v.add("lines", "must have at least one line");
        }
        let mut lines: Vec<(ProductId, i64)> = Vec::with_capacity(request.lines.len());
        for (i, line) in request.lines.iter().enumerate() {
            let id = v.check(
                &format!("lines[{i}].product_id"),
                ProductId::parse(&line.product_id),
            );
            if !(1..=MAX_QUANTITY).contains(&line.quantity) {
                v.add(
                    format!("lines[{i}].quantity"),
                    format!("must be between 1 and {MAX_QUANTITY}"),
                );
            }
            if let Some(id) = id {
                if lines.iter().any(|(seen, _)| *seen == id) {
                    v.add(
                        format!("lines[{i}].product_id"),
                        "repeats a product of an earlier line; add up the quantities instead",
                    );
                }
                lines.push((id, line.quantity));
            }
        }

        let payment = match request.payment_method.and_then(|m| m.method) {
            None => {
                v.add("payment_method", "is required: a card or the wallet");
                None
            }
            Some(Method::Wallet(_)) => Some(PaymentChoice::Wallet),
            Some(Method::Card(card)) => {
                let problems = contracts::card::problems(&card);
                for (field, description) in &problems {
                    v.add(format!("payment_method.card.{field}"), description.clone());
                }
                problems.is_empty().then_some(PaymentChoice::Card(card))
            }
        };

        let address = match request.shipping_address {
            None => {
                v.add("shipping_address", "is required");
                None
            }
            Some(a) => address(&mut v, &a),
        };
        let quote_id = if request.shipping_quote_id.is_empty() {
            v.add(
                "shipping_quote_id",
                "is required: get a quote with FulfilmentService.GetShippingQuote",
            );
            None
        } else {
            v.check(
                "shipping_quote_id",
                QuoteId::parse(&request.shipping_quote_id),
            )
        };
        let shipping_option = v.check(
            "shipping_option",
            OptionCode::parse(&request.shipping_option),
        );

        Ok(v.finish(|| {
            Some(CheckoutRequest {
                request_id: request_id?,
                lines,
                payment: payment?,
                address: address?,
                quote_id: quote_id?,
                shipping_option: shipping_option?,
            })
        })?)
    }
}

fn address(v: &mut Violations, a: &common_proto::Address) -> Option<Address> {
    platform::address::check(v, "shipping_address", a).map(Address::from)
}

/// The contract's shipping option of an order.
pub fn shipping_option(choice: &ShippingChoice) -> fulfilment_proto::ShippingOption {
    fulfilment_proto::ShippingOption {
        code: choice.code.clone(),
        name: choice.name.clone(),
        price: Some(choice.price.into()),
        earliest_delivery_time: choice.earliest_delivery.map(timestamp::from_datetime),
        latest_delivery_time: choice.latest_delivery.map(timestamp::from_datetime),
    }
}

fn shipment(parcel: &Shipment) -> proto::OrderShipment {
    proto::OrderShipment {
        shipment_id: parcel.shipment_id.clone(),
        carrier: parcel.carrier.clone(),
        tracking_number: parcel.tracking_number.clone(),
        ship_time: Some(timestamp::from_datetime(parcel.shipped_at)),
        deliver_time: parcel.delivered_at.map(timestamp::from_datetime),
    }
}

/// The contract's enum value for a status.
pub fn status(status: OrderStatus) -> proto::OrderStatus {
    proto::OrderStatus::from_str_name(&format!("ORDER_STATUS_{}", status.as_str()))
        .unwrap_or_default()
}

/// The domain status of a contract enum value (`None` for UNSPECIFIED).
pub fn status_filter(value: i32) -> Result<Option<OrderStatus>, String> {
    let known = proto::OrderStatus::try_from(value).map_err(|_| "is not a known status")?;
    match known {
        proto::OrderStatus::Unspecified => Ok(None),
        other => OrderStatus::parse(other.as_str_name().trim_start_matches("ORDER_STATUS_"))
            .map(Some)
            .ok_or_else(|| "is not a known status".to_owned()),
    }
}

/// ListOrders' `order_by` (AIP-132): empty for the default, newest first.
pub fn order_by(raw: &str) -> Result<OrderSort, String> {
    // Spaces between the field and "desc" are not significant.
    let words: Vec<&str> = raw.split_whitespace().collect();
    match words.as_slice() {
        [] | ["create_time", "desc"] => Ok(OrderSort::NewestFirst),
        ["create_time"] => Ok(OrderSort::OldestFirst),
        ["total"] => Ok(OrderSort::CheapestFirst),
        ["total", "desc"] => Ok(OrderSort::DearestFirst),
        _ => Err(
            "must be \"create_time desc\" (the default), \"create_time\", \"total\" or \"total desc\""
                .into(),
        ),
    }
}

/// The canonical `order_by` of a sort, for the page token.
pub fn order_by_name(sort: OrderSort) -> &'static str {
    match sort {
        OrderSort::NewestFirst => "create_time desc",
        OrderSort::OldestFirst => "create_time",
        OrderSort::CheapestFirst => "total",
        OrderSort::DearestFirst => "total desc",
    }
}

fn failure_reason(reason: Option<FailureReason>) -> proto::FailureReason {
    reason
        .and_then(|r| {
            proto::FailureReason::from_str_name(&format!("FAILURE_REASON_{}", r.as_str()))
        })
        .unwrap_or_default()
}

fn decline_code(code: Option<&str>) -> DeclineCode {
    code.and_then(|c| DeclineCode::from_str_name(&format!("DECLINE_CODE_{c}")))
        .unwrap_or_default()
}

impl From<&Order> for proto::Order {
    fn from(o: &Order) -> Self {
        let a = &o.address;
        proto::Order {
            id: o.id.to_string(),
            user_id: o.user_id.to_string(),
            request_id: o.request_id.clone(),
            status: status(o.status).into(),
            lines: o
                .lines
                .iter()
                .map(|l| proto::OrderLine {
                    product_id: l.product_id.to_string(),
                    product_name: l.product_name.clone(),
                    unit_price: Some(l.unit_price.into()),
                    quantity: l.quantity,
                    line_total: Some(l.total().into()),
                })
                .collect(),
            total: Some(o.total.into()),
            payment: Some(proto::PaymentSummary {
                payment_id: o.payment_id.map(|id| id.to_string()).unwrap_or_default(),
                method: Some(PaymentMethodSummary {
                    method_type: match o.method {
                        MethodType::Card => PaymentMethodType::Card,
                        MethodType::Wallet => PaymentMethodType::Wallet,
                    }
                    .into(),
                    card_brand: o.card_brand.clone().unwrap_or_default(),
                    card_last4: o.card_last4.clone().unwrap_or_default(),
                }),
            }),
            shipping_address: Some(common_proto::Address {
                recipient: a.recipient.clone(),
                line1: a.line1.clone(),
                line2: a.line2.clone(),
                city: a.city.clone(),
                region: a.region.clone(),
                postal_code: a.postal_code.clone(),
                country_code: a.country_code.clone(),
            }),
            failure_reason: failure_reason(o.failure_reason).into(),
            decline_code: decline_code(o.decline_code.as_deref()).into(),
            cancel_reason: o.cancel_reason.clone().unwrap_or_default(),
            create_time: Some(timestamp::from_datetime(o.created_at)),
            update_time: Some(timestamp::from_datetime(o.updated_at)),
            subtotal: Some(o.subtotal.into()),
            shipping: o.shipping.as_ref().map(shipping_option),
            shipping_quote_id: o
                .shipping_quote_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            shipment: o.shipment.as_ref().map(shipment),
            // Empty only until an order an earlier version placed is numbered.
            number: o
                .number
                .as_ref()
                .map(|n| n.as_str().to_owned())
                .unwrap_or_default(),
            shortfalls: o
                .shortfalls
                .iter()
                .map(|s| proto::StockShortfall {
                    product_id: s.product_id.to_string(),
                    product_name: s.product_name.clone(),
                    requested: s.requested,
                    available: s.available,
                })
                .collect(),
        }
    }
}

/// An event, with the order as it was right after it.
pub fn event(order: &Order, event: &OrderEvent) -> proto::OrderEvent {
    proto::OrderEvent {
        order_id: event.order_id.to_string(),
        sequence: event.sequence,
        status: status(event.status).into(),
        failure_reason: failure_reason(event.failure_reason).into(),
        create_time: Some(timestamp::from_datetime(event.created_at)),
        order: Some((&order.as_of(event)).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use contracts::common::{Card, PaymentMethod, Wallet};

    fn valid() -> proto::CreateOrderRequest {
        proto::CreateOrderRequest {
            request_id: "r-1".into(),
            lines: vec![proto::LineItem {
                product_id: "0190a1b2-0000-7000-8000-000000000001".into(),
                quantity: 2,
            }],
            payment_method: Some(PaymentMethod {
                method: Some(Method::Wallet(Wallet {})),
            }),
            shipping_address: Some(common_proto::Address {
                recipient: "Ada".into(),
                line1: "1 Loop Road".into(),
                city: "Springfield".into(),
                postal_code: "12345".into(),
                country_code: "US".into(),
                ..Default::default()
            }),
            shipping_quote_id: "0190a1b2-0000-7000-8000-0000000000f1".into(),
            shipping_option: "standard".into(),
        }
    }

    fn fields(err: Error) -> Vec<String> {
        match err {
            Error::InvalidArgument(v) => v.into_iter().map(|v| v.field).collect(),
            other => panic!("expected INVALID_ARGUMENT, got {other:?}"),
        }
    }

    #[test]
    fn a_valid_request_converts() {
        let request = CheckoutRequest::try_from(valid()).expect("valid");
        assert_eq!(request.lines.len(), 1);
        assert_eq!(request.payment, PaymentChoice::Wallet);
    }

    #[test]
    fn every_invalid_field_is_named() {
        let mut bad = valid();
        bad.request_id = String::new();
        bad.lines.push(bad.lines[0].clone());
        bad.lines.push(proto::LineItem {
            product_id: "nope".into(),
            quantity: 0,
        });
        bad.payment_method = Some(PaymentMethod {
            method: Some(Method::Card(Card {
                number: "4242424242424241".into(),
                exp_month: 12,
                exp_year: 2030,
                cvc: "1".into(),
                holder_name: String::new(),
            })),
        });
        if let Some(a) = bad.shipping_address.as_mut() {
            a.country_code = "usa".into();
        }
        bad.shipping_quote_id = "quote-1".into();
        bad.shipping_option = "Express!".into();
        assert_eq!(
            fields(CheckoutRequest::try_from(bad).expect_err("invalid")),
            [
                "request_id",
                "lines[1].product_id",
                "lines[2].product_id",
                "lines[2].quantity",
                "payment_method.card.number",
                "payment_method.card.cvc",
                "shipping_address.country_code",
                "shipping_quote_id",
                "shipping_option",
            ]
        );
    }

    #[test]
    fn missing_parts_are_named() {
        let mut bad = valid();
        bad.lines.clear();
        bad.payment_method = None;
        bad.shipping_address = None;
        bad.shipping_quote_id = String::new();
        bad.shipping_option = String::new();
        assert_eq!(
            fields(CheckoutRequest::try_from(bad).expect_err("invalid")),
            [
                "lines",
                "payment_method",
                "shipping_address",
                "shipping_quote_id",
                "shipping_option"
            ]
        );
    }

    #[test]
    fn statuses_map_to_the_contract_by_name() {
        for s in OrderStatus::ALL {
            let value = status(s) as i32;
            assert_eq!(status_filter(value), Ok(Some(s)));
        }
        assert_eq!(status_filter(0), Ok(None));
        assert!(status_filter(99).is_err());
    }
}
