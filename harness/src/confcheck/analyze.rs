//! Reading a user's config for what `check` can exercise: its upstreams (blocks, and literal
//! addresses in `*_pass`), the locations that proxy to them (with the Host and path that reach
//! each; regex and named locations through `reach`; over `http://` or `https://`, with the
//! certificate name an https upstream must present, see `tls`; WebSocket locations, with
//! their upgrade recipe, see `websocket`; gRPC locations whose server a gRPC client can call,
//! see `grpc`; a variable address when a plain `set` tells it, see `variable`), the listen
//! addresses to move, and everything that cannot be tested, with the
//! reason.

mod address;
mod fastcgi;
mod grpc;
mod model;
mod reach;
mod tls;
mod upstream;
mod variable;
mod websocket;

pub use address::{Pass, host_for, listen_key, request_path, server_listens, split_pass};
use fastcgi::FcgiScope;
pub use fastcgi::{FastcgiLocation, SCRIPT_FILENAME_FIX, document_root};
pub use grpc::{GRPC_PLAY, keeps_http2};
use grpc::{H1_ON_H2C, H2Scope, front_end, h2c_listen};
pub use model::{Analysis, PASS_DIRECTIVES, Protocol, Target, Untested, Upstream, UpstreamServer};
use tls::{SslScope, certificate_name, mixed_schemes};
use upstream::{upstream_block, upstream_for};
use variable::VarScope;
pub use variable::resolved_name as resolved_name_of;
pub use variable::{RESOLVER_FIX, literal_host};
use websocket::WsScope;
pub use websocket::{UPGRADE_FIX, WebSocketLocation};

use std::collections::BTreeMap;

use crate::nginxconf::{Config, Directive};

/// Read the config.
pub fn analyze(config: &Config) -> Analysis {
    analyze_with(config, &BTreeMap::new())
}

/// Read the config, sending requests for the locations in `given` (`~ \.php$` → `/x.php`,
/// as `--location-path` gives them) to those paths.
pub fn analyze_with(config: &Config, given: &BTreeMap<String, String>) -> Analysis {
    let mut a = Analysis::default();
    for http in config.directives().filter(|d| d.name == "http") {
        for up in http.children().filter(|d| d.name == "upstream") {
            a.upstreams.push(upstream_block(up, &mut a.untested));
        }
    }
    for top in config.directives() {
        if matches!(top.name.as_str(), "stream" | "mail") {
            a.untested.push(untested(
                top,
                &top.name,
                "only http {} is tested; it is left out of the test config",
            ));
        }
    }
    for http in config.directives().filter(|d| d.name == "http") {
        let scope = Scope::default().enter(http);
        for server in http.children().filter(|d| d.name == "server") {
            server_block(server, given, &scope, &mut a);
        }
    }
    grpc::settle_tls(&mut a);
    mixed_schemes(&mut a);
    for up in &a.upstreams {
        if !a.targets.iter().any(|t| t.upstream == up.name) {
            a.untested.push(Untested {
                what: format!("upstream {}", up.name),
                reason: "no location that check can reach passes to it over http://, https://, FastCGI or gRPC"
                    .into(),
                at: String::new(),
            });
        }
    }
    a
}

fn untested(d: &Directive, what: &str, reason: &str) -> Untested {
    Untested {
        what: what.to_string(),
        reason: reason.to_string(),
        at: d.at.to_string(),
    }
}

fn server_block(
    server: &Directive,
    given: &BTreeMap<String, String>,
    http_scope: &Scope,
    a: &mut Analysis,
) {
    let listens = server_listens(server);
    for key in &listens {
        if !a.listens.contains(key) {
            a.listens.push(key.clone());
        }
    }
    let names: Vec<String> = server
        .children()
        .filter(|d| d.name == "server_name")
        .flat_map(|d| d.args.iter().map(|x| x.value()).collect::<Vec<_>>())
        .collect();
    let label = names
        .first()
        .filter(|n| !n.is_empty())
        .cloned()
        .unwrap_or_else(|| format!("server at {}", server.at));
    let ctx = ServerCtx {
        label,
        host: host_for(&names),
        listen: listens[0].clone(),
        server,
        given,
        scope: http_scope.enter(server),
    };
    for d in server.children() {
        // A cleartext `listen … http2` stays as written (gRPC clients call it over h2c).
        let h2c = d.name == "listen" && keeps_http2(d);
        if d.name == "listen"
            && d.args.iter().any(|x| match x.value().as_str() {
                "ssl" | "proxy_protocol" | "quic" => true,
                "http2" => !h2c,
                _ => false,
            })
        {
            a.untested.push(untested(
                d,
                &format!("{} listen {}", ctx.label, d.arg(0).unwrap_or_default()),
                "TLS, HTTP/2 and PROXY protocol on the client side: tested as plain HTTP/1.1 \
                 (cleartext HTTP/2 where check calls gRPC locations: with `http2 on;`, a \
                 cleartext `listen … http2`, or `listen … ssl http2` whose tested locations are \
                 all gRPC)",
            ));
        }
        if d.name == "location" {
            location(d, &ctx, &ctx.scope, a);
        }
    }
}

