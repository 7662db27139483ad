//! The faults that break the response itself (garbage, invalid header, cut or stalled body),
//! against real loopback sockets.

mod common;

use std::time::{Duration, Instant};

use common::*;
use fake_upstreams::faults::{CloseMidBody, Garbage, InvalidHeader, StallBody};
use fake_upstreams::{ByteSize, Fault, body};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn garbage_answers_with_its_bytes_then_closes() {
    let server = start(Fault::Garbage(Garbage::default())).await;
    let mut stream = connect(&server).await;
    send_request(&mut stream).await;
    assert_eq!(
        read_to_end(&mut stream).await,
        b"HELLO this is not HTTP\r\n"
    );
    let counters = server.counters();
    assert_eq!((counters.requests, counters.fired), (1, 1));
}

#[tokio::test]
async fn invalid_header_sends_the_bad_line_right_after_the_status_line() {
    let server = start(Fault::InvalidHeader(InvalidHeader::default())).await;
    let mut stream = connect(&server).await;
    send_request(&mut stream).await;
    let bytes = read_to_end(&mut stream).await;
    assert!(
        bytes.starts_with(b"HTTP/1.1 200 OK\r\nX-Bad Header: yes\r\ncontent-length: 1024\r\n"),
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(bytes[end..], body::pattern(1024)[..]);
    assert_eq!(server.counters().fired, 1);
    let bad = Fault::InvalidHeader(InvalidHeader {
        line: "X-A: 1\r\nX-B: 2".into(),
    });
    assert!(bad.validate().unwrap_err().contains("CR or LF"));
}

#[tokio::test]
async fn close_mid_body_sends_part_of_the_announced_body() {
    let server = start(Fault::CloseMidBody(CloseMidBody::default())).await;
    let mut stream = connect(&server).await;
    send_request(&mut stream).await;
    let resp = parse(&read_to_end(&mut stream).await);
    assert_eq!(resp.header("content-length"), Some("16384"));
    let whole = body::pattern(16 * 1024);
    assert_eq!(
        resp.header(body::DIGEST_HEADER),
        Some(body::digest(&whole).as_str())
    );
    assert_eq!(resp.body, whole[..4096]);
    assert_eq!(server.counters().fired, 1);
    let bad = Fault::CloseMidBody(CloseMidBody {
        body_size: ByteSize(10),
        send: ByteSize(10),
    });
    assert!(bad.validate().unwrap_err().contains("less than"));
}

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
