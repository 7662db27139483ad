//! The load driver's WebSocket mode against the WebSocket fakes directly (no nginx): each
//! socket's handshake status, ending, echoes and pongs are recorded as the fake behaved.

use std::sync::Arc;
use std::time::Duration;

use badgateway::load::{LoadReport, WsPlan, drive_websocket};
use badgateway::outcome::Outcome;
use fake_upstreams::{Fault, Server};
use tokio_util::sync::CancellationToken;

async fn start(yaml: &str) -> Server {
    let fault: Fault = serde_saphyr::from_str(yaml).unwrap();
    let addr = "127.0.0.1:0".parse().unwrap();
    fake_upstreams::spawn(fault, addr, CancellationToken::new())
        .await
        .unwrap()
}

fn plan(server: &Server, sockets: u32) -> WsPlan {
    WsPlan {
        target: server.addr(),
        host: "badgateway".into(),
        path: "/ws".into(),
        sockets,
        first_id: 0,
        frames: 3,
        frame_size: 100,
        idle: None,
        ping: None,
        spread: None,
        // generous bounds: the fakes answer at once, a starved CI box may not
        timeout: Duration::from_secs(10),
        max_duration: Duration::from_secs(30),
        stage: Arc::from("1"),
    }
}

/// Live counts nobody watches.
fn live() -> badgateway::load::LiveSender {
    tokio::sync::watch::channel(Default::default()).0
}

fn endings(report: &LoadReport) -> Vec<&str> {
    report.sockets.iter().map(|s| s.ending.as_str()).collect()
}

#[tokio::test]
async fn echo_sockets_get_101_every_frame_back_and_a_clean_close() {
    let server = start("kind: ws_echo").await;
    let report = drive_websocket(&plan(&server, 4), CancellationToken::new(), &live()).await;
    assert_eq!(endings(&report), vec!["101+clean:1000"; 4]);
    assert!(
        report
            .sockets
            .iter()
            .all(|s| s.echoed() && s.frames_echoed == 3)
    );
    assert_eq!(report.count(Outcome::Status(101)), 4);
    assert_eq!(server.counters().requests, 4);
}

#[tokio::test]
async fn an_idle_close_is_clean_with_the_servers_code_and_pings_count_pongs() {
    let server = start("{ kind: ws_idle_close, idle: 300ms, code: 4000 }").await;
    let idle = WsPlan {
        idle: Some(Duration::from_secs(3)),
        ..plan(&server, 2)
    };
    let report = drive_websocket(&idle, CancellationToken::new(), &live()).await;
    assert_eq!(endings(&report), vec!["101+clean:4000"; 2]);
    assert!(
        report
            .sockets
            .iter()
            .all(|s| s.lived_ms >= 300 && s.lived_ms < 3000)
    );
    // pings every 100 ms keep the socket alive past the server's idle time
    let pinging = WsPlan {
        idle: Some(Duration::from_millis(600)),
        ping: Some(Duration::from_millis(100)),
        ..plan(&server, 2)
    };
    let report = drive_websocket(&pinging, CancellationToken::new(), &live()).await;
    assert_eq!(endings(&report), vec!["101+clean:1000"; 2]);
    assert!(report.sockets.iter().all(|s| s.ponged()));
}

#[tokio::test]
async fn missing_pongs_are_counted_not_fatal() {
    let server = start("kind: ws_no_pong").await;
    let pinging = WsPlan {
        idle: Some(Duration::from_millis(400)),
        ping: Some(Duration::from_millis(100)),
        ..plan(&server, 2)
    };
    let report = drive_websocket(&pinging, CancellationToken::new(), &live()).await;
    assert_eq!(endings(&report), vec!["101+clean:1000"; 2]);
    for socket in &report.sockets {
        assert!(
            socket.echoed() && socket.pings >= 1 && socket.pongs == 0,
            "{socket:?}"
        );
    }
}

#[tokio::test]
async fn a_plain_http_server_fails_the_handshake_with_its_status() {
    let server = start("kind: healthy").await;
    let report = drive_websocket(&plan(&server, 2), CancellationToken::new(), &live()).await;
    assert_eq!(endings(&report), vec!["200"; 2]);
    assert_eq!(report.count(Outcome::Status(200)), 2);
}
