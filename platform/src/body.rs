//! A message body whose frames its owner looks at, and may change, as they
//! pass: the one shape behind the answers' trailer rules (`answers`), the
//! note that a request broke off, and the guard's verdict on a call whose
//! status comes in the trailers (`resilience`).

use std::{
    pin::Pin,
    task::{Context, Poll},
};

use http_body::Frame;
use tonic::{Status, body::Body, codegen::Bytes};

/// One poll of a body, as [`inspected`]'s callback sees it.
pub type Polled = Poll<Option<Result<Frame<Bytes>, Status>>>;

/// `inner`, with `inspect` called on every poll before its result goes on.
pub fn inspected<F>(inner: Body, inspect: F) -> Body
where
    F: FnMut(&mut Polled) + Send + 'static,
{
    Body::new(Inspected { inner, inspect })
}

pin_project_lite::pin_project! {
    struct Inspected<F> {
        #[pin]
        inner: Body,
        inspect: F,
    }
}

impl<F: FnMut(&mut Polled)> http_body::Body for Inspected<F> {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Polled {
        let this = self.project();
        let mut polled = this.inner.poll_frame(cx);
        (this.inspect)(&mut polled);
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
