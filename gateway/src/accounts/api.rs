//! `shop.auth.v1.AuthService`: Register and Login (both throttled; one
//! answer for an unknown email and a wrong password), WhoAmI; the other
//! methods are served by [`super::sessions`], [`super::recovery`] and
//! [`super::verification`].

use contracts::{auth as proto, timestamp};
use platform::{
    auth::{Principal, Role, Signer},
    paging::PageTokens,
};
use tonic::{Request, Response, Status};

use super::{
    addresses::AddressBook,
    admin::UserAdmin,
    domain::{self, Email, Password, User},
    password,
    store::UserStore,
    throttle::LoginThrottle,
    token_store::{Session, TokenStore},
    tokens::SecretToken,
};
use crate::{client_address::ClientAddress, error::Error};

/// The AuthService implementation.
#[derive(Clone)]
pub struct AuthApi {
    pub(super) users: UserStore,
    pub(super) tokens: TokenStore,
    pub(super) signer: Signer,
    pub(super) throttle: LoginThrottle,
    admin: UserAdmin,
    addresses: AddressBook,
}

impl AuthApi {
    /// `page_tokens` sign ListUsers' page tokens.
    pub fn new(
        users: UserStore,
        signer: Signer,
        throttle: LoginThrottle,
        page_tokens: PageTokens,
    ) -> Self {
        Self {
            admin: UserAdmin::new(users.clone(), page_tokens),
            addresses: AddressBook::new(users.clone()),
            tokens: users.tokens(),
            users,
            signer,
            throttle,
        }
    }

    /// An access token for `user` and when it expires.
    pub(super) fn token(&self, user: &User) -> Result<(String, prost_types::Timestamp), Error> {
        let token = self
            .signer
            .sign(&user.id, user.role)
            .map_err(|e| Error::Internal(e.to_string()))?;
        let expires = time::OffsetDateTime::now_utc() + self.signer.ttl();
        Ok((token, timestamp::from_datetime(expires)))
    }

    /// Creates an admin, or makes an existing account an admin with this
    /// password (the bootstrap that needs no database editing).
    pub async fn ensure_admin(&self, email: &str, password: &str) -> Result<User, Error> {
        let email = Email::parse(email).map_err(|d| Error::invalid("admin email", d))?;
        let password =
            Password::parse(password).map_err(|d| Error::invalid("admin password", d))?;
        let hash = password::hash(password.expose().to_owned())
            .await
            .map_err(Error::Internal)?;
        match self.users.by_email(email.as_str()).await? {
            Some((user, _)) => {
                self.users
                    .set_role_and_password(&user.id, Role::Admin, &hash)
                    .await?;
                Ok(User {
                    role: Role::Admin,
                    ..user
                })
            }
            None => Ok(self
                .users
                .create(email.as_str(), &hash, "Admin", Role::Admin, None)
                .await?),
        }
    }

    /// Deletes up to `limit` expired token rows of each kind (the sweeper).
    pub async fn sweep_tokens(&self, limit: i64) -> Result<usize, Error> {
        Ok(self.tokens.sweep(limit).await?)
    }

    /// Whether the demo admin account is missing (it is created only then,
    /// so a changed demo password is not reset on every start).
    pub async fn has_no_admin(&self, email: &str) -> Result<bool, Error> {
        Ok(self.users.by_email(email).await?.is_none())
    }

    /// Creates a customer account unless the email is taken (demo data).
    pub async fn ensure_customer(
        &self,
        email: &str,
        password: &str,
        name: &str,
    ) -> Result<(), Error> {
        let email = Email::parse(email).map_err(|d| Error::invalid("email", d))?;
        if self.users.by_email(email.as_str()).await?.is_some() {
            return Ok(());
        }
        let hash = password::hash(password.to_owned())
            .await
            .map_err(Error::Internal)?;
        self.users
            .create(email.as_str(), &hash, name, Role::Customer, None)
            .await?;
        Ok(())
    }
}

/// The address a caller is limited by: the edge's (X-Forwarded-For behind a
/// trusted proxy), else the connection's.
pub(super) fn client_of<T>(request: &Request<T>) -> String {
    request
        .extensions()
        .get::<ClientAddress>()
        .map(|client| client.0)
        .or_else(|| request.remote_addr().map(|a| a.ip()))
        .map(|ip| ip.to_string())
        .unwrap_or_default()
}

