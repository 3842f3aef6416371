//! Per-method access rules and the tower layer that enforces them on every
//! call before any handler runs.
//!
//! A method absent from the policy is UNIMPLEMENTED: forgetting a rule closes
//! a method instead of opening it. Health and reflection are always open.

use std::{
    collections::HashMap,
    sync::Arc,
    task::{Context, Poll},
};

use http::{Request, Response};
use tonic::{Code, Status, body::Body};
use tower::{Layer, Service};

use super::{AuthError, Principal, Role, Verifier};
use crate::error;

/// Who may call one method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without a token.
    Public,
    /// Callers matching at least one grant.
    Only(Vec<Grant>),
}

/// One kind of caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    /// A user with this role, calling with a token from the user issuer.
    User(Role),
    /// The named service (token issuer), acting for any user.
    Service(String),
}

/// Access rules by full gRPC method path (`/package.Service/Method`).
#[derive(Debug, Clone, Default)]
pub struct Policy {
    methods: HashMap<String, Access>,
}

impl Policy {
    /// An empty policy: every method closed.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets who may call `method` of `service` (a fully qualified service name).
    pub fn rule(mut self, service: &str, method: &str, access: Access) -> Self {
        self.methods.insert(format!("/{service}/{method}"), access);
        self
    }

    /// The rule for a method path, if there is one.
    pub fn access(&self, path: &str) -> Option<&Access> {
        self.methods.get(path)
    }

    /// Every method path with a rule.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.methods.keys().map(String::as_str)
    }

    /// Decides a call to `path` carrying `authorization` (the header value).
    pub fn authorize(
        &self,
        verifier: &Verifier,
        path: &str,
        authorization: Option<&str>,
    ) -> Result<Option<Principal>, Status> {
        if is_always_open(path) {
            return Ok(None);
        }
        let grants = match self.access(path) {
            // The path is the client's text: not echoed back.
            None => {
                return Err(error::with_reason(
                    Code::Unimplemented,
                    "UNIMPLEMENTED",
                    "no such method",
                    [],
                ));
            }
            Some(Access::Public) => return Ok(None),
            Some(Access::Only(grants)) => grants,
        };
        let principal = Verifier::bearer(authorization)
            .and_then(|token| verifier.verify(token))
            .map_err(unauthenticated)?;
        if grants.iter().any(|grant| grant.admits(&principal)) {
            Ok(Some(principal))
        } else {
            Err(error::with_reason(
                Code::PermissionDenied,
                "PERMISSION_DENIED",
                "the caller may not call this method",
                [],
            ))
        }
    }
}

impl Grant {
    fn admits(&self, principal: &Principal) -> bool {
        match (self, &principal.service) {
            (Grant::User(role), None) => principal.role == *role,
            (Grant::Service(name), Some(service)) => name == service,
            _ => false,
        }
    }
}

fn is_always_open(path: &str) -> bool {
    path.starts_with("/grpc.health.v1.Health/")
        || path.starts_with("/grpc.reflection.v1.ServerReflection/")
        || path.starts_with("/grpc.reflection.v1alpha.ServerReflection/")
}

fn unauthenticated(err: AuthError) -> Status {
    let reason = match err {
        AuthError::MissingToken => "TOKEN_MISSING",
        AuthError::MalformedHeader => "TOKEN_MALFORMED",
        AuthError::UntrustedIssuer => "TOKEN_UNTRUSTED_ISSUER",
        AuthError::Expired => "TOKEN_EXPIRED",
        AuthError::Invalid | AuthError::BadKey(_) | AuthError::Signing => "TOKEN_INVALID",
    };
    error::with_reason(Code::Unauthenticated, reason, err.to_string(), [])
}

/// Tower layer that authorizes every call against a [`Policy`] and puts the
/// caller's [`Principal`] in the request extensions.
#[derive(Clone)]
pub struct AuthLayer {
    policy: Arc<Policy>,
    verifier: Verifier,
}

