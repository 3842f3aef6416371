//! The notifications service: the emails customers get. It consumes the
//! shop's events (a registration: remember the address, queue a welcome;
//! an order confirmed, failed or cancelled: queue an email about it), and
//! a sender loop sends what is queued over SMTP or, in the embedded mode,
//! as `.eml` files in a folder. Admins list the emails through
//! `shop.notifications.v1.NotificationService`.
//!
//! Layers, calling downwards only: [`api`] (tonic, validation, access
//! rules, error mapping) and [`handler`] (events) and [`sender`] (the loop)
//! -> [`compose`] (event -> rendered email) and [`domain`] (values and
//! rules) -> [`store`] (diesel on SQLite or PostgreSQL). [`serve`]
//! assembles them.

pub mod api;
pub mod compose;
pub mod domain;
pub mod error;
pub mod handler;
pub mod sender;
pub mod store;

use std::{future::Future, path::PathBuf, sync::Arc};

use contracts::notifications::notification_service_server::NotificationServiceServer;
use platform::{auth::Verifier, config::CommonConfig, paging::PageTokens, service::Service};
use tokio::net::TcpListener;
use tonic::service::Routes;

pub use compose::Shop;
pub use platform::service::StartError;
pub use sender::{MailTransport, SendSettings};

use crate::{compose::Templates, handler::EventHandler, sender::Sender, store::Store};

/// The sender address when none is configured.
pub const DEFAULT_MAIL_FROM: &str = "Shop <no-reply@shop.test>";

/// Everything the notifications service needs to run. [`Config::new`]
/// gives the embedded defaults; the binary fills it from flags.
#[derive(Debug, Clone)]
pub struct Config {
    /// Database, trust list, clock, page-token key, drain delay, TLS, events.
    pub common: CommonConfig,
    /// Where emails go.
    pub transport: MailTransport,
    /// The From of every email, e.g. `Shop <no-reply@shop.example>`.
    pub mail_from: String,
    /// The shop's name and URL, as the emails show them.
    pub shop: Shop,
    /// How the sender paces itself and when it gives up.
    pub sending: SendSettings,
}

impl Config {
    /// The service on a database and a trust list, writing emails as
    /// `.eml` files into `mail_dir` (see [`Config::with_common`]).
    pub fn new(database_url: impl Into<String>, verifier: Verifier, mail_dir: PathBuf) -> Self {
        Self::with_common(
            CommonConfig::new(database_url, verifier),
            MailTransport::Files(mail_dir),
        )
    }

    /// The service's own defaults around `common`: emails through
    /// `transport` from [`DEFAULT_MAIL_FROM`], for "Shop" at
    /// `http://127.0.0.1:8080/`, with [`SendSettings::default`].
    pub fn with_common(common: CommonConfig, transport: MailTransport) -> Self {
        Self {
            common,
            transport,
            mail_from: DEFAULT_MAIL_FROM.to_owned(),
            shop: Shop {
                name: "Shop".to_owned(),
                url: "http://127.0.0.1:8080/".to_owned(),
            },
            sending: SendSettings::default(),
        }
    }
}

/// Runs the notifications service on `listener` until `shutdown`
/// completes: connects to and migrates the database, consumes its events,
/// runs the sender, and serves NotificationService.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let Config {
        common,
        transport,
        mail_from,
        shop,
        sending,
    } = config;
    let db = common.connect(store::migrations()).await?;
    let store = Store::new(db.clone(), common.clock.clone());
    let templates = Templates::new(shop)
        .map_err(|e| StartError::setup("cannot load the email templates", e))?;
    let sender = Sender::new(store.clone(), &transport, &mail_from, sending)
        .map_err(|e| StartError::setup("cannot set up sending email", e))?;
    tracing::info!(transport = %transport.describe(), "notifications send email through");

    let api = api::NotificationsApi::new(store, PageTokens::new(&common.page_token_key));
    let routes = Routes::new(NotificationServiceServer::new(api));
    let handler = EventHandler::new(Arc::new(templates), common.clock.clone());
    let mut service = Service::new(
        "notifications",
        common,
        db,
        routes,
        &api::SERVICE_NAMES,
        api::policy(),
    );
    service.consume_events(handler::CONSUMER, Arc::new(handler));
    service.background.spawn("email sender", sender.run());
    platform::service::serve_service(service, listener, shutdown).await?;
    Ok(())
}
