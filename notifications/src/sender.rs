//! The sender loop: claims due emails oldest first, sends each through the
//! configured transport (SMTP, or `.eml` files in a folder), and records
//! the outcome: SENT with the time; or, after a failure, the attempt and
//! its reason and a retry after a doubling, capped wait; FAILED once the
//! attempts are used up or the server refused the message for good. An
//! email whose recipient's address is not known yet (the order event came
//! before the registration event) waits for it, and is FAILED with that
//! reason if it is still unknown after `address_wait`.

use std::{path::PathBuf, time::Duration};

use lettre::{
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart},
};

use crate::{
    domain::{AfterFailure, Outgoing, RetryPolicy},
    error::{Error, Result},
    store::Store,
};

/// Where emails go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailTransport {
    /// An SMTP server: `smtp://[user:password@]host[:port]` (plain, or
    /// STARTTLS with `?tls=required`), `smtps://...` (TLS from the start).
    Smtp(String),
    /// A folder: each email is written to it as an `.eml` file (the
    /// embedded default, `<data-dir>/mail`).
    Files(PathBuf),
}

impl MailTransport {
    /// A short description for logs and banners, without credentials.
    pub fn describe(&self) -> String {
        match self {
            MailTransport::Smtp(url) => {
                let scheme = url.split("://").next().unwrap_or("smtp");
                let host = url
                    .split("://")
                    .nth(1)
                    .map(|rest| rest.rsplit('@').next().unwrap_or(rest))
                    .map(|rest| rest.split(['/', '?']).next().unwrap_or(rest))
                    .unwrap_or_default();
                format!("{scheme}://{host}")
            }
            MailTransport::Files(dir) => format!(".eml files in {}", dir.display()),
        }
    }
}

/// A transport, ready to send.
#[derive(Clone)]
enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>),
}

/// Why an attempt failed, and whether another could succeed.
#[derive(Debug)]
struct SendFailure {
    reason: String,
    permanent: bool,
}

impl Mailer {
    fn new(transport: &MailTransport, timeout: Duration) -> Result<Self> {
        match transport {
            MailTransport::Smtp(url) => AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map(|builder| Mailer::Smtp(builder.timeout(Some(timeout)).build()))
                // The URL may hold a password: only lettre's reason is shown.
                .map_err(|e| Error::MailSettings(format!("the SMTP URL is not usable: {e}"))),
            MailTransport::Files(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    Error::MailSettings(format!(
                        "cannot create the mail folder {}: {e}",
                        dir.display()
                    ))
                })?;
                Ok(Mailer::Files(AsyncFileTransport::new(dir)))
            }
        }
    }

    async fn send(&self, message: Message) -> Result<(), SendFailure> {
        match self {
            Mailer::Smtp(smtp) => smtp.send(message).await.map(drop).map_err(|e| SendFailure {
                permanent: e.is_permanent(),
                reason: format!("the mail server: {e}"),
            }),
            Mailer::Files(files) => files
                .send(message)
                .await
                .map(drop)
                .map_err(|e| SendFailure {
                    permanent: false,
                    reason: format!("cannot write the email file: {e}"),
                }),
        }
    }
}

/// How the sender paces itself and when it gives up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendSettings {
    /// How often due emails are looked for when there were none.
    pub poll: Duration,
    /// Most emails claimed at once.
    pub batch: i64,
    /// Longest one attempt may take (connecting included).
    pub send_timeout: Duration,
    /// Attempts, and the waits between them.
    pub retry: RetryPolicy,
    /// How long an email waits for its recipient's address before it is
    /// FAILED.
    pub address_wait: Duration,
    /// How often an email waiting for its address looks again (a
    /// registration arriving makes it due at once anyway).
    pub address_retry: Duration,
}

impl Default for SendSettings {
    /// Every second; 8 attempts over about 20 minutes (10 s doubling to at
    /// most 10 min); an address must be known within 24 hours.
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(1),
            batch: 20,
            send_timeout: Duration::from_secs(30),
            retry: RetryPolicy {
                max_attempts: 8,
                base: Duration::from_secs(10),
                cap: Duration::from_secs(600),
            },
            address_wait: Duration::from_secs(24 * 3600),
            address_retry: Duration::from_secs(60),
        }
    }
}

/// What became of one claimed email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Queued again: a failed attempt, or still no address.
    Retrying,
    Failed,
}

/// Sends queued emails. Cheap to clone.
#[derive(Clone)]
pub struct Sender {
    store: Store,
    mailer: Mailer,
    from: Mailbox,
    settings: SendSettings,
}

impl Sender {
    /// A sender through `transport`, from `from` (e.g. `Shop
    /// <no-reply@shop.example>`). Fails on a bad address or SMTP URL, or a
    /// mail folder that cannot be created.
    pub fn new(
        store: Store,
        transport: &MailTransport,
        from: &str,
        settings: SendSettings,
    ) -> Result<Self> {
        let from = from
            .parse::<Mailbox>()
            .map_err(|e| Error::MailSettings(format!("the sender address {from:?}: {e}")))?;
        let mailer = Mailer::new(transport, settings.send_timeout)?;
        Ok(Self {
            store,
            mailer,
            from,
            settings,
        })
    }

