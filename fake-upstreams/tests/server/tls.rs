//! `tls:` on the wire: a rustls client that trusts the run's CA talks to fake servers.

use crate::common;

use std::sync::Arc;

use common::*;
use fake_upstreams::{Ca, Server, SpawnOptions};
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_util::sync::CancellationToken;

/// A server from a YAML spec whose certificate `ca` issues.
async fn start_tls(text: &str, ca: &Arc<Ca>) -> Server {
    let spec = fake_upstreams::yaml::spec_from_str(text).expect("spec parses");
    let opts = SpawnOptions {
        tls_ca: Some(ca.clone()),
        ..SpawnOptions::default()
    };
    fake_upstreams::spawn_spec(spec, opts, CancellationToken::new())
        .await
        .expect("spawn_spec")
}

/// A client that trusts `ca` (and sends SNI when `sni`); one per test, so sessions resume.
fn client(ca: &Ca, sni: bool) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.der().clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.enable_sni = sni;
    TlsConnector::from(Arc::new(config))
}

async fn handshake(
    connector: &TlsConnector,
    server: &Server,
    name: &str,
) -> std::io::Result<TlsStream<TcpStream>> {
    let tcp = bounded(TcpStream::connect(server.addr())).await?;
    let name = ServerName::try_from(name.to_string()).unwrap();
    bounded(connector.connect(name, tcp)).await
}

#[tokio::test]
async fn a_healthy_server_answers_over_tls_with_a_certificate_for_its_name() {
    let ca = Arc::new(Ca::generate().unwrap());
    let server = start_tls("{kind: healthy, tls: {name: app.internal}}", &ca).await;
    let connector = client(&ca, true);
    let mut tls = handshake(&connector, &server, "app.internal")
        .await
        .unwrap();
    parse(&exchange(&mut tls, 5).await.unwrap()).assert_intact();
    let wrong = handshake(&connector, &server, "other.example").await;
    let err = wrong.expect_err("a certificate for app.internal is not valid for other.example");
    assert!(err.to_string().contains("certificate"), "{err}");
    // The client refuses the certificate mid-handshake, so the server sees a failure.
    eventually(|| server.counters().tls_failed == 1).await;
    let counters = server.counters();
    assert_eq!((counters.handshakes, counters.request_ids), (1, vec![5]));
    assert!(
        server
            .tls_cert()
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
}

#[tokio::test]
async fn require_sni_refuses_a_client_without_sni_and_counts_a_firing() {
    let ca = Arc::new(Ca::generate().unwrap());
    let server = start_tls("{kind: healthy, tls: {name: app, require_sni: true}}", &ca).await;
    let refused = handshake(&client(&ca, false), &server, "app").await;
    assert!(
        refused.is_err(),
        "a ClientHello without SNI must be refused"
    );
    let mut tls = handshake(&client(&ca, true), &server, "app").await.unwrap();
    parse(&exchange(&mut tls, 1).await.unwrap()).assert_intact();
    let c = server.counters();
    assert_eq!(
        (c.fired, c.tls_failed, c.handshakes, c.requests),
        (1, 1, 1, 1)
    );
}

#[tokio::test]
async fn the_handshake_counter_counts_resumptions() {
    let ca = Arc::new(Ca::generate().unwrap());
    let server = start_tls("{kind: healthy, tls: {}}", &ca).await;
    let connector = client(&ca, true);
    for id in 0..3 {
        let mut tls = handshake(&connector, &server, "localhost").await.unwrap();
        parse(&exchange(&mut tls, id).await.unwrap()).assert_intact();
    }
    let c = server.counters();
    assert_eq!((c.handshakes, c.resumed, c.fired), (3, 2, 0));
}

#[tokio::test]
async fn stalled_reset_and_closed_handshakes_fire_and_never_complete() {
    let ca = Arc::new(Ca::generate().unwrap());
    let reset = start_tls("{kind: healthy, tls: {handshake: reset}}", &ca).await;
    assert!(
        handshake(&client(&ca, true), &reset, "localhost")
            .await
            .is_err()
    );
    assert_eq!(
        (reset.counters().fired, reset.counters().handshakes),
        (1, 0)
    );
    let stall = start_tls("{kind: healthy, tls: {handshake: stall}}", &ca).await;
    let tcp = bounded(TcpStream::connect(stall.addr())).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let connect = client(&ca, true).connect(name, tcp);
    let waited = tokio::time::timeout(std::time::Duration::from_millis(300), connect).await;
    assert!(waited.is_err(), "a stalled handshake must not complete");
    eventually(|| stall.counters().fired == 1).await;
}

#[tokio::test]
async fn version_and_cipher_limits_refuse_clients_that_offer_nothing_else() {
    let ca = Arc::new(Ca::generate().unwrap());
    let text = "{kind: healthy, tls: {versions: [TLSv1.2], \
                ciphers: [TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256]}}";
    let server = start_tls(text, &ca).await;
    let mut provider = rustls::crypto::ring::default_provider();
    provider
        .cipher_suites
        .retain(|s| format!("{:?}", s.suite()).contains("AES"));
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.der().clone()).unwrap();
    let aes_only = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let refused = handshake(
        &TlsConnector::from(Arc::new(aes_only)),
        &server,
        "localhost",
    )
    .await;
    assert!(refused.is_err(), "no cipher in common");
    let tls = handshake(&client(&ca, true), &server, "localhost")
        .await
        .unwrap();
    assert_eq!(
        tls.get_ref().1.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_2)
    );
    assert_eq!(
        (server.counters().fired, server.counters().handshakes),
        (1, 1)
    );
}

