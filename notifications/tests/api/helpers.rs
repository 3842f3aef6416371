//! The one way these tests start the notifications service:
//! [`TestApp::spawn`], with events fed to its consumer as the platform
//! applies them (`Consumer::apply_batch`: the inbox, then the handler, in
//! one transaction), emails going to a temporary mail folder, and admins
//! reading them through the generated client.

pub use platform::testing::{eventually, expect_code};

use std::{path::PathBuf, sync::Arc};

use contracts::{
    common::{DeclineCode, PaymentMethodSummary, PaymentMethodType},
    events::{Event, OrderChanged, UserRegistered, event::Payload},
    notifications::{
        self as proto, NotificationState, notification_service_client::NotificationServiceClient,
    },
    orders::{FailureReason, Order, OrderLine, OrderStatus, PaymentSummary},
};
use notifications::{
    Config, MailTransport, Shop,
    compose::Templates,
    handler::{CONSUMER, EventHandler},
};
use platform::{
    auth::Role,
    clock::Clock,
    db::Db,
    events::{Consumer, ConsumerSettings, types},
    testing::{TestAuth, TestDatabase, TestServer, address, authorized, usd},
};
use tonic::{Request, Status, transport::Channel};

/// A running notifications service, a way to hand it events, and its mail
/// folder.
pub struct TestApp {
    pub client: NotificationServiceClient<Channel>,
    pub auth: TestAuth,
    pub mail_dir: PathBuf,
    consumer: Consumer,
    _mail: tempfile::TempDir,
    _server: TestServer<notifications::StartError>,
    _database: TestDatabase,
}

/// The shop the emails speak for.
pub fn shop() -> Shop {
    Shop {
        name: "Test Shop".into(),
        url: "https://shop.example.com/".into(),
    }
}

impl TestApp {
    /// The service writing .eml files, on the system clock, trying again
    /// after 10 ms.
    pub async fn spawn() -> Self {
        Self::spawn_with(Clock::System, |_| {}).await
    }

    /// The service on `clock`, with a configuration `configure` may change.
    pub async fn spawn_with(clock: Clock, configure: impl FnOnce(&mut Config)) -> Self {
        let database = TestDatabase::new().await;
        let auth = TestAuth::new();
        let mail = tempfile::tempdir().expect("a temp dir for mail");
        let mail_dir = mail.path().join("mail");
        let mut config = Config::new(database.url(), auth.verifier(), mail_dir.clone());
        config.common.clock = clock.clone();
        config.shop = shop();
        config.sending.poll = std::time::Duration::from_millis(20);
        config.sending.retry.base = std::time::Duration::from_millis(10);
        config.sending.retry.cap = std::time::Duration::from_millis(40);
        configure(&mut config);

        let server = TestServer::spawn(|listener, shutdown| {
            notifications::serve(config, listener, shutdown)
        })
        .await;
        server.wait_until_serving().await;
        // The platform's consumer, on the service's own database.
        let db = Db::connect(database.url(), 2, notifications::store::migrations())
            .await
            .expect("the service's database");
        let consumer = Consumer {
            name: CONSUMER,
            db,
            handler: Arc::new(EventHandler::new(
                Arc::new(Templates::new(shop()).expect("templates")),
                clock.clone(),
            )),
            clock: clock.clone(),
            settings: ConsumerSettings::default(),
        };
        Self {
            client: NotificationServiceClient::new(server.channel()),
            auth,
            mail_dir,
            consumer,
            _mail: mail,
            _server: server,
            _database: database,
        }
    }

    /// Applies `events` as the consumer does, in one transaction.
    pub async fn deliver(&self, events: impl IntoIterator<Item = Event>) {
        let events: Vec<Event> = events.into_iter().collect();
        self.consumer
            .apply_batch(&events)
            .await
            .expect("the events are applied");
    }

