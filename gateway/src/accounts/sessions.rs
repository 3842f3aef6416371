//! Sessions that last: RefreshSession (rotation with reuse detection),
//! Logout, and ChangePassword (which ends the user's other sessions).
//!
//! A login (Login or Register) starts a family of refresh tokens; each
//! RefreshSession spends the token presented and hands out its successor.
//! A spent token presented again means two holders of one token (a stolen
//! copy, or an answer lost and the call retried): no one can tell which is
//! the user, so the whole family is revoked and both must log in again.
//! Concurrent refreshes with one token are the same case: exactly one
//! wins, and the others revoke the family (a client must not refresh twice
//! at once, e.g. from two tabs, without sharing the answer).

use contracts::auth as proto;
use platform::auth::Principal;
use tonic::Request;

use super::{
    api::{AuthApi, client_of, refresh_fields, user_message},
    domain::Password,
    password,
    token_store::Rotation,
    tokens::SecretToken,
};
use crate::error::Error;

impl AuthApi {
    /// RefreshSession.
    pub(super) async fn refresh(
        &self,
        request: Request<proto::RefreshSessionRequest>,
    ) -> Result<proto::LoginResponse, Error> {
        let request = request.into_inner();
        let Some(presented) = SecretToken::parse(&request.refresh_token) else {
            return Err(Error::RefreshTokenInvalid);
        };
        let (user_id, family_id, session) = match self.tokens.rotate(&presented.hash()).await? {
            Rotation::Invalid => return Err(Error::RefreshTokenInvalid),
            Rotation::Reused { user_id } => {
                tracing::warn!(
                    %user_id,
                    "a spent refresh token was presented again: its login's sessions are revoked"
                );
                return Err(Error::RefreshTokenReused);
            }
            Rotation::Rotated {
                user_id,
                family_id,
                session,
            } => (user_id, family_id, session),
        };
        // The token carries the user's role as it is now, not at login.
        let Some(user) = self.users.by_id(&user_id).await? else {
            self.tokens.revoke_family(&family_id).await?;
            return Err(Error::RefreshTokenInvalid);
        };
        let (access_token, expire_time) = self.token(&user)?;
        let (refresh_token, refresh_expire_time) = refresh_fields(&session);
        Ok(proto::LoginResponse {
            access_token,
            expire_time: Some(expire_time),
            user: Some(user_message(&user)),
            refresh_token,
            refresh_expire_time,
        })
    }

    /// Logout: revokes the token's family. Idempotent: a token that is
    /// unknown, malformed or revoked already is fine too.
    pub(super) async fn end_session(
        &self,
        request: Request<proto::LogoutRequest>,
    ) -> Result<proto::LogoutResponse, Error> {
        if let Some(token) = SecretToken::parse(&request.into_inner().refresh_token) {
            self.tokens.end_session(&token.hash()).await?;
        }
        Ok(proto::LogoutResponse {})
    }

    /// ChangePassword: the current password proves it is the user at the
    /// keyboard (a stolen access token alone cannot take the account over).
    pub(super) async fn set_password(
        &self,
        caller: &Principal,
        request: Request<proto::ChangePasswordRequest>,
    ) -> Result<proto::ChangePasswordResponse, Error> {
        let client = client_of(&request);
        let request = request.into_inner();
        let new = Password::parse(&request.new_password)
            .map_err(|problem| Error::invalid("new_password", problem))?;
        let (user, stored) = self
            .users
            .by_id_with_hash(&caller.user_id)
            .await?
            .ok_or(Error::UnknownUser)?;
        // Guessing the current password is throttled as a login is.
        self.throttle
            .attempt(&user.email, &client)
            .map_err(Error::Throttled)?;
        if !password::verify(request.current_password, Some(stored)).await {
            return Err(Error::WrongPassword);
        }
        let hash = password::hash(new.expose().to_owned())
            .await
            .map_err(Error::Internal)?;
        let keep = match SecretToken::parse(&request.refresh_token) {
            Some(own) => self.tokens.family_of(&user.id, &own.hash()).await?,
            None => None,
        };
        self.tokens
            .change_password(&user, &hash, keep.as_deref())
            .await?;
        tracing::info!(user_id = %user.id, "password changed");
        Ok(proto::ChangePasswordResponse {})
    }
}
