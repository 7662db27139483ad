//! The pure aggregator: folds [`Sample`]s into a [`LoadReport`].
//!
//! It knows nothing about sockets or time sources, so every statistic in the report can be
//! unit-tested by feeding hand-made samples. Memory stays bounded by design: latencies go into an
//! HDR histogram (no per-request vectors), the timeline has one entry per 100 ms of run time, and
//! examples are capped per outcome.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use http::Method;

use super::report::{
    ClientRecord, Integrity, LatencySummary, LoadReport, StageReport, TimelineBucket,
};
use super::sample::{BodyCheck, H2Record, Sample};
use crate::outcome::Outcome;

/// Width of one timeline bucket.
pub const TIMELINE_BUCKET_MS: u64 = 100;
/// Example details kept per non-status outcome.
pub const MAX_EXAMPLES: usize = 5;
/// Longest latency the histogram tracks exactly; slower requests are clamped to it.
const MAX_TRACKED_MICROS: u64 = 3_600 * 1_000_000;

/// Accumulates samples; [`Aggregator::finish`] turns them into a report.
#[derive(Debug)]
pub struct Aggregator {
    outcomes: BTreeMap<Outcome, u64>,
    by_method: BTreeMap<String, BTreeMap<Outcome, u64>>,
    /// Outcome counts per stage, in the order the stages first sent a request.
    by_stage: Vec<StageReport>,
    latency: Histogram<u64>,
    timeline: BTreeMap<u64, BTreeMap<Outcome, u64>>,
    integrity: Integrity,
    examples: BTreeMap<Outcome, Vec<String>>,
    requests: Vec<Record>,
}

/// One request as recorded while the load runs: a plain append that allocates nothing for a
/// request without detail or HTTP/2 record (every healthy HTTP/1 request); it becomes a
/// [`ClientRecord`] after the run, in [`Aggregator::finish`].
#[derive(Debug)]
struct Record {
    id: u64,
    method: Method,
    outcome: Outcome,
    latency: Duration,
    started_at: Duration,
    detail: Option<String>,
    h2: Option<H2Record>,
}

impl Record {
    fn of(sample: &Sample) -> Self {
        Self {
            id: sample.id,
            method: sample.method.clone(),
            outcome: sample.outcome,
            latency: sample.latency,
            started_at: sample.started_at,
            detail: sample.detail.clone(),
            h2: sample.h2.clone(),
        }
    }

    fn into_client(self) -> ClientRecord {
        ClientRecord {
            id: self.id,
            method: self.method.as_str().to_string(),
            outcome: self.outcome,
            latency_ms: self.latency.as_secs_f64() * 1000.0,
            started_ms: self.started_at.as_secs_f64() * 1000.0,
            detail: self.detail,
            h2: self.h2,
        }
    }
}

impl Default for Aggregator {
    fn default() -> Self {
        Self::new()
    }
}

impl Aggregator {
    /// An empty aggregator.
    pub fn new() -> Self {
        Self {
            outcomes: BTreeMap::new(),
            by_method: BTreeMap::new(),
            by_stage: Vec::new(),
            latency: new_histogram(),
            timeline: BTreeMap::new(),
            integrity: Integrity::default(),
            examples: BTreeMap::new(),
            requests: Vec::new(),
        }
    }

    /// Account for one finished request.
    pub fn record(&mut self, sample: &Sample) {
        *self.outcomes.entry(sample.outcome).or_default() += 1;
        let method = sample.method.as_str();
        let per_method = match self.by_method.get_mut(method) {
            Some(counts) => counts,
            None => self.by_method.entry(method.to_string()).or_default(),
        };
        *per_method.entry(sample.outcome).or_default() += 1;
        let outcomes = &mut stage_entry(&mut self.by_stage, &sample.stage).outcomes;
        *outcomes.entry(sample.outcome).or_default() += 1;
        self.requests.push(Record::of(sample));
        self.latency
            .saturating_record(duration_micros(sample.latency));
        let bucket = duration_millis(sample.started_at) / TIMELINE_BUCKET_MS;
        *self
            .timeline
            .entry(bucket)
            .or_default()
            .entry(sample.outcome)
            .or_default() += 1;
        self.record_integrity(sample);
        self.record_example(sample);
    }

    fn record_integrity(&mut self, sample: &Sample) {
        match sample.body {
            BodyCheck::Verified => self.integrity.verified += 1,
            BodyCheck::Mismatch => self.integrity.corrupt += 1,
            BodyCheck::NoDigest => self.integrity.unverified_2xx += 1,
            BodyCheck::NotChecked => {}
        }
    }

    fn record_example(&mut self, sample: &Sample) {
        let (Some(detail), false) = (&sample.detail, is_status(sample.outcome)) else {
            return;
        };
        let kept = self.examples.entry(sample.outcome).or_default();
        if kept.len() < MAX_EXAMPLES && !kept.contains(detail) {
            kept.push(detail.clone());
        }
    }

