//! The outbox side of a producer: [`append`] writes an event in the
//! caller's transaction (numbered per aggregate), and the relay's queries
//! read pending rows in order and settle them (published, dead, retried),
//! plus redrive and the figures the metrics show.

use contracts::events::{Event, event::Payload};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use prost::Message;
use time::OffsetDateTime;

use super::store::{Conn, event_outbox, event_sequences};
use crate::{
    clock::to_micros,
    db::{Db, DbError},
    on_conn, on_db,
    statements::CacheStatement,
};

/// An event a producer is about to record: what happened, to which
/// aggregate, with what content. The envelope's id, sequence, time and
/// trace context are filled in by [`append`].
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// One of [`super::types`], e.g. `orders.order.confirmed`.
    pub event_type: &'static str,
    pub aggregate_id: String,
    pub payload: Payload,
}

/// An outbox row on its way to the broker.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = event_outbox)]
pub struct Outgoing {
    pub id: i64,
    pub event_id: String,
    pub event_type: String,
    pub aggregate_id: String,
    pub aggregate_sequence: i64,
    pub envelope: Vec<u8>,
}

/// Records `event` in `conn`'s transaction, as the next event of its
/// aggregate, and returns the envelope as it will be published. Call it in
/// the transaction that makes the change the event describes: both commit
/// or neither does.
pub async fn append(
    conn: Conn<'_>,
    event: NewEvent,
    now: OffsetDateTime,
) -> Result<Event, diesel::result::Error> {
    let NewEvent {
        event_type,
        aggregate_id,
        payload,
    } = event;
    let at = to_micros(now);
    on_conn!(conn, |c| {
        // The upsert locks the aggregate's row until commit: a concurrent
        // writer of the same aggregate waits and takes the next number.
        let sequence: i64 = diesel::insert_into(event_sequences::table)
            .values((
                event_sequences::aggregate_id.eq(&aggregate_id),
                event_sequences::last_sequence.eq(1_i64),
            ))
            .on_conflict(event_sequences::aggregate_id)
            .do_update()
            .set(event_sequences::last_sequence.eq(event_sequences::last_sequence + 1_i64))
            .returning(event_sequences::last_sequence)
            .cached()
            .get_result(c)
            .await?;
        let envelope = Event {
            event_id: uuid::Uuid::now_v7().to_string(),
            r#type: event_type.to_owned(),
            aggregate_id: aggregate_id.clone(),
            aggregate_sequence: sequence,
            occur_time: Some(contracts::timestamp::from_datetime(now)),
            traceparent: super::current_traceparent(),
            payload: Some(payload),
        };
        diesel::insert_into(event_outbox::table)
            .values((
                event_outbox::event_id.eq(&envelope.event_id),
                event_outbox::event_type.eq(event_type),
                event_outbox::aggregate_id.eq(&aggregate_id),
                event_outbox::aggregate_sequence.eq(sequence),
                event_outbox::envelope.eq(envelope.encode_to_vec()),
                event_outbox::created_at.eq(at),
            ))
            .cached()
            .execute(c)
            .await?;
        Ok(envelope)
    })
}

/// Up to `limit` pending rows, oldest first.
pub(crate) async fn pending(db: &Db, limit: i64) -> Result<Vec<Outgoing>, DbError> {
    Ok(on_db!(db, |conn| {
        event_outbox::table
            .filter(event_outbox::state.eq("pending"))
            .order(event_outbox::id.asc())
            .limit(limit)
            .select(Outgoing::as_select())
            .load(conn)
            .await?
    }))
}

