//! One error.log line taken apart: time, level, message, and the per-request tail
//! (`request: "GET / HTTP/1.1"`, `upstream: "http://..."`); and the upstream-failure cause the
//! message names, found by substring checks only (no regex per line).

use serde::{Deserialize, Serialize};

/// What went wrong with the upstream, as nginx words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CauseKind {
    /// `connect() failed (111: ...)`, `connect() to unix:... failed (2|13|11: ...)`, `(99: ...)`.
    ConnectFailed,
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
}

/// Which step of proxying failed (nginx's `while ...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Connecting,
    SendingRequest,
    ReadingResponseHeader,
    /// `while reading upstream`: the body, after the status went to the client.
    ReadingBody,
    Unspecified,
}

impl Phase {
    /// nginx's words for the phase.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Connecting => "connecting to upstream",
            Phase::SendingRequest => "sending request to upstream",
            Phase::ReadingResponseHeader => "reading response header from upstream",
            Phase::ReadingBody => "reading upstream (the body)",
            Phase::Unspecified => "-",
        }
    }
}

/// A distinct cause: kind, phase and errno (e.g. connect failed / connecting / 111).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Cause {
    pub kind: CauseKind,
    pub phase: Phase,
    pub errno: Option<u16>,
}

/// The parts of one nginx error.log line that diagnosis uses; borrowed from the line.
#[derive(Debug, Clone, PartialEq)]
pub struct Line<'a> {
    /// `2026/11/26 15:42:18`.
    pub time: &'a str,
    pub level: &'a str,
    /// After `pid#tid: *cid `, before `, client: `.
    pub message: &'a str,
    pub method: Option<&'a str>,
    /// `scheme://host:port` of `upstream: "..."`, without the path.
    pub upstream: Option<&'a str>,
}

const LEVELS: [&str; 8] = [
    "debug", "info", "notice", "warn", "error", "crit", "alert", "emerg",
];

/// Split an nginx error.log line; `None` when it is not one.
pub fn split(line: &str) -> Option<Line<'_>> {
    let bytes = line.as_bytes();
    // `YYYY/MM/DD HH:MM:SS [level] `
    if bytes.len() < 22 || bytes[4] != b'/' || bytes[7] != b'/' || bytes[19] != b' ' {
        return None;
    }
    let time = &line[..19];
    let rest = line[20..].strip_prefix('[')?;
    let (level, rest) = rest.split_once("] ")?;
    if !LEVELS.contains(&level) {
        return None;
    }
    let rest = match rest.split_once(": ") {
        Some((pid, after)) if pid.contains('#') => after,
        _ => rest,
    };
    let rest = match rest.strip_prefix('*') {
        Some(r) => r.split_once(' ').map_or(r, |(_, m)| m),
        None => rest,
    };
    let (message, tail) = rest.split_once(", client: ").unwrap_or((rest, ""));
    Some(Line {
        time,
        level,
        message,
        method: quoted_field(tail, "request: \"").and_then(|r| r.split(' ').next()),
        upstream: quoted_field(tail, "upstream: \"").map(authority),
    })
}

fn quoted_field<'a>(tail: &'a str, key: &str) -> Option<&'a str> {
    let start = tail.find(key)? + key.len();
    let len = tail[start..].find('"')?;
    Some(&tail[start..start + len])
}

/// `http://127.0.0.1:80/x` → `http://127.0.0.1:80`; `unix:/run/a.sock:/x` keeps the socket.
fn authority(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    if url[after_scheme..].starts_with("unix:") {
        let sock = after_scheme + 5;
        return url[sock..].find(':').map_or(url, |i| &url[..sock + i]);
    }
    url[after_scheme..]
        .find('/')
        .map_or(url, |i| &url[..after_scheme + i])
}

