//! What email an event makes: `accounts.user.registered` a welcome (and
//! the recipient's address), `orders.order.confirmed`, `failed`,
//! `cancelled`, `shipped` (with the carrier and tracking number) and
//! `delivered` an email about the order; `accounts.account.email_requested`
//! the account email it asks for (verify the address, reset the password,
//! the password changed), to the address it names; any other type none.
//! Emails are
//! rendered here, when the event arrives, from the templates in
//! `templates/` (a text and an HTML part each, embedded at compile time)
//! with minijinja; the HTML part is autoescaped, so nothing a customer
//! typed (a name, an address) can inject markup.

use contracts::{
    common::{self as common_proto, DeclineCode, PaymentMethodType},
    events::{AccountEmailKind, AccountEmailRequested, Event, event::Payload},
    fulfilment,
    orders::{FailureReason, Order},
};
use minijinja::{Environment, UndefinedBehavior, context};
use platform::{events::types, money::Currency};
use serde::Serialize;

use crate::{
    domain::{DisplayName, EmailAddress, Kind, NewNotification, Recipient, UserId},
    error::{Error, Result},
};

/// The shop as its emails name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shop {
    /// E.g. "Shop".
    pub name: String,
    /// Where customers find it, e.g. `https://shop.example.com/`.
    pub url: String,
}

/// What an event comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Composed {
    /// A user registered: remember their address, and welcome them.
    Registered {
        recipient: Recipient,
        welcome: NewNotification,
    },
    /// An email about an order.
    Order(NewNotification),
    /// An account email, to the address the accounts named (the one being
    /// verified, or the account's).
    Account {
        to: EmailAddress,
        email: NewNotification,
    },
    /// Nothing to send for this event.
    Nothing,
}

/// Every template, by file name.
const TEMPLATES: [(&str, &str); 19] = [
    ("layout.html", include_str!("../templates/layout.html")),
    ("welcome.txt", include_str!("../templates/welcome.txt")),
    ("welcome.html", include_str!("../templates/welcome.html")),
    (
        "order_confirmed.txt",
        include_str!("../templates/order_confirmed.txt"),
    ),
    (
        "order_confirmed.html",
        include_str!("../templates/order_confirmed.html"),
    ),
    (
        "order_failed.txt",
        include_str!("../templates/order_failed.txt"),
    ),
    (
        "order_failed.html",
        include_str!("../templates/order_failed.html"),
    ),
    (
        "order_cancelled.txt",
        include_str!("../templates/order_cancelled.txt"),
    ),
    (
        "order_cancelled.html",
        include_str!("../templates/order_cancelled.html"),
    ),
    (
        "order_shipped.txt",
        include_str!("../templates/order_shipped.txt"),
    ),
    (
        "order_shipped.html",
        include_str!("../templates/order_shipped.html"),
    ),
    (
        "order_delivered.txt",
        include_str!("../templates/order_delivered.txt"),
    ),
    (
        "order_delivered.html",
        include_str!("../templates/order_delivered.html"),
    ),
    (
        "verify_email.txt",
        include_str!("../templates/verify_email.txt"),
    ),
    (
        "verify_email.html",
        include_str!("../templates/verify_email.html"),
    ),
    (
        "password_reset.txt",
        include_str!("../templates/password_reset.txt"),
    ),
    (
        "password_reset.html",
        include_str!("../templates/password_reset.html"),
    ),
    (
        "password_changed.txt",
        include_str!("../templates/password_changed.txt"),
    ),
    (
        "password_changed.html",
        include_str!("../templates/password_changed.html"),
    ),
];

/// The templates, ready to render emails for one shop.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
    shop: Shop,
}

