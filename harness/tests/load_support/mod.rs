//! Tiny loopback servers and helpers shared by the load-driver tests.
#![allow(dead_code)] // each test binary uses a different subset

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use badgateway::load::{LoadPlan, LoadReport, REQUEST_ID_HEADER, drive};
use badgateway::outcome::Outcome;
use fake_upstreams::body::{DIGEST_HEADER, digest, pattern};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Upper bound for any single test step; never used for synchronization.
pub const SAFETY: Duration = Duration::from_secs(20);

/// A loopback server that counts accepted connections and runs `handler` on each.
pub struct TestServer {
    pub addr: SocketAddr,
    pub accepts: Arc<AtomicUsize>,
    pub task: JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn serve<F, Fut>(handler: F) -> TestServer
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
pub struct Seen {
    pub head: String,
    pub content_length: Option<usize>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn method(&self) -> &str {
        self.head.split(' ').next().unwrap_or_default()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then_some(v.trim())
        })
    }

    pub fn request_id(&self) -> Option<u64> {
        self.header(REQUEST_ID_HEADER)?.parse().ok()
    }
}

/// Read one request (head and Content-Length body); `None` at EOF. `buf` carries leftovers.
pub async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Seen> {
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
pub async fn keep_alive(mut stream: TcpStream, respond: impl Fn(&Seen) -> Vec<u8>) {
    let mut buf = Vec::new();
    while let Some(request) = read_request(&mut stream, &mut buf).await {
        if stream.write_all(&respond(&request)).await.is_err() {
            return;
        }
    }
}

/// A 200 with a pattern body and the matching digest header.
pub fn healthy_200(len: usize, extra_headers: &str) -> Vec<u8> {
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
pub async fn reply_and_close(mut stream: TcpStream, reply: &'static [u8]) {
    let mut buf = Vec::new();
    if read_request(&mut stream, &mut buf).await.is_some() {
        let _ = stream.write_all(reply).await;
        let _ = stream.shutdown().await;
    }
}

pub fn plan(addr: SocketAddr, requests: u64, concurrency: usize) -> LoadPlan {
    let mut plan = LoadPlan::get(addr, "/", requests);
    plan.concurrency = concurrency;
    plan.request_timeout = Duration::from_secs(5);
    plan.max_duration = Duration::from_secs(15);
    plan
}

pub async fn run(plan: &LoadPlan) -> LoadReport {
    tokio::time::timeout(SAFETY, drive(plan, CancellationToken::new()))
        .await
        .expect("load run exceeded the safety timeout")
}

pub fn assert_only(report: &LoadReport, outcome: Outcome, requests: u64) {
    assert_eq!(report.total, requests, "{report:#?}");
    assert_eq!(report.count(outcome), requests, "{report:#?}");
    assert!(!report.cancelled);
}

/// Read the request, tell the test, then never answer (until the client goes away).
pub async fn never_answer(mut stream: TcpStream, seen: mpsc::UnboundedSender<()>) {
    let mut buf = Vec::new();
    if read_request(&mut stream, &mut buf).await.is_some() {
        let _ = seen.send(());
        while stream.read_buf(&mut buf).await.is_ok_and(|n| n > 0) {}
    }
}

pub async fn silent_server() -> (TestServer, mpsc::UnboundedReceiver<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let server = serve(move |s| never_answer(s, tx.clone())).await;
    (server, rx)
}

/// A keep-alive server answering every request with a healthy 200 after `delay`, keeping every
/// request it saw.
pub async fn recording_server(delay: Duration) -> (TestServer, Arc<Mutex<Vec<Seen>>>) {
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
pub fn methods_by_id(seen: &[Seen]) -> BTreeMap<u64, String> {
    let mut by_id = BTreeMap::new();
    for request in seen {
        let id = request.request_id().expect("request id header");
        let previous = by_id.insert(id, request.method().to_string());
        assert!(previous.is_none(), "request id {id} seen twice");
    }
    by_id
}
