//! The scenario catalogue as a source of proven fixes: which bundled scenario reproduces a
//! fault or an error.log message, the command that runs it, and its fix in the scenario's own
//! words (title, guide step, the last phase's `about`).
//!
//! `check` and `diagnose` point users at these instead of repeating advice: the YAML is the one
//! place a fix is written down, and `badgateway run` proves it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::input_error::InputError;
use crate::scenario::{LoadedScenario, discover};

/// A catalogue scenario offered as the explanation and fix of a failure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advice {
    pub scenario: String,
    pub file: PathBuf,
    pub title: String,
    pub guide_step: String,
    /// The last phase, the one that proves the fix: `name: about`.
    pub fix: Option<String>,
    /// `badgateway run <file>`.
    pub command: String,
}

/// The scenario each fault kind of `check` maps to first; other scenarios using the same fault
/// are the fallback. Names only: the advice text comes from the YAML.
const FAULT_SCENARIO: [(&str, &str); 9] = [
    ("refuse", "upstream-down"),
    ("close_before_response", "upstream-crash"),
    ("reset", "upstream-reset"),
    ("stall", "upstream-stall"),
    ("big_headers", "big-headers"),
    ("invalid_header", "invalid-header"),
    ("garbage", "garbage-response"),
    ("close_mid_body", "close-mid-body"),
    ("idle_close", "keepalive-race"),
];

/// Loaded scenario files.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    pub scenarios: Vec<LoadedScenario>,
}

impl Catalogue {
    /// Load every scenario under `paths`.
    pub fn load(paths: &[PathBuf]) -> Result<Catalogue, InputError> {
        Ok(Catalogue {
            scenarios: discover(paths)?,
        })
    }

    /// `scenarios/` in the working directory, else the one next to this crate's sources.
    pub fn default_dir() -> PathBuf {
        let here = PathBuf::from("scenarios");
        if here.is_dir() {
            return here;
        }
        let source_tree = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        // Shown in commands users copy, so without the `harness/..` detour.
        std::fs::canonicalize(&source_tree).unwrap_or(source_tree)
    }

    /// The advice of the scenario called `name`, if it is in the catalogue.
    pub fn advice(&self, name: &str) -> Option<Advice> {
        let loaded = self.scenarios.iter().find(|l| l.scenario.name == name)?;
        Some(advice_of(loaded))
    }

    /// The scenario that reproduces fault `kind` (e.g. `refuse`).
    pub fn for_fault(&self, kind: &str) -> Option<Advice> {
        let preferred = FAULT_SCENARIO
            .iter()
            .find(|(k, _)| *k == kind)
            .and_then(|(_, name)| self.advice(name));
        preferred.or_else(|| {
            let uses = |l: &&LoadedScenario| {
                l.scenario
                    .upstreams
                    .values()
                    .flat_map(|servers| servers.values())
                    .any(|spec| spec.fault.kind() == kind)
            };
            self.scenarios.iter().find(uses).map(advice_of)
        })
    }

    /// Scenarios whose first phase expects an error.log line like `line` (its `log.contains`).
    pub fn matching_log_line(&self, line: &str) -> Vec<Advice> {
        self.scenarios
            .iter()
            .filter(|l| {
                l.scenario
                    .phases
                    .first()
                    .is_some_and(|p| p.expect.log.contains.iter().any(|pat| pat.matches(line)))
            })
            .map(advice_of)
            .collect()
    }
}

fn advice_of(loaded: &LoadedScenario) -> Advice {
    let s = &loaded.scenario;
    let fix = s
        .phases
        .last()
        .filter(|_| s.phases.len() > 1)
        .map(|p| match &p.about {
            Some(about) => format!("{}: {about}", p.name),
            None => p.name.clone(),
        });
    Advice {
        scenario: s.name.clone(),
        file: loaded.path.clone(),
        title: s.title.clone(),
        guide_step: s.guide_step.clone(),
        fix,
        command: format!("badgateway run {}", loaded.path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalogue() -> Catalogue {
        Catalogue::load(&[Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios")]).unwrap()
    }

    #[test]
    fn every_fault_kind_maps_to_a_bundled_scenario() {
        let c = catalogue();
        for (kind, name) in FAULT_SCENARIO {
            let advice = c.for_fault(kind).unwrap_or_else(|| panic!("{kind}"));
            assert_eq!(advice.scenario, name);
            assert!(advice.command.starts_with("badgateway run "));
            assert!(advice.fix.is_some(), "{name} has a fix phase");
        }
    }

    #[test]
    fn log_lines_match_scenarios_by_their_patterns() {
        let line = "2026/01/01 00:00:00 [error] 1#1: *1 connect() failed (111: Connection refused) \
                    while connecting to upstream, client: 127.0.0.1";
        let names: Vec<String> = catalogue()
            .matching_log_line(line)
            .into_iter()
            .map(|a| a.scenario)
            .collect();
        assert!(names.contains(&"upstream-down".to_string()), "{names:?}");
    }
}
