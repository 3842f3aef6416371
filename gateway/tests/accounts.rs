//! Accounts that last, through the gateway's AuthService as a client calls
//! it: refresh tokens (rotation, reuse revoking the login, concurrency,
//! logout, expiry on the gateway's clock), ChangePassword, password reset
//! and email verification. The emails' tokens are read where the gateway
//! leaves them: the `accounts.account.email_requested` events of its outbox.

use std::time::Duration;

use contracts::{
    auth::{
        ChangePasswordRequest, LoginRequest, LoginResponse, LogoutRequest, RefreshSessionRequest,
        RegisterRequest, RegisterResponse, RequestPasswordResetRequest,
        ResendVerificationEmailRequest, ResetPasswordRequest, Role as ProtoRole,
        UpdateProfileRequest, VerifyEmailRequest, WhoAmIRequest,
        auth_service_client::AuthServiceClient,
    },
    events::{AccountEmailKind, event::Payload},
};
use gateway::{limits::Rate, routes};
use platform::{
    clock::Clock,
    events::types,
    testing::{
        TestAuth, TestDatabase, authorized, concurrently, eventually, execute_sql, outbox_events,
        reason, violated_fields,
    },
};
use tonic::{Code, Status, transport::Channel};

/// A loopback port nothing listens on.
const NOWHERE: &str = "http://127.0.0.1:1";
const PASSWORD: &str = "correct horse battery";
const NEW_PASSWORD: &str = "a brand new passphrase";
const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// A gateway on a throwaway database with a manual clock.
struct Accounts {
    client: AuthServiceClient<Channel>,
    clock: Clock,
    database: TestDatabase,
}

/// Limits no test reaches unless it means to.
const GENEROUS: Rate = Rate {
    per_second: 1000.0,
    burst: 1000,
};

