//! `slow_accept` against a real loopback socket, checked from the client's side.

use crate::common;
use common::*;
use std::io::ErrorKind;
use std::time::Duration;
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