    /// Sends (or settles) the emails due now, up to a batch; returns what
    /// became of each.
    pub async fn send_due(&self) -> Result<Vec<Outcome>> {
        let lease = self.settings.send_timeout + Duration::from_secs(30);
        let mut outcomes = Vec::new();
        for id in self.store.due(self.settings.batch).await? {
            if let Some(email) = self.store.claim(&id, lease).await? {
                outcomes.push(self.deliver(email).await?);
            }
        }
        Ok(outcomes)
    }

    /// Sends for as long as the service runs.
    pub async fn run(self) {
        loop {
            match self.send_due().await {
                // A full batch: more may be due right away.
                Ok(outcomes)
                    if outcomes.len() >= usize::try_from(self.settings.batch).unwrap_or(1) =>
                {
                    continue;
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "cannot send emails; trying again"),
            }
            tokio::time::sleep(self.settings.poll).await;
        }
    }

    async fn deliver(&self, email: Outgoing) -> Result<Outcome> {
        let now = self.store.now();
        let kind = email.kind.as_str();
        let Some(to) = &email.recipient else {
            let waited = (now - email.created_at).unsigned_abs();
            if waited >= self.settings.address_wait {
                let reason = format!(
                    "no email address is known for user {}: their registration did not arrive within {}",
                    email.user_id,
                    words(self.settings.address_wait)
                );
                self.store.fail(&email.id, email.attempts, &reason).await?;
                metrics::counter!("notifications_failed_total", "kind" => kind).increment(1);
                tracing::warn!(notification = %email.id, kind, %reason, "email failed");
                return Ok(Outcome::Failed);
            }
            let note =
                "waiting for the user's email address (their registration has not arrived yet)";
            self.store
                .retry_at(
                    &email.id,
                    email.attempts,
                    note,
                    now + self.settings.address_retry,
                )
                .await?;
            return Ok(Outcome::Retrying);
        };
        let attempt = email.attempts.saturating_add(1);
        let sent = match self.message(to, &email) {
            Ok(message) => {
                match tokio::time::timeout(self.settings.send_timeout, self.mailer.send(message))
                    .await
                {
                    Ok(sent) => sent,
                    Err(_) => Err(SendFailure {
                        permanent: false,
                        reason: format!("no answer within {}", words(self.settings.send_timeout)),
                    }),
                }
            }
            Err(failure) => Err(failure),
        };
        match sent {
            Ok(()) => {
                self.store.mark_sent(&email.id, attempt).await?;
                metrics::counter!("notifications_sent_total", "kind" => kind).increment(1);
                tracing::info!(notification = %email.id, kind, "email sent");
                Ok(Outcome::Sent)
            }
            Err(failure) => {
                let reason = platform::error::bounded(&failure.reason, 500);
                let after = if failure.permanent {
                    AfterFailure::GiveUp
                } else {
                    self.settings.retry.after_failure(attempt)
                };
                metrics::counter!("notifications_attempts_failed_total", "kind" => kind)
                    .increment(1);
                match after {
                    AfterFailure::RetryIn(wait) => {
                        tracing::info!(notification = %email.id, kind, attempt, %reason, "email not sent; will retry");
                        self.store
                            .retry_at(&email.id, attempt, &reason, now + wait)
                            .await?;
                        Ok(Outcome::Retrying)
                    }
                    AfterFailure::GiveUp => {
                        let reason = format!("gave up after {attempt} attempts: {reason}");
                        tracing::warn!(notification = %email.id, kind, %reason, "email failed");
                        self.store.fail(&email.id, attempt, &reason).await?;
                        metrics::counter!("notifications_failed_total", "kind" => kind)
                            .increment(1);
                        Ok(Outcome::Failed)
                    }
                }
            }
        }
    }

    /// The message for `email` to `to`: a text and an HTML part.
    fn message(&self, to: &str, email: &Outgoing) -> Result<Message, SendFailure> {
        let permanent = |reason: String| SendFailure {
            reason,
            permanent: true,
        };
        let to = to
            .parse::<Mailbox>()
            .map_err(|e| permanent(format!("the recipient {to:?} is not an address: {e}")))?;
        // The same id on every attempt: a receiver that got a copy from
        // an attempt whose outcome was lost can tell it is one email.
        let message_id = format!("<{}@{}>", email.id, self.from.email.domain());
        Message::builder()
            .message_id(Some(message_id))
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                email.text_body.clone(),
                email.html_body.clone(),
            ))
            .map_err(|e| permanent(format!("cannot build the message: {e}")))
    }
}

/// A duration as the reasons say it: "24h", "90s", "250ms".
fn words(duration: Duration) -> String {
    let secs = duration.as_secs();
    if duration.subsec_millis() != 0 || secs == 0 {
        format!("{}ms", duration.as_millis())
    } else if secs.is_multiple_of(3600) {
        format!("{}h", secs / 3600)
    } else if secs.is_multiple_of(60) {
        format!("{}m", secs / 60)
    } else {
        format!("{secs}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_their_largest_whole_unit() {
        assert_eq!(words(Duration::from_secs(24 * 3600)), "24h");
        assert_eq!(words(Duration::from_secs(120)), "2m");
        assert_eq!(words(Duration::from_secs(90)), "90s");
        assert_eq!(words(Duration::from_millis(250)), "250ms");
    }

    #[test]
    fn an_smtp_url_is_described_without_its_credentials() {
        let smtp = MailTransport::Smtp("smtps://user:secret@mail.example.com:465/ehlo".into());
        assert_eq!(smtp.describe(), "smtps://mail.example.com:465");
        assert!(!smtp.describe().contains("secret"));
    }
}
