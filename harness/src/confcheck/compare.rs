//! `compare`: two check reports (before and after a config change) as a diff per upstream ×
//! fault: what the change fixes, what it regresses, what stays as it was.

use serde::{Deserialize, Serialize};

use super::{Cell, CheckReport, Defect, DnsCell, DnsColumn, FaultKind, Placement};

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
    pub placement: Placement,
    pub change: Change,
    /// Per location tested in both: how it changed (which location regressed).
    #[serde(default)]
    pub locations: Vec<(String, Change)>,
    pub before: Option<Cell>,
    pub after: Option<Cell>,
}

/// One upstream × DNS column of the diff.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DnsRow {
    pub upstream: String,
    pub column: DnsColumn,
    pub change: Change,
    pub before: Option<DnsCell>,
    pub after: Option<DnsCell>,
}

/// The whole diff.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Comparison {
    pub before: CheckReport,
    pub after: CheckReport,
    pub rows: Vec<Row>,
}

impl Change {
    /// In words, for reports: `fixed`, `REGRESSED`, `unchanged (survives)`.
    pub fn label(self) -> &'static str {
        match self {
            Change::Fixed => "fixed",
            Change::Regressed => "REGRESSED",
            Change::StillSurvives => "unchanged (survives)",
            Change::StillFails => "unchanged (fails)",
            Change::OnlyBefore => "only tested before",
            Change::OnlyAfter => "only tested after",
        }
    }
}

impl Comparison {
    /// True when some fault the old config survived fails with the new one, or the new one
    /// has a defect (a location failing with every upstream healthy) the old one had not.
    pub fn regressed(&self) -> bool {
        self.rows.iter().any(|r| r.change == Change::Regressed)
            || !self.new_defects().is_empty()
            || self
                .dns_rows()
                .iter()
                .any(|r| r.change == Change::Regressed)
    }

    /// Each upstream × DNS column played in either config, and how it changed.
    pub fn dns_rows(&self) -> Vec<DnsRow> {
        let find = |r: &CheckReport, up: &str, col: DnsColumn| {
            let up = r.upstreams.iter().find(|u| u.upstream.name == up)?;
            up.dns.iter().find(|c| c.column == col).cloned()
        };
        let mut rows: Vec<DnsRow> = Vec::new();
        for report in [&self.before, &self.after] {
            for up in &report.upstreams {
                for c in &up.dns {
                    let name = &up.upstream.name;
                    if rows
                        .iter()
                        .any(|r| &r.upstream == name && r.column == c.column)
                    {
                        continue;
                    }
                    let before = find(&self.before, name, c.column);
                    let after = find(&self.after, name, c.column);
                    let change = match (&before, &after) {
                        (Some(b), Some(a)) => change(b.survives, a.survives),
                        (Some(_), None) => Change::OnlyBefore,
                        _ => Change::OnlyAfter,
                    };
                    rows.push(DnsRow {
                        upstream: name.clone(),
                        column: c.column,
                        change,
                        before,
                        after,
                    });
                }
            }
        }
        rows
    }

    /// The defects of the new config that the old one had not (matched by location).
    pub fn new_defects(&self) -> Vec<&Defect> {
        let before = &self.before.defects;
        let new = |d: &&Defect| !before.iter().any(|b| b.location == d.location);
        self.after.defects.iter().filter(new).collect()
    }

    /// True when at least one of the two configs had something tested.
    pub fn tested(&self) -> bool {
        self.before.tested() || self.after.tested()
    }
}

