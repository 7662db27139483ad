//! The upstream-failure cause an error.log line names (kind, proxying step, errno, protocol
//! family), found by substring checks only (no regex per line); the line itself is taken apart
//! by [`crate::errorlog::split`], the one error.log parser. What the client saw and how to fix
//! each cause is [`fix`]'s concern.

mod family;
pub mod fix;

use serde::{Deserialize, Serialize};

use crate::errorlog::Line;

pub use family::Family;

/// What went wrong with the upstream, as nginx words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CauseKind {
    /// `connect() failed (111: ...)`, `connect() to unix:... failed (2|13|11: ...)`, `(99: ...)`,
    /// `(113: No route to host)`.
    ConnectFailed,
    /// `connect() to 10.0.0.5:8080 failed (13: Permission denied)`: a TCP connect the kernel
    /// refused before it left the host (SELinux or another policy), not a socket's mode.
    ConnectBlockedByPolicy,
    /// `connect() failed (111: ...)` to `[::1]`: a name such as `localhost` also resolved to
    /// IPv6 loopback, where the application does not listen.
    Ipv6LoopbackRefused,
    /// `upstream timed out (110: Connection timed out)`.
    TimedOut,
    /// `upstream prematurely closed connection`.
    PrematurelyClosed,
    /// `recv() failed (104: Connection reset by peer)` and other recv errors.
    RecvFailed,
    /// `send() failed (32: Broken pipe)` and other send errors, `writev() failed`.
    SendFailed,
    /// `upstream sent too big header`.
    TooBigHeader,
    /// `upstream sent invalid header`.
    InvalidHeader,
    /// `upstream sent no valid HTTP/1.0 header` (relayed as HTTP/0.9).
    NoValidHeader,
    /// `no live upstreams`.
    NoLiveUpstreams,
    /// `N worker_connections are not enough`.
    WorkerConnections,
    /// `upstream server temporarily disabled` (a server marked failed for fail_timeout).
    ServerDisabled,
    /// `SSL_do_handshake() failed (SSL: ...)`, `peer closed connection in SSL handshake`,
    /// `handshake rejected` while SSL handshaking to upstream.
    TlsHandshakeFailed,
    /// `upstream SSL certificate verify error: (N:...)`, `upstream SSL certificate does not
    /// match "name"`.
    TlsCertificateRejected,
    /// `[emerg] host not found in upstream "name"`: at start or `nginx -t`; nginx does not start.
    HostNotFound,
    /// `NAME could not be resolved (3: Host not found)`, `no resolver defined to resolve NAME`:
    /// a name resolved per request (a variable in `*_pass`).
    Unresolved,
    /// `FastCGI sent in stderr: "Primary script unknown"`: PHP-FPM found no script (a 404).
    PrimaryScriptUnknown,
    /// Any other `FastCGI sent in stderr: "..."`: the application's own error output.
    FastcgiStderr,
    /// `upstream sent unsupported FastCGI protocol version: 72`, `... invalid FastCGI record
    /// type`, `... unexpected FastCGI request id`: what answers `fastcgi_pass` does not speak
    /// FastCGI (72 is the `H` of an HTTP response).
    FastcgiProtocol,
    /// `open() "…/proxy_temp/…" failed (13: ...)`, `pwrite() "…" failed (28: ...)`: a temporary
    /// file for a response (or request body) that did not fit the buffers.
    TempFileFailed,
    /// `client intended to send too large body: N bytes`: a request body over
    /// `client_max_body_size`, refused by nginx itself (413) before any upstream is tried.
    ClientBodyTooLarge,
    /// `upstream rejected request with error N`: a gRPC (HTTP/2) upstream reset the call's
    /// stream (RST_STREAM with error code N, kept as the cause's `errno`).
    GrpcRejected,
    /// `upstream sent too large http2 frame: 4740180` and the grpc module's other HTTP/2
    /// framing errors: what answers `grpc_pass` does not speak HTTP/2 (4740180 is `HTT`).
    Http2Protocol,
}

/// Which step of proxying failed (nginx's `while ...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProxyStep {
    Connecting,
    SslHandshaking,
    SendingRequest,
    ReadingResponseHeader,
    /// `while reading upstream`: the body, after the status went to the client.
    ReadingBody,
    /// `while proxying upgraded connection`: a WebSocket (or other upgraded) tunnel, after
    /// the 101 went to the client.
    ProxyingUpgraded,
    Unspecified,
}

