//! The service's tables with diesel, on SQLite or PostgreSQL: `recipients`
//! (user id -> address, from registration events) and `notifications`
//! (every email, rendered, with its state). [`queue`] and [`register`] run
//! in the event consumer's transaction; [`Store`] serves the sender loop
//! and the API. A sender claims an email by moving its `next_attempt_at`
//! forward with a conditional update, so replicas never send one email at
//! the same time.

use std::time::Duration;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use platform::{
    clock::{Clock, from_micros, to_micros},
    db::Db,
    events::Conn,
    on_conn, on_db,
    paging::{Cursor, Page},
};
use time::OffsetDateTime;

use crate::{
    domain::{
        EmailAddress, Kind, ListQuery, NewNotification, Notification, NotificationId, Outgoing,
        Recipient, State,
    },
    error::{Error, Result},
};

platform::migrations!("migrations");

diesel::table! {
    recipients (user_id) {
        user_id -> Text,
        email -> Text,
        display_name -> Text,
        updated_at -> BigInt,
    }
}

diesel::table! {
    notifications (id) {
        id -> Text,
        user_id -> Text,
        recipient -> Nullable<Text>,
        kind -> Text,
        subject -> Text,
        text_body -> Text,
        html_body -> Text,
        state -> Text,
        attempts -> Integer,
        last_error -> Nullable<Text>,
        event_id -> Text,
        created_at -> BigInt,
        next_attempt_at -> BigInt,
        sent_at -> Nullable<BigInt>,
    }
}

/// A new email's row: queued, due at once.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = notifications)]
struct NewRow {
    id: String,
    user_id: String,
    recipient: Option<String>,
    kind: &'static str,
    subject: String,
    text_body: String,
    html_body: String,
    state: &'static str,
    attempts: i32,
    event_id: String,
    created_at: i64,
    next_attempt_at: i64,
}

impl NewRow {
    fn queued(new: &NewNotification, recipient: Option<String>, at: i64) -> Self {
        Self {
            id: NotificationId::generate().to_string(),
            user_id: new.user_id.as_str().to_owned(),
            recipient,
            kind: new.kind.as_str(),
            subject: new.subject.clone(),
            text_body: new.text_body.clone(),
            html_body: new.html_body.clone(),
            state: State::Queued.as_str(),
            attempts: 0,
            event_id: new.event_id.clone(),
            created_at: at,
            next_attempt_at: at,
        }
    }
}

/// Queues `new` in the consumer's transaction, addressed if the user's
/// address is known. Returns whether it was queued: false when the event
/// already made an email of this kind.
pub async fn queue(
    conn: Conn<'_>,
    new: &NewNotification,
    now: OffsetDateTime,
) -> Result<bool, diesel::result::Error> {
    let at = to_micros(now);
    let user_id = new.user_id.as_str();
    on_conn!(conn, |c| {
        let recipient: Option<String> = recipients::table
            .find(user_id)
            .select(recipients::email)
            .first(c)
            .await
            .optional()?;
        let inserted = diesel::insert_into(notifications::table)
            .values(NewRow::queued(new, recipient, at))
            .on_conflict_do_nothing()
            .execute(c)
            .await?;
        Ok(inserted == 1)
    })
}

/// What a sent (or given up) email's body becomes when it carried a
/// single-use link.
pub const LINK_FORGOTTEN: &str = "(not kept: this email carried a single-use link)";

/// The statement [`forget_links`] makes.
type ForgetLinks<'a> = diesel::dsl::Update<
    diesel::dsl::Filter<
        diesel::dsl::Find<notifications::table, &'a str>,
        diesel::dsl::EqAny<notifications::kind, [&'static str; 2]>,
    >,
    (
        diesel::dsl::Eq<notifications::text_body, &'static str>,
        diesel::dsl::Eq<notifications::html_body, &'static str>,
    ),
>;

/// Blanks the body of the email `id` if it carries a single-use link (a
/// verification or reset token): once the email has gone, the mailbox
/// holds the one copy, and a leaked table holds none.
fn forget_links(id: &str) -> ForgetLinks<'_> {
    diesel::update(notifications::table.find(id).filter(
        notifications::kind.eq_any([Kind::VerifyEmail.as_str(), Kind::PasswordReset.as_str()]),
    ))
    .set((
        notifications::text_body.eq(LINK_FORGOTTEN),
        notifications::html_body.eq(LINK_FORGOTTEN),
    ))
}

