//! The token tables, on SQLite or PostgreSQL: refresh tokens grouped in a
//! family per login, and the single-use tokens emailed for password resets
//! and address verification (only hashes: see [`super::tokens`]); and the
//! transactions that change an account together with its tokens and, when
//! the user is to be told, the `accounts.account.email_requested` event in
//! the outbox: the change and its email commit together or not at all.
//!
//! Spending a token is one conditional update (`... WHERE spent_at IS
//! NULL`), so of any number of concurrent uses exactly one wins.

use contracts::{
    events::{AccountEmailKind, AccountEmailRequested, event::Payload},
    timestamp,
};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use platform::{
    clock::{Clock, to_micros},
    db::{Db, DbError},
    events::{Conn, NewEvent, types},
    on_conn, on_db,
};
use time::OffsetDateTime;

use super::{
    domain::User,
    store::{UserRow, users},
    tokens::{
        REFRESH_TOKEN_LIFETIME, RESET_TOKEN_LIFETIME, SecretToken, TokenHash,
        VERIFICATION_TOKEN_LIFETIME,
    },
};

diesel::table! {
    refresh_families (id) {
        id -> Text,
        user_id -> Text,
        created_at -> BigInt,
        revoked_at -> Nullable<BigInt>,
        expires_at -> BigInt,
    }
}

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Text,
        family_id -> Text,
        user_id -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        spent_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    account_tokens (token_hash) {
        token_hash -> Text,
        purpose -> Text,
        user_id -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        spent_at -> Nullable<BigInt>,
    }
}

platform::stored_enum!(
    /// What an emailed token is for.
    pub Purpose {
        /// Setting a new password (ResetPassword).
        ResetPassword => "reset_password",
        /// Proving the address (VerifyEmail).
        VerifyEmail => "verify_email",
    }
);

/// A refresh token just issued.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: SecretToken,
    pub expires_at: OffsetDateTime,
}

/// What presenting a refresh token came to.
#[derive(Debug)]
pub enum Rotation {
    /// It was live and is now spent; `session` is its successor.
    Rotated {
        user_id: String,
        family_id: String,
        session: Session,
    },
    /// It had been spent already: its whole family is revoked now.
    Reused { user_id: String },
    /// Unknown, expired, or of a revoked family.
    Invalid,
}

/// The `accounts.account.email_requested` event asking for `kind` to be
/// sent to `user`. The token, if any, is in it raw: the outbox row (until
/// the relay has published it and pruned it) and the email are the only
/// places it exists; the tables keep its hash.
pub(super) fn account_email(
    kind: AccountEmailKind,
    user: &User,
    token: Option<(&SecretToken, OffsetDateTime)>,
) -> NewEvent {
    NewEvent {
        event_type: types::ACCOUNT_EMAIL_REQUESTED,
        aggregate_id: user.id.clone(),
        payload: Payload::AccountEmail(AccountEmailRequested {
            kind: kind.into(),
            user_id: user.id.clone(),
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            token: token
                .map(|(t, _)| t.expose().to_owned())
                .unwrap_or_default(),
            token_expire_time: token.map(|(_, at)| timestamp::from_datetime(at)),
        }),
    }
}

/// Stores `token` for `purpose`, replacing the user's earlier tokens of
/// that purpose (an older link stops working); in the caller's transaction.
pub(super) async fn issue_account_token(
    conn: Conn<'_>,
    purpose: Purpose,
    user_id: &str,
    token: &TokenHash,
    now: OffsetDateTime,
    expires_at: OffsetDateTime,
) -> Result<(), diesel::result::Error> {
    let (at, expires) = (to_micros(now), to_micros(expires_at));
    on_conn!(conn, |c| {
        diesel::delete(
            account_tokens::table
                .filter(account_tokens::user_id.eq(user_id))
                .filter(account_tokens::purpose.eq(purpose.as_str())),
        )
        .execute(c)
        .await?;
        diesel::insert_into(account_tokens::table)
            .values((
                account_tokens::token_hash.eq(token.as_str()),
                account_tokens::purpose.eq(purpose.as_str()),
                account_tokens::user_id.eq(user_id),
                account_tokens::created_at.eq(at),
                account_tokens::expires_at.eq(expires),
            ))
            .execute(c)
            .await?;
        Ok(())
    })
}

