//! `latency:` checks: bounds on the client-side latency of one outcome's requests (or of all),
//! at its minimum, p50, p90, p99 or maximum. They state behaviour, e.g. that nginx's 504s
//! come no sooner than `proxy_read_timeout`, so scenarios keep them generous.

use std::collections::BTreeMap;
use std::time::Duration;

use super::Check;
use crate::load::LoadReport;
use crate::scenario::{LatencyBounds, LatencyKey};

pub(super) fn check(
    expected: &BTreeMap<LatencyKey, LatencyBounds>,
    load: &LoadReport,
) -> Vec<Check> {
    let mut checks = Vec::new();
    for (key, bounds) in expected {
        let mut ms: Vec<f64> = load
            .requests
            .iter()
            .filter(|r| match key {
                LatencyKey::All => true,
                LatencyKey::Outcome(o) => r.outcome == *o,
            })
            .map(|r| r.latency_ms)
            .collect();
        ms.sort_by(f64::total_cmp);
        for (name, q, bound) in bounds.stated() {
            let what = format!("latency {name} of {key}");
            let Some(value) = quantile(&ms, q) else {
                checks.push(Check::new(
                    what,
                    false,
                    bound.to_string(),
                    format!("no {key} requests"),
                ));
                continue;
            };
            let actual = Duration::from_secs_f64(value / 1000.0);
            checks.push(Check::new(
                what,
                bound.holds(actual),
                bound.to_string(),
                format!("{value:.1} ms over {} requests", ms.len()),
            ));
        }
    }
    checks
}

/// The `q` quantile (nearest rank) of sorted values; `None` when there are none.
fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::ClientRecord;
    use crate::outcome::Outcome;

    fn load(latencies: &[(u16, f64)]) -> LoadReport {
        let mut report = crate::load::Aggregator::new().finish(Duration::ZERO, false);
        report.requests = latencies
            .iter()
            .enumerate()
            .map(|(i, (status, ms))| ClientRecord {
                id: i as u64,
                method: "GET".into(),
                outcome: Outcome::Status(*status),
                latency_ms: *ms,
                started_ms: 0.0,
                detail: None,
                h2: None,
            })
            .collect();
        report
    }

    fn bounds(yaml: &str) -> BTreeMap<LatencyKey, LatencyBounds> {
        serde_saphyr::from_str(yaml).unwrap()
    }

    #[test]
    fn bounds_hold_per_outcome_and_fail_when_wrong() {
        let l = load(&[(504, 1003.0), (504, 1010.0), (200, 2.0), (200, 3.0)]);
        let ok = check(
            &bounds("\"504\": { min: \">= 1s\", max: \"< 3s\" }\nall: { p50: \"< 2s\" }"),
            &l,
        );
        assert!(ok.iter().all(|c| c.passed), "{ok:?}");
        let wrong = check(
            &bounds("\"504\": { min: \">= 2s\" }\n\"200\": { p99: \"< 1ms\" }"),
            &l,
        );
        assert!(wrong.iter().all(|c| !c.passed), "{wrong:?}");
        let min = wrong
            .iter()
            .find(|c| c.what == "latency min of 504")
            .unwrap();
        assert!(min.actual.contains("1003.0 ms"), "{wrong:?}");
    }

    #[test]
    fn an_outcome_without_requests_fails_its_bounds() {
        let l = load(&[(200, 2.0)]);
        let c = check(&bounds("\"502\": { max: \"< 1s\" }"), &l);
        assert!(!c[0].passed && c[0].actual.contains("no 502"));
    }

    #[test]
    fn quantiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.0), Some(1.0));
        assert_eq!(quantile(&v, 0.5), Some(50.0));
        assert_eq!(quantile(&v, 0.99), Some(99.0));
        assert_eq!(quantile(&v, 1.0), Some(100.0));
        assert_eq!(quantile(&[], 0.5), None);
    }
}