impl Templates {
    /// The embedded templates for `shop`. Fails only if a template does
    /// not parse, which the tests would have caught.
    pub fn new(shop: Shop) -> Result<Self> {
        let mut env = Environment::new();
        // `{% for %}` lines leave no blank lines in the text parts.
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_keep_trailing_newline(true);
        // A misspelt variable is an error, not an empty string.
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .map_err(|e| Error::Template {
                    template: name,
                    reason: e.to_string(),
                })?;
        }
        Ok(Self { env, shop })
    }

    /// The email `event` makes, if any. A malformed event is
    /// [`Error::BadEvent`]: retrying it cannot help.
    pub fn compose(&self, event: &Event) -> Result<Composed> {
        let bad = |reason: &str| Error::BadEvent {
            event_type: event.r#type.clone(),
            reason: reason.to_owned(),
        };
        match event.r#type.as_str() {
            types::USER_REGISTERED => {
                let Some(Payload::UserRegistered(user)) = &event.payload else {
                    return Err(bad("no user_registered payload"));
                };
                let recipient = Recipient {
                    user_id: UserId::parse(&user.user_id)
                        .map_err(|e| bad(&format!("user_id {e}")))?,
                    email: EmailAddress::parse(&user.email)
                        .map_err(|e| bad(&format!("email {e}")))?,
                    display_name: DisplayName::parse(&user.display_name)
                        .map_err(|e| bad(&format!("display_name {e}")))?,
                };
                let welcome = self.welcome(&recipient, &event.event_id)?;
                return Ok(Composed::Registered { recipient, welcome });
            }
            types::ACCOUNT_EMAIL_REQUESTED => {
                let Some(Payload::AccountEmail(asked)) = &event.payload else {
                    return Err(bad("no account_email payload"));
                };
                return self
                    .account_email(asked, &event.event_id)
                    .map_err(|e| match e {
                        Error::BadEvent { .. } => e,
                        // Never the token in an error (they end in logs).
                        other => bad(&format!("{:?} cannot be rendered: {other}", asked.kind())),
                    });
            }
            types::ORDER_CONFIRMED
            | types::ORDER_FAILED
            | types::ORDER_CANCELLED
            | types::ORDER_SHIPPED
            | types::ORDER_DELIVERED => {}
            _ => return Ok(Composed::Nothing),
        }
        let Some(Payload::Order(changed)) = &event.payload else {
            return Err(bad("no order payload"));
        };
        let order = changed
            .order
            .as_ref()
            .ok_or_else(|| bad("no order in the payload"))?;
        let user_id = UserId::parse(&order.user_id).map_err(|e| bad(&format!("user_id {e}")))?;
        let view = OrderView::of(order);
        let number = &view.number;
        let shop = &self.shop.name;
        let (kind, subject, template, extra) = if event.r#type == types::ORDER_CONFIRMED {
            (
                Kind::OrderConfirmed,
                format!("Your {shop} Order {number} is confirmed"),
                "order_confirmed",
                context! {},
            )
        } else if event.r#type == types::ORDER_FAILED {
            let failure = Failure::of(order);
            (
                Kind::OrderFailed,
                format!("Your {shop} Order {number} could not be placed"),
                "order_failed",
                context! { why => failure.why, money => failure.money },
            )
        } else if event.r#type == types::ORDER_SHIPPED {
            let parcel = order
                .shipment
                .as_ref()
                .ok_or_else(|| bad("a shipped order without its shipment"))?;
            (
                Kind::OrderShipped,
                format!("Your {shop} Order {number} is on its way"),
                "order_shipped",
                context! {
                    carrier => parcel.carrier.trim(),
                    tracking_number => parcel.tracking_number.trim(),
                },
            )
        } else if event.r#type == types::ORDER_DELIVERED {
            (
                Kind::OrderDelivered,
                format!("Your {shop} Order {number} was delivered"),
                "order_delivered",
                context! {},
            )
        } else {
            (
                Kind::OrderCancelled,
                format!("Your {shop} Order {number} was cancelled and refunded"),
                "order_cancelled",
                context! { reason => order.cancel_reason.trim() },
            )
        };
        let ctx = context! { subject => &subject, order => view, ..extra };
        Ok(Composed::Order(self.render(
            user_id,
            kind,
            &event.event_id,
            subject,
            template,
            ctx,
        )?))
    }

    /// The welcome email for `recipient`.
    fn welcome(&self, recipient: &Recipient, event_id: &str) -> Result<NewNotification> {
        let subject = format!("Welcome to {}", self.shop.name);
        let name = match recipient.display_name.as_str() {
            "" => "and welcome",
            name => name,
        };
        let ctx = context! {
            subject => &subject,
            name => name,
            email => recipient.email.as_str(),
        };
        self.render(
            recipient.user_id.clone(),
            Kind::Welcome,
            event_id,
            subject,
            "welcome",
            ctx,
        )
    }

    /// The account email `asked` asks for. The link carries the token: the
    /// rendered email (this row until sent, and the mailbox) is the one
    /// place it lives on after the accounts' outbox row; it is never
    /// logged, nor shown by the API (which lists subjects, not bodies).
    fn account_email(&self, asked: &AccountEmailRequested, event_id: &str) -> Result<Composed> {
        let bad = |reason: String| Error::BadEvent {
            event_type: types::ACCOUNT_EMAIL_REQUESTED.to_owned(),
            reason,
        };
        let user_id = UserId::parse(&asked.user_id).map_err(|e| bad(format!("user_id {e}")))?;
        let to = EmailAddress::parse(&asked.email).map_err(|e| bad(format!("email {e}")))?;
        let name = DisplayName::parse(&asked.display_name)
            .map_err(|e| bad(format!("display_name {e}")))?;
        let shop = &self.shop.name;
        let (kind, subject, template, path) = match asked.kind() {
            AccountEmailKind::VerifyEmail => (
                Kind::VerifyEmail,
                format!("Confirm your email address for {shop}"),
                "verify_email",
                Some("verify"),
            ),
            AccountEmailKind::PasswordReset => (
                Kind::PasswordReset,
                format!("Reset your {shop} password"),
                "password_reset",
                Some("reset-password"),
            ),
            AccountEmailKind::PasswordChanged => (
                Kind::PasswordChanged,
                format!("Your {shop} password was changed"),
                "password_changed",
                None,
            ),
            AccountEmailKind::Unspecified => return Err(bad("no kind".to_owned())),
        };
        let link = match path {
            Some(path) => {
                // Tokens are base64url: nothing in them needs escaping.
                let token = asked.token.trim();
                if token.is_empty()
                    || !token
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                {
                    return Err(bad("a link's token is missing or malformed".to_owned()));
                }
                self.link(path, token)
            }
            None => String::new(),
        };
        let expires = asked
            .token_expire_time
            .as_ref()
            .and_then(contracts::timestamp::to_datetime)
            .map(|at| format!("{} {:02}:{:02} UTC", at.date(), at.hour(), at.minute()))
            .unwrap_or_default();
        let greeting = match name.as_str() {
            "" => "there",
            name => name,
        };
        let ctx = context! {
            subject => &subject,
            name => greeting,
            email => to.as_str(),
            link => link,
            expires => expires,
        };
        let email = self.render(user_id, kind, event_id, subject, template, ctx)?;
        Ok(Composed::Account { to, email })
    }

    /// `<shop URL>/#/<path>?token=<token>`: a page of the storefront.
    fn link(&self, path: &str, token: &str) -> String {
        format!(
            "{}/#/{path}?token={token}",
            self.shop.url.trim_end_matches('/')
        )
    }

    /// Renders both parts of `template` with `ctx` (plus the shop).
    fn render(
        &self,
        user_id: UserId,
        kind: Kind,
        event_id: &str,
        subject: String,
        template: &'static str,
        ctx: minijinja::Value,
    ) -> Result<NewNotification> {
        let ctx = context! { shop => &self.shop, ..ctx };
        let part = |extension: &str| {
            self.env
                .get_template(&format!("{template}.{extension}"))
                .and_then(|t| t.render(&ctx))
                .map_err(|e| Error::Template {
                    template,
                    reason: e.to_string(),
                })
        };
        Ok(NewNotification {
            user_id,
            kind,
            event_id: event_id.to_owned(),
            subject,
            text_body: part("txt")?,
            html_body: part("html")?,
        })
    }
}