/// Spends a live token of `purpose`, returning its user; `None` if it is
/// unknown, spent or expired. In the caller's transaction.
async fn spend_account_token(
    conn: Conn<'_>,
    purpose: Purpose,
    token: &TokenHash,
    at: i64,
) -> Result<Option<String>, diesel::result::Error> {
    on_conn!(conn, |c| {
        diesel::update(
            account_tokens::table
                .find(token.as_str())
                .filter(account_tokens::purpose.eq(purpose.as_str()))
                .filter(account_tokens::spent_at.is_null())
                .filter(account_tokens::expires_at.gt(at)),
        )
        .set(account_tokens::spent_at.eq(at))
        .returning(account_tokens::user_id)
        .get_result(c)
        .await
        .optional()
    })
}

/// Revokes every live refresh family of `user_id` but `except`; in the
/// caller's transaction.
async fn revoke_sessions(
    conn: Conn<'_>,
    user_id: &str,
    except: Option<&str>,
    at: i64,
) -> Result<usize, diesel::result::Error> {
    // Family ids are UUIDs: none is empty.
    let except = except.unwrap_or_default();
    on_conn!(conn, |c| {
        diesel::update(
            refresh_families::table
                .filter(refresh_families::user_id.eq(user_id))
                .filter(refresh_families::revoked_at.is_null())
                .filter(refresh_families::id.ne(except)),
        )
        .set(refresh_families::revoked_at.eq(at))
        .execute(c)
        .await
    })
}

/// Sets a user's password hash; in the caller's transaction.
async fn set_password(
    conn: Conn<'_>,
    user_id: &str,
    password_hash: &str,
    at: i64,
) -> Result<(), diesel::result::Error> {
    on_conn!(conn, |c| {
        diesel::update(users::table.find(user_id))
            .set((
                users::password_hash.eq(password_hash),
                users::updated_at.eq(at),
            ))
            .execute(c)
            .await?;
        Ok(())
    })
}

/// A user, in the caller's transaction.
async fn user(conn: Conn<'_>, user_id: &str) -> Result<Option<UserRow>, diesel::result::Error> {
    on_conn!(conn, |c| {
        users::table
            .find(user_id)
            .select(UserRow::as_select())
            .first(c)
            .await
            .optional()
    })
}

fn to_user(row: UserRow) -> Result<User, DbError> {
    Ok(row.into_user()?.0)
}

/// The token tables. Cheap to clone.
#[derive(Clone, Debug)]
pub struct TokenStore {
    db: Db,
    clock: Clock,
}

impl TokenStore {
    pub fn new(db: Db, clock: Clock) -> Self {
        Self { db, clock }
    }

    /// A new family (a login) with its first refresh token.
    pub async fn start_session(&self, user_id: &str) -> Result<Session, DbError> {
        let now = self.clock.now();
        let session = Session {
            token: SecretToken::generate(),
            expires_at: now + REFRESH_TOKEN_LIFETIME,
        };
        let (at, expires) = (to_micros(now), to_micros(session.expires_at));
        let family = uuid::Uuid::now_v7().to_string();
        let hash = session.token.hash();
        on_db!(&self.db, |conn| {
            conn.transaction::<_, DbError, _>(async |tx| {
                diesel::insert_into(refresh_families::table)
                    .values((
                        refresh_families::id.eq(&family),
                        refresh_families::user_id.eq(user_id),
                        refresh_families::created_at.eq(at),
                        refresh_families::expires_at.eq(expires),
                    ))
                    .execute(tx)
                    .await?;
                diesel::insert_into(refresh_tokens::table)
                    .values((
                        refresh_tokens::token_hash.eq(hash.as_str()),
                        refresh_tokens::family_id.eq(&family),
                        refresh_tokens::user_id.eq(user_id),
                        refresh_tokens::created_at.eq(at),
                        refresh_tokens::expires_at.eq(expires),
                    ))
                    .execute(tx)
                    .await?;
                Ok(())
            })
            .await?;
        });
        Ok(session)
    }

