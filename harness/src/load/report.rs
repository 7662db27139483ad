//! The result of a load run: a serializable [`LoadReport`].
//!
//! The report is what checks and humans read: outcome counts keyed by the outcome vocabulary
//! (`"502"`, `"truncated"`), a latency summary, a timeline for "when did it fail", integrity
//! stats proving that 200s carried correct bodies, and a few example error texts per failure.

use std::collections::BTreeMap;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::outcome::Outcome;

/// Everything a load run observed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LoadReport {
    /// Number of requests that finished (one sample each).
    pub total: u64,
    /// Requests per outcome; absent outcomes did not occur.
    pub outcomes: BTreeMap<Outcome, u64>,
    /// Requests per outcome for each method (`"GET"`, `"POST"`, ...) that was sent.
    #[serde(default)]
    pub by_method: BTreeMap<String, BTreeMap<Outcome, u64>>,
    /// Each traffic stage in the order it ran: its outcome counts, late starts and wall time
    /// (a plain `traffic:` mapping is the one stage `"1"`).
    #[serde(default)]
    pub by_stage: Vec<StageReport>,
    /// Requests of stages with a `rate` that started more than 1 ms after their scheduled
    /// start because no connection was free on time (0 without a rate), over all stages.
    #[serde(default)]
    pub late_starts: u64,
    /// How late the latest of those started, in milliseconds.
    #[serde(default)]
    pub max_late_ms: u64,
    /// Latency over all finished requests, whatever their outcome.
    pub latency: LatencySummary,
    /// Width of each [`TimelineBucket`], in milliseconds.
    pub timeline_bucket_ms: u64,
    /// Outcome counts per bucket of request start time, contiguous from the run start.
    pub timeline: Vec<TimelineBucket>,
    /// Width of each [`LoadReport::fitted_timeline`] bucket, in milliseconds.
    #[serde(default)]
    pub fitted_bucket_ms: u64,
    /// The same counts in buckets fitted to the run's length (24 to 60 of them), for charts;
    /// see [`super::fitted`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fitted_timeline: Vec<TimelineBucket>,
    /// Body digest checks of 2xx responses.
    pub integrity: Integrity,
    /// A few error texts per non-status outcome, to explain failures without logs.
    pub examples: BTreeMap<Outcome, Vec<String>>,
    /// Wall time of the whole run, in milliseconds.
    pub wall_ms: u64,
    /// `total` divided by the wall time.
    pub requests_per_sec: f64,
    /// True when the run was stopped by its cancellation token.
    pub cancelled: bool,
    /// The longest the driver's runtime was late to wake while the load ran (see
    /// [`stall`](super::stall)): large on a starved machine.
    #[serde(default)]
    pub max_stall_ms: u64,
    /// How each WebSocket went, by id (WebSocket traffic only; its requests are the
    /// handshakes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sockets: Vec<super::SocketRecord>,
    /// Every finished request as the client saw it, by id; for joining
    /// with nginx's and the upstreams' records, not serialized (reports keep samples).
    #[serde(skip)]
    pub requests: Vec<ClientRecord>,
}

/// One traffic stage of a load run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StageReport {
    /// The stage's `name`, or its 1-based position (`"1"`, `"2"`, ...) when unnamed.
    pub name: String,
    /// Requests per outcome.
    pub outcomes: BTreeMap<Outcome, u64>,
    /// Requests of the stage's `rate` schedule that started more than 1 ms late.
    #[serde(default)]
    pub late_starts: u64,
    /// How late the latest of those started, in milliseconds.
    #[serde(default)]
    pub max_late_ms: u64,
    /// From the stage's start to its last request's end, in milliseconds.
    #[serde(default)]
    pub wall_ms: u64,
}

/// One finished request as the client saw it: the client's witness of that request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ClientRecord {
    /// The request id (`x-badgateway-request`).
    pub id: u64,
    pub method: String,
    pub outcome: Outcome,
    /// From issuing the request (connect included) to its outcome, in milliseconds.
    pub latency_ms: f64,
    /// When it was issued, in milliseconds since the load began.
    pub started_ms: f64,
    /// The client's error text or digest mismatch, for failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// HTTP/2 and gRPC traffic: status, `grpc-status`, RST_STREAM code, body received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub h2: Option<super::H2Record>,
}

impl LoadReport {
    /// The stage named `name`, if it ran.
    pub fn stage(&self, name: &str) -> Option<&StageReport> {
        self.by_stage.iter().find(|s| s.name == name)
    }

    /// Number of requests that ended as `outcome`.
    pub fn count(&self, outcome: Outcome) -> u64 {
        self.outcomes.get(&outcome).copied().unwrap_or(0)
    }