    /// Applies `events` as the consumer does, or says why they were refused.
    pub async fn try_deliver(&self, events: impl IntoIterator<Item = Event>) -> Result<(), String> {
        let events: Vec<Event> = events.into_iter().collect();
        self.consumer
            .apply_batch(&events)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// `message` with an admin's token.
    pub fn as_admin<T>(&self, message: T) -> Request<T> {
        authorized(message, &self.auth.user_token("admin-1", Role::Admin))
    }

    /// One page of notifications, as an admin sees it.
    pub async fn list(
        &self,
        request: proto::ListNotificationsRequest,
    ) -> Result<proto::ListNotificationsResponse, Status> {
        self.client
            .clone()
            .list_notifications(self.as_admin(request))
            .await
            .map(tonic::Response::into_inner)
    }

    /// Every notification (up to 100), newest first.
    pub async fn all(&self) -> Vec<proto::Notification> {
        self.list(proto::ListNotificationsRequest {
            page_size: 100,
            ..Default::default()
        })
        .await
        .expect("an admin lists notifications")
        .notifications
    }

    /// Waits until every notification has left the queue (sent or
    /// failed) and there are `count` of them; returns them.
    pub async fn settled(&self, count: usize) -> Vec<proto::Notification> {
        eventually(&format!("{count} notifications settled"), || async {
            let all = self.all().await;
            all.len() == count && all.iter().all(|n| n.state() != NotificationState::Queued)
        })
        .await;
        self.all().await
    }

    /// The emails written to the mail folder, as raw text.
    pub fn mailbox(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(&self.mail_dir) else {
            return Vec::new();
        };
        entries
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .map(|e| readable(&std::fs::read_to_string(e.path()).expect("an email file")))
            .collect()
    }
}

/// An event envelope of `event_type` about `aggregate_id`.
fn event(event_type: &str, aggregate_id: &str, payload: Payload) -> Event {
    Event {
        event_id: uuid::Uuid::now_v7().to_string(),
        r#type: event_type.into(),
        aggregate_id: aggregate_id.into(),
        aggregate_sequence: 1,
        occur_time: None,
        traceparent: String::new(),
        payload: Some(payload),
    }
}

/// `accounts.user.registered` for `user_id` at `email`.
pub fn registered(user_id: &str, email: &str, name: &str) -> Event {
    event(
        types::USER_REGISTERED,
        user_id,
        Payload::UserRegistered(UserRegistered {
            user_id: user_id.into(),
            email: email.into(),
            display_name: name.into(),
        }),
    )
}

/// `accounts.account.email_requested` for `user_id` at `email`, of `kind`,
/// with `token` (empty for none) expiring at 2030-01-02 03:04 UTC.
pub fn account_email(
    user_id: &str,
    email: &str,
    kind: contracts::events::AccountEmailKind,
    token: &str,
) -> Event {
    event(
        types::ACCOUNT_EMAIL_REQUESTED,
        user_id,
        Payload::AccountEmail(contracts::events::AccountEmailRequested {
            kind: kind.into(),
            user_id: user_id.into(),
            email: email.into(),
            display_name: "Ada".into(),
            token: token.into(),
            token_expire_time: Some(contracts::timestamp::from_datetime(
                time::OffsetDateTime::from_unix_timestamp(1_893_553_440).expect("a time"),
            )),
        }),
    )
}

/// An order of `user_id`: 2 mugs at 12.50 USD and 1 coffee at 9.99 USD,
/// paid by Visa, to Ada Lovelace in London.
pub fn order(user_id: &str, status: OrderStatus) -> Order {
    let line = |name: &str, unit: i64, quantity: i64| OrderLine {
        product_id: uuid::Uuid::now_v7().to_string(),
        product_name: name.into(),
        unit_price: Some(usd(unit)),
        quantity,
        line_total: Some(usd(unit * quantity)),
    };
    let id = uuid::Uuid::now_v7();
    // Hex digits are all Crockford characters: a number unique to the id.
    let tail = id.simple().to_string().to_ascii_uppercase()[24..].to_owned();
    Order {
        id: id.to_string(),
        number: format!("SH-{}-{}", &tail[..4], &tail[4..]),
        user_id: user_id.into(),
        request_id: "request-1".into(),
        status: status.into(),
        lines: vec![line("Blue Mug", 1250, 2), line("Coffee Beans", 999, 1)],
        total: Some(usd(3499)),
        payment: Some(PaymentSummary {
            payment_id: uuid::Uuid::now_v7().to_string(),
            method: Some(PaymentMethodSummary {
                method_type: PaymentMethodType::Card.into(),
                card_brand: "visa".into(),
                card_last4: "4242".into(),
            }),
        }),
        shipping_address: Some(address()),
        ..Default::default()
    }
}

/// `orders.order.<what>` carrying `order`.
pub fn order_event(event_type: &str, order: &Order) -> Event {
    event(
        event_type,
        &order.id,
        Payload::Order(OrderChanged {
            order: Some(order.clone()),
        }),
    )
}

/// `orders.order.confirmed` for a new order of `user_id`.
pub fn confirmed(user_id: &str) -> (Order, Event) {
    let order = order(user_id, OrderStatus::Confirmed);
    let event = order_event(types::ORDER_CONFIRMED, &order);
    (order, event)
}

/// `orders.order.failed` for a new order of `user_id`, declined for `code`.
pub fn declined(user_id: &str, code: DeclineCode) -> (Order, Event) {
    let mut order = order(user_id, OrderStatus::Failed);
    order.set_failure_reason(FailureReason::PaymentDeclined);
    order.set_decline_code(code);
    let event = order_event(types::ORDER_FAILED, &order);
    (order, event)
}

/// The one email in `mailbox` that mentions `needle`.
pub fn the_email<'a>(mailbox: &'a [String], needle: &str) -> &'a str {
    let found: Vec<&String> = mailbox.iter().filter(|m| m.contains(needle)).collect();
    assert_eq!(found.len(), 1, "exactly one email mentions {needle:?}");
    found[0]
}

/// The SMTP URL a mail server that refuses every connection would have.
pub const NO_MAIL_SERVER: &str = "smtp://127.0.0.1:1";

/// Sends through `url` instead of files.
pub fn through_smtp(url: &str) -> impl FnOnce(&mut Config) {
    let url = url.to_owned();
    move |config| config.transport = MailTransport::Smtp(url)
}

/// A payload the contract allows with no content, for events whose type
/// this service ignores.
pub fn refunded(payment_id: &str) -> Event {
    event(
        types::PAYMENT_REFUNDED,
        payment_id,
        Payload::Payment(contracts::events::PaymentChanged::default()),
    )
}

/// An email's raw text with quoted-printable undone (soft line breaks
/// joined, `=XX` decoded), as a mail client shows its parts.
pub fn readable(raw: &str) -> String {
    let joined = raw.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
