//! The user's config made safe to run under the harness, changing only addresses, listen
//! sockets and paths: upstream servers and literal `*_pass` addresses point at fake upstreams
//! (every other server parameter and upstream directive kept), `listen`s move to harness ports
//! on 127.0.0.1 (`server_name`s kept; client-side TLS is served as plain HTTP, a cleartext
//! `listen … http2` keeps its `http2`, and so does a `listen … ssl http2` the analysis serves
//! as cleartext HTTP/2 for gRPC), pid, logs, temp
//! and cache paths move into the run dir (your `access_log`s keep their formats and
//! parameters, and the harness's JSON request log is added beside each), `user`/`daemon` go,
//! upstream TLS files point at the run's CA and the harness's client certificate (`tls`),
//! and a readiness server is added (`added`). Every change is recorded as a
//! [`ConfigChange`] with where it was written; nothing else is touched, so a directive this
//! nginx refuses stays and `nginx -t` says so.

mod added;
mod names;
pub mod tls;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::analyze::{PASS_DIRECTIVES, keeps_http2, listen_key, split_pass};
use crate::nginx::{NginxBinary, RunDir};
use crate::nginxconf::{Arg, Config, Directive, Location, Node, write_mapped};
use added::{ready_server, requests_log, requests_log_format};

/// The concrete addresses of one run.
#[derive(Debug, Clone, Default)]
pub struct Assignment {
    /// (upstream, server index) → `127.0.0.1:port` of its fake.
    pub servers: BTreeMap<(String, usize), String>,
    /// Literal `*_pass` authority (`10.0.0.5:8080`, `unix:/run/x.sock`) → its fake.
    pub literals: BTreeMap<String, String>,
    /// Listen key → harness port.
    pub ports: BTreeMap<String, u16>,
    /// The readiness server's port.
    pub ready_port: u16,
    /// `listen … ssl http2` keys served as cleartext HTTP/2 ([`Analysis::h2c_tls`](super::Analysis)).
    pub h2c_tls: Vec<String>,
    /// Folder of the `*_cache_path`s, shared by the runs of one check (`None`: the run dir).
    pub cache_root: Option<PathBuf>,
    /// The fake DNS server's `address:port`, when a variable `*_pass` names a host: every
    /// `resolver` asks it.
    pub resolver: Option<String>,
}

/// One thing the rewrite changed in the user's config, and where it was written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConfigChange {
    /// `file:line:col` of the directive (empty for a change to the config as a whole).
    pub at: String,
    pub what: String,
}

/// A config rendered for one run.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub text: String,
    /// The source location of each output line's directive (line 0: added by the harness).
    pub lines: Vec<Option<Location>>,
    pub changes: Vec<ConfigChange>,
}

/// Top-level directives the harness owns or leaves out, and why (the change it lists).
const MAIN_DROPPED: [(&str, &str); 7] = [
    ("user", "`user` left out: the test nginx runs as you"),
    ("daemon", "`daemon off`: the harness supervises nginx"),
    ("pid", "pid file moved into the run folder"),
    (
        "error_log",
        "error_log moved into the run folder (level info)",
    ),
    (
        "lock_file",
        "lock_file left out (nginx's default in the run folder)",
    ),
    (
        "stream",
        "`stream {}` left out: only http is tested, and its listens would bind your addresses",
    ),
    (
        "mail",
        "`mail {}` left out: only http is tested, and its listens would bind your addresses",
    ),
];

/// The test config for one run, as nginx.conf text.
pub fn render(config: &Config, nginx: &NginxBinary, dir: &RunDir, a: &Assignment) -> String {
    render_mapped(config, nginx, dir, a).text
}

