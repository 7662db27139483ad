//! `close_mid_body` against a real loopback socket, checked from the client's side.

use crate::common;
use common::*;
use fake_upstreams::faults::CloseMidBody;
use fake_upstreams::{ByteSize, Fault, body};

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
