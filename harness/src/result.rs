//! The plain data a run returns: what every phase showed and how each check turned out.
//!
//! The runner builds these values and touches no report files; terminal output and the JSON
//! dump are rendered from them afterwards, so a saved result can be rendered again.

use std::collections::BTreeMap;
use std::path::PathBuf;

use fake_upstreams::counters::CounterSnapshot;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::check::Check;
use crate::errorlog::LogSummary;
use crate::load::LoadReport;
use crate::nginx::{NginxBackend, NginxBinary};
use crate::witness::Evidence;

/// A driver stall of this many milliseconds or more turns a phase's failure into
/// [`Verdict::Inconclusive`]: several times the wake-up lateness of a healthy machine (a few
/// ms), and about the smallest timing margin of the bundled scenarios.
pub const STALL_LIMIT_MS: u64 = 250;

/// How a phase, a scenario or a run ended.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    /// An expectation did not hold while the load driver was starved of CPU (it woke
    /// [`STALL_LIMIT_MS`] or more late): the harness could not keep its timing, so the failure
    /// says nothing certain about nginx. Counted apart; `run --retry-inconclusive` runs such a
    /// scenario once more.
    Inconclusive,
    /// An expectation did not hold.
    Fail,
    /// The harness could not run the phase (nginx would not start, a port could not be bound).
    Error,
    /// Stopped by Ctrl-C or SIGTERM before it finished.
    Interrupted,
}

impl Verdict {
    /// Every verdict, best first.
    pub const ALL: [Verdict; 5] = [
        Verdict::Pass,
        Verdict::Inconclusive,
        Verdict::Fail,
        Verdict::Error,
        Verdict::Interrupted,
    ];

    /// The worse of two verdicts: Interrupted > Error > Fail > Inconclusive > Pass.
    pub fn worst(self, other: Verdict) -> Verdict {
        self.max(other)
    }

    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Inconclusive => "INCONCLUSIVE",
            Verdict::Fail => "FAIL",
            Verdict::Error => "ERROR",
            Verdict::Interrupted => "INTERRUPTED",
        }
    }
}

/// The version of result.json's format this build writes. Files from before the field existed
/// read as 1; `report --merge` refuses to mix versions.
pub const SCHEMA_VERSION: u32 = 2;

/// A whole `badgateway run`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RunResult {
    /// The version of this format ([`SCHEMA_VERSION`] when written; absent before version 2).
    #[serde(default = "first_schema")]
    pub schema_version: u32,
    pub run_id: String,
    /// The shard of the suite this run ran (`run --shard K/N`); absent for the whole suite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<crate::shard::Shard>,
    /// The runs `report --merge` put together into this one, in the order given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<MergedRun>,
    /// Runs of each scenario (`--repeat`).
    #[serde(default = "first_attempt")]
    pub repeat: u32,
    pub started_at: String,
    pub seed: u64,
    /// The (first) nginx of the run; for an image, `path` reads `image NAME:TAG`.
    pub nginx: NginxBinary,
    /// Every nginx the scenarios ran on, in order: one, or a version matrix.
    #[serde(default)]
    pub nginx_matrix: Vec<NginxBackend>,
    pub out_dir: PathBuf,
    pub wall_ms: u64,
    pub verdict: Verdict,
    pub scenarios: Vec<ScenarioResult>,
}

/// One scenario, all its phases in order.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ScenarioResult {
    pub name: String,
    /// Which repetition this is (1-based; `run --repeat N`).
    #[serde(default = "first_attempt")]
    pub attempt: u32,
    /// The seed this attempt's random decisions were drawn from.
    #[serde(default)]
    pub seed: u64,
    pub title: String,
    /// The scenario's story (cause, error log, why the fix works), for reports.
    #[serde(default)]
    pub story: String,
    pub file: PathBuf,
    pub guide_step: String,
    pub nginx_version: String,
    /// Where that nginx came from: the binary's path or `image NAME:TAG`.
    #[serde(default)]
    pub nginx_source: String,
    pub verdict: Verdict,
    pub wall_ms: u64,
    pub phases: Vec<PhaseResult>,
    /// Checks over the whole scenario, e.g. that every fault fired.
    #[serde(default)]
    pub checks: Vec<Check>,
    /// This is a second try: the first was inconclusive and the run had
    /// `--retry-inconclusive` (the first try's folder is kept beside this one's).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub retried: bool,
    /// Phases this nginx did not run, because their `nginx_versions` leave its version out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<SkippedPhase>,
}

