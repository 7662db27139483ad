//! A phase's config as people read it: the nginx settings and both fragments, with upstream
//! addresses shown symbolically (`127.0.0.1:<app.primary>`), so two phases diff cleanly.
//!
//! `explain` diffs these texts between phases, and the runner records each phase's text in
//! its result so reports can show the same diff.

use similar::TextDiff;

use super::{Addresses, Fragments, NginxSettings, Phase, Scenario, expand};

/// The text of `phase`'s config in scenario `s`.
pub fn config_text(s: &Scenario, phase: &Phase) -> String {
    let addrs = s.symbolic_addresses();
    fragments_text(&phase.config.apply(&s.config), &addrs, s.nginx_for(phase))
}

/// Settings and fragments as text, placeholders expanded with `addrs`.
pub fn fragments_text(f: &Fragments, addrs: &Addresses, n: &NginxSettings) -> String {
    let show = |t: &str| expand(t, addrs).unwrap_or_else(|_| t.to_string());
    format!(
        "worker_processes {};\nevents {{ worker_connections {}; }}\n# http {{ ... }}\n{}\n# location / {{ ... }}\n{}\n",
        n.worker_processes,
        n.worker_connections,
        show(&f.http).trim_end(),
        show(&f.location).trim_end()
    )
}

/// A unified diff (3 lines of context) from `old` to `new`, headed by the phase names.
pub fn config_diff(old_name: &str, old: &str, new_name: &str, new: &str) -> String {
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(old_name, new_name)
        .to_string()
}
