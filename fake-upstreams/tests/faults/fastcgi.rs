//! The FastCGI faults spoken to as nginx speaks to them (records over TCP and unix sockets):
//! what comes back on STDOUT, STDERR and END_REQUEST, when the connection closes, and what
//! the counters record.

use crate::common;
use common::*;
use fake_upstreams::body;
use fake_upstreams::fastcgi::{self, ROLE_AUTHORIZER, RecordType, UNKNOWN_ROLE};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::UnixStream;

const SCRIPT: &str = "/var/www/html/index.php";

fn params(script: Option<&str>) -> Vec<(&str, &str)> {
    let mut p = vec![
        ("REQUEST_METHOD", "GET"),
        ("REQUEST_URI", "/index.php"),
        ("HTTP_X_BADGATEWAY_REQUEST", "7"),
    ];
    p.extend(script.map(|s| ("SCRIPT_FILENAME", s)));
    p
}

/// Send one request (no FCGI_KEEP_CONN) and read until the server closes.
async fn one<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut S, script: Option<&str>) -> Vec<u8> {
    let req = fastcgi::encode_request(false, &params(script), b"hello");
    bounded(stream.write_all(&req)).await.unwrap();
    let mut out = Vec::new();
    bounded(stream.read_to_end(&mut out)).await.unwrap();
    out
}

/// STDOUT and STDERR concatenated, and the END_REQUEST content if any.
fn streams(bytes: &[u8]) -> (Vec<u8>, Vec<u8>, Option<Vec<u8>>) {
    let (mut out, mut err, mut end) = (Vec::new(), Vec::new(), None);
    for (kind, content) in fastcgi::parse_records(bytes) {
        match kind {
            RecordType::Stdout => out.extend(content),
            RecordType::Stderr => err.extend(content),
            RecordType::EndRequest => end = Some(content),
            _ => {}
        }
    }
    (out, err, end)
}

/// The CGI head's header lines and the body after it.
fn cgi(stdout: &[u8]) -> (String, Vec<u8>) {
    let at = stdout
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a CGI head");
    let head = String::from_utf8(stdout[..at].to_vec()).unwrap();
    (head, stdout[at + 4..].to_vec())
}

fn digest_of(head: &str) -> &str {
    let line = head
        .lines()
        .find(|l| l.starts_with(body::DIGEST_HEADER))
        .unwrap();
    line.split_once(": ").unwrap().1
}

#[tokio::test]
async fn healthy_answers_a_known_script_with_the_digest_body_over_tcp_and_unix() {
    let dir = socket_dir();
    for listen in ["tcp", "unix"] {
        let spec = format!("{{ kind: fastcgi_healthy, body_size: 3000, listen: {listen} }}");
        let server = start_spec(&spec, dir.path(), listen, 1).await;
        let answer = match listen {
            "tcp" => one(&mut connect(&server).await, Some(SCRIPT)).await,
            _ => {
                one(
                    &mut UnixStream::connect(unix_path(&server)).await.unwrap(),
                    Some(SCRIPT),
                )
                .await
            }
        };
        let (stdout, stderr, end) = streams(&answer);
        let (head, payload) = cgi(&stdout);
        assert!(head.starts_with("Status: 200 OK"), "{head}");
        assert_eq!(payload.len(), 3000);
        assert_eq!(digest_of(&head), body::digest(&payload));
        assert!(stderr.is_empty());
        assert_eq!(end.unwrap()[4], 0, "FCGI_REQUEST_COMPLETE");
        let received = &server.counters().received;
        assert_eq!(received.len(), 1);
        let r = &received[0];
        assert_eq!((r.method.as_str(), r.path.as_str()), ("GET", "/index.php"));
        assert_eq!(r.http_version, "FastCGI/1");
        assert_eq!(r.connection.as_deref(), Some("close"));
        assert_eq!(
            (r.id, r.script_filename.as_deref()),
            (Some(7), Some(SCRIPT))
        );
        assert_eq!(r.fault, "fastcgi_healthy");
    }
}