/// An order as its emails show it.
#[derive(Debug, Serialize)]
struct OrderView {
    /// The order's id, for the link to its page in the storefront.
    id: String,
    /// The order's number for people ("SH-4KQ7-9MZ2"); the id for an
    /// event published before orders had numbers.
    number: String,
    /// Who the parcel is for, to greet them by name.
    greeting: String,
    lines: Vec<LineView>,
    /// The lines' sum; empty for orders placed before shipping was charged.
    subtotal: String,
    /// "Standard: 4.99 USD" (or "Free"); empty as `subtotal`.
    shipping: String,
    total: String,
    payment: String,
    /// The shipping address, one line of text each.
    address: Vec<String>,
}

#[derive(Debug, Serialize)]
struct LineView {
    name: String,
    quantity: i64,
    unit_price: String,
    total: String,
}

impl OrderView {
    fn of(order: &Order) -> Self {
        let address = order.shipping_address.as_ref();
        let greeting = address
            .map(|a| a.recipient.trim())
            .filter(|r| !r.is_empty())
            .unwrap_or("there")
            .to_owned();
        Self {
            id: order.id.clone(),
            number: if order.number.is_empty() {
                order.id.clone()
            } else {
                order.number.clone()
            },
            greeting,
            lines: order
                .lines
                .iter()
                .map(|line| LineView {
                    name: line.product_name.clone(),
                    quantity: line.quantity,
                    unit_price: money(line.unit_price.as_ref()),
                    total: money(line.line_total.as_ref()),
                })
                .collect(),
            subtotal: money(order.subtotal.as_ref()),
            shipping: order.shipping.as_ref().map(shipping).unwrap_or_default(),
            total: money(order.total.as_ref()),
            payment: payment(order),
            address: address.map(address_lines).unwrap_or_default(),
        }
    }
}

