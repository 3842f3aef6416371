//! Guards on outgoing calls to one dependency, so its failure stays its
//! own: a timeout on every call, a bound on calls in flight, and a circuit
//! breaker that, after a run of failures, fails calls at once for a
//! cool-down instead of letting them pile up on a dead service; then one
//! trial call decides whether it is back.
//!
//! Hand-written rather than taken from a crate: tower has no breaker, the
//! tower-native breaker crates are young and change their API often, and
//! failsafe is not a tower layer and keeps its own clock (tests here pause
//! tokio's). Every refusal is a gRPC status in an HTTP response, so both
//! generated clients and the gateway's byte-level proxy read it as usual.

use std::{
    convert::Infallible,
    future::Future,
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
    time::Duration,
};

use http::{Request, Response};
use tokio::{sync::Semaphore, time::Instant};
use tonic::{Code, Status, body::Body};
use tower::{Service, ServiceExt};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The shortest deadline whose expiry counts against a dependency (or the
/// guard's own timeout, if shorter).
const TELLING_TIMEOUT: Duration = Duration::from_secs(1);

/// How a dependency's calls are guarded.
#[derive(Debug, Clone, Copy)]
pub struct Guard {
    /// Longest a call may take (shorter if the request's `grpc-timeout` says so).
    pub timeout: Duration,
    /// Most calls in flight at once; more wait for a slot within their timeout.
    pub max_in_flight: usize,
    /// Consecutive failures (UNAVAILABLE, timeouts, unreachable) that open the breaker.
    pub failures_to_open: u32,
    /// How long an open breaker refuses calls before letting one trial through.
    pub cool_down: Duration,
}

impl Default for Guard {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            max_in_flight: 128,
            failures_to_open: 5,
            cool_down: Duration::from_secs(5),
        }
    }
}

impl Guard {
    /// `inner` (a channel to `name`) behind these guards.
    pub fn wrap<S>(self, name: &'static str, inner: S) -> Guarded<S> {
        Guarded {
            inner,
            shared: Arc::new(Shared {
                name,
                guard: self,
                slots: Semaphore::new(self.max_in_flight.max(1)),
                breaker: Mutex::new(State::Closed { failures: 0 }),
            }),
        }
    }
}

/// A guarded service; clones share the limit and the breaker.
#[derive(Clone)]
pub struct Guarded<S> {
    inner: S,
    shared: Arc<Shared>,
}

struct Shared {
    name: &'static str,
    guard: Guard,
    slots: Semaphore,
    breaker: Mutex<State>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen { trial_in_flight: bool },
}

impl<S> Guarded<S> {
    /// Whether the breaker currently refuses calls.
    pub fn is_open(&self) -> bool {
        matches!(self.shared.state(), State::Open { until } if Instant::now() < until)
    }
}