#[test]
fn tls_settings_that_cannot_be_served_are_refused() {
    let invalid = |text: &str| {
        let spec = fake_upstreams::yaml::spec_from_str(text).expect("parses");
        spec.validate().expect_err("should be invalid")
    };
    assert!(invalid("{kind: refuse, tls: {}}").contains("never accepts"));
    assert!(invalid("{kind: slow_accept, tls: {}}").contains("never accepts"));
    assert!(invalid("{kind: healthy, listen: unix_missing, tls: {}}").contains("unix_missing"));
    assert!(invalid("{kind: healthy, tls: {ciphers: [NOPE]}}").contains("unknown cipher suite"));
    let only13 = "{kind: healthy, tls: {versions: [TLSv1.2], ciphers: [TLS13_AES_128_GCM_SHA256]}}";
    assert!(invalid(only13).contains("versions and ciphers"));
    assert!(invalid("{kind: healthy, tls: {versions: []}}").contains("at least one"));
    let parse_err = |text: &str| {
        fake_upstreams::yaml::spec_from_str(text)
            .expect_err("should not parse")
            .to_string()
    };
    assert!(parse_err("{kind: healthy, tls: {versions: [TLSv1.1]}}").contains("TLSv1.1"));
    assert!(parse_err("{kind: healthy, tls: {sni: true}}").contains("sni"));
    let scheduled = "{kind: refuse, tls: {}, schedule: [{after: 1s, kind: healthy}]}";
    let spec = fake_upstreams::yaml::spec_from_str(scheduled).unwrap();
    assert_eq!(
        spec.validate(),
        Ok(()),
        "a refuse that later listens can shake hands"
    );
}

#[tokio::test]
async fn a_raw_fault_misbehaves_the_same_over_tls() {
    let ca = Arc::new(Ca::generate().unwrap());
    let text = "{kind: close_mid_body, body_size: 16k, send: 4k, tls: {}}";
    let server = start_tls(text, &ca).await;
    let mut tls = handshake(&client(&ca, true), &server, "localhost")
        .await
        .unwrap();
    // The fault closes mid-body without close_notify, which rustls reports as an error.
    let req = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
    tokio::io::AsyncWriteExt::write_all(&mut tls, req.as_bytes())
        .await
        .unwrap();
    let mut got = Vec::new();
    let _ = bounded(tokio::io::AsyncReadExt::read_to_end(&mut tls, &mut got)).await;
    let resp = parse(&got);
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-length"), Some("16384"));
    assert_eq!(
        resp.body.len(),
        4096,
        "the body is cut where the fault says"
    );
    let c = server.counters();
    assert_eq!((c.handshakes, c.fired), (1, 1));
}

#[tokio::test]
async fn reset_over_tls_is_a_tcp_reset_under_the_session() {
    let ca = Arc::new(Ca::generate().unwrap());
    let server = start_tls("{kind: reset, tls: {}}", &ca).await;
    let mut tls = handshake(&client(&ca, true), &server, "localhost")
        .await
        .unwrap();
    let req = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
    tokio::io::AsyncWriteExt::write_all(&mut tls, req.as_bytes())
        .await
        .unwrap();
    let mut got = Vec::new();
    let read = bounded(tokio::io::AsyncReadExt::read_to_end(&mut tls, &mut got)).await;
    // The reader under the session sees the RST, not a close_notify or a FIN.
    let err = read.expect_err("a reset is an error");
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset, "{err}");
    assert!(got.is_empty());
    let c = server.counters();
    assert_eq!((c.handshakes, c.fired), (1, 1));
}

#[tokio::test]
async fn ws_echo_upgrades_and_echoes_over_tls() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;

    let ca = Arc::new(Ca::generate().unwrap());
    let server = start_tls("{kind: ws_echo, tls: {name: app}}", &ca).await;
    let tls = handshake(&client(&ca, true), &server, "app").await.unwrap();
    let (mut socket, response) = bounded(tokio_tungstenite::client_async("wss://app/ws", tls))
        .await
        .unwrap();
    assert_eq!(response.status(), 101);
    socket.send(Message::text("over tls")).await.unwrap();
    let back = bounded(socket.next()).await.unwrap().unwrap();
    assert_eq!(back, Message::text("over tls"));
    let c = server.counters();
    assert_eq!((c.handshakes, c.requests, c.fired), (1, 1, 0));
}

#[tokio::test]
async fn a_grpc_server_negotiates_h2_and_answers_over_tls() {
    let ca = Arc::new(Ca::generate().unwrap());
    let server = start_tls("{kind: grpc_unary, message_size: 100, tls: {}}", &ca).await;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.der().clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    // What nginx's grpc module offers for grpcs://.
    config.alpn_protocols = vec![b"h2".to_vec()];
    let tls = handshake(&TlsConnector::from(Arc::new(config)), &server, "localhost")
        .await
        .unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (mut h2, conn) = bounded(h2::client::handshake(tls)).await.unwrap();
    tokio::spawn(conn);
    let call = http::Request::post("https://localhost/echo.Echo/Unary")
        .header("content-type", "application/grpc")
        .body(())
        .unwrap();
    let (response, mut body) = h2.send_request(call, false).unwrap();
    body.send_data(fake_upstreams::grpc::message(10), true)
        .unwrap();
    let response = bounded(response).await.unwrap();
    assert_eq!(response.status(), 200);
    let mut recv = response.into_body();
    let mut got = Vec::new();
    while let Some(chunk) = bounded(recv.data()).await {
        got.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(got, &fake_upstreams::grpc::message(100)[..]);
    let trailers = bounded(recv.trailers()).await.unwrap().unwrap();
    assert_eq!(trailers["grpc-status"], "0");
}
