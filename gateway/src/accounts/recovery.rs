//! Password reset by email: RequestPasswordReset (the same OK whether or not
//! the address has an account) and ResetPassword (a single-use, 30-minute
//! token; every session of the user ends).

use contracts::auth as proto;
use tonic::Request;

use super::{
    api::{AuthApi, client_of},
    domain::{Email, Password},
    password,
    store::UserStore,
    token_store::{Purpose, TokenStore},
    tokens::SecretToken,
};
use crate::error::Error;

impl AuthApi {
    /// RequestPasswordReset. The answer must not tell whether the address
    /// has an account, by its content or by its time: once the request is
    /// valid and within its limits, the answer goes at once and the lookup
    /// (and, for an account, the token and its email, in one transaction)
    /// happens after it, so an unknown address answers as fast as a known
    /// one. A failure there is logged; the caller, who would have been told
    /// OK either way, asks again.
    pub(super) fn start_reset(
        &self,
        request: Request<proto::RequestPasswordResetRequest>,
    ) -> Result<proto::RequestPasswordResetResponse, Error> {
        let client = client_of(&request);
        let email = Email::parse(&request.into_inner().email)
            .map_err(|problem| Error::invalid("email", problem))?;
        // Per address (no mailbox flooded) and per client, in buckets of
        // their own so that resets do not use up an account's logins.
        self.throttle
            .attempt(&format!("reset:{}", email.as_str()), &client)
            .map_err(Error::Throttled)?;
        let (users, tokens) = (self.users.clone(), self.tokens.clone());
        tokio::spawn(async move {
            if let Err(error) = send_reset_link(&users, &tokens, &email).await {
                tracing::warn!(%error, "cannot start a password reset");
            }
        });
        Ok(proto::RequestPasswordResetResponse {})
    }

    /// ResetPassword.
    pub(super) async fn finish_reset(
        &self,
        request: Request<proto::ResetPasswordRequest>,
    ) -> Result<proto::ResetPasswordResponse, Error> {
        let request = request.into_inner();
        let new = Password::parse(&request.new_password)
            .map_err(|problem| Error::invalid("new_password", problem))?;
        let token = SecretToken::parse(&request.token)
            .ok_or(Error::ResetTokenInvalid)?
            .hash();
        // A look first, so that a dead token costs no password hash; the
        // token is spent (once, whatever the concurrency) below.
        if self
            .tokens
            .live_account_token(Purpose::ResetPassword, &token)
            .await?
            .is_none()
        {
            return Err(Error::ResetTokenInvalid);
        }
        let hash = password::hash(new.expose().to_owned())
            .await
            .map_err(Error::Internal)?;
        let user = self
            .tokens
            .reset_password(&token, &hash)
            .await?
            .ok_or(Error::ResetTokenInvalid)?;
        tracing::info!(user_id = %user.id, "password reset");
        Ok(proto::ResetPasswordResponse {})
    }
}

/// Stores a reset token for the account at `email`, if there is one, with
/// the event asking for its email (older tokens of the user stop working).
async fn send_reset_link(
    users: &UserStore,
    tokens: &TokenStore,
    email: &Email,
) -> Result<(), Error> {
    let Some((user, _)) = users.by_email(email.as_str()).await? else {
        return Ok(());
    };
    tokens
        .request_reset(&user, &SecretToken::generate())
        .await?;
    tracing::info!(user_id = %user.id, "password reset link requested");
    Ok(())
}
