//! `stall_body` against a real loopback socket, checked from the client's side.

use crate::common;
use common::*;
use fake_upstreams::faults::StallBody;
use fake_upstreams::{Fault, body};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn stall_body_with_delay_completes_the_body_afterwards() {
    let delay = Duration::from_millis(200);
    let server = start(Fault::StallBody(StallBody {
        delay: Some(delay),
        ..StallBody::default()
    }))
    .await;
    let mut stream = connect(&server).await;
    let started = Instant::now();
    send_request(&mut stream).await;
    let resp = parse(&read_to_end(&mut stream).await);
    assert!(started.elapsed() >= delay);
    resp.assert_intact();
    assert_eq!(resp.body.len(), 16 * 1024);
    assert_eq!(server.counters().fired, 1);
}

/// Read until the head and `n` body bytes have arrived.
async fn read_head_and(stream: &mut tokio::net::TcpStream, n: usize) -> Vec<u8> {
    let mut got = Vec::new();
    bounded(async {
        loop {
            if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n")
                && got.len() >= end + 4 + n
            {
                return;
            }
            let mut buf = [0u8; 4096];
            let read = stream.read(&mut buf).await.unwrap();
            assert!(read > 0, "EOF before the partial body");
            got.extend_from_slice(&buf[..read]);
        }
    })
    .await;
    got
}

#[tokio::test]
async fn stall_body_forever_ends_on_stop_or_client_close() {
    let server = start(Fault::StallBody(StallBody::default())).await;
    let mut stream = connect(&server).await;
    send_request(&mut stream).await;
    let got = read_head_and(&mut stream, 4096).await;
    assert_eq!(parse(&got).body, body::pattern(16 * 1024)[..4096]);
    tokio::time::timeout(Duration::from_secs(2), server.stop())
        .await
        .expect("stop() returns promptly");
    assert!(read_to_end(&mut stream).await.is_empty());

    let server = start(Fault::StallBody(StallBody::default())).await;
    let mut stream = connect(&server).await;
    send_request(&mut stream).await;
    read_head_and(&mut stream, 4096).await;
    stream.shutdown().await.unwrap();
    assert!(
        read_to_end(&mut stream).await.is_empty(),
        "the server gave up"
    );
}
