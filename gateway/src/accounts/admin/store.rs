//! The admin's queries on the users table: a filtered, sorted page of
//! users (keyset paging: no OFFSET), users by id, and role changes that
//! never leave the shop without an admin, on SQLite and PostgreSQL alike.

use std::future::Future;

use diesel::{dsl::exists, prelude::*, sql_types::Text};
use diesel_async::{AsyncConnection, RunQueryDsl};
use platform::{
    auth::Role,
    clock::to_micros,
    db::{DbError, PgConn, SqliteConn, like_pattern},
    on_db,
    paging::Page,
};

use super::domain::{ListQuery, RoleChange, UserId, UserSort};
use crate::accounts::{
    domain::User,
    store::{UserRow, UserStore, role_name, users},
};

diesel::define_sql_function!(fn lower(text: Text) -> Text);

// The users table a second time, for "another admin exists" inside an
// UPDATE of the users table.
diesel::alias!(users as others: Others);

const ADMIN: &str = "admin";

impl UserStore {
    /// One page of users in `query`'s order, and whether more follow.
    /// `None` if the page token continues after a user that is gone.
    pub async fn list_users(&self, query: &ListQuery) -> Result<Option<Page<User>>, DbError> {
        let limit = query.page_size.fetch();
        let role = query.role.map(role_name);
        let pattern = query.text.as_ref().map(|text| like_pattern(text.as_str()));
        let after = query.after.map(|id| id.to_string());
        let (field, descending) = (query.order.field, query.order.descending);
        let rows: Vec<UserRow> = on_db!(&self.db, |conn| {
            // The page token holds only the previous page's last id (an
            // email in a token would put it in URLs and access logs); its
            // sort keys are read back here. Emails and creation times do
            // not change, so the listing resumes exactly where it was.
            let anchor: Option<(i64, String, String)> = match &after {
                Some(id) => {
                    let found = users::table
                        .find(id)
                        .select((users::created_at, users::email, users::id))
                        .first(conn)
                        .await
                        .optional()?;
                    if found.is_none() {
                        return Ok(None);
                    }
                    found
                }
                None => None,
            };
            let mut select = users::table
                .select(UserRow::as_select())
                .limit(limit)
                .into_boxed();
            if let Some(role) = role {
                select = select.filter(users::role.eq(role));
            }
            if let Some(pattern) = &pattern {
                // Emails are stored lower-cased; display names are lowered
                // here, as the pattern is (LIKE ignores case on SQLite, but
                // not on PostgreSQL).
                select = select.filter(
                    users::email
                        .like(pattern)
                        .escape('\\')
                        .or(lower(users::display_name).like(pattern).escape('\\')),
                );
            }
            select = match (field, descending) {
                (UserSort::CreateTime, true) => {
                    select.order((users::created_at.desc(), users::id.desc()))
                }
                (UserSort::CreateTime, false) => {
                    select.order((users::created_at.asc(), users::id.asc()))
                }
                (UserSort::Email, false) => select.order((users::email.asc(), users::id.asc())),
                (UserSort::Email, true) => select.order((users::email.desc(), users::id.desc())),
            };
            if let Some((at, email, id)) = &anchor {
                select = match (field, descending) {
                    (UserSort::CreateTime, true) => select.filter(
                        users::created_at
                            .lt(at)
                            .or(users::created_at.eq(at).and(users::id.lt(id))),
                    ),
                    (UserSort::CreateTime, false) => select.filter(
                        users::created_at
                            .gt(at)
                            .or(users::created_at.eq(at).and(users::id.gt(id))),
                    ),
                    (UserSort::Email, false) => select.filter(
                        users::email
                            .gt(email)
                            .or(users::email.eq(email).and(users::id.gt(id))),
                    ),
                    (UserSort::Email, true) => select.filter(
                        users::email
                            .lt(email)
                            .or(users::email.eq(email).and(users::id.lt(id))),
                    ),
                };
            }
            select.load(conn).await?
        });
        Page::of(rows, query.page_size)
            .try_map(|row| row.into_user().map(|(user, _)| user))
            .map(Some)
    }

