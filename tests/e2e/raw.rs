//! Calls below the generated clients, for tests that must send what no
//! well-behaved client would: gRPC requests with hand-made bodies and
//! headers over a channel (bad framing included), and grpc-web-text over a
//! bare HTTP/1.1 connection. Each answer is read whole, or up to the first
//! message of a stream, within a time limit, so a hang is seen as one.

use std::{fmt, net::SocketAddr, time::Duration};

use base64::{Engine, engine::general_purpose::STANDARD as BASE64};
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};
use tonic::{Code, transport::Channel};
use tower::ServiceExt;

/// A gRPC message frame: the compressed flag, the length, the message.
pub fn frame(message: &[u8]) -> Vec<u8> {
    frame_with(false, message.len(), message)
}

/// A frame whose header says `compressed` and `claimed` bytes, whatever
/// the message really is.
pub fn frame_with(compressed: bool, claimed: usize, message: &[u8]) -> Vec<u8> {
    let mut framed = Vec::with_capacity(5 + message.len());
    framed.push(u8::from(compressed));
    framed.extend_from_slice(&u32::try_from(claimed).unwrap_or(u32::MAX).to_be_bytes());
    framed.extend_from_slice(message);
    framed
}

/// How a call ended, as seen by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// An HTTP answer: its status, and the gRPC status if it carried one
    /// (`None` for a stream cut off by us after its first message).
    Answered {
        http: u16,
        code: Option<Code>,
        message: String,
        messages: usize,
    },
    /// The connection or stream failed under the call.
    Transport(String),
    /// No answer within the time limit.
    Hung,
}

impl Outcome {
    /// The gRPC code, if the call was answered with one.
    pub fn code(&self) -> Option<Code> {
        match self {
            Outcome::Answered { code, .. } => *code,
            _ => None,
        }
    }

    /// Whether the answer is the gateway's or a service's open circuit.
    pub fn is_circuit_open(&self) -> bool {
        matches!(self, Outcome::Answered { code: Some(Code::Unavailable), message, .. }
            if message.contains("circuit open"))
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Answered {
                http,
                code: Some(code),
                message,
                ..
            } => write!(f, "HTTP {http}, {code:?}: {message}"),
            Outcome::Answered {
                http,
                code: None,
                messages,
                ..
            } => write!(f, "HTTP {http}, {messages} message(s), no grpc-status"),
            Outcome::Transport(error) => write!(f, "transport error: {error}"),
            Outcome::Hung => write!(f, "no answer in time (hang)"),
        }
    }
}

/// One hand-made gRPC request.
pub struct RawCall {
    pub path: String,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Vec<u8>,
    /// Stop reading after the first message (server streams).
    pub streaming: bool,
    pub timeout: Duration,
}

impl RawCall {
    pub fn new(path: impl Into<String>, body: Vec<u8>) -> Self {
        Self {
            path: path.into(),
            headers: Vec::new(),
            body,
            streaming: false,
            timeout: Duration::from_secs(15),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((
            HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            HeaderValue::from_str(value).expect("header value"),
        ));
        self
    }

    pub fn bearer(self, token: Option<&str>) -> Self {
        match token {
            Some(token) => self.header("authorization", &format!("Bearer {token}")),
            None => self,
        }
    }

    /// Sends the call on `channel` and reads its answer.
    pub async fn send(self, channel: &Channel) -> Outcome {
        let (request, streaming, timeout) = self.into_request(None);
        let exchange = async move {
            match channel.clone().oneshot(request).await {
                Ok(response) => read_answer(response, streaming).await,
                Err(error) => Outcome::Transport(error_chain(&error)),
            }
        };
        tokio::time::timeout(timeout, exchange)
            .await
            .unwrap_or(Outcome::Hung)
    }

    /// Sends the call on a new HTTP/2 connection to `address`, as a bare
    /// client that, unlike tonic's channel, does not enforce the call's
    /// `grpc-timeout` itself but waits for the server's answer.
    pub async fn send_over_new_connection(self, address: SocketAddr) -> Outcome {
        let (request, streaming, timeout) = self.into_request(Some(address));
        let exchange = async move {
            let stream = match TcpStream::connect(address).await {
                Ok(stream) => stream,
                Err(error) => return Outcome::Transport(error.to_string()),
            };
            let (mut sender, connection) = match hyper::client::conn::http2::handshake(
                TokioExecutor::new(),
                TokioIo::new(stream),
            )
            .await
            {
                Ok(handshake) => handshake,
                Err(error) => return Outcome::Transport(error_chain(&error)),
            };
            let connection = tokio::spawn(connection);
            let outcome = match sender.send_request(request).await {
                Ok(response) => read_answer(response, streaming).await,
                Err(error) => Outcome::Transport(error_chain(&error)),
            };
            connection.abort();
            outcome
        };
        tokio::time::timeout(timeout, exchange)
            .await
            .unwrap_or(Outcome::Hung)
    }

    fn into_request(
        self,
        authority: Option<SocketAddr>,
    ) -> (http::Request<tonic::body::Body>, bool, Duration) {
        let uri = match authority {
            Some(address) => format!("http://{address}{}", self.path),
            None => self.path,
        };
        let mut request = http::Request::builder()
            .method("POST")
            .uri(uri)
            .header("content-type", "application/grpc")
            .header("te", "trailers");
        for (name, value) in self.headers {
            request = request.header(name, value);
        }
        let request = request
            .body(tonic::body::Body::new(Full::new(Bytes::from(self.body))))
            .expect("a request");
        (request, self.streaming, self.timeout)
    }
}

/// Reads an answer whole, or up to its first message when `streaming`.
async fn read_answer<B>(response: http::Response<B>, streaming: bool) -> Outcome
where
    B: http_body::Body + Unpin,
    B::Error: std::error::Error + 'static,
{
    let (parts, mut body) = response.into_parts();
    let mut status = parts.headers;
    let mut messages = 0;
    while let Some(frame) = body.frame().await {
        match frame {
            Err(error) => return Outcome::Transport(error_chain(&error)),
            Ok(frame) if frame.is_data() => {
                messages += 1;
                if streaming {
                    break;
                }
            }
            Ok(frame) => {
                if let Ok(trailers) = frame.into_trailers() {
                    status.extend(trailers);
                }
            }
        }
    }
    let (code, message) = grpc_status(&status);
    Outcome::Answered {
        http: parts.status.as_u16(),
        code,
        message,
        messages,
    }
}

/// The gRPC status in a set of headers or trailers.
fn grpc_status(headers: &HeaderMap) -> (Option<Code>, String) {
    let code = headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok())
        .map(Code::from_i32);
    let message = headers
        .get("grpc-message")
        .map(|v| percent_decoded(v.as_bytes()))
        .unwrap_or_default();
    (code, message)
}