/// [`render`], with the source location of each output line and the list of changes.
pub fn render_mapped(
    config: &Config,
    nginx: &NginxBinary,
    dir: &RunDir,
    a: &Assignment,
) -> Rendered {
    let at = Location {
        file: config.file.clone(),
        line: 0,
        col: 0,
    };
    let mut edits = Edits::default();
    let mut nodes = vec![
        Node::Comment(format!("# badgateway check of {}", config.file.display())),
        Node::Directive(Directive::simple("daemon", &["off"], &at)),
        Node::Directive(Directive::simple("pid", &[&path(&dir.pid_file())], &at)),
        Node::Directive(Directive::simple(
            "error_log",
            &[&path(&dir.error_log()), "info"],
            &at,
        )),
    ];
    for node in &config.nodes {
        match node {
            Node::Directive(d) => match MAIN_DROPPED.iter().find(|(n, _)| *n == d.name) {
                Some((_, why)) => edits.note(d, why),
                None if d.name == "http" => {
                    let mut http = d.clone();
                    http.block = Some(http_body(d, nginx, dir, a, &mut edits));
                    nodes.push(Node::Directive(http));
                }
                None if d.name == "load_module" => {
                    nodes.push(Node::Directive(absolute_module(d, nginx, &mut edits)));
                }
                None => nodes.push(node.clone()),
            },
            other => nodes.push(other.clone()),
        }
    }
    let (text, lines) = write_mapped(&nodes);
    Rendered {
        text,
        lines,
        changes: edits.changes,
    }
}

/// `load_module modules/x.so` is relative to nginx's compiled-in prefix, not to the run dir
/// the harness passes with `-p`.
fn absolute_module(d: &Directive, nginx: &NginxBinary, edits: &mut Edits) -> Directive {
    let mut d = d.clone();
    let Some(p) = d.arg(0).filter(|p| !Path::new(p).is_absolute()) else {
        return d;
    };
    let prefix = nginx
        .configure_args
        .split_whitespace()
        .find_map(|a| a.strip_prefix("--prefix="))
        .unwrap_or("/usr/local/nginx");
    let absolute = path(&Path::new(prefix).join(&p));
    edits.note(
        &d,
        &format!("`load_module {p}` read from {absolute} (nginx's own prefix)"),
    );
    d.args[0] = Arg::new(&absolute);
    d
}

pub(super) fn path(p: &Path) -> String {
    p.display().to_string()
}

fn http_body(
    http: &Directive,
    nginx: &NginxBinary,
    dir: &RunDir,
    a: &Assignment,
    edits: &mut Edits,
) -> Vec<Node> {
    let at = &http.at;
    let mut body = vec![
        Node::Directive(Directive::simple(
            "access_log",
            &[&path(&dir.access_log())],
            at,
        )),
        Node::Directive(requests_log_format(at)),
        Node::Directive(requests_log(dir, at)),
    ];
    for m in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"] {
        if m == "client_body" || m == "proxy" || nginx.has_http_module(m) {
            let p = path(&dir.tmp().join(m));
            body.push(Node::Directive(Directive::simple(
                &format!("{m}_temp_path"),
                &[&p],
                at,
            )));
        }
    }
    body.extend(edit_nodes(
        http.block.as_deref().unwrap_or(&[]),
        dir,
        a,
        edits,
    ));
    body.push(Node::Directive(ready_server(
        a.ready_port,
        &dir.ready_token(),
        at,
    )));
    body
}

/// What the rewrite has done so far: how many cache folders and access logs it moved into
/// the run dir (to name the next one), and every change.
#[derive(Debug, Default)]
struct Edits {
    caches: usize,
    logs: usize,
    changes: Vec<ConfigChange>,
}

impl Edits {
    fn note(&mut self, d: &Directive, what: &str) {
        let at = if d.at.line == 0 {
            String::new()
        } else {
            d.at.to_string()
        };
        self.changes.push(ConfigChange {
            at,
            what: what.to_string(),
        });
    }
}

