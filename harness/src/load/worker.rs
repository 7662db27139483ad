//! One worker: a loop that takes request indices from the shared counter and runs them
//! sequentially on its own (kept-alive) connection.
//!
//! The shared counter is the only coordination between workers, so at most `requests` are
//! issued in total and every request has a run-unique index. What request `i` does (its method,
//! the pause before it) is decided from the seed and `i` alone, so scheduling never changes it.
//! Each request races the run deadline and the cancellation token: at the deadline an in-flight
//! request is cut and recorded as a timeout; on cancel it is dropped. The soft
//! [`duration`](super::plan::LoadShape::duration) only stops issuing new requests.
//!
//! One [`Shared`] is one stage: its bounds count from the stage's start, its requests' ids from
//! the stage's first id (so ids stay run-unique across stages), and its samples' start times
//! from the run's start. A worker waits for its ramp slot before its first request and, with an
//! arrival rate, for each request's scheduled start (see `schedule`); a request claimed after its
//! scheduled start is counted late.

use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::Method;
use tokio::sync::mpsc;
use tokio::time::{Instant, Sleep, sleep_until};
use tokio_util::sync::CancellationToken;
use tracing::debug;

use super::aggregate::Aggregator;
use super::exchange::{Http1, exchange};
use super::http2::{self, H2Conn};
use super::plan::LoadPlan;
use super::sample::Sample;
use super::schedule::{lateness, scheduled_start};
use super::verdict::Exchange;
use crate::outcome::Outcome;

/// Far enough in the future to mean "no deadline" without overflowing `Instant`.
const NO_DEADLINE: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// A value alone on its cache line(s), so writing it does not evict what sits beside it from
/// the other CPUs' caches (128 bytes: two 64-byte lines, for CPUs that fetch them in pairs).
#[derive(Debug)]
#[repr(align(128))]
struct OwnLine<T>(T);

impl<T> std::ops::Deref for OwnLine<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// State all workers of one stage share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub plan: LoadPlan,
    /// The request body, built once and shared (cheap `Bytes` clones).
    pub body: Bytes,
    /// The stage's name, carried by every sample.
    stage: Arc<str>,
    /// Id of the stage's request 0; request `i` has id `first_id + i`.
    first_id: u64,
    /// Requests claimed so far: the one field every worker writes per request.
    issued: OwnLine<AtomicU64>,
    run_start: Instant,
    stage_start: Instant,
    /// Hard end of the stage (`max_duration`): in-flight requests are cut.
    deadline: Instant,
    /// No request is issued from here on (`shape.duration`, never after `deadline`).
    stop_issuing: Instant,
    cancel: CancellationToken,
    /// Requests claimed after their scheduled start (see `schedule::lateness`).
    late_starts: AtomicU64,
    /// The latest of those, in microseconds.
    max_late_us: AtomicU64,
}

impl Shared {
    /// A one-stage run named `"1"` starting at `run_start`.
    pub fn new(plan: LoadPlan, run_start: Instant, cancel: CancellationToken) -> Self {
        Self::stage(plan, "1".into(), 0, run_start, cancel)
    }

    /// A stage starting now, of a run that started at `run_start`.
    pub fn stage(
        plan: LoadPlan,
        stage: Arc<str>,
        first_id: u64,
        run_start: Instant,
        cancel: CancellationToken,
    ) -> Self {
        let stage_start = Instant::now().max(run_start);
        let deadline = stage_start
            .checked_add(plan.max_duration)
            .unwrap_or(stage_start + NO_DEADLINE);
        let stop_issuing = plan
            .shape
            .duration
            .and_then(|d| stage_start.checked_add(d))
            .map_or(deadline, |t| t.min(deadline));
        Self {
            body: plan.body(),
            plan,
            stage,
            first_id,
            issued: OwnLine(AtomicU64::new(0)),
            run_start,
            stage_start,
            deadline,
            stop_issuing,
            cancel,
            late_starts: AtomicU64::new(0),
            max_late_us: AtomicU64::new(0),
        }
    }

