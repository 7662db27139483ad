//! Upstream-side checks: what the fake servers saw (connections, requests, fault firings,
//! TLS handshakes full and resumed).

use std::collections::BTreeMap;

use fake_upstreams::counters::CounterSnapshot;

use super::Check;
use crate::load::LoadReport;
use crate::scenario::{CounterExpect, ShareExpr};

pub(super) fn check(
    expected: &BTreeMap<String, CounterExpect>,
    seen: &BTreeMap<String, CounterSnapshot>,
) -> Vec<Check> {
    let mut checks = Vec::new();
    for (server, want) in expected {
        let Some(got) = seen.get(server) else {
            checks.push(Check::new(
                format!("upstream {server}"),
                false,
                "counters",
                "server did not run",
            ));
            continue;
        };
        let fields: [(&str, &Option<ShareExpr>, u64); 5] = [
            ("connections", &want.connections, got.connections),
            ("requests", &want.requests, got.requests),
            ("fired", &want.fired, got.fired),
            ("handshakes", &want.handshakes, got.handshakes),
            ("resumed", &want.resumed, got.resumed),
        ];
        for (name, expr, value) in fields {
            let Some(expr) = expr else { continue };
            let mut check = Check::new(
                format!("upstream {server} {name}"),
                expr.holds(value, value),
                expr.to_string(),
                value.to_string(),
            );
            if !got.observable {
                check.passed = false;
                check.actual =
                    format!("{value} (not observable for this fault: nothing accepts connections)");
            }
            checks.push(check);
        }
    }
    checks
}

/// `duplicates:`: request ids that reached the upstream servers more than once in total.
pub(super) fn duplicates(
    expr: &ShareExpr,
    sent: u64,
    seen: &BTreeMap<String, CounterSnapshot>,
) -> Check {
    let dup = duplicate_ids(seen, |_| true);
    duplicate_check("duplicate requests", "requests", expr, sent, &dup)
}

/// `duplicate_methods:`: like [`duplicates`], for the requests sent with each method.
pub(super) fn duplicate_methods(
    expected: &BTreeMap<String, ShareExpr>,
    load: &LoadReport,
    seen: &BTreeMap<String, CounterSnapshot>,
) -> Vec<Check> {
    let check = |(method, expr): (&String, &ShareExpr)| {
        let sent_with: BTreeMap<u64, &str> = load
            .requests
            .iter()
            .map(|r| (r.id, r.method.as_str()))
            .collect();
        let dup = duplicate_ids(seen, |id| sent_with.get(&id) == Some(&method.as_str()));
        let what = format!("duplicate {method} requests");
        let sent = load.total_method(method);
        duplicate_check(&what, &format!("{method} requests"), expr, sent, &dup)
    };
    expected.iter().map(check).collect()
}

fn duplicate_ids(seen: &BTreeMap<String, CounterSnapshot>, keep: impl Fn(u64) -> bool) -> Vec<u64> {
    let mut times: BTreeMap<u64, u32> = BTreeMap::new();
    for id in seen.values().flat_map(|c| c.request_ids.iter()) {
        *times.entry(*id).or_insert(0) += 1;
    }
    times
        .into_iter()
        .filter(|(id, n)| *n > 1 && keep(*id))
        .map(|(id, _)| id)
        .collect()
}

fn duplicate_check(what: &str, noun: &str, expr: &ShareExpr, sent: u64, dup: &[u64]) -> Check {
    let actual = format!(
        "{} of {sent} {noun} reached an upstream more than once",
        dup.len()
    );
    let mut check = Check::new(
        what,
        expr.holds(dup.len() as u64, sent),
        expr.to_string(),
        actual,
    );
    if !dup.is_empty() {
        let ids: Vec<String> = dup.iter().take(10).map(u64::to_string).collect();
        check.evidence = vec![format!("request ids: {}", ids.join(", "))];
    }
    check
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(ids: &[(&str, Vec<u64>)]) -> BTreeMap<String, CounterSnapshot> {
        ids.iter()
            .map(|(name, ids)| {
                let counters = CounterSnapshot {
                    requests: ids.len() as u64,
                    request_ids: ids.clone(),
                    observable: true,
                    ..Default::default()
                };
                (name.to_string(), counters)
            })
            .collect()
    }

    #[test]
    fn a_request_seen_by_two_servers_is_a_duplicate() {
        let servers = seen(&[("app.a", vec![0, 1, 2]), ("app.b", vec![1, 3])]);
        let check = duplicates(&"== 1".parse().unwrap(), 4, &servers);
        assert!(check.passed, "{check:?}");
        assert_eq!(check.evidence, vec!["request ids: 1".to_string()]);
        assert!(!duplicates(&"0".parse().unwrap(), 4, &servers).passed);
    }

    #[test]
    fn counters_of_unobservable_servers_never_pass() {
        let mut servers = seen(&[("app.a", vec![])]);
        servers.get_mut("app.a").unwrap().observable = false;
        let want = BTreeMap::from([(
            "app.a".to_string(),
            CounterExpect {
                connections: Some("0".parse().unwrap()),
                ..Default::default()
            },
        )]);
        assert!(!check(&want, &servers)[0].passed);
    }
}
