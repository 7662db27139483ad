//! `garbage` against a real loopback socket, checked from the client's side.

use crate::common;
use common::*;
use fake_upstreams::Fault;
use fake_upstreams::faults::{Garbage, GarbageWhen};
use tokio::io::AsyncReadExt;

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
async fn garbage_on_accept_sends_a_banner_before_any_request() {
    let banner = "base64:U1NILTIuMC1PcGVuU1NIXzkuMnAxDQo=".parse().unwrap();
    let server = start(Fault::Garbage(Garbage {
        bytes: banner,
        when: GarbageWhen::Accept,
    }))
    .await;
    let mut stream = connect(&server).await;
    let mut first = vec![0u8; 23];
    bounded(stream.read_exact(&mut first)).await.unwrap();
    assert_eq!(first, b"SSH-2.0-OpenSSH_9.2p1\r\n");
    assert_eq!(server.counters().fired, 1, "fired on accept");
    send_request(&mut stream).await;
    assert!(
        read_to_end(&mut stream).await.is_empty(),
        "closed after the request"
    );
    // the request came after the misbehaviour: recorded, not fired again
    assert_eq!(fired_by_conn(&server), [(1, "POST".into(), false)]);
    assert_eq!(server.counters().fired, 1);
}

#[tokio::test]
async fn garbage_sends_arbitrary_bytes() {
    let server = start(Fault::Garbage(Garbage {
        bytes: "hex:00ff0a".parse().unwrap(),
        ..Garbage::default()
    }))
    .await;
    let mut stream = connect(&server).await;
    send_request(&mut stream).await;
    assert_eq!(read_to_end(&mut stream).await, [0, 0xff, b'\n']);
}
