//! Checking a parsed scenario: the cross-field rules serde cannot express (slug names,
//! limits on servers and phases, placeholders, phase names, counter keys, `dns:` records that
//! name TCP servers), each failure an [`InputError`] located at the text it is about.

use std::collections::BTreeSet;
use std::path::Path;

use super::{Addresses, Scenario, expand};
use crate::input_error::InputError;

/// Every cross-field rule of `s`; an error points into `source` at the text that breaks it.
pub(super) fn check(path: &Path, source: &str, s: &Scenario) -> Result<(), InputError> {
    let err = |needle: &str, msg: String| InputError::at_text(path, source, needle, msg);
    check_names(s).map_err(|(needle, msg)| {
        err(&needle, msg).with_hint(
            "names are slugs: 1 to 64 of a-z, 0-9, `-` and `_`, starting with a letter or digit \
             (they become folder names and nginx identifiers)",
        )
    })?;
    let servers: usize = s.upstreams.values().map(|servers| servers.len()).sum();
    if servers > MAX_SERVERS {
        return Err(err(
            "upstreams:",
            format!("{servers} fake servers; a scenario may start at most {MAX_SERVERS}"),
        )
        .with_hint("split the scenario, or give servers `probability`/`schedule` instead"));
    }
    if s.phases.len() > MAX_PHASES {
        return Err(err(
            "phases:",
            format!(
                "{} phases; a scenario may have at most {MAX_PHASES}",
                s.phases.len()
            ),
        )
        .with_hint("split the scenario into several files"));
    }
    if s.phases.is_empty() {
        return Err(err("phases:", "a scenario needs at least one phase".into())
            .with_hint("add phases such as `baseline` (the broken config) and `fix`"));
    }
    if s.upstreams.is_empty() || s.upstreams.values().any(|servers| servers.is_empty()) {
        return Err(err(
            "upstreams:",
            "every upstream needs at least one server".into(),
        )
        .with_hint("give each upstream a server, e.g. `app: { primary: { kind: healthy } }`"));
    }
    for (upstream, servers) in &s.upstreams {
        for (name, fault) in servers {
            fault.validate().map_err(|m| {
                err(
                    &format!("{name}:"),
                    format!("server {upstream}.{name}: {m}"),
                )
                .with_hint(format!(
                    "the settings of `kind: {}` are listed in the README's fault table \
                     (`badgateway list --faults`)",
                    fault.fault.kind()
                ))
            })?;
        }
    }
    check_dns(s).map_err(|(needle, msg)| {
        err(&needle, msg).with_hint(
            "see `dns:` in the README's Scenario format: names map to `a`/`aaaa` records \
             (`{{upstream.NAME.SERVER}}` of a TCP server, or literal addresses), `ttl`, \
             `answer` and `schedule`",
        )
    })?;
    if let Some(kind) = s.proves.fault.filter(|k| !s.plays(*k)) {
        return Err(err(
            "proves:",
            format!("the scenario proves {kind}, but no server plays it"),
        )
        .with_hint(format!(
            "give a server `kind: {kind}`, or prove the fault it plays"
        )));
    }
    let mut names = BTreeSet::new();
    for phase in &s.phases {
        if !names.insert(phase.name.as_str()) {
            let needle = format!("name: {}", phase.name);
            return Err(
                err(&needle, format!("two phases are named `{}`", phase.name)).with_hint(
                    "give each phase a name of its own (it names its folder and report row)",
                ),
            );
        }
    }
    for stages in
        std::iter::once(&s.traffic).chain(s.phases.iter().filter_map(|p| p.traffic.as_ref()))
    {
        for traffic in &stages.0 {
            check_traffic(traffic).map_err(|m| {
                err("traffic:", m).with_hint(
                    "see the `traffic:` keys and their ranges in the README's Scenario format",
                )
            })?;
        }
        stages.check().map_err(|(needle, msg, hint)| match hint {
            Some(hint) => err(&needle, msg).with_hint(hint),
            None => err(&needle, msg),
        })?;
    }
    let addrs = s.symbolic_addresses();
    for phase in &s.phases {
        check_phase(phase, s.traffic_for(phase), &addrs).map_err(|(needle, msg, hint)| {
            let e = err(&needle, format!("phase `{}`: {msg}", phase.name));
            match hint {
                Some(h) => e.with_hint(h),
                None => e,
            }
        })?;
    }
    if let Some(i) =
        (s.hints.iter()).position(|h| h.title.trim().is_empty() || h.text.trim().is_empty())
    {
        return Err(err("hints:", format!("hint {} has an empty title or text", i + 1))
            .with_hint("each hint is `{ title: A FEW WORDS, text: THE HINT }`; leave `hints:` out to have them derived"));
    }
    let fragments = [&s.config.http, &s.config.location];
    for text in fragments {
        expand(text, &addrs).map_err(|e| {
            err(&e.text, e.message)
                .with_hint(format!("known placeholders: {}", addrs.known().join(", ")))
        })?;
    }
    Ok(())
}

