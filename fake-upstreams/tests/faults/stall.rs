//! `stall` against a real loopback socket, checked from the client's side.

use crate::common;
use common::*;
use fake_upstreams::faults::Stall;
use fake_upstreams::{ByteSize, Fault};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

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
    assert_eq!(counted(&server), snapshot(1, 1, 1));
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