/// A new login's refresh token, as the answers carry it.
pub(super) fn refresh_fields(session: &Session) -> (String, Option<prost_types::Timestamp>) {
    (
        session.token.expose().to_owned(),
        Some(timestamp::from_datetime(session.expires_at)),
    )
}

pub(super) fn user_message(user: &User) -> proto::User {
    proto::User {
        id: user.id.clone(),
        email: user.email.clone(),
        display_name: user.display_name.clone(),
        role: match user.role {
            Role::Admin => proto::Role::Admin,
            Role::Customer => proto::Role::Customer,
        }
        .into(),
        create_time: Some(timestamp::from_datetime(user.created_at)),
        email_verified: user.email_verified,
    }
}

#[tonic::async_trait]
impl proto::auth_service_server::AuthService for AuthApi {
    async fn register(
        &self,
        request: Request<proto::RegisterRequest>,
    ) -> Result<Response<proto::RegisterResponse>, Status> {
        let client = client_of(&request);
        let request = request.into_inner();
        let email = Email::parse(&request.email);
        let password = Password::parse(&request.password);
        let name = domain::display_name(&request.display_name);
        let violations: Vec<_> = [
            ("email", email.as_ref().err()),
            ("password", password.as_ref().err()),
            ("display_name", name.as_ref().err()),
        ]
        .into_iter()
        .filter_map(|(field, problem)| {
            problem.map(|d| platform::error::FieldViolation::new(field, d.clone()))
        })
        .collect();
        let (Ok(email), Ok(password), Ok(name)) = (email, password, name) else {
            return Err(Error::InvalidArgument(violations).into());
        };
        // ALREADY_EXISTS tells whether an address has an account: asked as
        // often as Login may be, it is no faster an oracle than Login.
        self.throttle
            .attempt(email.as_str(), &client)
            .map_err(Error::Throttled)?;

        let hash = password::hash(password.expose().to_owned())
            .await
            .map_err(Error::Internal)?;
        let verification = SecretToken::generate();
        let user = match self
            .users
            .create(
                email.as_str(),
                &hash,
                &name,
                Role::Customer,
                Some(&verification),
            )
            .await
            .map_err(Error::from)
        {
            Err(e) if e.is_unique_violation() => return Err(Error::EmailTaken.into()),
            other => other?,
        };
        tracing::info!(user_id = %user.id, "account registered");
        let (access_token, expire_time) = self.token(&user)?;
        let session = self
            .tokens
            .start_session(&user.id)
            .await
            .map_err(Error::from)?;
        let (refresh_token, refresh_expire_time) = refresh_fields(&session);
        Ok(Response::new(proto::RegisterResponse {
            user: Some(user_message(&user)),
            access_token,
            expire_time: Some(expire_time),
            refresh_token,
            refresh_expire_time,
        }))
    }

    async fn login(
        &self,
        request: Request<proto::LoginRequest>,
    ) -> Result<Response<proto::LoginResponse>, Status> {
        let client = client_of(&request);
        let request = request.into_inner();
        let email = request.email.trim().to_lowercase();
        self.throttle
            .attempt(&email, &client)
            .map_err(Error::Throttled)?;

        let found = self.users.by_email(&email).await.map_err(Error::from)?;
        let (user, stored) = match found {
            Some((user, hash)) => (Some(user), Some(hash)),
            None => (None, None),
        };
        let matches = password::verify(request.password, stored).await;
        let (true, Some(user)) = (matches, user) else {
            return Err(Error::InvalidCredentials.into());
        };
        let (access_token, expire_time) = self.token(&user)?;
        let session = self
            .tokens
            .start_session(&user.id)
            .await
            .map_err(Error::from)?;
        let (refresh_token, refresh_expire_time) = refresh_fields(&session);
        Ok(Response::new(proto::LoginResponse {
            access_token,
            expire_time: Some(expire_time),
            user: Some(user_message(&user)),
            refresh_token,
            refresh_expire_time,
        }))
    }

