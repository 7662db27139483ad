//! Load driver against tiny in-test servers on loopback: each server misbehaves in one way and
//! the driver must classify every request accordingly, without retries and within its bounds.

use crate::load_support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use badgateway::load::drive;
use badgateway::outcome::Outcome;
use fake_upstreams::body::DIGEST_HEADER;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpSocket;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use load_support::*;

#[tokio::test]
async fn keep_alive_200s_are_verified_and_reuse_connections() {
    let server = serve(|s| keep_alive(s, |_| healthy_200(1000, ""))).await;
    let report = run(&plan(server.addr, 50, 4)).await;
    assert_only(&report, Outcome::Status(200), 50);
    assert_eq!(report.integrity.verified, 50);
    assert_eq!(
        report.integrity.corrupt + report.integrity.unverified_2xx,
        0
    );
    let accepts = server.accepts.load(Ordering::SeqCst);
    assert!(
        (1..=4).contains(&accepts),
        "{accepts} connections for 4 workers"
    );
    assert!(report.latency.max_ms > 0.0 && report.requests_per_sec > 0.0);
    let in_timeline: u64 = report.timeline.iter().flat_map(|b| b.counts.values()).sum();
    assert_eq!(in_timeline, 50);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["outcomes"]["200"], 50);
}

#[tokio::test]
async fn server_closing_after_each_response_gets_fresh_connections_not_failures() {
    let server = serve(|s| keep_alive(s, |_| healthy_200(10, "Connection: close\r\n"))).await;
    let report = run(&plan(server.addr, 10, 1)).await;
    assert_only(&report, Outcome::Status(200), 10);
    assert_eq!(server.accepts.load(Ordering::SeqCst), 10);
}

#[tokio::test]
async fn a_502_is_counted_by_status() {
    let reply = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 3\r\n\r\nbad";
    let server = serve(move |s| keep_alive(s, move |_| reply.to_vec())).await;
    let report = run(&plan(server.addr, 5, 2)).await;
    assert_only(&report, Outcome::Status(502), 5);
    assert_eq!(
        report.integrity.verified + report.integrity.unverified_2xx,
        0
    );
}

#[tokio::test]
async fn a_200_without_digest_is_unverified() {
    let reply = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    let server = serve(move |s| keep_alive(s, move |_| reply.to_vec())).await;
    let report = run(&plan(server.addr, 3, 1)).await;
    assert_only(&report, Outcome::Status(200), 3);
    assert_eq!(report.integrity.unverified_2xx, 3);
    assert_eq!(report.integrity.verified, 0);
}

#[tokio::test]
async fn a_short_body_is_truncated() {
    let reply = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789";
    let server = serve(move |s| reply_and_close(s, reply)).await;
    let report = run(&plan(server.addr, 4, 2)).await;
    assert_only(&report, Outcome::Truncated, 4);
    assert!(!report.examples[&Outcome::Truncated].is_empty());
}

#[tokio::test]
async fn a_wrong_body_is_corrupt() {
    let server = serve(|s| {
        keep_alive(s, |_| {
            let mut reply = healthy_200(100, "");
            let last = reply.len() - 1;
            reply[last] = b'!';
            reply
        })
    })
    .await;
    let report = run(&plan(server.addr, 6, 2)).await;
    assert_only(&report, Outcome::Corrupt, 6);
    assert_eq!(report.integrity.corrupt, 6);
    let example = &report.examples[&Outcome::Corrupt][0];
    assert!(example.contains(DIGEST_HEADER), "{example}");
}

#[tokio::test]
async fn hanging_up_without_a_response_is_closed() {
    let server = serve(|s| reply_and_close(s, b"")).await;
    let report = run(&plan(server.addr, 4, 2)).await;
    assert_only(&report, Outcome::Closed, 4);
}

#[tokio::test]
async fn a_reset_is_reset() {
    let server = serve(|mut stream| async move {
        let mut buf = Vec::new();
        if read_request(&mut stream, &mut buf).await.is_some() {
            stream.set_zero_linger().unwrap();
            drop(stream);
        }
    })
    .await;
    let report = run(&plan(server.addr, 4, 2)).await;
    assert_only(&report, Outcome::Reset, 4);
}

