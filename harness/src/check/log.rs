//! error.log checks: lines that must appear, lines that must not, how many lines match, and
//! severe lines (`[crit]`, `[alert]`, `[emerg]`) that fail a phase unless expected.

use super::{Check, quote};
use crate::errorlog::{LogLine, SEVERE, summarize};
use crate::scenario::{LogExpect, LogPattern, ShareExpr};

pub(super) fn check(expect: &LogExpect, log: &[LogLine]) -> Vec<Check> {
    let mut checks: Vec<Check> = expect.contains.iter().map(|p| contains(p, log)).collect();
    checks.extend(expect.absent.iter().map(|p| absent(p, log)));
    checks.extend(expect.count.iter().map(|(p, n)| count(p, n, log)));
    let expected = || expect.contains.iter().chain(expect.count.keys());
    let unexpected: Vec<&str> = log
        .iter()
        .filter(|l| SEVERE.contains(&l.level.as_str()))
        .filter(|l| !expected().any(|p| p.matches(&l.text)))
        .map(|l| l.text.as_str())
        .collect();
    if !unexpected.is_empty() {
        checks.push(
            Check::new(
                "no unexpected [crit]/[alert]/[emerg]",
                false,
                "none, unless a `log.contains` pattern names them",
                format!("{} such lines", unexpected.len()),
            )
            .with_evidence(quote(unexpected)),
        );
    }
    checks
}

fn contains(pattern: &LogPattern, log: &[LogLine]) -> Check {
    let hits: Vec<&str> = log
        .iter()
        .filter(|l| pattern.matches(&l.text))
        .map(|l| l.text.as_str())
        .collect();
    let what = format!("error.log contains \"{pattern}\"");
    if hits.is_empty() {
        let summary = summarize(log);
        let seen: Vec<String> = summary
            .for_people()
            .0
            .into_iter()
            .take(3)
            .map(|m| format!("[{}] {} (×{})", m.level, m.message, m.count))
            .collect();
        Check::new(what, false, "at least one line", "no such line").with_evidence(seen)
    } else {
        Check::new(
            what,
            true,
            "at least one line",
            format!("{} lines", hits.len()),
        )
        .with_evidence(quote(hits))
    }
}

fn count(pattern: &LogPattern, expr: &ShareExpr, log: &[LogLine]) -> Check {
    let hits: Vec<&str> = log
        .iter()
        .filter(|l| pattern.matches(&l.text))
        .map(|l| l.text.as_str())
        .collect();
    let n = hits.len() as u64;
    Check::new(
        format!("error.log lines \"{pattern}\""),
        expr.holds(n, n),
        expr.to_string(),
        format!("{n} lines"),
    )
    .with_evidence(quote(hits))
}

fn absent(pattern: &LogPattern, log: &[LogLine]) -> Check {
    let hits: Vec<&str> = log
        .iter()
        .filter(|l| pattern.matches(&l.text))
        .map(|l| l.text.as_str())
        .collect();
    let what = format!("error.log lacks \"{pattern}\"");
    Check::new(
        what,
        hits.is_empty(),
        "no such line",
        format!("{} lines", hits.len()),
    )
    .with_evidence(quote(hits))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::errorlog::parse;

    const LOG: &str = "2026/11/26 10:00:00 [error] 1#1: *1 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 127.0.0.1\n\
                       2026/11/26 10:00:01 [alert] 1#1: 4 worker_connections are not enough\n";

    fn expect(contains: &[&str], absent: &[&str]) -> LogExpect {
        LogExpect {
            contains: contains
                .iter()
                .map(|p| LogPattern::parse(p).unwrap())
                .collect(),
            absent: absent
                .iter()
                .map(|p| LogPattern::parse(p).unwrap())
                .collect(),
            count: BTreeMap::new(),
        }
    }

    #[test]
    fn counts_and_levels_pick_the_right_lines() {
        let log = parse(LOG);
        let mut e = expect(&[], &[]);
        let pattern = |p: &str| LogPattern::parse(p).unwrap();
        e.count.insert(
            pattern("[alert] worker_connections"),
            ">= 1".parse().unwrap(),
        );
        e.count.insert(
            pattern("[warn] worker_connections"),
            ">= 1".parse().unwrap(),
        );
        e.count.insert(pattern("timed out"), "2".parse().unwrap());
        let checks = check(&e, &log);
        let by_what = |w: &str| checks.iter().find(|c| c.what.contains(w)).unwrap();
        assert!(by_what("[alert] worker_connections").passed);
        assert!(
            !by_what("[warn] worker_connections").passed,
            "the line is an [alert]"
        );
        let timed = by_what("timed out");
        assert!(!timed.passed && timed.actual == "1 lines", "{timed:?}");
        assert!(
            !checks.iter().any(|c| c.what.contains("unexpected")),
            "a counted [alert] is expected"
        );
    }

    #[test]
    fn expected_alerts_pass_and_unexpected_ones_fail() {
        let log = parse(LOG);
        let checks = check(
            &expect(
                &["upstream timed out", "worker_connections are not enough"],
                &[],
            ),
            &log,
        );
        assert!(checks.iter().all(|c| c.passed), "{checks:?}");
        let checks = check(&expect(&["upstream timed out"], &[]), &log);
        let severe = checks.iter().find(|c| c.what.contains("[alert]")).unwrap();
        assert!(!severe.passed);
        assert!(severe.evidence[0].contains("worker_connections"));
    }

    #[test]
    fn absent_lines_and_missing_lines_are_failures_with_evidence() {
        let log = parse(LOG);
        let checks = check(
            &expect(&["no live upstreams", "worker_connections"], &["timed out"]),
            &log,
        );
        let missing = &checks[0];
        assert!(!missing.passed);
        assert!(
            missing
                .evidence
                .iter()
                .any(|e| e.contains("upstream timed out")),
            "shows what was there"
        );
        assert!(!checks[2].passed);
        assert_eq!(checks[2].evidence.len(), 1);
    }
}
