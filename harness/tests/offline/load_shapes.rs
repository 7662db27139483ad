//! Load driver traffic shapes against loopback servers: request ids, seeded method mixes,
//! spacing, duration-bounded load and slow request bodies.

use crate::load_support;

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use badgateway::load::{REQUEST_ID_HEADER, SlowBody, drive};
use badgateway::outcome::Outcome;
use fake_upstreams::body::pattern;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

use load_support::*;

#[tokio::test]
async fn every_request_carries_a_unique_request_id() {
    let (server, seen) = recording_server(Duration::ZERO).await;
    let report = run(&plan(server.addr, 200, 8)).await;
    assert_only(&report, Outcome::Status(200), 200);
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    assert_eq!(REQUEST_ID_HEADER, "x-badgateway-request");
    let ids: BTreeSet<u64> = methods_by_id(&seen).into_keys().collect();
    assert_eq!(ids, (0..200).collect::<BTreeSet<u64>>());
}

#[tokio::test]
async fn the_method_mix_follows_the_weights_and_the_seed() {
    let mixed = |addr, seed| {
        let mut p = plan(addr, 400, 4);
        p.body_bytes = 16;
        p.shape.seed = seed;
        p.shape.methods = vec![(http::Method::GET, 50), (http::Method::POST, 50)];
        p
    };
    let mut runs = Vec::new();
    for seed in [7, 7, 8] {
        let (server, seen) = recording_server(Duration::ZERO).await;
        let report = run(&mixed(server.addr, seed)).await;
        assert_only(&report, Outcome::Status(200), 400);
        let seen = std::mem::take(&mut *seen.lock().unwrap());
        for request in &seen {
            let expected = (request.method() == "POST").then_some(16);
            assert_eq!(request.content_length, expected, "{}", request.head);
            assert_eq!(request.body.len(), expected.unwrap_or(0));
        }
        let by_id = methods_by_id(&seen);
        assert_eq!(by_id.len(), 400);
        let posts = by_id.values().filter(|m| *m == "POST").count() as u64;
        let gets = by_id.values().filter(|m| *m == "GET").count() as u64;
        assert_eq!(posts + gets, 400, "{by_id:?}");
        assert!((140..=260).contains(&posts), "{posts} POSTs of 400");
        assert_eq!(report.total_method("POST"), posts);
        assert_eq!(report.count_method("GET", Outcome::Status(200)), gets);
        runs.push(by_id);
    }
    assert_eq!(
        runs[0], runs[1],
        "same seed, same method for every request id"
    );
    assert_ne!(runs[0], runs[2], "another seed draws another mix");
}

#[tokio::test]
async fn spacing_paces_the_requests_of_one_connection() {
    let (server, seen) = recording_server(Duration::ZERO).await;
    let spacing = Duration::from_millis(100);
    let mut p = plan(server.addr, 5, 1);
    p.shape.spacing = Some(spacing);
    let started = Instant::now();
    let report = run(&p).await;
    let elapsed = started.elapsed();
    assert_only(&report, Outcome::Status(200), 5);
    assert!(elapsed >= spacing * 4, "{elapsed:?}");
    assert!(report.wall_ms >= 400, "{}", report.wall_ms);
    assert_eq!(server.accepts.load(Ordering::SeqCst), 1, "kept alive");
    assert_eq!(seen.lock().unwrap().len(), 5);
}

#[tokio::test]
async fn cancel_interrupts_a_pause() {
    let (server, seen) = recording_server(Duration::ZERO).await;
    let mut p = plan(server.addr, 10, 1);
    p.shape.spacing = Some(Duration::from_secs(60));
    p.max_duration = Duration::from_secs(120);
    let cancel = CancellationToken::new();
    let run = tokio::spawn({
        let cancel = cancel.clone();
        async move { drive(&p, cancel).await }
    });
    tokio::time::timeout(SAFETY, async {
        while seen.lock().unwrap().is_empty() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap();
    // The first request's response is on its way; the worker then pauses for a minute.
    tokio::time::sleep(Duration::from_millis(200)).await;
    cancel.cancel();
    let report = tokio::time::timeout(Duration::from_secs(5), run)
        .await
        .expect("cancel must interrupt the pause")
        .unwrap();
    assert!(report.cancelled);
    assert_eq!(report.total, 1, "{report:#?}");
    assert_eq!(report.count(Outcome::Status(200)), 1);
}

#[tokio::test]
async fn duration_stops_issuing_but_lets_requests_finish() {
    // Every response takes 100 ms, so requests are in flight when the 300 ms are over.
    let (server, _seen) = recording_server(Duration::from_millis(100)).await;
    let mut p = plan(server.addr, u64::MAX, 2);
    p.shape.duration = Some(Duration::from_millis(300));
    let report = run(&p).await;
    assert!(report.total > 0 && report.total < p.requests, "{report:#?}");
    assert_eq!(report.count(Outcome::Timeout), 0, "{report:#?}");
    assert_eq!(report.count(Outcome::Status(200)), report.total);
    assert!(
        report.wall_ms >= 300 && report.wall_ms < 5_000,
        "{}",
        report.wall_ms
    );
    // Nothing was issued after the duration (a little slack for the instant of issuing).
    assert!(report.window(Duration::from_millis(400), None).is_empty());
    assert!(!report.cancelled);
}

#[tokio::test]
async fn a_slow_body_arrives_in_paced_pieces() {
    // Each read of the connection: when, and how many bytes.
    let reads = Arc::new(Mutex::new(Vec::<(Instant, usize)>::new()));
    let log = Arc::clone(&reads);
    let server = serve(move |mut stream| {
        let log = Arc::clone(&log);
        async move {
            let mut buf = Vec::new();
            let complete = |buf: &[u8]| {
                let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
                let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                let len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))?
                    .trim()
                    .parse()
                    .ok()?;
                (buf.len() >= end + 4 + len).then(|| buf[end + 4..].to_vec())
            };
            loop {
                match stream.read_buf(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => log.lock().unwrap().push((Instant::now(), n)),
                }
                if let Some(body) = complete(&buf) {
                    assert_eq!(body, pattern(40).to_vec(), "the whole body, in order");
                    let _ = stream.write_all(&healthy_200(10, "")).await;
                    return;
                }
            }
        }
    })
    .await;
    let interval = Duration::from_millis(100);
    let mut p = plan(server.addr, 1, 1);
    p.method = http::Method::POST;
    p.body_bytes = 40;
    p.shape.slow_body = Some(SlowBody {
        chunk: 10,
        interval,
    });
    let report = run(&p).await;
    assert_only(&report, Outcome::Status(200), 1);
    let reads = reads.lock().unwrap();
    let gaps = reads
        .windows(2)
        .filter(|w| w[1].0 - w[0].0 >= interval / 2)
        .count();
    assert!(gaps >= 3, "4 pieces need 3 paced gaps: {reads:?}");
    assert!(report.latency.max_ms >= 300.0, "{:?}", report.latency);
}
