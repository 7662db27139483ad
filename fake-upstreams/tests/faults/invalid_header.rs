//! `invalid_header` against a real loopback socket, checked from the client's side.

use crate::common;
use common::*;
use fake_upstreams::faults::InvalidHeader;
use fake_upstreams::{Fault, body};

async fn answer(fault: InvalidHeader) -> Vec<u8> {
    let server = start(Fault::InvalidHeader(fault)).await;
    let mut stream = connect(&server).await;
    send_request(&mut stream).await;
    let bytes = read_to_end(&mut stream).await;
    assert_eq!(fired_by_conn(&server), [(1, "POST".into(), true)]);
    bytes
}

#[tokio::test]
async fn invalid_header_sends_the_bad_line_right_after_the_status_line() {
    let bytes = answer(InvalidHeader::default()).await;
    assert!(
        bytes.starts_with(b"HTTP/1.1 200 OK\r\nX-Bad Header: yes\r\ncontent-length: 1024\r\n"),
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(bytes[end..], body::pattern(1024)[..]);
}

#[tokio::test]
async fn invalid_header_sends_raw_bytes_and_can_leave_out_content_length() {
    let fault = InvalidHeader {
        line: "hex:582d413a20310a582d423a2032".parse().unwrap(), // "X-A: 1\nX-B: 2"
        content_length: false,
    };
    let bytes = answer(fault).await;
    let head = b"HTTP/1.1 200 OK\r\nX-A: 1\nX-B: 2\r\nconnection: close\r\n\r\n";
    assert_eq!(
        bytes[..head.len()],
        head[..],
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    assert_eq!(bytes[head.len()..], body::pattern(1024)[..]);
}
