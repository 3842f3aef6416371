//! The saved_addresses table, on SQLite or PostgreSQL alike.
//!
//! Why the limit and the single default hold under concurrency: every
//! change that counts a user's addresses or moves their default starts by
//! writing the user's row (a no-op update). On SQLite that takes the
//! database's one write lock before anything is read; on PostgreSQL it
//! locks that row until the commit, so the next such change of the same
//! user waits, then reads what the first wrote (each statement under READ
//! COMMITTED sees the rows committed before it started). The partial
//! unique index on `(user_id) WHERE is_default` is the backstop: should
//! a change ever skip the lock, it fails rather than leave two defaults.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use platform::{
    address::PostalAddress,
    clock::{from_micros, to_micros},
    db::DbError,
    on_db,
};

use super::domain::{
    AddressId, AddressPatch, MAX_ADDRESSES, NewAddress, Refusal, SavedAddress, Version,
    becomes_default,
};
use crate::accounts::store::{UserStore, users};

diesel::table! {
    saved_addresses (id) {
        id -> Text,
        user_id -> Text,
        label -> Text,
        recipient -> Text,
        line1 -> Text,
        line2 -> Text,
        city -> Text,
        region -> Text,
        postal_code -> Text,
        country_code -> Text,
        is_default -> Bool,
        version -> BigInt,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = saved_addresses)]
struct AddressRow {
    id: String,
    user_id: String,
    label: String,
    recipient: String,
    line1: String,
    line2: String,
    city: String,
    region: String,
    postal_code: String,
    country_code: String,
    is_default: bool,
    version: i64,
    created_at: i64,
    updated_at: i64,
}

impl AddressRow {
    fn into_saved(self) -> Result<SavedAddress, DbError> {
        let id = AddressId::parse(&self.id).map_err(|_| {
            DbError::Query(diesel::result::Error::DeserializationError(
                format!("saved address {:?} has no UUID id", self.id).into(),
            ))
        })?;
        Ok(SavedAddress {
            id,
            label: self.label,
            address: PostalAddress {
                recipient: self.recipient,
                line1: self.line1,
                line2: self.line2,
                city: self.city,
                region: self.region,
                postal_code: self.postal_code,
                country_code: self.country_code,
            },
            default: self.is_default,
            version: Version(self.version),
            created_at: from_micros(self.created_at),
            updated_at: from_micros(self.updated_at),
        })
    }
}

/// The columns an UpdateAddress writes: those its mask named.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = saved_addresses)]
struct AddressChanges {
    label: Option<String>,
    recipient: Option<String>,
    line1: Option<String>,
    line2: Option<String>,
    city: Option<String>,
    region: Option<String>,
    postal_code: Option<String>,
    country_code: Option<String>,
}

impl From<AddressPatch> for AddressChanges {
    fn from(patch: AddressPatch) -> Self {
        let a = patch.address;
        Self {
            label: patch.label.map(|l| l.to_string()),
            recipient: a.as_ref().map(|a| a.recipient.clone()),
            line1: a.as_ref().map(|a| a.line1.clone()),
            line2: a.as_ref().map(|a| a.line2.clone()),
            city: a.as_ref().map(|a| a.city.clone()),
            region: a.as_ref().map(|a| a.region.clone()),
            postal_code: a.as_ref().map(|a| a.postal_code.clone()),
            country_code: a.map(|a| a.country_code),
        }
    }
}

/// What a change came to: the value, or why it was refused.
pub type Outcome<T> = Result<T, Refusal>;

/// A change's outcome with its row read into a saved address.
fn saved_outcome(outcome: Outcome<AddressRow>) -> Result<Outcome<SavedAddress>, DbError> {
    match outcome {
        Ok(row) => row.into_saved().map(Ok),
        Err(refusal) => Ok(Err(refusal)),
    }
}

/// Writes the user's row without changing it: the lock that queues the
/// user's address-book changes (see the module's documentation). False if
/// there is no such user.
macro_rules! lock_user {
    ($tx:expr, $user:expr) => {
        diesel::update(users::table.find($user))
            .set(users::updated_at.eq(users::updated_at))
            .execute($tx)
            .await?
            > 0
    };
}

/// The user's default address loses the flag (and gains a version).
macro_rules! clear_default {
    ($tx:expr, $user:expr, $now:expr) => {
        diesel::update(
            saved_addresses::table
                .filter(saved_addresses::user_id.eq($user))
                .filter(saved_addresses::is_default.eq(true)),
        )
        .set((
            saved_addresses::is_default.eq(false),
            saved_addresses::version.eq(saved_addresses::version + 1),
            saved_addresses::updated_at.eq($now),
        ))
        .execute($tx)
        .await?
    };
}

/// One of the user's addresses, if it is theirs.
macro_rules! own_address {
    ($tx:expr, $user:expr, $id:expr) => {
        saved_addresses::table
            .filter(saved_addresses::id.eq($id))
            .filter(saved_addresses::user_id.eq($user))
            .select(AddressRow::as_select())
            .first::<AddressRow>($tx)
            .await
            .optional()?
    };
}

