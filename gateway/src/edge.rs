//! What every gRPC call through the gateway passes: the access table (the
//! caller's token verified, internal and unknown methods refused), the
//! rate limits (per user, or per client address when anonymous; stricter
//! for sign-in), and a capped deadline. A request that is not gRPC has no
//! business below this point (the storefront's pages are answered above):
//! it is not found, so no content type gets around the table.

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use http::{HeaderValue, Request, Response};
use platform::auth::{Policy, Verifier};
use tonic::body::Body;
use tower::{Layer, Service};

use crate::{
    client_address::{self, ClientAddress, TrustedProxies},
    deadline::{self, Deadlines},
    limits::{self, KeyedLimit},
    routes,
};

/// The gateway's rules, shared by every connection.
pub struct EdgeRules {
    pub policy: Policy,
    pub verifier: Verifier,
    /// Calls per user (or anonymous client address).
    pub calls: KeyedLimit,
    /// Login and Register attempts per client address.
    pub sign_ins: KeyedLimit,
    /// Deadlines of calls and streams.
    pub deadlines: Deadlines,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: TrustedProxies,
}

/// Tower layer applying [`EdgeRules`].
#[derive(Clone)]
pub struct EdgeLayer {
    rules: Arc<EdgeRules>,
}

impl EdgeLayer {
    pub fn new(rules: EdgeRules) -> Self {
        Self {
            rules: Arc::new(rules),
        }
    }
}

impl<S> Layer<S> for EdgeLayer {
    type Service = Edge<S>;

    fn layer(&self, inner: S) -> Edge<S> {
        Edge {
            inner,
            rules: self.rules.clone(),
        }
    }
}

/// The service [`EdgeLayer`] wraps around the router.
#[derive(Clone)]
pub struct Edge<S> {
    inner: S,
    rules: Arc<EdgeRules>,
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S> Service<Request<Body>> for Edge<S>
where
    S: Service<Request<Body>, Response = Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Response<Body>, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<Body>) -> Self::Future {
        if !routes::is_grpc(&request) {
            return Box::pin(std::future::ready(Ok(crate::web::not_found())));
        }

        match self.admit(&mut request) {
            Ok(()) => Box::pin(self.inner.call(request)),
            Err(status) => Box::pin(std::future::ready(Ok(status.into_http()))),
        }
    }
}

impl<S> Edge<S> {
    /// Authorizes, rate-limits and sets the deadline of one call.
    fn admit(&self, request: &mut Request<Body>) -> Result<(), tonic::Status> {
        let rules = &self.rules;
        let path = request.uri().path().to_owned();
        if !routes::is_served(&rules.policy, &path) {
            return Err(routes::not_served(&path));
        }
        let authorization = request
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let principal = rules
            .policy
            .authorize(&rules.verifier, &path, authorization)?;

        let client = match client_address::peer(request) {
            Some(peer) => {
                let client = rules.trusted_proxies.client(peer, request.headers());
                request.extensions_mut().insert(ClientAddress(client));
                client.to_string()
            }
            None => "unknown".to_owned(),
        };
        if routes::is_sign_in(&path) {
            rules
                .sign_ins
                .check(&client)
                .map_err(|wait| limits::exhausted("sign-in attempts", wait))?;
        }
        let key = match &principal {
            Some(p) => format!("user:{}", p.user_id),
            None => format!("client:{client}"),
        };
        rules
            .calls
            .check(&key)
            .map_err(|wait| limits::exhausted("requests", wait))?;

        let requested = request
            .headers()
            .get("grpc-timeout")
            .and_then(|v| v.to_str().ok());
        let timeout = rules.deadlines.for_call(&path, requested);
        if let Ok(value) = HeaderValue::from_str(&deadline::format(timeout)) {
            request.headers_mut().insert("grpc-timeout", value);
        }
        if let Some(principal) = principal {
            request.extensions_mut().insert(principal);
        }
        Ok(())
    }
}
