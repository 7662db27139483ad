//! Checks: compare what a phase showed with what its scenario expects.
//!
//! Pure functions from observations to a list of [`Check`]s; one kind of expectation per file.
//! A phase passes when every check passes.

mod config;
mod dns;
mod fired;
mod latency;
mod log;
mod sockets;
mod traffic;
mod upstreams;
mod witnesses;

pub use fired::{PhaseCounters, faults_fired};
pub use traffic::{histogram, outcomes_line};

use std::collections::BTreeMap;

use fake_upstreams::counters::CounterSnapshot;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::errorlog::LogLine;
use crate::load::LoadReport;
use crate::nginx::ConfigTest;
use crate::scenario::Expect;
use crate::witness::Trace;

/// One expectation and how it turned out.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Check {
    /// What was checked, e.g. `outcome 502`, `error.log contains "..."`.
    pub what: String,
    pub passed: bool,
    pub expected: String,
    pub actual: String,
    /// Quoted error.log lines or client-side details that back the verdict.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
}

impl Check {
    fn new(
        what: impl Into<String>,
        passed: bool,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Self {
        Check {
            what: what.into(),
            passed,
            expected: expected.into(),
            actual: actual.into(),
            evidence: Vec::new(),
        }
    }

    /// A check that failed, for verdicts made outside the expectation kinds (a panic).
    pub fn failed(
        what: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Self {
        Check::new(what, false, expected, actual)
    }

    fn with_evidence(mut self, evidence: Vec<String>) -> Self {
        self.evidence = evidence;
        self
    }
}

/// Everything a phase produced that expectations can talk about.
#[derive(Clone, Copy)]
pub struct Observed<'a> {
    pub config: &'a ConfigTest,
    /// `None` when no traffic ran (the config was rejected).
    pub load: Option<&'a LoadReport>,
    pub log: &'a [LogLine],
    pub upstreams: &'a BTreeMap<String, CounterSnapshot>,
    /// Queries the fake DNS server got per name (empty without a `dns:` section).
    pub dns_queries: &'a BTreeMap<String, u64>,
    /// Every request as the client, nginx and the upstreams saw it (empty without traffic).
    pub traces: &'a [Trace],
}

/// How one kind of expectation turns what a phase showed into checks (none when the phase
/// does not state it, or when it needs traffic and none ran).
type Kind = fn(&Expect, &Observed<'_>) -> Vec<Check>;

/// One row per expectation kind, in the order a phase's checks are listed. A new kind is its
/// field in [`Expect`], its file in this folder and one row here.
const KINDS: &[Kind] = &[
    |e, seen| vec![config::check(e.config_rejected.as_ref(), seen.config)],
    |e, seen| {
        with_load(seen, |load| {
            traffic::outcomes(&e.outcomes, load, seen.traces)
        })
    },
    |e, seen| {
        with_load(seen, |load| {
            e.body_intact.then(|| traffic::body_intact(load))
        })
    },
    |e, seen| with_load(seen, |load| traffic::methods(&e.methods, load)),
    |e, seen| with_load(seen, |load| traffic::windows(&e.windows, load)),
    |e, seen| {
        with_load(seen, |load| {
            let dup = |x| upstreams::duplicates(x, load.total, seen.upstreams);
            e.duplicates.as_ref().map(dup)
        })
    },
    |e, seen| {
        with_load(seen, |load| {
            upstreams::duplicate_methods(&e.duplicate_methods, load, seen.upstreams)
        })
    },
    |e, seen| log::check(&e.log, seen.log),
    |e, seen| upstreams::check(&e.upstreams, seen.upstreams),
    |e, seen| {
        with_load(seen, |_| {
            witnesses::nginx_status(&e.nginx_status, seen.traces)
        })
    },
    |e, seen| with_load(seen, |_| witnesses::tries(&e.tries, seen.traces)),
    |e, seen| with_load(seen, |_| witnesses::received(&e.received, seen.traces)),
    |e, seen| with_load(seen, |load| latency::check(&e.latency, load)),
    |e, seen| with_load(seen, |load| sockets::check(&e.sockets, load)),
    |e, seen| with_load(seen, |_| dns::check(&e.dns_queries, seen.dns_queries)),
];

/// Evaluate every expectation of a phase.
pub fn evaluate(expect: &Expect, seen: &Observed<'_>) -> Vec<Check> {
    KINDS.iter().flat_map(|kind| kind(expect, seen)).collect()
}

/// The checks `f` makes of the load, or none when no traffic ran (the config was rejected).
fn with_load<T>(seen: &Observed<'_>, f: impl FnOnce(&LoadReport) -> T) -> Vec<Check>
where
    T: IntoIterator<Item = Check>,
{
    seen.load.map(f).into_iter().flatten().collect()
}

/// Quote at most a few lines as evidence.
fn quote<'a>(lines: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    const MAX_QUOTED: usize = 3;
    lines
        .into_iter()
        .take(MAX_QUOTED)
        .map(str::to_string)
        .collect()
}
