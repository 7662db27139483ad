//! The version-matrix summary: scenario rows, one column per nginx the run used, verdict cells.
//! Shown instead of the one-nginx table when a run names several nginx (`--nginx`,
//! `--nginx-image`), so behaviour that differs between versions stands out.

use std::fmt::Write;

use crate::result::{RunResult, ScenarioResult, Verdict};

/// One column: which results belong to it and its heading.
struct Column {
    version: String,
    source: String,
    heading: String,
}

/// The columns of `result`, in the order the run named its nginx. A version shown twice (a
/// local binary and an image of the same version) is told apart by its source.
fn columns(result: &RunResult) -> Vec<Column> {
    let mut cols: Vec<Column> = result
        .nginx_matrix
        .iter()
        .map(|n| Column {
            version: n.version().to_string(),
            source: n.source(),
            heading: n.version().to_string(),
        })
        .collect();
    let versions: Vec<String> = cols.iter().map(|c| c.version.clone()).collect();
    for c in &mut cols {
        if versions.iter().filter(|v| **v == c.version).count() > 1 {
            c.heading = format!("{} ({})", c.version, c.source);
        }
    }
    cols
}

/// The table: `SCENARIO  1.22.1  1.26.3  1.30.6`, one verdict cell per scenario and nginx
/// (`PASS`, `FAIL: baseline`, or with `--repeat` `PASS 3/3`), then each column's source.
pub fn table(out: &mut String, result: &RunResult) {
    let cols = columns(result);
    let mut names: Vec<&str> = Vec::new();
    for s in &result.scenarios {
        if !names.contains(&s.name.as_str()) {
            names.push(&s.name);
        }
    }
    let rows: Vec<Vec<String>> = names
        .iter()
        .map(|name| {
            cols.iter()
                .map(|c| {
                    let runs: Vec<&ScenarioResult> = result
                        .scenarios
                        .iter()
                        .filter(|s| {
                            s.name == *name
                                && s.nginx_version == c.version
                                && s.nginx_source == c.source
                        })
                        .collect();
                    cell(&runs)
                })
                .collect()
        })
        .collect();
    let first = names.iter().map(|n| n.len()).max().unwrap_or(0).max(8);
    let widths: Vec<usize> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([c.heading.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let headings: Vec<String> = cols.iter().map(|c| c.heading.clone()).collect();
    line(out, "SCENARIO", first, &headings, &widths);
    for (name, row) in names.iter().zip(&rows) {
        line(out, name, first, row, &widths);
    }
    for c in &cols {
        let _ = writeln!(out, "  {}: {}", c.heading, c.source);
    }
}

fn line(out: &mut String, first: &str, width: usize, cells: &[String], widths: &[usize]) {
    let mut text = format!("{first:width$}");
    for (c, w) in cells.iter().zip(widths) {
        let pad = w.saturating_sub(c.chars().count());
        let _ = write!(text, "  {c}{}", " ".repeat(pad));
    }
    let _ = writeln!(out, "{}", text.trim_end());
}

/// `PASS`, `FAIL: baseline, fix`, `PASS 3/3`, `-` when the scenario did not run there; then
/// `, skipped: NAME` for phases that nginx's version gates out.
fn cell(runs: &[&ScenarioResult]) -> String {
    let verdicts = verdict_cell(runs);
    let skipped: Vec<&str> = (runs.first().iter())
        .flat_map(|s| s.skipped.iter().map(|p| p.name.as_str()))
        .collect();
    match skipped.is_empty() {
        true => verdicts,
        false => format!("{verdicts}, skipped: {}", skipped.join(", ")),
    }
}

fn verdict_cell(runs: &[&ScenarioResult]) -> String {
    let Some(worst) = runs.iter().map(|s| s.verdict).max() else {
        return "-".into();
    };
    if runs.len() > 1 {
        let passed = runs.iter().filter(|s| s.verdict == Verdict::Pass).count();
        return format!("{} {passed}/{}", worst.label(), runs.len());
    }
    let s = runs[0];
    let bad: Vec<&str> = s
        .phases
        .iter()
        .filter(|p| p.verdict != Verdict::Pass)
        .map(|p| p.name.as_str())
        .collect();
    match (s.verdict, bad.is_empty()) {
        (Verdict::Pass, _) => "PASS".into(),
        (v, true) => v.label().into(),
        (v, false) => format!("{}: {}", v.label(), bad.join(", ")),
    }
}
