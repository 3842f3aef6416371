//! A server-streaming method over REST, as server-sent events
//! (`text/event-stream`): each message of the gRPC answer becomes one
//! `data:` line of proto3 JSON as soon as its frame is complete, and a
//! stream that ends in an error ends with an `event: error` whose data is
//! the AIP-193 error body. (An error before the first message, such as
//! every refusal of the edge, is an ordinary JSON error with its HTTP
//! status instead: see [`super::Rest`].)

use std::{
    pin::Pin,
    task::{Context, Poll, ready},
};

use bytes::{Buf, Bytes, BytesMut};
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use http_body::Frame;
use prost_reflect::MessageDescriptor;
use tonic::{Code, Status, body::Body};

/// The 200 answer relaying `grpc` (the answer's body) as events of
/// `message` JSON; `rpc_status` decodes an error's details.
pub fn events(
    grpc: Body,
    message: MessageDescriptor,
    rpc_status: MessageDescriptor,
) -> Response<Body> {
    let body = Events {
        grpc,
        buffer: BytesMut::new(),
        message,
        rpc_status,
        done: false,
    };
    let mut response = Response::new(Body::new(body));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// The gRPC answer's frames, re-written as events.
struct Events {
    grpc: Body,
    /// Bytes of a frame not complete yet.
    buffer: BytesMut,
    message: MessageDescriptor,
    rpc_status: MessageDescriptor,
    done: bool,
}

impl Events {
    /// The next whole message's event, if the buffer holds one; a frame
    /// that is not a message of the method (compressed, undecodable) ends
    /// the stream with an error event.
    fn next_event(&mut self) -> Option<Bytes> {
        if self.buffer.len() < 5 {
            return None;
        }
        let length = u32::from_be_bytes([
            self.buffer[1],
            self.buffer[2],
            self.buffer[3],
            self.buffer[4],
        ]);
        let length = usize::try_from(length).ok()?;
        if self.buffer.len() < 5 + length {
            return None;
        }
        let compressed = self.buffer[0] != 0;
        self.buffer.advance(5);
        let frame = self.buffer.split_to(length);
        let json = (!compressed)
            .then(|| super::json::message_json(self.message.clone(), &frame))
            .flatten();
        Some(match json {
            Some(json) => event(None, &json),
            None => self.failed(&Status::from(super::errors::RestError::BadAnswer)),
        })
    }

    /// The error event that ends the stream.
    fn failed(&mut self, status: &Status) -> Bytes {
        self.done = true;
        let body = super::errors::error_body(status, &self.rpc_status);
        event(Some("error"), body.to_string().as_bytes())
    }

    /// The status the trailers report, an error event if it is one.
    fn ended(&mut self, trailers: &HeaderMap) -> Option<Bytes> {
        self.done = true;
        let status = Status::from_header_map(trailers)?;
        (status.code() != Code::Ok).then(|| self.failed(&status))
    }
}

/// One event: `event: NAME` if named, then the data (one line: JSON has no
/// raw newlines).
fn event(name: Option<&str>, data: &[u8]) -> Bytes {
    let mut text = Vec::with_capacity(data.len() + 16);
    if let Some(name) = name {
        text.extend_from_slice(format!("event: {name}\n").as_bytes());
    }
    text.extend_from_slice(b"data: ");
    text.extend_from_slice(data);
    text.extend_from_slice(b"\n\n");
    Bytes::from(text)
}

impl http_body::Body for Events {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        loop {
            if self.done {
                return Poll::Ready(None);
            }
            if let Some(event) = self.next_event() {
                return Poll::Ready(Some(Ok(Frame::data(event))));
            }
            let frame = ready!(Pin::new(&mut self.grpc).poll_frame(cx));
            let event = match frame {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => {
                        self.buffer.extend_from_slice(&data);
                        continue;
                    }
                    Err(frame) => frame
                        .into_trailers()
                        .ok()
                        .and_then(|trailers| self.ended(&trailers)),
                },
                Some(Err(status)) => Some(self.failed(&status)),
                None => {
                    self.done = true;
                    None
                }
            };
            if let Some(event) = event {
                return Poll::Ready(Some(Ok(Frame::data(event))));
            }
        }
    }
}
