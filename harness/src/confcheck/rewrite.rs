//! The user's config made safe to run under the harness: upstream servers and literal `*_pass`
//! addresses point at fake upstreams (every server parameter and upstream directive kept),
//! `listen`s move to harness ports on 127.0.0.1 (`server_name`s kept), pid, logs, temp and
//! cache paths move into the run dir (your `access_log`s keep their formats and parameters,
//! and the harness's JSON request log is added beside each, see
//! [`accesslog`](crate::accesslog)), `user`/`daemon` go, client-side TLS goes, and a readiness
//! server is added. Everything else stays as written.

use std::collections::BTreeMap;
use std::path::Path;

use super::analyze::{PASS_DIRECTIVES, listen_key, split_pass};
use crate::accesslog;
use crate::nginx::{NginxBinary, READY_HEADER, READY_PATH, RunDir};
use crate::nginxconf::{Arg, Config, Directive, Location, Node, write_mapped};

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
}

/// Top-level directives the harness owns or removes.
const MAIN_DROPPED: [&str; 7] = [
    "user",
    "daemon",
    "pid",
    "error_log",
    "lock_file",
    "stream",
    "mail",
];

/// Proxy TLS settings naming files (loaded by `nginx -t`), irrelevant to plain-HTTP fakes.
const PROXY_SSL_FILES: [&str; 5] = [
    "proxy_ssl_certificate",
    "proxy_ssl_certificate_key",
    "proxy_ssl_trusted_certificate",
    "proxy_ssl_crl",
    "proxy_ssl_password_file",
];

/// The test config for one run, as nginx.conf text.
pub fn render(config: &Config, nginx: &NginxBinary, dir: &RunDir, a: &Assignment) -> String {
    render_mapped(config, nginx, dir, a).0
}

/// [`render`], with the source location of each output line's directive (line 0: added by
/// the harness).
pub fn render_mapped(
    config: &Config,
    nginx: &NginxBinary,
    dir: &RunDir,
    a: &Assignment,
) -> (String, Vec<Option<Location>>) {
    let at = Location {
        file: config.file.clone(),
        line: 0,
        col: 0,
    };
    let mut files = Files::default();
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
            Node::Directive(d) if MAIN_DROPPED.contains(&d.name.as_str()) => {}
            Node::Directive(d) if d.name == "http" => {
                let mut http = d.clone();
                http.block = Some(http_body(d, nginx, dir, a, &mut files));
                nodes.push(Node::Directive(http));
            }
            Node::Directive(d) if d.name == "load_module" => {
                nodes.push(Node::Directive(absolute_module(d, nginx)));
            }
            other => nodes.push(other.clone()),
        }
    }
    write_mapped(&nodes)
}

/// `load_module modules/x.so` is relative to nginx's compiled-in prefix, not to the run dir
/// the harness passes with `-p`.
fn absolute_module(d: &Directive, nginx: &NginxBinary) -> Directive {
    let mut d = d.clone();
    let Some(p) = d.arg(0).filter(|p| !Path::new(p).is_absolute()) else {
        return d;
    };
    let prefix = nginx
        .configure_args
        .split_whitespace()
        .find_map(|a| a.strip_prefix("--prefix="))
        .unwrap_or("/usr/local/nginx");
    d.args[0] = Arg::new(&path(&Path::new(prefix).join(p)));
    d
}

fn path(p: &Path) -> String {
    p.display().to_string()
}

fn http_body(
    http: &Directive,
    nginx: &NginxBinary,
    dir: &RunDir,
    a: &Assignment,
    files: &mut Files,
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
        files,
    ));
    body.push(Node::Directive(ready_server(
        a.ready_port,
        &dir.ready_token(),
        at,
    )));
    body
}

/// How many cache folders and access logs the rewrite has moved into the run dir so far, to
/// name the next one.
#[derive(Debug, Default)]
struct Files {
    caches: usize,
    logs: usize,
}

/// The harness's `log_format` (see [`accesslog`]).
fn requests_log_format(at: &Location) -> Directive {
    Directive {
        name: "log_format".into(),
        args: vec![
            Arg::new(accesslog::FORMAT_NAME),
            Arg::new("escape=json"),
            Arg {
                raw: accesslog::LOG_FORMAT.to_string(),
            },
        ],
        block: None,
        at: at.clone(),
    }
}

/// The harness's JSON request log, in the run dir.
fn requests_log(dir: &RunDir, at: &Location) -> Directive {
    Directive::simple(
        "access_log",
        &[&path(&dir.requests_log()), accesslog::FORMAT_NAME],
        at,
    )
}

/// Apply the edits to every directive below `http`.
fn edit_nodes(nodes: &[Node], dir: &RunDir, a: &Assignment, files: &mut Files) -> Vec<Node> {
    let mut out = Vec::with_capacity(nodes.len());
    for node in nodes {
        let Node::Directive(d) = node else {
            out.push(node.clone());
            continue;
        };
        if dropped(&d.name) {
            continue;
        }
        let mut d = d.clone();
        match d.name.as_str() {
            "upstream" => d.block = Some(upstream_body(&d, a)),
            "server" if d.block.is_some() => d.block = Some(server_body(&d, dir, a, files)),
            n if n.ends_with("_cache_path") => {
                files.caches += 1;
                if let Some(first) = d.args.first_mut() {
                    let name = format!("cache-{}", files.caches);
                    *first = Arg::new(&path(&dir.root.join(name)));
                }
            }
            n if PASS_DIRECTIVES.contains(&n) => repoint_pass(&mut d, a),
            "access_log" if d.arg(0).as_deref() != Some("off") => {
                // A log at this level replaces the inherited ones: add the harness's beside it.
                files.logs += 1;
                let name = format!("access-{}.log", files.logs);
                d.args[0] = Arg::new(&path(&dir.root.join(name)));
                let ours = requests_log(dir, &d.at);
                out.push(Node::Directive(d));
                out.push(Node::Directive(ours));
                continue;
            }
            _ => {
                if let Some(block) = &d.block {
                    d.block = Some(edit_nodes(block, dir, a, files));
                }
            }
        }
        out.push(Node::Directive(d));
    }
    out
}

