//! Checks: compare what a phase showed with what its scenario expects.
//!
//! Pure functions from observations to a list of [`Check`]s; one kind of expectation per file.
//! A phase passes when every check passes.

mod config;
mod fired;
mod log;
mod traffic;
mod upstreams;

pub use fired::{PhaseCounters, faults_fired};
pub use traffic::histogram;

use std::collections::BTreeMap;

use fake_upstreams::counters::CounterSnapshot;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::errorlog::LogLine;
use crate::load::LoadReport;
use crate::nginx::ConfigTest;
use crate::scenario::Expect;

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
}

/// Evaluate every expectation of a phase.
pub fn evaluate(expect: &Expect, seen: &Observed<'_>) -> Vec<Check> {
    let mut checks = vec![config::check(expect.config_rejected.as_ref(), seen.config)];
    if let Some(load) = seen.load {
        checks.extend(traffic::outcomes(&expect.outcomes, load));
        if expect.body_intact {
            checks.push(traffic::body_intact(load));
        }
        checks.extend(traffic::methods(&expect.methods, load));
        checks.extend(expect.windows.iter().flat_map(|w| traffic::window(w, load)));
        if let Some(expr) = &expect.duplicates {
            checks.push(upstreams::duplicates(expr, load.total, seen.upstreams));
        }
        for (method, expr) in &expect.duplicate_methods {
            let sent = load.total_method(method);
            let method_of = |id: u64| load.methods.get(&id) == Some(method);
            checks.push(upstreams::duplicates_of(
                method,
                expr,
                sent,
                seen.upstreams,
                method_of,
            ));
        }
    }
    checks.extend(log::check(&expect.log, seen.log));
    checks.extend(upstreams::check(&expect.upstreams, seen.upstreams));
    checks
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