/// "19.99 USD", in the currency's own minor units.
fn money(money: Option<&common_proto::Money>) -> String {
    let Some(money) = money else {
        return String::new();
    };
    match Currency::parse(&money.currency_code) {
        Ok(currency) => platform::money::Money::new(currency, money.amount_minor).to_string(),
        Err(_) => format!("{} {}", money.amount_minor, money.currency_code),
    }
}

/// The option and its price: "Express: 14.99 USD", "Standard: free".
fn shipping(option: &fulfilment::ShippingOption) -> String {
    let free = option.price.as_ref().is_none_or(|p| p.amount_minor == 0);
    let price = if free {
        "free".to_owned()
    } else {
        money(option.price.as_ref())
    };
    format!("{}: {price}", option.name.trim())
}

/// "your Visa card ending in 4242", or "your store-credit wallet".
fn payment(order: &Order) -> String {
    let method = order.payment.as_ref().and_then(|p| p.method.as_ref());
    match method {
        Some(m) if m.method_type() == PaymentMethodType::Wallet => {
            "your store-credit wallet".to_owned()
        }
        Some(m) if m.method_type() == PaymentMethodType::Card => {
            let brand = match m.card_brand.as_str() {
                "visa" => "Visa card",
                "mastercard" => "Mastercard",
                "amex" => "American Express card",
                "discover" => "Discover card",
                _ => "card",
            };
            format!("your {brand} ending in {}", m.card_last4)
        }
        _ => "your payment method".to_owned(),
    }
}

fn address_lines(address: &common_proto::Address) -> Vec<String> {
    let city = [address.postal_code.trim(), address.city.trim()]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    [
        address.recipient.trim(),
        address.line1.trim(),
        address.line2.trim(),
        city.as_str(),
        address.region.trim(),
        address.country_code.trim(),
    ]
    .into_iter()
    .filter(|p| !p.is_empty())
    .map(str::to_owned)
    .collect()
}

/// Why an order failed, in plain words, and what became of the money.
struct Failure {
    why: String,
    money: &'static str,
}

impl Failure {
    fn of(order: &Order) -> Self {
        const NOTHING_CHARGED: &str = "Nothing was charged.";
        let (why, money) = match order.failure_reason() {
            FailureReason::OutOfStock => (
                "we do not have enough stock of a product you ordered".to_owned(),
                NOTHING_CHARGED,
            ),
            FailureReason::PaymentDeclined => (
                format!(
                    "your payment was declined: {}",
                    decline_in_words(order.decline_code())
                ),
                NOTHING_CHARGED,
            ),
            FailureReason::ProductUnavailable => (
                "a product was removed or repriced while your order was being placed".to_owned(),
                NOTHING_CHARGED,
            ),
            FailureReason::ReservationExpired => (
                "the products we held for you were released before checkout could finish"
                    .to_owned(),
                "Anything charged for it has been refunded.",
            ),
            FailureReason::PaymentIncomplete => (
                "checkout was interrupted before your card could be charged".to_owned(),
                NOTHING_CHARGED,
            ),
            FailureReason::Internal => (
                "something went wrong on our side".to_owned(),
                "Anything charged for it has been refunded.",
            ),
            FailureReason::Unspecified => (
                "checkout could not be completed".to_owned(),
                "Anything charged for it has been refunded.",
            ),
        };
        Self { why, money }
    }
}

