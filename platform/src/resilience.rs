//! Guards on outgoing calls to one dependency, so its failure stays its
//! own: a timeout on every call, a bound on calls in flight, and a circuit
//! breaker that, after a run of failures, fails calls at once for a
//! cool-down instead of letting them pile up on a dead service; then one
//! trial call decides whether it is back.
//!
//! # The rule: only the dependency's own failures count
//!
//! A dependency's health is judged only by failures that say something
//! about the dependency: its connection refused, reset or broken (GOAWAY
//! included), its UNAVAILABLE (in the headers of a trailers-only answer or
//! in the trailers), a gateway's 5xx in front of it, and its own timeouts
//! under a deadline long enough to tell slow from dead ([`TELLING_TIMEOUT`]).
//! A failure caused by one call (its content, its size, its caller's short
//! deadline, its caller going away) never counts: otherwise any anonymous
//! client could open the breaker for everyone. So:
//!
//! - any gRPC status other than UNAVAILABLE and DEADLINE_EXCEEDED is a
//!   working dependency answering; and DEADLINE_EXCEEDED counts only under
//!   a telling deadline;
//! - a transport error is read down its `source()` chain: an I/O error, a
//!   refused connection, a GOAWAY or a broken connection counts; a
//!   stream-level HTTP/2 error does not, since it is about this one stream
//!   (an answer whose header list outgrew our limit is reset by our own
//!   HTTP/2 library; a stream we cancel or whose request body fails, i.e.
//!   its caller went away, is reset by us; a stream the dependency resets
//!   was refused for what it carried), and a dependency whose connection
//!   is really gone fails the next call at the connection level anyway.
//!   One connection-level error is also the call's own: our HTTP/2 library
//!   hanging up with ENHANCE_YOUR_CALM over a header block too large to
//!   take (an oversized answer);
//! - the channel's own expiry of the request's `grpc-timeout` (tonic's
//!   `TimeoutExpired`, which races the guard's timer and wins whenever the
//!   runtime is busy) is a deadline, judged as one, not "unreachable";
//! - an answer that breaks off after its headers counts only when the cause
//!   is known to be the connection (tonic keeps the cause of some body
//!   errors and not of others; unknown means nothing is known);
//! - a call dropped before its answer (its caller gave up) says nothing.
//!
//! The breaker is only consulted without being changed (a peek) until the
//! call has a slot and really goes out; only then does it take the
//! half-open trial. Every refusal the guards make is a gRPC status with a
//! google.rpc `ErrorInfo` (domain `shop`, reason `CIRCUIT_OPEN`,
//! `OVERLOADED`, `DEADLINE_EXCEEDED`, `UNREACHABLE` or `CALL_BROKEN`) and,
//! when the circuit is open, a `RetryInfo` with the time left.
//!
//! Hand-written rather than taken from a crate: tower has no breaker, the
//! tower-native breaker crates are young and change their API often, and
//! failsafe is not a tower layer and keeps its own clock (tests here pause
//! tokio's). Every refusal is a gRPC status in an HTTP response, so both
//! generated clients and the gateway's byte-level proxy read it as usual.

use std::{
    convert::Infallible,
    error::Error as StdError,
    future::Future,
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
    time::Duration,
};

use http::{Request, Response};
use tokio::{sync::Semaphore, time::Instant};
use tonic::{Code, Status, body::Body};
use tower::{BoxError, Service, ServiceExt};

use crate::{
    body::{Polled, inspected},
    error::{grpc_status, with_reason, with_reason_and_retry},
};

/// The shortest deadline whose expiry counts against a dependency (or the
/// guard's own timeout, if shorter).
pub const TELLING_TIMEOUT: Duration = Duration::from_secs(1);

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

