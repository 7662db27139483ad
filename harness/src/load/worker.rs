//! One worker: a loop that takes request indices from the shared counter and runs them
//! sequentially on its own (kept-alive) connection.
//!
//! The shared counter is the only coordination between workers, so at most `requests` are
//! issued in total and every request has a run-unique index. What request `i` does (its method,
//! the pause before it) is decided from the seed and `i` alone, so scheduling never changes it.
//! Each request races the run deadline and the cancellation token: at the deadline an in-flight
//! request is cut and recorded as a timeout; on cancel it is dropped. The soft
//! [`duration`](super::plan::LoadShape::duration) only stops issuing new requests.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::Method;
use tokio::sync::mpsc;
use tokio::time::{Instant, Sleep, sleep_until};
use tokio_util::sync::CancellationToken;
use tracing::debug;

use super::conn::Conn;
use super::exchange::{Exchange, exchange};
use super::plan::LoadPlan;
use super::sample::Sample;
use crate::outcome::Outcome;

/// Far enough in the future to mean "no deadline" without overflowing `Instant`.
const NO_DEADLINE: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// State all workers of one run share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub plan: LoadPlan,
    /// The request body, built once and shared (cheap `Bytes` clones).
    pub body: Bytes,
    issued: AtomicU64,
    run_start: Instant,
    /// Hard end of the run (`max_duration`): in-flight requests are cut.
    deadline: Instant,
    /// No request is issued from here on (`shape.duration`, never after `deadline`).
    stop_issuing: Instant,
    cancel: CancellationToken,
}

impl Shared {
    pub fn new(plan: LoadPlan, run_start: Instant, cancel: CancellationToken) -> Self {
        let deadline = run_start
            .checked_add(plan.max_duration)
            .unwrap_or(run_start + NO_DEADLINE);
        let stop_issuing = plan
            .shape
            .duration
            .and_then(|d| run_start.checked_add(d))
            .map_or(deadline, |t| t.min(deadline));
        Self {
            body: plan.body(),
            plan,
            issued: AtomicU64::new(0),
            run_start,
            deadline,
            stop_issuing,
            cancel,
        }
    }

    /// Whether a new request may still be issued: not cancelled, and neither the deadline nor
    /// the end of the issuing period has passed.
    fn may_issue(&self) -> bool {
        !self.cancel.is_cancelled() && Instant::now() < self.stop_issuing
    }

    /// Claim the next request, or `None` once all are issued, the issuing period or deadline
    /// passed, or the run was cancelled.
    fn next_request(&self) -> Option<u64> {
        if !self.may_issue() {
            return None;
        }
        let index = self.issued.fetch_add(1, Ordering::Relaxed);
        (index < self.plan.requests).then_some(index)
    }

    /// Wait `pause` (cut short by cancel or the end of the issuing period); `true` when a
    /// request may be issued afterwards.
    async fn pause(&self, pause: Duration) -> bool {
        let until = Instant::now()
            .checked_add(pause)
            .map_or(self.stop_issuing, |t| t.min(self.stop_issuing));
        tokio::select! {
            biased;
            () = self.cancel.cancelled() => return false,
            () = sleep_until(until) => {}
        }
        self.may_issue()
    }
}

/// Run requests until the plan is exhausted, sending one [`Sample`] per finished request.
pub(crate) async fn run(id: usize, shared: Arc<Shared>, samples: mpsc::Sender<Sample>) {
    let mut slot: Option<Conn> = None;
    let mut first = true;
    // Registered once per worker, not per request: the cancellation waiter, the run deadline
    // and the request timer (moved forward before each request, which costs no timer lock).
    let mut bounds = Bounds {
        cancelled: std::pin::pin!(shared.cancel.cancelled()),
        deadline: std::pin::pin!(sleep_until(shared.deadline)),
        request: std::pin::pin!(sleep_until(shared.deadline)),
    };
    while let Some(index) = shared.next_request() {
        let decision = shared.plan.decide(index);
        if let (false, Some(pause)) = (first, decision.pause)
            && !shared.pause(pause).await
        {
            debug!(worker = id, index, "not issued: run over during the pause");
            break;
        }
        first = false;
        let started = Instant::now();
        let Some(done) =
            one_request(&shared, &mut bounds, &mut slot, index, &decision.method).await
        else {
            debug!(worker = id, index, "request dropped: run cancelled");
            break;
        };
        if !done.reusable {
            slot = None;
        }
        let sample = Sample {
            id: index,
            method: decision.method,
            outcome: done.outcome,
            latency: started.elapsed(),
            started_at: started.duration_since(shared.run_start),
            detail: done.detail,
            body: done.body,
        };
        if samples.send(sample).await.is_err() {
            debug!(worker = id, "aggregator gone; stopping");
            break;
        }
    }
    debug!(worker = id, "worker finished");
}

/// What bounds each request of one worker: cancellation, the run deadline, the request
/// timeout.
struct Bounds<'a, C: Future<Output = ()>> {
    cancelled: Pin<&'a mut C>,
    deadline: Pin<&'a mut Sleep>,
    request: Pin<&'a mut Sleep>,
}

/// One request bounded by the request timeout and the run deadline; `None` if cancelled.
async fn one_request<C: Future<Output = ()>>(
    shared: &Shared,
    bounds: &mut Bounds<'_, C>,
    slot: &mut Option<Conn>,
    index: u64,
    method: &Method,
) -> Option<Exchange> {
    let plan = &shared.plan;
    let timeout_at = Instant::now()
        .checked_add(plan.request_timeout)
        .unwrap_or(shared.deadline);
    bounds.request.as_mut().reset(timeout_at);
    // Same priorities as `select!(cancel, deadline, timeout(request_timeout, exchange))`: a
    // response that completes as the timer fires still counts.
    tokio::select! {
        biased;
        () = bounds.cancelled.as_mut() => None,
        () = bounds.deadline.as_mut() => Some(Exchange::failed(
            Outcome::Timeout,
            format!("cut at the run deadline (max_duration {:?})", plan.max_duration),
        )),
        done = exchange(slot, plan, index, method, &shared.body) => Some(done),
        () = bounds.request.as_mut() => Some(Exchange::failed(
            Outcome::Timeout,
            format!("no complete response within {:?}", plan.request_timeout),
        )),
    }
}