/// Marks rows published, once the transport confirmed them.
pub(crate) async fn mark_published(
    db: &Db,
    ids: &[i64],
    now: OffsetDateTime,
) -> Result<(), DbError> {
    if ids.is_empty() {
        return Ok(());
    }
    let at = to_micros(now);
    let ids = ids.to_vec();
    on_db!(db, |conn| {
        // One SQL text on PostgreSQL (`= ANY($1)`), one per batch size (at
        // most the relay's batch) on SQLite: few enough to keep prepared.
        diesel::update(event_outbox::table.filter(event_outbox::id.eq_any(&ids)))
            .set((
                event_outbox::state.eq("published"),
                event_outbox::published_at.eq(Some(at)),
                event_outbox::last_error.eq(None::<String>),
            ))
            .cached()
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// Marks rows dead: the transport took them but they cannot reach the
/// consumers they are for. They stay, with `reason`, until redriven
/// ([`redrive`]).
pub(crate) async fn mark_dead(
    db: &Db,
    ids: &[i64],
    reason: &str,
    now: OffsetDateTime,
) -> Result<(), DbError> {
    if ids.is_empty() {
        return Ok(());
    }
    let at = to_micros(now);
    let ids = ids.to_vec();
    let reason = reason.to_owned();
    on_db!(db, |conn| {
        diesel::update(event_outbox::table.filter(event_outbox::id.eq_any(&ids)))
            .set((
                event_outbox::state.eq("dead"),
                // When it was settled, as for a published row.
                event_outbox::published_at.eq(Some(at)),
                event_outbox::last_error.eq(Some(&reason)),
            ))
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// Counts a failed attempt at publishing the row `id`.
pub(crate) async fn failed_attempt(db: &Db, id: i64, error: &str) -> Result<(), DbError> {
    let error = error.to_owned();
    on_db!(db, |conn| {
        diesel::update(event_outbox::table.find(id))
            .set((
                event_outbox::attempts.eq(event_outbox::attempts + 1),
                event_outbox::last_error.eq(Some(&error)),
            ))
            .execute(conn)
            .await?;
    });
    Ok(())
}

/// How many rows wait, and when the oldest was written (microseconds).
pub(crate) async fn backlog(db: &Db) -> Result<(i64, Option<i64>), DbError> {
    Ok(on_db!(db, |conn| {
        event_outbox::table
            .filter(event_outbox::state.eq("pending"))
            .select((
                diesel::dsl::count_star(),
                diesel::dsl::min(event_outbox::created_at),
            ))
            .first::<(i64, Option<i64>)>(conn)
            .await?
    }))
}

/// Deletes published rows written before `before` (microseconds), a batch
/// at a time; the outbox is a queue, not an archive.
pub(crate) async fn prune(db: &Db, before: i64) -> Result<usize, DbError> {
    Ok(on_db!(db, |conn| {
        let old: Vec<i64> = event_outbox::table
            .filter(event_outbox::state.eq("published"))
            .filter(event_outbox::created_at.lt(before))
            .order(event_outbox::id.asc())
            .limit(1000)
            .select(event_outbox::id)
            .load(conn)
            .await?;
        diesel::delete(event_outbox::table.filter(event_outbox::id.eq_any(&old)))
            .execute(conn)
            .await?
    }))
}

/// A dead outbox row, for admins.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = event_outbox)]
pub struct DeadEvent {
    pub id: i64,
    pub event_id: String,
    pub event_type: String,
    pub aggregate_id: String,
    pub aggregate_sequence: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
}

/// Dead rows after the row `after` (from the first when `None`), oldest
/// first, at most `limit`.
pub async fn dead(db: &Db, after: Option<i64>, limit: i64) -> Result<Vec<DeadEvent>, DbError> {
    let after = after.unwrap_or(0);
    Ok(on_db!(db, |conn| {
        event_outbox::table
            .filter(event_outbox::state.eq("dead"))
            .filter(event_outbox::id.gt(after))
            .order(event_outbox::id.asc())
            .limit(limit)
            .select(DeadEvent::as_select())
            .load(conn)
            .await?
    }))
}

/// Makes dead rows pending again (all of them when `event_ids` is empty),
/// so the relay publishes them once more; returns how many.
pub async fn redrive(db: &Db, event_ids: &[String]) -> Result<usize, DbError> {
    let ids = event_ids.to_vec();
    Ok(on_db!(db, |conn| {
        let mut update = diesel::update(event_outbox::table)
            .filter(event_outbox::state.eq("dead"))
            .into_boxed();
        if !ids.is_empty() {
            update = update.filter(event_outbox::event_id.eq_any(&ids));
        }
        update
            .set((
                event_outbox::state.eq("pending"),
                event_outbox::attempts.eq(0),
            ))
            .execute(conn)
            .await?
    }))
}
