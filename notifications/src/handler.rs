//! The consumer `notifications`: applies the events the topology sends it
//! (`accounts.user.registered`, `accounts.account.email_requested`,
//! `orders.order.*`, `payments.payment.refunded`)
//! inside the transaction the platform opened for them, which also records
//! each event in the inbox. A registration stores the user's address and
//! queues a welcome; a confirmed, failed or cancelled order queues an email
//! about it; an account email request queues that email, to the address it
//! names; every other type is ignored. Sending is the sender loop's job
//! (see [`crate::sender`]), never the handler's: a rolled-back transaction
//! must not have sent anything.

use std::sync::Arc;

use contracts::events::Event;
use futures_util::future::BoxFuture;
use platform::{
    clock::Clock,
    events::{Conn, Handler, HandlerError},
};

use crate::{
    compose::{Composed, Templates},
    error::Error,
    store,
};

/// The consumer's name, also its queue's (see the platform's topology).
pub const CONSUMER: &str = "notifications";

/// Turns events into queued emails.
pub struct EventHandler {
    templates: Arc<Templates>,
    clock: Clock,
}

impl EventHandler {
    pub fn new(templates: Arc<Templates>, clock: Clock) -> Self {
        Self { templates, clock }
    }
}

impl Handler for EventHandler {
    fn handle<'a>(
        &'a self,
        conn: Conn<'a>,
        event: &'a Event,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            // A malformed event, or one a template cannot render, will not
            // get better by retrying: it becomes a dead letter.
            let composed = self.templates.compose(event).map_err(rejected)?;
            let now = self.clock.now();
            match composed {
                Composed::Registered { recipient, welcome } => {
                    store::register(conn, &recipient, &welcome, now).await?;
                }
                Composed::Order(email) => {
                    store::queue(conn, &email, now).await?;
                }
                Composed::Account { to, email } => {
                    store::queue_to(conn, &email, &to, now).await?;
                }
                Composed::Nothing => {}
            }
            Ok(())
        })
    }
}

fn rejected(error: Error) -> HandlerError {
    HandlerError::Rejected(error.to_string())
}