impl AuthLayer {
    pub fn new(policy: Policy, verifier: Verifier) -> Self {
        Self {
            policy: Arc::new(policy),
            verifier,
        }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`AuthLayer`] wraps around the routes.
#[derive(Clone)]
pub struct AuthService<S> {
    inner: S,
    layer: AuthLayer,
}

impl<S, ReqBody> Service<Request<ReqBody>> for AuthService<S>
where
    S: Service<Request<ReqBody>, Response = Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = futures_util::future::Either<
        S::Future,
        std::future::Ready<Result<Response<Body>, S::Error>>,
    >;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let authorization = request
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok());
        let decision =
            self.layer
                .policy
                .authorize(&self.layer.verifier, request.uri().path(), authorization);
        match decision {
            Ok(principal) => {
                if let Some(principal) = principal {
                    request.extensions_mut().insert(principal);
                }
                futures_util::future::Either::Left(self.inner.call(request))
            }
            Err(status) => {
                futures_util::future::Either::Right(std::future::ready(Ok(status.into_http())))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::auth::{KeyPair, Signer};

    const SVC: &str = "shop.test.v1.TestService";

    struct Fixture {
        policy: Policy,
        verifier: Verifier,
        gateway: Signer,
        orders: Signer,
    }

    fn fixture() -> Fixture {
        let gw_keys = KeyPair::generate().expect("keys");
        let orders_keys = KeyPair::generate().expect("keys");
        let ttl = Duration::from_secs(60);
        Fixture {
            policy: Policy::new()
                .rule(SVC, "Read", Access::Public)
                .rule(SVC, "Write", Access::Only(vec![Grant::User(Role::Admin)]))
                .rule(
                    SVC,
                    "Reserve",
                    Access::Only(vec![
                        Grant::Service("orders".into()),
                        Grant::User(Role::Admin),
                    ]),
                ),
            verifier: Verifier::new("gw", "shop")
                .trust("gw", &gw_keys.public_pem)
                .and_then(|v| v.trust("orders", &orders_keys.public_pem))
                .expect("trust"),
            gateway: Signer::new("gw", "shop", &gw_keys.private_pem, ttl).expect("signer"),
            orders: Signer::new("orders", "shop", &orders_keys.private_pem, ttl).expect("signer"),
        }
    }

    fn call(f: &Fixture, method: &str, token: Option<String>) -> Result<Option<Principal>, Code> {
        let header = token.map(|t| format!("Bearer {t}"));
        f.policy
            .authorize(&f.verifier, &format!("/{SVC}/{method}"), header.as_deref())
            .map_err(|status| status.code())
    }

    #[test]
    fn public_methods_need_no_token() {
        let f = fixture();
        assert_eq!(call(&f, "Read", None), Ok(None));
    }

    #[test]
    fn protected_methods_need_a_token_and_a_matching_grant() {
        let f = fixture();
        let customer = f.gateway.sign("c", Role::Customer).ok();
        let admin = f.gateway.sign("a", Role::Admin).ok();
        assert_eq!(call(&f, "Write", None), Err(Code::Unauthenticated));
        assert_eq!(call(&f, "Write", customer), Err(Code::PermissionDenied));
        assert!(call(&f, "Write", admin).is_ok());
    }

    #[test]
    fn a_user_token_cannot_pass_for_a_service_nor_the_reverse() {
        let f = fixture();
        let customer = f.gateway.sign("c", Role::Customer).ok();
        assert_eq!(call(&f, "Reserve", customer), Err(Code::PermissionDenied));
        // A service acting for an admin is still a service, not an admin.
        let orders_for_admin = f.orders.sign("a", Role::Admin).ok();
        assert_eq!(
            call(&f, "Write", orders_for_admin),
            Err(Code::PermissionDenied)
        );
        let orders = f.orders.sign("c", Role::Customer).ok();
        let principal = call(&f, "Reserve", orders)
            .expect("allowed")
            .expect("principal");
        assert_eq!(principal.service.as_deref(), Some("orders"));
    }

    #[test]
    fn unknown_methods_are_unimplemented_with_a_reason_and_health_is_open() {
        let f = fixture();
        assert_eq!(call(&f, "Nope", None), Err(Code::Unimplemented));
        let status = f
            .policy
            .authorize(&f.verifier, "/evil.Service/<script>", None)
            .expect_err("unknown");
        let info = tonic_types::StatusExt::get_error_details(&status)
            .error_info()
            .cloned();
        assert_eq!(info.map(|i| i.reason).as_deref(), Some("UNIMPLEMENTED"));
        assert!(!status.message().contains("script"));
        assert_eq!(
            f.policy
                .authorize(&f.verifier, "/grpc.health.v1.Health/Check", None)
                .map_err(|s| s.code()),
            Ok(None)
        );
    }
}
