//! Which fake servers a phase uses: those its config names with `{{upstream.NAME.SERVER}}`
//! (or `{{upstream.NAME}}` for an upstream of one server). A scenario starts every server in
//! every phase, so a spare that only the fix names would otherwise show `0 requests` in the
//! baseline's counters as if nginx had ignored it.

use super::{Addresses, Phase, Scenario, expand};

/// The `upstream.server` keys the phase's config names, in scenario order; `None` when the
/// config cannot tell: with a `dns:` section nginx reaches servers by name, and a config whose
/// placeholders do not expand is reported elsewhere.
pub fn servers_used(s: &Scenario, phase: &Phase) -> Option<Vec<String>> {
    if !s.dns.is_empty() {
        return None;
    }
    let servers = || {
        s.upstreams
            .iter()
            .flat_map(|(up, servers)| servers.keys().map(move |name| (up.as_str(), name.as_str())))
    };
    let mut addrs = Addresses::symbolic(servers());
    addrs = addrs.with_tls_file("ca", "ca.pem");
    for (up, name) in servers() {
        addrs = addrs.with_tls_file(&format!("cert.{up}.{name}"), "cert.pem");
    }
    let raw = phase.config.apply(&s.config);
    let text = expand(&raw.http, &addrs).ok()? + &expand(&raw.location, &addrs).ok()?;
    let used = servers()
        .map(|(up, name)| format!("{up}.{name}"))
        .filter(|key| text.contains(&format!("<{key}>")))
        .collect();
    Some(used)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load_text;

    const SCENARIO: &str = r#"
name: spare
title: t
guide_step: g
story: s
upstreams:
  app: { primary: { kind: refuse }, spare: { kind: healthy } }
  solo: { only: { kind: healthy } }
config:
  http: "upstream app { server {{upstream.app.primary}}; }"
  location: "proxy_pass http://app;"
traffic: { requests: 1 }
phases:
  - name: baseline
    expect: { outcomes: { 502: "100%" } }
  - name: fix
    config:
      http: "upstream app { server {{upstream.app.primary}}; server {{upstream.app.spare}} backup; }"
    expect: { outcomes: { 200: "100%" } }
  - name: solo
    config: { location: "proxy_pass http://{{upstream.solo}};" }
    expect: { outcomes: { 200: "100%" } }
"#;

    #[test]
    fn a_phase_uses_the_servers_its_config_names() {
        let s = load_text("spare.yaml".as_ref(), SCENARIO).unwrap();
        let used: Vec<_> = s.phases.iter().map(|p| servers_used(&s, p)).collect();
        assert_eq!(used[0], Some(vec!["app.primary".to_string()]));
        assert_eq!(
            used[1],
            Some(vec!["app.primary".to_string(), "app.spare".to_string()])
        );
        assert_eq!(
            used[2],
            Some(vec!["app.primary".to_string(), "solo.only".to_string()])
        );
    }
}
