//! `healthy` against a real loopback socket, checked from the client's side.

use crate::common;
use bytes::Bytes;
use common::*;
use fake_upstreams::faults::Healthy;
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
