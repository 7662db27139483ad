//! nginx's own start, reload and stop notices: the `[notice]` lines every nginx writes around
//! a run (`using the "epoll" event method`, `nginx/1.26.3`, `start worker process 12`,
//! `gracefully shutting down`, `worker process 12 exited with code 0`, ...). They say nothing
//! about the traffic, so the summaries people read leave them out; the raw error.log keeps
//! them. Measured on nginx 1.22.1, 1.26.3 and 1.30.6 (start, `-s reload`, `-s quit`: the same
//! lines in all three, `built by` only where the build says so); the cache-process and
//! binary-upgrade forms are nginx's own wording from `ngx_process_cycle.c`.
//! A worker that exits with a non-zero code or on a signal is not routine and is never hidden
//! (nginx logs a crash at `[alert]`, which this never matches either).

/// Messages that are routine whatever follows them (`nginx/1.30.6`, `OS: Linux 6.1`, ...).
const PREFIXES: [&str; 17] = [
    "using the \"",
    "nginx/",
    "built by ",
    "built with ",
    "run-time ",
    "OS: ",
    "getrlimit(RLIMIT_NOFILE): ",
    "start worker process",
    "start cache manager process",
    "start cache loader process",
    "signal process started",
    "using inherited sockets from ",
    "TLS SNI support enabled",
    "reconfiguring",
    "reopening logs",
    "start new binary process",
    "changing binary",
];

/// Messages routine only exactly as written.
const WHOLE: [&str; 4] = [
    "gracefully shutting down",
    "exiting",
    "exit",
    "shutting down",
];

/// Whether an error.log entry of this level and message (as [`super::split`] or
/// [`super::normalize`] gives it) is one of nginx's routine lifecycle notices.
pub fn is_lifecycle_notice(level: &str, message: &str) -> bool {
    if level != "notice" {
        return false;
    }
    let message = message.trim();
    WHOLE.contains(&message)
        || PREFIXES.iter().any(|p| message.starts_with(p))
        || routine_signal(message)
        || clean_exit(message)
}

/// `signal 3 (SIGQUIT) received from 42, shutting down`, `signal 17 (SIGCHLD) received from
/// 43`, `signal 1 (SIGHUP) received, reconfiguring`: the master's own signal handling.
fn routine_signal(message: &str) -> bool {
    message.strip_prefix("signal ").is_some_and(|rest| {
        [
            "(SIGQUIT)",
            "(SIGCHLD)",
            "(SIGHUP)",
            "(SIGTERM)",
            "(SIGUSR1)",
            "(SIGWINCH)",
            "(SIGIO)",
        ]
        .iter()
        .any(|name| rest.contains(name) && rest.contains(" received"))
    })
}

/// `worker process 42 exited with code 0` (or a cache process's): a clean exit, not a crash.
fn clean_exit(message: &str) -> bool {
    message.ends_with(" exited with code 0")
        && [
            "worker process ",
            "cache manager process ",
            "cache loader process ",
        ]
        .iter()
        .any(|p| message.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errorlog::split;

    /// The notices nginx 1.30.6 wrote around one phase (start, one request, `-s quit`),
    /// verbatim, and the lines of the same phase that must stay.
    const MEASURED: &str = "\
2026/12/07 20:56:04 [notice] 100#100: using the \"epoll\" event method
2026/12/07 20:56:04 [notice] 100#100: nginx/1.30.6
2026/12/07 20:56:04 [notice] 100#100: built by gcc 16.2.0 (Debian 16.2.0-3)
2026/12/07 20:56:04 [notice] 100#100: OS: Linux 6.18.44
2026/12/07 20:56:04 [notice] 100#100: getrlimit(RLIMIT_NOFILE): 1024:524288
2026/12/07 20:56:04 [notice] 101#101: start worker processes
2026/12/07 20:56:04 [notice] 101#101: start worker process 102
2026/12/07 20:56:04 [notice] 103#103: signal process started
2026/12/07 20:56:04 [notice] 101#101: signal 1 (SIGHUP) received from 103, reconfiguring
2026/12/07 20:56:04 [notice] 101#101: reconfiguring
2026/12/07 20:56:04 [notice] 101#101: signal 29 (SIGIO) received
2026/12/07 20:56:04 [notice] 101#101: signal 3 (SIGQUIT) received from 104, shutting down
2026/12/07 20:56:04 [notice] 102#102: gracefully shutting down
2026/12/07 20:56:04 [notice] 102#102: exiting
2026/12/07 20:56:04 [notice] 102#102: exit
2026/12/07 20:56:04 [notice] 101#101: signal 17 (SIGCHLD) received from 102
2026/12/07 20:56:04 [notice] 101#101: worker process 102 exited with code 0
2026/12/07 20:56:04 [notice] 101#101: exit";

    #[test]
    fn start_and_stop_notices_are_routine() {
        for line in MEASURED.lines() {
            let l = split(line).unwrap();
            assert!(is_lifecycle_notice(l.level, l.message), "{line}");
        }
    }

    #[test]
    fn traffic_crashes_and_other_levels_stay() {
        for (level, message) in [
            (
                "error",
                "connect() failed (111: Connection refused) while connecting to upstream",
            ),
            (
                "warn",
                "upstream server temporarily disabled while connecting to upstream",
            ),
            ("notice", "worker process 102 exited with code 2"),
            ("alert", "worker process 102 exited on signal 9"),
            ("notice", "signal 9 (SIGKILL) received from 1"),
            ("info", "client 127.0.0.1 closed keepalive connection"),
            ("notice", "*5 \"^/old\" matches \"/old\""),
            ("error", "exit"),
        ] {
            assert!(!is_lifecycle_notice(level, message), "[{level}] {message}");
        }
    }
}