/// Queues `new` to `to` in the consumer's transaction (an account email:
/// the event names the address). False when the event already made it.
pub async fn queue_to(
    conn: Conn<'_>,
    new: &NewNotification,
    to: &EmailAddress,
    now: OffsetDateTime,
) -> Result<bool, diesel::result::Error> {
    let row = NewRow::queued(new, Some(to.as_str().to_owned()), to_micros(now));
    on_conn!(conn, |c| {
        let inserted = diesel::insert_into(notifications::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(c)
            .await?;
        Ok(inserted == 1)
    })
}

/// Records `recipient`'s address (a newer registration event replaces an
/// older one), addresses the emails that waited for it and makes them due
/// now, and queues the `welcome`; all in the consumer's transaction.
pub async fn register(
    conn: Conn<'_>,
    recipient: &Recipient,
    welcome: &NewNotification,
    now: OffsetDateTime,
) -> Result<(), diesel::result::Error> {
    let at = to_micros(now);
    let (user_id, email) = (recipient.user_id.as_str(), recipient.email.as_str());
    let name = recipient.display_name.as_str();
    on_conn!(conn, |c| {
        diesel::insert_into(recipients::table)
            .values((
                recipients::user_id.eq(user_id),
                recipients::email.eq(email),
                recipients::display_name.eq(name),
                recipients::updated_at.eq(at),
            ))
            .on_conflict(recipients::user_id)
            .do_update()
            .set((
                recipients::email.eq(email),
                recipients::display_name.eq(name),
                recipients::updated_at.eq(at),
            ))
            .execute(c)
            .await?;
        diesel::update(
            notifications::table
                .filter(notifications::user_id.eq(user_id))
                .filter(notifications::state.eq(State::Queued.as_str()))
                .filter(notifications::recipient.is_null()),
        )
        .set((
            notifications::recipient.eq(email),
            notifications::next_attempt_at.eq(at),
        ))
        .execute(c)
        .await?;
        diesel::insert_into(notifications::table)
            .values(NewRow::queued(welcome, Some(email.to_owned()), at))
            .on_conflict_do_nothing()
            .execute(c)
            .await?;
        Ok(())
    })
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notifications)]
struct ListedRow {
    id: String,
    user_id: String,
    recipient: Option<String>,
    kind: String,
    subject: String,
    state: String,
    attempts: i32,
    last_error: Option<String>,
    event_id: String,
    created_at: i64,
    sent_at: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notifications)]
struct OutgoingRow {
    id: String,
    user_id: String,
    recipient: Option<String>,
    kind: String,
    subject: String,
    text_body: String,
    html_body: String,
    attempts: i32,
    created_at: i64,
}

fn id_of(raw: &str) -> Result<NotificationId> {
    NotificationId::parse(raw).map_err(|e| Error::Corrupt(format!("notification id {raw:?} {e}")))
}

fn kind_of(id: &str, raw: &str) -> Result<Kind> {
    Kind::parse(raw).ok_or_else(|| Error::Corrupt(format!("notification {id} has kind {raw:?}")))
}

impl ListedRow {
    fn into_notification(self) -> Result<Notification> {
        Ok(Notification {
            id: id_of(&self.id)?,
            kind: kind_of(&self.id, &self.kind)?,
            state: State::parse(&self.state).ok_or_else(|| {
                Error::Corrupt(format!(
                    "notification {} has state {:?}",
                    self.id, self.state
                ))
            })?,
            user_id: self.user_id,
            recipient: self.recipient,
            subject: self.subject,
            attempts: self.attempts,
            last_error: self.last_error,
            event_id: self.event_id,
            created_at: from_micros(self.created_at),
            sent_at: self.sent_at.map(from_micros),
        })
    }
}

impl OutgoingRow {
    fn into_outgoing(self) -> Result<Outgoing> {
        Ok(Outgoing {
            id: id_of(&self.id)?,
            kind: kind_of(&self.id, &self.kind)?,
            user_id: self.user_id,
            recipient: self.recipient,
            subject: self.subject,
            text_body: self.text_body,
            html_body: self.html_body,
            attempts: self.attempts,
            created_at: from_micros(self.created_at),
        })
    }
}

/// The email `id`, if it is still queued: a sender settles only what it
/// holds.
fn queued(
    id: &str,
) -> diesel::dsl::Filter<
    diesel::dsl::Find<notifications::table, &str>,
    diesel::dsl::Eq<notifications::state, &'static str>,
> {
    notifications::table
        .find(id)
        .filter(notifications::state.eq(State::Queued.as_str()))
}

fn micros(duration: Duration) -> i64 {
    i64::try_from(duration.as_micros()).unwrap_or(i64::MAX)
}

/// The notifications tables for the sender and the API. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    clock: Clock,
}

impl Store {
    pub fn new(db: Db, clock: Clock) -> Self {
        Self { db, clock }
    }

    /// Now, by the service's clock.
    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// The ids of up to `limit` queued emails that are due, oldest first.
    pub async fn due(&self, limit: i64) -> Result<Vec<String>> {
        let now = to_micros(self.clock.now());
        Ok(on_db!(&self.db, |conn| {
            notifications::table
                .filter(notifications::state.eq(State::Queued.as_str()))
                .filter(notifications::next_attempt_at.le(now))
                .order((notifications::created_at.asc(), notifications::id.asc()))
                .limit(limit)
                .select(notifications::id)
                .load(conn)
                .await?
        }))
    }

