//! `compare`: two check reports (before and after a config change) as a diff per upstream ×
//! fault: what the change fixes, what it regresses, what stays as it was.

use serde::{Deserialize, Serialize};

use super::{Cell, CheckReport, FaultKind};

/// How one upstream × fault changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Failed before, survives after.
    Fixed,
    /// Survived before, fails after.
    Regressed,
    /// Survives in both.
    StillSurvives,
    /// Fails in both.
    StillFails,
    /// Only one of the configs could be tested here (upstream added, removed or untestable).
    OnlyBefore,
    OnlyAfter,
}

/// One row of the diff.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    pub upstream: String,
    pub fault: FaultKind,
    pub change: Change,
    pub before: Option<Cell>,
    pub after: Option<Cell>,
}

/// The whole diff.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Comparison {
    pub before: CheckReport,
    pub after: CheckReport,
    pub rows: Vec<Row>,
}

impl Comparison {
    /// True when some fault the old config survived fails with the new one.
    pub fn regressed(&self) -> bool {
        self.rows.iter().any(|r| r.change == Change::Regressed)
    }

    /// True when at least one of the two configs had something tested.
    pub fn tested(&self) -> bool {
        self.before.tested() || self.after.tested()
    }
}

/// Diff two reports, upstreams matched by name, in the order they appear.
pub fn compare(before: CheckReport, after: CheckReport) -> Comparison {
    let mut keys: Vec<(String, FaultKind)> = Vec::new();
    for report in [&before, &after] {
        for up in &report.upstreams {
            for c in &up.cells {
                let key = (up.upstream.name.clone(), c.fault);
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
        }
    }
    let rows = keys
        .into_iter()
        .map(|(upstream, fault)| {
            let b = before.cell(&upstream, fault).cloned();
            let a = after.cell(&upstream, fault).cloned();
            let change = match (&b, &a) {
                (Some(b), Some(a)) => match (b.survives, a.survives) {
                    (false, true) => Change::Fixed,
                    (true, false) => Change::Regressed,
                    (true, true) => Change::StillSurvives,
                    (false, false) => Change::StillFails,
                },
                (Some(_), None) => Change::OnlyBefore,
                _ => Change::OnlyAfter,
            };
            Row {
                upstream,
                fault,
                change,
                before: b,
                after: a,
            }
        })
        .collect();
    Comparison {
        before,
        after,
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::confcheck::{Upstream, UpstreamReport};

    fn report(cells: &[(FaultKind, bool)]) -> CheckReport {
        CheckReport {
            config: "x".into(),
            nginx_version: "1".into(),
            untested: Vec::new(),
            changes: Vec::new(),
            upstreams: vec![UpstreamReport {
                upstream: Upstream {
                    name: "app".into(),
                    implicit: false,
                    servers: Vec::new(),
                },
                targets: Vec::new(),
                cells: cells
                    .iter()
                    .map(|(f, s)| Cell {
                        fault: *f,
                        survives: *s,
                        outcomes: Default::default(),
                        fired: 0,
                        log: Vec::new(),
                        advice: None,
                    })
                    .collect(),
            }],
        }
    }

    #[test]
    fn rows_say_fixed_regressed_and_unchanged() {
        use FaultKind::*;
        let c = compare(
            report(&[(Refuse, false), (IdleClose, true), (Reset, false)]),
            report(&[
                (Refuse, true),
                (IdleClose, false),
                (Reset, false),
                (Stall, true),
            ]),
        );
        let changes: Vec<Change> = c.rows.iter().map(|r| r.change).collect();
        assert_eq!(
            changes,
            [
                Change::Fixed,
                Change::Regressed,
                Change::StillFails,
                Change::OnlyAfter
            ]
        );
        assert!(c.regressed());
    }
}
