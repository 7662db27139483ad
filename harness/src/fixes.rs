//! The scenario catalogue as a source of proven fixes: which bundled scenario reproduces a
//! fault or an error.log message, the command that runs it, and its fix in the scenario's own
//! words (title, guide step, the last phase's `about`).
//!
//! `check` and `diagnose` point users at these instead of repeating advice: the YAML is the one
//! place a fix is written down, and `badgateway run` proves it. Which scenario is the reference
//! for a fault or a log line is what the scenario itself declares (`proves:`).

use std::path::PathBuf;

use fake_upstreams::faults::FaultKind;
use serde::{Deserialize, Serialize};

use crate::input_error::InputError;
use crate::scenario::{LoadedScenario, bundled, discover};

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
    /// The `*_pass` directive of the scenario's baseline (`grpc_pass`), when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directive: Option<String>,
}

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

    /// The catalogue: `scenarios/` in the working directory, else the embedded copy (the rule
    /// is [`bundled::resolve`]'s).
    pub fn default_dir() -> PathBuf {
        PathBuf::from(bundled::DEFAULT_DIR)
    }

    /// The advice of the scenario called `name`, if it is in the catalogue.
    pub fn advice(&self, name: &str) -> Option<Advice> {
        let loaded = self.scenarios.iter().find(|l| l.scenario.name == name)?;
        Some(advice_of(loaded))
    }

    /// The scenario that reproduces fault `kind`: the one that declares `proves.fault: kind`,
    /// else the first that plays it.
    pub fn for_fault(&self, kind: FaultKind) -> Option<Advice> {
        let proves = |l: &&LoadedScenario| l.scenario.proves.fault == Some(kind);
        let plays = |l: &&LoadedScenario| l.scenario.plays(kind);
        let found = self.scenarios.iter().find(proves);
        found
            .or_else(|| self.scenarios.iter().find(plays))
            .map(advice_of)
    }

    /// [`Catalogue::for_fault`] among the scenarios whose baseline uses `directive` (e.g.
    /// `grpc_pass`: a gRPC location's advice is a gRPC scenario), else among all.
    pub fn for_fault_over(&self, kind: FaultKind, directive: &str) -> Option<Advice> {
        let over =
            |l: &&LoadedScenario| pass_directive(&l.scenario.config.location) == Some(directive);
        let proves = |l: &&LoadedScenario| l.scenario.proves.fault == Some(kind);
        let plays = |l: &&LoadedScenario| l.scenario.plays(kind);
        let mut same = self.scenarios.iter().filter(over);
        let found = same.clone().find(proves).or_else(|| same.find(plays));
        found.map(advice_of).or_else(|| self.for_fault(kind))
    }

    /// The scenario that declares `line` its own (`proves.log`): the reference for it. When
    /// several do, the one whose `*_pass` fits the line's `upstream: "scheme://` comes first
    /// (a `grpc://` line goes to the gRPC scenario).
    pub fn proving_log_line(&self, line: &str) -> Option<Advice> {
        let declares = |l: &&LoadedScenario| l.scenario.proves.log.iter().any(|p| p.matches(line));
        let mut found = self.scenarios.iter().filter(declares).map(advice_of);
        let first = found.next()?;
        let wanted = pass_for_line(line);
        if wanted.is_none() || first.directive.as_deref() == wanted {
            return Some(first);
        }
        found
            .find(|a| a.directive.as_deref() == wanted)
            .or(Some(first))
    }

    /// Scenarios with an error.log line like `line` among their proof lines
    /// ([`Scenario::proof_lines`](crate::scenario::Scenario::proof_lines)).
    pub fn matching_log_line(&self, line: &str) -> Vec<Advice> {
        self.scenarios
            .iter()
            .filter(|l| l.scenario.proof_lines().any(|pat| pat.matches(line)))
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
        command: format!(
            "badgateway run {}",
            bundled::command_path(&loaded.path).display()
        ),
        directive: pass_directive(&s.config.location).map(str::to_string),
    }
}

/// The `*_pass` directive that talks to the upstream of an error.log line, from its
/// `upstream: "scheme://..."` field.
fn pass_for_line(line: &str) -> Option<&'static str> {
    let (_, rest) = line.split_once("upstream: \"")?;
    let (scheme, _) = rest.split_once("://")?;
    Some(match scheme {
        "http" | "https" => "proxy_pass",
        "fastcgi" => "fastcgi_pass",
        "grpc" | "grpcs" => "grpc_pass",
        "uwsgi" | "suwsgi" => "uwsgi_pass",
        "scgi" => "scgi_pass",
        _ => return None,
    })
}

/// The first `*_pass` directive in a location fragment.
fn pass_directive(location: &str) -> Option<&'static str> {
    let words = location.split(|c: char| c.is_whitespace() || c == ';' || c == '{' || c == '}');
    let passes = [
        "proxy_pass",
        "fastcgi_pass",
        "grpc_pass",
        "uwsgi_pass",
        "scgi_pass",
    ];
    words
        .filter_map(|w| passes.iter().find(|p| **p == w).copied())
        .next()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalogue() -> Catalogue {
        Catalogue::load(&[std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios")])
            .unwrap()
    }

    #[test]
    fn every_fault_check_plays_is_proved_by_exactly_one_bundled_scenario() {
        let c = catalogue();
        for &kind in FaultKind::ALL.iter().filter(|k| k.probe().is_some()) {
            let proving: Vec<&str> = c
                .scenarios
                .iter()
                .filter(|l| l.scenario.proves.fault == Some(kind))
                .map(|l| l.scenario.name.as_str())
                .collect();
            assert_eq!(proving.len(), 1, "{kind}: {proving:?}");
            let advice = c.for_fault(kind).unwrap();
            assert_eq!(advice.scenario, proving[0]);
            assert!(advice.command.starts_with("badgateway run "));
            assert!(advice.fix.is_some(), "{} has a fix phase", proving[0]);
        }
    }

    #[test]
    fn advice_names_the_pass_directive_of_its_scenario() {
        let c = catalogue();
        let directive = |name: &str| c.advice(name).and_then(|a| a.directive);
        assert_eq!(directive("grpc-rst-stream").as_deref(), Some("grpc_pass"));
        assert_eq!(directive("php-fpm-stall").as_deref(), Some("fastcgi_pass"));
        assert_eq!(directive("upstream-down").as_deref(), Some("proxy_pass"));
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
