//! The load driver: sends a bounded amount of HTTP/1.1 load through nginx and reports what
//! every request ended as.
//!
//! Modelled on oha: [`drive`] spawns `concurrency` workers (see `worker`), each owning at most
//! one keep-alive connection; every finished request becomes one [`Sample`] sent over a channel
//! to a pure [`Aggregator`], which produces the [`LoadReport`]. Requests are never retried, so
//! the report counts exactly what a client would have seen. [`drive_threaded`] (`badgateway
//! load`) skips the channel: each client thread's workers record into that thread's aggregator.
//!
//! A run may have several stages ([`drive_stages`]), run one after the other with their own
//! plans into one report: request ids continue from stage to stage, sample times count from
//! the run's start, and outcomes are also counted per stage.
//!
//! Files: `plan` (what to send, and the seeded per-request decisions), `body` (request bodies,
//! including a slow client's), `conn` (one connection), `exchange` (one request read to the
//! end), `http2` (the HTTP/2 and gRPC client mode: one exchange on an h2c connection),
//! `classify` (error → [`Outcome`](crate::outcome::Outcome)), `worker` (the request loop),
//! `schedule` (arrival rate and connection ramp timing), `sample`, `aggregate`, `report`,
//! `live` (counts published while the load runs), `websocket` (sockets instead of requests).

mod aggregate;
mod body;
mod classify;
mod conn;
mod exchange;
pub mod fitted;
mod http2;
mod lean;
mod live;
mod plan;
mod replay;
mod report;
mod sample;
mod schedule;
pub mod stall;
mod verdict;
mod websocket;
mod worker;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::{JoinSet, LocalSet};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::debug;

pub use aggregate::{Aggregator, MAX_EXAMPLES, TIMELINE_BUCKET_MS};
pub use classify::{Stage, classify, error_chain, io_kind};
pub use http2::ClientProtocol;
pub use live::{LiveCounts, LiveSender};
pub use plan::{Decision, LoadPlan, LoadShape, REQUEST_ID_HEADER, SlowBody};
pub use report::{
    ClientRecord, Integrity, LatencySummary, LoadReport, StageReport, TimelineBucket,
};
pub use sample::{BodyCheck, H2Record, Sample};
pub use schedule::{ConnectionRamp, LATE_AFTER};
pub use websocket::{SocketRecord, WsPlan, drive_websocket};

/// One stage of a run: its name (carried by its samples) and its plan.
#[derive(Debug, Clone)]
pub struct LoadStage {
    pub name: String,
    pub plan: LoadPlan,
}

/// Samples buffered between workers and the aggregator before workers wait.
const SAMPLE_CHANNEL: usize = 1024;
/// Most samples the aggregator takes off the channel at once.
const SAMPLE_BATCH: usize = 256;

/// Run `plan` against its target and report every request's outcome.
///
/// Issues at most `plan.requests` requests and stops issuing at `plan.shape.duration`,
/// `plan.max_duration`, or when `cancel` fires. Requests in flight when `shape.duration` ends
/// finish normally; requests in flight at the `max_duration` deadline are recorded as
/// [`Outcome::Timeout`](crate::outcome::Outcome::Timeout); requests in flight at cancellation are
/// dropped and the report is marked `cancelled`. Returns once every worker has stopped and every
/// connection it opened is closed.
pub async fn drive(plan: &LoadPlan, cancel: CancellationToken) -> LoadReport {
    let (live, _) = tokio::sync::watch::channel(LiveCounts::default());
    drive_live(plan, cancel, &live).await
}

/// [`drive`] for raw throughput (`badgateway load`): the workers are split over `threads` OS
/// threads (at most one per worker), each running its share on its own single-threaded
/// runtime with its own [`Aggregator`]; the aggregators are merged at the end. No task ever
/// wakes a task on another thread, which on a small machine costs more than the requests
/// (futex wake-ups of parked scheduler threads). Same bounds and report as [`drive`]; no live
/// counts. Blocking: call it outside async code (e.g. from `spawn_blocking`).
pub fn drive_threaded(plan: &LoadPlan, cancel: CancellationToken, threads: usize) -> LoadReport {
    let run_start = Instant::now();
    let shared = Arc::new(worker::Shared::new(plan.clone(), run_start, cancel.clone()));
    let count = plan.workers();
    let threads = threads.clamp(1, count);
    debug!(target = %plan.target, requests = plan.requests, workers = count, threads, "threaded load run starting");
    let parts: Vec<Aggregator> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let shared = Arc::clone(&shared);
                scope.spawn(move || shard(t, threads, count, shared))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let wall = run_start.elapsed();
    let mut all = Aggregator::new();
    for part in parts {
        all.merge(part);
    }
    all.finish(wall, cancel.is_cancelled())
}

