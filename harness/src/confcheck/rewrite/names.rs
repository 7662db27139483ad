//! Variable addresses under the harness: nginx resolves a name in a variable `*_pass` per
//! request with the config's `resolver`, so the name stays and only its port moves to the
//! fake's (the fake DNS server answers the name with the fake's loopback address), and every
//! `resolver` asks the fake DNS server (its `valid=`, `ipv6=` and other parameters kept). An
//! address in a variable (`set $b http://10.0.0.5:8080`) needs no resolver and is replaced
//! by the fake's, as a literal `*_pass` address is.

use super::super::analyze::{Pass, literal_host, split_pass};
use super::{Assignment, Edits};
use crate::nginxconf::{Arg, Directive};

/// `set $backend http://app.internal:8080` → `http://app.internal:FAKE_PORT`.
pub(super) fn repoint_set(d: &mut Directive, a: &Assignment, edits: &mut Edits) {
    let Some(p) = d.arg(1).as_deref().and_then(split_pass) else {
        return;
    };
    if let Some(moved) = moved(&p, a) {
        let name = d.arg(0).unwrap_or_default();
        edits.note(d, &format!("set {name} {}: {}", p.authority, moved.1));
        d.args[1] = Arg::new(&format!("{}{}{}", p.scheme, moved.0, p.uri));
    }
}

/// `proxy_pass http://app.internal:8080$request_uri` → the fake's port, the name kept.
pub(super) fn repoint_variable_pass(d: &mut Directive, a: &Assignment, edits: &mut Edits) {
    let Some(p) = d.arg(0).as_deref().and_then(literal_host) else {
        return;
    };
    if let Some(moved) = moved(&p, a) {
        edits.note(d, &format!("{} {}: {}", d.name, p.authority, moved.1));
        d.args[0] = Arg::new(&format!("{}{}{}", p.scheme, moved.0, p.uri));
    }
}

/// The authority `p` moves to under the harness, and how the change reads.
fn moved(p: &Pass, a: &Assignment) -> Option<(String, String)> {
    let fake = a.literals.get(&p.authority)?;
    let host = p.authority.split(':').next().unwrap_or_default();
    let port = fake.rsplit(':').next().unwrap_or_default();
    match super::super::analyze::resolved_name_of(p) {
        Some(_) => Some((
            format!("{host}:{port}"),
            format!(
                "port → the fake upstream's; the name stays, answered by a fake DNS server \
                 with the fake's address ({})",
                fake.rsplit_once(':').map_or("", |x| x.0)
            ),
        )),
        None => Some((fake.clone(), "→ a fake upstream".into())),
    }
}

/// `server app.internal:8080 resolve` → `app.internal:FAKE_PORT` (nginx resolves the name
/// while it runs, from the fake DNS server), when a fake DNS server runs.
pub(super) fn resolve_server(
    d: &Directive,
    fake: &str,
    a: &Assignment,
) -> Option<(String, String)> {
    a.resolver.as_ref()?;
    let words: Vec<String> = d.args.iter().map(|x| x.value()).collect();
    let line = format!("server {}", words.join(" "));
    let name = super::super::names::resolve_name(&line)?;
    let port = fake.rsplit(':').next().unwrap_or_default();
    let ip = fake.rsplit_once(':').map_or("", |x| x.0);
    Some((
        format!("{name}:{port}"),
        format!(
            "port → the fake upstream's; the name stays, answered by a fake DNS server with \
             the fake's address ({ip})"
        ),
    ))
}

/// `resolver 127.0.0.11 valid=10s` → `resolver FAKE_DNS valid=10s`.
pub(super) fn repoint_resolver(d: &mut Directive, a: &Assignment, edits: &mut Edits) {
    let Some(dns) = &a.resolver else {
        return;
    };
    let addresses: Vec<String> = d
        .args
        .iter()
        .map(|x| x.value())
        .filter(|v| !v.contains('='))
        .collect();
    edits.note(
        d,
        &format!(
            "resolver {} → a fake DNS server (its other parameters kept)",
            addresses.join(" ")
        ),
    );
    d.args.retain(|x| x.value().contains('='));
    d.args.insert(0, Arg::new(dns));
}