    /// Requests claimed after their scheduled start, and the latest of them.
    pub fn lateness(&self) -> (u64, Duration) {
        let late = self.late_starts.load(Ordering::Relaxed);
        (
            late,
            Duration::from_micros(self.max_late_us.load(Ordering::Relaxed)),
        )
    }
}

/// One worker's view of its stage: the shared state, plus what the worker keeps to itself so
/// that it writes no memory another thread's workers touch per request (its own cancellation
/// node, its own copy of the stage name); only the request counter is shared, on a cache line
/// of its own. With one shared token and name, every request locked the same mutex and bumped
/// the same reference count from both client threads.
struct Lane<'a> {
    shared: &'a Shared,
    cancel: CancellationToken,
    stage: Arc<str>,
}

impl<'a> Lane<'a> {
    fn new(shared: &'a Shared) -> Self {
        Self {
            shared,
            cancel: shared.cancel.child_token(),
            stage: Arc::from(&*shared.stage),
        }
    }

    /// Whether a new request may still be issued: not cancelled, and neither the deadline nor
    /// the end of the issuing period has passed.
    fn may_issue(&self) -> bool {
        !self.cancel.is_cancelled() && Instant::now() < self.shared.stop_issuing
    }

    /// Claim the next request, or `None` once all are issued, the issuing period or deadline
    /// passed, or the run was cancelled.
    fn next_request(&self) -> Option<u64> {
        if !self.may_issue() {
            return None;
        }
        let index = self.shared.issued.fetch_add(1, Ordering::Relaxed);
        (index < self.shared.plan.requests).then_some(index)
    }

    /// Wait `pause` (cut short by cancel or the end of the issuing period); `true` when a
    /// request may be issued afterwards.
    async fn pause(&self, pause: Duration) -> bool {
        self.wait_until(Instant::now().checked_add(pause)).await
    }

    /// Wait until `at` (`None`: forever), cut short by cancel or the end of the issuing
    /// period; `true` when a request may be issued afterwards.
    async fn wait_until(&self, at: Option<Instant>) -> bool {
        let until = at.map_or(self.shared.stop_issuing, |t| {
            t.min(self.shared.stop_issuing)
        });
        tokio::select! {
            biased;
            () = self.cancel.cancelled() => return false,
            () = sleep_until(until) => {}
        }
        self.may_issue()
    }

    /// Wait for worker `id`'s slot in the connection ramp, if any; `true` when it may start.
    async fn ramp(&self, id: usize) -> bool {
        match self.shared.plan.shape.ramp {
            Some(ramp) => {
                self.wait_until(self.shared.stage_start.checked_add(ramp.delay(id)))
                    .await
            }
            None => true,
        }
    }

    /// Wait for request `index`'s scheduled start with an arrival rate, counting it late if
    /// that has passed; `true` when it may be issued.
    async fn on_schedule(&self, index: u64, interval: Duration) -> bool {
        let scheduled = scheduled_start(interval, index);
        if let Some(late) = lateness(scheduled, self.shared.stage_start.elapsed()) {
            self.shared.late_starts.fetch_add(1, Ordering::Relaxed);
            let micros = u64::try_from(late.as_micros()).unwrap_or(u64::MAX);
            self.shared.max_late_us.fetch_max(micros, Ordering::Relaxed);
            return self.may_issue();
        }
        self.wait_until(self.shared.stage_start.checked_add(scheduled))
            .await
    }

    /// Wait whatever comes before request `index`: its scheduled start with a rate, else the
    /// drawn pause unless it is the worker's `first` request. `true` when it may be issued.
    async fn before(&self, index: u64, pause: Option<Duration>, first: bool) -> bool {
        match (self.shared.plan.shape.arrival_interval, pause) {
            (Some(interval), _) => self.on_schedule(index, interval).await,
            (None, Some(pause)) if !first => self.pause(pause).await,
            _ => true,
        }
    }
}