#[tokio::test]
async fn an_unknown_script_is_primary_script_unknown_and_404() {
    let dir = socket_dir();
    let server = start_spec("{ kind: fastcgi_healthy }", dir.path(), "h", 1).await;
    for script in [
        None,
        Some("/scripts/index.php"),
        Some("index.php"),
        Some("/var/www/htmlx/a.php"),
    ] {
        let (stdout, stderr, end) = streams(&one(&mut connect(&server).await, script).await);
        assert_eq!(stderr, b"Primary script unknown", "{script:?}");
        let (head, payload) = cgi(&stdout);
        assert!(head.starts_with("Status: 404"), "{head}");
        assert_eq!(payload, b"File not found.\n");
        assert!(end.is_some());
    }
}

#[tokio::test]
async fn keep_conn_serves_several_requests_on_one_connection() {
    let dir = socket_dir();
    let server = start_spec("{ kind: fastcgi_healthy }", dir.path(), "k", 1).await;
    let mut stream = connect(&server).await;
    for _ in 0..3 {
        let req = fastcgi::encode_request(true, &params(Some(SCRIPT)), b"");
        bounded(stream.write_all(&req)).await.unwrap();
        let mut got = Vec::new();
        while !fastcgi::parse_records(&got)
            .iter()
            .any(|(k, _)| *k == RecordType::EndRequest)
        {
            let mut buf = [0; 4096];
            let n = bounded(stream.read(&mut buf)).await.unwrap();
            assert!(n > 0, "closed while keep_conn was asked");
            got.extend_from_slice(&buf[..n]);
        }
        assert!(cgi(&streams(&got).0).0.starts_with("Status: 200"));
    }
    let counters = server.counters();
    assert_eq!((counters.connections, counters.requests), (1, 3));
    assert!(
        counters
            .received
            .iter()
            .all(|r| r.connection.as_deref() == Some("keep-alive"))
    );
}

#[tokio::test]
async fn another_role_gets_unknown_role_and_no_output() {
    let dir = socket_dir();
    let server = start_spec("{ kind: fastcgi_healthy }", dir.path(), "r", 1).await;
    let mut stream = connect(&server).await;
    let req = fastcgi::encode_request_as(ROLE_AUTHORIZER, 0, &params(Some(SCRIPT)), b"");
    bounded(stream.write_all(&req)).await.unwrap();
    let (stdout, stderr, end) = streams(&read_to_end(&mut stream).await);
    assert!(stdout.is_empty() && stderr.is_empty());
    assert_eq!(end.unwrap()[4], UNKNOWN_ROLE);
}

#[tokio::test]
async fn an_http_request_is_reset_like_php_fpm_does() {
    let server = start(yaml_fault("{ kind: fastcgi_healthy }")).await;
    let mut stream = connect(&server).await;
    send_request(&mut stream).await;
    let mut out = Vec::new();
    let err = bounded(stream.read_to_end(&mut out)).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset);
    assert!(out.is_empty());
}

fn yaml_fault(text: &str) -> fake_upstreams::Fault {
    serde_saphyr::from_str(text).unwrap()
}

#[tokio::test]
async fn the_pool_queues_beyond_max_children_on_a_unix_socket() {
    let dir = socket_dir();
    let spec = "{ kind: fastcgi_pool, max_children: 1, hold: 300ms, listen: unix }";
    let server = start_spec(spec, dir.path(), "pool", 1).await;
    let path = unix_path(&server);
    let started = Instant::now();
    let (a, b) = tokio::join!(
        async { one(&mut UnixStream::connect(&path).await.unwrap(), Some(SCRIPT)).await },
        async { one(&mut UnixStream::connect(&path).await.unwrap(), Some(SCRIPT)).await },
    );
    assert!(
        started.elapsed() >= Duration::from_millis(600),
        "{:?}",
        started.elapsed()
    );
    for answer in [a, b] {
        assert!(cgi(&streams(&answer).0).0.starts_with("Status: 200"));
    }
    assert_eq!(server.counters().fired, 1, "one connection had to queue");
}