/// Diff two reports, upstreams matched by name, in the order they appear.
pub fn compare(before: CheckReport, after: CheckReport) -> Comparison {
    let mut keys: Vec<(String, FaultKind, Placement)> = Vec::new();
    for report in [&before, &after] {
        for up in &report.upstreams {
            for c in &up.cells {
                let key = (up.upstream.name.clone(), c.fault, c.placement);
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
        }
    }
    // With one primary on both sides, "all primaries" repeats "one server".
    keys.retain(|(up, _, p)| {
        *p == Placement::OneServer || before.primaries(up) > 1 || after.primaries(up) > 1
    });
    let rows = keys
        .into_iter()
        .map(|(upstream, fault, placement)| {
            let b = before.cell(&upstream, fault, placement).cloned();
            let a = after.cell(&upstream, fault, placement).cloned();
            let change = match (&b, &a) {
                (Some(b), Some(a)) => change(b.survives, a.survives),
                (Some(_), None) => Change::OnlyBefore,
                _ => Change::OnlyAfter,
            };
            Row {
                locations: by_location(b.as_ref(), a.as_ref()),
                upstream,
                fault,
                placement,
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

fn change(before: bool, after: bool) -> Change {
    match (before, after) {
        (false, true) => Change::Fixed,
        (true, false) => Change::Regressed,
        (true, true) => Change::StillSurvives,
        (false, false) => Change::StillFails,
    }
}

/// How each location tested in both cells changed.
fn by_location(before: Option<&Cell>, after: Option<&Cell>) -> Vec<(String, Change)> {
    let (Some(b), Some(a)) = (before, after) else {
        return Vec::new();
    };
    b.by_location
        .iter()
        .filter_map(|lb| {
            let la = a.by_location.iter().find(|l| l.location == lb.location)?;
            Some((lb.location.clone(), change(lb.survives(), la.survives())))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::confcheck::{LocationOutcomes, Upstream, UpstreamReport, UpstreamServer};
    use crate::outcome::Outcome;

    fn report(cells: &[(FaultKind, bool)]) -> CheckReport {
        CheckReport {
            config: "x".into(),
            nginx_version: "1".into(),
            untested: Vec::new(),
            changes: Vec::new(),
            notes: Vec::new(),
            defects: Vec::new(),
            upstreams: vec![UpstreamReport {
                upstream: Upstream {
                    name: "app".into(),
                    implicit: false,
                    servers: Vec::new(),
                    tls: None,
                    protocol: Default::default(),
                },
                targets: Vec::new(),
                cells: cells
                    .iter()
                    .map(|(f, s)| cell(*f, Placement::OneServer, &[("/", *s)]))
                    .collect(),
                dns: Vec::new(),
            }],
        }
    }

    /// A cell whose locations survive or not.
    fn cell(fault: FaultKind, placement: Placement, locations: &[(&str, bool)]) -> Cell {
        let outcome = |ok: bool| Outcome::Status(if ok { 200 } else { 502 });
        let by_location: Vec<LocationOutcomes> = locations
            .iter()
            .map(|(l, ok)| LocationOutcomes {
                location: l.to_string(),
                outcomes: [(outcome(*ok), 6)].into(),
            })
            .collect();
        Cell {
            fault,
            placement,
            survives: locations.iter().all(|(_, ok)| *ok),
            outcomes: Default::default(),
            by_location,
            fired: 0,
            wall_ms: 0,
            log: Vec::new(),
            advice: None,
        }
    }

    fn upstream(primaries: usize, cells: Vec<Cell>) -> CheckReport {
        let server = |i| UpstreamServer {
            address: format!("10.0.0.{i}:80"),
            backup: false,
            line: String::new(),
        };
        let mut r = report(&[]);
        r.upstreams[0].upstream.servers = (0..primaries).map(server).collect();
        r.upstreams[0].cells = cells;
        r
    }

    #[test]
    fn a_second_primary_fixes_one_server_faults_and_rows_name_the_location() {
        use Placement::*;
        let locations = |api: bool| [("site /", true), ("site /api/", api)];
        // One primary: "all primaries" is the same run, so it is no row of its own.
        let before = upstream(
            1,
            vec![
                cell(FaultKind::Refuse, OneServer, &locations(false)),
                cell(FaultKind::Refuse, AllPrimaries, &locations(false)),
            ],
        );
        let after = upstream(
            2,
            vec![
                cell(FaultKind::Refuse, OneServer, &locations(true)),
                cell(FaultKind::Refuse, AllPrimaries, &locations(false)),
            ],
        );
        let c = compare(before, after);
        let rows: Vec<(Placement, Change)> =
            c.rows.iter().map(|r| (r.placement, r.change)).collect();
        assert_eq!(
            rows,
            [
                (OneServer, Change::Fixed),
                (AllPrimaries, Change::StillFails)
            ]
        );
        assert_eq!(
            c.rows[0].locations,
            [
                ("site /".to_string(), Change::StillSurvives),
                ("site /api/".to_string(), Change::Fixed)
            ]
        );
        let only_one = compare(
            upstream(1, c.before.upstreams[0].cells.clone()),
            upstream(1, vec![]),
        );
        assert!(only_one.rows.iter().all(|r| r.placement == OneServer));
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
