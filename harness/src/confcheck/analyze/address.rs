//! The addresses in a config as `check` reads them: a `*_pass` argument taken apart, listen
//! arguments as one normalised key per socket, the Host header that selects a server, and a
//! location path as a request target.

use crate::nginxconf::Directive;

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

/// A Host header that selects a server with these names.
pub fn host_for(names: &[String]) -> String {
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

/// A request target for a location path: spaces encoded, always starting with `/`.
pub fn request_path(path: &str) -> String {
    let p = path.replace(' ', "%20");
    if p.starts_with('/') {
        p
    } else {
        format!("/{p}")
    }
}