    /// The users among `ids` that exist, in no particular order.
    pub async fn users_by_ids(&self, ids: &[UserId]) -> Result<Vec<User>, DbError> {
        let keys: Vec<String> = ids.iter().map(ToString::to_string).collect();
        let rows: Vec<UserRow> = on_db!(&self.db, |conn| {
            users::table
                .filter(users::id.eq_any(&keys))
                .select(UserRow::as_select())
                .load(conn)
                .await?
        });
        rows.into_iter()
            .map(|row| row.into_user().map(|(user, _)| user))
            .collect()
    }

    /// Gives user `id` the role `role`, unless that takes the last admin's
    /// role away.
    ///
    /// Why no race can leave the shop without an admin (two admins
    /// demoting each other at the same moment included): the demotion is
    /// one conditional UPDATE, "set the role where the user is not an
    /// admin, or another admin exists", so the check and the write are one
    /// statement; what remains is that two such statements must not both
    /// read "another admin exists" from before the other's write.
    ///
    /// - SQLite has a single writer: an UPDATE takes the database's write
    ///   lock before it reads anything, so the second statement starts
    ///   after the first has committed and sees its demotion.
    /// - PostgreSQL runs writers side by side, and under READ COMMITTED
    ///   each statement reads a snapshot from its start: two UPDATEs of
    ///   two different rows would not block each other, and both could see
    ///   the other still an admin. So a demotion first locks every admin
    ///   row (`SELECT ... FOR UPDATE`, in id order so two lockers never
    ///   deadlock) and holds the locks to its commit. The second demotion
    ///   waits on the first's locks, then re-reads the rows (a row demoted
    ///   meanwhile is no longer an admin and drops out), and its UPDATE,
    ///   a new statement with a new snapshot, sees the first demotion.
    ///   Promotions need no lock: they only add admins.
    pub async fn change_role(&self, id: UserId, role: Role) -> Result<RoleChange, DbError> {
        let key = id.to_string();
        let now = to_micros(self.clock.now());
        let demoting = role != Role::Admin;
        let (changed, row) = on_db!(&self.db, |conn| {
            conn.transaction::<_, DbError, _>(async |tx| {
                if demoting {
                    tx.lock_admins().await?;
                }
                let target = users::table.filter(users::id.eq(&key));
                let values = (users::role.eq(role_name(role)), users::updated_at.eq(now));
                let changed = if demoting {
                    let another_admin = exists(
                        others
                            .filter(others.field(users::role).eq(ADMIN))
                            .filter(others.field(users::id).ne(&key)),
                    );
                    diesel::update(target.filter(users::role.ne(ADMIN).or(another_admin)))
                        .set(values)
                        .execute(tx)
                        .await?
                } else {
                    diesel::update(target).set(values).execute(tx).await?
                };
                let row: Option<UserRow> = users::table
                    .find(&key)
                    .select(UserRow::as_select())
                    .first(tx)
                    .await
                    .optional()?;
                Ok((changed, row))
            })
            .await?
        });
        Ok(match (changed, row) {
            (_, None) => RoleChange::NoSuchUser,
            (0, Some(_)) => RoleChange::LastAdmin,
            (_, Some(row)) => RoleChange::Set(row.into_user()?.0),
        })
    }
}

/// Locks every admin row until the transaction ends, where the database
/// lets writers run side by side (see [`UserStore::change_role`]).
trait LockAdmins {
    fn lock_admins(&mut self) -> impl Future<Output = QueryResult<()>> + Send;
}

impl LockAdmins for PgConn {
    async fn lock_admins(&mut self) -> QueryResult<()> {
        users::table
            .filter(users::role.eq(ADMIN))
            .order(users::id)
            .select(users::id)
            .for_update()
            .load::<String>(self)
            .await?;
        Ok(())
    }
}

impl LockAdmins for SqliteConn {
    /// Nothing to do: SQLite's one write lock, which the UPDATE takes
    /// before it reads, already serialises demotions.
    async fn lock_admins(&mut self) -> QueryResult<()> {
        Ok(())
    }
}