    async fn who_am_i(
        &self,
        request: Request<proto::WhoAmIRequest>,
    ) -> Result<Response<proto::User>, Status> {
        let caller = Principal::of(&request)?;
        let user = self
            .users
            .by_id(&caller.user_id)
            .await
            .map_err(Error::from)?
            .ok_or(Error::UnknownUser)?;
        Ok(Response::new(user_message(&user)))
    }

    async fn refresh_session(
        &self,
        request: Request<proto::RefreshSessionRequest>,
    ) -> Result<Response<proto::LoginResponse>, Status> {
        Ok(Response::new(self.refresh(request).await?))
    }

    async fn logout(
        &self,
        request: Request<proto::LogoutRequest>,
    ) -> Result<Response<proto::LogoutResponse>, Status> {
        Ok(Response::new(self.end_session(request).await?))
    }

    async fn change_password(
        &self,
        request: Request<proto::ChangePasswordRequest>,
    ) -> Result<Response<proto::ChangePasswordResponse>, Status> {
        let caller = Principal::of(&request)?;
        Ok(Response::new(self.set_password(&caller, request).await?))
    }

    async fn request_password_reset(
        &self,
        request: Request<proto::RequestPasswordResetRequest>,
    ) -> Result<Response<proto::RequestPasswordResetResponse>, Status> {
        Ok(Response::new(self.start_reset(request)?))
    }

    async fn reset_password(
        &self,
        request: Request<proto::ResetPasswordRequest>,
    ) -> Result<Response<proto::ResetPasswordResponse>, Status> {
        Ok(Response::new(self.finish_reset(request).await?))
    }

    async fn verify_email(
        &self,
        request: Request<proto::VerifyEmailRequest>,
    ) -> Result<Response<proto::User>, Status> {
        Ok(Response::new(self.verify(request).await?))
    }

    async fn resend_verification_email(
        &self,
        request: Request<proto::ResendVerificationEmailRequest>,
    ) -> Result<Response<proto::ResendVerificationEmailResponse>, Status> {
        let caller = Principal::of(&request)?;
        let client = client_of(&request);
        Ok(Response::new(
            self.resend_verification(&caller, &client).await?,
        ))
    }

    async fn update_profile(
        &self,
        request: Request<proto::UpdateProfileRequest>,
    ) -> Result<Response<proto::User>, Status> {
        let caller = Principal::of(&request)?;
        Ok(Response::new(self.rename(&caller, request).await?))
    }

    async fn list_users(
        &self,
        request: Request<proto::ListUsersRequest>,
    ) -> Result<Response<proto::ListUsersResponse>, Status> {
        self.admin.list_users(request).await
    }

    async fn get_user(
        &self,
        request: Request<proto::GetUserRequest>,
    ) -> Result<Response<proto::User>, Status> {
        self.admin.get_user(request).await
    }

    async fn batch_get_users(
        &self,
        request: Request<proto::BatchGetUsersRequest>,
    ) -> Result<Response<proto::BatchGetUsersResponse>, Status> {
        self.admin.batch_get_users(request).await
    }

    async fn set_user_role(
        &self,
        request: Request<proto::SetUserRoleRequest>,
    ) -> Result<Response<proto::User>, Status> {
        self.admin.set_user_role(request).await
    }

    async fn list_addresses(
        &self,
        request: Request<proto::ListAddressesRequest>,
    ) -> Result<Response<proto::ListAddressesResponse>, Status> {
        self.addresses.list_addresses(request).await
    }

    async fn create_address(
        &self,
        request: Request<proto::CreateAddressRequest>,
    ) -> Result<Response<proto::SavedAddress>, Status> {
        self.addresses.create_address(request).await
    }

    async fn update_address(
        &self,
        request: Request<proto::UpdateAddressRequest>,
    ) -> Result<Response<proto::SavedAddress>, Status> {
        self.addresses.update_address(request).await
    }

    async fn delete_address(
        &self,
        request: Request<proto::DeleteAddressRequest>,
    ) -> Result<Response<proto::DeleteAddressResponse>, Status> {
        self.addresses.delete_address(request).await
    }

    async fn set_default_address(
        &self,
        request: Request<proto::SetDefaultAddressRequest>,
    ) -> Result<Response<proto::SavedAddress>, Status> {
        self.addresses.set_default_address(request).await
    }
}
