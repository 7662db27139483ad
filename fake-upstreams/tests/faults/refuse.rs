//! `refuse` against a real loopback socket, checked from the client's side.

use crate::common;
use common::*;
use fake_upstreams::Fault;
use fake_upstreams::faults::Refuse;
use std::io::ErrorKind;
use tokio::net::{TcpListener, TcpStream};

#[tokio::test]
async fn refuse_keeps_the_port_bound_but_refuses_connects() {
    let server = start(Fault::Refuse(Refuse {})).await;
    let addr = server.addr();
    assert_ne!(addr.port(), 0);
    let err = bounded(TcpStream::connect(addr)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    let err = TcpListener::bind(addr).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
    let counters = server.counters();
    assert!(!counters.observable);
    assert_eq!((counters.connections, counters.fired), (0, 0));
    bounded(server.stop()).await;
    TcpListener::bind(addr)
        .await
        .expect("port released after stop");
}