impl ProxyStep {
    const ALL: [ProxyStep; 6] = [
        ProxyStep::Connecting,
        ProxyStep::SslHandshaking,
        ProxyStep::SendingRequest,
        ProxyStep::ReadingResponseHeader,
        ProxyStep::ReadingBody,
        ProxyStep::ProxyingUpgraded,
    ];

    /// nginx's words for the phase (after `while `).
    fn words(self) -> &'static str {
        match self {
            ProxyStep::Connecting => "connecting to upstream",
            ProxyStep::SslHandshaking => "SSL handshaking to upstream",
            ProxyStep::SendingRequest => "sending request to upstream",
            ProxyStep::ReadingResponseHeader => "reading response header from upstream",
            ProxyStep::ReadingBody => "reading upstream",
            ProxyStep::ProxyingUpgraded => "proxying upgraded connection",
            ProxyStep::Unspecified => "-",
        }
    }

    /// nginx's words for the phase, made plain where they are terse.
    pub fn label(self) -> &'static str {
        match self {
            ProxyStep::ReadingBody => "reading upstream (the body)",
            ProxyStep::ProxyingUpgraded => "proxying upgraded connection (a WebSocket tunnel)",
            p => p.words(),
        }
    }
}

/// A distinct cause: kind, phase, errno and family (e.g. connect failed / connecting / 111 /
/// fastcgi).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Cause {
    pub kind: CauseKind,
    pub phase: ProxyStep,
    /// The number in the message's parentheses: the errno (`111`), or for a certificate the
    /// verify result (`18` of `(18:self-signed certificate)`).
    pub errno: Option<u16>,
    pub family: Family,
}

/// The upstream-failure cause of a line, if it names one.
pub fn classify(line: &Line) -> Option<Cause> {
    let message = line.message;
    let phase = phase(message);
    let kind = kind(message, phase, errno(message), line.upstream)?;
    let errno = match kind {
        CauseKind::GrpcRejected => rst_code(message),
        _ => errno(message),
    };
    Some(Cause {
        kind,
        phase,
        errno,
        family: Family::of(line.upstream, message),
    })
}

/// The kind a message names; failed reads and writes count only when they are the upstream's.
fn kind(
    m: &str,
    phase: ProxyStep,
    errno: Option<u16>,
    upstream: Option<&str>,
) -> Option<CauseKind> {
    use CauseKind as K;
    let upstream_io = phase != ProxyStep::Unspecified || upstream.is_some();
    let starts = |p: &str| m.starts_with(p);
    Some(if m.contains("connect() ") && m.contains(" failed (") {
        connect_kind(m, errno, upstream)
    } else if starts("upstream timed out") {
        K::TimedOut
    } else if starts("upstream prematurely closed") {
        K::PrematurelyClosed
    } else if (starts("recv() failed") || starts("readv() failed")) && upstream_io {
        K::RecvFailed
    } else if (starts("send() failed") || starts("writev() failed")) && upstream_io {
        K::SendFailed
    } else if starts("upstream sent too big header") {
        K::TooBigHeader
    } else if starts("upstream sent invalid header") {
        K::InvalidHeader
    } else if starts("upstream sent no valid HTTP/1.0 header") {
        K::NoValidHeader
    } else if starts("no live upstreams") {
        K::NoLiveUpstreams
    } else if m.contains("worker_connections are not enough") {
        K::WorkerConnections
    } else if starts("upstream server temporarily disabled") {
        K::ServerDisabled
    } else if starts("upstream SSL certificate ") {
        K::TlsCertificateRejected
    } else if phase == ProxyStep::SslHandshaking {
        K::TlsHandshakeFailed
    } else if m.contains("host not found in upstream ") {
        K::HostNotFound
    } else if m.contains(" could not be resolved (") || starts("no resolver defined to resolve ") {
        K::Unresolved
    } else if starts("FastCGI sent in stderr: \"Primary script unknown") {
        K::PrimaryScriptUnknown
    } else if starts("FastCGI sent in stderr: ") {
        K::FastcgiStderr
    } else if starts("upstream sent unsupported FastCGI protocol version")
        || starts("upstream sent invalid FastCGI record type")
        || starts("upstream sent unexpected FastCGI request id")
    {
        K::FastcgiProtocol
    } else if starts("upstream rejected request with error ") {
        K::GrpcRejected
    } else if starts("upstream sent ") && (m.contains("http2") || m.contains(" frame")) {
        K::Http2Protocol
    } else if starts("client intended to send too large body") {
        K::ClientBodyTooLarge
    } else if is_temp_file_error(m, phase) {
        K::TempFileFailed
    } else {
        return None;
    })
}