/// Workers `t`, `t + threads`, ... of a run on this thread's own runtime; their aggregate.
/// The workers are local tasks that record straight into one aggregator of this thread (as
/// oha keeps its results per thread): no channel, no aggregator task to wake.
fn shard(t: usize, threads: usize, count: usize, shared: Arc<worker::Shared>) -> Aggregator {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a single-threaded tokio runtime can be built");
    let aggregator = Rc::new(RefCell::new(Aggregator::new()));
    let local = LocalSet::new();
    let mut workers = JoinSet::new();
    for id in (t..count).step_by(threads) {
        let run = worker::run(id, Arc::clone(&shared), Rc::clone(&aggregator));
        workers.spawn_local_on(run, &local);
    }
    runtime.block_on(local.run_until(async {
        while let Some(joined) = workers.join_next().await {
            if let Err(e) = joined {
                debug!(error = %e, "load worker did not finish cleanly");
            }
        }
    }));
    drop(workers);
    drop(local);
    Rc::try_unwrap(aggregator).map_or_else(|shared| shared.take(), RefCell::into_inner)
}

/// Run the workers `ids` until they stop and aggregate their samples, taken in batches
/// (whatever has queued up, up to `SAMPLE_BATCH`); `on_batch` sees each recorded batch.
async fn run_workers(
    ids: impl Iterator<Item = usize>,
    shared: Arc<worker::Shared>,
    mut on_batch: impl FnMut(&[Sample]),
) -> Aggregator {
    let (tx, mut rx) = mpsc::channel(SAMPLE_CHANNEL);
    let mut workers = JoinSet::new();
    for id in ids {
        workers.spawn(worker::run(id, Arc::clone(&shared), tx.clone()));
    }
    drop(tx);
    // The channel closes when the last worker has finished.
    let mut aggregator = Aggregator::new();
    let mut batch = Vec::with_capacity(SAMPLE_BATCH);
    while rx.recv_many(&mut batch, SAMPLE_BATCH).await > 0 {
        for sample in &batch {
            aggregator.record(sample);
        }
        on_batch(&batch);
        batch.clear();
    }
    while let Some(joined) = workers.join_next().await {
        if let Err(e) = joined {
            debug!(error = %e, "load worker did not finish cleanly");
        }
    }
    aggregator
}

/// [`drive`], publishing the counts so far to `live` as each request finishes.
pub async fn drive_live(
    plan: &LoadPlan,
    cancel: CancellationToken,
    live: &LiveSender,
) -> LoadReport {
    let stage = LoadStage {
        name: "1".into(),
        plan: plan.clone(),
    };
    drive_stages(std::slice::from_ref(&stage), cancel, live).await
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Run `stages` one after the other into one report, publishing counts to `live`.
///
/// Each stage is a [`drive`] of its own plan (its own bounds, counted from its own start);
/// its request ids start where the previous stage's `requests` end, so they are run-unique.
/// A cancelled run starts no further stage.
pub async fn drive_stages(
    stages: &[LoadStage],
    cancel: CancellationToken,
    live: &LiveSender,
) -> LoadReport {
    let run_start = Instant::now();
    // Live counts are published once per batch, so a busy run wakes its watchers once per
    // batch rather than once per request.
    let publish = |batch: &[Sample]| live::record_all(live, batch.iter().map(|s| s.outcome));
    let stop_monitor = CancellationToken::new();
    let monitor = tokio::spawn(stall::watch(stop_monitor.clone()));
    let mut aggregator = Aggregator::new();
    let mut first_id = 0u64;
    let mut ran = Vec::new();
    for stage in stages.iter().take_while(|_| !cancel.is_cancelled()) {
        let name: Arc<str> = stage.name.as_str().into();
        let shared = worker::Shared::stage(
            stage.plan.clone(),
            name,
            first_id,
            run_start,
            cancel.clone(),
        );
        let shared = Arc::new(shared);
        let count = stage.plan.workers();
        debug!(stage = %stage.name, target = %stage.plan.target, requests = stage.plan.requests, workers = count, first_id, "load stage starting");
        let stage_start = Instant::now();
        aggregator.merge(run_workers(0..count, Arc::clone(&shared), publish).await);
        let (late_starts, latest) = shared.lateness();
        ran.push(StageReport {
            name: stage.name.clone(),
            late_starts,
            max_late_ms: millis(latest),
            wall_ms: millis(stage_start.elapsed()),
            ..StageReport::default()
        });
        first_id = first_id.saturating_add(stage.plan.requests);
    }
    stop_monitor.cancel();
    let wall = run_start.elapsed();
    let cancelled = cancel.is_cancelled();
    let mut report = aggregator.finish(wall, cancelled);
    report.max_stall_ms = monitor.await.map_or(0, |d| d.as_millis() as u64);
    report.late_starts = ran.iter().map(|s| s.late_starts).sum();
    report.max_late_ms = ran.iter().map(|s| s.max_late_ms).max().unwrap_or(0);
    for stage in ran {
        let counted = aggregate::stage_entry(&mut report.by_stage, &stage.name);
        let outcomes = std::mem::take(&mut counted.outcomes);
        *counted = StageReport { outcomes, ..stage };
    }
    debug!(
        total = report.total,
        wall_ms = report.wall_ms,
        cancelled,
        "load run finished"
    );
    report
}
