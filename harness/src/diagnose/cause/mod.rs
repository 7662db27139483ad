//! The upstream-failure cause an error.log message names (kind, proxying step, errno), found
//! by substring checks only (no regex per line); the line itself is taken apart by
//! [`crate::errorlog::split`], the one error.log parser.

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
pub enum ProxyStep {
    Connecting,
    SendingRequest,
    ReadingResponseHeader,
    /// `while reading upstream`: the body, after the status went to the client.
    ReadingBody,
    Unspecified,
}

impl ProxyStep {
    /// nginx's words for the phase.
    pub fn label(self) -> &'static str {
        match self {
            ProxyStep::Connecting => "connecting to upstream",
            ProxyStep::SendingRequest => "sending request to upstream",
            ProxyStep::ReadingResponseHeader => "reading response header from upstream",
            ProxyStep::ReadingBody => "reading upstream (the body)",
            ProxyStep::Unspecified => "-",
        }
    }
}

/// A distinct cause: kind, phase and errno (e.g. connect failed / connecting / 111).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Cause {
    pub kind: CauseKind,
    pub phase: ProxyStep,
    pub errno: Option<u16>,
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

fn phase(message: &str) -> ProxyStep {
    if message.ends_with("while connecting to upstream") {
        ProxyStep::Connecting
    } else if message.ends_with("while sending request to upstream") {
        ProxyStep::SendingRequest
    } else if message.ends_with("while reading response header from upstream") {
        ProxyStep::ReadingResponseHeader
    } else if message.ends_with("while reading upstream") {
        ProxyStep::ReadingBody
    } else {
        ProxyStep::Unspecified
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
        ProxyStep::Unspecified => what,
        p => format!("{what} while {}", p.label()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::errorlog::split;

    const LINE: &str = "2026/11/26 15:42:18 [error] 11#11: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: x, request: \"POST /api HTTP/1.1\", upstream: \"http://127.0.0.1:40001/api\", host: \"x\"";

    #[test]
    fn causes_carry_kind_phase_and_errno() {
        let c = classify(split(LINE).unwrap().message).unwrap();
        assert_eq!(c.kind, CauseKind::ConnectFailed);
        assert_eq!(c.phase, ProxyStep::Connecting);
        assert_eq!(c.errno, Some(111));
        assert_eq!(
            describe(&c, split(LINE).unwrap().message),
            "connect() failed (111: Connection refused) while connecting to upstream"
        );
        assert!(classify("using the \"epoll\" event method").is_none());
    }
}
