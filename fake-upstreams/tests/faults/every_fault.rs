//! What holds for every fault: stopping ends connections, a client that sends nothing is not a firing, bad configs are refused at spawn.

use crate::common;
use common::*;
use fake_upstreams::Fault;
use fake_upstreams::faults::{CloseBeforeResponse, Healthy, Stall};
use std::io::ErrorKind;
use tokio::io::AsyncWriteExt;
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn dropping_the_server_or_cancelling_its_parent_token_ends_connections() {
    let fault = Fault::Stall(Stall::default());
    let server = start(fault.clone()).await;
    let mut stream = connect(&server).await;
    send_request(&mut stream).await;
    eventually(|| server.counters().fired == 1).await;
    drop(server);
    assert!(read_to_end(&mut stream).await.is_empty());

    let parent = CancellationToken::new();
    let addr = "127.0.0.1:0".parse().unwrap();
    let server = fake_upstreams::spawn(fault, addr, parent.clone())
        .await
        .unwrap();
    let mut stream = connect(&server).await;
    send_request(&mut stream).await;
    eventually(|| server.counters().fired == 1).await;
    parent.cancel();
    assert!(read_to_end(&mut stream).await.is_empty());
    bounded(server.stop()).await;
}

#[tokio::test]
async fn a_client_that_leaves_without_a_request_is_not_counted_as_fired() {
    let server = start(Fault::CloseBeforeResponse(CloseBeforeResponse {})).await;
    let mut stream = connect(&server).await;
    stream.shutdown().await.unwrap();
    assert!(read_to_end(&mut stream).await.is_empty());
    assert_eq!(counted(&server), snapshot(1, 0, 0));
}

#[tokio::test]
async fn invalid_config_is_rejected_at_spawn() {
    let fault = Fault::Healthy(Healthy {
        status: 42,
        ..Healthy::default()
    });
    let err = fake_upstreams::spawn(
        fault,
        "127.0.0.1:0".parse().unwrap(),
        CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("42"), "{err}");
}
