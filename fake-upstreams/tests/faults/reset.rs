//! `reset` against a real loopback socket, checked from the client's side.

use crate::common;
use common::*;
use fake_upstreams::Fault;
use fake_upstreams::faults::Reset;
use std::io::ErrorKind;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn reset_sends_rst_after_the_request() {
    let server = start(Fault::Reset(Reset {})).await;
    let mut stream = connect(&server).await;
    send_request(&mut stream).await;
    let mut buf = [0u8; 64];
    let err = bounded(stream.read(&mut buf)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionReset);
    assert_eq!(counted(&server), snapshot(1, 1, 1));
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
    assert_eq!(counted(&server), snapshot(1, 1, 1));
}
