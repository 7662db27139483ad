//! The scenario-wide check that every fault really fired: a scenario whose misbehaving server
//! was never reached proves nothing, whatever its phases showed.

use std::collections::BTreeMap;

use fake_upstreams::{Listen, ServerSpec};

use fake_upstreams::CounterSnapshot;

use super::Check;

/// What one phase's servers counted, by phase name (`upstream.server` → counters).
pub type PhaseCounters<'a> = (&'a str, &'a BTreeMap<String, CounterSnapshot>);

/// One check per server that is meant to misbehave and can observe it: did it fire (or turn a
/// connection away at its limit) in any phase? Plain healthy servers and servers that cannot
/// count (refuse, slow_accept, a missing socket) are left out.
pub fn faults_fired(
    upstreams: &BTreeMap<String, BTreeMap<String, ServerSpec>>,
    phases: &[PhaseCounters<'_>],
) -> Vec<Check> {
    let mut checks = Vec::new();
    for (upstream, servers) in upstreams {
        for (name, spec) in servers {
            if !misbehaves_observably(spec) {
                continue;
            }
            let key = format!("{upstream}.{name}");
            let per_phase: Vec<String> = phases
                .iter()
                .filter_map(|(phase, counters)| {
                    (counters.get(&key)).map(|c| format!("{phase}: {}", c.fired + c.over_limit))
                })
                .collect();
            let fired: u64 = phases
                .iter()
                .filter_map(|(_, counters)| counters.get(&key))
                .map(|c| c.fired + c.over_limit)
                .sum();
            let actual = if fired == 0 {
                format!("fault did not fire ({})", per_phase.join(", "))
            } else {
                format!("fired {fired} times ({})", per_phase.join(", "))
            };
            checks.push(Check::new(
                format!("fault of {key} fired"),
                fired > 0,
                "at least once in the scenario",
                actual,
            ));
        }
    }
    checks
}

/// A server that, at some point, misbehaves in a way it can count: a fault other than
/// `healthy` that accepts connections (not `refuse` or `slow_accept`), a connection limit, or
/// a `tls:` whose handshakes fail on purpose.
fn misbehaves_observably(spec: &ServerSpec) -> bool {
    if spec.listen == Listen::UnixMissing {
        return false;
    }
    let mut faults = std::iter::once(&spec.fault).chain(spec.schedule.iter().map(|s| &s.fault));
    let tls = spec.tls.as_ref().is_some_and(|t| t.misbehaves());
    spec.limit.is_some() || tls || faults.any(|f| !f.is_healthy() && f.observable())
}
