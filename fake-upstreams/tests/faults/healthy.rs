//! `healthy` against a real loopback socket, checked from the client's side.

use crate::common;
use bytes::Bytes;
use common::*;
use fake_upstreams::Received;
use fake_upstreams::faults::Healthy;
use fake_upstreams::headers::RepeatHeader;
use fake_upstreams::{ByteSize, Fault, body};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn healthy_serves_two_requests_on_one_keep_alive_connection() {
    let server = start(Fault::Healthy(Healthy {
        status: 201,
        headers: vec![("x-test".into(), "yes".into())],
        body_size: ByteSize(4096),
        ..Healthy::default()
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
    let counters = server.counters();
    assert_eq!(
        (counters.connections, counters.requests, counters.fired),
        (1, 2, 0)
    );
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
async fn healthy_records_each_request_with_its_line_connection_header_and_conn() {
    let server = start(Fault::Healthy(Healthy::default())).await;
    let mut first = connect(&server).await;
    let two = format!(
        "GET /a?x=1 HTTP/1.1\r\nHost: t\r\n{}: 7\r\nConnection: Keep-Alive\r\n\r\n\
         POST /b HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello",
        fake_upstreams::REQUEST_ID_HEADER
    );
    first.write_all(two.as_bytes()).await.unwrap();
    let answers = read_to_end(&mut first).await;
    assert_eq!(answers.windows(8).filter(|w| w == b"HTTP/1.1").count(), 2);
    let mut second = connect(&server).await;
    second
        .write_all(b"DELETE /c HTTP/1.0\r\n\r\n")
        .await
        .unwrap();
    assert!(
        read_to_end(&mut second)
            .await
            .starts_with(b"HTTP/1.0 200 OK")
    );
    let want = [
        Received {
            id: Some(7),
            connection: Some("keep-alive".into()),
            ..received(1, "healthy", "GET", "/a?x=1", false)
        },
        Received {
            connection: Some("close".into()),
            ..received(1, "healthy", "POST", "/b", false)
        },
        Received {
            http_version: "HTTP/1.0".into(),
            ..received(2, "healthy", "DELETE", "/c", false)
        },
    ];
    let counters = server.counters();
    assert_eq!(counters.received, want);
    assert_eq!(counters.request_ids, [7]);
}

#[tokio::test]
async fn healthy_sends_repeated_headers_in_order() {
    let server = start(Fault::Healthy(Healthy {
        headers: vec![
            ("Set-Cookie".into(), "a=1".into()),
            ("Set-Cookie".into(), "b=2".into()),
        ],
        repeat_header: Some(RepeatHeader {
            name: "Set-Cookie".into(),
            count: 120,
            size: ByteSize(40),
        }),
        ..Healthy::default()
    }))
    .await;
    let mut stream = connect(&server).await;
    let resp = parse(&exchange(&mut stream, 1).await.unwrap());
    let cookies: Vec<&str> = resp
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(cookies.len(), 122);
    assert_eq!(cookies[..2], ["a=1", "b=2"]);
    assert_eq!(cookies[2], format!("c0001={}", "x".repeat(34)));
    assert!(cookies[121].starts_with("c0120="));
    assert!(resp.head_len > 120 * 54, "head of {} bytes", resp.head_len);
    resp.assert_intact();
}