#[tokio::test]
async fn nothing_listening_is_refused_once_per_request() {
    // Bound but not listening: the port stays ours and every connect is refused.
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = socket.local_addr().unwrap();
    let report = run(&plan(addr, 7, 3)).await;
    assert_only(&report, Outcome::Refused, 7);
    drop(socket);
}

#[tokio::test]
async fn garbage_is_a_parse_error() {
    let server = serve(|s| reply_and_close(s, b"hello garbage\r\n")).await;
    let report = run(&plan(server.addr, 3, 1)).await;
    assert_only(&report, Outcome::ParseError, 3);
}

#[tokio::test]
async fn no_answer_is_a_timeout() {
    let (server, _seen) = silent_server().await;
    let mut p = plan(server.addr, 2, 2);
    p.request_timeout = Duration::from_millis(300);
    let report = run(&p).await;
    assert_only(&report, Outcome::Timeout, 2);
    assert!(report.latency.p50_ms >= 290.0, "{:?}", report.latency);
}

#[tokio::test]
async fn max_duration_cuts_in_flight_requests_as_timeouts() {
    let (server, _seen) = silent_server().await;
    let mut p = plan(server.addr, 1_000, 3);
    p.max_duration = Duration::from_millis(300);
    let report = run(&p).await;
    assert_only(&report, Outcome::Timeout, 3);
    assert!(
        report.wall_ms >= 290 && report.wall_ms < 5_000,
        "{}",
        report.wall_ms
    );
}

#[tokio::test]
async fn max_duration_bounds_a_huge_run() {
    let server = serve(|s| keep_alive(s, |_| healthy_200(10, ""))).await;
    let mut p = plan(server.addr, u64::MAX, 2);
    p.max_duration = Duration::from_millis(300);
    let report = run(&p).await;
    assert!(report.total > 0 && report.total < u64::MAX);
    assert_eq!(
        report.count(Outcome::Status(200)) + report.count(Outcome::Timeout),
        report.total
    );
    assert!(report.wall_ms < 5_000, "{}", report.wall_ms);
    assert!(!report.cancelled);
}

#[tokio::test]
async fn cancel_stops_a_run_promptly() {
    let (server, mut seen) = silent_server().await;
    let mut p = plan(server.addr, 1_000, 2);
    p.request_timeout = Duration::from_secs(60);
    p.max_duration = Duration::from_secs(60);
    let cancel = CancellationToken::new();
    let run = tokio::spawn({
        let cancel = cancel.clone();
        async move { drive(&p, cancel).await }
    });
    // Wait until a request is really in flight, then cancel.
    tokio::time::timeout(SAFETY, seen.recv())
        .await
        .unwrap()
        .unwrap();
    cancel.cancel();
    let report = tokio::time::timeout(Duration::from_secs(5), run)
        .await
        .expect("cancel must stop the run promptly")
        .unwrap();
    assert!(report.cancelled);
    assert_eq!(report.total, 0, "in-flight requests are dropped on cancel");
}

#[tokio::test]
async fn post_sends_a_sized_body() {
    let (tx, mut rx) = mpsc::unbounded_channel::<Seen>();
    let server = serve(move |mut stream| {
        let tx = tx.clone();
        async move {
            let mut buf = Vec::new();
            while let Some(request) = read_request(&mut stream, &mut buf).await {
                let _ = tx.send(request);
                if stream.write_all(&healthy_200(5, "")).await.is_err() {
                    return;
                }
            }
        }
    })
    .await;
    let mut p = plan(server.addr, 2, 1);
    p.method = http::Method::POST;
    p.body_bytes = 5000;
    p.host = "example.test".to_string();
    let report = run(&p).await;
    assert_only(&report, Outcome::Status(200), 2);
    for _ in 0..2 {
        let seen = rx.recv().await.unwrap();
        assert!(seen.head.starts_with("POST / HTTP/1.1"), "{}", seen.head);
        assert!(
            seen.head
                .to_ascii_lowercase()
                .contains("host: example.test"),
            "{}",
            seen.head
        );
        assert_eq!(seen.content_length, Some(5000));
        assert_eq!(seen.body.len(), 5000);
    }
}
