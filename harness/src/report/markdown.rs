//! `summary.md`: a Markdown summary fit for a CI job summary (`$GITHUB_STEP_SUMMARY`): one
//! table row per scenario (nginx version, baseline, fix, verdict), or the stability table
//! under `--repeat`, then every failure with expected vs actual and the quoted log lines.

use std::fmt::Write;

use super::terminal::{phase_cell, skipped_cell};
use crate::check::Check;
use crate::result::{RunResult, ScenarioResult, Verdict};

/// The whole summary as Markdown.
pub fn render(result: &RunResult) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## badgateway run `{}`: {}\n\nnginx {} · seed {}{} · {} passed, {} failed, {} errors, \
         {} interrupted{} in {:.1}s\n",
        result.run_id,
        badge(result.verdict),
        cell(&result.nginx.version),
        result.seed,
        cell(&super::terminal::part_of(result)),
        result.count(Verdict::Pass),
        result.count(Verdict::Fail),
        result.count(Verdict::Error),
        result.count(Verdict::Interrupted),
        super::terminal::inconclusive(result),
        result.wall_ms as f64 / 1000.0,
    );
    if result.repeat > 1 {
        stability(&mut out, result);
    } else {
        table(&mut out, result);
    }
    let failed: Vec<&ScenarioResult> = result
        .scenarios
        .iter()
        .filter(|s| s.verdict != Verdict::Pass)
        .collect();
    if !failed.is_empty() {
        out.push_str("\n### Failures\n");
        for s in failed {
            details(&mut out, s, result.repeat);
        }
    }
    out
}

/// `✅ PASS`, `❌ FAIL`, ...
fn badge(v: Verdict) -> String {
    let icon = match v {
        Verdict::Pass => "✅",
        Verdict::Inconclusive => "❔",
        Verdict::Fail => "❌",
        Verdict::Error => "💥",
        Verdict::Interrupted => "⏹️",
    };
    format!("{icon} {}", v.label())
}

/// Text made safe for a table cell: no pipes or line breaks.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn table(out: &mut String, result: &RunResult) {
    out.push_str("| scenario | nginx | baseline | fix | verdict |\n|---|---|---|---|---|\n");
    for s in &result.scenarios {
        let first = s.phases.first().map(phase_cell).unwrap_or_default();
        let mut rest: Vec<String> = s.phases.iter().skip(1).map(phase_cell).collect();
        rest.extend(s.skipped.iter().map(|p| format!("⏭️ {}", skipped_cell(p))));
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} |",
            cell(&s.name),
            cell(&s.nginx_version),
            cell(&first),
            rest.iter()
                .map(|c| cell(c))
                .collect::<Vec<_>>()
                .join("<br>"),
            badge(s.verdict)
        );
    }
}

/// With `--repeat`: how many attempts of each scenario passed.
fn stability(out: &mut String, result: &RunResult) {
    out.push_str("| scenario | passed | verdicts | mean time |\n|---|---|---|---|\n");
    let mut names: Vec<&str> = result.scenarios.iter().map(|s| s.name.as_str()).collect();
    names.dedup();
    for name in names {
        let runs: Vec<&ScenarioResult> =
            result.scenarios.iter().filter(|s| s.name == name).collect();
        let passed = runs.iter().filter(|s| s.verdict == Verdict::Pass).count();
        let verdicts: Vec<String> = Verdict::ALL
            .iter()
            .map(|v| (v, runs.iter().filter(|s| s.verdict == *v).count()))
            .filter(|(_, n)| *n > 0)
            .map(|(v, n)| format!("{}×{n}", v.label()))
            .collect();
        let mean = runs.iter().map(|r| r.wall_ms).sum::<u64>() as f64 / runs.len().max(1) as f64;
        let _ = writeln!(
            out,
            "| `{}` | {passed}/{} | {} | {:.1}s |",
            cell(name),
            runs.len(),
            verdicts.join(" "),
            mean / 1000.0
        );
    }
}

fn details(out: &mut String, s: &ScenarioResult, repeat: u32) {
    let attempt = if repeat > 1 {
        format!(" (attempt {})", s.attempt)
    } else {
        String::new()
    };
    let failed: Vec<&Check> = s.checks.iter().filter(|c| !c.passed).collect();
    if !failed.is_empty() {
        let _ = writeln!(out, "\n#### `{}`{attempt}: whole scenario\n", s.name);
        failed.into_iter().for_each(|c| check(out, c));
    }
    for p in s.phases.iter().filter(|p| p.verdict != Verdict::Pass) {
        let _ = writeln!(
            out,
            "\n#### `{}` / `{}`{attempt}: {}\n",
            s.name,
            p.name,
            badge(p.verdict)
        );
        if let Some(err) = &p.error {
            let _ = writeln!(out, "- harness error: {}", cell(err));
        }
        p.checks
            .iter()
            .filter(|c| !c.passed)
            .for_each(|c| check(out, c));
        let requests = super::requests::lines(p);
        if !requests.is_empty() {
            out.push_str("- requests (client · nginx · upstream):\n\n  ```text\n");
            for line in requests {
                let _ = writeln!(out, "  {}", line.replace("```", "'''"));
            }
            out.push_str("  ```\n");
        }
    }
}

fn check(out: &mut String, c: &Check) {
    let _ = writeln!(
        out,
        "- ✗ **{}**\n  - expected: `{}`\n  - actual: `{}`",
        cell(&c.what).replace('*', "\\*").replace('<', "&lt;"),
        c.expected.replace('`', "'"),
        c.actual.replace('`', "'")
    );
    if !c.evidence.is_empty() {
        out.push_str("\n  ```text\n");
        for line in c.evidence.iter().flat_map(|e| e.lines()) {
            let _ = writeln!(out, "  {}", line.replace("```", "'''"));
        }
        out.push_str("  ```\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    #[test]
    fn gated_phases_are_listed_as_skipped() {
        let result = sample::with_skipped_phase();
        let md = render(&result);
        assert!(
            md.contains("<br>⏭️ new-behaviour: skipped (needs nginx >=1.29.7; this is 1.22.1)")
        );
    }

    #[test]
    fn a_table_row_per_scenario_and_failures_in_detail() {
        let md = render(&sample::result());
        assert!(
            md.contains("| scenario | nginx | baseline | fix | verdict |"),
            "{md}"
        );
        assert!(
            md.contains("| `upstream-down` | 1.22.1 | baseline: 200×20 502×20 ✓ | fix: 200×20 502×20 ✓ | ✅ PASS |"),
            "{md}"
        );
        assert!(
            md.contains("#### `broken<script>` / `baseline`: ❌ FAIL"),
            "{md}"
        );
        assert!(
            md.contains("  - expected: `100%`\n  - actual: `50% (20 of 40)`"),
            "{md}"
        );
        assert!(md.contains(&format!("  {}", sample::QUOTED)), "{md}");
        assert!(
            md.contains("whole scenario") && md.contains("fault did not fire"),
            "{md}"
        );
    }

    #[test]
    fn repeated_runs_get_the_stability_table() {
        let mut result = sample::result();
        result.repeat = 2;
        let mut again = result.scenarios[0].clone();
        again.attempt = 2;
        again.verdict = Verdict::Fail;
        result.scenarios.insert(1, again);
        let md = render(&result);
        assert!(
            md.contains("| scenario | passed | verdicts | mean time |"),
            "{md}"
        );
        assert!(
            md.contains("| `upstream-down` | 1/2 | PASS×1 FAIL×1 | 0.7s |"),
            "{md}"
        );
    }
}
