//! The request body: nothing, the whole body in one frame, or a slow client's body trickled out
//! in small pieces with a pause between them.
//!
//! The body's length is always known up front (the request also carries `Content-Length`), so
//! even a slow body is sent with a length, never chunked: nginx sees an ordinary request whose
//! bytes simply arrive late.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use tokio::time::{Sleep, sleep};

/// A request body of known length.
#[derive(Debug)]
pub struct RequestBody {
    /// What is still to be sent.
    rest: Bytes,
    /// Bytes per frame (the whole body when not slow).
    chunk: usize,
    /// Pause between frames; zero when not slow.
    interval: Duration,
    /// The running pause before the next frame, if one is due.
    wait: Option<Pin<Box<Sleep>>>,
}

impl RequestBody {
    /// No body at all.
    pub fn empty() -> Self {
        Self::full(Bytes::new())
    }

    /// `body` in a single frame.
    pub fn full(body: Bytes) -> Self {
        Self {
            chunk: body.len().max(1),
            rest: body,
            interval: Duration::ZERO,
            wait: None,
        }
    }

    /// `body` in frames of `chunk` bytes (at least one) with `interval` between two frames.
    pub fn slow(body: Bytes, chunk: usize, interval: Duration) -> Self {
        Self {
            rest: body,
            chunk: chunk.max(1),
            interval,
            wait: None,
        }
    }
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        if this.rest.is_empty() {
            return Poll::Ready(None);
        }
        if let Some(wait) = this.wait.as_mut() {
            ready!(wait.as_mut().poll(cx));
            this.wait = None;
        }
        let piece = this.rest.split_to(this.chunk.min(this.rest.len()));
        if !this.rest.is_empty() && !this.interval.is_zero() {
            this.wait = Some(Box::pin(sleep(this.interval)));
        }
        Poll::Ready(Some(Ok(Frame::data(piece))))
    }

    fn is_end_stream(&self) -> bool {
        self.rest.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.rest.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use tokio::time::Instant;

    async fn frames(mut body: RequestBody) -> Vec<(Bytes, Instant)> {
        let mut out = Vec::new();
        while let Some(frame) = body.frame().await {
            let data = frame.unwrap().into_data().unwrap();
            out.push((data, Instant::now()));
        }
        assert!(body.is_end_stream());
        out
    }

    #[tokio::test]
    async fn empty_and_full_bodies_are_one_frame_or_none() {
        assert!(RequestBody::empty().is_end_stream());
        assert!(frames(RequestBody::empty()).await.is_empty());
        let full = RequestBody::full(Bytes::from_static(b"hello"));
        assert_eq!(full.size_hint().exact(), Some(5));
        let got = frames(full).await;
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, "hello");
    }

    #[tokio::test]
    async fn a_slow_body_is_paced_in_chunks() {
        let start = Instant::now();
        let interval = Duration::from_millis(30);
        let body = RequestBody::slow(Bytes::from_static(b"0123456789"), 4, interval);
        assert_eq!(body.size_hint().exact(), Some(10));
        let got = frames(body).await;
        let pieces: Vec<&[u8]> = got.iter().map(|(b, _)| b.as_ref()).collect();
        assert_eq!(pieces, [&b"0123"[..], b"4567", b"89"]);
        assert!(
            got[0].1 - start < interval,
            "the first piece goes out at once"
        );
        for pair in got.windows(2) {
            assert!(
                pair[1].1 - pair[0].1 >= interval,
                "{:?}",
                pair[1].1 - pair[0].1
            );
        }
    }
}
