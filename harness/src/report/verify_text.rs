//! The terminal output of `verify`: OK, or NO with what clients got, each check of the fixed
//! phase that differed (expected and actual, in words), and the hint asked for.

use std::fmt::Write;

use crate::hints::Hint;
use crate::result::{PhaseResult, Verdict};
use crate::scenario::{Phase, Scenario};

/// One `verify` run: the scenario, the phase whose expectations applied, what the learner's
/// config did, and the hints to draw from (`hint` is 1-based).
pub struct Verified<'a> {
    pub scenario: &'a Scenario,
    pub fixed: &'a Phase,
    pub result: &'a PhaseResult,
    pub nginx: &'a str,
    pub hints: &'a [Hint],
    pub hint: usize,
    /// The config line `nginx -t` refused, when it refused one.
    pub refused_line: Option<String>,
}

/// The verdict as text.
pub fn render(v: &Verified<'_>) -> String {
    let r = v.result;
    let checks = r.checks.len();
    let failed: Vec<_> = r.checks.iter().filter(|c| !c.passed).collect();
    let mut out = String::new();
    let head = format!(
        "verify {} (checked against phase `{}`, nginx {})",
        v.scenario.name, v.fixed.name, v.nginx
    );
    match r.verdict {
        Verdict::Pass => {
            let _ = writeln!(out, "OK  {head}: your fix passes all {checks} checks");
        }
        Verdict::Inconclusive => {
            let _ = writeln!(
                out,
                "??  {head}: inconclusive, the load driver was starved of CPU; run it again"
            );
        }
        Verdict::Interrupted => {
            let _ = writeln!(out, "--  {head}: interrupted");
            return out;
        }
        _ => {
            let _ = writeln!(
                out,
                "NO  {head}: {} of {checks} checks differ",
                failed.len()
            );
        }
    }
    let _ = writeln!(out, "  clients got: {}", super::terminal::phase_cell(r));
    if let Some(err) = &r.error {
        let _ = writeln!(out, "  harness error: {err}");
    }
    if let Some(msg) = &r.config_rejected {
        let _ = writeln!(
            out,
            "  nginx -t refused your config (--keep keeps the nginx.conf it names):"
        );
        for line in msg.lines() {
            let _ = writeln!(out, "    {line}");
        }
        if let Some(line) = &v.refused_line {
            let _ = writeln!(out, "  the line it refused: {line}");
        }
    }
    // With the config refused, every other check failed for that one reason.
    let failed = match r.config_rejected {
        Some(_) => Vec::new(),
        None => failed,
    };
    for c in &failed {
        let _ = writeln!(
            out,
            "  ✗ {}: expected {}, got {}",
            c.what, c.expected, c.actual
        );
    }
    let evidence = failed.iter().flat_map(|c| c.evidence.first()).next();
    if let Some(line) = evidence {
        let _ = writeln!(out, "  for example:");
        for l in line.lines() {
            let _ = writeln!(out, "    {l}");
        }
    }
    if r.verdict != Verdict::Pass {
        hint(&mut out, v);
    }
    out
}

/// The hint asked for (the last one when the number is past the end), and how to get the
/// next.
fn hint(out: &mut String, v: &Verified<'_>) {
    let total = v.hints.len();
    let Some(h) = v.hints.get(v.hint.clamp(1, total.max(1)) - 1) else {
        return;
    };
    let number = v.hint.clamp(1, total);
    out.push('\n');
    out.push_str(&super::explain_text::hint_text(number, total, h));
    if number < total {
        let _ = writeln!(
            out,
            "  (next hint: run verify again with --hint {})",
            number + 1
        );
    }
}
