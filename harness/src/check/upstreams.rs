//! Upstream-side checks: what the fake servers saw (connections, requests, fault firings).

use std::collections::BTreeMap;

use fake_upstreams::counters::CounterSnapshot;

use super::Check;
use crate::spec::{CounterExpect, ShareExpr};

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
        let fields: [(&str, &Option<ShareExpr>, u64); 3] = [
            ("connections", &want.connections, got.connections),
            ("requests", &want.requests, got.requests),
            ("fired", &want.fired, got.fired),
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

/// Request ids that reached the upstream servers more than once in total.
pub(super) fn duplicates(
    expr: &ShareExpr,
    sent: u64,
    seen: &BTreeMap<String, CounterSnapshot>,
) -> Check {
    let mut times: BTreeMap<u64, u32> = BTreeMap::new();
    for id in seen.values().flat_map(|c| c.request_ids.iter()) {
        *times.entry(*id).or_insert(0) += 1;
    }
    let dup: Vec<u64> = times
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(id, _)| *id)
        .collect();
    let actual = format!(
        "{} of {sent} requests reached an upstream more than once",
        dup.len()
    );
    let mut check = Check::new(
        "duplicate requests",
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