    /// Fraction (0.0–1.0) of finished requests that ended as `outcome`; 0.0 for an empty run.
    pub fn share(&self, outcome: Outcome) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.count(outcome) as f64 / self.total as f64
        }
    }

    /// Number of `method` requests that ended as `outcome`.
    pub fn count_method(&self, method: &str, outcome: Outcome) -> u64 {
        self.by_method
            .get(method)
            .and_then(|counts| counts.get(&outcome))
            .copied()
            .unwrap_or(0)
    }

    /// Number of `method` requests that finished, whatever their outcome.
    pub fn total_method(&self, method: &str) -> u64 {
        self.by_method
            .get(method)
            .map_or(0, |counts| counts.values().sum())
    }

    /// Outcome counts of the timeline buckets whose start lies in `[from, to)` (`to: None`:
    /// up to the end of the run). Buckets are [`LoadReport::timeline_bucket_ms`] wide and
    /// keyed by request start time, so choose bounds on bucket boundaries for exact windows.
    pub fn window(&self, from: Duration, to: Option<Duration>) -> BTreeMap<Outcome, u64> {
        let from = from.as_millis();
        let to = to.map_or(u128::MAX, |t| t.as_millis());
        let mut sum = BTreeMap::new();
        let buckets = self.timeline.iter().filter(|b| {
            let start = u128::from(b.start_ms);
            from <= start && start < to
        });
        for bucket in buckets {
            for (outcome, n) in &bucket.counts {
                *sum.entry(*outcome).or_default() += n;
            }
        }
        sum
    }

    /// Number of requests that ended as a complete, correct 2xx.
    pub fn successes(&self) -> u64 {
        self.outcomes
            .iter()
            .filter(|(o, _)| o.is_success())
            .map(|(_, n)| n)
            .sum()
    }
}

/// Latency percentiles in milliseconds (microsecond resolution underneath).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LatencySummary {
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Slowest request.
    pub max_ms: f64,
    /// Arithmetic mean.
    pub mean_ms: f64,
}

/// Outcome counts for requests started within one bucket of the run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TimelineBucket {
    /// Start of the bucket, in milliseconds since the run start.
    pub start_ms: u64,
    /// Requests started in this bucket, per outcome.
    pub counts: BTreeMap<Outcome, u64>,
}

/// Body integrity of 2xx responses: proof that successes were real successes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Integrity {
    /// 2xx responses whose body matched the upstream's digest header.
    pub verified: u64,
    /// 2xx responses whose complete body did not match (also counted as `corrupt`).
    pub corrupt: u64,
    /// 2xx responses without a digest header, so not checked.
    pub unverified_2xx: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_round_trips_through_json_with_outcome_keys() {
        let report = LoadReport {
            total: 3,
            outcomes: BTreeMap::from([(Outcome::Status(502), 2), (Outcome::Truncated, 1)]),
            by_method: BTreeMap::from([(
                "GET".to_string(),
                BTreeMap::from([(Outcome::Status(502), 2), (Outcome::Truncated, 1)]),
            )]),
            by_stage: Vec::new(),
            late_starts: 0,
            max_late_ms: 0,
            sockets: Vec::new(),
            latency: LatencySummary::default(),
            timeline_bucket_ms: 100,
            timeline: vec![TimelineBucket {
                start_ms: 0,
                counts: BTreeMap::from([(Outcome::Status(502), 2)]),
            }],
            fitted_bucket_ms: 0,
            fitted_timeline: Vec::new(),
            integrity: Integrity::default(),
            examples: BTreeMap::from([(Outcome::Truncated, vec!["eof".to_string()])]),
            wall_ms: 10,
            requests_per_sec: 300.0,
            cancelled: false,
            max_stall_ms: 0,
            requests: Vec::new(),
        };
        let json = serde_json::to_string(&report).unwrap();
        assert!(
            json.contains(r#""502":2"#) && json.contains(r#""truncated":1"#),
            "{json}"
        );
        let back: LoadReport = serde_json::from_str(&json).unwrap();
        assert_eq!(back, report);
        assert_eq!(back.count(Outcome::Status(502)), 2);
        assert_eq!(back.count(Outcome::Reset), 0);
        assert!((back.share(Outcome::Truncated) - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(back.count_method("GET", Outcome::Status(502)), 2);
        assert_eq!(back.total_method("GET"), 3);
    }

    #[test]
    fn reports_without_by_method_still_parse() {
        let json = r#"{"total":1,"outcomes":{"200":1},
            "latency":{"p50_ms":1.0,"p90_ms":1.0,"p99_ms":1.0,"max_ms":1.0,"mean_ms":1.0},
            "timeline_bucket_ms":100,"timeline":[],
            "integrity":{"verified":1,"corrupt":0,"unverified_2xx":0},
            "examples":{},"wall_ms":5,"requests_per_sec":200.0,"cancelled":false}"#;
        let report: LoadReport = serde_json::from_str(json).unwrap();
        assert!(report.by_method.is_empty());
        assert_eq!(report.total_method("GET"), 0);
    }
}
