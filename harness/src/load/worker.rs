//! One worker: a loop that takes request indices from the shared counter and runs them
//! sequentially on its own (kept-alive) connection.
//!
//! The shared counter is the only coordination between workers, so exactly `requests` are
//! issued in total. Each request races the run deadline and the cancellation token: at the
//! deadline an in-flight request is cut and recorded as a timeout; on cancel it is dropped.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until, timeout};
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
    deadline: Instant,
    cancel: CancellationToken,
}

impl Shared {
    pub fn new(plan: LoadPlan, run_start: Instant, cancel: CancellationToken) -> Self {
        let deadline = run_start
            .checked_add(plan.max_duration)
            .unwrap_or(run_start + NO_DEADLINE);
        Self {
            body: plan.body(),
            plan,
            issued: AtomicU64::new(0),
            run_start,
            deadline,
            cancel,
        }
    }

    /// Claim the next request, or `None` once all are issued, the deadline passed, or the run
    /// was cancelled.
    fn next_request(&self) -> Option<u64> {
        if self.cancel.is_cancelled() || Instant::now() >= self.deadline {
            return None;
        }
        let index = self.issued.fetch_add(1, Ordering::Relaxed);
        (index < self.plan.requests).then_some(index)
    }
}

/// Run requests until the plan is exhausted, sending one [`Sample`] per finished request.
pub(crate) async fn run(id: usize, shared: Arc<Shared>, samples: mpsc::Sender<Sample>) {
    let mut slot: Option<Conn> = None;
    while let Some(index) = shared.next_request() {
        let started = Instant::now();
        let Some(done) = one_request(&shared, &mut slot).await else {
            debug!(worker = id, index, "request dropped: run cancelled");
            break;
        };
        if !done.reusable {
            slot = None;
        }
        let sample = Sample {
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

/// One request bounded by the request timeout and the run deadline; `None` if cancelled.
async fn one_request(shared: &Shared, slot: &mut Option<Conn>) -> Option<Exchange> {
    let plan = &shared.plan;
    tokio::select! {
        biased;
        () = shared.cancel.cancelled() => None,
        () = sleep_until(shared.deadline) => Some(Exchange::failed(
            Outcome::Timeout,
            format!("cut at the run deadline (max_duration {:?})", plan.max_duration),
        )),
        result = timeout(plan.request_timeout, exchange(slot, plan, &shared.body)) => {
            Some(result.unwrap_or_else(|_| Exchange::failed(
                Outcome::Timeout,
                format!("no complete response within {:?}", plan.request_timeout),
            )))
        }
    }
}
