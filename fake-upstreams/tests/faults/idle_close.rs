//! `idle_close` against a real loopback socket, checked from the client's side.

use crate::common;
use common::*;
use fake_upstreams::Fault;
use fake_upstreams::faults::{IdleClose, IdleMode};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

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

/// Two requests back to back (both answered), then 300 ms of silence: past the tests' 200 ms
/// idle time, so the next request is late.
async fn two_answers_then_idle(stream: &mut TcpStream) {
    for _ in 0..2 {
        keep_alive_request(stream).await.unwrap().assert_intact();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn idle_close_race_drops_a_request_that_comes_after_the_idle_time() {
    let server = start(idle_close(IdleMode::RequestFirst, 200)).await;
    let mut stream = connect(&server).await;
    // the stimulus is time itself: a fresh connection idle past the timeout is still served
    tokio::time::sleep(Duration::from_millis(300)).await;
    two_answers_then_idle(&mut stream).await;
    assert!(keep_alive_request(&mut stream).await.is_none());
    let counters = server.counters();
    assert_eq!(
        (counters.connections, counters.requests, counters.fired),
        (1, 3, 1)
    );
    let get = || "GET".to_string();
    let flags = [(1, get(), false), (1, get(), false), (1, get(), true)];
    assert_eq!(fired_by_conn(&server), flags);
}

#[tokio::test]
async fn idle_close_timer_first_resets_a_late_request_unanswered() {
    let server = start(idle_close(IdleMode::TimerFirst, 200)).await;
    let mut stream = connect(&server).await;
    two_answers_then_idle(&mut stream).await;
    send_request(&mut stream).await;
    let mut buf = [0u8; 64];
    let err = bounded(stream.read(&mut buf)).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset);
    let get = || "GET".to_string();
    let flags = [
        (1, get(), false),
        (1, get(), false),
        (1, "POST".into(), true),
    ];
    assert_eq!(fired_by_conn(&server), flags);
    assert_eq!(server.counters().fired, 1);
}

#[test]
fn idle_close_race_is_the_old_name_of_request_first() {
    let fault = fake_upstreams::yaml::fault_from_str("kind: idle_close\nmode: race").unwrap();
    assert_eq!(fault, idle_close(IdleMode::RequestFirst, 1000));
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
    // the timer fires on no request: the one answered stays unfired
    assert_eq!(fired_by_conn(&server), [(1, "GET".into(), false)]);
}
