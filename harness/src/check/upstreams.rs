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
