//! What `analyze` finds in a config, as plain data: the upstreams and their servers, the
//! locations that proxy to them (`Target`), the protocol nginx speaks to each, and what is not
//! tested with the reason. `check` plays it; the reports render it.

use serde::{Deserialize, Serialize};

use super::{FastcgiLocation, WebSocketLocation};

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
    /// Used over `https://`: the name its fakes' certificates are issued for (what nginx
    /// checks with `proxy_ssl_verify on`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<String>,
    /// What its servers speak: HTTP (`proxy_pass`), WebSocket (`proxy_pass` where an
    /// upgrade header is set), both (pages and WebSockets to one app), FastCGI
    /// (`fastcgi_pass`) or gRPC (`grpc_pass`).
    #[serde(default, skip_serializing_if = "Protocol::is_http")]
    pub protocol: Protocol,
}

/// The protocol nginx speaks to an upstream, from the `*_pass` that uses it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    #[default]
    Http,
    FastCgi,
    WebSocket,
    /// Pages and WebSockets to one upstream (`location /` and `location /ws/` to one app, or
    /// a `location /` with the upgrade recipe): its fakes answer both, each location gets
    /// the faults that fit what it sends.
    HttpAndWebSocket,
    Grpc,
}

impl Protocol {
    fn is_http(&self) -> bool {
        *self == Protocol::Http
    }

    /// What an upstream speaks when one more location uses it with `other`; `None`: no fake
    /// speaks both.
    pub fn with(self, other: Protocol) -> Option<Protocol> {
        use Protocol::{Http, HttpAndWebSocket, WebSocket};
        match (self, other) {
            (a, b) if a == b => Some(a),
            (Http | WebSocket | HttpAndWebSocket, Http | WebSocket | HttpAndWebSocket) => {
                Some(HttpAndWebSocket)
            }
            _ => None,
        }
    }
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
    /// `http://` or `https://`, as in its `proxy_pass`; `grpc://`, `grpcs://` or empty for
    /// `grpc_pass`; empty for `fastcgi_pass`.
    #[serde(default = "http_scheme")]
    pub scheme: String,
    /// For a `fastcgi_pass`: the SCRIPT_FILENAME and root it sends PHP-FPM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fastcgi: Option<FastcgiLocation>,
    /// For a WebSocket location: the upgrade headers it sends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub websocket: Option<WebSocketLocation>,
    /// A `grpc_pass` location: called with gRPC unary calls over cleartext HTTP/2.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub grpc: bool,
    /// For a `*_pass` with variables: the name nginx resolves per request (with the
    /// `resolver` in force; `check` answers it from a fake DNS server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<String>,
}

fn http_scheme() -> String {
    "http://".into()
}

impl Target {
    /// `app.example.com location /api/`: which server and location.
    pub fn label(&self) -> String {
        format!("{} {}", self.server, self.location)
    }

    /// What this location sends its upstream (never [`Protocol::HttpAndWebSocket`]).
    pub fn speaks(&self) -> Protocol {
        match (&self.websocket, &self.fastcgi, self.grpc) {
            (Some(_), _, _) => Protocol::WebSocket,
            (_, Some(_), _) => Protocol::FastCgi,
            (_, _, true) => Protocol::Grpc,
            _ => Protocol::Http,
        }
    }

    /// What `check` sends: `GET`, `POST` (gRPC unary calls) or `WebSocket` (upgrades).
    pub fn method(&self) -> &'static str {
        match self.speaks() {
            Protocol::WebSocket => "WebSocket",
            Protocol::Grpc => "POST",
            _ => "GET",
        }
    }

    /// `app.example location /api/ (GET /api/ Host: app.example)`: the location and the
    /// requests it gets.
    pub fn described(&self) -> String {
        format!(
            "{} {} ({} {} Host: {})",
            self.server,
            self.location,
            self.method(),
            self.path,
            self.host
        )
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
    /// What the test cannot make work as the config expects (e.g. a certificate name that
    /// depends on the request), for the report's notes.
    #[serde(default)]
    pub notes: Vec<String>,
    /// `listen … ssl http2` keys served as cleartext HTTP/2 (every location tested there is
    /// a gRPC one), see `grpc`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub h2c_tls: Vec<String>,
}
