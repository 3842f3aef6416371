//! The address and the profile: VerifyEmail (the token from the email sent
//! at registration, 7 days, single-use), ResendVerificationEmail (a new
//! token; the previous link stops working; throttled per address) and
//! UpdateProfile.

use contracts::auth as proto;
use platform::auth::Principal;
use tonic::Request;

use super::{
    api::{AuthApi, user_message},
    domain,
    tokens::SecretToken,
};
use crate::error::Error;

impl AuthApi {
    /// VerifyEmail.
    pub(super) async fn verify(
        &self,
        request: Request<proto::VerifyEmailRequest>,
    ) -> Result<proto::User, Error> {
        let token = SecretToken::parse(&request.into_inner().token)
            .ok_or(Error::VerificationTokenInvalid)?;
        let user = self
            .tokens
            .verify_email(&token.hash())
            .await?
            .ok_or(Error::VerificationTokenInvalid)?;
        tracing::info!(user_id = %user.id, "email address verified");
        Ok(user_message(&user))
    }

    /// ResendVerificationEmail.
    pub(super) async fn resend_verification(
        &self,
        caller: &Principal,
        client: &str,
    ) -> Result<proto::ResendVerificationEmailResponse, Error> {
        let user = self
            .users
            .by_id(&caller.user_id)
            .await?
            .ok_or(Error::UnknownUser)?;
        if user.email_verified {
            return Err(Error::EmailAlreadyVerified);
        }
        // Each call mails the address, which anyone may have registered
        // with: throttled per address and per client like a reset, so an
        // account cannot be used to flood someone else's mailbox.
        self.throttle
            .attempt(&format!("verify:{}", user.email.as_str()), client)
            .map_err(Error::Throttled)?;
        self.tokens
            .resend_verification(&user, &SecretToken::generate())
            .await?;
        Ok(proto::ResendVerificationEmailResponse {})
    }

    /// UpdateProfile: the display name, checked as at registration.
    pub(super) async fn rename(
        &self,
        caller: &Principal,
        request: Request<proto::UpdateProfileRequest>,
    ) -> Result<proto::User, Error> {
        let name = domain::display_name(&request.into_inner().display_name)
            .map_err(|problem| Error::invalid("display_name", problem))?;
        let user = self
            .users
            .set_display_name(&caller.user_id, &name)
            .await?
            .ok_or(Error::UnknownUser)?;
        Ok(user_message(&user))
    }
}
