//! The terminal summary: one row per scenario (first phase, last phase, verdict; phases the
//! nginx version skips under it), then every failed check with expected vs actual and the
//! quoted log lines. On a terminal the verdicts are coloured: PASS green, FAIL red, the others
//! yellow; not when `NO_COLOR` is set or stdout is a file or a pipe.

use std::fmt::Write;
use std::io::IsTerminal;

use crate::check::Check;
use crate::result::{PhaseResult, RunResult, ScenarioResult, SkippedPhase, Verdict};

/// The summary for stdout: coloured when stdout is a terminal and `NO_COLOR` is not set.
pub fn render_for_stdout(result: &RunResult) -> String {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    render_styled(result, !no_color && std::io::stdout().is_terminal())
}

/// The whole summary as plain text.
pub fn render(result: &RunResult) -> String {
    render_styled(result, false)
}

/// `label` in the verdict's colour (ANSI), or as it is without `colour`.
pub fn paint(v: Verdict, label: &str, colour: bool) -> String {
    let code = match v {
        Verdict::Pass => "32",
        Verdict::Fail => "31",
        _ => "33",
    };
    match colour {
        true => format!("\x1b[1;{code}m{label}\x1b[0m"),
        false => label.to_string(),
    }
}

/// `, shard 2/3 (by name)` or `, merged from 3 runs (shards 1/3, 2/3, 3/3)`: what part of a
/// suite the result is, when it is not one whole run.
pub(super) fn part_of(result: &RunResult) -> String {
    let shard = |s: &crate::shard::Shard| format!("{}/{}", s.index, s.total);
    if let Some(s) = &result.shard {
        return format!(", shard {} (by {})", shard(s), s.by.label());
    }
    if result.merged_from.is_empty() {
        return String::new();
    }
    let shards: Vec<String> = (result.merged_from.iter())
        .filter_map(|m| m.shard.as_ref().map(shard))
        .collect();
    let seeds: std::collections::BTreeSet<u64> =
        result.merged_from.iter().map(|m| m.seed).collect();
    let mut text = format!(", merged from {} runs", result.merged_from.len());
    if !shards.is_empty() {
        text.push_str(&format!(" (shards {})", shards.join(", ")));
    }
    if seeds.len() > 1 {
        text.push_str(" with different seeds");
    }
    text
}

/// The whole summary, with ANSI colours when `colour`.
pub fn render_styled(result: &RunResult, colour: bool) -> String {
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
        "\nbadgateway run {}: {nginx}, seed {}{}",
        result.run_id,
        result.seed,
        part_of(result)
    );
    if matrix {
        super::matrix::table(&mut out, result);
    } else if result.repeat > 1 {
        stability(&mut out, result);
    } else {
        table(&mut out, result, colour);
    }
    for s in result
        .scenarios
        .iter()
        .filter(|s| s.verdict != Verdict::Pass)
    {
        details(&mut out, s, matrix, colour);
    }
    let count = |v: Verdict, what: &str| {
        let text = format!("{} {what}", result.count(v));
        match result.count(v) {
            0 => text,
            _ => paint(v, &text, colour),
        }
    };
    let _ = writeln!(
        out,
        "\n{}, {}, {}, {}{} in {:.1}s; results in {}",
        count(Verdict::Pass, "passed"),
        count(Verdict::Fail, "failed"),
        count(Verdict::Error, "errors"),
        count(Verdict::Interrupted, "interrupted"),
        inconclusive(result),
        result.wall_ms as f64 / 1000.0,
        result.out_dir.display()
    );
    out
}

/// One row per scenario: first phase, last phase, verdict.
fn table(out: &mut String, result: &RunResult, colour: bool) {
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
        let verdict = paint(s.verdict, &pad(s.verdict.label(), 11), colour);
        line(out, r, &widths, &verdict, &time);
        if s.phases.len() > 2 {
            for p in &s.phases[1..s.phases.len() - 1] {
                let _ = writeln!(out, "{}    ↳ {}", pad("", widths[0]), phase_cell(p));
            }
        }
        for p in &s.skipped {
            let _ = writeln!(out, "{}    ↳ {}", pad("", widths[0]), skipped_cell(p));
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
    let _ = writeln!(out, "{}  {}  {time}", padded.join("  "), pad(verdict, 11));
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

/// `new-behaviour: skipped (needs nginx >=1.29.7; this is 1.26.3)`: a phase gated out by
/// `nginx_versions` (also used by the Markdown summary).
pub fn skipped_cell(p: &SkippedPhase) -> String {
    format!("{}: skipped ({})", p.name, p.reason)
}

/// Failed checks of `s`; in a version matrix its name says which nginx it ran on.
fn details(out: &mut String, s: &ScenarioResult, matrix: bool, colour: bool) {
    let name = match matrix {
        true => format!("{} @nginx {}", s.name, s.nginx_version),
        false => s.name.clone(),
    };
    let failed: Vec<&Check> = s.checks.iter().filter(|c| !c.passed).collect();
    if !failed.is_empty() {
        let fail = paint(Verdict::Fail, "FAIL", colour);
        let _ = writeln!(out, "\n{fail} {name} (whole scenario)");
        for c in failed {
            failed_check(out, c);
        }
    }
    for p in s.phases.iter().filter(|p| p.verdict != Verdict::Pass) {
        let _ = writeln!(
            out,
            "\n{} {} / {} ({})",
            paint(p.verdict, p.verdict.label(), colour),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    #[test]
    fn verdicts_are_coloured_only_when_asked() {
        let result = sample::result();
        let plain = render(&result);
        assert!(!plain.contains('\x1b'), "no escape codes in plain text");
        let coloured = render_styled(&result, true);
        assert!(coloured.contains("\x1b[1;32mPASS"), "PASS is green");
        assert!(coloured.contains("\x1b[1;31mFAIL"), "FAIL is red");
        assert!(coloured.contains("\x1b[1;33m1 errors\x1b[0m") || !plain.contains("1 errors"));
        let strip = coloured.replace("\x1b[0m", "").replace("\x1b[1;32m", "");
        let strip = strip.replace("\x1b[1;31m", "").replace("\x1b[1;33m", "");
        assert_eq!(strip, plain, "colour changes nothing but the colour");
    }

    #[test]
    fn gated_phases_are_listed_as_skipped() {
        let result = sample::with_skipped_phase();
        let text = render(&result);
        assert!(text.contains("↳ new-behaviour: skipped (needs nginx >=1.29.7; this is 1.22.1)"));
    }
}
