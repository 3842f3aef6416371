//! The service's values and rules, pure: what kinds of email there are and
//! where one is in its life, the validated values an email is addressed
//! with, and when a failed email is tried again or given up on.

use std::time::Duration;

use time::OffsetDateTime;

use platform::paging::{Cursor, PageSize};

platform::stored_enum!(
    /// What an email is about.
    pub Kind {
        /// The user registered.
        Welcome => "welcome",
        /// An order was paid and its stock committed.
        OrderConfirmed => "order_confirmed",
        /// Checkout ended without an order.
        OrderFailed => "order_failed",
        /// A confirmed order was cancelled and refunded.
        OrderCancelled => "order_cancelled",
        /// An order's parcel left with the carrier.
        OrderShipped => "order_shipped",
        /// An order was delivered.
        OrderDelivered => "order_delivered",
        /// A link to verify the email address.
        VerifyEmail => "verify_email",
        /// A link to reset the password.
        PasswordReset => "password_reset",
        /// News that the password was changed.
        PasswordChanged => "password_changed",
    }
);

platform::stored_enum!(
    /// Where an email is in its life.
    pub State {
        /// Waiting to be sent, or to be tried again.
        Queued => "queued",
        /// Handed to the mail server (or written to the mail folder).
        Sent => "sent",
        /// Given up on; the email's last error says why.
        Failed => "failed",
    }
);

platform::uuid_value!(
    /// A notification's id.
    pub NotificationId, "a notification id"
);

platform::string_value!(
    /// The id of a user, as the gateway's tokens and events name them.
    pub UserId, platform::values::user_id
);

platform::string_value!(
    /// An email address a message can be sent to (RFC 5321), at most 254
    /// characters.
    pub EmailAddress, |raw| {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("is required".into());
        }
        if raw.len() > 254 {
            return Err("must be at most 254 characters".into());
        }
        raw.parse::<lettre::Address>()
            .map(|address| address.to_string())
            .map_err(|_| "must be an email address".into())
    }
);

platform::string_value!(
    /// How a user wants to be called: up to 100 characters, no control
    /// characters; may be empty.
    pub DisplayName, |raw| platform::values::text(raw, 0, 100, false)
);

/// Someone the shop writes to, as their registration told it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub user_id: UserId,
    pub email: EmailAddress,
    pub display_name: DisplayName,
}

/// An email about to be queued: rendered, addressed to a user (whose
/// address may not be known yet), caused by one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    pub user_id: UserId,
    pub kind: Kind,
    pub event_id: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
}

/// An email as it is stored, for admins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: NotificationId,
    pub user_id: String,
    pub recipient: Option<String>,
    pub kind: Kind,
    pub subject: String,
    pub state: State,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub event_id: String,
    pub created_at: OffsetDateTime,
    pub sent_at: Option<OffsetDateTime>,
}

/// An email the sender has claimed and is about to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub id: NotificationId,
    pub user_id: String,
    /// The address, if known by now.
    pub recipient: Option<String>,
    pub kind: Kind,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub attempts: i32,
    pub created_at: OffsetDateTime,
}

/// A ListNotifications query, validated.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub user_id: Option<UserId>,
    pub state: Option<State>,
    pub page_size: PageSize,
    pub after: Option<Cursor>,
}

/// When a failed send is tried again, and when it is given up on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; the email is FAILED after the
    /// last one fails.
    pub max_attempts: i32,
    /// The wait after the first failure; it doubles after each one...
    pub base: Duration,
    /// ...up to this.
    pub cap: Duration,
}

/// What to do after an attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again after this long.
    RetryIn(Duration),
    /// Give up: the email is FAILED.
    GiveUp,
}

impl RetryPolicy {
    /// What follows the failure of attempt number `attempt` (1 for the
    /// first).
    pub fn after_failure(&self, attempt: i32) -> AfterFailure {
        if attempt >= self.max_attempts {
            return AfterFailure::GiveUp;
        }
        let doublings = u32::try_from(attempt.saturating_sub(1))
            .unwrap_or(0)
            .min(20);
        let wait = self.base.saturating_mul(1 << doublings).min(self.cap);
        AfterFailure::RetryIn(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_double_their_wait_up_to_the_cap_then_give_up() {
        let policy = RetryPolicy {
            max_attempts: 5,
            base: Duration::from_secs(10),
            cap: Duration::from_secs(30),
        };
        let waits: Vec<AfterFailure> = (1..=5).map(|a| policy.after_failure(a)).collect();
        assert_eq!(
            waits,
            [
                AfterFailure::RetryIn(Duration::from_secs(10)),
                AfterFailure::RetryIn(Duration::from_secs(20)),
                AfterFailure::RetryIn(Duration::from_secs(30)),
                AfterFailure::RetryIn(Duration::from_secs(30)),
                AfterFailure::GiveUp,
            ]
        );
    }

    #[test]
    fn email_addresses_are_checked_and_trimmed() {
        assert_eq!(
            EmailAddress::parse(" ada@example.com ").map(|e| e.to_string()),
            Ok("ada@example.com".to_owned())
        );
        assert!(EmailAddress::parse("not an address").is_err());
        assert!(EmailAddress::parse("").is_err());
        assert!(EmailAddress::parse(&format!("{}@example.com", "a".repeat(250))).is_err());
    }
}
