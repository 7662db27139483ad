//! Client-side checks: outcome shares and body integrity.

use std::collections::BTreeMap;

use super::Check;
use crate::load::LoadReport;
use crate::outcome::Outcome;
use crate::scenario::{ShareExpr, Window};
use crate::witness::{Trace, describe};

/// `outcomes:`. A failing check quotes the client's error texts and, for a few requests that
/// ended otherwise than expected, what nginx and the upstreams saw and nginx's error.log lines.
pub(super) fn outcomes(
    expected: &BTreeMap<Outcome, ShareExpr>,
    load: &LoadReport,
    traces: &[Trace],
) -> Vec<Check> {
    expected
        .iter()
        .map(|(outcome, expr)| {
            let count = load.count(*outcome);
            let passed = expr.holds(count, load.total);
            let actual = format!(
                "{count}/{} ({:.1}%); all: {}",
                load.total,
                percent(count, load.total),
                histogram(load)
            );
            let mut evidence = load.examples.get(outcome).cloned().unwrap_or_default();
            if *outcome == Outcome::ParseError {
                evidence.extend(http09_relays(traces));
            }
            if !passed {
                evidence.extend(requests_against(*outcome, expr, load.total, traces));
            }
            Check::new(
                format!("outcome {outcome}"),
                passed,
                expr.to_string(),
                actual,
            )
            .with_evidence(evidence)
        })
        .collect()
}

/// For parse errors: how many of them nginx logged as `009`, i.e. it relayed an upstream's
/// non-HTTP answer as an HTTP/0.9 response (the client is right to refuse it).
fn http09_relays(traces: &[Trace]) -> Option<String> {
    let parse_errors = traces.iter().filter(|t| {
        t.client
            .as_ref()
            .is_some_and(|c| c.outcome == Outcome::ParseError)
    });
    let (mut total, mut relayed) = (0, 0);
    for t in parse_errors {
        total += 1;
        relayed += u64::from(t.nginx_status() == "009");
    }
    (relayed > 0).then(|| {
        format!("nginx logged {relayed} of these {total} parse errors as 009: it relayed the upstream's bytes as HTTP/0.9")
    })
}

/// A few requests that went against an outcome expectation, each with its witnesses: ones
/// that ended as `outcome` when it should be rarer, else ones that ended otherwise.
fn requests_against(
    outcome: Outcome,
    expr: &ShareExpr,
    total: u64,
    traces: &[Trace],
) -> Vec<String> {
    const QUOTED: usize = 2;
    let too_many = expr.holds(0, total);
    traces
        .iter()
        .filter(|t| {
            t.client
                .as_ref()
                .is_some_and(|c| (c.outcome == outcome) == too_many)
        })
        .take(QUOTED)
        .flat_map(describe)
        .collect()
}

pub(super) fn methods(
    expected: &BTreeMap<String, BTreeMap<Outcome, ShareExpr>>,
    load: &LoadReport,
) -> Vec<Check> {
    let mut checks = Vec::new();
    for (method, shares) in expected {
        let total = load.total_method(method);
        for (outcome, expr) in shares {
            let count = load.count_method(method, *outcome);
            let actual = format!(
                "{count}/{total} {method} requests ({:.1}%)",
                percent(count, total)
            );
            checks.push(Check::new(
                format!("{method} outcome {outcome}"),
                total > 0 && expr.holds(count, total),
                expr.to_string(),
                actual,
            ));
        }
    }
    checks
}

/// `windows:`: the checks of each time window.
pub(super) fn windows(windows: &[Window], load: &LoadReport) -> Vec<Check> {
    windows.iter().flat_map(|w| window(w, load)).collect()
}

/// A window's counts: its stage's requests, or those started in its time range.
fn window(w: &Window, load: &LoadReport) -> Vec<Check> {
    let counts = match &w.stage {
        Some(stage) => load
            .stage(stage)
            .map(|s| s.outcomes.clone())
            .unwrap_or_default(),
        None => load.window(w.from.unwrap_or_default(), w.to),
    };
    let total: u64 = counts.values().sum();
    let all = counts
        .iter()
        .map(|(o, n)| format!("{o}×{n}"))
        .collect::<Vec<_>>()
        .join(" ");
    w.outcomes
        .iter()
        .map(|(outcome, expr)| {
            let count = counts.get(outcome).copied().unwrap_or(0);
            let actual = format!(
                "{count}/{total} ({:.1}%); all: {all}",
                percent(count, total)
            );
            let what = format!("outcome {outcome} in {}", w.label());
            Check::new(
                what,
                total > 0 && expr.holds(count, total),
                expr.to_string(),
                actual,
            )
        })
        .collect()
}

pub(super) fn body_intact(load: &LoadReport) -> Check {
    let i = &load.integrity;
    let truncated = load.count(Outcome::Truncated);
    let passed = i.verified > 0 && i.corrupt == 0 && i.unverified_2xx == 0 && truncated == 0;
    let actual = format!(
        "{} verified, {} corrupt, {} truncated, {} without digest",
        i.verified, i.corrupt, truncated, i.unverified_2xx
    );
    Check::new(
        "body intact",
        passed,
        "every 2xx carries the upstream's full, correct body",
        actual,
    )
}

fn percent(count: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        count as f64 * 100.0 / total as f64
    }
}