/// A decline code as a customer would say it.
fn decline_in_words(code: DeclineCode) -> &'static str {
    match code {
        DeclineCode::GenericDecline => "the card issuer declined it without giving a reason",
        DeclineCode::InsufficientFunds => "the card's account does not have enough funds",
        DeclineCode::ExpiredCard => "the card has expired",
        DeclineCode::IncorrectCvc => "the card's security code (CVC) was wrong",
        DeclineCode::InsufficientWalletBalance => {
            "your store-credit wallet does not hold enough for this order"
        }
        DeclineCode::Unspecified => "no reason was given",
    }
}

#[cfg(test)]
mod tests {
    use contracts::events::{OrderChanged, UserRegistered};

    use super::*;

    fn templates() -> Templates {
        Templates::new(Shop {
            name: "Test Shop".into(),
            url: "https://shop.example.com/".into(),
        })
        .expect("the embedded templates parse")
    }

    fn event(event_type: &str, payload: Option<Payload>) -> Event {
        Event {
            event_id: "event-1".into(),
            r#type: event_type.into(),
            payload,
            ..Default::default()
        }
    }

    fn failed_order(reason: FailureReason, decline: DeclineCode) -> Event {
        let mut order = Order {
            id: "01234567-89ab-7def-8123-456789abcdef".into(),
            number: "SH-4KQ7-9MZ2".into(),
            user_id: "user-1".into(),
            ..Default::default()
        };
        order.set_failure_reason(reason);
        order.set_decline_code(decline);
        event(
            types::ORDER_FAILED,
            Some(Payload::Order(OrderChanged { order: Some(order) })),
        )
    }

    fn text_of(composed: Composed) -> String {
        match composed {
            Composed::Order(email) => email.text_body,
            other => panic!("not an order email: {other:?}"),
        }
    }

    #[test]
    fn every_failure_reason_is_said_in_words() {
        let templates = templates();
        for reason in [
            FailureReason::OutOfStock,
            FailureReason::ProductUnavailable,
            FailureReason::ReservationExpired,
            FailureReason::Internal,
            FailureReason::PaymentIncomplete,
            FailureReason::Unspecified,
        ] {
            let text = text_of(
                templates
                    .compose(&failed_order(reason, DeclineCode::Unspecified))
                    .expect("composed"),
            );
            assert!(text.contains("could not be placed, because "), "{text}");
            assert!(!text.contains("FAILURE_REASON"), "{text}");
        }
        let out_of_stock = text_of(
            templates
                .compose(&failed_order(
                    FailureReason::OutOfStock,
                    DeclineCode::Unspecified,
                ))
                .expect("composed"),
        );
        assert!(
            out_of_stock.contains("we do not have enough stock of a product you ordered"),
            "{out_of_stock}"
        );
        let expired = text_of(
            templates
                .compose(&failed_order(
                    FailureReason::PaymentDeclined,
                    DeclineCode::ExpiredCard,
                ))
                .expect("composed"),
        );
        assert!(
            expired.contains("your payment was declined: the card has expired."),
            "{expired}"
        );
    }

    fn order_event(event_type: &str, order: Order) -> Event {
        event(
            event_type,
            Some(Payload::Order(OrderChanged { order: Some(order) })),
        )
    }

    fn usd(amount_minor: i64) -> common_proto::Money {
        common_proto::Money {
            currency_code: "USD".into(),
            amount_minor,
        }
    }

