//! For each cause, what the client got and the fix, written in the directive family of the
//! upstream's protocol (`fastcgi_read_timeout` for a PHP-FPM upstream, not
//! `proxy_read_timeout`). The statuses come from nginx's source (`ngx_http_upstream_next`,
//! `ngx_http_upstream_resolve_handler`) and from real nginx 1.22.1, 1.26.3 and 1.30.6 here
//! (alike on all three): the catalogue's scenarios, plus `host not found in upstream`
//! (`nginx -t` fails), a TLS upstream that speaks plain HTTP or has an untrusted certificate
//! (502), `[::1]` and `127.0.0.1` as the servers of one upstream with the application on
//! 127.0.0.1 only (111 logged, 200 from the retry), an unwritable `proxy_temp_path` (200, body
//! cut short) and a FastCGI server answering as PHP-FPM does to a missing script (404).

use serde::{Deserialize, Serialize};

use super::{Cause, CauseKind, Family, ProxyStep};

/// What the client got for a cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientSees {
    /// nginx answered with this status.
    Status(u16),
    /// The status (a 200) had gone out; the body was cut short.
    Truncated,
    /// nginx tried the next server: usually that server's answer (a 502 when none was left).
    NextServer,
    /// Whatever the application answered; nginx only logged its error output.
    ApplicationStatus,
    /// The upstream's bytes relayed as an HTTP/0.9 response (access log status 009).
    Http09,
    /// A 500, or the connection closed without a response.
    Status500OrClosed,
    /// Nothing: nginx refused the configuration and did not start (or reload).
    NginxNotStarted,
    /// Nothing by itself: a server was taken out of rotation for `fail_timeout`.
    NothingByItself,
    /// The 101 had gone out; the WebSocket ended without a close frame (browsers: 1006).
    TunnelClosed,
}

/// What the client got for `cause`.
pub fn client_sees(cause: &Cause) -> ClientSees {
    use CauseKind as K;
    let in_body = cause.phase == ProxyStep::ReadingBody;
    if cause.phase == ProxyStep::ProxyingUpgraded {
        return ClientSees::TunnelClosed;
    }
    match cause.kind {
        K::TimedOut | K::PrematurelyClosed | K::RecvFailed | K::SendFailed if in_body => {
            ClientSees::Truncated
        }
        K::TimedOut => ClientSees::Status(504),
        K::Ipv6LoopbackRefused => ClientSees::NextServer,
        K::NoValidHeader => ClientSees::Http09,
        K::WorkerConnections => ClientSees::Status500OrClosed,
        K::ServerDisabled => ClientSees::NothingByItself,
        K::HostNotFound => ClientSees::NginxNotStarted,
        K::PrimaryScriptUnknown => ClientSees::Status(404),
        K::ClientBodyTooLarge => ClientSees::Status(413),
        K::FastcgiStderr => ClientSees::ApplicationStatus,
        K::TempFileFailed if in_body => ClientSees::Truncated,
        K::TempFileFailed => ClientSees::Status(500),
        _ => ClientSees::Status(502),
    }
}

/// Whether the catalogue's scenarios may be offered for this cause by their log patterns: not
/// where a catalogue pattern matches the line but the scenario shows another cause (a refusal
/// on `[::1]` is not a dead server; a policy's 13 is not a socket's mode).
pub fn catalogue_applies(kind: CauseKind) -> bool {
    !matches!(
        kind,
        CauseKind::Ipv6LoopbackRefused | CauseKind::ConnectBlockedByPolicy
    )
}

