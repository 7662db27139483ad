//! The terminal summary: one row per scenario (first phase, last phase, verdict), then every
//! failed check with expected vs actual and the quoted log lines.

use std::fmt::Write;

use crate::check::Check;
use crate::result::{PhaseResult, RunResult, ScenarioResult, Verdict};

/// The whole summary as text.
pub fn render(result: &RunResult) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nbadgateway run {}: nginx {} ({}), seed {}",
        result.run_id,
        result.nginx.version,
        result.nginx.path.display(),
        result.seed
    );
    let rows: Vec<[String; 3]> = result.scenarios.iter().map(cells).collect();
    let width = |i: usize, title: &str| {
        let widest = rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
        widest.max(title.len())
    };
    let widths = [width(0, "SCENARIO"), width(1, "BASELINE"), width(2, "FIX")];
    let header = ["SCENARIO", "BASELINE", "FIX"].map(String::from);
    line(&mut out, &header, &widths, "VERDICT", "TIME");
    for (s, r) in result.scenarios.iter().zip(&rows) {
        let time = format!("{:.1}s", s.wall_ms as f64 / 1000.0);
        line(&mut out, r, &widths, s.verdict.label(), &time);
        if s.phases.len() > 2 {
            for p in &s.phases[1..s.phases.len() - 1] {
                let _ = writeln!(out, "{}    ↳ {}", pad("", widths[0]), phase_cell(p));
            }
        }
    }
    for s in result
        .scenarios
        .iter()
        .filter(|s| s.verdict != Verdict::Pass)
    {
        details(&mut out, s);
    }
    let _ = writeln!(
        out,
        "\n{} passed, {} failed, {} errors, {} interrupted in {:.1}s; results in {}",
        result.count(Verdict::Pass),
        result.count(Verdict::Fail),
        result.count(Verdict::Error),
        result.count(Verdict::Interrupted),
        result.wall_ms as f64 / 1000.0,
        result.out_dir.display()
    );
    out
}

/// Scenario name, first phase, last phase (empty for a one-phase scenario).
fn cells(s: &ScenarioResult) -> [String; 3] {
    let first = s.phases.first().map(phase_cell).unwrap_or_default();
    let last = match s.phases.len() {
        0 | 1 => String::new(),
        _ => s.phases.last().map(phase_cell).unwrap_or_default(),
    };
    [s.name.clone(), first, last]
}

fn line(out: &mut String, cells: &[String; 3], widths: &[usize; 3], verdict: &str, time: &str) {
    let padded: Vec<String> = cells.iter().zip(widths).map(|(c, w)| pad(c, *w)).collect();
    let _ = writeln!(out, "{}  {verdict:11}  {time}", padded.join("  "));
}

/// Pad by characters, not bytes (`×` and `✓` are multi-byte).
fn pad(text: &str, width: usize) -> String {
    let n = text.chars().count();
    format!("{text}{}", " ".repeat(width.saturating_sub(n)))
}

/// `502×40 ✓`, `rejected by nginx -t ✓`, `error ✗`.
fn phase_cell(p: &PhaseResult) -> String {
    let mark = if p.verdict == Verdict::Pass {
        "✓"
    } else {
        "✗"
    };
    let what = match (&p.load, &p.config_rejected, &p.error) {
        (_, _, Some(_)) => "harness error".to_string(),
        (_, Some(_), _) => "rejected by nginx -t".to_string(),
        (Some(load), _, _) => crate::check::histogram(load),
        (None, None, None) => "no traffic".to_string(),
    };
    format!("{}: {what} {mark}", p.name)
}

fn details(out: &mut String, s: &ScenarioResult) {
    for p in s.phases.iter().filter(|p| p.verdict != Verdict::Pass) {
        let _ = writeln!(
            out,
            "\n{} {} / {} ({})",
            p.verdict.label(),
            s.name,
            p.name,
            p.run_dir.display()
        );
        if let Some(err) = &p.error {
            let _ = writeln!(out, "  harness error: {err}");
        }
        for c in p.checks.iter().filter(|c| !c.passed) {
            failed_check(out, c);
        }
    }
}

fn failed_check(out: &mut String, c: &Check) {
    let _ = writeln!(
        out,
        "  ✗ {}\n      expected: {}\n      actual:   {}",
        c.what, c.expected, c.actual
    );
    for line in &c.evidence {
        for l in line.lines() {
            let _ = writeln!(out, "      > {l}");
        }
    }
}
