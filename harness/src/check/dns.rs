//! DNS-side checks: how often nginx asked the scenario's fake DNS server for each name (the
//! upstream witness of name resolution: none when nginx resolved the name once at start from
//! its hosts file, one or two per TTL when it resolves at request time).

use std::collections::BTreeMap;

use super::Check;
use crate::scenario::ShareExpr;

pub(super) fn check(
    expected: &BTreeMap<String, ShareExpr>,
    seen: &BTreeMap<String, u64>,
) -> Vec<Check> {
    let check = |(name, expr): (&String, &ShareExpr)| {
        let asked = seen.get(name).copied().unwrap_or(0);
        Check::new(
            format!("DNS queries for {name}"),
            expr.holds(asked, asked),
            expr.to_string(),
            asked.to_string(),
        )
    };
    expected.iter().map(check).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_name_and_a_name_never_asked_is_zero() {
        let want: BTreeMap<String, ShareExpr> = [
            ("app.internal".to_string(), ">= 2".parse().unwrap()),
            ("other.internal".to_string(), "== 0".parse().unwrap()),
        ]
        .into_iter()
        .collect();
        let seen = [("app.internal".to_string(), 3)].into_iter().collect();
        let checks = check(&want, &seen);
        assert!(checks.iter().all(|c| c.passed), "{checks:?}");
        let seen = [("other.internal".to_string(), 1)].into_iter().collect();
        let checks = check(&want, &seen);
        assert_eq!(checks.iter().filter(|c| !c.passed).count(), 2, "{checks:?}");
        assert_eq!(checks[0].actual, "0");
    }
}
