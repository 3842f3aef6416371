//! The users table, on SQLite or PostgreSQL; a new user's
//! `accounts.user.registered` event (and, for a sign-up, the verification
//! token and its email's event) is written with its row (the outbox).

use contracts::events::{AccountEmailKind, UserRegistered, event::Payload};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use platform::{
    auth::Role,
    clock::{Clock, from_micros, to_micros},
    db::{Db, DbError},
    events::{Conn, NewEvent, types},
    on_db,
};

use super::{
    domain::User,
    token_store::{self, Purpose, TokenStore},
    tokens::{SecretToken, VERIFICATION_TOKEN_LIFETIME},
};

platform::migrations!("migrations");

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        password_hash -> Text,
        display_name -> Text,
        role -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
        email_verified_at -> Nullable<BigInt>,
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub(super) struct UserRow {
    id: String,
    email: String,
    password_hash: String,
    display_name: String,
    role: String,
    created_at: i64,
    updated_at: i64,
    email_verified_at: Option<i64>,
}

impl UserRow {
    pub(super) fn into_user(self) -> Result<(User, String), DbError> {
        let role = match self.role.as_str() {
            "admin" => Role::Admin,
            "customer" => Role::Customer,
            _ => {
                return Err(DbError::Query(diesel::result::Error::DeserializationError(
                    format!("user {} has an unknown role", self.id).into(),
                )));
            }
        };
        Ok((
            User {
                id: self.id,
                email: self.email,
                display_name: self.display_name,
                role,
                created_at: from_micros(self.created_at),
                email_verified: self.email_verified_at.is_some(),
            },
            self.password_hash,
        ))
    }
}

pub(super) fn role_name(role: Role) -> &'static str {
    match role {
        Role::Admin => "admin",
        Role::Customer => "customer",
    }
}

/// The users table. Cheap to clone.
#[derive(Clone, Debug)]
pub struct UserStore {
    pub(super) db: Db,
    pub(super) clock: Clock,
}

impl UserStore {
    pub fn new(db: Db, clock: Clock) -> Self {
        Self { db, clock }
    }

    /// The token tables, on the same database.
    pub fn tokens(&self) -> TokenStore {
        TokenStore::new(self.db.clone(), self.clock.clone())
    }

    /// Creates a user and, in the same transaction, the
    /// `accounts.user.registered` event that tells the other services (the
    /// notifications service learns the address from it); a taken email
    /// fails with a unique violation, and then no event is written. With a
    /// `verification` token (a sign-up), the address is to be verified: the
    /// token's hash and the event asking for its email are written too.
    /// Without (an account the operator creates), it counts as verified.
    pub async fn create(
        &self,
        email: &str,
        password_hash: &str,
        display_name: &str,
        role: Role,
        verification: Option<&SecretToken>,
    ) -> Result<User, DbError> {
        let at = self.clock.now();
        let now = to_micros(at);
        let row = UserRow {
            id: uuid::Uuid::now_v7().to_string(),
            email: email.to_owned(),
            password_hash: password_hash.to_owned(),
            display_name: display_name.to_owned(),
            role: role_name(role).to_owned(),
            created_at: now,
            updated_at: now,
            email_verified_at: verification.is_none().then_some(now),
        };
        let user = row.clone().into_user()?.0;
        let registered = NewEvent {
            event_type: types::USER_REGISTERED,
            aggregate_id: row.id.clone(),
            payload: Payload::UserRegistered(UserRegistered {
                user_id: row.id.clone(),
                email: row.email.clone(),
                display_name: row.display_name.clone(),
            }),
        };
        let expires_at = at + VERIFICATION_TOKEN_LIFETIME;
        let verify = verification.map(|token| {
            (
                token.hash(),
                token_store::account_email(
                    AccountEmailKind::VerifyEmail,
                    &user,
                    Some((token, expires_at)),
                ),
            )
        });
        on_db!(&self.db, |conn| {
            conn.transaction::<_, DbError, _>(async |tx| {
                diesel::insert_into(users::table)
                    .values(&row)
                    .execute(tx)
                    .await?;
                let mut tx: Conn<'_> = tx.into();
                platform::events::append(tx.reborrow(), registered, at).await?;
                if let Some((hash, email)) = verify {
                    token_store::issue_account_token(
                        tx.reborrow(),
                        Purpose::VerifyEmail,
                        &row.id,
                        &hash,
                        at,
                        expires_at,
                    )
                    .await?;
                    platform::events::append(tx, email, at).await?;
                }
                Ok(())
            })
            .await?;
        });
        Ok(user)
    }

    /// A user and their password hash, by normalised email.
    pub async fn by_email(&self, email: &str) -> Result<Option<(User, String)>, DbError> {
        let key = email.to_owned();
        let row: Option<UserRow> = on_db!(&self.db, |conn| {
            users::table
                .filter(users::email.eq(&key))
                .select(UserRow::as_select())
                .first(conn)
                .await
                .optional()?
        });
        row.map(UserRow::into_user).transpose()
    }

    /// A user by id.
    pub async fn by_id(&self, id: &str) -> Result<Option<User>, DbError> {
        let key = id.to_owned();
        let row: Option<UserRow> = on_db!(&self.db, |conn| {
            users::table
                .find(&key)
                .select(UserRow::as_select())
                .first(conn)
                .await
                .optional()?
        });
        Ok(row
            .map(UserRow::into_user)
            .transpose()?
            .map(|(user, _)| user))
    }

    /// A user and their password hash, by id.
    pub async fn by_id_with_hash(&self, id: &str) -> Result<Option<(User, String)>, DbError> {
        let key = id.to_owned();
        let row: Option<UserRow> = on_db!(&self.db, |conn| {
            users::table
                .find(&key)
                .select(UserRow::as_select())
                .first(conn)
                .await
                .optional()?
        });
        row.map(UserRow::into_user).transpose()
    }

    /// Sets a user's display name; `None` if there is no such user.
    pub async fn set_display_name(&self, id: &str, name: &str) -> Result<Option<User>, DbError> {
        let now = to_micros(self.clock.now());
        let changed = on_db!(&self.db, |conn| {
            diesel::update(users::table.find(id))
                .set((users::display_name.eq(name), users::updated_at.eq(now)))
                .execute(conn)
                .await?
        });
        if changed == 0 {
            return Ok(None);
        }
        self.by_id(id).await
    }

    /// Sets a user's role and password (admin bootstrap).
    pub async fn set_role_and_password(
        &self,
        id: &str,
        role: Role,
        password_hash: &str,
    ) -> Result<(), DbError> {
        let key = id.to_owned();
        let hash = password_hash.to_owned();
        let now = to_micros(self.clock.now());
        on_db!(&self.db, |conn| {
            diesel::update(users::table.find(&key))
                .set((
                    users::role.eq(role_name(role)),
                    users::password_hash.eq(&hash),
                    users::updated_at.eq(now),
                ))
                .execute(conn)
                .await?;
            Ok(())
        })
    }
}
