//! `invalid_header` against a real loopback socket, checked from the client's side.

use crate::common;
use common::*;
use fake_upstreams::faults::InvalidHeader;
use fake_upstreams::{Fault, body};

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