/// The fix for `cause`, in its family's directives.
pub fn fix(cause: &Cause) -> String {
    use CauseKind as K;
    let f = cause.family;
    match cause.kind {
        K::ConnectFailed => connect_fix(cause.errno, f),
        K::ConnectBlockedByPolicy => "The kernel refused the TCP connect before it left the host (13 on a TCP connect is a policy, not a file mode): on SELinux systems `setsebool -P httpd_can_network_connect 1`; otherwise check AppArmor or seccomp profiles and egress firewall rules.".to_string(),
        K::Ipv6LoopbackRefused => format!("The upstream's name (typically `localhost`) resolved to ::1 as well as 127.0.0.1 and the application listens on 127.0.0.1 only: nginx tries [::1], logs this, takes it out of rotation and retries 127.0.0.1. Name the address in {} or `server` (127.0.0.1:PORT instead of localhost), or make the application listen on ::1 too.", f.d("pass")),
        K::TimedOut => timeout_fix(cause.phase, f),
        K::PrematurelyClosed | K::RecvFailed | K::SendFailed => closed_fix(cause, f),
        K::TooBigHeader => format!("The response head is larger than {}: raise it (and keep {} consistent), or send fewer or smaller headers (cookies).", f.d("buffer_size"), f.d("busy_buffers_size")),
        K::InvalidHeader => "The application sends a header line nginx refuses (a bad character, a bare CR or LF, a missing colon): fix the application; nginx has no switch to accept it.".to_string(),
        K::NoValidHeader => format!("What answered is not HTTP: the wrong port, a TLS port reached with http://, or a FastCGI/uwsgi/gRPC server behind {} — use the matching `*_pass`.", f.d("pass")),
        K::NoLiveUpstreams => "Every server of the upstream is marked failed: fix the first error logged before this one; consider `max_fails`/`fail_timeout` and a `backup` server.".to_string(),
        K::WorkerConnections => "Each proxied request holds two connections: raise `worker_connections` (and `worker_rlimit_nofile` to match).".to_string(),
        K::ServerDisabled => "A consequence: the server failed `max_fails` times and is skipped for `fail_timeout`; fix the error logged before it.".to_string(),
        K::TlsHandshakeFailed => format!("`wrong version number`: the upstream speaks plain HTTP on that port (use http://, or its TLS port); `alert handshake failure` or `unrecognized name`: it needs SNI ({} on, {}); a protocol or cipher mismatch: {}/{}; `peer closed connection`: it is not TLS, or wants a client certificate ({}).", f.d("ssl_server_name"), f.d("ssl_name"), f.d("ssl_protocols"), f.d("ssl_ciphers"), f.d("ssl_certificate")),
        K::TlsCertificateRejected => format!("nginx does not trust the upstream's certificate or its name: give {} the CA that signed it, set {} to the name in the certificate, or renew an expired one ({} off only as a stopgap).", f.d("ssl_trusted_certificate"), f.d("ssl_name"), f.d("ssl_verify")),
        K::HostNotFound => format!("nginx resolves the names in {} and `server` once, at start (and `nginx -t`), and does not start when one fails: fix the name, make DNS answer before nginx starts (containers: start order, the service's name on nginx's network), or resolve per request (`resolver` and a variable in the `*_pass`; from nginx 1.27.3, `server NAME resolve;` in an upstream with a `zone`).", f.d("pass")),
        K::Unresolved => unresolved_fix(cause.errno),
        K::PrimaryScriptUnknown => "PHP-FPM found no file at SCRIPT_FILENAME and answered 404 (not a 502): set `fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;` with a `root` that is where PHP-FPM sees the files (in containers, the same path in both), and check that PHP-FPM's user can read them.".to_string(),
        K::FastcgiProtocol => "What answers at the `fastcgi_pass` address does not speak FastCGI (version 72 is the `H` of `HTTP/1.1`: an HTTP server, e.g. the application's own web server, another nginx, or a service mesh sidecar that treats the port as HTTP): point `fastcgi_pass` at PHP-FPM's `listen` address, or use `proxy_pass http://...` for an HTTP server; in Istio, name the port `tcp-...` so the sidecar leaves FastCGI alone.".to_string(),
        K::FastcgiStderr => "The application's own error output, relayed by nginx: the status is whatever the application answered; read the message (PHP: its error log).".to_string(),
        K::TempFileFailed => temp_file_fix(cause, f),
        K::GrpcRejected => "The gRPC server reset the call's stream (RST_STREAM; the number is its HTTP/2 error code: 2 INTERNAL_ERROR, 7 REFUSED_STREAM, 8 CANCEL, 11 ENHANCE_YOUR_CALM) instead of answering, and nginx answered 502 without `grpc-status`. nginx never passes a gRPC call it has sent to another server, whatever `grpc_next_upstream` says (`grpc_pass` does not buffer request bodies): look at the service (shutting down, over its stream or connection limits) and take the server out (`down`) while it resets; `max_fails`/`fail_timeout` only bound how many calls fail.".to_string(),
        K::Http2Protocol => "What answers the `grpc_pass` address does not speak HTTP/2 (a frame length of 4740180 is the `HTT` of `HTTP/1.1`: the service's REST, health or metrics port, or an HTTP/1 proxy in between): point `grpc_pass` at the gRPC port, use `grpcs://` for a TLS port, or `proxy_pass` for an HTTP/1 server.".to_string(),
        K::ClientBodyTooLarge => "A client sent a request body over `client_max_body_size` (default 1m) and nginx answered 413 itself; no upstream was involved. Raise `client_max_body_size` in the location that takes the uploads (the rest of the site keeps its limit), or make the client send less.".to_string(),
    }
}

fn connect_fix(errno: Option<u16>, f: Family) -> String {
    match errno {
        Some(111) => format!("Nothing listens at the upstream's address: start the application, or fix the address and port in {} or `server`; a `backup` server answers meanwhile.", f.d("pass")),
        Some(2) => format!("The unix socket does not exist: start the application (PHP-FPM), or point {} at the path its `listen` creates.", f.d("pass")),
        Some(13) => "nginx's worker user may not open the unix socket: give the socket an owner, group or mode it may write (PHP-FPM `listen.owner`, `listen.group`, `listen.mode`).".to_string(),
        Some(11) => "The application's listen queue is full (Linux answers EAGAIN on a full unix socket): raise its backlog (PHP-FPM `listen.backlog`, `net.core.somaxconn`) and its workers (`pm.max_children`).".to_string(),
        Some(99) => format!("No free local port towards the upstream: reuse connections ({}), or widen `net.ipv4.ip_local_port_range`.", keepalive(f)),
        Some(113 | 101) => "No route to the upstream's host: the address is wrong or gone (a container restarted with a new IP: nginx resolved its name at start — reload, or resolve per request with `resolver` and a variable), or a firewall rejects the traffic.".to_string(),
        _ => format!("The connect to the upstream failed: check the address in {} and the errno.", f.d("pass")),
    }
}