#[tokio::test]
async fn big_headers_send_a_head_of_header_size_and_fire() {
    let server = start(yaml_fault("{ kind: fastcgi_big_headers, header_size: 9k }")).await;
    let (stdout, _, end) = streams(&one(&mut connect(&server).await, Some(SCRIPT)).await);
    let (head, payload) = cgi(&stdout);
    assert!(head.len() >= 9 * 1024, "{}", head.len());
    assert_eq!(digest_of(&head), body::digest(&payload));
    assert!(end.is_some());
    assert_eq!(server.counters().fired, 1);
}

#[tokio::test]
async fn stderr_comes_with_a_complete_answer() {
    let server = start(yaml_fault("{ kind: fastcgi_stderr, message: boom }")).await;
    let (stdout, stderr, end) = streams(&one(&mut connect(&server).await, Some(SCRIPT)).await);
    assert_eq!(stderr, b"boom");
    let (head, payload) = cgi(&stdout);
    assert_eq!(digest_of(&head), body::digest(&payload));
    assert!(end.is_some());
    assert_eq!(server.counters().fired, 1);
}

#[tokio::test]
async fn a_killed_child_closes_before_or_mid_body_without_end_request() {
    let server = start(yaml_fault("{ kind: fastcgi_killed }")).await;
    assert!(
        one(&mut connect(&server).await, Some(SCRIPT))
            .await
            .is_empty()
    );
    let spec = "{ kind: fastcgi_killed, at: mid_body, after: 100, body_size: 1k }";
    let server = start(yaml_fault(spec)).await;
    let (stdout, _, end) = streams(&one(&mut connect(&server).await, Some(SCRIPT)).await);
    let (head, payload) = cgi(&stdout);
    assert!(
        !head.contains("Content-Length"),
        "streamed like PHP: {head}"
    );
    assert_eq!(payload.len(), 100);
    assert!(end.is_none());
    assert_eq!(server.counters().fired, 1);
}

#[tokio::test]
async fn a_stalled_script_holds_the_connection_until_the_server_stops() {
    for spec in [
        "{ kind: fastcgi_stall }",
        "{ kind: fastcgi_stall, at: mid_body, after: 10 }",
    ] {
        let server = start(yaml_fault(spec)).await;
        let mut stream = connect(&server).await;
        let req = fastcgi::encode_request(false, &params(Some(SCRIPT)), b"");
        bounded(stream.write_all(&req)).await.unwrap();
        eventually(|| server.counters().fired == 1).await;
        let mut buf = vec![0; 64 * 1024];
        let early = tokio::time::timeout(Duration::from_millis(300), async {
            let mut got = Vec::new();
            loop {
                let n = stream.read(&mut buf).await.unwrap();
                if n == 0 {
                    return got;
                }
                got.extend_from_slice(&buf[..n]);
            }
        })
        .await;
        assert!(early.is_err(), "{spec}: the connection ended while stalled");
        drop(server);
        let (_, _, end) = streams(&read_to_end(&mut stream).await);
        assert!(end.is_none(), "{spec}");
    }
}

#[tokio::test]
async fn faults_that_never_answer_read_fastcgi_requests_and_fire() {
    for kind in ["reset", "close_before_response", "stall"] {
        let server = start(yaml_fault(&format!("{{ kind: {kind} }}"))).await;
        let mut stream = connect(&server).await;
        let req = fastcgi::encode_request(false, &params(Some(SCRIPT)), b"x");
        bounded(stream.write_all(&req)).await.unwrap();
        eventually(|| server.counters().fired == 1).await;
        let r = &server.counters().received[0];
        assert_eq!(
            (r.http_version.as_str(), r.id),
            ("FastCGI/1", Some(7)),
            "{kind}"
        );
        assert_eq!(r.script_filename.as_deref(), Some(SCRIPT));
    }
}

#[tokio::test]
async fn probability_falls_back_to_a_healthy_fastcgi_server() {
    let dir = socket_dir();
    let spec = "{ kind: fastcgi_killed, probability: 0.0 }";
    let server = start_spec(spec, dir.path(), "p", 1).await;
    let (stdout, _, end) = streams(&one(&mut connect(&server).await, Some(SCRIPT)).await);
    assert!(cgi(&stdout).0.starts_with("Status: 200"));
    assert!(end.is_some());
    assert_eq!(server.counters().received[0].fault, "fastcgi_healthy");
}
