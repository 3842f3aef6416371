//! Validation at the edge: `TryFrom` from request messages to domain values
//! (reporting every invalid field by its path), and `From` from domain
//! values to response messages. Card numbers and CVCs go from the request
//! straight into types whose `Debug` hides them.

use contracts::{
    common::{self as common_proto, Money as MoneyMessage, payment_method::Method},
    payments as proto, timestamp,
};
pub use platform::error::Violations;

use crate::{
    domain::{
        AMOUNTS, Card, CardNumber, ChargeState, Currency, Cvc, DeclineCode, Expiry, ExpiryError,
        HolderName, IdempotencyKey, MethodSummary, Money, NewCharge, OrderId, Payment, PaymentId,
        PaymentMethod, PaymentStatus, Refund, RefundReason, RefundRequest, RefundState,
        TopUpReason, TopUpRequest, UserId, Wallet,
    },
    error::Error,
};

/// An amount at `field` (e.g. `amount`), required.
pub fn amount(v: &mut Violations, field: &str, money: Option<&MoneyMessage>) -> Option<Money> {
    Money::from_message(v, field, money, AMOUNTS)
}

/// A payment method at `field`, required, with every bad card field named.
fn payment_method(
    v: &mut Violations,
    field: &str,
    method: Option<&common_proto::PaymentMethod>,
) -> Option<PaymentMethod> {
    match method.and_then(|m| m.method.as_ref()) {
        None => {
            v.add(field, "is required: set card or wallet");
            None
        }
        Some(Method::Wallet(_)) => Some(PaymentMethod::Wallet),
        Some(Method::Card(card)) => {
            let at = |name: &str| format!("{field}.card.{name}");
            let number = v.check(&at("number"), CardNumber::parse(&card.number));
            let expiry = match Expiry::new(card.exp_month, card.exp_year) {
                Ok(expiry) => Some(expiry),
                Err(ExpiryError { month, year }) => {
                    for (name, problem) in [("exp_month", month), ("exp_year", year)] {
                        if let Some(description) = problem {
                            v.add(at(name), description);
                        }
                    }
                    None
                }
            };
            let cvc = v.check(&at("cvc"), Cvc::parse(&card.cvc));
            let holder = v.check(&at("holder_name"), HolderName::parse(&card.holder_name));
            Some(PaymentMethod::Card(Card {
                number: number?,
                expiry: expiry?,
                cvc: cvc?,
                holder: holder?,
            }))
        }
    }
}

impl TryFrom<proto::ChargeRequest> for NewCharge {
    type Error = Error;

    fn try_from(request: proto::ChargeRequest) -> Result<Self, Error> {
        let mut v = Violations::default();
        let key = v.check(
            "idempotency_key",
            IdempotencyKey::parse(&request.idempotency_key),
        );
        let order_id = v.check("order_id", OrderId::parse(&request.order_id));
        let amount = amount(&mut v, "amount", request.amount.as_ref());
        let method = payment_method(&mut v, "payment_method", request.payment_method.as_ref());
        Ok(v.finish(|| {
            Some(NewCharge {
                key: key?,
                order_id: order_id?,
                amount: amount?,
                method: method?,
            })
        })?)
    }
}

impl TryFrom<proto::RefundRequest> for RefundRequest {
    type Error = Error;

    fn try_from(request: proto::RefundRequest) -> Result<Self, Error> {
        let mut v = Violations::default();
        let key = v.check(
            "idempotency_key",
            IdempotencyKey::parse(&request.idempotency_key),
        );
        let payment_id = v.check("payment_id", PaymentId::parse(&request.payment_id));
        // Unset means "everything not yet refunded".
        let amount = match request.amount.as_ref() {
            None => Some(None),
            Some(money) => amount(&mut v, "amount", Some(money)).map(Some),
        };
        let reason = v.check("reason", RefundReason::parse(&request.reason));
        Ok(v.finish(|| {
            Some(RefundRequest {
                key: key?,
                payment_id: payment_id?,
                amount: amount?,
                reason: reason?,
            })
        })?)
    }
}

impl TryFrom<proto::TopUpWalletRequest> for TopUpRequest {
    type Error = Error;

