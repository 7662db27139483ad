//! Shared by the proxy benchmark (`benches/proxy.rs`) and the load comparison's target server
//! (`examples/bench_targets.rs`): a healthy fake upstream and a real nginx in front of it,
//! started through the harness library, so a benchmark measures exactly what scenarios run.
//!
//! nginx runs from a temp folder with the harness's own skeleton config (`render`), one
//! worker, `access_log off` in the measured locations (logging is not the proxy path), and is
//! started and stopped by the harness's one nginx [`Session`] (ports below the ephemeral range,
//! retries on port races; its handle kills nginx's process group on every exit path).

#![allow(dead_code)] // each user needs a different subset

use std::net::SocketAddr;
use std::path::PathBuf;

use badgateway::nginx::{Live, NginxBackend, NginxBinary, Render, RunDir, Session, render};
use badgateway::scenario::{Fragments, NginxSettings};
use bytes::Bytes;
use fake_upstreams::faults::Healthy;
use fake_upstreams::{ByteSize, Fault, Server, SpawnOptions, spawn_spec};
use http::{Request, StatusCode, header};
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

/// How nginx reaches the upstream in a proxied location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proxy {
    /// `return 200`: nginx answers itself (the floor of any nginx request).
    Return200,
    /// `proxy_pass` with nginx's defaults: HTTP/1.0 to the upstream, a new connection each time.
    NoKeepalive,
    /// The full keep-alive recipe: `keepalive 16;` + `proxy_http_version 1.1;` +
    /// `proxy_set_header Connection "";`.
    Keepalive,
}

impl Proxy {
    /// The `http` and `location` fragments for an upstream at `upstream`.
    pub fn fragments(self, upstream: SocketAddr) -> Fragments {
        let pool = match self {
            Proxy::Keepalive => "\n    keepalive 16;",
            _ => "",
        };
        let http = match self {
            Proxy::Return200 => String::new(),
            _ => format!("upstream app {{\n    server {upstream};{pool}\n}}"),
        };
        let location = match self {
            Proxy::Return200 => "access_log off;\nreturn 200 \"ok\\n\";",
            Proxy::NoKeepalive => "access_log off;\nproxy_pass http://app;",
            Proxy::Keepalive => {
                "access_log off;\nproxy_pass http://app;\nproxy_http_version 1.1;\n\
                 proxy_set_header Connection \"\";"
            }
        };
        Fragments {
            http,
            location: location.to_string(),
        }
    }
}

/// nginx answering `return 200` itself with the healthy upstream's body for `body` bytes
/// (same bytes, same digest header), so both cost a client the same to read and verify.
pub fn return_same_body(body: ByteSize) -> Fragments {
    let bytes = fake_upstreams::body::pattern(body.as_usize());
    let digest = fake_upstreams::body::digest(&bytes);
    let text = String::from_utf8_lossy(&bytes);
    Fragments {
        http: String::new(),
        location: format!(
            "access_log off;\nadd_header {} \"{digest}\";\nreturn 200 \"{text}\";",
            fake_upstreams::body::DIGEST_HEADER
        ),
    }
}

/// A healthy fake upstream answering `body` bytes (with its digest header) on 127.0.0.1.
pub async fn healthy(body: ByteSize, cancel: &CancellationToken) -> std::io::Result<Server> {
    let fault = Fault::Healthy(Healthy {
        body_size: body,
        ..Healthy::default()
    });
    let opts = SpawnOptions {
        name: "bench-upstream".into(),
        ..SpawnOptions::default()
    };
    spawn_spec(fault.into(), opts, cancel.child_token()).await
}

/// A running nginx and the folder it runs from (removed when this is stopped).
pub struct RunningNginx {
    live: Live,
    pub addr: SocketAddr,
    root: PathBuf,
}

impl RunningNginx {
    /// Start nginx on a free loopback port with `fragments`, in a fresh folder under the
    /// system temp dir.
    pub async fn start(
        binary: &NginxBinary,
        label: &str,
        fragments: &Fragments,
    ) -> Result<RunningNginx, String> {
        Self::start_with(binary, label, fragments, &NginxSettings::default()).await
    }

    /// [`RunningNginx::start`] with other worker settings.
    pub async fn start_with(
        binary: &NginxBinary,
        label: &str,
        fragments: &Fragments,
        settings: &NginxSettings,
    ) -> Result<RunningNginx, String> {
        let root =
            std::env::temp_dir().join(format!("badgateway-bench-{}-{label}", std::process::id()));
        let dir = RunDir::create(root.clone()).map_err(|e| format!("run dir: {e}"))?;
        let backend = NginxBackend::Local(binary.clone());
        let session = Session::new(&backend, dir.clone(), Vec::new());
        let conf: &Render = &|ports| render(binary, settings, fragments, &dir, ports[0], label);
        let live = session.start(1, conf).await?;
        let addr = ([127, 0, 0, 1], live.ports()[0]).into();
        Ok(RunningNginx { live, addr, root })
    }

    /// Stop nginx (QUIT, then KILL); the folder goes with it.
    pub async fn stop(self) {
        let RunningNginx { live, root, .. } = self;
        live.stop().await;
        let _ = std::fs::remove_dir_all(root);
    }
}

/// One kept-alive HTTP/1.1 client connection sending sequential GETs.
pub struct Client {
    sender: SendRequest<Empty<Bytes>>,
    addr: SocketAddr,
    path: String,
}

impl Client {
    /// Connect to `addr`; requests go to `path`.
    pub async fn connect(addr: SocketAddr, path: &str) -> std::io::Result<Client> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, conn) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(std::io::Error::other)?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Client {
            sender,
            addr,
            path: path.to_string(),
        })
    }

    /// One GET read to its last byte; returns the body length. When the server closed the
    /// connection (nginx does after `keepalive_requests`, 1000 by default), it reconnects
    /// first, as any client would.
    ///
    /// # Panics
    /// When the request fails or the status is not 200: a benchmark of failures is useless.
    pub async fn get(&mut self) -> usize {
        if self.sender.is_closed() || self.sender.ready().await.is_err() {
            *self = Client::connect(self.addr, &self.path)
                .await
                .expect("reconnect");
            self.sender
                .ready()
                .await
                .expect("a fresh connection is ready");
        }
        let request = Request::get(self.path.as_str())
            .header(header::HOST, "badgateway")
            .body(Empty::new())
            .expect("a valid request");
        let response = self.sender.send_request(request).await.expect("a response");
        assert_eq!(response.status(), StatusCode::OK, "benchmark target failed");
        let mut body = response.into_body();
        let mut len = 0;
        while let Some(frame) = body.frame().await {
            let frame = frame.expect("a complete body");
            len += frame.data_ref().map_or(0, Bytes::len);
        }
        len
    }
}