/// The settings in force in a block that decide how `check` plays a location's upstream.
#[derive(Debug, Clone, Default)]
struct Scope {
    ssl: SslScope,
    fastcgi: FcgiScope,
    ws: WsScope,
    h2: H2Scope,
    vars: VarScope,
}

impl Scope {
    fn enter(&self, block: &Directive) -> Scope {
        Scope {
            ssl: self.ssl.enter(block),
            fastcgi: self.fastcgi.enter(block),
            ws: self.ws.enter(block),
            h2: self.h2.enter(block),
            vars: self.vars.enter(block),
        }
    }
}

struct ServerCtx<'a> {
    label: String,
    host: String,
    listen: String,
    server: &'a Directive,
    /// Paths given for locations (`--location-path`), by `location` arguments.
    given: &'a BTreeMap<String, String>,
    /// The server's upstream TLS and FastCGI settings.
    scope: Scope,
}

fn location(loc: &Directive, ctx: &ServerCtx, outer: &Scope, a: &mut Analysis) {
    let scope = outer.enter(loc);
    let args: Vec<String> = loc.args.iter().map(|x| x.value()).collect();
    let label = format!("location {}", args.join(" "));
    let path = match (ctx.given.get(&args.join(" ")), args.as_slice()) {
        (Some(given), _) => Ok(given.clone()),
        (None, [p]) if p.starts_with('@') => reach::named_path(ctx.server, p),
        (None, [p]) => Ok(p.clone()),
        (None, [m, p]) if m == "=" || m == "^~" => Ok(p.clone()),
        (None, [m, p]) if m == "~" || m == "~*" => reach::regex_path(p, m == "~*")
            .map_err(|e| format!("{e}; give one with --location-path '{m} {p}=/PATH'")),
        _ => Err("unrecognised location form".to_string()),
    };
    for d in loc.children() {
        match d.name.as_str() {
            "location" => location(d, ctx, &scope, a),
            "if" => {
                let condition: Vec<String> = d.args.iter().map(|x| x.raw.clone()).collect();
                let condition = condition.join(" ");
                let label = format!("{label} if {condition}");
                let path = path.clone().and_then(|p| reach::if_path(&condition, &p));
                let inner = scope.enter(d);
                for c in d.children() {
                    if PASS_DIRECTIVES.contains(&c.name.as_str()) {
                        pass(c, (&label, &inner), path.clone(), ctx, a);
                    }
                }
            }
            "limit_except"
                if d.children()
                    .any(|c| PASS_DIRECTIVES.contains(&c.name.as_str())) =>
            {
                a.untested.push(untested(
                    d,
                    &format!("{} {label} {}", ctx.label, d.name),
                    "a *_pass inside `limit_except` depends on the request method",
                ));
            }
            name if PASS_DIRECTIVES.contains(&name) => {
                pass(d, (&label, &scope), path.clone(), ctx, a);
            }
            _ => {}
        }
    }
}