    fn shipped_order() -> Order {
        Order {
            id: "01234567-89ab-7def-8123-456789abcdef".into(),
            number: "SH-4KQ7-9MZ2".into(),
            user_id: "user-1".into(),
            subtotal: Some(usd(2500)),
            shipping: Some(fulfilment::ShippingOption {
                code: "express".into(),
                name: "Express".into(),
                price: Some(usd(1499)),
                ..Default::default()
            }),
            total: Some(usd(3999)),
            shipment: Some(contracts::orders::OrderShipment {
                carrier: "DHL".into(),
                tracking_number: "JD0146 0000 1234".into(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_confirmation_shows_the_subtotal_shipping_and_total() {
        let text = text_of(
            templates()
                .compose(&order_event(types::ORDER_CONFIRMED, shipped_order()))
                .expect("composed"),
        );
        assert!(text.contains("Subtotal: 25.00 USD"), "{text}");
        assert!(text.contains("Shipping: Express: 14.99 USD"), "{text}");
        assert!(text.contains("Total: 39.99 USD"), "{text}");

        let mut free = shipped_order();
        if let Some(option) = free.shipping.as_mut() {
            option.price = Some(usd(0));
        }
        let text = text_of(
            templates()
                .compose(&order_event(types::ORDER_CONFIRMED, free))
                .expect("composed"),
        );
        assert!(text.contains("Shipping: Express: free"), "{text}");
    }

    #[test]
    fn a_shipped_order_is_told_its_carrier_and_tracking_number() {
        let composed = templates()
            .compose(&order_event(types::ORDER_SHIPPED, shipped_order()))
            .expect("composed");
        let Composed::Order(email) = composed else {
            panic!("not an order email: {composed:?}");
        };
        assert_eq!(email.kind, Kind::OrderShipped);
        assert_eq!(
            email.subject,
            "Your Test Shop Order SH-4KQ7-9MZ2 is on its way"
        );
        assert!(
            email.text_body.contains("Carrier: DHL"),
            "{}",
            email.text_body
        );
        assert!(
            email
                .text_body
                .contains("Tracking number: JD0146 0000 1234"),
            "{}",
            email.text_body
        );
        assert!(email.html_body.contains("JD0146 0000 1234"));

        let mut without = shipped_order();
        without.shipment = None;
        assert!(matches!(
            templates().compose(&order_event(types::ORDER_SHIPPED, without)),
            Err(Error::BadEvent { .. })
        ));
    }

    #[test]
    fn a_delivered_order_is_told_so() {
        let composed = templates()
            .compose(&order_event(types::ORDER_DELIVERED, shipped_order()))
            .expect("composed");
        let Composed::Order(email) = composed else {
            panic!("not an order email: {composed:?}");
        };
        assert_eq!(email.kind, Kind::OrderDelivered);
        assert_eq!(
            email.subject,
            "Your Test Shop Order SH-4KQ7-9MZ2 was delivered"
        );
        assert!(email.text_body.contains("has been delivered"));
        assert!(email.text_body.contains("Order SH-4KQ7-9MZ2"));
        assert!(email.html_body.contains("Order SH-4KQ7-9MZ2"));
    }

    #[test]
    fn an_order_published_before_numbers_is_named_by_its_id() {
        let mut old = shipped_order();
        old.number = String::new();
        let Composed::Order(email) = templates()
            .compose(&order_event(types::ORDER_DELIVERED, old))
            .expect("composed")
        else {
            panic!("not an order email");
        };
        assert_eq!(
            email.subject,
            "Your Test Shop Order 01234567-89ab-7def-8123-456789abcdef was delivered"
        );
    }

    #[test]
    fn a_registration_is_remembered_and_welcomed() {
        let composed = templates()
            .compose(&event(
                types::USER_REGISTERED,
                Some(Payload::UserRegistered(UserRegistered {
                    user_id: "user-1".into(),
                    email: " Ada@Example.com ".into(),
                    display_name: "Ada".into(),
                })),
            ))
            .expect("composed");
        let Composed::Registered { recipient, welcome } = composed else {
            panic!("not a registration: {composed:?}");
        };
        assert_eq!(recipient.email.as_str(), "Ada@Example.com");
        assert_eq!(welcome.kind, Kind::Welcome);
        assert_eq!(welcome.subject, "Welcome to Test Shop");
        assert!(welcome.text_body.starts_with("Hello Ada,\n"));
    }

    #[test]
    fn malformed_events_are_refused_and_other_types_ignored() {
        let templates = templates();
        let bad_address = event(
            types::USER_REGISTERED,
            Some(Payload::UserRegistered(UserRegistered {
                user_id: "user-1".into(),
                email: "not an address".into(),
                display_name: String::new(),
            })),
        );
        assert!(matches!(
            templates.compose(&bad_address),
            Err(Error::BadEvent { .. })
        ));
        assert!(matches!(
            templates.compose(&event(types::ORDER_CONFIRMED, None)),
            Err(Error::BadEvent { .. })
        ));
        assert_eq!(
            templates
                .compose(&event(types::STOCK_LOW, None))
                .expect("ignored"),
            Composed::Nothing
        );
    }
}
