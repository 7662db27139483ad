//! The error.log as the demo shows it: new lines read as nginx writes them, nginx's own
//! start/stop/reload `[notice]` lines left out, the rest grouped by message (per-request
//! context and loopback ports stripped, as [`errorlog::normalize`] does for reports) with a
//! count, in the order each message first appeared.

use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;

use crate::errorlog;

/// Fragments of nginx's own lifecycle notices (start, workers, signals, reload, exit).
const LIFECYCLE: [&str; 16] = [
    "using the \"",
    "nginx/",
    "built by ",
    "OS: ",
    "getrlimit(",
    "start worker process",
    "signal ",
    "reconfiguring",
    "gracefully shutting down",
    "exiting",
    "exit",
    "worker process ",
    "start cache ",
    "cache manager process",
    "cache loader process",
    "configuration file ",
];

/// Whether `line` is one of nginx's own start/stop/reload notices.
pub fn is_lifecycle_notice(line: &errorlog::Line<'_>) -> bool {
    line.level == "notice" && LIFECYCLE.iter().any(|f| line.message.starts_with(f))
}

/// Whether the demo shows `line`: an nginx error.log line that is not a lifecycle notice.
pub fn shown(line: &str) -> bool {
    errorlog::split(line).is_some_and(|parts| !is_lifecycle_notice(&parts))
}

/// One message and how often it appeared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub level: String,
    pub message: String,
    pub count: u64,
}

/// Groups of lines, first seen first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Groups(pub Vec<Group>);

impl Groups {
    /// Add one error.log line; lifecycle notices and non-nginx lines are ignored. Returns
    /// whether it started a new group.
    pub fn add(&mut self, line: &str) -> bool {
        let Some(parts) = errorlog::split(line) else {
            return false;
        };
        if is_lifecycle_notice(&parts) {
            return false;
        }
        let message = errorlog::normalize(line);
        match self
            .0
            .iter_mut()
            .find(|g| g.level == parts.level && g.message == message)
        {
            Some(g) => {
                g.count += 1;
                false
            }
            None => {
                self.0.push(Group {
                    level: parts.level.to_string(),
                    message,
                    count: 1,
                });
                true
            }
        }
    }
}

/// Follows one error.log from where it ended when the follower was made.
#[derive(Debug)]
pub struct Follower {
    path: PathBuf,
    offset: u64,
    /// A last line nginx has not finished writing yet.
    partial: Vec<u8>,
}

impl Follower {
    /// Start at the current end of `path` (nothing written before counts).
    pub fn at_end(path: PathBuf) -> Follower {
        let offset = std::fs::metadata(&path).map_or(0, |m| m.len());
        Follower {
            path,
            offset,
            partial: Vec::new(),
        }
    }

    /// Complete lines written since the last call.
    pub fn new_lines(&mut self) -> Vec<String> {
        let Ok(mut file) = std::fs::File::open(&self.path) else {
            return Vec::new();
        };
        let start = self.partial.len();
        let read = file
            .seek(SeekFrom::Start(self.offset))
            .and_then(|_| file.read_to_end(&mut self.partial));
        let Ok(read) = read else {
            self.partial.truncate(start);
            return Vec::new();
        };
        self.offset += read as u64;
        let Some(end) = self.partial.iter().rposition(|b| *b == b'\n') else {
            return Vec::new();
        };
        let done: Vec<u8> = self.partial.drain(..=end).collect();
        String::from_utf8_lossy(&done)
            .lines()
            .map(str::to_string)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "\
2026/12/07 20:00:00 [notice] 10#10: using the \"epoll\" event method
2026/12/07 20:00:00 [notice] 10#10: nginx/1.22.1
2026/12/07 20:00:00 [notice] 10#10: start worker processes
2026/12/07 20:00:00 [notice] 10#10: start worker process 11
2026/12/07 20:00:01 [error] 11#11: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: badgateway, request: \"GET / HTTP/1.1\", upstream: \"http://127.0.0.1:40001/\", host: \"x\"
2026/12/07 20:00:01 [error] 11#11: *3 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: badgateway, request: \"GET / HTTP/1.1\", upstream: \"http://127.0.0.1:40002/\", host: \"x\"
2026/12/07 20:00:02 [notice] 10#10: signal 1 (SIGHUP) received from 99, reconfiguring
2026/12/07 20:00:02 [notice] 10#10: reconfiguring
2026/12/07 20:00:02 [notice] 12#12: gracefully shutting down
2026/12/07 20:00:02 [notice] 12#12: exiting
2026/12/07 20:00:02 [notice] 12#12: exit
2026/12/07 20:00:02 [notice] 10#10: worker process 12 exited with code 0
2026/12/07 20:00:03 [warn] 13#13: *9 upstream server temporarily disabled while connecting to upstream, client: 127.0.0.1
";

    #[test]
    fn lifecycle_notices_are_left_out_and_the_rest_grouped_with_counts() {
        let mut groups = Groups::default();
        let new: Vec<bool> = LOG.lines().map(|l| groups.add(l)).collect();
        assert_eq!(new.iter().filter(|n| **n).count(), 2);
        assert_eq!(groups.0.len(), 2);
        assert_eq!(groups.0[0].level, "error");
        assert_eq!(groups.0[0].count, 2);
        assert_eq!(
            groups.0[0].message,
            "connect() failed (111: Connection refused) while connecting to upstream"
        );
        assert_eq!(groups.0[1].level, "warn");
        assert!(!groups.add("not an nginx line"));
        let shown_lines: Vec<&str> = LOG.lines().filter(|l| shown(l)).collect();
        assert_eq!(shown_lines.len(), 3);
    }

    #[test]
    fn the_follower_returns_only_new_complete_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("error.log");
        std::fs::write(&path, "old line\n").unwrap();
        let mut f = Follower::at_end(path.clone());
        assert!(f.new_lines().is_empty());
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        std::io::Write::write_all(&mut file, b"one\ntw").unwrap();
        assert_eq!(f.new_lines(), ["one"]);
        std::io::Write::write_all(&mut file, b"o\n").unwrap();
        assert_eq!(f.new_lines(), ["two"]);
    }
}
