//! Every catalogue message pattern, hand-written as nginx 1.22 writes it, maps to its cause
//! and its scenario.

use std::path::Path;

use super::*;

fn catalogue() -> Catalogue {
    Catalogue::load(&[Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios")]).unwrap()
}

fn line(level: &str, message: &str, method: &str) -> String {
    format!(
        "2026/11/26 15:42:18 [{level}] 11#11: *7 {message}, client: 127.0.0.1, server: x, \
         request: \"{method} /a HTTP/1.1\", upstream: \"http://127.0.0.1:9000/a\", host: \"x\""
    )
}

/// (level, message, kind, phase, errno, scenario offered first)
type Case = (
    &'static str,
    &'static str,
    CauseKind,
    ProxyStep,
    Option<u16>,
    &'static str,
);

const CASES: &[Case] = {
    use CauseKind as K;
    use ProxyStep as P;
    &[
        (
            "error",
            "connect() failed (111: Connection refused) while connecting to upstream",
            K::ConnectFailed,
            P::Connecting,
            Some(111),
            "upstream-down",
        ),
        (
            "error",
            "upstream timed out (110: Connection timed out) while connecting to upstream",
            K::TimedOut,
            P::Connecting,
            Some(110),
            "slow-accept",
        ),
        (
            "crit",
            "connect() to unix:/run/php/php-fpm.sock failed (2: No such file or directory) while connecting to upstream",
            K::ConnectFailed,
            P::Connecting,
            Some(2),
            "php-fpm-socket-missing",
        ),
        (
            "crit",
            "connect() to unix:/run/app.sock failed (13: Permission denied) while connecting to upstream",
            K::ConnectFailed,
            P::Connecting,
            Some(13),
            "socket-permission",
        ),
        (
            "error",
            "connect() to unix:/run/app.sock failed (11: Resource temporarily unavailable) while connecting to upstream",
            K::ConnectFailed,
            P::Connecting,
            Some(11),
            "php-fpm-backlog-full",
        ),
        (
            "crit",
            "connect() to 10.0.0.1:80 failed (99: Cannot assign requested address) while connecting to upstream",
            K::ConnectFailed,
            P::Connecting,
            Some(99),
            "keepalive-budget",
        ),
        (
            "error",
            "upstream prematurely closed connection while reading response header from upstream",
            K::PrematurelyClosed,
            P::ReadingResponseHeader,
            None,
            "upstream-crash",
        ),
        (
            "error",
            "upstream prematurely closed connection while reading upstream",
            K::PrematurelyClosed,
            P::ReadingBody,
            None,
            "close-mid-body",
        ),
        (
            "error",
            "recv() failed (104: Connection reset by peer) while reading response header from upstream",
            K::RecvFailed,
            P::ReadingResponseHeader,
            Some(104),
            "upstream-reset",
        ),
        (
            "error",
            "upstream sent too big header while reading response header from upstream",
            K::TooBigHeader,
            P::ReadingResponseHeader,
            None,
            "big-headers",
        ),
        (
            "error",
            "upstream sent invalid header: \"X-Bad\\x20...\" while reading response header from upstream",
            K::InvalidHeader,
            P::ReadingResponseHeader,
            None,
            "invalid-header",
        ),
        (
            "error",
            "upstream sent no valid HTTP/1.0 header while reading response header from upstream",
            K::NoValidHeader,
            P::ReadingResponseHeader,
            None,
            "garbage-response",
        ),
        (
            "error",
            "no live upstreams while connecting to upstream",
            K::NoLiveUpstreams,
            P::Connecting,
            None,
            "no-live-upstreams",
        ),
        (
            "alert",
            "9 worker_connections are not enough while connecting to upstream",
            K::WorkerConnections,
            P::Connecting,
            None,
            "worker-connections",
        ),
        (
            "warn",
            "9 worker_connections are not enough, reusing connections",
            K::WorkerConnections,
            P::Unspecified,
            None,
            "worker-connections",
        ),
        (
            "error",
            "upstream timed out (110: Connection timed out) while reading response header from upstream",
            K::TimedOut,
            P::ReadingResponseHeader,
            Some(110),
            "upstream-stall",
        ),
        (
            "error",
            "upstream timed out (110: Connection timed out) while sending request to upstream",
            K::TimedOut,
            P::SendingRequest,
            Some(110),
            "request-buffering",
        ),
        (
            "error",
            "upstream timed out (110: Connection timed out) while reading upstream",
            K::TimedOut,
            P::ReadingBody,
            Some(110),
            "stall-mid-body",
        ),
        (
            "warn",
            "upstream server temporarily disabled while reading response header from upstream",
            K::ServerDisabled,
            P::ReadingResponseHeader,
            None,
            "no-live-upstreams",
        ),
    ]
};

#[test]
fn every_pattern_maps_to_its_cause_and_scenario() {
    let catalogue = catalogue();
    for (level, message, kind, phase, errno, scenario) in CASES {
        let mut a = Analyzer::default();
        a.feed(&line(level, message, "POST"));
        a.feed(&line(level, message, "GET"));
        let d = a.finish(&catalogue);
        assert_eq!(d.causes.len(), 1, "{message}");
        let c = &d.causes[0];
        assert_eq!(
            (c.cause.kind, c.cause.phase, c.cause.errno),
            (*kind, *phase, *errno),
            "{message}"
        );
        assert_eq!(c.count, 2);
        assert_eq!(c.methods.get("POST"), Some(&1), "{message}");
        assert_eq!(c.upstreams.get("http://127.0.0.1:9000"), Some(&2));
        let first = c
            .advice
            .first()
            .unwrap_or_else(|| panic!("no advice for {message}"));
        assert_eq!(&first.scenario, scenario, "{message}");
        assert!(first.command.ends_with(".yaml"), "{}", first.command);
    }
}

#[test]
fn unknown_and_other_lines_are_counted_not_dropped() {
    let mut a = Analyzer::default();
    a.feed("this is not nginx");
    a.feed("");
    a.feed("2026/11/26 15:42:18 [notice] 10#10: using the \"epoll\" event method");
    a.feed("2026/11/26 15:42:18 [notice] 10#10: using the \"epoll\" event method");
    let d = a.finish(&Catalogue::default());
    assert_eq!((d.lines, d.nginx_lines, d.unknown_lines), (4, 2, 1));
    assert_eq!(d.unknown_example.as_deref(), Some("this is not nginx"));
    assert_eq!(d.other.len(), 1);
    assert_eq!(d.other[0].count, 2);
}

#[test]
fn memory_is_bounded_per_cause() {
    let mut a = Analyzer::default();
    for port in 0..1000 {
        a.feed(
            &line(
                "error",
                "connect() failed (111: Connection refused) while connecting to upstream",
                "GET",
            )
            .replace("9000", &port.to_string()),
        );
    }
    let d = a.finish(&Catalogue::default());
    let c = &d.causes[0];
    assert_eq!(c.count, 1000);
    assert_eq!(c.upstreams.len(), MAX_KEYS + 1);
    assert_eq!(c.upstreams["other"], 1000 - MAX_KEYS as u64);
    assert_eq!(c.first, "2026/11/26 15:42:18");
}

#[test]
fn gzip_and_plain_files_read_alike() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{}\n",
        line(
            "error",
            "no live upstreams while connecting to upstream",
            "GET"
        )
    );
    let plain = dir.path().join("error.log");
    std::fs::write(&plain, &text).unwrap();
    let gz = dir.path().join("error.log.1.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    enc.write_all(text.as_bytes()).unwrap();
    enc.finish().unwrap();
    let sources = vec![open(&plain).unwrap(), open(&gz).unwrap()];
    let d = analyze(sources, &Catalogue::default()).unwrap();
    assert_eq!(d.causes[0].count, 2);
}

#[test]
fn a_huge_line_is_read_only_up_to_the_limit_and_counted() {
    let line = "2026/11/26 15:42:18 [error] 11#11: *1 upstream sent too big header while reading \
                response header from upstream, client: 127.0.0.1";
    let huge = format!("{line}{}\n{line}\n", "x".repeat(3 * MAX_LINE));
    let source = Source {
        name: "huge".into(),
        reader: Box::new(std::io::Cursor::new(huge.into_bytes())),
    };
    let d = analyze(vec![source], &catalogue()).unwrap();
    assert_eq!((d.lines, d.cut_lines), (2, 1));
    assert_eq!(d.causes.len(), 1);
    assert_eq!(d.causes[0].count, 2);
    assert!(d.causes[0].example.len() <= MAX_EXAMPLE + 3);
}
