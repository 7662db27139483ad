//! `single_worker` against a real loopback socket, checked from the client's side.

use crate::common;
use common::*;
use fake_upstreams::Fault;
use fake_upstreams::faults::SingleWorker;
use std::io::ErrorKind;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;

#[tokio::test]
async fn single_worker_keeps_the_next_connection_queued_until_the_slow_one_is_done() {
    let server = start(Fault::SingleWorker(SingleWorker::default())).await;
    let mut slow = connect(&server).await;
    slow.write_all(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nhello")
        .await
        .unwrap();
    eventually(|| server.counters().requests == 1).await;
    let mut queued = connect(&server).await;
    send_request(&mut queued).await;
    let mut buf = [0u8; 16];
    let early = tokio::time::timeout(Duration::from_millis(200), queued.read(&mut buf)).await;
    assert!(early.is_err(), "the second client must wait for the worker");
    assert_eq!(server.counters().connections, 1, "not even accepted");
    slow.write_all(b"world").await.unwrap();
    parse(&read_to_end(&mut slow).await).assert_intact();
    parse(&read_to_end(&mut queued).await).assert_intact();
    let counters = server.counters();
    assert_eq!(
        (counters.connections, counters.requests, counters.fired),
        (2, 2, 1)
    );
}

/// `n` connects to a unix socket, all kept open at once: the connected streams and how many
/// failed with EAGAIN. tokio's `connect` is non-blocking like nginx's (the socket is
/// `O_NONBLOCK`, a full accept queue fails at once instead of waiting), unlike std's.
async fn unix_burst(path: &Path, n: usize) -> (Vec<UnixStream>, usize) {
    let mut open = Vec::new();
    let mut eagain = 0;
    for _ in 0..n {
        match bounded(UnixStream::connect(path)).await {
            Ok(stream) => open.push(stream),
            Err(err) if err.kind() == ErrorKind::WouldBlock => eagain += 1,
            Err(err) => panic!("unexpected connect error: {err}"),
        }
    }
    (open, eagain)
}

/// Send a minimal request on every stream, then read each answer's status line (the server
/// answers one at a time, so the reads wait their turn).
async fn statuses(streams: &mut [UnixStream]) -> Vec<u16> {
    for stream in streams.iter_mut() {
        bounded(stream.write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n"))
            .await
            .expect("write request");
    }
    let mut out = Vec::new();
    for stream in streams.iter_mut() {
        let mut got = Vec::new();
        bounded(stream.read_to_end(&mut got)).await.expect("read");
        out.push(parse(&got).status);
    }
    out
}

/// PHP-FPM with one busy child and `listen.backlog = 1`: the queue overflows and connects
/// fail with EAGAIN (nginx: `connect() to unix:... failed (11: ...)`, 502).
#[tokio::test]
async fn busy_single_worker_with_a_tiny_backlog_overflows_with_eagain() {
    let dir = socket_dir();
    let spec = "{kind: single_worker, workers: 1, delay: 300ms, listen: unix, backlog: 1}";
    let server = start_spec(spec, dir.path(), "fpm", 0).await;
    let (mut open, eagain) = unix_burst(&unix_path(&server), 8).await;
    assert!(
        eagain >= 1,
        "no connect overflowed ({} connected)",
        open.len()
    );
    // Linux queues backlog + 1, and the one worker holds at most one more
    assert!(open.len() <= 3, "{} connected", open.len());
    assert!(statuses(&mut open).await.iter().all(|&s| s == 200));
    bounded(server.stop()).await;
}

/// The fix: a larger backlog queues the burst, and every request is served in turn.
#[tokio::test]
async fn busy_single_worker_with_a_larger_backlog_queues_and_serves_everyone() {
    let dir = socket_dir();
    let spec = "{kind: single_worker, workers: 1, delay: 300ms, listen: unix, backlog: 64}";
    let server = start_spec(spec, dir.path(), "fpm", 0).await;
    let started = Instant::now();
    let (mut open, eagain) = unix_burst(&unix_path(&server), 8).await;
    assert_eq!((open.len(), eagain), (8, 0));
    assert_eq!(statuses(&mut open).await, vec![200; 8]);
    // one worker, 300ms of work per request: the answers came one after the other
    assert!(started.elapsed() >= Duration::from_millis(8 * 300));
    let counters = server.counters();
    assert_eq!((counters.connections, counters.requests), (8, 8));
    bounded(server.stop()).await;
}

/// Listening again after a `refuse` step keeps the spec's backlog.
#[tokio::test]
async fn backlog_survives_a_refuse_step() {
    let dir = socket_dir();
    let spec = "{kind: single_worker, delay: 300ms, listen: unix, backlog: 1, \
                schedule: [{after: 100ms, kind: refuse}, {after: 200ms, kind: single_worker, delay: 300ms}]}";
    let server = start_spec(spec, dir.path(), "fpm", 0).await;
    let path = unix_path(&server);
    until(|| async {
        let refused = UnixStream::connect(&path).await;
        matches!(refused, Err(err) if err.kind() == ErrorKind::ConnectionRefused).then_some(())
    })
    .await;
    let first = until(|| async { UnixStream::connect(&path).await.ok() }).await;
    let (open, eagain) = unix_burst(&path, 7).await;
    assert!(
        eagain >= 1,
        "no connect overflowed ({} connected)",
        open.len() + 1
    );
    drop((first, open));
    bounded(server.stop()).await;
}
