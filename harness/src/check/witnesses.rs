//! Checks on nginx's and the upstreams' witnesses of each request: `nginx_status` (the status
//! nginx logged), `tries` (its upstream status sequence or number of tries) and `received`
//! (what the fake servers saw). Each failing check quotes sample requests as evidence.

use std::collections::BTreeMap;

use super::Check;
use crate::scenario::{NginxStatusKey, ReceivedExpect, ShareExpr, TriesKey};
use crate::witness::{Trace, describe, received_value};

/// Sample requests quoted by a failing check.
const MAX_QUOTED_REQUESTS: usize = 2;

/// `nginx_status:`: shares of the client's requests by the status nginx logged.
pub(super) fn nginx_status(
    expected: &BTreeMap<NginxStatusKey, ShareExpr>,
    traces: &[Trace],
) -> Vec<Check> {
    let sent: Vec<&Trace> = traces.iter().filter(|t| t.client.is_some()).collect();
    let all = tally(sent.iter().map(|t| t.nginx_status().to_string()));
    expected
        .iter()
        .map(|(key, expr)| {
            let matching = |t: &&Trace| t.nginx_status() == key.0;
            share_check(format!("nginx status {key}"), expr, &sent, matching, &all)
        })
        .collect()
}

/// `tries:`: shares of the client's requests by nginx's upstream tries.
pub(super) fn tries(expected: &BTreeMap<TriesKey, ShareExpr>, traces: &[Trace]) -> Vec<Check> {
    let sent: Vec<&Trace> = traces.iter().filter(|t| t.client.is_some()).collect();
    let all = tally(sent.iter().map(|t| t.status_sequence()));
    expected
        .iter()
        .map(|(key, expr)| {
            let matching = |t: &&Trace| match key {
                TriesKey::Sequence(s) => t.status_sequence() == *s,
                TriesKey::Count(n) => t.try_count() == *n,
            };
            share_check(
                format!("upstream tries \"{key}\""),
                expr,
                &sent,
                matching,
                &all,
            )
        })
        .collect()
}

/// `received:`: shares of all requests the fake servers received, by field value.
pub(super) fn received(expected: &ReceivedExpect, traces: &[Trace]) -> Vec<Check> {
    let seen: Vec<_> = traces.iter().flat_map(|t| &t.upstream).collect();
    expected
        .stated()
        .into_iter()
        .map(|(field, value, expr)| {
            let count = seen
                .iter()
                .filter(|u| received_value(&u.received, field).eq_ignore_ascii_case(value))
                .count() as u64;
            let all = tally(
                seen.iter()
                    .map(|u| received_value(&u.received, field).to_string()),
            );
            let total = seen.len() as u64;
            Check::new(
                format!("upstreams received {field} {value}"),
                total > 0 && expr.holds(count, total),
                expr.to_string(),
                format!("{count}/{total} requests the fakes received; all: {all}"),
            )
        })
        .collect()
}

/// A share check over `sent`, quoting a few requests that match (when it should have none)
/// or that do not (when it should have them).
fn share_check(
    what: String,
    expr: &ShareExpr,
    sent: &[&Trace],
    matching: impl Fn(&&Trace) -> bool,
    all: &str,
) -> Check {
    let count = sent.iter().filter(|t| matching(t)).count() as u64;
    let total = sent.len() as u64;
    let passed = total > 0 && expr.holds(count, total);
    let actual = format!("{count}/{total} requests; all: {all}");
    let mut check = Check::new(what, passed, expr.to_string(), actual);
    if !passed {
        let too_many = expr.holds(0, total);
        let quoted: Vec<String> = sent
            .iter()
            .filter(|t| matching(t) == too_many)
            .take(MAX_QUOTED_REQUESTS)
            .flat_map(|t| describe(t))
            .collect();
        check = check.with_evidence(quoted);
    }
    check
}

/// `"502, 200"×3 "200"×7`, most frequent first.
fn tally(values: impl Iterator<Item = String>) -> String {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for v in values {
        *counts.entry(v).or_default() += 1;
    }
    let mut pairs: Vec<(String, u64)> = counts.into_iter().collect();
    pairs.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    if pairs.is_empty() {
        return "no requests".into();
    }
    let shown: Vec<String> = pairs.iter().map(|(v, n)| format!("\"{v}\"×{n}")).collect();
    shown.join(" ")
}

#[cfg(test)]
mod tests;