    /// Add everything `other` recorded, as if its samples had been recorded here.
    pub fn merge(&mut self, other: Aggregator) {
        add_counts(&mut self.outcomes, other.outcomes);
        self.requests.extend(other.requests);
        for (method, counts) in other.by_method {
            add_counts(self.by_method.entry(method).or_default(), counts);
        }
        for stage in other.by_stage {
            add_counts(
                &mut stage_entry(&mut self.by_stage, &stage.name).outcomes,
                stage.outcomes,
            );
        }
        self.latency
            .add(&other.latency)
            .expect("histograms with the same bounds add up");
        for (bucket, counts) in other.timeline {
            add_counts(self.timeline.entry(bucket).or_default(), counts);
        }
        self.integrity.verified += other.integrity.verified;
        self.integrity.corrupt += other.integrity.corrupt;
        self.integrity.unverified_2xx += other.integrity.unverified_2xx;
        for (outcome, details) in other.examples {
            let kept = self.examples.entry(outcome).or_default();
            for detail in details {
                if kept.len() < MAX_EXAMPLES && !kept.contains(&detail) {
                    kept.push(detail);
                }
            }
        }
    }

    /// Number of samples recorded so far.
    pub fn total(&self) -> u64 {
        self.outcomes.values().sum()
    }

    /// The report for everything recorded, given the run's wall time and whether it was
    /// cancelled.
    pub fn finish(mut self, wall: Duration, cancelled: bool) -> LoadReport {
        let total = self.total();
        self.requests.sort_by_key(|r| r.id);
        let requests: Vec<ClientRecord> =
            self.requests.into_iter().map(Record::into_client).collect();
        let secs = wall.as_secs_f64();
        let (fitted_bucket_ms, fitted_timeline) =
            super::fitted::fitted(&requests, duration_millis(wall));
        LoadReport {
            total,
            latency: summarize(&self.latency),
            timeline_bucket_ms: TIMELINE_BUCKET_MS,
            timeline: contiguous_timeline(self.timeline),
            fitted_bucket_ms,
            fitted_timeline,
            integrity: self.integrity,
            examples: self.examples,
            wall_ms: duration_millis(wall),
            requests_per_sec: if secs > 0.0 { total as f64 / secs } else { 0.0 },
            cancelled,
            max_stall_ms: 0,
            outcomes: self.outcomes,
            by_method: self.by_method,
            by_stage: self.by_stage,
            late_starts: 0,
            max_late_ms: 0,
            sockets: Vec::new(),
            requests,
        }
    }
}

/// The entry of the stage `name`, added at the end when it is new (so stages keep the order
/// they ran in).
pub(super) fn stage_entry<'a>(stages: &'a mut Vec<StageReport>, name: &str) -> &'a mut StageReport {
    let at = match stages.iter().position(|s| s.name == name) {
        Some(at) => at,
        None => {
            stages.push(StageReport {
                name: name.to_string(),
                ..StageReport::default()
            });
            stages.len() - 1
        }
    };
    &mut stages[at]
}

fn add_counts(into: &mut BTreeMap<Outcome, u64>, from: BTreeMap<Outcome, u64>) {
    for (outcome, n) in from {
        *into.entry(outcome).or_default() += n;
    }
}

fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_TRACKED_MICROS, 3)
        .expect("constant histogram bounds are within hdrhistogram's limits")
}

fn is_status(outcome: Outcome) -> bool {
    matches!(outcome, Outcome::Status(_))
}

fn duration_micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

fn duration_millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn summarize(h: &Histogram<u64>) -> LatencySummary {
    if h.is_empty() {
        return LatencySummary::default();
    }
    let ms = |micros: u64| micros as f64 / 1000.0;
    LatencySummary {
        p50_ms: ms(h.value_at_quantile(0.50)),
        p90_ms: ms(h.value_at_quantile(0.90)),
        p99_ms: ms(h.value_at_quantile(0.99)),
        max_ms: ms(h.max()),
        mean_ms: h.mean() / 1000.0,
    }
}

/// Buckets from the run start to the last one with a sample, empty ones included, so the
/// timeline can be read as a time series without gaps.
fn contiguous_timeline(sparse: BTreeMap<u64, BTreeMap<Outcome, u64>>) -> Vec<TimelineBucket> {
    let Some(&last) = sparse.keys().next_back() else {
        return Vec::new();
    };
    let mut sparse = sparse;
    (0..=last)
        .map(|i| TimelineBucket {
            start_ms: i.saturating_mul(TIMELINE_BUCKET_MS),
            counts: sparse.remove(&i).unwrap_or_default(),
        })
        .collect()
}

#[cfg(test)]
mod tests;
