//! Each fault against a real loopback socket, checked from the client's side.

mod common;

use std::io::ErrorKind;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::*;
use fake_upstreams::faults::{BigHeaders, CloseBeforeResponse, Healthy, Refuse, Reset, Stall};
use fake_upstreams::{ByteSize, CounterSnapshot, Fault, body};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

fn snapshot(connections: u64, requests: u64, fired: u64) -> CounterSnapshot {
    CounterSnapshot {
        connections,
        requests,
        fired,
        observable: true,
        ..CounterSnapshot::default()
    }
}

#[tokio::test]
async fn healthy_serves_two_requests_on_one_keep_alive_connection() {
    let server = start(Fault::Healthy(Healthy {
        status: 201,
        headers: vec![("x-test".into(), "yes".into())],
        body_size: ByteSize(4096),
        delay: None,
    }))
    .await;
    let stream = connect(&server).await;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    let driver = tokio::spawn(conn);
    for method in ["GET", "POST"] {
        let req = http::Request::builder()
            .method(method)
            .uri("/")
            .header("host", "test")
            .body(Full::new(Bytes::from_static(b"request body")))
            .unwrap();
        let resp = bounded(sender.send_request(req)).await.unwrap();
        assert_eq!(resp.status(), 201);
        assert_eq!(resp.headers()["x-test"], "yes");
        let digest = resp.headers()[body::DIGEST_HEADER]
            .to_str()
            .unwrap()
            .to_owned();
        let got = bounded(resp.into_body().collect())
            .await
            .unwrap()
            .to_bytes();
        assert_eq!(got, body::pattern(4096));
        assert_eq!(body::digest(&got), digest);
    }
    assert_eq!(server.counters(), snapshot(1, 2, 0));
    drop(sender);
    bounded(driver).await.unwrap().unwrap();
    bounded(server.stop()).await;
}

#[tokio::test]
async fn healthy_stop_closes_idle_keep_alive_connections() {
    let server = start(Fault::Healthy(Healthy::default())).await;
    let mut stream = connect(&server).await;
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 4096];
    let n = bounded(stream.read(&mut buf)).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200 OK"));
    bounded(server.stop()).await;
    // the server closed its side; whatever is left of the first response, then EOF
    let rest = read_to_end(&mut stream).await;
    assert!(n + rest.len() < 4096);
}

#[tokio::test]
async fn refuse_keeps_the_port_bound_but_refuses_connects() {
    let server = start(Fault::Refuse(Refuse {})).await;
    let addr = server.addr();
    assert_ne!(addr.port(), 0);
    let err = bounded(TcpStream::connect(addr)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    let err = TcpListener::bind(addr).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
    let counters = server.counters();
    assert!(!counters.observable);
    assert_eq!((counters.connections, counters.fired), (0, 0));
    bounded(server.stop()).await;
    TcpListener::bind(addr)
        .await
        .expect("port released after stop");
}

#[tokio::test]
async fn close_before_response_reads_the_request_then_sends_eof() {
    let server = start(Fault::CloseBeforeResponse(CloseBeforeResponse {})).await;
    let mut stream = connect(&server).await;
    send_request(&mut stream).await;
    assert!(read_to_end(&mut stream).await.is_empty());
    assert_eq!(server.counters(), snapshot(1, 1, 1));
    bounded(server.stop()).await;
}

#[tokio::test]
async fn reset_sends_rst_after_the_request() {
    let server = start(Fault::Reset(Reset {})).await;
    let mut stream = connect(&server).await;
    send_request(&mut stream).await;
    let mut buf = [0u8; 64];
    let err = bounded(stream.read(&mut buf)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionReset);
    assert_eq!(server.counters(), snapshot(1, 1, 1));
    bounded(server.stop()).await;
}

#[tokio::test]
async fn reset_reads_a_chunked_request_body_first() {
    let server = start(Fault::Reset(Reset {})).await;
    let mut stream = connect(&server).await;
    let req = b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n\
                5;ext=1\r\nhello\r\n3\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n";
    stream.write_all(req).await.unwrap();
    let mut buf = [0u8; 64];
    let err = bounded(stream.read(&mut buf)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionReset);
    assert_eq!(server.counters(), snapshot(1, 1, 1));
}

#[tokio::test]
async fn stall_with_delay_answers_afterwards() {
    let delay = Duration::from_millis(200);
    let server = start(Fault::Stall(Stall {
        delay: Some(delay),
        body_size: ByteSize(3000),
    }))
    .await;
    let mut stream = connect(&server).await;
    let started = Instant::now();
    send_request(&mut stream).await;
    let resp = parse(&read_to_end(&mut stream).await);
    assert!(started.elapsed() >= delay);
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("connection"), Some("close"));
    resp.assert_intact();
    assert_eq!(server.counters(), snapshot(1, 1, 1));
}