    fn try_from(request: proto::TopUpWalletRequest) -> Result<Self, Error> {
        let mut v = Violations::default();
        let user_id = v.check("user_id", UserId::parse(&request.user_id));
        let amount = amount(&mut v, "amount", request.amount.as_ref());
        let key = v.check(
            "idempotency_key",
            IdempotencyKey::parse(&request.idempotency_key),
        );
        let reason = v.check("reason", TopUpReason::parse(&request.reason));
        Ok(v.finish(|| {
            Some(TopUpRequest {
                key: key?,
                user_id: user_id?,
                amount: amount?,
                reason: reason?,
            })
        })?)
    }
}

fn money(currency: Currency, minor: i64) -> MoneyMessage {
    Money::new(currency, minor).into()
}

fn decline_code(code: DeclineCode) -> common_proto::DeclineCode {
    match code {
        DeclineCode::GenericDecline => common_proto::DeclineCode::GenericDecline,
        DeclineCode::InsufficientFunds => common_proto::DeclineCode::InsufficientFunds,
        DeclineCode::ExpiredCard => common_proto::DeclineCode::ExpiredCard,
        DeclineCode::IncorrectCvc => common_proto::DeclineCode::IncorrectCvc,
        DeclineCode::InsufficientWalletBalance => {
            common_proto::DeclineCode::InsufficientWalletBalance
        }
    }
}

fn status(status: PaymentStatus) -> proto::PaymentStatus {
    match status {
        PaymentStatus::Processing => proto::PaymentStatus::Processing,
        PaymentStatus::Captured => proto::PaymentStatus::Captured,
        PaymentStatus::Declined => proto::PaymentStatus::Declined,
        PaymentStatus::PartiallyRefunded => proto::PaymentStatus::PartiallyRefunded,
        PaymentStatus::Refunded => proto::PaymentStatus::Refunded,
        PaymentStatus::Voided => proto::PaymentStatus::Voided,
    }
}

fn method_summary(method: &MethodSummary) -> common_proto::PaymentMethodSummary {
    match method {
        MethodSummary::Card(card) => common_proto::PaymentMethodSummary {
            method_type: common_proto::PaymentMethodType::Card.into(),
            card_brand: card.brand.as_str().to_owned(),
            card_last4: card.last4.clone(),
        },
        MethodSummary::Wallet => common_proto::PaymentMethodSummary {
            method_type: common_proto::PaymentMethodType::Wallet.into(),
            card_brand: String::new(),
            card_last4: String::new(),
        },
    }
}

/// A refund of a payment in `currency`.
fn refund(r: &Refund, currency: Currency) -> proto::Refund {
    let status = match r.state {
        RefundState::Pending => proto::RefundStatus::Pending,
        RefundState::Succeeded => proto::RefundStatus::Succeeded,
    };
    proto::Refund {
        id: r.id.to_string(),
        amount: Some(money(currency, r.amount_minor)),
        reason: r.reason.as_str().to_owned(),
        create_time: Some(timestamp::from_datetime(r.created_at)),
        status: status.into(),
    }
}

impl From<&Payment> for proto::Payment {
    fn from(p: &Payment) -> Self {
        let currency = *p.currency();
        let decline = match p.state {
            ChargeState::Declined(code) => decline_code(code),
            ChargeState::Processing | ChargeState::Captured | ChargeState::Voided => {
                common_proto::DeclineCode::Unspecified
            }
        };
        proto::Payment {
            id: p.id.to_string(),
            order_id: p.order_id.as_str().to_owned(),
            user_id: p.user_id.as_str().to_owned(),
            amount: Some(money(currency, p.amount.minor())),
            status: status(p.status()).into(),
            captured: Some(money(currency, p.captured_minor)),
            refunded: Some(money(currency, p.refunded_minor)),
            method: Some(method_summary(&p.method)),
            decline_code: decline.into(),
            refunds: p.refunds.iter().map(|r| refund(r, currency)).collect(),
            create_time: Some(timestamp::from_datetime(p.created_at)),
            update_time: Some(timestamp::from_datetime(p.updated_at)),
        }
    }
}

