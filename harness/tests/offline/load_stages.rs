//! Traffic stages against an in-test server: stages run in order into one report with per-stage
//! counts and run-unique ids; a sequence alternates methods on one connection; a rate starts
//! requests on schedule whatever the responses take, and counts the starts it could not keep;
//! a ramp spreads the connects.
//!
//! Timing bounds are generous (hundreds of milliseconds) because the machine is shared: they
//! separate "on schedule" from "closed model" by a wide margin, not by jitter.

use crate::load_support;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use badgateway::load::{ConnectionRamp, LiveCounts, LoadPlan, LoadReport, LoadStage, drive_stages};
use badgateway::outcome::Outcome;
use http::Method;
use tokio::io::AsyncWriteExt;
use tokio_util::sync::CancellationToken;

use load_support::*;

/// What the server saw: per request its arrival time, method, path and id; per connection
/// its accept time.
#[derive(Default)]
struct Log {
    requests: Vec<(Duration, String, String, u64)>,
    accepts: Vec<Duration>,
}

/// A keep-alive server answering every request with a healthy 200 after `delay`.
async fn timed_server(delay: Duration) -> (TestServer, Arc<Mutex<Log>>, Instant) {
    let log = Arc::new(Mutex::new(Log::default()));
    let epoch = Instant::now();
    let shared = Arc::clone(&log);
    let server = serve(move |mut stream| {
        let log = Arc::clone(&shared);
        async move {
            log.lock().unwrap().accepts.push(epoch.elapsed());
            let mut buf = Vec::new();
            while let Some(seen) = read_request(&mut stream, &mut buf).await {
                let path = seen.head.split(' ').nth(1).unwrap_or_default().to_string();
                let entry = (
                    epoch.elapsed(),
                    seen.method().to_string(),
                    path,
                    seen.request_id().unwrap(),
                );
                log.lock().unwrap().requests.push(entry);
                tokio::time::sleep(delay).await;
                if stream.write_all(&healthy_200(10, "")).await.is_err() {
                    return;
                }
            }
        }
    })
    .await;
    (server, log, epoch)
}

async fn run_stages(stages: &[LoadStage]) -> LoadReport {
    let (live, _) = tokio::sync::watch::channel(LiveCounts::default());
    tokio::time::timeout(
        SAFETY,
        drive_stages(stages, CancellationToken::new(), &live),
    )
    .await
    .expect("load run exceeded the safety timeout")
}

fn stage(name: &str, plan: LoadPlan) -> LoadStage {
    LoadStage {
        name: name.into(),
        plan,
    }
}

#[tokio::test]
async fn stages_run_in_order_with_their_own_counts_and_run_unique_ids() {
    let (server, log, _) = timed_server(Duration::ZERO).await;
    let burst = plan(server.addr, 6, 3);
    let mut after = plan(server.addr, 4, 1);
    after.shape.sequence = vec![(Method::GET, "/a".into()), (Method::POST, "/b".into())];
    let report = run_stages(&[stage("burst", burst), stage("after", after)]).await;
    assert_eq!(report.total, 10, "{report:#?}");
    let counts = |name| report.stage(name).unwrap().outcomes[&Outcome::Status(200)];
    assert_eq!((counts("burst"), counts("after")), (6, 4));
    let log = log.lock().unwrap();
    let ids: BTreeSet<u64> = log.requests.iter().map(|r| r.3).collect();
    assert_eq!(ids, (0..10).collect(), "ids continue across stages");
    let (first, second) = log.requests.split_at(6);
    assert!(
        first.iter().all(|r| r.3 < 6 && r.2 == "/"),
        "burst ran first"
    );
    let steps: Vec<(&str, &str)> = second
        .iter()
        .map(|r| (r.1.as_str(), r.2.as_str()))
        .collect();
    assert_eq!(
        steps,
        [("GET", "/a"), ("POST", "/b"), ("GET", "/a"), ("POST", "/b")],
        "one connection alternates GET and POST"
    );
    assert_eq!(report.count_method("POST", Outcome::Status(200)), 2);
}

#[tokio::test]
async fn a_rate_starts_requests_on_schedule_whatever_the_responses_take() {
    // 200 ms responses, one start every 50 ms on 8 connections: a closed model would start 8
    // at once; the open model starts request i at i × 50 ms.
    let (server, log, epoch) = timed_server(Duration::from_millis(200)).await;
    let mut p = plan(server.addr, 10, 8);
    p.shape.arrival_interval = Some(Duration::from_millis(50));
    let began = epoch.elapsed();
    let report = run_stages(&[stage("1", p)]).await;
    assert_eq!(report.count(Outcome::Status(200)), 10, "{report:#?}");
    assert_eq!(
        report.late_starts, 0,
        "8 connections keep a 50 ms schedule of 200 ms requests"
    );
    let log = log.lock().unwrap();
    for (at, _, _, id) in &log.requests {
        let scheduled = began + Duration::from_millis(50 * id);
        assert!(
            *at + Duration::from_millis(5) >= scheduled
                && *at < scheduled + Duration::from_millis(300),
            "request {id} arrived at {at:?}, scheduled {scheduled:?}"
        );
    }
}

#[tokio::test]
async fn starts_without_a_free_connection_are_counted_late() {
    // One connection, 100 ms responses, a start every 10 ms: every request after the first
    // finds the connection busy.
    let (server, _, _) = timed_server(Duration::from_millis(100)).await;
    let mut p = plan(server.addr, 5, 1);
    p.shape.arrival_interval = Some(Duration::from_millis(10));
    let report = run_stages(&[stage("1", p)]).await;
    assert_eq!(report.count(Outcome::Status(200)), 5, "{report:#?}");
    assert_eq!(report.late_starts, 4, "{report:#?}");
    assert_eq!(
        report.by_stage[0].late_starts, 4,
        "counted for its stage too"
    );
    assert!(
        report.max_late_ms >= 300,
        "the last start was ~360 ms late: {report:#?}"
    );
}

#[tokio::test]
async fn a_ramp_spreads_the_connects_over_its_duration() {
    let (server, log, epoch) = timed_server(Duration::ZERO).await;
    let mut p = plan(server.addr, 4, 4);
    p.shape.ramp = Some(ConnectionRamp {
        connections: 4,
        over: Duration::from_millis(800),
    });
    let began = epoch.elapsed();
    let report = run_stages(&[stage("1", p)]).await;
    assert_eq!(report.count(Outcome::Status(200)), 4, "{report:#?}");
    let mut accepts = log.lock().unwrap().accepts.clone();
    accepts.sort();
    assert_eq!(accepts.len(), 4, "one connection per worker");
    let first = accepts[0] - began;
    let spread = accepts[3] - accepts[0];
    // Connects at 0, 200, 400 and 600 ms after the start.
    assert!(
        first < Duration::from_millis(150),
        "first connect at {first:?}"
    );
    assert!(
        (Duration::from_millis(550)..Duration::from_millis(1500)).contains(&spread),
        "connects spread over {spread:?}"
    );
}
