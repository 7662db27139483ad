//! `garbage` against a real loopback socket, checked from the client's side.

use crate::common;
use common::*;
use fake_upstreams::Fault;
use fake_upstreams::faults::Garbage;

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
