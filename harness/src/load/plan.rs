//! What a load run does: one [`LoadPlan`] describes the target, the request, and the bounds.
//!
//! The plan is plain data so scenarios can build it from YAML and tests can build it inline.
//! Every run is bounded twice, by request count and by wall time, so a misbehaving nginx can
//! never turn a scenario into an unbounded load generator.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, header};
use http_body_util::Full;

/// One load run: where to send, what to send, and how much of it.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    /// Address nginx listens on.
    pub target: SocketAddr,
    /// Value of the `Host` header, so nginx picks the right `server` block.
    pub host: String,
    /// Request method; `POST` and `PUT` carry a body of [`LoadPlan::body_bytes`].
    pub method: Method,
    /// Request target (path and query), e.g. `/bytes/1000`.
    pub path: String,
    /// Size of the request body for `POST`/`PUT`; ignored for other methods.
    pub body_bytes: usize,
    /// Total number of requests to issue (never more, no retries).
    pub requests: u64,
    /// Number of concurrent connections (workers); `0` is treated as `1`.
    pub concurrency: usize,
    /// Bound on one request: connect, head, and the whole body.
    pub request_timeout: Duration,
    /// Bound on the whole run; requests still in flight at the deadline count as timeouts.
    pub max_duration: Duration,
}

impl LoadPlan {
    /// A plan for `requests` GETs of `path` at `target`, with conservative defaults for the rest.
    pub fn get(target: SocketAddr, path: impl Into<String>, requests: u64) -> Self {
        Self {
            target,
            host: "localhost".to_string(),
            method: Method::GET,
            path: path.into(),
            body_bytes: 0,
            requests,
            concurrency: 1,
            request_timeout: Duration::from_secs(5),
            max_duration: Duration::from_secs(60),
        }
    }

    /// Whether this plan's method sends a request body.
    pub fn sends_body(&self) -> bool {
        self.method == Method::POST || self.method == Method::PUT
    }

    /// Whether responses to this plan's method carry a body that can be verified.
    pub(crate) fn expects_body(&self) -> bool {
        self.method != Method::HEAD
    }

    /// Number of workers actually started: at least one, at most one per request.
    pub(crate) fn workers(&self) -> usize {
        let wanted = self.concurrency.max(1);
        usize::try_from(self.requests).map_or(wanted, |r| wanted.min(r))
    }

    /// The request body every request of this plan carries (empty unless it sends one).
    pub(crate) fn body(&self) -> Bytes {
        if self.sends_body() {
            fake_upstreams::body::pattern(self.body_bytes)
        } else {
            Bytes::new()
        }
    }

    /// Build one request of this plan; `body` is [`LoadPlan::body`], shared between requests.
    pub(crate) fn request(&self, body: &Bytes) -> Result<Request<Full<Bytes>>, http::Error> {
        let mut builder = Request::builder()
            .method(self.method.clone())
            .uri(self.path.as_str())
            .header(header::HOST, self.host.as_str());
        if self.sends_body() {
            builder = builder.header(header::CONTENT_LENGTH, body.len());
        }
        builder.body(Full::new(body.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> LoadPlan {
        LoadPlan::get(([127, 0, 0, 1], 80).into(), "/x", 10)
    }

    #[test]
    fn workers_are_bounded_by_requests_and_at_least_one() {
        let mut p = plan();
        p.concurrency = 0;
        assert_eq!(p.workers(), 1);
        p.concurrency = 50;
        assert_eq!(p.workers(), 10);
    }

    #[test]
    fn post_carries_a_sized_body_and_get_does_not() {
        let mut p = plan();
        p.body_bytes = 7;
        let body = p.body();
        let get = p.request(&body).unwrap();
        assert!(get.headers().get(header::CONTENT_LENGTH).is_none());
        assert_eq!(get.headers()[header::HOST], "localhost");
        p.method = Method::POST;
        let body = p.body();
        let post = p.request(&body).unwrap();
        assert_eq!(post.headers()[header::CONTENT_LENGTH], "7");
        assert_eq!(body.len(), 7);
    }
}