/// The `dns:` section is servable and its records name TCP servers of the scenario.
fn check_dns(s: &Scenario) -> Result<(), (String, String)> {
    s.dns.validate().map_err(|m| ("dns:".to_string(), m))?;
    for (upstream, server) in s.dns.servers() {
        let spec = s
            .upstreams
            .get(&upstream)
            .and_then(|servers| servers.get(&server));
        let needle = format!("{{{{upstream.{upstream}.{server}}}}}");
        match spec {
            None => {
                let msg = format!("dns: no server {upstream}.{server} in `upstreams:`");
                return Err((needle, msg));
            }
            Some(spec) if spec.listen.is_unix() => {
                let msg = format!(
                    "dns: server {upstream}.{server} listens on a unix socket; a DNS record \
                     needs a TCP server"
                );
                return Err((needle, msg));
            }
            Some(_) => {}
        }
    }
    for phase in &s.phases {
        for (name, expr) in &phase.expect.dns_queries {
            let at = format!("{name}:");
            if !s.dns.0.contains_key(name) {
                let msg = format!(
                    "phase `{}`: dns_queries: `{name}` is not in `dns:`",
                    phase.name
                );
                return Err((at, msg));
            }
            if expr.unit == super::Unit::Percent {
                let msg = format!(
                    "phase `{}`: dns_queries of `{name}` is a count, not {expr}",
                    phase.name
                );
                return Err((at, msg));
            }
        }
    }
    Ok(())
}

/// The longest name a scenario, phase, upstream or server may have.
pub const MAX_NAME: usize = 64;
/// Most fake servers one scenario may start (each is a listener and a task).
pub const MAX_SERVERS: usize = 64;
/// Most phases one scenario may have.
pub const MAX_PHASES: usize = 64;

