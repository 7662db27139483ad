//! `badgateway load`'s driver ([`drive_threaded`]): workers spread over several client
//! threads, each recording into its own aggregator, give the same report as one aggregator
//! would — every request counted once with a run-unique id, every body verified — over HTTP/1.1
//! and HTTP/2, and a cancel stops the run at once.

use crate::load_support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use badgateway::load::{ClientProtocol, LoadPlan, LoadReport, drive_threaded};
use badgateway::outcome::Outcome;
use fake_upstreams::Server;
use fake_upstreams::faults::{Fault, GrpcUnary, Healthy};
use tokio_util::sync::CancellationToken;

use load_support::*;

async fn start(fault: Fault) -> Server {
    let addr = "127.0.0.1:0".parse().unwrap();
    fake_upstreams::spawn(fault, addr, CancellationToken::new())
        .await
        .unwrap()
}

/// `drive_threaded` on `threads` threads, off the test's runtime (it blocks).
async fn run_threaded(plan: LoadPlan, cancel: CancellationToken, threads: usize) -> LoadReport {
    let run = tokio::task::spawn_blocking(move || drive_threaded(&plan, cancel, threads));
    tokio::time::timeout(SAFETY, run)
        .await
        .expect("load run exceeded the safety timeout")
        .unwrap()
}

fn ids(report: &LoadReport) -> BTreeSet<u64> {
    report.requests.iter().map(|r| r.id).collect()
}

#[tokio::test]
async fn every_request_of_every_thread_is_counted_once_and_verified() {
    let server = start(Fault::Healthy(Healthy::default())).await;
    let report = run_threaded(plan(server.addr(), 300, 6), CancellationToken::new(), 3).await;
    assert_only(&report, Outcome::Status(200), 300);
    assert_eq!(report.integrity.verified, 300, "{:?}", report.integrity);
    assert_eq!(
        ids(&report),
        (0..300).collect(),
        "ids are 0..300, each once"
    );
    assert_eq!(report.requests.len(), 300);
    assert_eq!(server.counters().received.len(), 300);
    // scripts/compare-load reads this line to show that every body was verified.
    let text = badgateway::report::load_text::load("http://x/", 6, Duration::from_secs(1), &report);
    assert!(
        text.lines().any(|l| l
            == "bodies    300 verified byte for byte, 0 corrupt, 0 2xx without a digest"),
        "{text}"
    );
}

#[tokio::test]
async fn http2_requests_are_verified_on_every_thread() {
    let server = start(Fault::GrpcUnary(GrpcUnary::default())).await;
    let mut plan = plan(server.addr(), 40, 4);
    plan.shape.protocol = ClientProtocol::Http2;
    let report = run_threaded(plan, CancellationToken::new(), 2).await;
    assert_only(&report, Outcome::Status(200), 40);
    assert_eq!(report.integrity.verified, 40);
    assert_eq!(ids(&report), (0..40).collect());
}

#[tokio::test]
async fn a_cancel_stops_every_thread_and_marks_the_report() {
    let server = start(Fault::Healthy(Healthy::default())).await;
    let mut plan = plan(server.addr(), 10_000_000, 4);
    plan.shape.duration = Some(Duration::from_secs(60));
    plan.max_duration = Duration::from_secs(120);
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        trigger.cancel();
    });
    let started = Instant::now();
    let report = run_threaded(plan, cancel, 2).await;
    // Generous: the run is meant to last 60 s; stopping within the safety bound proves the
    // cancel reached both threads.
    assert!(started.elapsed() < SAFETY, "{:?}", started.elapsed());
    assert!(report.cancelled);
    assert!(report.total > 0, "some requests finished before the cancel");
    assert_eq!(
        report.count(Outcome::Status(200)),
        report.total,
        "{report:#?}"
    );
    assert_eq!(ids(&report).len() as u64, report.total, "no id twice");
}