/// A phase gated out by `nginx_versions`, kept so every report can say it was skipped and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SkippedPhase {
    pub name: String,
    /// Why, in words: `needs nginx >=1.29.7, this is 1.26.3`.
    pub reason: String,
}

/// When one fake server misbehaved on its `schedule:`, in milliseconds since the load began
/// (schedules start with the load): drawn over the phase's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FaultWindow {
    /// `upstream.server`.
    pub server: String,
    /// The fault's `kind` in that window, e.g. `refuse`.
    pub kind: String,
    pub from_ms: u64,
    /// `None`: to the end of the phase.
    pub to_ms: Option<u64>,
}

/// One run `report --merge` took scenarios from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MergedRun {
    pub run_id: String,
    /// Its result.json, as given to `--merge`.
    pub file: PathBuf,
    pub seed: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<crate::shard::Shard>,
    pub started_at: String,
    pub wall_ms: u64,
}

fn first_attempt() -> u32 {
    1
}

fn first_schema() -> u32 {
    1
}

/// One phase: nginx with one config under one load.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct PhaseResult {
    pub name: String,
    /// What the phase shows, in a sentence (the scenario's `about:`).
    #[serde(default)]
    pub about: Option<String>,
    /// The phase's config as [`crate::scenario::config_text`] shows it (settings and fragments,
    /// upstream addresses symbolic), so reports can diff it against the previous phase.
    #[serde(default)]
    pub config: String,
    pub verdict: Verdict,
    pub run_dir: PathBuf,
    /// The loopback port nginx listened on, when it started.
    pub nginx_port: Option<u16>,
    /// `None` when `nginx -t` accepted the config; nginx's message when it refused it.
    pub config_rejected: Option<String>,
    /// Client-side results; `None` when no traffic ran.
    pub load: Option<LoadReport>,
    /// Counters per fake server, keyed `upstream.server`.
    pub upstreams: BTreeMap<String, CounterSnapshot>,
    /// The fake servers (`upstream.server`) the phase's config names; `None` when that cannot
    /// be told from the config (a `dns:` section hands servers out by name), so reports show
    /// every server's counters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub servers_used: Option<Vec<String>>,
    /// The `schedule:` windows of the servers the phase uses in which they misbehave.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fault_windows: Vec<FaultWindow>,
    /// Queries the fake DNS server got, per name (empty without a `dns:` section).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub dns_queries: BTreeMap<String, u64>,
    /// What nginx logged and the upstreams received, per request, condensed; with samples
    /// of failed requests seen by all three witnesses.
    #[serde(default)]
    pub evidence: Evidence,
    pub log: LogSummary,
    pub checks: Vec<Check>,
    /// What kept the harness from running the phase, for `Verdict::Error`.
    pub error: Option<String>,
    pub wall_ms: u64,
}

impl RunResult {
    /// Scenarios whose verdict is `v`.
    pub fn count(&self, v: Verdict) -> usize {
        self.scenarios.iter().filter(|s| s.verdict == v).count()
    }

    /// Milliseconds each scenario took over all its attempts and nginx versions: what
    /// `run --shard-by time=` balances by.
    pub fn wall_ms_by_scenario(&self) -> BTreeMap<String, u64> {
        let mut took = BTreeMap::new();
        for s in &self.scenarios {
            *took.entry(s.name.clone()).or_insert(0) += s.wall_ms;
        }
        took
    }
}