impl Accounts {
    async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    async fn start_with(configure: impl FnOnce(&mut gateway::Config)) -> Self {
        let database = TestDatabase::new().await;
        let auth = TestAuth::new();
        let backends = routes::backends()
            .into_iter()
            .map(|name| (name, NOWHERE.to_owned()));
        let mut config = gateway::Config::new(
            database.url(),
            auth.gateway_signer(),
            auth.verifier(),
            backends,
        );
        let clock = Clock::manual(time::OffsetDateTime::now_utc());
        config.common.clock = clock.clone();
        config.sign_in_rate = GENEROUS;
        config.login_per_account = GENEROUS;
        configure(&mut config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(gateway::serve(config, listener, std::future::pending()));
        let channel = tonic::transport::Endpoint::from_shared(url)
            .expect("url")
            .connect()
            .await
            .expect("connect");
        Self {
            client: AuthServiceClient::new(channel),
            clock,
            database,
        }
    }

    fn client(&self) -> AuthServiceClient<Channel> {
        self.client.clone()
    }

    async fn register(&self, email: &str) -> RegisterResponse {
        self.try_register(email).await.expect("registered")
    }

    async fn try_register(&self, email: &str) -> Result<RegisterResponse, Status> {
        self.client()
            .register(RegisterRequest {
                email: email.into(),
                password: PASSWORD.into(),
                display_name: "Ada".into(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn login(&self, email: &str, password: &str) -> Result<LoginResponse, Status> {
        self.client()
            .login(LoginRequest {
                email: email.into(),
                password: password.into(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn refresh(&self, token: &str) -> Result<LoginResponse, Status> {
        self.client()
            .refresh_session(RefreshSessionRequest {
                refresh_token: token.into(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn logout(&self, token: &str) -> Result<(), Status> {
        self.client()
            .logout(LogoutRequest {
                refresh_token: token.into(),
            })
            .await
            .map(|_| ())
    }

    async fn change_password(
        &self,
        access: &str,
        current: &str,
        new: &str,
        own_refresh: &str,
    ) -> Result<(), Status> {
        self.client()
            .change_password(authorized(
                ChangePasswordRequest {
                    current_password: current.into(),
                    new_password: new.into(),
                    refresh_token: own_refresh.into(),
                },
                access,
            ))
            .await
            .map(|_| ())
    }

    async fn request_reset(&self, email: &str) -> Result<(), Status> {
        self.client()
            .request_password_reset(RequestPasswordResetRequest {
                email: email.into(),
            })
            .await
            .map(|_| ())
    }

    async fn reset(&self, token: &str, new: &str) -> Result<(), Status> {
        self.client()
            .reset_password(ResetPasswordRequest {
                token: token.into(),
                new_password: new.into(),
            })
            .await
            .map(|_| ())
    }

    async fn verify(&self, token: &str) -> Result<contracts::auth::User, Status> {
        self.client()
            .verify_email(VerifyEmailRequest {
                token: token.into(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    async fn resend(&self, access: &str) -> Result<(), Status> {
        self.client()
            .resend_verification_email(authorized(ResendVerificationEmailRequest {}, access))
            .await
            .map(|_| ())
    }

    async fn who_am_i(&self, access: &str) -> contracts::auth::User {
        self.client()
            .who_am_i(authorized(WhoAmIRequest {}, access))
            .await
            .expect("who am I")
            .into_inner()
    }

    /// The emails asked for `user_id`, of `kind`, oldest first, as (token,
    /// display name) pairs.
    async fn emails(&self, user_id: &str, kind: AccountEmailKind) -> Vec<(String, String)> {
        outbox_events(self.database.url())
            .await
            .into_iter()
            .filter(|e| e.r#type == types::ACCOUNT_EMAIL_REQUESTED)
            .filter_map(|e| match e.payload {
                Some(Payload::AccountEmail(email))
                    if email.user_id == user_id && email.kind() == kind =>
                {
                    Some((email.token, email.display_name))
                }
                _ => None,
            })
            .collect()
    }

    /// Every account email in the outbox, of any user.
    async fn all_emails(&self) -> usize {
        outbox_events(self.database.url())
            .await
            .iter()
            .filter(|e| e.r#type == types::ACCOUNT_EMAIL_REQUESTED)
            .count()
    }

    /// The token of the newest email of `kind` to `user_id`, once it is
    /// in the outbox (a reset link is written after the answer).
    async fn newest_token(&self, user_id: &str, kind: AccountEmailKind, count: usize) -> String {
        eventually("the email is asked for", || async {
            self.emails(user_id, kind).await.len() >= count
        })
        .await;
        let emails = self.emails(user_id, kind).await;
        emails.last().expect("an email").0.clone()
    }
}

fn user_id(registered: &RegisterResponse) -> String {
    registered.user.as_ref().expect("a user").id.clone()
}

#[track_caller]
fn refused<T: std::fmt::Debug>(result: Result<T, Status>, code: Code, why: &str) {
    let status = result.expect_err("refused");
    assert_eq!(status.code(), code, "{status:?}");
    assert_eq!(reason(&status), why, "{status:?}");
}

// Refresh tokens.

#[tokio::test]
async fn registering_and_logging_in_hand_out_refresh_tokens_for_30_days() {
    let accounts = Accounts::start().await;
    let registered = accounts.register("ada@example.com").await;
    assert_eq!(registered.refresh_token.len(), 43);
    let login = accounts
        .login("ada@example.com", PASSWORD)
        .await
        .expect("login");
    assert_eq!(login.refresh_token.len(), 43);
    assert_ne!(login.refresh_token, registered.refresh_token);
    let now = accounts.clock.now().unix_timestamp();
    let expires = login.refresh_expire_time.expect("an expiry").seconds;
    assert_eq!(expires - now, 30 * 24 * 60 * 60);
}

#[tokio::test]
async fn a_refresh_spends_the_token_and_carries_the_current_role() {
    let accounts = Accounts::start().await;
    let registered = accounts.register("ada@example.com").await;
    execute_sql(
        accounts.database.url(),
        &format!(
            "UPDATE users SET role = 'admin' WHERE id = '{}'",
            user_id(&registered)
        ),
    )
    .await;

    let refreshed = accounts
        .refresh(&registered.refresh_token)
        .await
        .expect("refreshed");
    assert_ne!(refreshed.refresh_token, registered.refresh_token);
    assert!(!refreshed.access_token.is_empty());
    let user = refreshed.user.expect("the user");
    assert_eq!(user.role(), ProtoRole::Admin);
    assert_eq!(accounts.who_am_i(&refreshed.access_token).await.id, user.id);

    let again = accounts
        .refresh(&refreshed.refresh_token)
        .await
        .expect("the successor works in turn");
    assert_ne!(again.refresh_token, refreshed.refresh_token);
}

#[tokio::test]
async fn a_spent_token_presented_again_revokes_every_token_of_its_login() {
    let accounts = Accounts::start().await;
    let registered = accounts.register("ada@example.com").await;
    let other_login = accounts
        .login("ada@example.com", PASSWORD)
        .await
        .expect("login");
    let stolen = registered.refresh_token.clone();
    let rotated = accounts.refresh(&stolen).await.expect("refreshed");

    refused(
        accounts.refresh(&stolen).await,
        Code::Unauthenticated,
        "REFRESH_TOKEN_REUSED",
    );
    refused(
        accounts.refresh(&rotated.refresh_token).await,
        Code::Unauthenticated,
        "REFRESH_TOKEN_INVALID",
    );
    refused(
        accounts.refresh(&stolen).await,
        Code::Unauthenticated,
        "REFRESH_TOKEN_INVALID",
    );
    accounts
        .refresh(&other_login.refresh_token)
        .await
        .expect("another login of the user is not touched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_20_concurrent_refreshes_with_one_token_exactly_one_succeeds() {
    let accounts = Accounts::start().await;
    let token = accounts.register("ada@example.com").await.refresh_token;
    let client = accounts.client();
    let results = concurrently(20, |_| {
        let (mut client, token) = (client.clone(), token.clone());
        async move {
            client
                .refresh_session(RefreshSessionRequest {
                    refresh_token: token,
                })
                .await
        }
    })
    .await;
    let winners: Vec<_> = results.iter().filter(|r| r.is_ok()).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    for lost in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(lost.code(), Code::Unauthenticated, "{lost:?}");
        assert!(
            ["REFRESH_TOKEN_REUSED", "REFRESH_TOKEN_INVALID"].contains(&reason(lost).as_str()),
            "{lost:?}"
        );
    }
}

#[tokio::test]
async fn logout_ends_the_login_and_is_idempotent() {
    let accounts = Accounts::start().await;
    let registered = accounts.register("ada@example.com").await;
    let rotated = accounts
        .refresh(&registered.refresh_token)
        .await
        .expect("refreshed");

    accounts
        .logout(&rotated.refresh_token)
        .await
        .expect("logged out");
    refused(
        accounts.refresh(&rotated.refresh_token).await,
        Code::Unauthenticated,
        "REFRESH_TOKEN_INVALID",
    );
    accounts
        .logout(&rotated.refresh_token)
        .await
        .expect("twice is fine");
    accounts
        .logout(&registered.refresh_token)
        .await
        .expect("a spent token of the login is fine");
    accounts.logout("garbage").await.expect("garbage is fine");
    accounts
        .logout(&"x".repeat(100_000))
        .await
        .expect("a huge token is fine");
}

#[tokio::test]
async fn a_refresh_token_lasts_30_days_from_its_issue() {
    let accounts = Accounts::start().await;
    let registered = accounts.register("ada@example.com").await;
    let kept = accounts
        .login("ada@example.com", PASSWORD)
        .await
        .expect("login");

    accounts.clock.advance(29 * DAY);
    let renewed = accounts
        .refresh(&kept.refresh_token)
        .await
        .expect("alive on day 29");
    accounts.clock.advance(DAY + Duration::from_secs(1));
    refused(
        accounts.refresh(&registered.refresh_token).await,
        Code::Unauthenticated,
        "REFRESH_TOKEN_INVALID",
    );
    accounts
        .refresh(&renewed.refresh_token)
        .await
        .expect("a renewed token lasts 30 days from its renewal");
}

#[tokio::test]
async fn unknown_and_malformed_refresh_tokens_are_invalid() {
    let accounts = Accounts::start().await;
    for token in [
        String::new(),
        "garbage".into(),
        "A".repeat(43),
        "é".repeat(43),
        "x".repeat(1_000_000),
    ] {
        refused(
            accounts.refresh(&token).await,
            Code::Unauthenticated,
            "REFRESH_TOKEN_INVALID",
        );
    }
}

#[tokio::test]
async fn a_deleted_user_cannot_refresh() {
    let accounts = Accounts::start().await;
    let registered = accounts.register("ada@example.com").await;
    execute_sql(
        accounts.database.url(),
        &format!("DELETE FROM users WHERE id = '{}'", user_id(&registered)),
    )
    .await;
    refused(
        accounts.refresh(&registered.refresh_token).await,
        Code::Unauthenticated,
        "REFRESH_TOKEN_INVALID",
    );
}

#[tokio::test]
async fn expired_tokens_are_swept() {
    let database = TestDatabase::new().await;
    let db = platform::db::Db::connect(database.url(), 1, gateway::accounts::store::migrations())
        .await
        .expect("database");
    let clock = Clock::manual(time::OffsetDateTime::now_utc());
    let users = gateway::accounts::store::UserStore::new(db, clock.clone());
    let user = users
        .create(
            "ada@example.com",
            "hash",
            "Ada",
            platform::auth::Role::Customer,
            None,
        )
        .await
        .expect("user");
    let tokens = users.tokens();
    tokens.start_session(&user.id).await.expect("session");
    assert_eq!(tokens.sweep(100).await.expect("sweep"), 0, "nothing due");
    clock.advance(31 * DAY);
    assert_eq!(tokens.sweep(100).await.expect("sweep"), 1, "the login");
    assert_eq!(tokens.sweep(100).await.expect("sweep"), 0, "gone");
}

// ChangePassword.

#[tokio::test]
async fn a_wrong_current_password_is_refused_and_throttled() {
    let accounts = Accounts::start_with(|config| {
        config.login_per_account = Rate {
            per_second: 0.001,
            burst: 3,
        };
    })
    .await;
    let registered = accounts.register("ada@example.com").await;
    let access = &registered.access_token;
    for _ in 0..2 {
        refused(
            accounts
                .change_password(access, "wrong password!", NEW_PASSWORD, "")
                .await,
            Code::PermissionDenied,
            "WRONG_PASSWORD",
        );
    }
    let status = accounts
        .change_password(access, PASSWORD, NEW_PASSWORD, "")
        .await
        .expect_err("throttled, even with the right password");
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    accounts
        .login("ada@example.com", PASSWORD)
        .await
        .expect_err("the account's login budget is spent too");
}

#[tokio::test]
async fn a_new_password_must_meet_the_policy() {
    let accounts = Accounts::start().await;
    let registered = accounts.register("ada@example.com").await;
    let status = accounts
        .change_password(&registered.access_token, PASSWORD, "short", "")
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&status), ["new_password"]);
    accounts
        .login("ada@example.com", PASSWORD)
        .await
        .expect("the password is unchanged");
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions_but_not_ones_own() {
    let accounts = Accounts::start().await;
    let registered = accounts.register("ada@example.com").await;
    let elsewhere = accounts
        .login("ada@example.com", PASSWORD)
        .await
        .expect("login");
    let own = accounts
        .refresh(&registered.refresh_token)
        .await
        .expect("refreshed");

    accounts
        .change_password(
            &own.access_token,
            PASSWORD,
            NEW_PASSWORD,
            &own.refresh_token,
        )
        .await
        .expect("changed");
    refused(
        accounts.refresh(&elsewhere.refresh_token).await,
        Code::Unauthenticated,
        "REFRESH_TOKEN_INVALID",
    );
    accounts
        .refresh(&own.refresh_token)
        .await
        .expect("the caller's own session goes on");
    accounts
        .login("ada@example.com", PASSWORD)
        .await
        .expect_err("the old password is gone");
    accounts
        .login("ada@example.com", NEW_PASSWORD)
        .await
        .expect("the new one works");
    assert_eq!(
        accounts
            .emails(&user_id(&registered), AccountEmailKind::PasswordChanged)
            .await,
        [(String::new(), "Ada".to_owned())],
        "the user is told, with no token"
    );
}

#[tokio::test]
async fn another_users_refresh_token_keeps_nothing_alive() {
    let accounts = Accounts::start().await;
    let ada = accounts.register("ada@example.com").await;
    let bob = accounts.register("bob@example.com").await;
    accounts
        .change_password(
            &ada.access_token,
            PASSWORD,
            NEW_PASSWORD,
            &bob.refresh_token,
        )
        .await
        .expect("changed");
    refused(
        accounts.refresh(&ada.refresh_token).await,
        Code::Unauthenticated,
        "REFRESH_TOKEN_INVALID",
    );
    accounts
        .refresh(&bob.refresh_token)
        .await
        .expect("bob's session is not ada's to end");
}

// Password reset.

#[tokio::test]
async fn a_reset_request_answers_alike_for_known_and_unknown_addresses() {
    let accounts = Accounts::start().await;
    let registered = accounts.register("ada@example.com").await;
    let before = accounts.all_emails().await;

    let known = accounts
        .client()
        .request_password_reset(RequestPasswordResetRequest {
            email: " Ada@Example.com ".into(),
        })
        .await
        .expect("OK");
    let unknown = accounts
        .client()
        .request_password_reset(RequestPasswordResetRequest {
            email: "nobody@example.com".into(),
        })
        .await
        .expect("OK");
    assert_eq!(known.get_ref(), unknown.get_ref());
    let token = accounts
        .newest_token(&user_id(&registered), AccountEmailKind::PasswordReset, 1)
        .await;
    assert_eq!(token.len(), 43);
    assert_eq!(
        accounts.all_emails().await,
        before + 1,
        "one email, for the account only"
    );
    let status = accounts
        .request_reset("not an address")
        .await
        .expect_err("refused");
    assert_eq!(violated_fields(&status), ["email"]);
}

#[tokio::test]
async fn reset_requests_are_throttled_per_address() {
    let accounts = Accounts::start_with(|config| {
        config.login_per_account = Rate {
            per_second: 0.001,
            burst: 2,
        };
    })
    .await;
    for _ in 0..2 {
        accounts
            .request_reset("nobody@example.com")
            .await
            .expect("OK");
    }
    let status = accounts
        .request_reset("nobody@example.com")
        .await
        .expect_err("throttled");
    assert_eq!(status.code(), Code::ResourceExhausted);
    accounts
        .request_reset("somebody@example.com")
        .await
        .expect("another address has its own budget");
}

#[tokio::test]
async fn a_reset_token_sets_the_password_once_and_ends_every_session() {
    let accounts = Accounts::start().await;
    let registered = accounts.register("ada@example.com").await;
    let user = user_id(&registered);
    accounts.request_reset("ada@example.com").await.expect("OK");
    let token = accounts
        .newest_token(&user, AccountEmailKind::PasswordReset, 1)
        .await;

    let status = accounts
        .reset(&token, "short")
        .await
        .expect_err("the policy holds");
    assert_eq!(violated_fields(&status), ["new_password"]);

    let client = accounts.client();
    let results = concurrently(20, |_| {
        let (mut client, token) = (client.clone(), token.clone());
        async move {
            client
                .reset_password(ResetPasswordRequest {
                    token,
                    new_password: NEW_PASSWORD.into(),
                })
                .await
        }
    })
    .await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    for lost in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(reason(lost), "RESET_TOKEN_INVALID", "{lost:?}");
    }
    refused(
        accounts.reset(&token, "yet another passphrase").await,
        Code::FailedPrecondition,
        "RESET_TOKEN_INVALID",
    );
    refused(
        accounts.refresh(&registered.refresh_token).await,
        Code::Unauthenticated,
        "REFRESH_TOKEN_INVALID",
    );
    accounts
        .login("ada@example.com", NEW_PASSWORD)
        .await
        .expect("the new password works");
    assert_eq!(
        accounts
            .emails(&user, AccountEmailKind::PasswordChanged)
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn a_reset_token_expires_after_30_minutes() {
    let accounts = Accounts::start().await;
    let user = user_id(&accounts.register("ada@example.com").await);
    accounts.request_reset("ada@example.com").await.expect("OK");
    let token = accounts
        .newest_token(&user, AccountEmailKind::PasswordReset, 1)
        .await;
    accounts.clock.advance(Duration::from_secs(30 * 60));
    refused(
        accounts.reset(&token, NEW_PASSWORD).await,
        Code::FailedPrecondition,
        "RESET_TOKEN_INVALID",
    );
    accounts
        .login("ada@example.com", PASSWORD)
        .await
        .expect("the password is unchanged");
}

#[tokio::test]
async fn a_new_reset_request_voids_the_older_link() {
    let accounts = Accounts::start().await;
    let user = user_id(&accounts.register("ada@example.com").await);
    accounts.request_reset("ada@example.com").await.expect("OK");
    let first = accounts
        .newest_token(&user, AccountEmailKind::PasswordReset, 1)
        .await;
    accounts.request_reset("ada@example.com").await.expect("OK");
    let second = accounts
        .newest_token(&user, AccountEmailKind::PasswordReset, 2)
        .await;
    assert_ne!(first, second);
    refused(
        accounts.reset(&first, NEW_PASSWORD).await,
        Code::FailedPrecondition,
        "RESET_TOKEN_INVALID",
    );
    accounts
        .reset(&second, NEW_PASSWORD)
        .await
        .expect("the newest link works");
    for garbage in ["", "garbage", &"A".repeat(43)] {
        refused(
            accounts.reset(garbage, NEW_PASSWORD).await,
            Code::FailedPrecondition,
            "RESET_TOKEN_INVALID",
        );
    }
}

// Email verification and the profile.

#[tokio::test]
async fn the_registration_email_verifies_the_address_once() {
    let accounts = Accounts::start().await;
    let registered = accounts.register("ada@example.com").await;
    let user = user_id(&registered);
    assert!(!registered.user.as_ref().expect("user").email_verified);
    let emails = accounts.emails(&user, AccountEmailKind::VerifyEmail).await;
    assert_eq!(emails.len(), 1, "asked with the account");
    let (token, name) = emails[0].clone();
    assert_eq!(name, "Ada");

    let verified = accounts.verify(&token).await.expect("verified");
    assert!(verified.email_verified);
    assert_eq!(verified.id, user);
    assert!(
        accounts
            .who_am_i(&registered.access_token)
            .await
            .email_verified
    );
    refused(
        accounts.verify(&token).await,
        Code::FailedPrecondition,
        "VERIFICATION_TOKEN_INVALID",
    );
    refused(
        accounts.resend(&registered.access_token).await,
        Code::FailedPrecondition,
        "EMAIL_ALREADY_VERIFIED",
    );
    let login = accounts
        .login("ada@example.com", PASSWORD)
        .await
        .expect("login");
    assert!(login.user.expect("user").email_verified);
}

#[tokio::test]
async fn resending_the_verification_email_is_throttled_per_address() {
    let accounts = Accounts::start_with(|config| {
        config.login_per_account = Rate {
            per_second: 0.001,
            burst: 2,
        };
    })
    .await;
    let registered = accounts.register("ada@example.com").await;
    for _ in 0..2 {
        accounts
            .resend(&registered.access_token)
            .await
            .expect("resent");
    }
    let status = accounts
        .resend(&registered.access_token)
        .await
        .expect_err("throttled");
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    let user = user_id(&registered);
    accounts
        .newest_token(&user, AccountEmailKind::VerifyEmail, 3)
        .await;
    assert_eq!(
        accounts
            .emails(&user, AccountEmailKind::VerifyEmail)
            .await
            .len(),
        3,
        "the registration's email and two resent, none for the refused call"
    );
    let other = accounts.register("grace@example.com").await;
    accounts
        .resend(&other.access_token)
        .await
        .expect("another address has its own budget");
}

#[tokio::test]
async fn a_resent_email_voids_the_previous_link() {
    let accounts = Accounts::start().await;
    let registered = accounts.register("ada@example.com").await;
    let user = user_id(&registered);
    let first = accounts
        .newest_token(&user, AccountEmailKind::VerifyEmail, 1)
        .await;
    accounts
        .resend(&registered.access_token)
        .await
        .expect("resent");
    let second = accounts
        .newest_token(&user, AccountEmailKind::VerifyEmail, 2)
        .await;
    refused(
        accounts.verify(&first).await,
        Code::FailedPrecondition,
        "VERIFICATION_TOKEN_INVALID",
    );
    assert!(
        accounts
            .verify(&second)
            .await
            .expect("verified")
            .email_verified
    );
}

#[tokio::test]
async fn a_verification_link_lasts_7_days() {
    let accounts = Accounts::start().await;
    let registered = accounts.register("ada@example.com").await;
    let token = accounts
        .newest_token(&user_id(&registered), AccountEmailKind::VerifyEmail, 1)
        .await;
    accounts.clock.advance(7 * DAY);
    refused(
        accounts.verify(&token).await,
        Code::FailedPrecondition,
        "VERIFICATION_TOKEN_INVALID",
    );
    assert!(
        !accounts
            .who_am_i(&registered.access_token)
            .await
            .email_verified
    );
}

#[tokio::test]
async fn the_display_name_changes_under_the_registration_rules() {
    let accounts = Accounts::start().await;
    let registered = accounts.register("ada@example.com").await;
    let renamed = accounts
        .client()
        .update_profile(authorized(
            UpdateProfileRequest {
                display_name: "  Ada Lovelace ".into(),
            },
            &registered.access_token,
        ))
        .await
        .expect("renamed")
        .into_inner();
    assert_eq!(renamed.display_name, "Ada Lovelace");
    assert_eq!(
        accounts
            .who_am_i(&registered.access_token)
            .await
            .display_name,
        "Ada Lovelace"
    );
    for bad in [String::new(), "x".repeat(101), "a\u{0}b".into()] {
        let status = accounts
            .client()
            .update_profile(authorized(
                UpdateProfileRequest { display_name: bad },
                &registered.access_token,
            ))
            .await
            .expect_err("refused");
        assert_eq!(violated_fields(&status), ["display_name"]);
    }
}

// Enumeration.

#[tokio::test]
async fn registering_is_throttled_per_address_like_login() {
    let accounts = Accounts::start_with(|config| {
        config.login_per_account = Rate {
            per_second: 0.001,
            burst: 2,
        };
    })
    .await;
    accounts.register("ada@example.com").await;
    let taken = accounts
        .try_register("ada@example.com")
        .await
        .expect_err("taken");
    assert_eq!(taken.code(), Code::AlreadyExists);
    let throttled = accounts
        .try_register("ada@example.com")
        .await
        .expect_err("throttled");
    assert_eq!(throttled.code(), Code::ResourceExhausted, "{throttled:?}");
}
