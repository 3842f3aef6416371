//! `shop.auth.v1.AuthService`: Register, Login (throttled; one answer for an
//! unknown email and a wrong password) and WhoAmI.

use contracts::{auth as proto, timestamp};
use platform::{
    auth::{Principal, Role, Signer},
    paging::PageTokens,
};
use tonic::{Request, Response, Status};

use super::{
    admin::UserAdmin,
    domain::{self, Email, Password, User},
    password,
    store::UserStore,
    throttle::LoginThrottle,
};
use crate::{client_address::ClientAddress, error::Error};

/// The AuthService implementation.
#[derive(Clone)]
pub struct AuthApi {
    users: UserStore,
    signer: Signer,
    throttle: LoginThrottle,
    admin: UserAdmin,
}

impl AuthApi {
    /// `tokens` sign ListUsers' page tokens.
    pub fn new(
        users: UserStore,
        signer: Signer,
        throttle: LoginThrottle,
        tokens: PageTokens,
    ) -> Self {
        Self {
            admin: UserAdmin::new(users.clone(), tokens),
            users,
            signer,
            throttle,
        }
    }

    /// An access token for `user` and when it expires.
    fn token(&self, user: &User) -> Result<(String, prost_types::Timestamp), Error> {
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
                .create(email.as_str(), &hash, "Admin", Role::Admin)
                .await?),
        }
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
            .create(email.as_str(), &hash, name, Role::Customer)
            .await?;
        Ok(())
    }
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
        email_verified: false,
    }
}

#[tonic::async_trait]
impl proto::auth_service_server::AuthService for AuthApi {
    async fn register(
        &self,
        request: Request<proto::RegisterRequest>,
    ) -> Result<Response<proto::RegisterResponse>, Status> {
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

        let hash = password::hash(password.expose().to_owned())
            .await
            .map_err(Error::Internal)?;
        let user = match self
            .users
            .create(email.as_str(), &hash, &name, Role::Customer)
            .await
            .map_err(Error::from)
        {
            Err(e) if e.is_unique_violation() => return Err(Error::EmailTaken.into()),
            other => other?,
        };
        tracing::info!(user_id = %user.id, "account registered");
        let (access_token, expire_time) = self.token(&user)?;
        Ok(Response::new(proto::RegisterResponse {
            user: Some(user_message(&user)),
            access_token,
            expire_time: Some(expire_time),
            refresh_token: String::new(),
            refresh_expire_time: None,
        }))
    }

    async fn login(
        &self,
        request: Request<proto::LoginRequest>,
    ) -> Result<Response<proto::LoginResponse>, Status> {
        // The address the edge limits by (X-Forwarded-For behind a trusted proxy).
        let client = request
            .extensions()
            .get::<ClientAddress>()
            .map(|client| client.0)
            .or_else(|| request.remote_addr().map(|a| a.ip()))
            .map(|ip| ip.to_string())
            .unwrap_or_default();
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
        Ok(Response::new(proto::LoginResponse {
            access_token,
            expire_time: Some(expire_time),
            user: Some(user_message(&user)),
            refresh_token: String::new(),
            refresh_expire_time: None,
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
        _request: Request<proto::RefreshSessionRequest>,
    ) -> Result<Response<proto::LoginResponse>, Status> {
        Err(Status::unimplemented(
            "refresh_session: contract only, built next",
        ))
    }

    async fn logout(
        &self,
        _request: Request<proto::LogoutRequest>,
    ) -> Result<Response<proto::LogoutResponse>, Status> {
        Err(Status::unimplemented("logout: contract only, built next"))
    }

    async fn change_password(
        &self,
        _request: Request<proto::ChangePasswordRequest>,
    ) -> Result<Response<proto::ChangePasswordResponse>, Status> {
        Err(Status::unimplemented(
            "change_password: contract only, built next",
        ))
    }

    async fn request_password_reset(
        &self,
        _request: Request<proto::RequestPasswordResetRequest>,
    ) -> Result<Response<proto::RequestPasswordResetResponse>, Status> {
        Err(Status::unimplemented(
            "request_password_reset: contract only, built next",
        ))
    }

    async fn reset_password(
        &self,
        _request: Request<proto::ResetPasswordRequest>,
    ) -> Result<Response<proto::ResetPasswordResponse>, Status> {
        Err(Status::unimplemented(
            "reset_password: contract only, built next",
        ))
    }

    async fn verify_email(
        &self,
        _request: Request<proto::VerifyEmailRequest>,
    ) -> Result<Response<proto::User>, Status> {
        Err(Status::unimplemented(
            "verify_email: contract only, built next",
        ))
    }

    async fn resend_verification_email(
        &self,
        _request: Request<proto::ResendVerificationEmailRequest>,
    ) -> Result<Response<proto::ResendVerificationEmailResponse>, Status> {
        Err(Status::unimplemented(
            "resend_verification_email: contract only, built next",
        ))
    }

    async fn update_profile(
        &self,
        _request: Request<proto::UpdateProfileRequest>,
    ) -> Result<Response<proto::User>, Status> {
        Err(Status::unimplemented(
            "update_profile: contract only, built next",
        ))
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
}
