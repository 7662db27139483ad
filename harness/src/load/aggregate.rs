//! The pure aggregator: folds [`Sample`]s into a [`LoadReport`].
//!
//! It knows nothing about sockets or time sources, so every statistic in the report can be
//! unit-tested by feeding hand-made samples. Memory stays bounded by design: latencies go into an
//! HDR histogram (no per-request vectors), the timeline has one entry per 100 ms of run time, and
//! examples are capped per outcome.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;

use super::report::{ClientRecord, Integrity, LatencySummary, LoadReport, TimelineBucket};
use super::sample::{BodyCheck, Sample};
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
    by_stage: BTreeMap<String, BTreeMap<Outcome, u64>>,
    latency: Histogram<u64>,
    timeline: BTreeMap<u64, BTreeMap<Outcome, u64>>,
    integrity: Integrity,
    examples: BTreeMap<Outcome, Vec<String>>,
    requests: Vec<ClientRecord>,
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
            by_stage: BTreeMap::new(),
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
        let per_stage = match self.by_stage.get_mut(&*sample.stage) {
            Some(counts) => counts,
            None => self.by_stage.entry(sample.stage.to_string()).or_default(),
        };
        *per_stage.entry(sample.outcome).or_default() += 1;
        self.requests.push(ClientRecord::of(sample));
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
        for (stage, counts) in other.by_stage {
            add_counts(self.by_stage.entry(stage).or_default(), counts);
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
        let secs = wall.as_secs_f64();
        LoadReport {
            total,
            latency: summarize(&self.latency),
            timeline_bucket_ms: TIMELINE_BUCKET_MS,
            timeline: contiguous_timeline(self.timeline),
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
            requests: self.requests,
        }
    }
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
mod tests {
    use super::*;

    fn sample(outcome: Outcome, latency_ms: u64, started_ms: u64) -> Sample {
        Sample {
            id: started_ms,
            method: http::Method::GET,
            outcome,
            latency: Duration::from_millis(latency_ms),
            started_at: Duration::from_millis(started_ms),
            detail: None,
            body: BodyCheck::NotChecked,
            stage: "1".into(),
        }
    }

    #[test]
    fn outcomes_are_counted_per_stage_and_merge() {
        let mut agg = Aggregator::new();
        let mut other = Aggregator::new();
        agg.record(&sample(Outcome::Status(502), 1, 0));
        let mut after = sample(Outcome::Status(200), 1, 0);
        after.stage = "after".into();
        agg.record(&after);
        other.record(&after);
        agg.merge(other);
        let r = agg.finish(Duration::from_secs(1), false);
        assert_eq!(r.by_stage["1"], BTreeMap::from([(Outcome::Status(502), 1)]));
        assert_eq!(
            r.by_stage["after"],
            BTreeMap::from([(Outcome::Status(200), 2)])
        );
    }

    #[test]
    fn counts_outcomes_and_rate() {
        let mut agg = Aggregator::new();
        for _ in 0..3 {
            agg.record(&sample(Outcome::Status(200), 1, 0));
        }
        agg.record(&sample(Outcome::Status(502), 1, 0));
        agg.record(&sample(Outcome::Reset, 1, 0));
        let r = agg.finish(Duration::from_millis(500), false);
        assert_eq!(r.total, 5);
        assert_eq!(r.count(Outcome::Status(200)), 3);
        assert_eq!(r.count(Outcome::Status(502)), 1);
        assert_eq!(r.count(Outcome::Reset), 1);
        assert_eq!(r.successes(), 3);
        assert!((r.requests_per_sec - 10.0).abs() < 1e-9);
        assert_eq!(r.wall_ms, 500);
        assert!(!r.cancelled);
    }

    #[test]
    fn percentiles_follow_the_distribution() {
        let mut agg = Aggregator::new();
        for ms in 1..=100 {
            agg.record(&sample(Outcome::Status(200), ms, 0));
        }
        let l = agg.finish(Duration::from_secs(1), false).latency;
        let near = |got: f64, want: f64| (got - want).abs() <= want * 0.01 + 0.01;
        assert!(near(l.p50_ms, 50.0), "{l:?}");
        assert!(near(l.p90_ms, 90.0), "{l:?}");
        assert!(near(l.p99_ms, 99.0), "{l:?}");
        assert!(near(l.max_ms, 100.0), "{l:?}");
        assert!(near(l.mean_ms, 50.5), "{l:?}");
    }

