//! What a load run does: one [`LoadPlan`] describes the target, the request, and the bounds;
//! its [`LoadShape`] says how requests vary and are paced. A scenario phase with several traffic
//! stages runs one plan per stage (see [`LoadStage`](super::LoadStage)).
//!
//! The plan is plain data so scenarios can build it from YAML and tests can build it inline.
//! Every run is bounded twice, by request count and by wall time, so a misbehaving nginx can
//! never turn a scenario into an unbounded load generator.
//!
//! Every random decision about request `i` is a pure function of `(shape.seed, i)` (see
//! [`LoadPlan::decide`]), so a run with the same seed sends the same method and waits the same
//! time before request `i` however the workers happen to be scheduled.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, Request, header};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::body::RequestBody;
use super::http2::ClientProtocol;
use super::schedule::ConnectionRamp;

// The header carrying each request's run-unique index (one constant, the fake upstreams' own).
pub use fake_upstreams::REQUEST_ID_HEADER;

/// Odd constant (2^64 / golden ratio) spreading request indices over the seed space.
const INDEX_MIX: u64 = 0x9E37_79B9_7F4A_7C15;

/// One load run: where to send, what to send, and how much of it.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    /// Address nginx listens on.
    pub target: SocketAddr,
    /// Value of the `Host` header, so nginx picks the right `server` block.
    pub host: String,
    /// Request method when [`LoadShape::methods`] is empty; `POST`, `PUT` and `PATCH` carry a
    /// body of [`LoadPlan::body_bytes`].
    pub method: Method,
    /// Request target (path and query), e.g. `/bytes/1000`.
    pub path: String,
    /// Size of the request body for `POST`/`PUT`/`PATCH`; ignored for other methods.
    pub body_bytes: usize,
    /// Upper bound on the number of requests to issue (never more, no retries).
    pub requests: u64,
    /// Number of concurrent connections (workers); `0` is treated as `1`.
    pub concurrency: usize,
    /// Bound on one request: connect, sending the (possibly slow) body, head, and the whole
    /// response body.
    pub request_timeout: Duration,
    /// Hard bound on the whole run; requests still in flight at the deadline count as timeouts.
    pub max_duration: Duration,
    /// Method mix, pacing, slow bodies, soft duration and the seed; the default sends
    /// [`LoadPlan::method`] back to back, exactly as plans without a shape always did.
    pub shape: LoadShape,
}

/// How the requests of a run vary and are paced. `LoadShape::default()` changes nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadShape {
    /// Seed of every random decision (method, pacing jitter); request `i` draws from
    /// `StdRng::seed_from_u64(seed ^ i.wrapping_mul(0x9E3779B97F4A7C15))`.
    pub seed: u64,
    /// Weighted method mix, e.g. `[(GET, 50), (POST, 50)]`; empty (or all weights zero) means
    /// always [`LoadPlan::method`]. Entries with weight `0` are never drawn.
    pub methods: Vec<(Method, u32)>,
    /// Pause a worker takes before each of its requests after its first, e.g. to land requests
    /// around an upstream's keep-alive idle timeout. `None`: back to back.
    pub spacing: Option<Duration>,
    /// Each pause is `spacing ± jitter`, drawn uniformly per request and clamped at zero.
    /// Ignored without `spacing`.
    pub jitter: Duration,
    /// Soft bound on the run: no new request is issued after this much time, but requests in
    /// flight finish normally (unlike [`LoadPlan::max_duration`], which cuts them as timeouts).
    /// `None`: issue until `requests` or `max_duration`.
    pub duration: Option<Duration>,
    /// Send request bodies slowly, like a slow client. `None`: the body goes out at once.
    pub slow_body: Option<SlowBody>,
    /// Open-model arrivals: request `i` starts `i × arrival_interval` after the run (stage)
    /// began, whatever earlier responses took, on the first free worker; a start with no free
    /// worker on time waits and is counted late. `None`: workers send back to back (or after
    /// `spacing`).
    pub arrival_interval: Option<Duration>,
    /// Each worker's requests in turn as `(method, path)`: a worker's k-th request is entry
    /// `k mod len`, whatever connection it is on. Replaces `methods`, the plan's method and
    /// path; empty: not used.
    pub sequence: Vec<(Method, String)>,
    /// Open the workers' first connections spread over a time. `None`: all at once.
    pub ramp: Option<ConnectionRamp>,
    /// HTTP/1.1 (default), HTTP/2 with prior knowledge, or gRPC unary calls over HTTP/2.
    pub protocol: ClientProtocol,
    /// With an HTTP/2 protocol: connect over TLS (ALPN `h2`) trusting only the CA in this PEM
    /// file. `None`: cleartext.
    pub tls_ca: Option<std::path::PathBuf>,
}