/// Apply the edits to every directive below `http`.
fn edit_nodes(nodes: &[Node], dir: &RunDir, a: &Assignment, edits: &mut Edits) -> Vec<Node> {
    let mut out = Vec::with_capacity(nodes.len());
    for node in nodes {
        let Node::Directive(d) = node else {
            out.push(node.clone());
            continue;
        };
        if let Some(why) = left_out(d) {
            edits.note(d, &why);
            continue;
        }
        let mut d = d.clone();
        match d.name.as_str() {
            "upstream" => d.block = Some(upstream_body(&d, a, edits)),
            "server" if d.block.is_some() => d.block = Some(server_body(&d, dir, a, edits)),
            n if n.ends_with("_cache_path") => {
                edits.caches += 1;
                edits.note(
                    &d,
                    &format!(
                        "{n} {} moved into the check's folder, which all its runs share: the \
                         control run warms the cache, the fault runs keep it",
                        arg0(&d)
                    ),
                );
                if let Some(first) = d.args.first_mut() {
                    let root = a.cache_root.as_deref().unwrap_or(&dir.root);
                    *first = Arg::new(&path(&root.join(format!("cache-{}", edits.caches))));
                }
            }
            n if PASS_DIRECTIVES.contains(&n) => repoint_pass(&mut d, a, edits),
            "set" => names::repoint_set(&mut d, a, edits),
            "resolver" => names::repoint_resolver(&mut d, a, edits),
            n if tls::names_file(n) => tls::repoint(&mut d, dir, edits),
            "access_log" if d.arg(0).as_deref() != Some("off") => {
                // A log at this level replaces the inherited ones: add the harness's beside it.
                edits.logs += 1;
                edits.note(
                    &d,
                    &format!("access_log {} moved into the run folder", arg0(&d)),
                );
                let name = format!("access-{}.log", edits.logs);
                d.args[0] = Arg::new(&path(&dir.root.join(name)));
                let ours = requests_log(dir, &d.at);
                out.push(Node::Directive(d));
                out.push(Node::Directive(ours));
                continue;
            }
            _ => {
                if let Some(block) = &d.block {
                    d.block = Some(edit_nodes(block, dir, a, edits));
                }
            }
        }
        out.push(Node::Directive(d));
    }
    out
}

fn arg0(d: &Directive) -> String {
    d.arg(0).unwrap_or_default()
}

/// Why the rewrite leaves `d` out of the test config, if it does: paths the run folder
/// replaces, and client-side TLS (served as plain HTTP).
fn left_out(d: &Directive) -> Option<String> {
    let name = d.name.as_str();
    if name == "error_log" {
        Some("error_log replaced by the run folder's error.log".into())
    } else if name.ends_with("_temp_path") {
        Some(format!("{name} moved into the run folder"))
    } else if name == "ssl" || name.starts_with("ssl_") {
        Some(format!(
            "`{name}` left out: client-side TLS is served as plain HTTP"
        ))
    } else {
        None
    }
}

fn upstream_body(up: &Directive, a: &Assignment, edits: &mut Edits) -> Vec<Node> {
    let name = arg0(up);
    let mut index = 0;
    let mut out = Vec::new();
    for node in up.block.iter().flatten() {
        match node {
            Node::Directive(d) if d.name == "server" => {
                let mut d = d.clone();
                if let Some(addr) = a.servers.get(&(name.clone(), index)) {
                    match names::resolve_server(&d, addr, a) {
                        Some((kept, how)) => {
                            edits.note(&d, &format!("upstream {name}: server {}: {how}", arg0(&d)));
                            d.args[0] = Arg::new(&kept);
                        }
                        None => {
                            edits.note(
                                &d,
                                &format!("upstream {name}: server {} → a fake upstream", arg0(&d)),
                            );
                            d.args[0] = Arg::new(addr);
                        }
                    }
                }
                // An SRV lookup names the addresses too: the fake address replaces it.
                if d.args.iter().any(|x| x.value().starts_with("service=")) {
                    edits.note(
                        &d,
                        "`service=` left out: the fake's address replaces the SRV lookup",
                    );
                    d.args.retain(|x| !x.value().starts_with("service="));
                }
                index += 1;
                out.push(Node::Directive(d));
            }
            other => out.push(other.clone()),
        }
    }
    out
}

