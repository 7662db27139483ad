//! The load driver: sends a bounded amount of HTTP/1.1 load through nginx and reports what
//! every request ended as.
//!
//! Modelled on oha: [`drive`] spawns `concurrency` workers (see `worker`), each owning at most
//! one keep-alive connection; every finished request becomes one [`Sample`] sent over a channel
//! to a pure [`Aggregator`], which produces the [`LoadReport`]. Requests are never retried, so
//! the report counts exactly what a client would have seen.
//!
//! Files: `plan` (what to send, and the seeded per-request decisions), `body` (request bodies,
//! including a slow client's), `conn` (one connection), `exchange` (one request read to the
//! end), `classify` (error → [`Outcome`](crate::outcome::Outcome)), `worker` (the request loop),
//! `sample`, `aggregate`, `report`.

mod aggregate;
mod body;
mod classify;
mod conn;
mod exchange;
mod plan;
mod report;
mod sample;
mod worker;

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::debug;

pub use aggregate::{Aggregator, MAX_EXAMPLES, TIMELINE_BUCKET_MS};
pub use classify::{Phase, classify, error_chain, io_kind};
pub use plan::{Decision, LoadPlan, LoadShape, REQUEST_ID_HEADER, SlowBody};
pub use report::{Integrity, LatencySummary, LoadReport, TimelineBucket};
pub use sample::{BodyCheck, Sample};

/// Samples buffered between workers and the aggregator before workers wait.
const SAMPLE_CHANNEL: usize = 1024;

/// Run `plan` against its target and report every request's outcome.
///
/// Issues at most `plan.requests` requests and stops issuing at `plan.shape.duration`,
/// `plan.max_duration`, or when `cancel` fires. Requests in flight when `shape.duration` ends
/// finish normally; requests in flight at the `max_duration` deadline are recorded as
/// [`Outcome::Timeout`](crate::outcome::Outcome::Timeout); requests in flight at cancellation are
/// dropped and the report is marked `cancelled`. Returns once every worker has stopped and every
/// connection it opened is closed.
pub async fn drive(plan: &LoadPlan, cancel: CancellationToken) -> LoadReport {
    let run_start = Instant::now();
    let shared = Arc::new(worker::Shared::new(plan.clone(), run_start, cancel.clone()));
    let (tx, mut rx) = mpsc::channel(SAMPLE_CHANNEL);
    let mut workers = JoinSet::new();
    let count = plan.workers();
    debug!(target = %plan.target, requests = plan.requests, workers = count, "load run starting");
    for id in 0..count {
        workers.spawn(worker::run(id, Arc::clone(&shared), tx.clone()));
    }
    drop(tx);

    // This task is the aggregator: the channel closes when the last worker has finished.
    let mut aggregator = Aggregator::new();
    while let Some(sample) = rx.recv().await {
        aggregator.record(&sample);
    }
    let wall = run_start.elapsed();
    let cancelled = cancel.is_cancelled();
    while let Some(joined) = workers.join_next().await {
        if let Err(e) = joined {
            debug!(error = %e, "load worker did not finish cleanly");
        }
    }
    let report = aggregator.finish(wall, cancelled);
    debug!(
        total = report.total,
        wall_ms = report.wall_ms,
        cancelled,
        "load run finished"
    );
    report
}