/// A slow client's request body: `chunk` bytes, a pause of `interval`, the next `chunk`, ...
/// The `Content-Length` header still announces the whole body up front.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlowBody {
    /// Bytes per piece; `0` is treated as `1`.
    pub chunk: usize,
    /// Pause between two pieces (none before the first or after the last).
    pub interval: Duration,
}

/// What request `index` of a plan does, drawn from the plan's seed and the index alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The request's method.
    pub method: Method,
    /// How long the worker waits before issuing it, unless it is the worker's first request;
    /// `None` when the plan has no spacing.
    pub pause: Option<Duration>,
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
            shape: LoadShape::default(),
        }
    }

    /// Whether requests with `method` send a request body.
    pub fn sends_body(method: &Method) -> bool {
        *method == Method::POST || *method == Method::PUT || *method == Method::PATCH
    }

    /// Whether responses to `method` carry a body that can be verified.
    pub(crate) fn expects_body(method: &Method) -> bool {
        method != Method::HEAD
    }

    /// Number of workers actually started: at least one, at most one per request.
    pub(crate) fn workers(&self) -> usize {
        let wanted = self.concurrency.max(1);
        usize::try_from(self.requests).map_or(wanted, |r| wanted.min(r))
    }

    /// The per-request decisions for request `index`: a pure function of the seed and `index`.
    pub fn decide(&self, index: u64) -> Decision {
        if self.shape.methods.is_empty() && self.shape.spacing.is_none() {
            // Nothing to draw: skip seeding a generator on the load driver's hot path.
            return Decision {
                method: self.method.clone(),
                pause: None,
            };
        }
        let mut rng = StdRng::seed_from_u64(self.shape.seed ^ index.wrapping_mul(INDEX_MIX));
        // Always draw in the same order so one decision never shifts another.
        let method = self.draw_method(&mut rng);
        let pause = self.shape.spacing.map(|spacing| {
            let jitter = duration_nanos(self.shape.jitter);
            let offset = if jitter == 0 {
                0
            } else {
                rng.random_range(-i128::from(jitter)..=i128::from(jitter))
            };
            let nanos = (i128::from(duration_nanos(spacing)) + offset).max(0);
            Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
        });
        Decision { method, pause }
    }

    fn draw_method(&self, rng: &mut StdRng) -> Method {
        let total: u64 = self.shape.methods.iter().map(|(_, w)| u64::from(*w)).sum();
        if total == 0 {
            return self.method.clone();
        }
        let mut pick = rng.random_range(0..total);
        for (method, weight) in &self.shape.methods {
            let weight = u64::from(*weight);
            if pick < weight {
                return method.clone();
            }
            pick -= weight;
        }
        unreachable!("a draw below the total weight falls into some entry")
    }

    /// The method and path of a worker's `k`-th request whose drawn method is `drawn`: entry
    /// `k mod len` of the sequence, else `drawn` and the plan's path.
    pub fn step(&self, k: u64, drawn: Method) -> (Method, &str) {
        let len = self.shape.sequence.len() as u64;
        match usize::try_from(k.checked_rem(len).unwrap_or(0)) {
            Ok(i) if len > 0 => {
                let (method, path) = &self.shape.sequence[i];
                (method.clone(), path)
            }
            _ => (drawn, &self.path),
        }
    }

    /// The request body shared by every body-carrying request of this plan (empty if none can
    /// carry one).
    pub(crate) fn body(&self) -> Bytes {
        let any_sends = Self::sends_body(&self.method)
            || self
                .shape
                .methods
                .iter()
                .any(|(m, w)| *w > 0 && Self::sends_body(m))
            || self.shape.sequence.iter().any(|(m, _)| Self::sends_body(m));
        if any_sends {
            fake_upstreams::body::pattern(self.body_bytes)
        } else {
            Bytes::new()
        }
    }

    /// Build the request with run-unique id `index`, `method` and `path`; `body` is
    /// [`LoadPlan::body`], shared between requests.
    pub(crate) fn request(
        &self,
        index: u64,
        method: &Method,
        path: &str,
        body: &Bytes,
    ) -> Result<Request<RequestBody>, http::Error> {
        let mut builder = Request::builder()
            .method(method.clone())
            .uri(path)
            .header(header::HOST, self.host.as_str())
            .header(
                HeaderName::from_static(REQUEST_ID_HEADER),
                HeaderValue::from(index),
            );
        let body = if Self::sends_body(method) {
            builder = builder.header(header::CONTENT_LENGTH, body.len());
            match self.shape.slow_body {
                Some(slow) => RequestBody::slow(body.clone(), slow.chunk, slow.interval),
                None => RequestBody::full(body.clone()),
            }
        } else {
            RequestBody::empty()
        };
        builder.body(body)
    }
}

