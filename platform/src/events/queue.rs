//! A consumer's queue table: deliveries from the local transport wait here
//! until the consumer applies them, and dead letters (from either
//! transport) stay here, with the reason, until an admin redrives them.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use time::OffsetDateTime;

use super::{
    outbox::Outgoing,
    store::{Conn, event_queue},
};
use crate::{
    clock::to_micros,
    db::{Db, DbError},
    on_conn, on_db,
    statements::CacheStatement,
};

/// A queued event.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = event_queue)]
pub struct Queued {
    pub id: i64,
    pub event_id: String,
    pub envelope: Vec<u8>,
    pub deliveries: i32,
}

/// A dead letter, for admins.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = event_queue)]
pub struct DeadLetter {
    pub id: i64,
    pub consumer: String,
    pub event_id: String,
    pub envelope: Vec<u8>,
    pub deliveries: i32,
    pub last_error: Option<String>,
    pub enqueued_at: i64,
}

/// Adds `events` to `consumer`'s queue in one transaction; an event already
/// queued (a redelivery) is left as it is.
pub(crate) async fn enqueue(
    db: &Db,
    consumer: &str,
    events: &[&Outgoing],
    now: OffsetDateTime,
) -> Result<(), DbError> {
    let at = to_micros(now);
    on_db!(db, |conn| {
        conn.transaction::<_, DbError, _>(async |tx| {
            for event in events {
                diesel::insert_into(event_queue::table)
                    .values((
                        event_queue::consumer.eq(consumer),
                        event_queue::event_id.eq(&event.event_id),
                        event_queue::envelope.eq(&event.envelope),
                        event_queue::enqueued_at.eq(at),
                    ))
                    .on_conflict((event_queue::consumer, event_queue::event_id))
                    .do_nothing()
                    .cached()
                    .execute(tx)
                    .await?;
            }
            Ok(())
        })
        .await?;
    });
    Ok(())
}

/// Stores an event the consumer gave up on as a dead letter, with why.
pub(crate) async fn bury(
    db: &Db,
    consumer: &str,
    event_id: &str,
    envelope: &[u8],
    deliveries: i32,
    reason: &str,
    now: OffsetDateTime,
) -> Result<(), DbError> {
    let row = (
        event_queue::consumer.eq(consumer.to_owned()),
        event_queue::event_id.eq(event_id.to_owned()),
        event_queue::envelope.eq(envelope.to_vec()),
        event_queue::deliveries.eq(deliveries),
        event_queue::state.eq("dead"),
        event_queue::last_error.eq(Some(reason.to_owned())),
        event_queue::enqueued_at.eq(to_micros(now)),
    );
    let reason = reason.to_owned();
    on_db!(db, |conn| {
        diesel::insert_into(event_queue::table)
            .values(row)
            .on_conflict((event_queue::consumer, event_queue::event_id))
            .do_update()
            .set((
                event_queue::state.eq("dead"),
                event_queue::deliveries.eq(deliveries),
                event_queue::last_error.eq(Some(&reason)),
            ))
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// Up to `limit` of `consumer`'s ready events, oldest first.
pub(crate) async fn ready(db: &Db, consumer: &str, limit: i64) -> Result<Vec<Queued>, DbError> {
    let consumer = consumer.to_owned();
    Ok(on_db!(db, |conn| {
        event_queue::table
            .filter(event_queue::consumer.eq(&consumer))
            .filter(event_queue::state.eq("ready"))
            .order(event_queue::id.asc())
            .limit(limit)
            .select(Queued::as_select())
            .load(conn)
            .await?
    }))
}

/// Removes applied (or skipped) events, in the transaction that applied
/// them: the local transport's ack.
pub(crate) async fn remove_in(conn: Conn<'_>, ids: &[i64]) -> Result<(), diesel::result::Error> {
    on_conn!(conn, |c| {
        // One SQL text on PostgreSQL (`= ANY($1)`), one per batch size (at
        // most the consumer's batch) on SQLite.
        diesel::delete(event_queue::table.filter(event_queue::id.eq_any(ids)))
            .cached()
            .execute(c)
            .await?;
    });
    Ok(())
}

/// Counts a failed delivery of the queued event `id`; at `limit`
/// deliveries it becomes a dead letter. Returns whether it did.
pub(crate) async fn failed_delivery(
    db: &Db,
    id: i64,
    deliveries: i32,
    limit: i32,
    reason: &str,
) -> Result<bool, DbError> {
    let dead = deliveries + 1 >= limit;
    let reason = reason.to_owned();
    on_db!(db, |conn| {
        diesel::update(event_queue::table.find(id))
            .set((
                event_queue::deliveries.eq(deliveries + 1),
                event_queue::state.eq(if dead { "dead" } else { "ready" }),
                event_queue::last_error.eq(Some(&reason)),
            ))
            .execute(conn)
            .await?;
    });
    Ok(dead)
}

/// Dead letters after the row `after` (from the first when `None`),
/// oldest first, at most `limit`: `consumer`'s, or every consumer's.
pub async fn dead_letters(
    db: &Db,
    consumer: Option<&str>,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<DeadLetter>, DbError> {
    let consumer = consumer.map(str::to_owned);
    let after = after.unwrap_or(0);
    Ok(on_db!(db, |conn| {
        let mut select = event_queue::table
            .filter(event_queue::state.eq("dead"))
            .filter(event_queue::id.gt(after))
            .order(event_queue::id.asc())
            .limit(limit)
            .select(DeadLetter::as_select())
            .into_boxed();
        if let Some(consumer) = &consumer {
            select = select.filter(event_queue::consumer.eq(consumer));
        }
        select.load(conn).await?
    }))
}

/// Puts dead letters back in their queue (all when `event_ids` is empty),
/// with their delivery count reset; returns how many.
pub async fn redrive(db: &Db, event_ids: &[String]) -> Result<usize, DbError> {
    let ids = event_ids.to_vec();
    Ok(on_db!(db, |conn| {
        let mut update = diesel::update(event_queue::table)
            .filter(event_queue::state.eq("dead"))
            .into_boxed();
        if !ids.is_empty() {
            update = update.filter(event_queue::event_id.eq_any(&ids));
        }
        update
            .set((
                event_queue::state.eq("ready"),
                event_queue::deliveries.eq(0),
            ))
            .execute(conn)
            .await?
    }))
}
