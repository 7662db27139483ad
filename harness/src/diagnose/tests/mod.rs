//! The analyzer's accounting: what the client got per cause, undated, binary, foreign and
//! huge lines, bounded memory, gzip. The cause table of every known message is [`patterns`].

mod patterns;

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

/// What the client got, per cause: from nginx's source and real nginx 1.22.1 (see `fix`).
#[test]
fn each_cause_says_what_the_client_got() {
    let client_of = |message: &str| {
        let mut a = Analyzer::default();
        a.feed(&line("error", message, "GET"));
        a.finish(&Catalogue::default()).causes[0].client
    };
    let status = ClientSees::Status;
    for (message, want) in [
        (
            "connect() failed (111: Connection refused) while connecting to upstream",
            status(502),
        ),
        (
            "upstream timed out (110: Connection timed out) while reading response header from upstream",
            status(504),
        ),
        (
            "upstream timed out (110: Connection timed out) while reading upstream",
            ClientSees::Truncated,
        ),
        (
            "FastCGI sent in stderr: \"Primary script unknown\" while reading response header from upstream",
            status(404),
        ),
        (
            "host not found in upstream \"app:80\" in /etc/nginx/nginx.conf:9",
            ClientSees::NginxNotStarted,
        ),
        (
            "SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number) while SSL handshaking to upstream",
            status(502),
        ),
        (
            "open() \"/var/lib/nginx/proxy/1/00/0000000001\" failed (13: Permission denied) while reading upstream",
            ClientSees::Truncated,
        ),
        (
            "upstream sent no valid HTTP/1.0 header while reading response header from upstream",
            ClientSees::Http09,
        ),
    ] {
        assert_eq!(client_of(message), want, "{message}");
    }
    let v6 = line(
        "error",
        "connect() failed (111: Connection refused) while connecting to upstream",
        "GET",
    )
    .replace("127.0.0.1:9000", "[::1]:9000");
    let mut a = Analyzer::default();
    a.feed(&v6);
    let d = a.finish(&catalogue());
    assert_eq!(d.causes[0].cause.kind, CauseKind::Ipv6LoopbackRefused);
    assert_eq!(d.causes[0].client, ClientSees::NextServer);
    assert!(
        d.causes[0].advice.is_empty(),
        "not upstream-down: {:?}",
        d.causes[0].advice
    );
}

#[test]
fn an_undated_line_counts_only_when_recognisably_nginx() {
    let mut a = Analyzer::default();
    a.feed("[notice] 1#1: using the \"epoll\" event method");
    a.feed("upstream timed out (110: Connection timed out) while connecting to upstream");
    a.feed("nothing to do with nginx");
    a.feed("web-1  | just some application output");
    let d = a.finish(&Catalogue::default());
    assert_eq!((d.nginx_lines, d.undated_lines, d.unknown_lines), (2, 2, 2));
    assert_eq!(d.by_level.get("notice"), Some(&1));
    assert_eq!(d.causes[0].cause.kind, CauseKind::TimedOut);
    assert!(d.causes[0].first.is_empty() && d.causes[0].level.is_empty());
}

#[test]
fn binary_lines_are_counted_apart() {
    let mut a = Analyzer::default();
    a.feed("\0\0\0\u{1}PK");
    a.feed(&line(
        "error",
        "no live upstreams while connecting to upstream",
        "GET",
    ));
    let d = a.finish(&Catalogue::default());
    assert_eq!((d.binary_lines, d.unknown_lines, d.nginx_lines), (1, 1, 1));
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