fn pass(
    d: &Directive,
    (label, scope): (&str, &Scope),
    path: Result<String, String>,
    ctx: &ServerCtx,
    a: &mut Analysis,
) {
    let what = format!(
        "{} {label}: {} {}",
        ctx.label,
        d.name,
        d.arg(0).unwrap_or_default()
    );
    let arg = d.arg(0).unwrap_or_default();
    let p = match split_pass(&arg) {
        Some(p) => p,
        None => match scope.vars.pass(&arg) {
            Ok(p) => p,
            Err(reason) => return a.untested.push(untested(d, &what, &reason)),
        },
    };
    let upstream = upstream_for(&p, &mut a.upstreams);
    let implicit = a.upstreams.iter().any(|u| u.name == upstream && u.implicit);
    let dns = match arg.contains('$') && implicit {
        true => resolved_name_of(&p),
        false => None,
    };
    let websocket = (d.name == "proxy_pass")
        .then(|| scope.ws.location())
        .flatten();
    let protocol = match d.name.as_str() {
        "proxy_pass" if websocket.is_some() => Ok(Protocol::WebSocket),
        "proxy_pass" => Ok(Protocol::Http),
        "fastcgi_pass" => Ok(Protocol::FastCgi),
        "grpc_pass" => front_end(ctx.server, &ctx.listen, &scope.h2).map(|tls| {
            if tls && !a.h2c_tls.contains(&ctx.listen) {
                a.h2c_tls.push(ctx.listen.clone());
            }
            Protocol::Grpc
        }),
        other => Err(format!(
            "{other}: the fake upstreams speak HTTP, FastCGI and gRPC, not {} (its servers \
             are still re-pointed)",
            foreign_protocol(other)
        )),
    };
    match (protocol, path) {
        (Err(reason), _) | (Ok(_), Err(reason)) => a.untested.push(untested(d, &what, &reason)),
        (Ok(protocol), Ok(path)) => {
            let target = Target {
                upstream,
                server: ctx.label.clone(),
                host: ctx.host.clone(),
                listen: ctx.listen.clone(),
                path: request_path(&path),
                location: label.to_string(),
                at: d.at.to_string(),
                scheme: p.scheme.clone(),
                fastcgi: (protocol == Protocol::FastCgi).then(|| scope.fastcgi.location()),
                websocket,
                grpc: protocol == Protocol::Grpc,
                dns,
            };
            match p.scheme.as_str() {
                "https://" => certificate_name(&target, &p, &scope.ssl, a),
                "grpcs://" => certificate_name(&target, &p, &scope.ssl.grpc(), a),
                _ => {}
            }
            let note = match &target.websocket {
                Some(ws) => Some(ws.idle_note()),
                None if protocol == Protocol::Http => scope.ws.connection_only(),
                None => None,
            };
            let h1_on_h2c = (protocol != Protocol::Grpc && h2c_listen(ctx.server, &ctx.listen))
                .then(|| H1_ON_H2C.to_string());
            for note in note.into_iter().chain(h1_on_h2c) {
                a.notes
                    .push(format!("{} ({}): {note}", target.label(), target.at));
            }
            let pages = page_twin(&target);
            speaks(&target, protocol, a);
            a.targets.push(target);
            if let Some(pages) = pages {
                speaks(&pages, Protocol::Http, a);
                a.targets.push(pages);
            }
        }
    }
}

/// What a `*_pass` other than `proxy_pass`, `fastcgi_pass` and `grpc_pass` speaks.
fn foreign_protocol(directive: &str) -> &'static str {
    match directive {
        "uwsgi_pass" => "uwsgi",
        "scgi_pass" => "SCGI",
        _ => "the memcached protocol",
    }
}

/// A WebSocket `location /` serves the site's pages too: its plain-HTTP twin, played with
/// requests (labelled `location / (plain HTTP)`), so the HTTP faults are tested there as well.
fn page_twin(t: &Target) -> Option<Target> {
    (t.websocket.is_some() && t.location == "location /").then(|| Target {
        location: format!("{} (plain HTTP)", t.location),
        websocket: None,
        ..t.clone()
    })
}

/// Record that `t`'s upstream speaks `protocol` too (pages and WebSockets make both; other
/// mixes keep what the first location decided), with a note when no fake speaks both.
fn speaks(t: &Target, protocol: Protocol, a: &mut Analysis) {
    let first = a.targets.iter().find(|o| o.upstream == t.upstream);
    let Some(up) = a.upstreams.iter_mut().find(|u| u.name == t.upstream) else {
        return;
    };
    match (first, up.protocol.with(protocol)) {
        (None, _) => up.protocol = protocol,
        (Some(_), Some(both)) => up.protocol = both,
        (Some(o), None) => a.notes.push(format!(
            "{} ({}): upstream {} is also used by {} ({}), whose fakes speak {:?}; expect \
             this location's control run to fail",
            t.label(),
            t.at,
            up.name,
            o.label(),
            o.at,
            up.protocol
        )),
    }
}

/// Upstreams by name, for lookups.
pub fn by_name(a: &Analysis) -> BTreeMap<&str, &Upstream> {
    a.upstreams.iter().map(|u| (u.name.as_str(), u)).collect()
}

#[cfg(test)]
mod tests;