impl UserStore {
    /// The user's addresses: the default first, then oldest first.
    pub async fn list_addresses(&self, user: &str) -> Result<Vec<SavedAddress>, DbError> {
        let rows: Vec<AddressRow> = on_db!(&self.db, |conn| {
            saved_addresses::table
                .filter(saved_addresses::user_id.eq(user))
                .order((
                    saved_addresses::is_default.desc(),
                    saved_addresses::created_at.asc(),
                    saved_addresses::id.asc(),
                ))
                .select(AddressRow::as_select())
                .load(conn)
                .await?
        });
        rows.into_iter().map(AddressRow::into_saved).collect()
    }

    /// Saves `new` for the user, unless they have [`MAX_ADDRESSES`]. It
    /// becomes the default when asked or when it is the first.
    pub async fn create_address(
        &self,
        user: &str,
        new: NewAddress,
    ) -> Result<Outcome<SavedAddress>, DbError> {
        let now = to_micros(self.clock.now());
        let a = new.address;
        let mut row = AddressRow {
            id: AddressId::generate().to_string(),
            user_id: user.to_owned(),
            label: new.label.to_string(),
            recipient: a.recipient,
            line1: a.line1,
            line2: a.line2,
            city: a.city,
            region: a.region,
            postal_code: a.postal_code,
            country_code: a.country_code,
            is_default: false,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let asked = new.default;
        let saved = on_db!(&self.db, |conn| {
            conn.transaction::<_, DbError, _>(async |tx| {
                if !lock_user!(tx, user) {
                    return Ok(Err(Refusal::NoSuchUser));
                }
                let count: i64 = saved_addresses::table
                    .filter(saved_addresses::user_id.eq(user))
                    .count()
                    .get_result(tx)
                    .await?;
                let count = usize::try_from(count).unwrap_or(usize::MAX);
                if count >= MAX_ADDRESSES {
                    return Ok(Err(Refusal::Full));
                }
                row.is_default = becomes_default(asked, count);
                if row.is_default {
                    clear_default!(tx, user, now);
                }
                diesel::insert_into(saved_addresses::table)
                    .values(&row)
                    .execute(tx)
                    .await?;
                Ok(Ok(row))
            })
            .await?
        });
        saved_outcome(saved)
    }

    /// Changes the fields `patch` names of one of the user's addresses, if
    /// it is still at the version the patch expects (when it says).
    pub async fn update_address(
        &self,
        user: &str,
        id: AddressId,
        patch: AddressPatch,
    ) -> Result<Outcome<SavedAddress>, DbError> {
        let key = id.to_string();
        let now = to_micros(self.clock.now());
        let changes = AddressChanges::from(patch.clone());
        // Without an etag any version will do; with one, only that one.
        let (lowest, highest) = patch.expected.map_or((0, i64::MAX), |v| (v.0, v.0));
        let updated = on_db!(&self.db, |conn| {
            conn.transaction::<_, DbError, _>(async |tx| {
                // Only the named columns are written, so a change of the
                // others committed meanwhile is kept, not overwritten.
                let changed = diesel::update(
                    saved_addresses::table
                        .filter(saved_addresses::id.eq(&key))
                        .filter(saved_addresses::user_id.eq(user))
                        .filter(saved_addresses::version.between(lowest, highest)),
                )
                .set((
                    &changes,
                    saved_addresses::version.eq(saved_addresses::version + 1),
                    saved_addresses::updated_at.eq(now),
                ))
                .execute(tx)
                .await?;
                let row = own_address!(tx, user, &key);
                Ok(match (changed, row) {
                    (_, None) => Err(Refusal::NotFound),
                    (0, Some(_)) => Err(Refusal::Stale),
                    (_, Some(row)) => Ok(row),
                })
            })
            .await?
        });
        saved_outcome(updated)
    }

    /// Deletes one of the user's addresses.
    pub async fn delete_address(&self, user: &str, id: AddressId) -> Result<Outcome<()>, DbError> {
        let key = id.to_string();
        let deleted = on_db!(&self.db, |conn| {
            diesel::delete(
                saved_addresses::table
                    .filter(saved_addresses::id.eq(&key))
                    .filter(saved_addresses::user_id.eq(user)),
            )
            .execute(conn)
            .await?
        });
        Ok(if deleted == 0 {
            Err(Refusal::NotFound)
        } else {
            Ok(())
        })
    }

    /// Makes one of the user's addresses their default, the previous one
    /// no longer.
    pub async fn set_default_address(
        &self,
        user: &str,
        id: AddressId,
    ) -> Result<Outcome<SavedAddress>, DbError> {
        let key = id.to_string();
        let now = to_micros(self.clock.now());
        let set = on_db!(&self.db, |conn| {
            conn.transaction::<_, DbError, _>(async |tx| {
                if !lock_user!(tx, user) {
                    return Ok(Err(Refusal::NoSuchUser));
                }
                let Some(current) = own_address!(tx, user, &key) else {
                    return Ok(Err(Refusal::NotFound));
                };
                if current.is_default {
                    return Ok(Ok(current));
                }
                clear_default!(tx, user, now);
                diesel::update(saved_addresses::table.find(&key))
                    .set((
                        saved_addresses::is_default.eq(true),
                        saved_addresses::version.eq(saved_addresses::version + 1),
                        saved_addresses::updated_at.eq(now),
                    ))
                    .execute(tx)
                    .await?;
                let row = own_address!(tx, user, &key)
                    .ok_or(DbError::Query(diesel::result::Error::NotFound))?;
                Ok(Ok(row))
            })
            .await?
        });
        saved_outcome(set)
    }
}
