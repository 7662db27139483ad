//! Load driver against tiny in-test servers on loopback: each server misbehaves in one way and
//! the driver must classify every request accordingly, without retries and within its bounds.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use badgateway::load::{LoadPlan, LoadReport, REQUEST_ID_HEADER, SlowBody, drive};
use badgateway::outcome::Outcome;
use fake_upstreams::body::{DIGEST_HEADER, digest, pattern};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Upper bound for any single test step; never used for synchronization.
const SAFETY: Duration = Duration::from_secs(20);

/// A loopback server that counts accepted connections and runs `handler` on each.
struct TestServer {
    addr: SocketAddr,
    accepts: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve<F, Fut>(handler: F) -> TestServer
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepts = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepts);
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(handler(stream));
        }
    });
    TestServer {
        addr,
        accepts,
        task,
    }
}

/// A request as the server saw it.
#[derive(Debug)]
struct Seen {
    head: String,
    content_length: Option<usize>,
    body: Vec<u8>,
}

impl Seen {
    fn method(&self) -> &str {
        self.head.split(' ').next().unwrap_or_default()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then_some(v.trim())
        })
    }

    fn request_id(&self) -> Option<u64> {
        self.header(REQUEST_ID_HEADER)?.parse().ok()
    }
}

/// Read one request (head and Content-Length body); `None` at EOF. `buf` carries leftovers.
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Seen> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let content_length = head.lines().find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().ok())?
            });
            let total = end + 4 + content_length.unwrap_or(0);
            while buf.len() < total {
                if stream.read_buf(buf).await.ok()? == 0 {
                    return None;
                }
            }
            let body = buf[end + 4..total].to_vec();
            buf.drain(..total);
            return Some(Seen {
                head,
                content_length,
                body,
            });
        }
        if stream.read_buf(buf).await.ok()? == 0 {
            return None;
        }
    }
}

/// Serve requests on one connection until EOF, answering each with `respond(request)`.
async fn keep_alive(mut stream: TcpStream, respond: impl Fn(&Seen) -> Vec<u8>) {
    let mut buf = Vec::new();
    while let Some(request) = read_request(&mut stream, &mut buf).await {
        if stream.write_all(&respond(&request)).await.is_err() {
            return;
        }
    }
}

/// A 200 with a pattern body and the matching digest header.
fn healthy_200(len: usize, extra_headers: &str) -> Vec<u8> {
    let body = pattern(len);
    let mut out = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {len}\r\n{DIGEST_HEADER}: {}\r\n{extra_headers}\r\n",
        digest(&body)
    )
    .into_bytes();
    out.extend_from_slice(&body);
    out
}

/// Read one request, reply with `reply` (possibly empty), and close.
async fn reply_and_close(mut stream: TcpStream, reply: &'static [u8]) {
    let mut buf = Vec::new();
    if read_request(&mut stream, &mut buf).await.is_some() {
        let _ = stream.write_all(reply).await;
        let _ = stream.shutdown().await;
    }
}

fn plan(addr: SocketAddr, requests: u64, concurrency: usize) -> LoadPlan {
    let mut plan = LoadPlan::get(addr, "/", requests);
    plan.concurrency = concurrency;
    plan.request_timeout = Duration::from_secs(5);
    plan.max_duration = Duration::from_secs(15);
    plan
}

async fn run(plan: &LoadPlan) -> LoadReport {
    tokio::time::timeout(SAFETY, drive(plan, CancellationToken::new()))
        .await
        .expect("load run exceeded the safety timeout")
}

fn assert_only(report: &LoadReport, outcome: Outcome, requests: u64) {
    assert_eq!(report.total, requests, "{report:#?}");
    assert_eq!(report.count(outcome), requests, "{report:#?}");
    assert!(!report.cancelled);
}

#[tokio::test]
async fn keep_alive_200s_are_verified_and_reuse_connections() {
    let server = serve(|s| keep_alive(s, |_| healthy_200(1000, ""))).await;
    let report = run(&plan(server.addr, 50, 4)).await;
    assert_only(&report, Outcome::Status(200), 50);
    assert_eq!(report.integrity.verified, 50);
    assert_eq!(
        report.integrity.corrupt + report.integrity.unverified_2xx,
        0
    );
    let accepts = server.accepts.load(Ordering::SeqCst);
    assert!(
        (1..=4).contains(&accepts),
        "{accepts} connections for 4 workers"
    );
    assert!(report.latency.max_ms > 0.0 && report.requests_per_sec > 0.0);
    let in_timeline: u64 = report.timeline.iter().flat_map(|b| b.counts.values()).sum();
    assert_eq!(in_timeline, 50);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["outcomes"]["200"], 50);
}