/// `502×18 200×2`, most frequent first.
pub fn histogram(load: &LoadReport) -> String {
    match crate::outcome::histogram(&load.outcomes) {
        text if text.is_empty() => "no requests".into(),
        text => text,
    }
}

/// The outcomes of a phase in one line: [`histogram`], or per stage when it ran several
/// (`burst: closed×12 200×3 · after: 200×6`), with the `rate` schedule's late starts when
/// there were any (`, 3 late starts (max 12 ms)`).
pub fn outcomes_line(load: &LoadReport) -> String {
    let mut line = match load.by_stage.len() {
        0 | 1 => histogram(load),
        _ => load
            .by_stage
            .iter()
            .map(|s| match crate::outcome::histogram(&s.outcomes) {
                text if text.is_empty() => format!("{}: no requests", s.name),
                text => format!("{}: {text}", s.name),
            })
            .collect::<Vec<_>>()
            .join(" · "),
    };
    if load.late_starts > 0 {
        line += &format!(
            ", {} late starts (max {} ms)",
            load.late_starts, load.max_late_ms
        );
    }
    line
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use http::Method;

    use super::*;
    use crate::load::{Aggregator, BodyCheck, Sample};

    /// A report of `(method, outcome, started_at_ms)` samples.
    fn report(samples: &[(Method, u16, u64)]) -> LoadReport {
        let mut agg = Aggregator::new();
        for (method, status, at) in samples {
            agg.record(&Sample {
                id: *at,
                method: method.clone(),
                outcome: Outcome::Status(*status),
                latency: Duration::from_millis(1),
                started_at: Duration::from_millis(*at),
                detail: None,
                body: BodyCheck::NotChecked,
                stage: if *at < 1000 { "burst" } else { "after" }.into(),
                h2: None,
            });
        }
        agg.finish(Duration::from_secs(1), false)
    }

    fn share(s: &str) -> ShareExpr {
        s.parse().unwrap()
    }

    #[test]
    fn the_outcomes_line_shows_stages_in_order_and_late_starts() {
        let one = report(&[(Method::GET, 200, 0), (Method::GET, 502, 10)]);
        assert_eq!(outcomes_line(&one), "200×1 502×1");
        let mut two = report(&[
            (Method::GET, 502, 0),
            (Method::GET, 502, 10),
            (Method::GET, 200, 2000),
        ]);
        assert_eq!(outcomes_line(&two), "burst: 502×2 · after: 200×1");
        two.late_starts = 3;
        two.max_late_ms = 12;
        assert!(outcomes_line(&two).ends_with(", 3 late starts (max 12 ms)"));
    }

    #[test]
    fn method_expectations_use_that_methods_requests() {
        let load = report(&[
            (Method::GET, 200, 0),
            (Method::POST, 502, 0),
            (Method::POST, 200, 0),
        ]);
        let mut want = BTreeMap::new();
        want.insert(
            "GET".to_string(),
            BTreeMap::from([(Outcome::Status(200), share("100%"))]),
        );
        want.insert(
            "POST".to_string(),
            BTreeMap::from([(Outcome::Status(502), share("50%"))]),
        );
        let checks = methods(&want, &load);
        assert!(checks.iter().all(|c| c.passed), "{checks:?}");
        want.insert(
            "PUT".to_string(),
            BTreeMap::from([(Outcome::Status(200), share("0"))]),
        );
        let checks = methods(&want, &load);
        assert!(
            !checks.last().unwrap().passed,
            "a method never sent cannot satisfy anything"
        );
    }

    #[test]
    fn windows_look_only_at_requests_started_inside_them() {
        let load = report(&[
            (Method::GET, 502, 50),
            (Method::GET, 502, 950),
            (Method::GET, 200, 1050),
        ]);
        let window = |from, to: Option<u64>, outcome, expr: &str| Window {
            stage: None,
            from: Some(Duration::from_millis(from)),
            to: to.map(Duration::from_millis),
            outcomes: BTreeMap::from([(Outcome::Status(outcome), share(expr))]),
        };
        assert!(super::window(&window(0, Some(1000), 502, "100%"), &load)[0].passed);
        assert!(super::window(&window(1000, None, 200, "100%"), &load)[0].passed);
        assert!(!super::window(&window(0, None, 200, "100%"), &load)[0].passed);
        assert!(
            !super::window(&window(5000, None, 200, "0"), &load)[0].passed,
            "an empty window fails"
        );
    }

    #[test]
    fn stage_windows_count_that_stages_requests_whenever_they_started() {
        let load = report(&[
            (Method::GET, 502, 50),
            (Method::GET, 502, 950),
            (Method::GET, 200, 1050),
        ]);
        let window = |stage: &str, outcome, expr: &str| Window {
            stage: Some(stage.into()),
            from: None,
            to: None,
            outcomes: BTreeMap::from([(Outcome::Status(outcome), share(expr))]),
        };
        let burst = super::window(&window("burst", 502, "100%"), &load);
        assert!(burst[0].passed, "{burst:?}");
        assert_eq!(burst[0].what, "outcome 502 in stage burst");
        assert!(super::window(&window("after", 200, "== 1"), &load)[0].passed);
        assert!(!super::window(&window("after", 502, "> 0"), &load)[0].passed);
        assert!(!super::window(&window("none", 200, "0"), &load)[0].passed);
    }
}