fn dropped(name: &str) -> bool {
    name == "error_log"
        || name.ends_with("_temp_path")
        || name == "ssl"
        || name.starts_with("ssl_")
        || name == "http2"
        || PROXY_SSL_FILES.contains(&name)
}

fn upstream_body(up: &Directive, a: &Assignment) -> Vec<Node> {
    let name = up.arg(0).unwrap_or_default();
    let mut index = 0;
    let mut out = Vec::new();
    for node in up.block.iter().flatten() {
        match node {
            Node::Directive(d) if d.name == "server" => {
                let mut d = d.clone();
                if let Some(addr) = a.servers.get(&(name.clone(), index)) {
                    d.args[0] = Arg::new(addr);
                }
                d.args
                    .retain(|x| x.value() != "resolve" && !x.value().starts_with("service="));
                index += 1;
                out.push(Node::Directive(d));
            }
            other => out.push(other.clone()),
        }
    }
    out
}

fn server_body(server: &Directive, dir: &RunDir, a: &Assignment, files: &mut Files) -> Vec<Node> {
    let block = server.block.as_deref().unwrap_or(&[]);
    let has_listen = server.children().any(|d| d.name == "listen");
    let mut out = Vec::new();
    if !has_listen {
        out.push(Node::Directive(listen("*:80", false, a, &server.at)));
    }
    for node in block {
        match node {
            Node::Directive(d) if d.name == "listen" => {
                let key = listen_key(&d.arg(0).unwrap_or_default());
                let default = d
                    .args
                    .iter()
                    .any(|x| matches!(x.value().as_str(), "default_server" | "default"));
                out.push(Node::Directive(listen(&key, default, a, &d.at)));
            }
            other => out.extend(edit_nodes(std::slice::from_ref(other), dir, a, files)),
        }
    }
    out
}

fn listen(key: &str, default: bool, a: &Assignment, at: &Location) -> Directive {
    let port = a.ports.get(key).copied().unwrap_or(0);
    let addr = format!("127.0.0.1:{port}");
    let args: &[&str] = if default {
        &[&addr, "default_server"]
    } else {
        &[&addr]
    };
    Directive::simple("listen", args, at)
}

/// A literal address in a `*_pass` becomes its implicit upstream's fake.
fn repoint_pass(d: &mut Directive, a: &Assignment) {
    let Some(p) = d.arg(0).as_deref().and_then(split_pass) else {
        return;
    };
    if let Some(addr) = a.literals.get(&p.authority) {
        let uri = if p.uri.is_empty() || p.uri.starts_with('/') {
            p.uri.clone()
        } else {
            format!("/{}", p.uri)
        };
        d.args[0] = Arg::new(&format!("{}{addr}{uri}", p.scheme));
    }
}

fn ready_server(port: u16, token: &str, at: &Location) -> Directive {
    let ready = Directive {
        name: "location".into(),
        args: vec![Arg::new("="), Arg::new(READY_PATH)],
        block: Some(vec![
            Node::Directive(Directive::simple("access_log", &["off"], at)),
            Node::Directive(Directive::simple(
                "add_header",
                &[READY_HEADER, token, "always"],
                at,
            )),
            Node::Directive(Directive::simple("return", &["204"], at)),
        ]),
        at: at.clone(),
    };
    Directive {
        name: "server".into(),
        args: Vec::new(),
        block: Some(vec![
            Node::Comment("# badgateway: readiness probe".into()),
            Node::Directive(Directive::simple(
                "listen",
                &[&format!("127.0.0.1:{port}")],
                at,
            )),
            Node::Directive(Directive::simple("server_name", &["badgateway"], at)),
            Node::Directive(ready),
        ]),
        at: at.clone(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::nginxconf::load;

    #[test]
    fn your_access_logs_move_into_the_run_dir_and_the_request_log_sits_beside_each() {
        let file =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/nginx/shop-backup.conf");
        let nginx = NginxBinary {
            path: "/usr/sbin/nginx".into(),
            version: "1.22.1".into(),
            configure_args: String::new(),
        };
        let dir = RunDir {
            root: "/run/check".into(),
        };
        let conf = render(&load(&file).unwrap(), &nginx, &dir, &Assignment::default());
        assert!(!conf.contains("/var/log/nginx"), "{conf}");
        assert!(
            conf.contains("access_log /run/check/access-1.log;"),
            "{conf}"
        );
        assert!(conf.contains("access_log off;"), "kept as written: {conf}");
        let ours = "access_log /run/check/requests.jsonl badgateway_requests;";
        assert_eq!(
            conf.matches(ours).count(),
            2,
            "at http level and beside the server's: {conf}"
        );
        assert_eq!(
            conf.matches("log_format badgateway_requests escape=json '{")
                .count(),
            1
        );
    }
}
