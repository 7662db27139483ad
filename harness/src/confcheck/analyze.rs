//! Reading a user's config for what `check` can exercise: its upstreams (blocks, and literal
//! addresses in `*_pass`), the locations that proxy to them (with the Host and path that reach
//! each), the listen addresses to move, and everything that cannot be tested, with the reason.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::nginxconf::{Config, Directive};

/// Directives that send a request to an upstream.
pub const PASS_DIRECTIVES: [&str; 6] = [
    "proxy_pass",
    "fastcgi_pass",
    "uwsgi_pass",
    "scgi_pass",
    "grpc_pass",
    "memcached_pass",
];

/// An upstream: an `upstream NAME {}` block, or a literal address used by a `*_pass`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Upstream {
    pub name: String,
    /// True for a literal address (`proxy_pass http://10.0.0.5:8080`), not a block.
    pub implicit: bool,
    pub servers: Vec<UpstreamServer>,
}

/// One `server` line of an upstream block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpstreamServer {
    pub address: String,
    pub backup: bool,
    /// The line as written, e.g. `server 10.0.0.2:8080 weight=2 max_fails=3`.
    pub line: String,
}

/// A location `check` sends traffic to, and the upstream behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub upstream: String,
    /// `server_name` (first) or `server at FILE:LINE`.
    pub server: String,
    pub host: String,
    /// The listen address (as normalised by [`listen_key`]) the request goes to.
    pub listen: String,
    pub path: String,
    /// e.g. `location /api/`, and where it is written.
    pub location: String,
    pub at: String,
}

impl Target {
    /// `app.example.com location /api/`: which server and location.
    pub fn label(&self) -> String {
        format!("{} {}", self.server, self.location)
    }
}

/// Something in the config `check` does not exercise, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Untested {
    pub what: String,
    pub reason: String,
    pub at: String,
}

/// What `check` found in a config.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    pub upstreams: Vec<Upstream>,
    pub targets: Vec<Target>,
    /// Distinct listen addresses, each moved to its own harness port.
    pub listens: Vec<String>,
    pub untested: Vec<Untested>,
}

/// How a `*_pass` argument reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Pass {
    /// `http://`, `https://`, `grpc://` or empty.
    pub scheme: String,
    /// `10.0.0.5:8080`, `app`, `unix:/run/x.sock`.
    pub authority: String,
    /// What follows the authority (`/api/`), possibly empty.
    pub uri: String,
}

/// Split a `*_pass` argument; `None` when it contains variables.
pub fn split_pass(arg: &str) -> Option<Pass> {
    if arg.contains('$') {
        return None;
    }
    let (scheme, rest) = match arg.find("://") {
        Some(i) => (&arg[..i + 3], &arg[i + 3..]),
        None => ("", arg),
    };
    let (authority, uri) = match rest.strip_prefix("unix:") {
        // `unix:/path/x.sock:/uri`: the socket ends at the next colon.
        Some(path) => match path.find(':') {
            Some(i) => (&rest[..5 + i], &rest[5 + i + 1..]),
            None => (rest, ""),
        },
        None => match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        },
    };
    Some(Pass {
        scheme: scheme.to_string(),
        authority: authority.to_string(),
        uri: uri.to_string(),
    })
}

/// `80` → `*:80`, `[::]` → `[::]:80`, `127.0.0.1:8080` unchanged.
pub fn listen_key(arg: &str) -> String {
    if arg.chars().all(|c| c.is_ascii_digit()) {
        return format!("*:{arg}");
    }
    let has_port = match arg.rfind(']') {
        Some(b) => arg[b..].contains(':'),
        None => arg.contains(':') && !arg.starts_with("unix:"),
    };
    if has_port || arg.starts_with("unix:") {
        arg.to_string()
    } else {
        format!("{arg}:80")
    }
}

/// The listen keys of a `server` block (nginx's default `*:80` when it has none).
pub fn server_listens(server: &Directive) -> Vec<String> {
    let mut keys: Vec<String> = server
        .children()
        .filter(|d| d.name == "listen")
        .filter_map(|d| d.arg(0))
        .map(|a| listen_key(&a))
        .collect();
    if keys.is_empty() {
        keys.push("*:80".to_string());
    }
    keys.dedup();
    keys
}

/// Read the config.
pub fn analyze(config: &Config) -> Analysis {
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
        for server in http.children().filter(|d| d.name == "server") {
            server_block(server, &mut a);
        }
    }
    for up in &a.upstreams {
        if !a.targets.iter().any(|t| t.upstream == up.name) {
            a.untested.push(Untested {
                what: format!("upstream {}", up.name),
                reason: "no prefix or exact location proxies to it over http://".into(),
                at: String::new(),
            });
        }
    }
    a
}

fn upstream_block(up: &Directive, untested_out: &mut Vec<Untested>) -> Upstream {
    let name = up.arg(0).unwrap_or_default();
    let servers = up
        .children()
        .filter(|d| d.name == "server")
        .map(|s| {
            if s.args
                .iter()
                .any(|a| a.value() == "resolve" || a.value().starts_with("service="))
            {
                untested_out.push(untested(
                    s,
                    "server ... resolve",
                    "DNS re-resolution is not tested: the server becomes one fake address",
                ));
            }
            UpstreamServer {
                address: s.arg(0).unwrap_or_default(),
                backup: s.args.iter().any(|a| a.value() == "backup"),
                line: std::iter::once("server".to_string())
                    .chain(s.args.iter().map(|a| a.raw.clone()))
                    .collect::<Vec<_>>()
                    .join(" "),
            }
        })
        .collect();
    Upstream {
        name,
        implicit: false,
        servers,
    }
}

