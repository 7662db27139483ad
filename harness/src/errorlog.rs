//! Reading nginx's error.log, once for everyone: [`split`] takes a line apart (time, level,
//! message, the per-request tail) for the phase checks, the summaries and `diagnose` alike;
//! [`summarize`] groups a phase's lines by message; [`is_lifecycle_notice`] tells nginx's own
//! start/stop notices apart, which every report leaves out of what people read
//! ([`LogSummary::for_people`]).
//!
//! nginx lines look like `2026/11/26 15:42:18 [error] 12#12: *5 connect() failed (111: ...)
//! while connecting to upstream, client: ..., upstream: "http://127.0.0.1:1234/"`. Grouping
//! strips the time, pid, connection number and the per-request context so one cause is one row.
//! Lines as people paste them (behind a container runtime's or journald's prefix, quoted,
//! indented, or cut from their middle) are read by [`split`] and [`split_undated`] too; what
//! those prefixes look like is [`pasted`]'s concern.

mod lifecycle;
mod pasted;

pub use lifecycle::is_lifecycle_notice;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One error.log entry.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    pub level: String,
    pub text: String,
    /// nginx's connection number (`*N`), the `$connection` of the access log: joins the line
    /// to the requests of that client connection. `None` for lines of no connection.
    pub connection: Option<u64>,
}

/// Parse every nginx error.log line of `log` (see [`split`]); others are skipped.
pub fn parse(log: &str) -> Vec<LogLine> {
    log.lines()
        .filter_map(|line| {
            split(line).map(|l| LogLine {
                level: l.level.to_string(),
                text: line.to_string(),
                connection: l.connection,
            })
        })
        .collect()
}

/// The parts of one nginx error.log line that diagnosis uses; borrowed from the line.
#[derive(Debug, Clone, PartialEq)]
pub struct Line<'a> {
    /// `2026/11/26 15:42:18`; empty for a line pasted without it ([`split_undated`]).
    pub time: &'a str,
    /// Empty when a pasted line starts after it.
    pub level: &'a str,
    /// The `cid` of `*cid`: nginx's connection number.
    pub connection: Option<u64>,
    /// After `pid#tid: *cid `, before `, client: `.
    pub message: &'a str,
    pub method: Option<&'a str>,
    /// `scheme://host:port` of `upstream: "..."`, without the path.
    pub upstream: Option<&'a str>,
}

/// nginx's log levels, least severe first.
pub const LEVELS: [&str; 8] = [
    "debug", "info", "notice", "warn", "error", "crit", "alert", "emerg",
];

/// Split an nginx error.log line, found behind whatever prefix a container runtime, journald
/// or a quote put before it; `None` when it has no nginx timestamp and level.
pub fn split(line: &str) -> Option<Line<'_>> {
    let start = pasted::stamp_start(line)?;
    let line = &line[start..];
    let time = &line[..19];
    let rest = line[20..].strip_prefix('[')?;
    let (level, rest) = rest.split_once("] ")?;
    if !LEVELS.contains(&level) {
        return None;
    }
    Some(after_level(time, level, rest))
}

/// A line without nginx's timestamp (pasted from its middle, or from a tool that drops it),
/// its paste prefixes stripped: `[level] pid#tid: *cid message, client: ...` or any tail of
/// that. Whether a bare message is nginx's at all is for the caller to judge (`level` empty and
/// `connection` `None` mean no nginx marker was seen). `None` for a blank line.
pub fn split_undated(line: &str) -> Option<Line<'_>> {
    let rest = pasted::strip_prefixes(line).trim_end();
    if rest.is_empty() {
        return None;
    }
    let level_and_rest = rest
        .strip_prefix('[')
        .and_then(|r| r.split_once("] "))
        .filter(|(level, _)| LEVELS.contains(level));
    let (level, rest) = level_and_rest.unwrap_or(("", rest));
    Some(after_level("", level, rest))
}

/// The rest of a line after `[level] `: `pid#tid: *cid message, client: ..., ...`.
fn after_level<'a>(time: &'a str, level: &'a str, rest: &'a str) -> Line<'a> {
    let rest = match rest.split_once(": ") {
        Some((pid, after)) if is_pid_tid(pid) => after,
        _ => rest,
    };
    let (connection, rest) = match rest.strip_prefix('*') {
        Some(r) => match r.split_once(' ') {
            Some((cid, m)) => (cid.parse().ok(), m),
            None => (None, r),
        },
        None => (None, rest),
    };
    let (message, tail) = rest.split_once(", client: ").unwrap_or((rest, ""));
    Line {
        time,
        level,
        connection,
        message,
        method: quoted_field(tail, "request: \"").and_then(|r| r.split(' ').next()),
        upstream: quoted_field(tail, "upstream: \"").map(authority),
    }
}

/// `12#12`: nginx's pid and thread id.
fn is_pid_tid(s: &str) -> bool {
    s.split_once('#').is_some_and(|(p, t)| {
        [p, t]
            .iter()
            .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// The value of `key"...`; up to the end of a line cut short inside it.
fn quoted_field<'a>(tail: &'a str, key: &str) -> Option<&'a str> {
    let start = tail.find(key)? + key.len();
    let len = tail[start..].find('"').unwrap_or(tail.len() - start);
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

/// Levels that fail a phase unless a scenario expects them.
pub const SEVERE: [&str; 3] = ["crit", "alert", "emerg"];

/// The error log of one phase, condensed for results and reports.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct LogSummary {
    pub by_level: BTreeMap<String, u64>,
    /// Distinct messages, most frequent first, at most [`MAX_GROUPS`].
    pub messages: Vec<LogMessage>,
}

/// One distinct message and how often it appeared.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct LogMessage {
    pub level: String,
    pub message: String,
    pub count: u64,
    /// One full line as nginx wrote it.
    pub example: String,
}

