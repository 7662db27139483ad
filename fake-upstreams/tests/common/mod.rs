//! Helpers shared by the socket tests: start a server on loopback, speak raw HTTP, parse.
#![allow(dead_code)]

use std::future::Future;
use std::time::Duration;

use fake_upstreams::{CounterSnapshot, Fault, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

/// Safety bound for anything a test waits on; never used as synchronization.
pub const LIMIT: Duration = Duration::from_secs(10);

/// Await `fut`, failing the test instead of hanging if it takes longer than [`LIMIT`].
pub async fn bounded<F: Future>(fut: F) -> F::Output {
    tokio::time::timeout(LIMIT, fut).await.expect("timed out")
}

pub async fn start(fault: Fault) -> Server {
    let addr = "127.0.0.1:0".parse().unwrap();
    fake_upstreams::spawn(fault, addr, CancellationToken::new())
        .await
        .expect("spawn")
}

pub async fn connect(server: &Server) -> TcpStream {
    bounded(TcpStream::connect(server.addr()))
        .await
        .expect("connect")
}

/// A `POST /` with a small body, so every fault has a body to read past.
pub async fn send_request(stream: &mut TcpStream) {
    let req = b"POST /x HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello";
    bounded(stream.write_all(req)).await.expect("write request");
}

pub async fn read_to_end(stream: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    bounded(stream.read_to_end(&mut out)).await.expect("read");
    out
}

/// Poll until `cond` holds (bounded by [`LIMIT`]), for state the client cannot see directly.
pub async fn eventually(mut cond: impl FnMut() -> bool) {
    bounded(async {
        while !cond() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
}

/// A response read off the wire.
#[derive(Debug)]
pub struct Parsed {
    pub status: u16,
    pub head_len: usize,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Parsed {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body is complete and matches the digest header the server announced.
    pub fn assert_intact(&self) {
        let announced = self
            .header(fake_upstreams::body::DIGEST_HEADER)
            .expect("digest header");
        assert_eq!(fake_upstreams::body::digest(&self.body), announced);
        let len: usize = self.header("content-length").unwrap().parse().unwrap();
        assert_eq!(self.body.len(), len);
        assert_eq!(self.body, fake_upstreams::body::pattern(len));
    }
}

/// Parse one complete response (the server closed after it).
pub fn parse(bytes: &[u8]) -> Parsed {
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("complete head")
        + 4;
    let head = std::str::from_utf8(&bytes[..end]).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.to_owned(), v.trim().to_owned())
        })
        .collect();
    Parsed {
        status,
        head_len: end,
        headers,
        body: bytes[end..].to_vec(),
    }
}

/// Start a server from a YAML spec, sockets in `dir`, named `name`.
pub async fn start_spec(text: &str, dir: &std::path::Path, name: &str, seed: u64) -> Server {
    let spec = fake_upstreams::yaml::spec_from_str(text).expect("spec parses");
    let opts = fake_upstreams::SpawnOptions {
        seed,
        socket_dir: dir.to_owned(),
        name: name.to_owned(),
        tls_ca: None,
    };
    fake_upstreams::spawn_spec(spec, opts, CancellationToken::new())
        .await
        .expect("spawn_spec")
}

/// A folder for unix sockets that other users may search (like a harness run dir).
pub fn socket_dir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// The unix socket path of a server.
pub fn unix_path(server: &Server) -> std::path::PathBuf {
    match server.endpoint() {
        fake_upstreams::Endpoint::Unix(path) => path,
        other => panic!("not a unix endpoint: {other}"),
    }
}

/// One `Connection: close` request carrying a request id; the whole answer (or the error).
pub async fn exchange<S>(stream: &mut S, id: u64) -> std::io::Result<Vec<u8>>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let req = format!(
        "POST /x HTTP/1.1\r\nHost: t\r\n{}: {id}\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello",
        fake_upstreams::REQUEST_ID_HEADER
    );
    bounded(stream.write_all(req.as_bytes())).await?;
    let mut out = Vec::new();
    bounded(stream.read_to_end(&mut out)).await?;
    Ok(out)
}

/// Poll `probe` until it returns `Some` (bounded by [`LIMIT`]); for states that change on a
/// schedule the client cannot subscribe to.
pub async fn until<T, F: Future<Output = Option<T>>>(mut probe: impl FnMut() -> F) -> T {
    bounded(async {
        loop {
            if let Some(value) = probe().await {
                return value;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
}

/// Counters as a server that saw `connections`, read `requests` and fired `fired` times
/// reports them.
pub fn snapshot(connections: u64, requests: u64, fired: u64) -> CounterSnapshot {
    CounterSnapshot {
        connections,
        requests,
        fired,
        observable: true,
        ..CounterSnapshot::default()
    }
}

/// The record a server keeps of a request without a request id and without a `Connection`
/// header; adjust fields with struct update syntax.
pub fn received(
    conn: u64,
    fault: &str,
    method: &str,
    path: &str,
    fired: bool,
) -> fake_upstreams::Received {
    fake_upstreams::Received {
        id: None,
        method: method.into(),
        path: path.into(),
        http_version: "HTTP/1.1".into(),
        connection: None,
        fault: fault.into(),
        fired,
        conn,
        script_filename: None,
    }
}

/// Who received which request and fired or not, in arrival order: `(conn, method, fired)`.
pub fn fired_by_conn(server: &Server) -> Vec<(u64, String, bool)> {
    let counters = server.counters();
    counters
        .received
        .into_iter()
        .map(|r| (r.conn, r.method, r.fired))
        .collect()
}

/// The server's counters without the per-request records, to compare with [`snapshot`] (the
/// records are asserted where they matter).
pub fn counted(server: &Server) -> CounterSnapshot {
    CounterSnapshot {
        received: Vec::new(),
        ..server.counters()
    }
}
