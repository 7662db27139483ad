//! Reading nginx's error.log: each line's level, and a summary grouped by message.
//!
//! nginx lines look like `2026/11/26 15:42:18 [error] 12#12: *5 connect() failed (111: ...)
//! while connecting to upstream, client: ..., upstream: "http://127.0.0.1:1234/"`. Grouping
//! strips the time, pid, connection number and the per-request context so one cause is one row.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One error.log entry.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    pub level: String,
    pub text: String,
}

/// Parse every line that carries an nginx level tag.
pub fn parse(log: &str) -> Vec<LogLine> {
    log.lines()
        .filter_map(|line| {
            let start = line.find(" [")? + 2;
            let end = start + line[start..].find(']')?;
            let level = &line[start..end];
            LEVELS.contains(&level).then(|| LogLine {
                level: level.to_string(),
                text: line.to_string(),
            })
        })
        .collect()
}

const LEVELS: [&str; 8] = [
    "debug", "info", "notice", "warn", "error", "crit", "alert", "emerg",
];

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
    messages.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.message.cmp(&b.message))
    });
    messages.truncate(MAX_GROUPS);
    LogSummary { by_level, messages }
}

/// The message without time, pid, connection id and per-request context.
pub fn normalize(line: &str) -> String {
    let after_level = line.split_once("] ").map_or(line, |(_, rest)| rest);
    let after_pid = after_level
        .split_once(": ")
        .filter(|(pid, _)| pid.contains('#'))
        .map_or(after_level, |(_, rest)| rest);
    let after_conn = match after_pid.strip_prefix('*') {
        Some(rest) => rest.split_once(' ').map_or(rest, |(_, msg)| msg),
        None => after_pid,
    };
    let message = after_conn.split(", client: ").next().unwrap_or(after_conn);
    strip_numbers_in_addresses(message)
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
    }

    #[test]
    fn ports_are_masked() {
        assert_eq!(
            strip_numbers_in_addresses("upstream 127.0.0.1:4321 and 127.0.0.1:"),
            "upstream 127.0.0.1:PORT and 127.0.0.1:"
        );
    }
}
