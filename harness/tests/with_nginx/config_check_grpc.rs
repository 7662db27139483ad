//! `check` on gRPC configs against real nginx: `grpc_pass` locations played by gRPC fakes and
//! called with unary calls over cleartext HTTP/2, where the server accepts HTTP/2 from
//! clients (`listen … http2`, kept in the test config, or `http2 on;`); the columns that fit
//! gRPC (never `stall`, whose late answer is HTTP/1.x), with the gRPC scenarios as advice;
//! `grpcs://` with `grpc_ssl_verify` and `grpc_ssl_name` against fakes with certificates from
//! the run's CA; and a server without HTTP/2 listed as untested, never given one.

use crate::common;

use badgateway::confcheck::analyze::Protocol;
use badgateway::confcheck::faults::played_for;
use badgateway::confcheck::{CheckReport, FaultKind, Placement};
use badgateway::outcome::Outcome;

use super::config_check::run;

const ONE: Placement = Placement::OneServer;
const ALL: Placement = Placement::AllPrimaries;

/// The cell of `up` × `fault` × `placement`: failing, with `status` among what clients got
/// and `line` in nginx's error.log.
fn fails_with(
    r: &CheckReport,
    up: &str,
    fault: FaultKind,
    placement: Placement,
    status: u16,
    line: &str,
) {
    let cell = r.cell(up, fault, placement).unwrap();
    // A refusing server never accepts, so it cannot count what it refused.
    let seen = cell.fired > 0 || fault == FaultKind::Refuse;
    assert!(!cell.survives && seen, "{cell:#?}");
    assert!(
        cell.outcomes.contains_key(&Outcome::Status(status)),
        "{cell:#?}"
    );
    assert!(
        cell.log.iter().any(|l| l.contains(line)),
        "{line}: {cell:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_grpc_api_on_a_cleartext_http2_listen_gets_the_grpc_fault_matrix() {
    let Some(nginx) = common::nginx_or_skip("a_grpc_api_gets_the_grpc_fault_matrix") else {
        return;
    };
    let r = run(&nginx, "grpc/h2c.conf", &[]).await;
    let up = r
        .upstreams
        .iter()
        .find(|u| u.upstream.name == "greeter")
        .unwrap_or_else(|| panic!("greeter tested: {r:#?}"));
    assert_eq!(up.upstream.protocol, Protocol::Grpc);
    assert!(up.targets.iter().all(|t| t.grpc), "{up:#?}");
    let mut played: Vec<FaultKind> = up.distinct_cells().map(|c| c.fault).collect();
    played.dedup();
    assert_eq!(played, played_for(Protocol::Grpc));
    for k in [
        FaultKind::Refuse,
        FaultKind::Reset,
        FaultKind::GrpcRstStream,
        FaultKind::GrpcStall,
    ] {
        assert!(played.contains(&k), "{k:?} in {played:?}");
    }
    assert!(!played.contains(&FaultKind::Stall) && !played.contains(&FaultKind::CloseMidBody));
    // Two servers: the second answers the calls a refusing first one could not take.
    assert!(r.cell("greeter", FaultKind::Refuse, ONE).unwrap().survives);
    fails_with(
        &r,
        "greeter",
        FaultKind::Refuse,
        ALL,
        502,
        "connect() failed (111: Connection refused)",
    );
    // A reset stream is not retried: the call that met it is a 502.
    let line = "upstream rejected request with error 2 while reading response header from upstream";
    fails_with(&r, "greeter", FaultKind::GrpcRstStream, ONE, 502, line);
    let rst = r.cell("greeter", FaultKind::GrpcRstStream, ONE).unwrap();
    assert_eq!(rst.advice.as_ref().unwrap().scenario, "grpc-rst-stream");
    // grpc_read_timeout 1s against the 2 s probe: 504, and the gRPC timeout scenario.
    let line = "upstream timed out (110: Connection timed out) while reading response header";
    fails_with(&r, "greeter", FaultKind::GrpcStall, ALL, 504, line);
    let stall = r.cell("greeter", FaultKind::GrpcStall, ONE).unwrap();
    assert_eq!(stall.advice.as_ref().unwrap().scenario, "grpc-read-timeout");
    // The admin server has no HTTP/2: untested, with the reason.
    let admin = r
        .untested
        .iter()
        .find(|u| u.what.contains("/admin.Admin/"))
        .unwrap_or_else(|| panic!("admin untested: {:#?}", r.untested));
    assert!(admin.reason.contains("no HTTP/2"), "{admin:#?}");
    assert!(
        r.changes
            .iter()
            .any(|c| c.what.contains("(cleartext HTTP/2 kept)")),
        "{:#?}",
        r.changes
    );
    // Plain HTTP/1.1 on the cleartext http2 listen: nginx before 1.25.1 answers it with
    // HTTP/2 frames only (the control run's client cannot parse them); newer nginx tells
    // the two apart by the connection preface.
    let status = r
        .upstreams
        .iter()
        .any(|u| u.targets.iter().any(|t| t.location == "location /status"));
    let h1_untested = r
        .untested
        .iter()
        .any(|u| u.what.contains("location /status") && u.reason.contains("parse_error"));
    match nginx.has_http2_directive() {
        true => assert!(status && !h1_untested, "{r:#?}"),
        false => assert!(!status && h1_untested, "{r:#?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_grpcs_upstream_is_verified_by_grpc_ssl_name_against_the_runs_ca() {
    let Some(nginx) = common::nginx_or_skip("a_grpcs_upstream_is_verified") else {
        return;
    };
    let faults = [FaultKind::GrpcRstStream, FaultKind::GrpcStall];
    let r = run(&nginx, "grpc/grpcs.conf", &faults).await;
    assert!(r.untested.is_empty() && r.defects.is_empty(), "{r:#?}");
    let [up] = r.upstreams.as_slice() else {
        panic!("one upstream: {r:#?}");
    };
    assert_eq!(up.upstream.tls.as_deref(), Some("billing.internal"));
    // The control passed: with grpc_ssl_verify on, nginx took the fakes' certificate.
    let line = "upstream rejected request with error 2 while reading response header from upstream";
    fails_with(&r, "billing", FaultKind::GrpcRstStream, ONE, 502, line);
    // The default grpc_read_timeout (60s) outlasts the 2 s stall: every call answered.
    let stall = r.cell("billing", FaultKind::GrpcStall, ONE).unwrap();
    assert!(stall.survives && stall.fired > 0, "{stall:#?}");
    assert_eq!(
        stall.outcomes.get(&Outcome::Status(200)),
        Some(&4),
        "{stall:#?}"
    );
    assert!(
        r.changes
            .iter()
            .any(|c| c.what.starts_with("grpc_ssl_trusted_certificate")),
        "{:#?}",
        r.changes
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn http2_on_behind_tls_is_called_over_cleartext_http2_and_http1() {
    let test = "http2_on_behind_tls_is_called_over_cleartext_http2";
    let Some(path) = common::local_nginx_or_skip("1.30", test) else {
        return;
    };
    let nginx = badgateway::nginx::locate(Some(&path)).unwrap();
    let r = run(&nginx, "grpc/http2-on.conf", &[FaultKind::GrpcRstStream]).await;
    assert!(r.defects.is_empty(), "{r:#?}");
    let protocols: Vec<(&str, Protocol)> = r
        .upstreams
        .iter()
        .map(|u| (u.upstream.name.as_str(), u.upstream.protocol))
        .collect();
    assert_eq!(
        protocols,
        [
            ("inventory", Protocol::Grpc),
            ("127.0.0.1:9000", Protocol::Http)
        ]
    );
    // A backup server: the first calls meet the reset (502), later ones go to the backup.
    let rst = r.cell("inventory", FaultKind::GrpcRstStream, ONE).unwrap();
    assert!(!rst.survives, "{rst:#?}");
    assert!(rst.outcomes.contains_key(&Outcome::Status(200)), "{rst:#?}");
    assert!(rst.outcomes.contains_key(&Outcome::Status(502)), "{rst:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ssl_http2_listen_serving_only_grpc_is_called_over_cleartext_http2() {
    let Some(nginx) = common::nginx_or_skip("an_ssl_http2_listen_serving_only_grpc") else {
        return;
    };
    let r = run(&nginx, "grpc/tls-listen.conf", &[FaultKind::GrpcRstStream]).await;
    let app = r
        .upstreams
        .iter()
        .find(|u| u.upstream.name == "app")
        .unwrap();
    let via: Vec<String> = app.targets.iter().map(|t| t.label()).collect();
    assert_eq!(via, ["grpc.example.com location /g/"]);
    // Two servers: the call that met the reset is a 502 (a sent call is not retried).
    let rst = r.cell("app", FaultKind::GrpcRstStream, ONE).unwrap();
    assert!(!rst.survives, "{rst:#?}");
    assert!(rst.outcomes.contains_key(&Outcome::Status(200)), "{rst:#?}");
    assert!(rst.outcomes.contains_key(&Outcome::Status(502)), "{rst:#?}");
    assert!(
        r.changes
            .iter()
            .any(|c| c.what.contains("served as cleartext HTTP/2")),
        "{:#?}",
        r.changes
    );
    assert!(
        r.untested
            .iter()
            .any(|u| u.what.starts_with("mixed.example.com location /g/")),
        "{r:#?}"
    );
}
