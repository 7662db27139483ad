//! `big_headers` against a real loopback socket, checked from the client's side.

use crate::common;
use common::*;
use fake_upstreams::faults::BigHeaders;
use fake_upstreams::{ByteSize, Fault};

#[tokio::test]
async fn big_headers_sends_at_least_size_bytes_of_head_and_an_intact_body() {
    let server = start(Fault::BigHeaders(BigHeaders {
        size: ByteSize(12 * 1024),
        body_size: ByteSize(2048),
    }))
    .await;
    let mut stream = connect(&server).await;
    send_request(&mut stream).await;
    let resp = parse(&read_to_end(&mut stream).await);
    assert_eq!(resp.status, 200);
    assert!(
        resp.head_len >= 12 * 1024,
        "head is {} bytes",
        resp.head_len
    );
    assert!(
        resp.headers
            .iter()
            .filter(|(n, _)| n.starts_with("X-Pad-"))
            .count()
            >= 12
    );
    resp.assert_intact();
    assert_eq!(counted(&server), snapshot(1, 1, 1));
}
