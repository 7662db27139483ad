//! The load driver's HTTP/2 and gRPC client modes against the gRPC fakes directly (no nginx):
//! each way a call can end is its own outcome, and a healthy reply's message is verified.

use crate::load_support;

use badgateway::load::{ClientProtocol, LoadPlan};
use badgateway::outcome::Outcome;
use fake_upstreams::faults::{Fault, GrpcNoTrailers, GrpcRstStream, GrpcUnary};
use fake_upstreams::{ByteSize, Server};
use tokio_util::sync::CancellationToken;

use load_support::*;

async fn start(fault: Fault) -> Server {
    let addr = "127.0.0.1:0".parse().unwrap();
    fake_upstreams::spawn(fault, addr, CancellationToken::new())
        .await
        .unwrap()
}

fn grpc_plan(server: &Server, requests: u64) -> LoadPlan {
    let mut plan = plan(server.addr(), requests, 2);
    plan.path = "/echo.Echo/Unary".into();
    plan.method = http::Method::POST;
    plan.body_bytes = 100;
    plan.shape.protocol = ClientProtocol::Grpc;
    plan
}

#[tokio::test]
async fn healthy_calls_are_200s_with_their_message_verified() {
    let fault = GrpcUnary {
        message_size: ByteSize(3000),
        ..GrpcUnary::default()
    };
    let server = start(Fault::GrpcUnary(fault)).await;
    let report = run(&grpc_plan(&server, 10)).await;
    assert_only(&report, Outcome::Status(200), 10);
    assert_eq!(report.integrity.verified, 10);
    let seen = server.counters();
    assert_eq!(seen.requests, 10);
    assert!(
        seen.received
            .iter()
            .all(|r| r.method == "POST" && r.path == "/echo.Echo/Unary")
    );
    let mut ids: Vec<u64> = seen.received.iter().filter_map(|r| r.id).collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        (0..10).collect::<Vec<_>>(),
        "every call carried its request id"
    );
}

#[tokio::test]
async fn a_non_zero_grpc_status_is_its_own_outcome() {
    let fault = GrpcUnary {
        grpc_status: 14,
        ..GrpcUnary::default()
    };
    let server = start(Fault::GrpcUnary(fault)).await;
    let report = run(&grpc_plan(&server, 4)).await;
    assert_only(&report, Outcome::GrpcStatus(14), 4);
    for record in &report.requests {
        let h2 = record.h2.as_ref().expect("an HTTP/2 record");
        assert_eq!(
            (h2.status, h2.grpc_status, h2.rst_code),
            (Some(200), Some(14), None)
        );
    }
}

#[tokio::test]
async fn a_reset_stream_is_rst_stream_with_its_code() {
    let server = start(Fault::GrpcRstStream(GrpcRstStream { error_code: 7 })).await;
    let report = run(&grpc_plan(&server, 4)).await;
    assert_only(&report, Outcome::RstStream, 4);
    let json = serde_json::to_string(&report).unwrap();
    assert!(
        json.contains("RST_STREAM REFUSED_STREAM (7) before the response head"),
        "{json}"
    );
    for record in &report.requests {
        let h2 = record.h2.as_ref().expect("an HTTP/2 record");
        assert_eq!(
            (h2.status, h2.grpc_status, h2.rst_code),
            (None, None, Some(7))
        );
    }
}

#[tokio::test]
async fn a_reply_without_trailers_is_no_trailers() {
    let fault = GrpcNoTrailers {
        ending: fake_upstreams::faults::GrpcEnding::EndStream,
        ..GrpcNoTrailers::default()
    };
    let server = start(Fault::GrpcNoTrailers(fault)).await;
    let report = run(&grpc_plan(&server, 4)).await;
    assert_only(&report, Outcome::NoTrailers, 4);
    let digest = fake_upstreams::body::digest(&fake_upstreams::grpc::message(1024));
    for record in &report.requests {
        let h2 = record.h2.as_ref().expect("an HTTP/2 record");
        assert_eq!((h2.status, h2.grpc_status), (Some(200), None));
        assert_eq!(
            h2.body.as_deref(),
            Some(digest.as_str()),
            "the whole message came"
        );
    }
}

#[tokio::test]
async fn http2_gets_are_verified_like_http1_ones() {
    let server = start(Fault::GrpcUnary(GrpcUnary::default())).await;
    let mut plan = plan(server.addr(), 6, 2);
    plan.shape.protocol = ClientProtocol::Http2;
    let report = run(&plan).await;
    assert_only(&report, Outcome::Status(200), 6);
    assert_eq!(report.integrity.verified, 6);
    assert!(server.counters().received.iter().all(|r| r.method == "GET"));
}

#[tokio::test]
async fn calls_go_over_tls_with_alpn_h2_trusting_the_given_ca() {
    let ca = std::sync::Arc::new(fake_upstreams::Ca::generate().unwrap());
    let spec = fake_upstreams::yaml::spec_from_str(
        "{kind: grpc_unary, message_size: 500, tls: {name: badgateway}}",
    )
    .unwrap();
    let opts = fake_upstreams::SpawnOptions {
        tls_ca: Some(ca.clone()),
        ..fake_upstreams::SpawnOptions::default()
    };
    let server = fake_upstreams::spawn_spec(spec, opts, CancellationToken::new())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();
    let mut plan = grpc_plan(&server, 6);
    plan.shape.tls_ca = Some(ca_file);
    let report = run(&plan).await;
    assert_only(&report, Outcome::Status(200), 6);
    assert_eq!(report.integrity.verified, 6);
    assert!(server.counters().handshakes >= 1);
}