impl From<&Wallet> for proto::WalletAccount {
    fn from(w: &Wallet) -> Self {
        proto::WalletAccount {
            user_id: w.user_id.as_str().to_owned(),
            balance: Some(money(w.currency, w.balance_minor)),
            update_time: w.updated_at.map(timestamp::from_datetime),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use contracts::common::{Card as CardMessage, PaymentMethod as MethodMessage, Wallet};

    fn usd(amount: i64) -> MoneyMessage {
        money(Currency::parse("USD").expect("known"), amount)
    }

    fn card(number: &str, month: i32, year: i32, cvc: &str) -> MethodMessage {
        MethodMessage {
            method: Some(Method::Card(CardMessage {
                number: number.into(),
                exp_month: month,
                exp_year: year,
                cvc: cvc.into(),
                holder_name: String::new(),
            })),
        }
    }

    fn fields(err: Error) -> Vec<String> {
        match err {
            Error::InvalidArgument(v) => v.into_iter().map(|v| v.field).collect(),
            other => panic!("expected INVALID_ARGUMENT, got {other:?}"),
        }
    }

    #[test]
    fn every_invalid_field_of_a_charge_is_named() {
        let request = proto::ChargeRequest {
            idempotency_key: "has spaces".into(),
            order_id: String::new(),
            amount: Some(MoneyMessage {
                currency_code: "usd".into(),
                amount_minor: 5,
            }),
            payment_method: Some(card("4242424242424241", 13, 30, "12")),
        };
        assert_eq!(
            fields(NewCharge::try_from(request).expect_err("invalid")),
            [
                "idempotency_key",
                "order_id",
                "amount.currency_code",
                "payment_method.card.number",
                "payment_method.card.exp_month",
                "payment_method.card.exp_year",
                "payment_method.card.cvc",
            ]
        );
    }

    #[test]
    fn a_charge_needs_an_amount_and_a_method() {
        let request = proto::ChargeRequest {
            idempotency_key: "k1".into(),
            order_id: "order-1".into(),
            amount: Some(usd(0)),
            payment_method: Some(MethodMessage { method: None }),
        };
        assert_eq!(
            fields(NewCharge::try_from(request).expect_err("invalid")),
            ["amount.amount_minor", "payment_method"]
        );
        let wallet = proto::ChargeRequest {
            idempotency_key: "k1".into(),
            order_id: "order-1".into(),
            amount: Some(usd(100)),
            payment_method: Some(MethodMessage {
                method: Some(Method::Wallet(Wallet {})),
            }),
        };
        assert_eq!(
            NewCharge::try_from(wallet).ok().map(|c| c.method),
            Some(PaymentMethod::Wallet)
        );
    }

    #[test]
    fn a_charge_request_never_prints_its_card_secrets() {
        let request = proto::ChargeRequest {
            idempotency_key: "k1".into(),
            order_id: "order-1".into(),
            amount: Some(usd(100)),
            payment_method: Some(card("4242424242424242", 12, 2030, "987")),
        };
        let printed = format!("{request:?}");
        assert!(!printed.contains("4242424242424242"), "{printed}");
        assert!(!printed.contains("987"), "{printed}");
        let validated = NewCharge::try_from(request).expect("valid");
        let printed = format!("{validated:?}");
        assert!(!printed.contains("4242424242424242"), "{printed}");
        assert!(!printed.contains("987"), "{printed}");
    }

    #[test]
    fn a_refund_amount_is_optional_but_checked_when_given() {
        let full = proto::RefundRequest {
            idempotency_key: "r1".into(),
            payment_id: PaymentId::generate().to_string(),
            amount: None,
            reason: String::new(),
        };
        assert_eq!(
            RefundRequest::try_from(full).ok().map(|r| r.amount),
            Some(None)
        );
        let bad = proto::RefundRequest {
            idempotency_key: String::new(),
            payment_id: "42".into(),
            amount: Some(usd(-1)),
            reason: "x".repeat(201),
        };
        assert_eq!(
            fields(RefundRequest::try_from(bad).expect_err("invalid")),
            [
                "idempotency_key",
                "payment_id",
                "amount.amount_minor",
                "reason"
            ]
        );
    }

    #[test]
    fn a_top_up_needs_every_field() {
        let request = proto::TopUpWalletRequest::default();
        assert_eq!(
            fields(TopUpRequest::try_from(request).expect_err("invalid")),
            ["user_id", "amount", "idempotency_key", "reason"]
        );
    }
}
