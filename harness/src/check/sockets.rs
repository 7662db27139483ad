//! `sockets:`: shares of WebSocket sockets by how they ended, like `outcomes:` for requests.

use std::collections::BTreeMap;

use super::Check;
use crate::load::{LoadReport, SocketRecord};
use crate::scenario::{ShareExpr, SocketKey};

/// Sockets quoted as evidence when a share is off.
const QUOTED: usize = 3;

/// One check per key: the share of sockets it counts (see [`SocketKey`]).
pub(super) fn check(expected: &BTreeMap<SocketKey, ShareExpr>, load: &LoadReport) -> Vec<Check> {
    let total = load.sockets.len() as u64;
    expected
        .iter()
        .map(|(key, expr)| {
            let counted = |s: &&SocketRecord| counts(key, s);
            let count = load.sockets.iter().filter(counted).count() as u64;
            let passed = expr.holds(count, total);
            let share = if total == 0 {
                0.0
            } else {
                100.0 * count as f64 / total as f64
            };
            let actual = format!("{count}/{total} ({share:.1}%); all: {}", endings(load));
            let too_many = expr.holds(0, total);
            let against = load.sockets.iter().filter(|s| counts(key, s) == too_many);
            let evidence = match passed {
                true => Vec::new(),
                false => against.take(QUOTED).map(describe).collect(),
            };
            Check::new(format!("sockets {key}"), passed, expr.to_string(), actual)
                .with_evidence(evidence)
        })
        .collect()
}

fn counts(key: &SocketKey, socket: &SocketRecord) -> bool {
    match key.as_str() {
        "echoed" => socket.echoed(),
        "ponged" => socket.ponged(),
        _ => key.matches_label(&socket.ending),
    }
}

/// `101+clean:1000 ×6, 101+eof ×2`: every ending with its count.
pub fn endings(load: &LoadReport) -> String {
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for socket in &load.sockets {
        *counts.entry(socket.ending.as_str()).or_default() += 1;
    }
    let parts: Vec<String> = counts.iter().map(|(e, n)| format!("{e} ×{n}")).collect();
    match parts.is_empty() {
        true => "no sockets".into(),
        false => parts.join(", "),
    }
}

/// `socket 3: 101+eof after 2003 ms, frames 5/5 echoed, pongs 0/2 (detail)`.
fn describe(s: &SocketRecord) -> String {
    let detail = s
        .detail
        .as_deref()
        .map(|d| format!(" ({d})"))
        .unwrap_or_default();
    format!(
        "socket {}: {} after {} ms, frames {}/{} echoed, pongs {}/{}{detail}",
        s.id, s.ending, s.lived_ms, s.frames_echoed, s.frames_sent, s.pongs, s.pings
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn socket(id: u64, ending: &str, echoed: u32) -> SocketRecord {
        SocketRecord {
            id,
            ending: ending.into(),
            frames_sent: 2,
            frames_echoed: echoed,
            ..SocketRecord::default()
        }
    }

    #[test]
    fn keys_count_endings_by_prefix_and_echoes() {
        let load = LoadReport {
            sockets: vec![
                socket(0, "101+clean:1000", 2),
                socket(1, "101+clean:1001", 2),
                socket(2, "101+eof", 1),
                socket(3, "426", 0),
            ],
            ..crate::load::Aggregator::new().finish(std::time::Duration::ZERO, false)
        };
        let expect = |pairs: &[(&str, &str)]| {
            let map = pairs
                .iter()
                .map(|(k, v)| (k.parse().unwrap(), v.parse().unwrap()));
            check(&map.collect(), &load)
        };
        let checks = expect(&[
            ("101", "75%"),
            ("101+clean", "50%"),
            ("echoed", "50%"),
            ("426", "1"),
        ]);
        assert!(checks.iter().all(|c| c.passed), "{checks:#?}");
        let failed = expect(&[("101+clean:1000", "100%")]);
        assert!(!failed[0].passed);
        assert!(failed[0].actual.contains("1/4") && failed[0].actual.contains("101+eof ×1"));
        assert_eq!(failed[0].evidence.len(), 3, "{:?}", failed[0].evidence);
    }
}