fn duration_nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::body::Body;

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
        assert!(body.is_empty(), "a GET-only plan needs no body");
        let get = p.request(0, &Method::GET, "/x", &body).unwrap();
        assert!(get.headers().get(header::CONTENT_LENGTH).is_none());
        assert_eq!(get.headers()[header::HOST], "localhost");
        assert_eq!(get.body().size_hint().exact(), Some(0));
        p.method = Method::POST;
        let body = p.body();
        let post = p.request(1, &Method::POST, "/x", &body).unwrap();
        assert_eq!(post.headers()[header::CONTENT_LENGTH], "7");
        assert_eq!(post.body().size_hint().exact(), Some(7));
        assert_eq!(body.len(), 7);
        for m in [Method::PUT, Method::PATCH] {
            let r = p.request(2, &m, "/x", &body).unwrap();
            assert_eq!(r.headers()[header::CONTENT_LENGTH], "7", "{m}");
        }
    }

    #[test]
    fn a_mix_with_a_body_method_builds_the_body() {
        let mut p = plan();
        p.body_bytes = 3;
        p.shape.methods = vec![(Method::GET, 1), (Method::PATCH, 1)];
        assert_eq!(p.body().len(), 3);
        p.shape.methods = vec![(Method::GET, 1), (Method::PATCH, 0)];
        assert!(p.body().is_empty());
    }

    #[test]
    fn every_request_carries_its_index() {
        let p = plan();
        let r = p
            .request(12_345, &Method::GET, "/x", &Bytes::new())
            .unwrap();
        assert_eq!(r.headers()[REQUEST_ID_HEADER], "12345");
    }

    #[test]
    fn a_sequence_gives_each_worker_request_its_entry_in_turn() {
        let mut p = plan();
        assert_eq!(p.step(5, Method::PUT), (Method::PUT, "/x"), "no sequence");
        p.shape.sequence = vec![(Method::GET, "/a".into()), (Method::POST, "/b".into())];
        let steps: Vec<(Method, &str)> = (0..5).map(|k| p.step(k, Method::PUT)).collect();
        assert_eq!(
            steps,
            [
                (Method::GET, "/a"),
                (Method::POST, "/b"),
                (Method::GET, "/a"),
                (Method::POST, "/b"),
                (Method::GET, "/a")
            ]
        );
        p.body_bytes = 4;
        assert_eq!(p.body().len(), 4, "a POST in the sequence needs the body");
    }

    #[test]
    fn default_shape_keeps_the_plain_method_and_no_pause() {
        let p = plan();
        for i in 0..100 {
            assert_eq!(
                p.decide(i),
                Decision {
                    method: Method::GET,
                    pause: None
                }
            );
        }
    }

    #[test]
    fn decisions_are_a_pure_function_of_seed_and_index() {
        let mut p = plan();
        p.shape.seed = 42;
        p.shape.methods = vec![(Method::GET, 1), (Method::POST, 1), (Method::PUT, 1)];
        p.shape.spacing = Some(Duration::from_millis(100));
        p.shape.jitter = Duration::from_millis(50);
        let forward: Vec<Decision> = (0..200).map(|i| p.decide(i)).collect();
        let backward: Vec<Decision> = (0..200).rev().map(|i| p.decide(i)).collect();
        assert!(forward.iter().eq(backward.iter().rev()));
        let mut other = p.clone();
        other.shape.seed = 43;
        let different = (0..200).filter(|&i| other.decide(i) != p.decide(i)).count();
        assert!(different > 100, "another seed must change decisions");
    }

    #[test]
    fn the_mix_follows_the_weights() {
        let mut p = plan();
        p.shape.seed = 7;
        p.shape.methods = vec![(Method::GET, 3), (Method::POST, 1), (Method::DELETE, 0)];
        let n = 4000;
        let gets = (0..n)
            .filter(|&i| p.decide(i).method == Method::GET)
            .count();
        let deletes = (0..n)
            .filter(|&i| p.decide(i).method == Method::DELETE)
            .count();
        assert_eq!(deletes, 0);
        let share = gets as f64 / n as f64;
        assert!((share - 0.75).abs() < 0.05, "GET share {share}");
    }

    #[test]
    fn pauses_stay_within_spacing_plus_minus_jitter_and_never_below_zero() {
        let mut p = plan();
        p.shape.spacing = Some(Duration::from_millis(100));
        p.shape.jitter = Duration::from_millis(20);
        let pauses: Vec<Duration> = (0..500).map(|i| p.decide(i).pause.unwrap()).collect();
        assert!(
            pauses
                .iter()
                .all(|d| (Duration::from_millis(80)..=Duration::from_millis(120)).contains(d))
        );
        assert!(pauses.iter().any(|d| *d < Duration::from_millis(95)));
        assert!(pauses.iter().any(|d| *d > Duration::from_millis(105)));
        p.shape.jitter = Duration::from_millis(300);
        let pauses: Vec<Duration> = (0..500).map(|i| p.decide(i).pause.unwrap()).collect();
        assert!(pauses.contains(&Duration::ZERO), "clamped at zero");
        p.shape.jitter = Duration::ZERO;
        assert_eq!(p.decide(3).pause, Some(Duration::from_millis(100)));
    }
}