#[tokio::test]
async fn stall_forever_ends_when_the_client_closes() {
    let server = start(Fault::Stall(Stall::default())).await;
    let mut stream = connect(&server).await;
    send_request(&mut stream).await;
    eventually(|| server.counters().fired == 1).await;
    stream.shutdown().await.unwrap(); // half-close: the server sees EOF and gives up
    assert!(read_to_end(&mut stream).await.is_empty());
}

#[tokio::test]
async fn stall_forever_ends_promptly_on_stop() {
    let server = start(Fault::Stall(Stall::default())).await;
    let mut stream = connect(&server).await;
    send_request(&mut stream).await;
    eventually(|| server.counters().fired == 1).await;
    tokio::time::timeout(Duration::from_secs(2), server.stop())
        .await
        .expect("stop() returns promptly");
    assert!(read_to_end(&mut stream).await.is_empty());
}

#[tokio::test]
async fn dropping_the_server_or_cancelling_its_parent_token_ends_connections() {
    let fault = Fault::Stall(Stall::default());
    let server = start(fault.clone()).await;
    let mut stream = connect(&server).await;
    send_request(&mut stream).await;
    eventually(|| server.counters().fired == 1).await;
    drop(server);
    assert!(read_to_end(&mut stream).await.is_empty());

    let parent = CancellationToken::new();
    let addr = "127.0.0.1:0".parse().unwrap();
    let server = fake_upstreams::spawn(fault, addr, parent.clone())
        .await
        .unwrap();
    let mut stream = connect(&server).await;
    send_request(&mut stream).await;
    eventually(|| server.counters().fired == 1).await;
    parent.cancel();
    assert!(read_to_end(&mut stream).await.is_empty());
    bounded(server.stop()).await;
}

#[tokio::test]
async fn big_headers_sends_at_least_size_bytes_of_head_and_an_intact_body() {
    let server = start(Fault::BigHeaders(BigHeaders {
        size: ByteSize(12 * 1024),
        body_size: ByteSize(2048),
    }))
    .await;
    let mut stream = connect(&server).await;
    send_request(&mut stream).await;
    let resp = parse(&read_to_end(&mut stream).await);
    assert_eq!(resp.status, 200);
    assert!(
        resp.head_len >= 12 * 1024,
        "head is {} bytes",
        resp.head_len
    );
    assert!(
        resp.headers
            .iter()
            .filter(|(n, _)| n.starts_with("X-Pad-"))
            .count()
            >= 12
    );
    resp.assert_intact();
    assert_eq!(server.counters(), snapshot(1, 1, 1));
}

#[tokio::test]
async fn a_client_that_leaves_without_a_request_is_not_counted_as_fired() {
    let server = start(Fault::CloseBeforeResponse(CloseBeforeResponse {})).await;
    let mut stream = connect(&server).await;
    stream.shutdown().await.unwrap();
    assert!(read_to_end(&mut stream).await.is_empty());
    assert_eq!(server.counters(), snapshot(1, 0, 0));
}

#[tokio::test]
async fn invalid_config_is_rejected_at_spawn() {
    let fault = Fault::Healthy(Healthy {
        status: 42,
        ..Healthy::default()
    });
    let err = fake_upstreams::spawn(
        fault,
        "127.0.0.1:0".parse().unwrap(),
        CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("42"), "{err}");
}