/// A refused TCP connect to `[::1]`, a TCP connect denied with 13, or any other connect error.
fn connect_kind(m: &str, errno: Option<u16>, upstream: Option<&str>) -> CauseKind {
    let to_unix = m.contains("connect() to unix:");
    let host = upstream.and_then(|u| u.split_once("://")).map(|(_, h)| h);
    match errno {
        Some(111) if host.is_some_and(|h| h.starts_with("[::1]")) => CauseKind::Ipv6LoopbackRefused,
        Some(13) if !to_unix => CauseKind::ConnectBlockedByPolicy,
        _ => CauseKind::ConnectFailed,
    }
}

/// `open() "PATH" failed`, `pwrite() "PATH" failed`, ... while buffering to disk.
fn is_temp_file_error(m: &str, phase: ProxyStep) -> bool {
    let file_call = ["open() \"", "pwrite() \"", "write() \"", "pwritev() \""]
        .iter()
        .any(|c| m.starts_with(c));
    file_call
        && m.contains("\" failed (")
        && (phase == ProxyStep::ReadingBody || m.contains("temp") || m.contains("client_body"))
}

/// The step after the last ` while `; a line cut short inside it still names the step when
/// what is left fits only one.
fn phase(message: &str) -> ProxyStep {
    let Some((_, step)) = message.rsplit_once(" while ") else {
        return ProxyStep::Unspecified;
    };
    if let Some(p) = ProxyStep::ALL.into_iter().find(|p| p.words() == step) {
        return p;
    }
    let mut fits = ProxyStep::ALL
        .into_iter()
        .filter(|p| !step.is_empty() && p.words().starts_with(step));
    match (fits.next(), fits.next()) {
        (Some(p), None) => p,
        _ => ProxyStep::Unspecified,
    }
}

/// `... failed (111: Connection refused) ...` → 111.
fn errno(message: &str) -> Option<u16> {
    let open = message.find(" (")? + 2;
    let digits = &message[open..];
    let end = digits.find(':')?;
    digits[..end].parse().ok()
}

/// `upstream rejected request with error 2 ...` → 2 (the RST_STREAM's HTTP/2 error code).
fn rst_code(message: &str) -> Option<u16> {
    let rest = message.strip_prefix("upstream rejected request with error ")?;
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// The cause in nginx's words, e.g. `connect() failed (111: Connection refused) while
/// connecting to upstream`, with run-specific parts (socket paths, header bytes) left out.
pub fn describe(cause: &Cause, example_message: &str) -> String {
    let what = match cause.kind {
        CauseKind::ConnectFailed
        | CauseKind::ConnectBlockedByPolicy
        | CauseKind::Ipv6LoopbackRefused
        | CauseKind::RecvFailed
        | CauseKind::SendFailed
        | CauseKind::TlsHandshakeFailed
        | CauseKind::TempFileFailed => call_and_reason(example_message),
        CauseKind::WorkerConnections if example_message.ends_with("reusing connections") => {
            "N worker_connections are not enough, reusing connections".to_string()
        }
        CauseKind::WorkerConnections => "N worker_connections are not enough".to_string(),
        CauseKind::TlsCertificateRejected
        | CauseKind::HostNotFound
        | CauseKind::Unresolved
        | CauseKind::PrimaryScriptUnknown
        | CauseKind::FastcgiProtocol => before_while(example_message).to_string(),
        CauseKind::FastcgiStderr => clip(before_while(example_message), 160),
        CauseKind::ClientBodyTooLarge => "client intended to send too large body".to_string(),
        _ => before_while(example_message)
            .split(": \"")
            .next()
            .unwrap_or(example_message)
            .to_string(),
    };
    match cause.phase {
        ProxyStep::Unspecified => what,
        p => format!("{what} while {}", p.words()),
    }
}

/// `connect() failed (111: Connection refused)`: the call and the reason in parentheses (to the
/// last `)`, as OpenSSL's reasons nest them); the address of `connect() to ADDR` left out.
fn call_and_reason(message: &str) -> String {
    let head = before_while(message);
    let Some((call, reason)) = head.split_once(" (") else {
        return head.to_string();
    };
    let call = if call.starts_with("connect() to ") {
        "connect() to ... failed"
    } else {
        call
    };
    let reason = reason.rfind(')').map_or(reason, |i| &reason[..i]);
    format!("{call} ({reason})")
}

fn before_while(message: &str) -> &str {
    message.rsplit_once(" while ").map_or(message, |(m, _)| m)
}

/// `text` up to `n` characters, with `...` when it was longer.
pub(super) fn clip(text: &str, n: usize) -> String {
    match text.char_indices().nth(n) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests;