/// The circuit-breaker flags of a service that calls others, flattened
/// into its clap parser. Their defaults are [`Guard::default`]'s (a test
/// keeps the two the same).
#[derive(Debug, Clone, clap::Args)]
pub struct BreakerArgs {
    /// Consecutive failures of a dependency that open its circuit breaker
    /// (calls then fail at once with UNAVAILABLE instead of piling up).
    #[arg(long, env = "BREAKER_FAILURES", default_value_t = Guard::default().failures_to_open)]
    pub breaker_failures: u32,

    /// How long an open circuit breaker waits before a trial call.
    #[arg(long, env = "BREAKER_COOL_DOWN", default_value = "5s", value_parser = crate::config::parse_duration)]
    pub breaker_cool_down: Duration,
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

/// A response extension marking an answer made on the caller's side of a
/// guarded call (the gateway's relay refusing a request body its client
/// broke): the dependency said nothing, so the answer neither counts as a
/// failure nor resets the failures or closes a half-open breaker.
#[derive(Debug, Clone, Copy, Default)]
pub struct NotFromDependency;

/// What one call's outcome says about the dependency (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// It answered: it is serving.
    Serving,
    /// It failed in a way only a failing dependency fails.
    Failing,
    /// Nothing: the failure was the call's own.
    Silent,
}