impl Shared {
    fn state(&self) -> State {
        *self.breaker.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Lets a call through, or says how long the breaker stays open.
    fn admit(self: &Arc<Self>) -> Result<Ticket, Duration> {
        let mut state = self.breaker.lock().unwrap_or_else(|e| e.into_inner());
        match *state {
            State::Closed { .. } => Ok(Ticket::new(self, false)),
            State::Open { until } => {
                let now = Instant::now();
                if now < until {
                    return Err(until - now);
                }
                *state = State::HalfOpen {
                    trial_in_flight: true,
                };
                tracing::info!(dependency = self.name, "circuit half-open: one trial call");
                Ok(Ticket::new(self, true))
            }
            State::HalfOpen {
                trial_in_flight: true,
            } => Err(Duration::ZERO),
            State::HalfOpen {
                trial_in_flight: false,
            } => {
                *state = State::HalfOpen {
                    trial_in_flight: true,
                };
                Ok(Ticket::new(self, true))
            }
        }
    }

    fn record(&self, ok: bool) {
        let mut state = self.breaker.lock().unwrap_or_else(|e| e.into_inner());
        let next = match (*state, ok) {
            (State::Closed { failures: 0 }, true) => return,
            (State::HalfOpen { .. }, true) => {
                tracing::info!(
                    dependency = self.name,
                    "circuit closed: dependency answers again"
                );
                State::Closed { failures: 0 }
            }
            (_, true) => State::Closed { failures: 0 },
            (State::Closed { failures }, false) if failures + 1 < self.guard.failures_to_open => {
                State::Closed {
                    failures: failures + 1,
                }
            }
            (State::Closed { .. } | State::HalfOpen { .. }, false) => {
                tracing::warn!(
                    dependency = self.name,
                    cool_down = ?self.guard.cool_down,
                    "circuit open: failing calls fast"
                );
                metrics::counter!("grpc_client_circuit_opened_total", "dependency" => self.name)
                    .increment(1);
                State::Open {
                    until: Instant::now() + self.guard.cool_down,
                }
            }
            // A late answer to a call made before the breaker opened.
            (State::Open { .. }, false) => return,
        };
        *state = next;
    }
}

/// A call let through by the breaker; its outcome must be recorded. A
/// trial dropped unanswered (its caller gave up) frees the trial slot.
struct Ticket {
    shared: Arc<Shared>,
    trial: bool,
    recorded: bool,
}

impl Ticket {
    fn new(shared: &Arc<Shared>, trial: bool) -> Self {
        Self {
            shared: shared.clone(),
            trial,
            recorded: false,
        }
    }

    fn record(mut self, ok: bool) {
        self.recorded = true;
        self.shared.record(ok);
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if self.trial && !self.recorded {
            let mut state = self
                .shared
                .breaker
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if let State::HalfOpen { .. } = *state {
                *state = State::HalfOpen {
                    trial_in_flight: false,
                };
            }
        }
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = Result<T, Infallible>> + Send>>;

impl<S> Service<Request<Body>> for Guarded<S>
where
    S: Service<Request<Body>, Response = Response<Body>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Response<Body>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // Waiting happens in `call`, bounded by the call's timeout.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let shared = self.shared.clone();
        let inner = self.inner.clone();
        let timeout = requested_timeout(&request)
            .map_or(shared.guard.timeout, |t| t.min(shared.guard.timeout));
        Box::pin(async move { Ok(guarded_call(shared, inner, request, timeout).await) })
    }
}

async fn guarded_call<S>(
    shared: Arc<Shared>,
    inner: S,
    request: Request<Body>,
    timeout: Duration,
) -> Response<Body>
where
    S: Service<Request<Body>, Response = Response<Body>>,
    S::Error: Into<BoxError>,
{
    let name = shared.name;
    let deadline = Instant::now() + timeout;
    if let Err(wait) = shared.admit() {
        return open(name, wait).into_http();
    }
    let Ok(Ok(_slot)) = tokio::time::timeout_at(deadline, shared.slots.acquire()).await else {
        // Never called: says nothing about the dependency's health.
        return Status::unavailable(format!("too many calls in flight to {name}; try again"))
            .into_http();
    };
    if Instant::now() >= deadline {
        return Status::unavailable(format!("too many calls in flight to {name}; try again"))
            .into_http();
    }
    // The breaker may have opened while this call waited for a slot.
    let ticket = match shared.admit() {
        Ok(ticket) => ticket,
        Err(wait) => return open(name, wait).into_http(),
    };
    // A deadline the caller chose too short to tell a slow dependency from
    // a dead one says nothing about it: otherwise any client could open
    // the breaker for everyone by asking for tiny deadlines.
    let telling = timeout >= TELLING_TIMEOUT.min(shared.guard.timeout);
    match tokio::time::timeout_at(deadline, inner.oneshot(request)).await {
        Ok(Ok(response)) => {
            match failure(&response) {
                None => ticket.record(true),
                Some(Code::DeadlineExceeded) if !telling => drop(ticket),
                Some(_) => ticket.record(false),
            }
            response
        }
        Ok(Err(error)) => {
            ticket.record(false);
            let error: BoxError = error.into();
            tracing::warn!(dependency = name, %error, "dependency unreachable");
            Status::unavailable(format!("{name} is unreachable")).into_http()
        }
        Err(_) => {
            if telling {
                ticket.record(false);
            }
            Status::deadline_exceeded(format!("{name} did not answer within {timeout:?}"))
                .into_http()
        }
    }
}

fn open(name: &str, wait: Duration) -> Status {
    Status::unavailable(format!(
        "{name} is failing; not calling it for {}s (circuit open)",
        wait.as_secs().max(1)
    ))
}

/// The failure an answer reports, if it says the dependency is not
/// serving: a gateway error status (as UNAVAILABLE), or gRPC UNAVAILABLE or
/// DEADLINE_EXCEEDED (any other gRPC status is a working service answering).
fn failure(response: &Response<Body>) -> Option<Code> {
    if response.status().is_server_error() {
        return Some(Code::Unavailable);
    }
    let code = response
        .headers()
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok())
        .map(Code::from_i32);
    code.filter(|c| matches!(c, Code::Unavailable | Code::DeadlineExceeded))
}