impl LogMessage {
    /// One of nginx's routine start/reload/stop notices ([`is_lifecycle_notice`]).
    pub fn is_lifecycle_notice(&self) -> bool {
        is_lifecycle_notice(&self.level, &self.message)
    }
}

impl LogSummary {
    /// The messages a report shows people: all but nginx's lifecycle notices, most frequent
    /// first; and how many lines those notices were (the raw error.log keeps them).
    pub fn for_people(&self) -> (Vec<&LogMessage>, u64) {
        let (notices, shown): (Vec<&LogMessage>, Vec<&LogMessage>) =
            self.messages.iter().partition(|m| m.is_lifecycle_notice());
        (shown, notices.iter().map(|m| m.count).sum())
    }
}

/// How many distinct messages a summary keeps.
pub const MAX_GROUPS: usize = 40;

/// Summarise parsed lines.
pub fn summarize(lines: &[LogLine]) -> LogSummary {
    let mut by_level = BTreeMap::new();
    let mut groups: BTreeMap<(String, String), (u64, String)> = BTreeMap::new();
    for line in lines {
        *by_level.entry(line.level.clone()).or_insert(0) += 1;
        let key = (line.level.clone(), normalize(&line.text));
        groups.entry(key).or_insert((0, line.text.clone())).0 += 1;
    }
    let mut messages: Vec<LogMessage> = groups
        .into_iter()
        .map(|((level, message), (count, example))| LogMessage {
            level,
            message,
            count,
            example,
        })
        .collect();
    // Lifecycle notices sort last, so the cut to MAX_GROUPS never drops a traffic message.
    messages.sort_by(|a, b| {
        (a.is_lifecycle_notice(), b.count)
            .cmp(&(b.is_lifecycle_notice(), a.count))
            .then_with(|| a.message.cmp(&b.message))
    });
    messages.truncate(MAX_GROUPS);
    LogSummary { by_level, messages }
}

/// The message without time, pid, connection id and per-request context, loopback ports
/// masked; a line that is not nginx's is taken as the message.
pub fn normalize(line: &str) -> String {
    strip_numbers_in_addresses(split(line).map_or(line, |l| l.message))
}

/// Ports and pids vary between runs: `127.0.0.1:41234` becomes `127.0.0.1:PORT`.
fn strip_numbers_in_addresses(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(i) = rest.find("127.0.0.1:") {
        let (head, tail) = rest.split_at(i + "127.0.0.1:".len());
        out.push_str(head);
        let digits = tail.chars().take_while(char::is_ascii_digit).count();
        out.push_str(if digits > 0 { "PORT" } else { "" });
        rest = &tail[digits..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "\
2026/11/26 15:42:18 [notice] 10#10: using the \"epoll\" event method
2026/11/26 15:42:18 [error] 11#11: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: badgateway, request: \"GET / HTTP/1.1\", upstream: \"http://127.0.0.1:40001/\", host: \"x\"
2026/11/26 15:42:18 [error] 11#11: *3 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: badgateway, request: \"GET / HTTP/1.1\", upstream: \"http://127.0.0.1:40001/\", host: \"x\"
2026/11/26 15:42:19 [alert] 11#11: 2 worker_connections are not enough
not a log line
";

    #[test]
    fn lines_are_parsed_with_their_level() {
        let lines = parse(LOG);
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[1].level, "error");
        assert_eq!(lines[3].level, "alert");
    }

    #[test]
    fn messages_group_without_per_request_context() {
        let summary = summarize(&parse(LOG));
        assert_eq!(summary.by_level["error"], 2);
        let top = &summary.messages[0];
        assert_eq!(top.count, 2);
        assert_eq!(
            top.message,
            "connect() failed (111: Connection refused) while connecting to upstream"
        );
        assert!(top.example.contains("client: 127.0.0.1"));
        let (shown, hidden) = summary.for_people();
        assert_eq!(hidden, 1, "the epoll notice");
        assert_eq!(shown.len(), 2);
        assert!(summary.messages.last().unwrap().is_lifecycle_notice());
    }

    #[test]
    fn ports_are_masked() {
        assert_eq!(
            strip_numbers_in_addresses("upstream 127.0.0.1:4321 and 127.0.0.1:"),
            "upstream 127.0.0.1:PORT and 127.0.0.1:"
        );
    }

    const LINE: &str = "2026/11/26 15:42:18 [error] 11#11: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: x, request: \"POST /api HTTP/1.1\", upstream: \"http://127.0.0.1:40001/api\", host: \"x\"";

    #[test]
    fn a_line_is_split_into_its_parts() {
        let l = split(LINE).unwrap();
        assert_eq!(l.time, "2026/11/26 15:42:18");
        assert_eq!(l.level, "error");
        assert_eq!(l.connection, Some(1));
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
}