impl Shared {
    fn state(&self) -> State {
        *self
            .breaker
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether a call could go out now, changing nothing; else how long the
    /// breaker stays open.
    fn peek(&self) -> Result<(), Duration> {
        match self.state() {
            State::Closed { .. }
            | State::HalfOpen {
                trial_in_flight: false,
            } => Ok(()),
            State::Open { until } => {
                let now = Instant::now();
                if now < until {
                    Err(until - now)
                } else {
                    Ok(())
                }
            }
            State::HalfOpen {
                trial_in_flight: true,
            } => Err(Duration::ZERO),
        }
    }

    /// Lets a call out now, taking the trial if the breaker is half-open;
    /// or says how long it stays open. Only for a call about to go out.
    fn admit(self: &Arc<Self>) -> Result<Ticket, Duration> {
        let mut state = self
            .breaker
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
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
        let mut state = self
            .breaker
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
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

/// A call let through by the breaker, waiting for its verdict. A ticket
/// dropped without one (its caller gave up, or the failure was the call's
/// own) counts for nothing and frees the trial slot if it held it.
struct Ticket {
    shared: Arc<Shared>,
    trial: bool,
}

impl Ticket {
    fn new(shared: &Arc<Shared>, trial: bool) -> Self {
        Self {
            shared: shared.clone(),
            trial,
        }
    }

    fn judge(self, verdict: Verdict) {
        match verdict {
            Verdict::Serving => self.shared.record(true),
            Verdict::Failing => self.shared.record(false),
            Verdict::Silent => return,
        }
        // Recorded: the trial (if any) is settled, nothing left to free.
        std::mem::forget(self);
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if self.trial {
            let mut state = self
                .shared
                .breaker
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
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
        let budget = Budget::of(&request, shared.guard.timeout);
        Box::pin(async move { Ok(guarded_call(shared, inner, request, budget).await) })
    }
}

/// How long a call may take, and whose limit that is.
#[derive(Debug, Clone, Copy)]
struct Budget {
    timeout: Duration,
    /// The caller's own deadline (`grpc-timeout`) is the shorter limit.
    callers: bool,
}

impl Budget {
    fn of<B>(request: &Request<B>, guards: Duration) -> Self {
        match requested_timeout(request) {
            Some(asked) if asked <= guards => Self {
                timeout: asked,
                callers: true,
            },
            _ => Self {
                timeout: guards,
                callers: false,
            },
        }
    }
}

async fn guarded_call<S>(
    shared: Arc<Shared>,
    inner: S,
    request: Request<Body>,
    budget: Budget,
) -> Response<Body>
where
    S: Service<Request<Body>, Response = Response<Body>>,
    S::Error: Into<BoxError>,
{
    let name = shared.name;
    let timeout = budget.timeout;
    if timeout.is_zero() {
        return deadline_exceeded(name, timeout).into_http();
    }
    let deadline = Instant::now() + timeout;
    if let Err(wait) = shared.peek() {
        return circuit_open(name, wait).into_http();
    }
    let slot = tokio::time::timeout_at(deadline, shared.slots.acquire()).await;
    // A slot freed just as the deadline passed is no time left to call.
    let Some(Ok(_slot)) = slot.ok().filter(|_| Instant::now() < deadline) else {
        // Never called: says nothing about the dependency's health. The
        // caller's own deadline passing is not our overload.
        return if budget.callers {
            deadline_exceeded(name, timeout)
        } else {
            overloaded(name)
        }
        .into_http();
    };
    // The trial is taken only now that the call really goes out.
    let ticket = match shared.admit() {
        Ok(ticket) => ticket,
        Err(wait) => return circuit_open(name, wait).into_http(),
    };
    // A deadline the caller chose too short to tell a slow dependency from
    // a dead one says nothing about it: otherwise any client could open
    // the breaker for everyone by asking for tiny deadlines.
    let telling = timeout >= TELLING_TIMEOUT.min(shared.guard.timeout);
    let timed_out = if telling {
        Verdict::Failing
    } else {
        Verdict::Silent
    };
    match tokio::time::timeout_at(deadline, inner.oneshot(request)).await {
        Ok(Ok(response)) => watch(response, ticket, telling),
        Ok(Err(error)) => {
            let error: BoxError = error.into();
            // Unrecognised: the dependency cannot be reached.
            match transport_failure(&*error).unwrap_or(Transport::Connection) {
                Transport::Deadline => {
                    ticket.judge(timed_out);
                    deadline_exceeded(name, timeout).into_http()
                }
                Transport::Connection => {
                    ticket.judge(Verdict::Failing);
                    tracing::warn!(dependency = name, error = %chain(&*error), "dependency unreachable");
                    unreachable(name).into_http()
                }
                Transport::ThisCall => {
                    ticket.judge(Verdict::Silent);
                    tracing::info!(dependency = name, error = %chain(&*error), "call broke off");
                    broken(name).into_http()
                }
            }
        }
        Err(_) => {
            ticket.judge(timed_out);
            deadline_exceeded(name, timeout).into_http()
        }
    }
}

/// Judges an answer: at once when its status is in the headers
/// (trailers-only), else when its trailers pass through the body.
fn watch(response: Response<Body>, ticket: Ticket, telling: bool) -> Response<Body> {
    if response.extensions().get::<NotFromDependency>().is_some() {
        ticket.judge(Verdict::Silent);
        return response;
    }
    if response.status().is_server_error() {
        // Not a gRPC answer: a proxy in front of the dependency failing.
        ticket.judge(Verdict::Failing);
        return response;
    }
    if !response.status().is_success() {
        // A 4xx: refused for what this call was.
        ticket.judge(Verdict::Silent);
        return response;
    }
    if let Some(code) = grpc_status(response.headers()) {
        ticket.judge(verdict_of(code, telling));
        return response;
    }
    // The status comes in the trailers: the call is judged when they pass.
    let mut ticket = Some(ticket);
    response.map(|body| {
        inspected(body, move |polled| {
            if let Some(verdict) = verdict_of_frame(polled, telling)
                && let Some(ticket) = ticket.take()
            {
                ticket.judge(verdict);
            }
        })
    })
}

/// What one poll of an answer's body says about the dependency, once it
/// says anything.
fn verdict_of_frame(polled: &Polled, telling: bool) -> Option<Verdict> {
    match polled {
        Poll::Ready(Some(Ok(frame))) => frame.trailers_ref().map(|trailers| {
            grpc_status(trailers).map_or(Verdict::Failing, |code| verdict_of(code, telling))
        }),
        // Broken off after the dependency answered the headers: this
        // stream's trouble; a lost connection fails the next call.
        Poll::Ready(Some(Err(error))) => Some(match transport_failure(error) {
            Some(Transport::Connection) => Verdict::Failing,
            _ => Verdict::Silent,
        }),
        // Ended without trailers: not a proper gRPC answer.
        Poll::Ready(None) => Some(Verdict::Failing),
        Poll::Pending => None,
    }
}

/// What a gRPC status says about the dependency that answered it.
fn verdict_of(code: Code, telling: bool) -> Verdict {
    match code {
        Code::Unavailable => Verdict::Failing,
        Code::DeadlineExceeded if telling => Verdict::Failing,
        Code::DeadlineExceeded => Verdict::Silent,
        _ => Verdict::Serving,
    }
}

/// Whose trouble a transport error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    /// The connection's: refused, reset, broken, gone away.
    Connection,
    /// This one call's: its stream reset, its request body failed.
    ThisCall,
    /// The request's `grpc-timeout` expired in the channel.
    Deadline,
}

/// Reads a transport error down its `source()` chain (see the module
/// doc); `None` when nothing in it is recognised.
fn transport_failure(error: &(dyn StdError + 'static)) -> Option<Transport> {
    // Our own request failing (its body: the caller went away) is this
    // call's, whatever I/O error lies below it.
    let mut ours = false;
    let mut known = false;
    let mut cause = Some(error);
    while let Some(error) = cause {
        if error.is::<tonic::TimeoutExpired>() {
            return Some(Transport::Deadline);
        }
        if let Some(h2) = error.downcast_ref::<h2::Error>() {
            return Some(h2_failure(h2));
        }
        if let Some(hyper) = error.downcast_ref::<hyper::Error>() {
            ours |= hyper.is_user() || hyper.is_body_write_aborted();
            known = true;
        }
        known |= error.is::<std::io::Error>() || error.is::<tonic::ConnectError>();
        cause = error.source();
    }
    match (ours, known) {
        (true, _) => Some(Transport::ThisCall),
        (false, true) => Some(Transport::Connection),
        (false, false) => None,
    }
}

fn h2_failure(error: &h2::Error) -> Transport {
    // Our library hanging up because of what one answer held (a header
    // block in too many pieces, answered with ENHANCE_YOUR_CALM) ends the
    // connection, but for that answer's size, not the dependency's health.
    let refused_an_answer =
        error.is_library() && error.reason() == Some(h2::Reason::ENHANCE_YOUR_CALM);
    if (error.is_io() || error.is_go_away()) && !refused_an_answer {
        Transport::Connection
    } else {
        // RST_STREAM (ours, our library's or the dependency's) or a reason
        // we gave: one stream.
        Transport::ThisCall
    }
}

/// An error and its causes, one line (tonic's own says only "transport error").
fn chain(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(error) = cause {
        text.push_str(": ");
        text.push_str(&error.to_string());
        cause = error.source();
    }
    text
}

fn refusal(reason: &'static str, dependency: &'static str) {
    metrics::counter!(
        "grpc_client_guard_refusals_total",
        "dependency" => dependency,
        "reason" => reason
    )
    .increment(1);
}

fn metadata(name: &str) -> [(String, String); 1] {
    [("dependency".to_owned(), name.to_owned())]
}

fn circuit_open(name: &'static str, wait: Duration) -> Status {
    refusal("CIRCUIT_OPEN", name);
    // Whole seconds, rounded up, at least one.
    let seconds = wait
        .as_secs()
        .saturating_add(u64::from(wait.subsec_nanos() > 0))
        .max(1);
    with_reason_and_retry(
        Code::Unavailable,
        "CIRCUIT_OPEN",
        format!("{name} is failing; not calling it for {seconds}s (circuit open)"),
        metadata(name),
        Duration::from_secs(seconds),
    )
}

fn overloaded(name: &'static str) -> Status {
    refusal("OVERLOADED", name);
    with_reason(
        Code::Unavailable,
        "OVERLOADED",
        format!("too many calls in flight to {name}; try again"),
        metadata(name),
    )
}

fn deadline_exceeded(name: &'static str, timeout: Duration) -> Status {
    refusal("DEADLINE_EXCEEDED", name);
    with_reason(
        Code::DeadlineExceeded,
        "DEADLINE_EXCEEDED",
        format!("{name} did not answer within {timeout:?}"),
        metadata(name),
    )
}

fn unreachable(name: &'static str) -> Status {
    refusal("UNREACHABLE", name);
    with_reason(
        Code::Unavailable,
        "UNREACHABLE",
        format!("{name} is unreachable"),
        metadata(name),
    )
}

fn broken(name: &'static str) -> Status {
    refusal("CALL_BROKEN", name);
    with_reason(
        Code::Internal,
        "CALL_BROKEN",
        format!("the call to {name} broke off before its answer arrived"),
        metadata(name),
    )
}

/// The request's own `grpc-timeout`, if it has a valid one.
fn requested_timeout<B>(request: &Request<B>) -> Option<Duration> {
    let value = request.headers().get("grpc-timeout")?.to_str().ok()?;
    crate::grpc_timeout::parse(value)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use http_body::Frame;
    use tonic::codegen::Bytes;

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

    /// A body with no message, then `grpc-status: code` in its trailers.
    struct InTrailers(Option<Code>);

    impl http_body::Body for InTrailers {
        type Data = Bytes;
        type Error = Status;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
            Poll::Ready(self.0.take().map(|code| {
                let mut trailers = http::HeaderMap::new();
                trailers.insert("grpc-status", (code as i32).into());
                Ok(Frame::trailers(trailers))
            }))
        }
    }

    /// A dependency that answers every call the same scripted way.
    #[derive(Clone, Copy)]
    enum Scripted {
        /// A normal answer whose trailers carry this code.
        InTrailers(Code),
        /// A transport error, made by this.
        Failing(fn() -> BoxError),
    }

    impl Service<Request<Body>> for Scripted {
        type Response = Response<Body>;
        type Error = BoxError;
        type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, BoxError>> + Send>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, _: Request<Body>) -> Self::Future {
            let answer = match *self {
                Scripted::InTrailers(code) => Ok(Response::new(Body::new(InTrailers(Some(code))))),
                Scripted::Failing(error) => Err(error()),
            };
            Box::pin(std::future::ready(answer))
        }
    }

    /// Reads a whole answer, trailers included; its code.
    /// The guard's answer to one call.
    async fn answer<S>(service: &Guarded<S>, request: Request<Body>) -> Response<Body>
    where
        S: Service<Request<Body>, Response = Response<Body>> + Clone + Send + 'static,
        S::Future: Send,
        S::Error: Into<BoxError>,
    {
        service.clone().oneshot(request).await.expect("infallible")
    }

    async fn finish<S>(service: &Guarded<S>, request: Request<Body>) -> Code
    where
        S: Service<Request<Body>, Response = Response<Body>> + Clone + Send + 'static,
        S::Future: Send,
        S::Error: Into<BoxError>,
    {
        let response = answer(service, request).await;
        if let Some(code) = grpc_status(response.headers()) {
            return code;
        }
        let mut body = response.into_body();
        let mut code = Code::Ok;
        while let Some(frame) =
            std::future::poll_fn(|cx| http_body::Body::poll_frame(Pin::new(&mut body), cx)).await
        {
            if let Some(trailers) = frame.expect("frame").trailers_ref() {
                code = grpc_status(trailers).unwrap_or(Code::Unknown);
            }
        }
        code
    }

    fn with_timeout(value: &'static str) -> Request<Body> {
        let mut request = Request::new(Body::empty());
        request
            .headers_mut()
            .insert("grpc-timeout", http::HeaderValue::from_static(value));
        request
    }

    fn reason_of(response: &Response<Body>) -> String {
        use tonic_types::StatusExt;
        Status::from_header_map(response.headers())
            .expect("a status")
            .get_error_details()
            .error_info()
            .map(|info| info.reason.clone())
            .unwrap_or_default()
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
        let response = answer(service, Request::new(Body::empty())).await;
        code_of(&response)
    }

    #[test]
    fn the_breaker_flags_default_to_the_guards_defaults() {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            breaker: BreakerArgs,
        }
        let cli = <Cli as clap::Parser>::try_parse_from(["service"]).expect("defaults parse");

        assert_eq!(
            cli.breaker.breaker_failures,
            Guard::default().failures_to_open
        );
        assert_eq!(cli.breaker.breaker_cool_down, Guard::default().cool_down);
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
            let response = answer(&service, request).await;
            assert_eq!(code_of(&response), Code::DeadlineExceeded);
        }

        assert!(!service.is_open());
        assert_eq!(backend.calls(), 10);
    }