    /// Spends `presented` and issues its successor in the same family; or,
    /// if it was spent already, revokes the family (a stolen copy, or a
    /// retried answer: either way the family can no longer be trusted).
    pub async fn rotate(&self, presented: &TokenHash) -> Result<Rotation, DbError> {
        let now = self.clock.now();
        let at = to_micros(now);
        let next = Session {
            token: SecretToken::generate(),
            expires_at: now + REFRESH_TOKEN_LIFETIME,
        };
        let expires = to_micros(next.expires_at);
        let next_hash = next.token.hash();
        let key = presented.as_str();
        let outcome: Option<(bool, String, String)> = on_db!(&self.db, |conn| {
            conn.transaction::<_, DbError, _>(async |tx| {
                let found: Option<(String, String, i64, Option<i64>)> = refresh_tokens::table
                    .find(key)
                    .select((
                        refresh_tokens::family_id,
                        refresh_tokens::user_id,
                        refresh_tokens::expires_at,
                        refresh_tokens::spent_at,
                    ))
                    .first(tx)
                    .await
                    .optional()?;
                let Some((family, user_id, token_expiry, spent)) = found else {
                    return Ok(None);
                };
                let revoked: Option<Option<i64>> = refresh_families::table
                    .find(&family)
                    .select(refresh_families::revoked_at)
                    .first(tx)
                    .await
                    .optional()?;
                if !matches!(revoked, Some(None)) || token_expiry <= at {
                    return Ok(None);
                }
                // The conditional update decides between concurrent uses.
                let won = spent.is_none()
                    && diesel::update(
                        refresh_tokens::table
                            .find(key)
                            .filter(refresh_tokens::spent_at.is_null()),
                    )
                    .set(refresh_tokens::spent_at.eq(at))
                    .execute(tx)
                    .await?
                        == 1;
                if !won {
                    diesel::update(
                        refresh_families::table
                            .find(&family)
                            .filter(refresh_families::revoked_at.is_null()),
                    )
                    .set(refresh_families::revoked_at.eq(at))
                    .execute(tx)
                    .await?;
                    return Ok(Some((false, user_id, family)));
                }
                diesel::insert_into(refresh_tokens::table)
                    .values((
                        refresh_tokens::token_hash.eq(next_hash.as_str()),
                        refresh_tokens::family_id.eq(&family),
                        refresh_tokens::user_id.eq(&user_id),
                        refresh_tokens::created_at.eq(at),
                        refresh_tokens::expires_at.eq(expires),
                    ))
                    .execute(tx)
                    .await?;
                diesel::update(refresh_families::table.find(&family))
                    .set(refresh_families::expires_at.eq(expires))
                    .execute(tx)
                    .await?;
                Ok(Some((true, user_id, family)))
            })
            .await?
        });
        Ok(match outcome {
            None => Rotation::Invalid,
            Some((false, user_id, _)) => Rotation::Reused { user_id },
            Some((true, user_id, family_id)) => Rotation::Rotated {
                user_id,
                family_id,
                session: next,
            },
        })
    }

    /// Revokes the family `presented` belongs to, if any (Logout).
    pub async fn end_session(&self, presented: &TokenHash) -> Result<(), DbError> {
        let key = presented.as_str();
        let family: Option<String> = on_db!(&self.db, |conn| {
            refresh_tokens::table
                .find(key)
                .select(refresh_tokens::family_id)
                .first(conn)
                .await
                .optional()?
        });
        match family {
            Some(family) => self.revoke_family(&family).await,
            None => Ok(()),
        }
    }

