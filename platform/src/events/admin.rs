//! `shop.events.v1.EventAdminService`: what operators see of the events a
//! service gave up on (dead outbox rows, dead letters) and how they try
//! them again. Every service that publishes or consumes serves it (the
//! kit adds it), to admins only.

use contracts::events::{
    self as proto, Event,
    event_admin_service_server::{EventAdminService, EventAdminServiceServer},
};
use prost::Message;
use tonic::{Request, Response, Status};

use super::{outbox, queue};
use crate::{
    auth::{Access, Grant, Policy, Role},
    clock::from_micros,
    db::{Db, DbError},
    error::{self, FieldViolation},
    paging::{Cursor, Page, PageSize, PageTokens},
};

/// The service's full name.
pub const SERVICE: &str = "shop.events.v1.EventAdminService";

/// Most event ids one redrive names.
const MAX_REDRIVE_IDS: usize = 100;

/// The admin API over one service's database.
pub struct EventAdmin {
    db: Db,
    tokens: PageTokens,
}

impl EventAdmin {
    /// The gRPC service over `db`, with page tokens signed by `page_token_key`.
    pub fn server(db: Db, page_token_key: &[u8]) -> EventAdminServiceServer<Self> {
        EventAdminServiceServer::new(Self {
            db,
            tokens: PageTokens::new(page_token_key),
        })
    }

    /// Its methods, admins only.
    pub fn policy(policy: Policy) -> Policy {
        let admin = || Access::Only(vec![Grant::User(Role::Admin)]);
        [
            "ListDeadEvents",
            "RedriveDeadEvents",
            "ListDeadLetters",
            "RedriveDeadLetters",
        ]
        .into_iter()
        .fold(policy, |policy, method| {
            policy.rule(SERVICE, method, admin())
        })
    }

    /// The page size and where to resume, or the violations.
    fn page(
        &self,
        size: i32,
        token: &str,
        listing: &str,
    ) -> Result<(PageSize, Option<i64>), Status> {
        let size = PageSize::new(size).map_err(|e| invalid("page_size", e))?;
        let after = self
            .tokens
            .after(token, &[listing])
            .map_err(|e| invalid("page_token", e))?;
        Ok((size, after.map(|cursor| cursor.at)))
    }
}

#[tonic::async_trait]
impl EventAdminService for EventAdmin {
    async fn list_dead_events(
        &self,
        request: Request<proto::ListDeadEventsRequest>,
    ) -> Result<Response<proto::ListDeadEventsResponse>, Status> {
        let request = request.into_inner();
        let (size, after) = self.page(request.page_size, &request.page_token, "dead-events")?;
        let rows = outbox::dead(&self.db, after, size.fetch())
            .await
            .map_err(db_status)?;
        let page = Page::of(rows, size);
        let next_page_token = self.tokens.next(&page, &["dead-events"], |row| Cursor {
            at: row.id,
            id: row.event_id.clone(),
        });
        let events = page
            .items
            .into_iter()
            .map(|row| proto::DeadEvent {
                event_id: row.event_id,
                r#type: row.event_type,
                aggregate_id: row.aggregate_id,
                aggregate_sequence: row.aggregate_sequence,
                reason: row.last_error.unwrap_or_default(),
                create_time: Some(contracts::timestamp::from_datetime(from_micros(
                    row.created_at,
                ))),
            })
            .collect();
        Ok(Response::new(proto::ListDeadEventsResponse {
            events,
            next_page_token,
        }))
    }

    async fn redrive_dead_events(
        &self,
        request: Request<proto::RedriveDeadEventsRequest>,
    ) -> Result<Response<proto::RedriveResponse>, Status> {
        let ids = event_ids(request.into_inner().event_ids)?;
        let redriven = outbox::redrive(&self.db, &ids).await.map_err(db_status)?;
        tracing::info!(redriven, "dead events redriven");
        Ok(Response::new(redriven_answer(redriven)))
    }

    async fn list_dead_letters(
        &self,
        request: Request<proto::ListDeadLettersRequest>,
    ) -> Result<Response<proto::ListDeadLettersResponse>, Status> {
        let request = request.into_inner();
        let (size, after) = self.page(request.page_size, &request.page_token, "dead-letters")?;
        let rows = queue::dead_letters(&self.db, None, after, size.fetch())
            .await
            .map_err(db_status)?;
        let page = Page::of(rows, size);
        let next_page_token = self.tokens.next(&page, &["dead-letters"], |row| Cursor {
            at: row.id,
            id: row.event_id.clone(),
        });
        let letters = page
            .items
            .into_iter()
            .map(|row| proto::DeadLetter {
                consumer: row.consumer,
                // An envelope that does not decode is shown by its id alone.
                event: Some(Event::decode(row.envelope.as_slice()).unwrap_or(Event {
                    event_id: row.event_id,
                    ..Event::default()
                })),
                deliveries: row.deliveries,
                reason: row.last_error.unwrap_or_default(),
            })
            .collect();
        Ok(Response::new(proto::ListDeadLettersResponse {
            letters,
            next_page_token,
        }))
    }

    async fn redrive_dead_letters(
        &self,
        request: Request<proto::RedriveDeadLettersRequest>,
    ) -> Result<Response<proto::RedriveResponse>, Status> {
        let ids = event_ids(request.into_inner().event_ids)?;
        let redriven = queue::redrive(&self.db, &ids).await.map_err(db_status)?;
        tracing::info!(redriven, "dead letters redriven");
        Ok(Response::new(redriven_answer(redriven)))
    }
}

fn redriven_answer(count: usize) -> proto::RedriveResponse {
    proto::RedriveResponse {
        redriven: i64::try_from(count).unwrap_or(i64::MAX),
    }
}

/// The ids of a redrive: at most [`MAX_REDRIVE_IDS`], each a UUID.
fn event_ids(ids: Vec<String>) -> Result<Vec<String>, Status> {
    crate::limits::at_most("event_ids", ids.len(), MAX_REDRIVE_IDS)
        .map_err(|e| error::invalid_argument(&e.0))?;
    let bad: Vec<FieldViolation> = ids
        .iter()
        .enumerate()
        .filter(|(_, id)| uuid::Uuid::parse_str(id).is_err())
        .map(|(i, _)| {
            FieldViolation::new(format!("event_ids[{i}]"), "must be an event id (a UUID)")
        })
        .collect();
    if bad.is_empty() {
        Ok(ids)
    } else {
        Err(error::invalid_argument(&bad))
    }
}

fn invalid(field: &str, description: impl Into<String>) -> Status {
    error::invalid_argument(&[FieldViolation::new(field, description)])
}

fn db_status(error: DbError) -> Status {
    if error.is_transient() {
        error::unavailable(&error)
    } else {
        error::internal(&error)
    }
}