#[tokio::test]
async fn server_closing_after_each_response_gets_fresh_connections_not_failures() {
    let server = serve(|s| keep_alive(s, |_| healthy_200(10, "Connection: close\r\n"))).await;
    let report = run(&plan(server.addr, 10, 1)).await;
    assert_only(&report, Outcome::Status(200), 10);
    assert_eq!(server.accepts.load(Ordering::SeqCst), 10);
}

#[tokio::test]
async fn a_502_is_counted_by_status() {
    let reply = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 3\r\n\r\nbad";
    let server = serve(move |s| keep_alive(s, move |_| reply.to_vec())).await;
    let report = run(&plan(server.addr, 5, 2)).await;
    assert_only(&report, Outcome::Status(502), 5);
    assert_eq!(
        report.integrity.verified + report.integrity.unverified_2xx,
        0
    );
}

#[tokio::test]
async fn a_200_without_digest_is_unverified() {
    let reply = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    let server = serve(move |s| keep_alive(s, move |_| reply.to_vec())).await;
    let report = run(&plan(server.addr, 3, 1)).await;
    assert_only(&report, Outcome::Status(200), 3);
    assert_eq!(report.integrity.unverified_2xx, 3);
    assert_eq!(report.integrity.verified, 0);
}

#[tokio::test]
async fn a_short_body_is_truncated() {
    let reply = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789";
    let server = serve(move |s| reply_and_close(s, reply)).await;
    let report = run(&plan(server.addr, 4, 2)).await;
    assert_only(&report, Outcome::Truncated, 4);
    assert!(!report.examples[&Outcome::Truncated].is_empty());
}

#[tokio::test]
async fn a_wrong_body_is_corrupt() {
    let server = serve(|s| {
        keep_alive(s, |_| {
            let mut reply = healthy_200(100, "");
            let last = reply.len() - 1;
            reply[last] = b'!';
            reply
        })
    })
    .await;
    let report = run(&plan(server.addr, 6, 2)).await;
    assert_only(&report, Outcome::Corrupt, 6);
    assert_eq!(report.integrity.corrupt, 6);
    let example = &report.examples[&Outcome::Corrupt][0];
    assert!(example.contains(DIGEST_HEADER), "{example}");
}

#[tokio::test]
async fn hanging_up_without_a_response_is_closed() {
    let server = serve(|s| reply_and_close(s, b"")).await;
    let report = run(&plan(server.addr, 4, 2)).await;
    assert_only(&report, Outcome::Closed, 4);
}

#[tokio::test]
async fn a_reset_is_reset() {
    let server = serve(|mut stream| async move {
        let mut buf = Vec::new();
        if read_request(&mut stream, &mut buf).await.is_some() {
            stream.set_zero_linger().unwrap();
            drop(stream);
        }
    })
    .await;
    let report = run(&plan(server.addr, 4, 2)).await;
    assert_only(&report, Outcome::Reset, 4);
}

#[tokio::test]
async fn nothing_listening_is_refused_once_per_request() {
    // Bound but not listening: the port stays ours and every connect is refused.
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = socket.local_addr().unwrap();
    let report = run(&plan(addr, 7, 3)).await;
    assert_only(&report, Outcome::Refused, 7);
    drop(socket);
}

#[tokio::test]
async fn garbage_is_a_parse_error() {
    let server = serve(|s| reply_and_close(s, b"hello garbage\r\n")).await;
    let report = run(&plan(server.addr, 3, 1)).await;
    assert_only(&report, Outcome::ParseError, 3);
}

/// Read the request, tell the test, then never answer (until the client goes away).
async fn never_answer(mut stream: TcpStream, seen: mpsc::UnboundedSender<()>) {
    let mut buf = Vec::new();
    if read_request(&mut stream, &mut buf).await.is_some() {
        let _ = seen.send(());
        while stream.read_buf(&mut buf).await.is_ok_and(|n| n > 0) {}
    }
}

async fn silent_server() -> (TestServer, mpsc::UnboundedReceiver<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let server = serve(move |s| never_answer(s, tx.clone())).await;
    (server, rx)
}

