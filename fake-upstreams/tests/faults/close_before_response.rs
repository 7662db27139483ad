//! `close_before_response` against a real loopback socket, checked from the client's side.

use crate::common;
use common::*;
use fake_upstreams::Fault;
use fake_upstreams::faults::CloseBeforeResponse;

#[tokio::test]
async fn close_before_response_reads_the_request_then_sends_eof() {
    let server = start(Fault::CloseBeforeResponse(CloseBeforeResponse {})).await;
    let mut stream = connect(&server).await;
    send_request(&mut stream).await;
    assert!(read_to_end(&mut stream).await.is_empty());
    assert_eq!(counted(&server), snapshot(1, 1, 1));
    bounded(server.stop()).await;
}
