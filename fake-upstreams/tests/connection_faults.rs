//! The faults about connections rather than responses (slow accept, idle keep-alive close,
//! a single slow worker), against real loopback and unix sockets.

mod common;

use std::io::ErrorKind;
use std::time::Duration;

use common::*;
use fake_upstreams::Fault;
use fake_upstreams::faults::{IdleClose, IdleMode, SingleWorker};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UnixStream};

#[tokio::test]
async fn slow_accept_over_tcp_makes_connect_time_out() {
    let dir = socket_dir();
    let server = start_spec("kind: slow_accept", dir.path(), "slow", 0).await;
    let addr = server.addr();
    let attempt = tokio::time::timeout(Duration::from_millis(500), TcpStream::connect(addr)).await;
    assert!(attempt.is_err(), "connect should hang, got {attempt:?}");
    assert!(!server.counters().observable);
    bounded(server.stop()).await;
    TcpListener::bind(addr)
        .await
        .expect("port released after stop");
}

#[tokio::test]
async fn slow_accept_over_unix_fails_connect_with_eagain() {
    let dir = socket_dir();
    let spec = "{kind: slow_accept, backlog: 2, listen: unix}";
    let server = start_spec(spec, dir.path(), "fpm", 0).await;
    let err = bounded(UnixStream::connect(unix_path(&server)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");
}

fn idle_close(mode: IdleMode, idle_ms: u64) -> Fault {
    Fault::IdleClose(IdleClose {
        idle: Duration::from_millis(idle_ms),
        mode,
        ..IdleClose::default()
    })
}

/// One keep-alive request; the response, or `None` if the server closed instead.
async fn keep_alive_request(stream: &mut TcpStream) -> Option<Parsed> {
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .unwrap();
    let mut got = Vec::new();
    bounded(async {
        loop {
            if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                let resp = parse(&got);
                let len: usize = resp.header("content-length").unwrap().parse().unwrap();
                if got.len() >= end + 4 + len {
                    return Some(resp);
                }
            }
            let mut buf = [0u8; 4096];
            match stream.read(&mut buf).await.unwrap() {
                0 if got.is_empty() => return None,
                0 => panic!("EOF mid-response"),
                n => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
}

#[tokio::test]
async fn idle_close_race_drops_a_request_that_comes_after_the_idle_time() {
    let server = start(idle_close(IdleMode::Race, 200)).await;
    let mut stream = connect(&server).await;
    // the stimulus is time itself: a fresh connection idle past the timeout is still served
    tokio::time::sleep(Duration::from_millis(300)).await;
    keep_alive_request(&mut stream)
        .await
        .unwrap()
        .assert_intact();
    keep_alive_request(&mut stream)
        .await
        .unwrap()
        .assert_intact();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(keep_alive_request(&mut stream).await.is_none());
    let counters = server.counters();
    assert_eq!(
        (counters.connections, counters.requests, counters.fired),
        (1, 3, 1)
    );
}

#[tokio::test]
async fn idle_close_timer_closes_an_idle_keep_alive_connection() {
    let server = start(idle_close(IdleMode::Timer, 200)).await;
    let mut stream = connect(&server).await;
    keep_alive_request(&mut stream)
        .await
        .unwrap()
        .assert_intact();
    let answered = std::time::Instant::now();
    assert!(read_to_end(&mut stream).await.is_empty());
    assert!(answered.elapsed() >= Duration::from_millis(190));
    assert_eq!(server.counters().fired, 1);
}

#[tokio::test]
async fn single_worker_keeps_the_next_connection_queued_until_the_slow_one_is_done() {
    let server = start(Fault::SingleWorker(SingleWorker::default())).await;
    let mut slow = connect(&server).await;
    slow.write_all(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nhello")
        .await
        .unwrap();
    eventually(|| server.counters().requests == 1).await;
    let mut queued = connect(&server).await;
    send_request(&mut queued).await;
    let mut buf = [0u8; 16];
    let early = tokio::time::timeout(Duration::from_millis(200), queued.read(&mut buf)).await;
    assert!(early.is_err(), "the second client must wait for the worker");
    assert_eq!(server.counters().connections, 1, "not even accepted");
    slow.write_all(b"world").await.unwrap();
    parse(&read_to_end(&mut slow).await).assert_intact();
    parse(&read_to_end(&mut queued).await).assert_intact();
    let counters = server.counters();
    assert_eq!(
        (counters.connections, counters.requests, counters.fired),
        (2, 2, 1)
    );
}