/// The request's own `grpc-timeout`, if it has a valid one.
fn requested_timeout<B>(request: &Request<B>) -> Option<Duration> {
    let value = request.headers().get("grpc-timeout")?.to_str().ok()?;
    crate::grpc_timeout::parse(value)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A backend that answers every call with `code` (None: hangs), counting calls.
    #[derive(Clone)]
    struct Backend {
        calls: Arc<AtomicUsize>,
        answer: Arc<Mutex<Option<Code>>>,
    }

    impl Backend {
        fn answering(code: Option<Code>) -> Self {
            Self {
                calls: Arc::default(),
                answer: Arc::new(Mutex::new(code)),
            }
        }

        fn calls(&self) -> usize {
            self.calls.load(Ordering::SeqCst)
        }

        fn set(&self, code: Option<Code>) {
            *self.answer.lock().expect("lock") = code;
        }
    }

    impl Service<Request<Body>> for Backend {
        type Response = Response<Body>;
        type Error = Infallible;
        type Future = BoxFuture<Response<Body>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, _: Request<Body>) -> Self::Future {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let answer = *self.answer.lock().expect("lock");
            Box::pin(async move {
                match answer {
                    Some(Code::Ok) => Ok(Response::new(Body::empty())),
                    Some(code) => Ok(Status::new(code, "backend says so").into_http()),
                    None => std::future::pending().await,
                }
            })
        }
    }

    const GUARD: Guard = Guard {
        timeout: Duration::from_secs(1),
        max_in_flight: 3,
        failures_to_open: 3,
        cool_down: Duration::from_secs(5),
    };

    fn code_of(response: &Response<Body>) -> Code {
        response
            .headers()
            .get("grpc-status")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .map_or(Code::Ok, Code::from_i32)
    }

    async fn call(service: &Guarded<Backend>) -> Code {
        let response = service
            .clone()
            .oneshot(Request::new(Body::empty()))
            .await
            .expect("infallible");
        code_of(&response)
    }

    #[tokio::test(start_paused = true)]
    async fn the_breaker_opens_after_consecutive_failures_and_then_fails_fast() {
        let backend = Backend::answering(Some(Code::Unavailable));
        let service = GUARD.wrap("payments", backend.clone());

        for _ in 0..3 {
            assert_eq!(call(&service).await, Code::Unavailable);
        }
        assert!(service.is_open());
        for _ in 0..10 {
            assert_eq!(call(&service).await, Code::Unavailable);
        }

        assert_eq!(
            backend.calls(),
            3,
            "calls after the breaker opened reached the backend"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn answers_other_than_unavailable_keep_the_breaker_closed() {
        let backend = Backend::answering(Some(Code::NotFound));
        let service = GUARD.wrap("catalog", backend.clone());

        for _ in 0..10 {
            assert_eq!(call(&service).await, Code::NotFound);
        }

        assert!(!service.is_open());
        assert_eq!(backend.calls(), 10);
    }

    #[tokio::test(start_paused = true)]
    async fn after_the_cool_down_one_trial_call_closes_the_breaker_if_it_succeeds() {
        let backend = Backend::answering(Some(Code::Unavailable));
        let service = GUARD.wrap("payments", backend.clone());
        for _ in 0..3 {
            call(&service).await;
        }
        backend.set(Some(Code::Ok));
        assert_eq!(
            call(&service).await,
            Code::Unavailable,
            "still cooling down"
        );
        assert_eq!(backend.calls(), 3);

        tokio::time::advance(GUARD.cool_down).await;

        assert_eq!(call(&service).await, Code::Ok);
        assert!(!service.is_open());
        assert_eq!(call(&service).await, Code::Ok);
        assert_eq!(backend.calls(), 5);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_trial_call_opens_the_breaker_again() {
        let backend = Backend::answering(Some(Code::Unavailable));
        let service = GUARD.wrap("payments", backend.clone());
        for _ in 0..3 {
            call(&service).await;
        }

        tokio::time::advance(GUARD.cool_down).await;
        assert_eq!(call(&service).await, Code::Unavailable);
        assert_eq!(backend.calls(), 4, "exactly one trial call");
        assert!(service.is_open());
        assert_eq!(call(&service).await, Code::Unavailable);

        assert_eq!(backend.calls(), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn a_hanging_backend_times_out_and_never_has_more_than_the_limit_in_flight() {
        let backend = Backend::answering(None);
        let guard = Guard {
            failures_to_open: 100,
            ..GUARD
        };
        let service = guard.wrap("catalog", backend.clone());

        let calls: Vec<_> = (0..10)
            .map(|_| {
                let service = service.clone();
                tokio::spawn(async move { call(&service).await })
            })
            .collect();
        let mut codes = Vec::new();
        for handle in calls {
            codes.push(handle.await.expect("call task"));
        }

        assert_eq!(backend.calls(), 3, "only the limit reached the backend");
        let timed_out = codes
            .iter()
            .filter(|c| **c == Code::DeadlineExceeded)
            .count();
        let turned_away = codes.iter().filter(|c| **c == Code::Unavailable).count();
        assert_eq!((timed_out, turned_away), (3, 7));
    }

    #[tokio::test(start_paused = true)]
    async fn a_shorter_grpc_timeout_on_the_request_wins() {
        let backend = Backend::answering(None);
        let service = GUARD.wrap("catalog", backend);
        let mut request = Request::new(Body::empty());
        request
            .headers_mut()
            .insert("grpc-timeout", http::HeaderValue::from_static("100m"));
        let started = Instant::now();

        let response = service.oneshot(request).await.expect("infallible");

        assert_eq!(code_of(&response), Code::DeadlineExceeded);
        assert!(started.elapsed() < GUARD.timeout);
    }

    #[tokio::test(start_paused = true)]
    async fn callers_asking_for_tiny_deadlines_cannot_open_the_breaker() {
        let backend = Backend::answering(None);
        let guard = Guard {
            timeout: Duration::from_secs(10),
            ..GUARD
        };
        let service = guard.wrap("catalog", backend.clone());

        for _ in 0..10 {
            let mut request = Request::new(Body::empty());
            request
                .headers_mut()
                .insert("grpc-timeout", http::HeaderValue::from_static("1m"));
            let response = service.clone().oneshot(request).await.expect("infallible");
            assert_eq!(code_of(&response), Code::DeadlineExceeded);
        }

        assert!(!service.is_open());
        assert_eq!(backend.calls(), 10);
    }

    #[test]
    fn grpc_timeouts_parse() {
        let with = |v: &'static str| {
            let mut r = Request::new(());
            r.headers_mut()
                .insert("grpc-timeout", http::HeaderValue::from_static(v));
            requested_timeout(&r)
        };
        assert_eq!(with("3S"), Some(Duration::from_secs(3)));
        assert_eq!(with("250m"), Some(Duration::from_millis(250)));
        assert_eq!(with("2M"), Some(Duration::from_secs(120)));
        assert_eq!(with("S"), None);
        assert_eq!(with("5x"), None);
    }
}