    /// Takes the email `id` for `lease` if it is still queued and due
    /// (another sender may have taken it first), with its recipient's
    /// address if that is known by now.
    pub async fn claim(&self, id: &str, lease: Duration) -> Result<Option<Outgoing>> {
        let now = to_micros(self.clock.now());
        let until = now.saturating_add(micros(lease));
        let row: Option<OutgoingRow> = on_db!(&self.db, |conn| {
            let taken = diesel::update(
                notifications::table
                    .find(id)
                    .filter(notifications::state.eq(State::Queued.as_str()))
                    .filter(notifications::next_attempt_at.le(now)),
            )
            .set(notifications::next_attempt_at.eq(until))
            .execute(conn)
            .await?;
            if taken == 0 {
                None
            } else {
                let mut row: OutgoingRow = notifications::table
                    .find(id)
                    .select(OutgoingRow::as_select())
                    .first(conn)
                    .await?;
                if row.recipient.is_none() {
                    let known: Option<String> = recipients::table
                        .find(&row.user_id)
                        .select(recipients::email)
                        .first(conn)
                        .await
                        .optional()?;
                    if let Some(email) = &known {
                        diesel::update(notifications::table.find(id))
                            .set(notifications::recipient.eq(email))
                            .execute(conn)
                            .await?;
                    }
                    row.recipient = known;
                }
                Some(row)
            }
        });
        row.map(OutgoingRow::into_outgoing).transpose()
    }

    /// Records that the email `id` was sent, after `attempts` attempts.
    pub async fn mark_sent(&self, id: &NotificationId, attempts: i32) -> Result<()> {
        let now = to_micros(self.clock.now());
        let id = id.to_string();
        on_db!(&self.db, |conn| {
            diesel::update(queued(&id))
                .set((
                    notifications::state.eq(State::Sent.as_str()),
                    notifications::attempts.eq(attempts),
                    notifications::sent_at.eq(Some(now)),
                    notifications::last_error.eq(None::<String>),
                ))
                .execute(conn)
                .await?;
            forget_links(&id).execute(conn).await?;
        });
        Ok(())
    }

    /// Leaves the email `id` queued until `at`, with `attempts` attempts
    /// made and `error` the reason it is not sent yet.
    pub async fn retry_at(
        &self,
        id: &NotificationId,
        attempts: i32,
        error: &str,
        at: OffsetDateTime,
    ) -> Result<()> {
        let next = to_micros(at);
        let id = id.to_string();
        on_db!(&self.db, |conn| {
            diesel::update(queued(&id))
                .set((
                    notifications::attempts.eq(attempts),
                    notifications::next_attempt_at.eq(next),
                    notifications::last_error.eq(Some(error)),
                ))
                .execute(conn)
                .await?;
        });
        Ok(())
    }

    /// Gives up on the email `id` after `attempts` attempts, for `reason`.
    pub async fn fail(&self, id: &NotificationId, attempts: i32, reason: &str) -> Result<()> {
        let id = id.to_string();
        on_db!(&self.db, |conn| {
            diesel::update(queued(&id))
                .set((
                    notifications::state.eq(State::Failed.as_str()),
                    notifications::attempts.eq(attempts),
                    notifications::last_error.eq(Some(reason)),
                ))
                .execute(conn)
                .await?;
            forget_links(&id).execute(conn).await?;
        });
        Ok(())
    }

    /// A page of notifications, newest first.
    pub async fn list(&self, query: &ListQuery) -> Result<Page<Notification>> {
        let limit = query.page_size.fetch();
        let user_id = query.user_id.as_ref().map(|u| u.as_str().to_owned());
        let state = query.state.map(State::as_str);
        let after = query.after.clone();
        let rows: Vec<ListedRow> = on_db!(&self.db, |conn| {
            let mut select = notifications::table
                .select(ListedRow::as_select())
                .order((notifications::created_at.desc(), notifications::id.desc()))
                .limit(limit)
                .into_boxed();
            if let Some(user_id) = &user_id {
                select = select.filter(notifications::user_id.eq(user_id));
            }
            if let Some(state) = state {
                select = select.filter(notifications::state.eq(state));
            }
            if let Some(Cursor { at, id }) = &after {
                select = select.filter(
                    notifications::created_at
                        .lt(at)
                        .or(notifications::created_at
                            .eq(at)
                            .and(notifications::id.lt(id))),
                );
            }
            select.load(conn).await?
        });
        Page::of(rows, query.page_size).try_map(ListedRow::into_notification)
    }
}