/// A `grpc-message` as its sender wrote it (it travels percent-encoded).
fn percent_decoded(encoded: &[u8]) -> String {
    let mut decoded = Vec::with_capacity(encoded.len());
    let mut i = 0;
    while i < encoded.len() {
        let hex = encoded
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (encoded[i], hex) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                i += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// An error with its causes, on one line.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// What a grpc-web-text call over HTTP/1.1 got back.
#[derive(Debug)]
pub struct WebAnswer {
    /// The status line and headers, as received.
    pub head: String,
    /// The decoded body: message frames, then the trailer frame.
    pub body: Vec<u8>,
}

impl WebAnswer {
    /// The `grpc-status` of the answer (from the headers or the trailer
    /// frame), if any.
    pub fn grpc_status(&self) -> Option<Code> {
        let in_head = self.head.lines().find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("grpc-status")
                .then(|| value.trim().parse().ok())?
        });
        let trailers = String::from_utf8_lossy(&self.body).into_owned();
        let in_trailers = trailers.split("\r\n").find_map(|line| {
            let value = line.split_once("grpc-status:")?.1;
            value.trim().parse().ok()
        });
        in_head.or(in_trailers).map(Code::from_i32)
    }
}

/// POSTs `message`, framed and base64-encoded as grpc-web-text with a
/// `Content-Length`, to `path` on `address` over a fresh HTTP/1.1
/// connection, and reads the whole answer (the server closes the
/// connection after it: `Connection: close`).
pub async fn grpc_web_text(
    address: SocketAddr,
    path: &str,
    message: &[u8],
    extra_headers: &str,
) -> Result<WebAnswer, String> {
    let body = BASE64.encode(frame(message));
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\ncontent-type: application/grpc-web-text\r\n\
         accept: application/grpc-web-text\r\nx-grpc-web: 1\r\n{extra_headers}\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let exchange = async {
        let mut stream = TcpStream::connect(address)
            .await
            .map_err(|e| e.to_string())?;
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut answer = Vec::new();
        stream
            .read_to_end(&mut answer)
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>(answer)
    };
    let answer = tokio::time::timeout(Duration::from_secs(15), exchange)
        .await
        .map_err(|_| "no answer in time (hang)".to_owned())??;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("not an HTTP answer: {text:?}"))?;
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let payload = if chunked {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    // grpc-web-text answers may be several padded base64 runs, one per
    // frame; each is a whole number of 4-character groups.
    let mut body = Vec::new();
    let symbols: Vec<u8> = payload
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    for group in symbols.chunks(4) {
        body.extend(
            BASE64
                .decode(group)
                .map_err(|e| format!("{e}: {payload:?}"))?,
        );
    }
    Ok(WebAnswer {
        head: head.to_owned(),
        body,
    })
}

/// The payload of an HTTP/1.1 chunked body.
fn dechunk(mut chunked: &str) -> String {
    let mut payload = String::new();
    while let Some((size, rest)) = chunked.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || rest.len() < size {
            break;
        }
        payload.push_str(&rest[..size]);
        chunked = rest[size..].trim_start_matches("\r\n");
    }
    payload
}