#[tokio::test]
async fn no_answer_is_a_timeout() {
    let (server, _seen) = silent_server().await;
    let mut p = plan(server.addr, 2, 2);
    p.request_timeout = Duration::from_millis(300);
    let report = run(&p).await;
    assert_only(&report, Outcome::Timeout, 2);
    assert!(report.latency.p50_ms >= 290.0, "{:?}", report.latency);
}

#[tokio::test]
async fn max_duration_cuts_in_flight_requests_as_timeouts() {
    let (server, _seen) = silent_server().await;
    let mut p = plan(server.addr, 1_000, 3);
    p.max_duration = Duration::from_millis(300);
    let report = run(&p).await;
    assert_only(&report, Outcome::Timeout, 3);
    assert!(
        report.wall_ms >= 290 && report.wall_ms < 5_000,
        "{}",
        report.wall_ms
    );
}

#[tokio::test]
async fn max_duration_bounds_a_huge_run() {
    let server = serve(|s| keep_alive(s, |_| healthy_200(10, ""))).await;
    let mut p = plan(server.addr, u64::MAX, 2);
    p.max_duration = Duration::from_millis(300);
    let report = run(&p).await;
    assert!(report.total > 0 && report.total < u64::MAX);
    assert_eq!(
        report.count(Outcome::Status(200)) + report.count(Outcome::Timeout),
        report.total
    );
    assert!(report.wall_ms < 5_000, "{}", report.wall_ms);
    assert!(!report.cancelled);
}

#[tokio::test]
async fn cancel_stops_a_run_promptly() {
    let (server, mut seen) = silent_server().await;
    let mut p = plan(server.addr, 1_000, 2);
    p.request_timeout = Duration::from_secs(60);
    p.max_duration = Duration::from_secs(60);
    let cancel = CancellationToken::new();
    let run = tokio::spawn({
        let cancel = cancel.clone();
        async move { drive(&p, cancel).await }
    });
    // Wait until a request is really in flight, then cancel.
    tokio::time::timeout(SAFETY, seen.recv())
        .await
        .unwrap()
        .unwrap();
    cancel.cancel();
    let report = tokio::time::timeout(Duration::from_secs(5), run)
        .await
        .expect("cancel must stop the run promptly")
        .unwrap();
    assert!(report.cancelled);
    assert_eq!(report.total, 0, "in-flight requests are dropped on cancel");
}

#[tokio::test]
async fn post_sends_a_sized_body() {
    let (tx, mut rx) = mpsc::unbounded_channel::<Seen>();
    let server = serve(move |mut stream| {
        let tx = tx.clone();
        async move {
            let mut buf = Vec::new();
            while let Some(request) = read_request(&mut stream, &mut buf).await {
                let _ = tx.send(request);
                if stream.write_all(&healthy_200(5, "")).await.is_err() {
                    return;
                }
            }
        }
    })
    .await;
    let mut p = plan(server.addr, 2, 1);
    p.method = http::Method::POST;
    p.body_bytes = 5000;
    p.host = "example.test".to_string();
    let report = run(&p).await;
    assert_only(&report, Outcome::Status(200), 2);
    for _ in 0..2 {
        let seen = rx.recv().await.unwrap();
        assert!(seen.head.starts_with("POST / HTTP/1.1"), "{}", seen.head);
        assert!(
            seen.head
                .to_ascii_lowercase()
                .contains("host: example.test"),
            "{}",
            seen.head
        );
        assert_eq!(seen.content_length, Some(5000));
        assert_eq!(seen.body.len(), 5000);
    }
}

/// A keep-alive server answering every request with a healthy 200 after `delay`, keeping every
/// request it saw.
async fn recording_server(delay: Duration) -> (TestServer, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let server = serve(move |mut stream| {
        let log = Arc::clone(&log);
        async move {
            let mut buf = Vec::new();
            while let Some(request) = read_request(&mut stream, &mut buf).await {
                log.lock().unwrap().push(request);
                tokio::time::sleep(delay).await;
                if stream.write_all(&healthy_200(10, "")).await.is_err() {
                    return;
                }
            }
        }
    })
    .await;
    (server, seen)
}

/// Request id → method of every request the server saw; ids must be present and unique.
fn methods_by_id(seen: &[Seen]) -> BTreeMap<u64, String> {
    let mut by_id = BTreeMap::new();
    for request in seen {
        let id = request.request_id().expect("request id header");
        let previous = by_id.insert(id, request.method().to_string());
        assert!(previous.is_none(), "request id {id} seen twice");
    }
    by_id
}

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