    /// Revokes one family (nothing if it is revoked already).
    pub async fn revoke_family(&self, family: &str) -> Result<(), DbError> {
        let at = to_micros(self.clock.now());
        on_db!(&self.db, |conn| {
            diesel::update(
                refresh_families::table
                    .find(family)
                    .filter(refresh_families::revoked_at.is_null()),
            )
            .set(refresh_families::revoked_at.eq(at))
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// The family of `presented` if it is `user_id`'s.
    pub async fn family_of(
        &self,
        user_id: &str,
        presented: &TokenHash,
    ) -> Result<Option<String>, DbError> {
        let key = presented.as_str();
        Ok(on_db!(&self.db, |conn| {
            refresh_tokens::table
                .find(key)
                .filter(refresh_tokens::user_id.eq(user_id))
                .select(refresh_tokens::family_id)
                .first(conn)
                .await
                .optional()?
        }))
    }

    /// Sets `user`'s new password, revokes their other sessions (all but
    /// the family `keep`) and asks for the "password changed" email.
    pub async fn change_password(
        &self,
        user: &User,
        password_hash: &str,
        keep: Option<&str>,
    ) -> Result<(), DbError> {
        let now = self.clock.now();
        let at = to_micros(now);
        let email = account_email(AccountEmailKind::PasswordChanged, user, None);
        on_db!(&self.db, |conn| {
            conn.transaction::<_, DbError, _>(async |tx| {
                let mut tx: Conn<'_> = tx.into();
                set_password(tx.reborrow(), &user.id, password_hash, at).await?;
                revoke_sessions(tx.reborrow(), &user.id, keep, at).await?;
                platform::events::append(tx, email, now).await?;
                Ok(())
            })
            .await?;
        });
        Ok(())
    }

    /// Stores a reset token for `user` (older ones stop working) and asks
    /// for the email carrying it, in one transaction.
    pub async fn request_reset(&self, user: &User, token: &SecretToken) -> Result<(), DbError> {
        self.email_token(user, token, Purpose::ResetPassword, RESET_TOKEN_LIFETIME)
            .await
    }

    /// Stores a new verification token for `user` (the previous link stops
    /// working) and asks for the email carrying it, in one transaction.
    pub async fn resend_verification(
        &self,
        user: &User,
        token: &SecretToken,
    ) -> Result<(), DbError> {
        self.email_token(
            user,
            token,
            Purpose::VerifyEmail,
            VERIFICATION_TOKEN_LIFETIME,
        )
        .await
    }

    async fn email_token(
        &self,
        user: &User,
        token: &SecretToken,
        purpose: Purpose,
        lifetime: std::time::Duration,
    ) -> Result<(), DbError> {
        let now = self.clock.now();
        let expires_at = now + lifetime;
        let kind = match purpose {
            Purpose::ResetPassword => AccountEmailKind::PasswordReset,
            Purpose::VerifyEmail => AccountEmailKind::VerifyEmail,
        };
        let email = account_email(kind, user, Some((token, expires_at)));
        let hash = token.hash();
        on_db!(&self.db, |conn| {
            conn.transaction::<_, DbError, _>(async |tx| {
                let mut tx: Conn<'_> = tx.into();
                issue_account_token(tx.reborrow(), purpose, &user.id, &hash, now, expires_at)
                    .await?;
                platform::events::append(tx, email, now).await?;
                Ok(())
            })
            .await?;
        });
        Ok(())
    }

    /// The user a live token of `purpose` belongs to (a look, nothing
    /// spent).
    pub async fn live_account_token(
        &self,
        purpose: Purpose,
        token: &TokenHash,
    ) -> Result<Option<String>, DbError> {
        let at = to_micros(self.clock.now());
        let key = token.as_str();
        Ok(on_db!(&self.db, |conn| {
            account_tokens::table
                .find(key)
                .filter(account_tokens::purpose.eq(purpose.as_str()))
                .filter(account_tokens::spent_at.is_null())
                .filter(account_tokens::expires_at.gt(at))
                .select(account_tokens::user_id)
                .first(conn)
                .await
                .optional()?
        }))
    }

    /// Spends the reset `token`, sets the new password, revokes every
    /// session of the user and asks for the "password changed" email, in
    /// one transaction. `None`: the token is unknown, spent or expired.
    pub async fn reset_password(
        &self,
        token: &TokenHash,
        password_hash: &str,
    ) -> Result<Option<User>, DbError> {
        let now = self.clock.now();
        let at = to_micros(now);
        let row: Option<UserRow> = on_db!(&self.db, |conn| {
            conn.transaction::<_, DbError, _>(async |tx| {
                let mut tx: Conn<'_> = tx.into();
                let Some(user_id) =
                    spend_account_token(tx.reborrow(), Purpose::ResetPassword, token, at).await?
                else {
                    return Ok(None);
                };
                set_password(tx.reborrow(), &user_id, password_hash, at).await?;
                revoke_sessions(tx.reborrow(), &user_id, None, at).await?;
                let Some(row) = user(tx.reborrow(), &user_id).await? else {
                    return Ok(None);
                };
                let changed = to_user(row.clone())?;
                let email = account_email(AccountEmailKind::PasswordChanged, &changed, None);
                platform::events::append(tx, email, now).await?;
                Ok(Some(row))
            })
            .await?
        });
        row.map(to_user).transpose()
    }

    /// Spends the verification `token` and marks its user's address
    /// verified. `None`: the token is unknown, spent or expired.
    pub async fn verify_email(&self, token: &TokenHash) -> Result<Option<User>, DbError> {
        let at = to_micros(self.clock.now());
        let row: Option<UserRow> = on_db!(&self.db, |conn| {
            conn.transaction::<_, DbError, _>(async |tx| {
                let mut tx: Conn<'_> = tx.into();
                let Some(user_id) =
                    spend_account_token(tx.reborrow(), Purpose::VerifyEmail, token, at).await?
                else {
                    return Ok(None);
                };
                on_conn!(tx.reborrow(), |c| {
                    diesel::update(
                        users::table
                            .find(&user_id)
                            .filter(users::email_verified_at.is_null()),
                    )
                    .set((
                        users::email_verified_at.eq(Some(at)),
                        users::updated_at.eq(at),
                    ))
                    .execute(c)
                    .await?;
                });
                Ok(user(tx, &user_id).await?)
            })
            .await?
        });
        row.map(to_user).transpose()
    }

    /// Deletes up to `limit` expired rows of each table: families whose
    /// newest token expired (with their tokens), expired tokens of live
    /// families, expired emailed tokens. Returns how many went.
    pub async fn sweep(&self, limit: i64) -> Result<usize, DbError> {
        let at = to_micros(self.clock.now());
        Ok(on_db!(&self.db, |conn| {
            let families: Vec<String> = refresh_families::table
                .filter(refresh_families::expires_at.le(at))
                .select(refresh_families::id)
                .limit(limit)
                .load(conn)
                .await?;
            diesel::delete(
                refresh_tokens::table.filter(refresh_tokens::family_id.eq_any(&families)),
            )
            .execute(conn)
            .await?;
            let gone_families = diesel::delete(
                refresh_families::table.filter(refresh_families::id.eq_any(&families)),
            )
            .execute(conn)
            .await?;
            let tokens: Vec<String> = refresh_tokens::table
                .filter(refresh_tokens::expires_at.le(at))
                .select(refresh_tokens::token_hash)
                .limit(limit)
                .load(conn)
                .await?;
            let gone_tokens = diesel::delete(
                refresh_tokens::table.filter(refresh_tokens::token_hash.eq_any(&tokens)),
            )
            .execute(conn)
            .await?;
            let emailed: Vec<String> = account_tokens::table
                .filter(account_tokens::expires_at.le(at))
                .select(account_tokens::token_hash)
                .limit(limit)
                .load(conn)
                .await?;
            let gone_emailed = diesel::delete(
                account_tokens::table.filter(account_tokens::token_hash.eq_any(&emailed)),
            )
            .execute(conn)
            .await?;
            gone_families + gone_tokens + gone_emailed
        }))
    }
}