    #[test]
    fn empty_run_reports_zeros() {
        let r = Aggregator::new().finish(Duration::ZERO, true);
        assert_eq!(r.total, 0);
        assert_eq!(r.latency, LatencySummary::default());
        assert!(r.timeline.is_empty());
        assert_eq!(r.requests_per_sec, 0.0);
        assert_eq!(r.share(Outcome::Status(200)), 0.0);
        assert!(r.cancelled);
    }

    #[test]
    fn timeline_buckets_by_start_time_without_gaps() {
        let mut agg = Aggregator::new();
        agg.record(&sample(Outcome::Status(200), 5, 10));
        agg.record(&sample(Outcome::Status(200), 5, 99));
        agg.record(&sample(Outcome::Status(502), 5, 250));
        let r = agg.finish(Duration::from_millis(300), false);
        assert_eq!(r.timeline_bucket_ms, 100);
        let starts: Vec<u64> = r.timeline.iter().map(|b| b.start_ms).collect();
        assert_eq!(starts, [0, 100, 200]);
        assert_eq!(r.timeline[0].counts[&Outcome::Status(200)], 2);
        assert!(r.timeline[1].counts.is_empty());
        assert_eq!(r.timeline[2].counts[&Outcome::Status(502)], 1);
    }

    #[test]
    fn examples_are_bounded_distinct_and_only_for_named_outcomes() {
        let mut agg = Aggregator::new();
        for i in 0..20 {
            let mut s = sample(Outcome::Reset, 1, 0);
            s.detail = Some(format!("reset #{}", i % 10));
            agg.record(&s);
            let mut s = sample(Outcome::Closed, 1, 0);
            s.detail = Some("same".to_string());
            agg.record(&s);
            let mut s = sample(Outcome::Status(502), 1, 0);
            s.detail = Some("not kept".to_string());
            agg.record(&s);
        }
        let r = agg.finish(Duration::from_secs(1), false);
        assert_eq!(r.examples[&Outcome::Reset].len(), MAX_EXAMPLES);
        assert_eq!(r.examples[&Outcome::Closed], ["same"]);
        assert!(!r.examples.contains_key(&Outcome::Status(502)));
    }

    #[test]
    fn memory_does_not_grow_with_the_number_of_samples() {
        // 200k requests over 2 s with failures and two methods: every collection stays the
        // size of what is distinct (outcomes, methods, 100 ms buckets, capped examples), and
        // the latency histogram keeps its fixed bucket array.
        let mut agg = Aggregator::new();
        let histogram_slots = agg.latency.distinct_values();
        let outcomes = [Outcome::Status(200), Outcome::Status(502), Outcome::Reset];
        for i in 0..200_000u64 {
            let mut s = sample(outcomes[(i % 3) as usize], 1 + i % 5_000, i / 100);
            if i % 2 == 1 {
                s.method = http::Method::POST;
            }
            s.detail = Some(format!("failure #{i}"));
            agg.record(&s);
        }
        assert_eq!(agg.latency.distinct_values(), histogram_slots);
        assert_eq!(agg.outcomes.len(), 3);
        assert_eq!(agg.by_method.len(), 2);
        assert!(agg.by_method.values().all(|m| m.len() <= 3));
        assert_eq!(agg.timeline.len(), 20, "one entry per 100 ms of run time");
        assert!(agg.timeline.values().all(|b| b.len() <= 3));
        assert_eq!(
            agg.examples.len(),
            1,
            "only the named failure keeps examples"
        );
        assert!(agg.examples.values().all(|e| e.len() <= MAX_EXAMPLES));
        assert_eq!(agg.total(), 200_000);
    }