    #[tokio::test(start_paused = true)]
    async fn unavailable_in_the_trailers_counts_as_a_failure() {
        let service = GUARD.wrap("catalog", Scripted::InTrailers(Code::Unavailable));

        for _ in 0..3 {
            assert_eq!(
                finish(&service, Request::new(Body::empty())).await,
                Code::Unavailable
            );
        }

        assert!(service.is_open());
    }

    #[tokio::test(start_paused = true)]
    async fn other_codes_in_the_trailers_keep_the_breaker_closed() {
        let service = GUARD.wrap("catalog", Scripted::InTrailers(Code::InvalidArgument));

        for _ in 0..10 {
            finish(&service, Request::new(Body::empty())).await;
        }

        assert!(!service.is_open());
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_made_on_the_callers_side_neither_counts_nor_resets_the_failures() {
        // Unavailable, Unavailable, an answer the caller's side made, Unavailable.
        let calls = Arc::new(AtomicUsize::new(0));
        let backend = tower::service_fn({
            let calls = calls.clone();
            move |_: Request<Body>| {
                let call = calls.fetch_add(1, Ordering::SeqCst);
                async move {
                    let mut response = if call == 2 {
                        Status::invalid_argument("the caller's body is broken").into_http()
                    } else {
                        Status::unavailable("down").into_http()
                    };
                    if call == 2 {
                        response.extensions_mut().insert(NotFromDependency);
                    }
                    Ok::<_, Infallible>(response)
                }
            }
        });
        let service = GUARD.wrap("catalog", backend);

        for _ in 0..4 {
            finish(&service, Request::new(Body::empty())).await;
        }

        assert!(service.is_open(), "three failures of the dependency's own");
    }

    #[tokio::test(start_paused = true)]
    async fn a_stream_level_transport_error_is_the_calls_own_and_does_not_count() {
        // What our HTTP/2 library does to an answer too large to read.
        let service = GUARD.wrap(
            "catalog",
            Scripted::Failing(|| Box::new(h2::Error::from(h2::Reason::REFUSED_STREAM))),
        );

        for _ in 0..10 {
            let response = answer(&service, Request::new(Body::empty())).await;
            assert_eq!(code_of(&response), Code::Internal);
            assert_eq!(reason_of(&response), "CALL_BROKEN");
        }

        assert!(!service.is_open());
    }

    #[tokio::test(start_paused = true)]
    async fn a_broken_connection_counts_and_says_unreachable() {
        let service = GUARD.wrap(
            "catalog",
            Scripted::Failing(|| {
                Box::new(std::io::Error::from(std::io::ErrorKind::ConnectionReset))
            }),
        );

        for _ in 0..3 {
            let response = answer(&service, Request::new(Body::empty())).await;
            assert_eq!(code_of(&response), Code::Unavailable);
            assert_eq!(reason_of(&response), "UNREACHABLE");
        }

        assert!(service.is_open());
    }

    #[tokio::test(start_paused = true)]
    async fn the_channel_expiring_a_short_grpc_timeout_is_a_deadline_not_an_unreachable_dependency()
    {
        // tonic's channel enforces `grpc-timeout` itself, racing the guard.
        let service = GUARD.wrap(
            "catalog",
            Scripted::Failing(|| Box::new(tonic::TimeoutExpired(()))),
        );

        for _ in 0..10 {
            let response = answer(&service, with_timeout("2m")).await;
            assert_eq!(code_of(&response), Code::DeadlineExceeded);
        }

        assert!(!service.is_open());
    }

    #[tokio::test(start_paused = true)]
    async fn a_caller_dropping_its_call_does_not_count() {
        let backend = Backend::answering(None);
        let guard = Guard {
            failures_to_open: 1,
            ..GUARD
        };
        let service = guard.wrap("catalog", backend.clone());

        for _ in 0..5 {
            let service = service.clone();
            let call = tokio::spawn(async move { call(&service).await });
            tokio::time::sleep(Duration::from_millis(10)).await;
            call.abort();
        }

        assert!(!service.is_open());
        assert_eq!(backend.calls(), 5);
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_whose_deadline_has_passed_gets_deadline_exceeded_at_once() {
        let backend = Backend::answering(Some(Code::Ok));
        let service = GUARD.wrap("catalog", backend.clone());

        let response = answer(&service, with_timeout("0m")).await;

        assert_eq!(code_of(&response), Code::DeadlineExceeded);
        assert_eq!(reason_of(&response), "DEADLINE_EXCEEDED");
        assert_eq!(backend.calls(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_caller_whose_deadline_passes_while_waiting_for_a_slot_gets_deadline_exceeded() {
        let backend = Backend::answering(None);
        let service = GUARD.wrap("catalog", backend.clone());
        let busy: Vec<_> = (0..GUARD.max_in_flight)
            .map(|_| {
                let service = service.clone();
                tokio::spawn(async move { call(&service).await })
            })
            .collect();
        tokio::task::yield_now().await;

        let response = answer(&service, with_timeout("100m")).await;

        assert_eq!(code_of(&response), Code::DeadlineExceeded);
        for call in busy {
            call.abort();
        }
    }

    #[tokio::test(start_paused = true)]
    async fn refusals_say_why_in_error_info() {
        use tonic_types::StatusExt;

        let backend = Backend::answering(Some(Code::Unavailable));
        let service = GUARD.wrap("payments", backend);
        for _ in 0..3 {
            call(&service).await;
        }

        let response = answer(&service, Request::new(Body::empty())).await;

        let status = Status::from_header_map(response.headers()).expect("a status");
        let details = status.get_error_details();
        let info = details.error_info().expect("error info");
        assert_eq!(
            (info.reason.as_str(), info.domain.as_str()),
            ("CIRCUIT_OPEN", "shop")
        );
        assert_eq!(info.metadata["dependency"], "payments");
        assert_eq!(
            details.retry_info().expect("retry info").retry_delay,
            Some(GUARD.cool_down)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_that_never_goes_out_leaves_the_trial_to_the_next_one() {
        let backend = Backend::answering(Some(Code::Unavailable));
        let guard = Guard {
            max_in_flight: 1,
            failures_to_open: 1,
            timeout: Duration::from_secs(60),
            ..GUARD
        };
        let service = guard.wrap("catalog", backend.clone());
        // A call that hangs holds the only slot, then another opens the breaker.
        backend.set(None);
        let holder = {
            let service = service.clone();
            tokio::spawn(async move { call(&service).await })
        };
        tokio::task::yield_now().await;
        *service.shared.breaker.lock().expect("lock") = State::Open {
            until: Instant::now() + guard.cool_down,
        };
        tokio::time::advance(guard.cool_down).await;

        // Cooled down, but no slot: this call waits and gives up unsent.
        let response = answer(&service, with_timeout("100m")).await;
        assert_eq!(code_of(&response), Code::DeadlineExceeded);

        assert!(
            matches!(service.shared.state(), State::Open { .. }),
            "a peek took the trial: {:?}",
            service.shared.state()
        );
        holder.abort();
        backend.set(Some(Code::Ok));
        assert_eq!(call(&service).await, Code::Ok, "the next call is the trial");
        assert!(!service.is_open());
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
