//! Where a demo is: which phase serves now, which phases the nginx in use skips (and why),
//! how many hints are shown. Pure: the keys and the `--auto` pace move it, the lab follows.

use crate::scenario::Scenario;

/// One phase of the scenario as the demo lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseEntry {
    pub name: String,
    pub about: Option<String>,
    /// Why the nginx in use skips it (`nginx_versions`); `None` when it applies.
    pub skipped: Option<String>,
}

/// The demo's position: phases, the current one, hints shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub phases: Vec<PhaseEntry>,
    /// Index into `phases`; always a phase that applies.
    pub current: usize,
    /// Hints shown so far (the first `hints_shown` of the scenario's hints).
    pub hints_shown: usize,
}

impl Position {
    /// The first phase that applies to nginx `version`; `None` when none does.
    pub fn start(s: &Scenario, version: &str) -> Option<Position> {
        let phases: Vec<PhaseEntry> = s
            .phases
            .iter()
            .map(|p| PhaseEntry {
                name: p.name.clone(),
                about: p.about.clone(),
                skipped: (!p.applies_to(version)).then(|| {
                    let range = p.nginx_versions.as_ref().map(|r| r.to_string());
                    format!(
                        "needs nginx {}, this is {version}",
                        range.unwrap_or_default()
                    )
                }),
            })
            .collect();
        let current = phases.iter().position(|p| p.skipped.is_none())?;
        Some(Position {
            phases,
            current,
            hints_shown: 0,
        })
    }

    /// The next phase that applies after the current one, if any.
    pub fn next(&self) -> Option<usize> {
        (self.current + 1..self.phases.len()).find(|&i| self.phases[i].skipped.is_none())
    }

    /// The phase that applies before the current one, if any.
    pub fn previous(&self) -> Option<usize> {
        (0..self.current)
            .rev()
            .find(|&i| self.phases[i].skipped.is_none())
    }

    /// The first phase that applies: the broken config the others are compared to.
    pub fn baseline(&self) -> usize {
        self.phases
            .iter()
            .position(|p| p.skipped.is_none())
            .unwrap_or(0)
    }

    /// Show one more hint, up to `available`; false when all are shown.
    pub fn more_hint(&mut self, available: usize) -> bool {
        let more = self.hints_shown < available;
        if more {
            self.hints_shown += 1;
        }
        more
    }

    pub fn current(&self) -> &PhaseEntry {
        &self.phases[self.current]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario() -> Scenario {
        let yaml = r#"
name: gated
title: t
guide_step: g
story: s
upstreams: { app: { a: { kind: healthy } } }
config: { http: "upstream app { server {{upstream.app.a}}; }", location: "proxy_pass http://app;" }
traffic: { requests: 1 }
phases:
  - { name: old, nginx_versions: "<1.20", expect: { outcomes: { 200: "100%" } } }
  - { name: baseline, expect: { outcomes: { 200: "100%" } } }
  - { name: new-only, nginx_versions: ">=1.29.7", expect: { outcomes: { 200: "100%" } } }
  - { name: fix, expect: { outcomes: { 200: "100%" } } }
"#;
        crate::scenario::load_text(std::path::Path::new("gated.yaml"), yaml).unwrap()
    }

    #[test]
    fn gated_phases_are_listed_as_skipped_and_stepped_over() {
        let mut pos = Position::start(&scenario(), "1.22.1").unwrap();
        assert_eq!(pos.current().name, "baseline");
        assert_eq!(pos.baseline(), 1);
        let skipped: Vec<_> = pos
            .phases
            .iter()
            .filter_map(|p| p.skipped.clone())
            .collect();
        assert_eq!(
            skipped,
            [
                "needs nginx <1.20, this is 1.22.1",
                "needs nginx >=1.29.7, this is 1.22.1"
            ]
        );
        assert_eq!(pos.previous(), None);
        pos.current = pos.next().unwrap();
        assert_eq!(pos.current().name, "fix");
        assert_eq!(pos.next(), None);
        assert_eq!(pos.previous(), Some(1));
    }

    #[test]
    fn a_newer_nginx_runs_the_gated_phase() {
        let pos = Position::start(&scenario(), "1.30.0").unwrap();
        assert_eq!(pos.next(), Some(2));
        assert!(Position::start(&scenario(), "1.10.0").unwrap().current == 0);
    }

    #[test]
    fn hints_are_shown_one_at_a_time_up_to_the_last() {
        let mut pos = Position::start(&scenario(), "1.22.1").unwrap();
        assert!(pos.more_hint(2) && pos.more_hint(2));
        assert!(!pos.more_hint(2));
        assert_eq!(pos.hints_shown, 2);
    }
}