/// Where a worker puts the [`Sample`] of each finished request.
pub(crate) trait Samples {
    /// Take one sample; `false` when nobody takes samples any more (the worker then stops).
    fn put(&mut self, sample: Sample) -> impl Future<Output = bool>;
}

/// To an aggregator task on another thread or task (scenarios: live counts per batch).
impl Samples for mpsc::Sender<Sample> {
    async fn put(&mut self, sample: Sample) -> bool {
        self.send(sample).await.is_ok()
    }
}

/// Straight into the aggregator of this thread's workers (`badgateway load`: a plain append,
/// no channel and no wake-up of another task per request).
impl Samples for Rc<RefCell<Aggregator>> {
    async fn put(&mut self, sample: Sample) -> bool {
        self.borrow_mut().record(&sample);
        true
    }
}

/// Run requests until the plan is exhausted, putting one [`Sample`] per finished request.
pub(crate) async fn run(id: usize, shared: Arc<Shared>, mut samples: impl Samples) {
    let lane = Lane::new(&shared);
    let mut slot = Slot::default();
    // Registered once per worker, not per request: the cancellation waiter, the run deadline
    // and the request timer (moved forward before each request, which costs no timer lock).
    let mut bounds = Bounds {
        cancelled: std::pin::pin!(lane.cancel.cancelled()),
        deadline: std::pin::pin!(sleep_until(shared.deadline)),
        request: std::pin::pin!(sleep_until(shared.deadline)),
    };
    // This worker's requests so far: the position in the plan's sequence.
    let mut k: u64 = 0;
    while let Some(index) = lane.next_request() {
        // The first request is claimed before the ramp slot, so every ramped worker opens its
        // connection even when the workers started earlier could serve all requests.
        if k == 0 && !lane.ramp(id).await {
            debug!(worker = id, index, "not issued: run over during the ramp");
            break;
        }
        let request_id = shared.first_id + index;
        let decision = shared.plan.decide(request_id);
        if !lane.before(index, decision.pause, k == 0).await {
            debug!(worker = id, index, "not issued: run over before its start");
            break;
        }
        let (method, path) = shared.plan.step(k, decision.method);
        k += 1;
        let started = Instant::now();
        let Some(done) =
            one_request(&shared, &mut bounds, &mut slot, request_id, (&method, path)).await
        else {
            debug!(worker = id, index, "request dropped: run cancelled");
            break;
        };
        if !done.reusable {
            slot = Slot::default();
        }
        let sample = Sample {
            id: request_id,
            method,
            outcome: done.outcome,
            latency: started.elapsed(),
            started_at: started.duration_since(shared.run_start),
            detail: done.detail,
            body: done.body,
            stage: Arc::clone(&lane.stage),
            h2: done.h2,
        };
        if !samples.put(sample).await {
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

/// A worker's kept-alive connection: HTTP/1.1, or HTTP/2 when the plan's protocol says so.
#[derive(Default)]
struct Slot {
    http1: Option<Http1>,
    http2: Option<H2Conn>,
}

/// One request bounded by the request timeout and the run deadline; `None` if cancelled.
async fn one_request<C: Future<Output = ()>>(
    shared: &Shared,
    bounds: &mut Bounds<'_, C>,
    slot: &mut Slot,
    index: u64,
    step: (&Method, &str),
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
        done = async {
            if plan.shape.protocol.is_http2() {
                http2::exchange(&mut slot.http2, plan, index, step, &shared.body).await
            } else {
                exchange(&mut slot.http1, plan, index, step, &shared.body).await
            }
        } => Some(done),
        () = bounds.request.as_mut() => Some(Exchange::failed(
            Outcome::Timeout,
            format!("no complete response within {:?}", plan.request_timeout),
        )),
    }
}