/// Whether `name` is a slug: safe as a path component, a placeholder key and an nginx name.
pub fn is_slug(name: &str) -> bool {
    let mut bytes = name.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    first_ok
        && name.len() <= MAX_NAME
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Every name of the scenario is a slug; else where the first bad one is and what it is.
fn check_names(s: &Scenario) -> Result<(), (String, String)> {
    let bad = |what: &str, name: &str, needle: String| {
        let shown: String = name.chars().take(80).collect();
        (needle, format!("{what} name {shown:?} is not a slug"))
    };
    if !is_slug(&s.name) {
        return Err(bad("scenario", &s.name, "name:".into()));
    }
    for phase in &s.phases {
        if !is_slug(&phase.name) {
            return Err(bad("phase", &phase.name, format!("name: {}", phase.name)));
        }
    }
    for (upstream, servers) in &s.upstreams {
        if !is_slug(upstream) {
            return Err(bad("upstream", upstream, format!("{upstream}:")));
        }
        if let Some(name) = servers.keys().find(|n| !is_slug(n)) {
            return Err(bad("server", name, format!("{name}:")));
        }
    }
    Ok(())
}

type Problem = (String, String, Option<String>);

fn check_phase(
    phase: &super::Phase,
    traffic: &super::Stages,
    addrs: &Addresses,
) -> Result<(), Problem> {
    let at_name = format!("name: {}", phase.name);
    let e = &phase.expect;
    if e.is_empty() {
        return Err((
            at_name,
            "states no expectations".into(),
            Some(
                "add `expect:` with outcomes, log, body_intact, upstreams, tries, nginx_status, \
                 received, latency, config_accepted or config_rejected"
                    .into(),
            ),
        ));
    }
    let runs_traffic = e.needs_traffic();
    if e.config_rejected.is_some() && (runs_traffic || !e.log.contains.is_empty()) {
        return Err((
            at_name,
            "expects config_rejected, so no traffic runs: other expectations cannot be checked"
                .into(),
            Some(
                "keep only config_rejected (and log.absent) in this phase; move the rest to \
                 a phase whose config nginx accepts"
                    .into(),
            ),
        ));
    }
    if e.config_rejected.is_some() && e.config_accepted {
        return Err((
            "config_accepted:".into(),
            "expects both config_accepted and config_rejected".into(),
            Some("a phase's config is either accepted or refused by nginx -t: keep one".into()),
        ));
    }
    if let Some((p, n)) = e
        .log
        .count
        .iter()
        .find(|(_, n)| n.unit == super::Unit::Percent)
    {
        return Err((
            "count:".into(),
            format!("log.count of \"{p}\" is a percentage ({n})"),
            Some("log counts are plain numbers of lines, e.g. \">= 1\" or \"0\"".into()),
        ));
    }
    super::stages::check_windows(&e.windows, traffic)?;
    let methods = e.methods.keys().chain(e.duplicate_methods.keys());
    if let Some(bad) = methods
        .into_iter()
        .find(|m| !super::METHODS.contains(&m.as_str()))
    {
        let hint = format!("use one of {}", super::METHODS.join(", "));
        return Err((
            format!("{bad}:"),
            format!("unsupported method `{bad}`"),
            Some(hint),
        ));
    }
    for (key, want) in &e.upstreams {
        let exprs = [&want.connections, &want.requests, &want.fired];
        if exprs
            .into_iter()
            .flatten()
            .any(|x| x.unit == super::Unit::Percent)
        {
            return Err((
                format!("{key}:"),
                format!("counters of `{key}` are plain counts, not percentages"),
                Some("write e.g. \"<= 32\" or \"== 40\"".into()),
            ));
        }
        let known = match key.split_once('.') {
            Some((u, s)) => addrs.0.contains_key(&(u.to_string(), s.to_string())),
            None => false,
        };
        if !known {
            let servers = addrs.0.keys().filter(|(u, _)| !u.starts_with("{{"));
            let names: Vec<String> = servers.map(|(u, s)| format!("{u}.{s}")).collect();
            return Err((
                format!("{key}:"),
                format!("unknown upstream server `{key}`"),
                Some(format!("use one of {}", names.join(", "))),
            ));
        }
    }
    for text in [
        &phase.config.http,
        &phase.config.location,
        &phase.config.add_http,
        &phase.config.add_location,
    ]
    .into_iter()
    .flatten()
    {
        expand(text, addrs).map_err(|pe| {
            (
                pe.text,
                pe.message,
                Some(format!("known placeholders: {}", addrs.known().join(", "))),
            )
        })?;
    }
    Ok(())
}

fn check_traffic(t: &super::Traffic) -> Result<(), String> {
    if let Some(ws) = &t.websocket {
        if t.requests != 0 {
            return Err("traffic.requests: WebSocket traffic opens `websocket.sockets`; leave `requests` out".into());
        }
        ws.check()?;
    } else if t.requests == 0 || t.requests > 1_000_000 {
        return Err(format!(
            "traffic.requests must be 1..=1000000, got {}",
            t.requests
        ));
    }
    if t.concurrency == 0 || t.concurrency > 1024 {
        return Err(format!(
            "traffic.concurrency must be 1..=1024, got {}",
            t.concurrency
        ));
    }
    if !t.path.starts_with('/') {
        return Err(format!(
            "traffic.path must start with `/`, got `{}`",
            t.path
        ));
    }
    for (method, weight) in &t.methods {
        if !super::METHODS.contains(&method.as_str()) {
            return Err(format!(
                "traffic.methods: unsupported method `{method}`: use {}",
                super::METHODS.join(", ")
            ));
        }
        if *weight == 0 {
            return Err(format!(
                "traffic.methods: weight of {method} must be positive"
            ));
        }
    }
    if t.slow_body
        .as_ref()
        .is_some_and(|b| b.chunk.0 == 0 || b.interval.is_zero())
    {
        return Err("traffic.slow_body needs a positive chunk and interval".into());
    }
    if t.timeout.is_zero() || t.max_duration.is_zero() {
        return Err("traffic.timeout and traffic.max_duration must be positive".into());
    }
    Ok(())
}