fn keepalive(f: Family) -> &'static str {
    match f {
        Family::Proxy | Family::Unknown => {
            "`keepalive N` in the upstream block with `proxy_http_version 1.1` and `proxy_set_header Connection \"\"`"
        }
        Family::Fastcgi => "`keepalive N` in the upstream block with `fastcgi_keep_conn on`",
        _ => "`keepalive N` in the upstream block",
    }
}

fn timeout_fix(phase: ProxyStep, f: Family) -> String {
    match phase {
        ProxyStep::Connecting => format!(
            "The upstream did not accept within {} (default 60s): it is overloaded (full backlog), or a firewall drops the packets.",
            f.d("connect_timeout")
        ),
        ProxyStep::SendingRequest => format!(
            "The upstream stopped reading the request for {}: it is not reading bodies while busy; buffer the request in nginx or make the application read it.",
            f.d("send_timeout")
        ),
        ProxyStep::ReadingBody => format!(
            "The upstream paused mid-body longer than {} between two reads; the client got a cut-short response.",
            f.d("read_timeout")
        ),
        ProxyStep::ProxyingUpgraded => format!(
            "No data came from the upstream through the WebSocket for {} (default 60s; logged at [info]): raise it in the WebSocket location above the longest silence, or have the client ping more often than it (each pong resets the timer).",
            f.d("read_timeout")
        ),
        _ => format!(
            "The upstream did not answer within {} (default 60s): make the application faster, or raise the timeout for the locations that need it.",
            f.d("read_timeout")
        ),
    }
}

fn closed_fix(cause: &Cause, f: Family) -> String {
    if cause.phase == ProxyStep::ProxyingUpgraded {
        return "The upstream closed or reset an open WebSocket (the application restarted or crashed): no nginx setting keeps a tunnel across a restart; clients must reconnect, and a second server in the upstream block lets the reconnects succeed during the restart.".to_string();
    }
    if cause.phase == ProxyStep::ReadingBody && f == Family::Grpc {
        return "The gRPC service closed the connection mid-call, after the response head (it crashed, or a proxy between dropped it): behind `grpc_pass` nginx resets the client's stream (RST_STREAM INTERNAL_ERROR) after relaying the 200 and what came, so the client sees a failed call without `grpc-status` while the access log says 200: look at the service's logs.".to_string();
    }
    if cause.phase == ProxyStep::ReadingBody {
        return "The upstream closed or reset mid-body (the application died, or its Content-Length lies); the client got a cut-short response: look at the application's logs.".to_string();
    }
    let fastcgi_behind_proxy = match (cause.kind, cause.errno, f) {
        (CauseKind::RecvFailed, Some(104), Family::Proxy) => {
            " A reset right after the request also comes from a FastCGI server (PHP-FPM, often port 9000 or a php-fpm socket) behind `proxy_pass`: it drops the HTTP request it cannot read; use `fastcgi_pass` for it."
        }
        _ => "",
    };
    format!(
        "The upstream closed or reset the connection before answering: the application crashed or restarted (see its logs), or a pooled keep-alive connection was closed by the application's idle timeout — keep `keepalive_timeout` in the upstream block below it; {} decides whether nginx retries.{fastcgi_behind_proxy}",
        f.d("next_upstream")
    )
}

fn temp_file_fix(cause: &Cause, f: Family) -> String {
    let path = if cause.phase == ProxyStep::ReadingBody {
        f.d("temp_path")
    } else {
        "`client_body_temp_path`".to_string()
    };
    match cause.errno {
        Some(28) => format!(
            "The disk under {path} is full: free space, move the path, or buffer less to disk ({}).",
            f.d("max_temp_file_size")
        ),
        _ => format!(
            "nginx's worker user cannot write {path} (a response larger than {} goes to disk): give that user the directory, point the path at one it owns, or {} 0 to stream instead.",
            f.d("buffers"),
            f.d("max_temp_file_size")
        ),
    }
}

/// Per-request resolution failed: no resolver, NXDOMAIN (3), or no answer in time (110).
fn unresolved_fix(errno: Option<u16>) -> String {
    let base = "nginx resolves this name per request (a variable in `*_pass`, or `server ... resolve`) with its own `resolver`, never /etc/hosts";
    let specific = match errno {
        Some(3) => {
            "the DNS server said the name does not exist (NXDOMAIN): fix the record or the name; `resolver ... valid=30s` keeps a good answer through short gaps"
        }
        Some(110) => {
            "the DNS server did not answer within `resolver_timeout` (default 30 s, so clients often give up first): check the `resolver` address and that nginx can reach it over UDP; a short `resolver_timeout` fails fast and `valid=` rides out short outages"
        }
        Some(_) => "the DNS server failed the query: check it and the record",
        None => {
            "define `resolver` with a DNS server nginx can reach (127.0.0.11 in Docker) and check the name"
        }
    };
    format!("{base}: {specific}.")
}