    #[test]
    fn merged_aggregators_report_like_one() {
        let samples: Vec<Sample> = (0..300u64)
            .map(|i| {
                let outcome =
                    [Outcome::Status(200), Outcome::Status(502), Outcome::Reset][(i % 3) as usize];
                let mut s = sample(outcome, 1 + i % 40, i * 3);
                s.body = if i % 3 == 0 {
                    BodyCheck::Verified
                } else {
                    BodyCheck::NotChecked
                };
                if i % 4 == 0 {
                    s.method = http::Method::POST;
                }
                s.detail = Some(format!("detail {}", i % 7));
                s
            })
            .collect();
        let mut one = Aggregator::new();
        let mut parts = [Aggregator::new(), Aggregator::new(), Aggregator::new()];
        for (i, s) in samples.iter().enumerate() {
            one.record(s);
            parts[i % 3].record(s);
        }
        let mut merged = Aggregator::new();
        for part in parts {
            merged.merge(part);
        }
        let wall = Duration::from_secs(1);
        let (a, b) = (one.finish(wall, false), merged.finish(wall, false));
        assert_eq!(a.examples[&Outcome::Reset].len(), MAX_EXAMPLES);
        assert_eq!(
            a.examples[&Outcome::Reset].len(),
            b.examples[&Outcome::Reset].len()
        );
        let strip = |mut r: LoadReport| {
            r.examples.clear(); // which distinct details are kept depends on the order
            r
        };
        assert_eq!(strip(a), strip(b));
    }

    #[test]
    fn integrity_counts_body_checks() {
        let mut agg = Aggregator::new();
        let checks = [
            (Outcome::Status(200), BodyCheck::Verified),
            (Outcome::Status(200), BodyCheck::Verified),
            (Outcome::Corrupt, BodyCheck::Mismatch),
            (Outcome::Status(204), BodyCheck::NoDigest),
            (Outcome::Status(502), BodyCheck::NotChecked),
        ];
        for (outcome, body) in checks {
            let mut s = sample(outcome, 1, 0);
            s.body = body;
            agg.record(&s);
        }
        let i = agg.finish(Duration::from_secs(1), false).integrity;
        assert_eq!(
            i,
            Integrity {
                verified: 2,
                corrupt: 1,
                unverified_2xx: 1
            }
        );
    }

    #[test]
    fn outcomes_are_counted_per_method() {
        let mut agg = Aggregator::new();
        let mut post = sample(Outcome::Status(502), 1, 0);
        post.method = http::Method::POST;
        agg.record(&post);
        agg.record(&post);
        agg.record(&sample(Outcome::Status(200), 1, 0));
        agg.record(&sample(Outcome::Reset, 1, 0));
        let r = agg.finish(Duration::from_secs(1), false);
        assert_eq!(r.count_method("POST", Outcome::Status(502)), 2);
        assert_eq!(r.count_method("POST", Outcome::Status(200)), 0);
        assert_eq!(r.count_method("GET", Outcome::Status(200)), 1);
        assert_eq!(r.total_method("GET"), 2);
        assert_eq!(r.total_method("POST"), 2);
        assert_eq!(r.total_method("PUT"), 0);
        let keys: Vec<&str> = r.by_method.keys().map(String::as_str).collect();
        assert_eq!(keys, ["GET", "POST"]);
    }

    #[test]
    fn window_sums_the_buckets_starting_in_the_range() {
        let mut agg = Aggregator::new();
        for (outcome, started_ms) in [
            (Outcome::Status(502), 10),
            (Outcome::Status(502), 150),
            (Outcome::Status(200), 199),
            (Outcome::Status(502), 230),
            (Outcome::Status(200), 310),
            (Outcome::Reset, 420),
            (Outcome::Status(200), 480),
        ] {
            agg.record(&sample(outcome, 1, started_ms));
        }
        let r = agg.finish(Duration::from_millis(500), false);
        let ms = Duration::from_millis;
        let all = r.window(Duration::ZERO, None);
        assert_eq!(all, r.outcomes);
        // [100, 300): buckets 100 and 200.
        assert_eq!(
            r.window(ms(100), Some(ms(300))),
            BTreeMap::from([(Outcome::Status(502), 2), (Outcome::Status(200), 1)])
        );
        // Only a bucket's start matters: bucket 100 (starting before 150) is out, 300 is in.
        assert_eq!(
            r.window(ms(150), Some(ms(301))),
            BTreeMap::from([(Outcome::Status(502), 1), (Outcome::Status(200), 1)])
        );
        assert_eq!(
            r.window(ms(300), None),
            BTreeMap::from([(Outcome::Status(200), 2), (Outcome::Reset, 1)])
        );
        assert!(r.window(ms(200), Some(ms(200))).is_empty());
        assert!(r.window(ms(300), Some(ms(100))).is_empty());
        assert!(r.window(ms(10_000), None).is_empty());
    }
}