/// The upstream-failure cause of a message, if it names one.
pub fn classify(message: &str) -> Option<Cause> {
    let kind = if message.contains("connect() ") && message.contains(" failed (") {
        CauseKind::ConnectFailed
    } else if message.starts_with("upstream timed out") {
        CauseKind::TimedOut
    } else if message.starts_with("upstream prematurely closed") {
        CauseKind::PrematurelyClosed
    } else if message.starts_with("recv() failed") || message.starts_with("readv() failed") {
        CauseKind::RecvFailed
    } else if message.starts_with("send() failed") || message.starts_with("writev() failed") {
        CauseKind::SendFailed
    } else if message.starts_with("upstream sent too big header") {
        CauseKind::TooBigHeader
    } else if message.starts_with("upstream sent invalid header") {
        CauseKind::InvalidHeader
    } else if message.starts_with("upstream sent no valid HTTP/1.0 header") {
        CauseKind::NoValidHeader
    } else if message.starts_with("no live upstreams") {
        CauseKind::NoLiveUpstreams
    } else if message.contains("worker_connections are not enough") {
        CauseKind::WorkerConnections
    } else if message.starts_with("upstream server temporarily disabled") {
        CauseKind::ServerDisabled
    } else {
        return None;
    };
    Some(Cause {
        kind,
        phase: phase(message),
        errno: errno(message),
    })
}

fn phase(message: &str) -> Phase {
    if message.ends_with("while connecting to upstream") {
        Phase::Connecting
    } else if message.ends_with("while sending request to upstream") {
        Phase::SendingRequest
    } else if message.ends_with("while reading response header from upstream") {
        Phase::ReadingResponseHeader
    } else if message.ends_with("while reading upstream") {
        Phase::ReadingBody
    } else {
        Phase::Unspecified
    }
}

/// `... failed (111: Connection refused) ...` → 111.
fn errno(message: &str) -> Option<u16> {
    let open = message.find(" (")? + 2;
    let digits = &message[open..];
    let end = digits.find(':')?;
    digits[..end].parse().ok()
}

fn message_reuses(message: &str) -> bool {
    message.ends_with("reusing connections")
}

/// The cause in nginx's words, e.g. `connect() failed (111: Connection refused) while
/// connecting to upstream`, with run-specific parts (socket paths, header bytes) left out.
pub fn describe(cause: &Cause, example_message: &str) -> String {
    let what = match cause.kind {
        CauseKind::ConnectFailed | CauseKind::RecvFailed | CauseKind::SendFailed => {
            let call = example_message
                .split(" (")
                .next()
                .unwrap_or(example_message);
            let call = if call.starts_with("connect() to ") {
                "connect() to ... failed"
            } else {
                call
            };
            let reason = example_message
                .split_once(" (")
                .and_then(|(_, r)| r.split_once(')'))
                .map(|(r, _)| format!(" ({r})"))
                .unwrap_or_default();
            format!("{call}{reason}")
        }
        CauseKind::WorkerConnections if message_reuses(example_message) => {
            "N worker_connections are not enough, reusing connections".to_string()
        }
        CauseKind::WorkerConnections => "N worker_connections are not enough".to_string(),
        _ => example_message
            .split(" while ")
            .next()
            .unwrap_or(example_message)
            .split(": \"")
            .next()
            .unwrap_or(example_message)
            .to_string(),
    };
    match cause.phase {
        Phase::Unspecified => what,
        p => format!("{what} while {}", p.label()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = "2026/11/26 15:42:18 [error] 11#11: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: x, request: \"POST /api HTTP/1.1\", upstream: \"http://127.0.0.1:40001/api\", host: \"x\"";

    #[test]
    fn a_line_is_split_into_its_parts() {
        let l = split(LINE).unwrap();
        assert_eq!(l.time, "2026/11/26 15:42:18");
        assert_eq!(l.level, "error");
        assert!(l.message.starts_with("connect() failed") && l.message.ends_with("upstream"));
        assert_eq!(l.method, Some("POST"));
        assert_eq!(l.upstream, Some("http://127.0.0.1:40001"));
        assert!(split("hello world").is_none());
        assert!(split("2026/11/26 15:42:18 [nope] x").is_none());
        assert_eq!(
            authority("http://unix:/run/php.sock:/index.php"),
            "http://unix:/run/php.sock"
        );
        assert_eq!(
            authority("fastcgi://127.0.0.1:9000"),
            "fastcgi://127.0.0.1:9000"
        );
    }

    #[test]
    fn causes_carry_kind_phase_and_errno() {
        let c = classify(split(LINE).unwrap().message).unwrap();
        assert_eq!(c.kind, CauseKind::ConnectFailed);
        assert_eq!(c.phase, Phase::Connecting);
        assert_eq!(c.errno, Some(111));
        assert_eq!(
            describe(&c, split(LINE).unwrap().message),
            "connect() failed (111: Connection refused) while connecting to upstream"
        );
        assert!(classify("using the \"epoll\" event method").is_none());
    }
}
