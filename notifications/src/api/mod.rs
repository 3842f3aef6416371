//! The gRPC face of the notifications service: `ListNotifications` for
//! admins (request validation, paging, conversion to the contract's
//! messages) and its access rule. Nothing below this module knows tonic.

mod status;

use contracts::{
    notifications::{
        self as proto, notification_service_server::NotificationService,
        notification_service_server::SERVICE_NAME as NOTIFICATIONS,
    },
    timestamp,
};
use platform::{
    auth::{Access, Grant, Policy, Role},
    error::Violations,
    paging::{Cursor, PageSize, PageTokens},
};
use tonic::{Request, Response, Status};

use crate::{
    domain::{Kind, ListQuery, Notification, State, UserId},
    store::Store,
};

/// Fully qualified names of the services this crate serves.
pub const SERVICE_NAMES: [&str; 1] = [NOTIFICATIONS];

/// Who may call which method: reading emails (addresses and all) is for
/// admins only.
pub fn policy() -> Policy {
    Policy::new().rule(
        NOTIFICATIONS,
        "ListNotifications",
        Access::Only(vec![Grant::User(Role::Admin)]),
    )
}

/// The NotificationService implementation.
#[derive(Clone)]
pub struct NotificationsApi {
    store: Store,
    tokens: PageTokens,
}

impl NotificationsApi {
    pub fn new(store: Store, tokens: PageTokens) -> Self {
        Self { store, tokens }
    }
}

/// The state filter: unspecified is any state.
fn state_filter(raw: i32) -> Result<Option<State>, String> {
    match proto::NotificationState::try_from(raw) {
        Ok(proto::NotificationState::Unspecified) => Ok(None),
        Ok(proto::NotificationState::Queued) => Ok(Some(State::Queued)),
        Ok(proto::NotificationState::Sent) => Ok(Some(State::Sent)),
        Ok(proto::NotificationState::Failed) => Ok(Some(State::Failed)),
        Err(_) => Err("must be a NotificationState".into()),
    }
}

#[tonic::async_trait]
impl NotificationService for NotificationsApi {
    async fn list_notifications(
        &self,
        request: Request<proto::ListNotificationsRequest>,
    ) -> Result<Response<proto::ListNotificationsResponse>, Status> {
        let request = request.into_inner();
        let mut v = Violations::default();
        let page_size = v.check("page_size", PageSize::new(request.page_size));
        let user_id = if request.user_id.is_empty() {
            Some(None)
        } else {
            v.check("user_id", UserId::parse(&request.user_id))
                .map(Some)
        };
        let state = v.check("state", state_filter(request.state));
        // A page token is only good for the filters it was issued with.
        let state_name = state.flatten().map(State::as_str).unwrap_or_default();
        let filters = [request.user_id.as_str(), state_name];
        let after = v.check(
            "page_token",
            self.tokens.after(&request.page_token, &filters),
        );
        let query = v
            .finish(|| {
                Some(ListQuery {
                    user_id: user_id?,
                    state: state?,
                    page_size: page_size?,
                    after: after?,
                })
            })
            .map_err(crate::error::Error::from)?;

        let page = self.store.list(&query).await?;
        Ok(Response::new(proto::ListNotificationsResponse {
            next_page_token: self
                .tokens
                .next(&page, &filters, |last| Cursor::of(last.created_at, last.id)),
            notifications: page.items.iter().map(message).collect(),
        }))
    }
}

fn message(n: &Notification) -> proto::Notification {
    proto::Notification {
        id: n.id.to_string(),
        user_id: n.user_id.clone(),
        recipient: n.recipient.clone().unwrap_or_default(),
        kind: match n.kind {
            Kind::Welcome => proto::NotificationKind::Welcome,
            Kind::OrderConfirmed => proto::NotificationKind::OrderConfirmed,
            Kind::OrderFailed => proto::NotificationKind::OrderFailed,
            Kind::OrderCancelled => proto::NotificationKind::OrderCancelled,
            Kind::OrderShipped => proto::NotificationKind::OrderShipped,
            Kind::OrderDelivered => proto::NotificationKind::OrderDelivered,
            Kind::VerifyEmail => proto::NotificationKind::VerifyEmail,
            Kind::PasswordReset => proto::NotificationKind::PasswordReset,
            Kind::PasswordChanged => proto::NotificationKind::PasswordChanged,
        }
        .into(),
        subject: n.subject.clone(),
        state: match n.state {
            State::Queued => proto::NotificationState::Queued,
            State::Sent => proto::NotificationState::Sent,
            State::Failed => proto::NotificationState::Failed,
        }
        .into(),
        attempts: n.attempts,
        last_error: n.last_error.clone().unwrap_or_default(),
        event_id: n.event_id.clone(),
        create_time: Some(timestamp::from_datetime(n.created_at)),
        send_time: n.sent_at.map(timestamp::from_datetime),
    }
}
