//! The terminal summary: one row per scenario (first phase, last phase, verdict), then every
//! failed check with expected vs actual and the quoted log lines.

use std::fmt::Write;

use crate::check::Check;
use crate::result::{PhaseResult, RunResult, ScenarioResult, Verdict};

/// The whole summary as text.
pub fn render(result: &RunResult) -> String {
    let mut out = String::new();
    let matrix = result.nginx_matrix.len() > 1;
    let nginx = match matrix {
        true => format!("{} nginx", result.nginx_matrix.len()),
        false => format!(
            "nginx {} ({})",
            result.nginx.version,
            result.nginx.path.display()
        ),
    };
    let _ = writeln!(
        out,
        "\nbadgateway run {}: {nginx}, seed {}",
        result.run_id, result.seed
    );
    if matrix {
        super::matrix::table(&mut out, result);
    } else if result.repeat > 1 {
        stability(&mut out, result);
    } else {
        table(&mut out, result);
    }
    for s in result
        .scenarios
        .iter()
        .filter(|s| s.verdict != Verdict::Pass)
    {
        details(&mut out, s, matrix);
    }
    let _ = writeln!(
        out,
        "\n{} passed, {} failed, {} errors, {} interrupted{} in {:.1}s; results in {}",
        result.count(Verdict::Pass),
        result.count(Verdict::Fail),
        result.count(Verdict::Error),
        result.count(Verdict::Interrupted),
        inconclusive(result),
        result.wall_ms as f64 / 1000.0,
        result.out_dir.display()
    );
    out
}

/// One row per scenario: first phase, last phase, verdict.
fn table(out: &mut String, result: &RunResult) {
    let rows: Vec<[String; 3]> = result.scenarios.iter().map(cells).collect();
    let width = |i: usize, title: &str| {
        let widest = rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
        widest.max(title.len())
    };
    let widths = [width(0, "SCENARIO"), width(1, "BASELINE"), width(2, "FIX")];
    let header = ["SCENARIO", "BASELINE", "FIX"].map(String::from);
    line(out, &header, &widths, "VERDICT", "TIME");
    for (s, r) in result.scenarios.iter().zip(&rows) {
        let time = format!("{:.1}s", s.wall_ms as f64 / 1000.0);
        line(out, r, &widths, s.verdict.label(), &time);
        if s.phases.len() > 2 {
            for p in &s.phases[1..s.phases.len() - 1] {
                let _ = writeln!(out, "{}    ↳ {}", pad("", widths[0]), phase_cell(p));
            }
        }
    }
}

/// With `--repeat`: one row per scenario with how many attempts passed.
fn stability(out: &mut String, result: &RunResult) {
    let mut names: Vec<&str> = result.scenarios.iter().map(|s| s.name.as_str()).collect();
    names.dedup();
    let width = names.iter().map(|n| n.len()).max().unwrap_or(8).max(8);
    let _ = writeln!(
        out,
        "{:width$}  {:8}  {:30}  MEAN TIME",
        "SCENARIO", "PASSED", "VERDICTS"
    );
    for name in names {
        let runs: Vec<&ScenarioResult> =
            result.scenarios.iter().filter(|s| s.name == name).collect();
        let passed = runs.iter().filter(|s| s.verdict == Verdict::Pass).count();
        let mut verdicts: Vec<(Verdict, usize)> = Vec::new();
        for r in &runs {
            match verdicts.iter_mut().find(|(v, _)| *v == r.verdict) {
                Some((_, n)) => *n += 1,
                None => verdicts.push((r.verdict, 1)),
            }
        }
        let shown: Vec<String> = verdicts
            .iter()
            .map(|(v, n)| format!("{}×{n}", v.label()))
            .collect();
        let mean = runs.iter().map(|r| r.wall_ms).sum::<u64>() as f64 / runs.len().max(1) as f64;
        let ratio = format!("{passed}/{}", runs.len());
        let _ = writeln!(
            out,
            "{name:width$}  {ratio:8}  {:30}  {:.1}s",
            shown.join(" "),
            mean / 1000.0
        );
    }
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

/// `baseline: 502×40 ✓`, `rejected by nginx -t ✓`, `error ✗`: one phase in a summary cell
/// (also used by the Markdown summary).
pub fn phase_cell(p: &PhaseResult) -> String {
    let mark = if p.verdict == Verdict::Pass {
        "✓"
    } else {
        "✗"
    };
    let what = match (&p.load, &p.config_rejected, &p.error) {
        (_, _, Some(_)) => "harness error".to_string(),
        (_, Some(_), _) => "rejected by nginx -t".to_string(),
        (Some(load), _, _) => crate::check::outcomes_line(load),
        (None, None, None) => "no traffic".to_string(),
    };
    format!("{}: {what} {mark}", p.name)
}

/// Failed checks of `s`; in a version matrix its name says which nginx it ran on.
fn details(out: &mut String, s: &ScenarioResult, matrix: bool) {
    let name = match matrix {
        true => format!("{} @nginx {}", s.name, s.nginx_version),
        false => s.name.clone(),
    };
    let failed: Vec<&Check> = s.checks.iter().filter(|c| !c.passed).collect();
    if !failed.is_empty() {
        let _ = writeln!(out, "\nFAIL {name} (whole scenario)");
        for c in failed {
            failed_check(out, c);
        }
    }
    for p in s.phases.iter().filter(|p| p.verdict != Verdict::Pass) {
        let _ = writeln!(
            out,
            "\n{} {} / {} ({})",
            p.verdict.label(),
            name,
            p.name,
            p.run_dir.display()
        );
        if let Some(err) = &p.error {
            let _ = writeln!(out, "  harness error: {err}");
        }
        for c in p.checks.iter().filter(|c| !c.passed) {
            failed_check(out, c);
        }
        let requests = super::requests::lines(p);
        if !requests.is_empty() {
            let _ = writeln!(out, "  requests (client · nginx · upstream):");
            for l in requests {
                let _ = writeln!(out, "    {l}");
            }
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

/// `, 2 inconclusive` when a run has such scenarios; nothing otherwise.
pub(crate) fn inconclusive(result: &RunResult) -> String {
    match result.count(Verdict::Inconclusive) {
        0 => String::new(),
        n => format!(", {n} inconclusive"),
    }
}
