//! Calls to other services: channels built once (connecting lazily, so a
//! dependency that starts later is fine) and requests that carry a deadline
//! and this service's token acting for the user being served.

use std::time::Duration;

use tonic::{Request, Status, transport::Channel};

use crate::auth::{Principal, Signer};

/// How long to wait for a TCP connection to a dependency.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// A channel to `url` (e.g. `http://127.0.0.1:50051`); clone it freely, it
/// multiplexes calls over one HTTP/2 connection and reconnects on its own.
pub fn channel(url: &str) -> Result<Channel, InvalidUrl> {
    Ok(Channel::from_shared(url.to_owned())
        .map_err(|_| InvalidUrl(url.to_owned()))?
        .connect_timeout(CONNECT_TIMEOUT)
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_while_idle(true)
        .connect_lazy())
}

/// A dependency's address that is not a URL.
#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not a valid service URL (expected e.g. http://127.0.0.1:50051)")]
pub struct InvalidUrl(pub String);

/// Builds outgoing requests as this service, for a user, with a deadline.
#[derive(Clone, Debug)]
pub struct Caller {
    signer: Signer,
    deadline: Duration,
}

impl Caller {
    /// Calls signed by `signer` (this service's key) that give up after `deadline`.
    pub fn new(signer: Signer, deadline: Duration) -> Self {
        Self { signer, deadline }
    }

    /// `message` as a request acting for `user`.
    pub fn request<T>(&self, user: &Principal, message: T) -> Result<Request<T>, Status> {
        let token = self
            .signer
            .sign(&user.user_id, user.role)
            .map_err(|e| crate::error::internal(&e))?;
        let mut request = Request::new(message);
        request.set_timeout(self.deadline);
        let value = format!("Bearer {token}")
            .parse()
            .map_err(|e| crate::error::internal(&e))?;
        request.metadata_mut().insert("authorization", value);
        crate::telemetry::inject_trace_metadata(request.metadata_mut());
        if let Some(id) = crate::telemetry::current_request_id().and_then(|id| id.parse().ok()) {
            request
                .metadata_mut()
                .insert(crate::telemetry::REQUEST_ID_HEADER, id);
        }
        Ok(request)
    }
}