fn server_body(server: &Directive, dir: &RunDir, a: &Assignment, edits: &mut Edits) -> Vec<Node> {
    let block = server.block.as_deref().unwrap_or(&[]);
    let has_listen = server.children().any(|d| d.name == "listen");
    let mut out = Vec::new();
    if !has_listen {
        edits.note(
            server,
            "no listen: nginx's default *:80 moved to a harness port",
        );
        out.push(Node::Directive(listen("*:80", &[], a, &server.at)));
    }
    for node in block {
        match node {
            Node::Directive(d) if d.name == "listen" => {
                let key = listen_key(&arg0(d));
                let default = d
                    .args
                    .iter()
                    .any(|x| matches!(x.value().as_str(), "default_server" | "default"));
                let tls_h2c =
                    a.h2c_tls.contains(&key) && d.args.iter().any(|x| x.value() == "http2");
                let h2c = keeps_http2(d) || tls_h2c;
                let kept: &[&str] = match (default, h2c) {
                    (true, true) => &["default_server", "http2"],
                    (true, false) => &["default_server"],
                    (false, true) => &["http2"],
                    (false, false) => &[],
                };
                let raw: Vec<String> = d.args.iter().map(|x| x.raw.clone()).collect();
                let plain = d.args.iter().any(|x| {
                    matches!(
                        x.value().as_str(),
                        "ssl" | "http2" | "quic" | "proxy_protocol"
                    )
                });
                let how = match (plain, h2c) {
                    (_, true) if tls_h2c => {
                        " (served as cleartext HTTP/2: every location check calls there is gRPC)"
                    }
                    (_, true) => " (cleartext HTTP/2 kept)",
                    (true, false) => " (served as plain HTTP/1.1)",
                    (false, false) => "",
                };
                edits.note(
                    d,
                    &format!("listen {} → 127.0.0.1:harness port{how}", raw.join(" ")),
                );
                out.push(Node::Directive(listen(&key, kept, a, &d.at)));
            }
            other => out.extend(edit_nodes(std::slice::from_ref(other), dir, a, edits)),
        }
    }
    out
}

/// `listen 127.0.0.1:PORT` for listen `key`, with the `flags` kept from the user's line.
fn listen(key: &str, flags: &[&str], a: &Assignment, at: &Location) -> Directive {
    let port = a.ports.get(key).copied().unwrap_or(0);
    let addr = format!("127.0.0.1:{port}");
    let args: Vec<&str> = std::iter::once(addr.as_str())
        .chain(flags.iter().copied())
        .collect();
    Directive::simple("listen", &args, at)
}

/// A literal address in a `*_pass` becomes its implicit upstream's fake.
fn repoint_pass(d: &mut Directive, a: &Assignment, edits: &mut Edits) {
    let Some(p) = d.arg(0).as_deref().and_then(split_pass) else {
        return names::repoint_variable_pass(d, a, edits);
    };
    if let Some(addr) = a.literals.get(&p.authority) {
        let checked = match p.scheme.as_str() {
            "https://" => {
                " (nginx checks its certificate for 127.0.0.1 now, unless proxy_ssl_name names one)"
            }
            _ => "",
        };
        edits.note(
            d,
            &format!("{} {} → a fake upstream{checked}", d.name, p.authority),
        );
        let uri = if p.uri.is_empty() || p.uri.starts_with('/') {
            p.uri.clone()
        } else {
            format!("/{}", p.uri)
        };
        d.args[0] = Arg::new(&format!("{}{addr}{uri}", p.scheme));
    }
}

#[cfg(test)]
mod tests;