fn untested(d: &Directive, what: &str, reason: &str) -> Untested {
    Untested {
        what: what.to_string(),
        reason: reason.to_string(),
        at: d.at.to_string(),
    }
}

fn server_block(server: &Directive, a: &mut Analysis) {
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
    };
    for d in server.children() {
        if d.name == "listen"
            && d.args.iter().any(|x| {
                matches!(
                    x.value().as_str(),
                    "ssl" | "http2" | "proxy_protocol" | "quic"
                )
            })
        {
            a.untested.push(untested(
                d,
                &format!("{} listen {}", ctx.label, d.arg(0).unwrap_or_default()),
                "TLS, HTTP/2 and PROXY protocol on the client side: tested as plain HTTP/1.1",
            ));
        }
        if d.name == "location" {
            location(d, &ctx, a);
        }
    }
}

struct ServerCtx {
    label: String,
    host: String,
    listen: String,
}

/// A Host header that selects a server with these names.
fn host_for(names: &[String]) -> String {
    for n in names {
        if n.is_empty() || n == "_" || n.starts_with('~') {
            continue;
        }
        if let Some(rest) = n.strip_prefix("*.") {
            return format!("www.{rest}");
        }
        if let Some(rest) = n.strip_suffix(".*") {
            return format!("{rest}.com");
        }
        return n.trim_start_matches('.').to_string();
    }
    "localhost".to_string()
}

fn location(loc: &Directive, ctx: &ServerCtx, a: &mut Analysis) {
    let args: Vec<String> = loc.args.iter().map(|x| x.value()).collect();
    let label = format!("location {}", args.join(" "));
    let path = match args.as_slice() {
        [p] if p.starts_with('@') => Err("named location: only reachable by internal redirects"),
        [p] => Ok(p.clone()),
        [m, p] if m == "=" || m == "^~" => Ok(p.clone()),
        [m, _] if m == "~" || m == "~*" => Err("regex location: no path to send is implied"),
        _ => Err("unrecognised location form"),
    };
    for d in loc.children() {
        match d.name.as_str() {
            "location" => location(d, ctx, a),
            "if" | "limit_except"
                if d.children()
                    .any(|c| PASS_DIRECTIVES.contains(&c.name.as_str())) =>
            {
                a.untested.push(untested(
                    d,
                    &format!("{} {label} {}", ctx.label, d.name),
                    "a *_pass inside `if` or `limit_except` depends on the request",
                ));
            }
            name if PASS_DIRECTIVES.contains(&name) => {
                pass(d, &label, path.clone(), ctx, a);
            }
            _ => {}
        }
    }
}

fn pass(d: &Directive, label: &str, path: Result<String, &str>, ctx: &ServerCtx, a: &mut Analysis) {
    let what = format!(
        "{} {label}: {} {}",
        ctx.label,
        d.name,
        d.arg(0).unwrap_or_default()
    );
    let Some(p) = d.arg(0).as_deref().and_then(split_pass) else {
        a.untested.push(untested(
            d,
            &what,
            "the address contains variables (resolved per request)",
        ));
        return;
    };
    let upstream = upstream_for(&p, &mut a.upstreams);
    let reason = if d.name != "proxy_pass" {
        Some(format!(
            "{}: the fake upstreams speak HTTP only (its servers are still re-pointed)",
            d.name
        ))
    } else if p.scheme == "https://" {
        Some("TLS to the upstream (https://): the fake upstreams speak plain HTTP".to_string())
    } else {
        None
    };
    match (reason, path) {
        (Some(reason), _) => a.untested.push(untested(d, &what, &reason)),
        (None, Err(reason)) => a.untested.push(untested(d, &what, reason)),
        (None, Ok(path)) => a.targets.push(Target {
            upstream,
            server: ctx.label.clone(),
            host: ctx.host.clone(),
            listen: ctx.listen.clone(),
            path: request_path(&path),
            location: label.to_string(),
            at: d.at.to_string(),
        }),
    }
}

/// The upstream block named by `p`, or an implicit one for a literal address.
fn upstream_for(p: &Pass, upstreams: &mut Vec<Upstream>) -> String {
    let host = p.authority.split(':').next().unwrap_or("");
    if let Some(up) = upstreams
        .iter()
        .find(|u| !u.implicit && (u.name == p.authority || u.name == host))
    {
        return up.name.clone();
    }
    if !upstreams.iter().any(|u| u.name == p.authority) {
        upstreams.push(Upstream {
            name: p.authority.clone(),
            implicit: true,
            servers: vec![UpstreamServer {
                address: p.authority.clone(),
                backup: false,
                line: format!("(literal) {}", p.authority),
            }],
        });
    }
    p.authority.clone()
}

/// A request target for a location path: spaces encoded, always starting with `/`.
fn request_path(path: &str) -> String {
    let p = path.replace(' ', "%20");
    if p.starts_with('/') {
        p
    } else {
        format!("/{p}")
    }
}

/// Upstreams by name, for lookups.
pub fn by_name(a: &Analysis) -> BTreeMap<&str, &Upstream> {
    a.upstreams.iter().map(|u| (u.name.as_str(), u)).collect()
}

#[cfg(test)]
mod tests;
