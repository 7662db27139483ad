//! The targets of `scripts/compare-load`: a healthy fake upstream (1 KiB pattern body with its
//! digest header), nginx answering `return 200` with the same body and header itself (on an
//! HTTP/1.1 listener and on a cleartext `http2` one), and nginx proxying to the upstream with
//! the full keep-alive recipe. nginx runs with one worker
//! per CPU, like `worker_processes auto`; the upstream on a tokio runtime with one thread per
//! CPU. All on 127.0.0.1, started through the harness library.
//!
//! Prints `NAME URL` per target, then `ready`, and serves until SIGTERM/SIGINT or
//! `--lifetime SECS` (default 600) is over; nginx is stopped by its handle on every path (and
//! killed by the kernel should this process die).
//!
//! `cargo run --release -p harness --example bench_targets [-- --lifetime 120 --body 1024]`

#[path = "../benches/support/mod.rs"]
mod support;

use std::io::Write;
use std::time::Duration;

use badgateway::nginx::{NginxBinary, locate};
use badgateway::scenario::NginxSettings;
use fake_upstreams::ByteSize;
use support::{Proxy, RunningNginx};
use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

fn main() -> std::process::ExitCode {
    let mut lifetime = Duration::from_secs(600);
    let mut body = ByteSize::kib(1);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().and_then(|v| v.parse::<u64>().ok());
        match (arg.as_str(), value) {
            ("--lifetime", Some(secs)) if (1..=3600).contains(&secs) => {
                lifetime = Duration::from_secs(secs);
            }
            ("--body", Some(bytes)) if bytes <= 1024 * 1024 => body = ByteSize(bytes),
            _ => {
                eprintln!("usage: bench_targets [--lifetime SECS(1-3600)] [--body BYTES]");
                return std::process::ExitCode::from(2);
            }
        }
    }
    let binary = match locate(None) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(3);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(serve(&binary, body, lifetime)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(3)
        }
    }
}

async fn serve(binary: &NginxBinary, body: ByteSize, lifetime: Duration) -> Result<(), String> {
    let cancel = CancellationToken::new();
    let upstream = support::healthy(body, &cancel)
        .await
        .map_err(|e| format!("fake upstream: {e}"))?;
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    let targets = [
        ("nginx-return-200", support::return_same_body(body), false),
        (
            "nginx-proxy-keepalive",
            Proxy::Keepalive.fragments(upstream.addr()),
            false,
        ),
        ("nginx-http2-return-200", http2_return_same_body(body), true),
    ];
    let mut running = Vec::new();
    for (name, fragments, http2) in &targets {
        match start(binary, name, fragments, (cpus, *http2)).await {
            Ok(n) => running.push((*name, n)),
            Err(e) => {
                for (_, n) in running {
                    RunningNginx::stop(n).await;
                }
                return Err(format!("nginx for {name}: {e}"));
            }
        }
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "upstream http://{}/", upstream.addr());
    for (name, n) in &running {
        let _ = writeln!(out, "{name} http://{}/", n.addr);
    }
    let _ = writeln!(out, "ready");
    let _ = out.flush();
    drop(out);

    let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
        () = tokio::time::sleep(lifetime) => eprintln!("bench_targets: lifetime over, stopping"),
    }
    for (_, n) in running {
        n.stop().await;
    }
    upstream.stop().await;
    Ok(())
}

/// nginx's `return 200` target on an `http2` listener. nginx ends a connection after
/// `keepalive_requests` (1000) streams with GOAWAY; h2load does not reconnect in a timed run
/// (its clients stop there), so the limit is raised for this target only.
fn http2_return_same_body(body: ByteSize) -> badgateway::scenario::Fragments {
    let mut fragments = support::return_same_body(body);
    fragments.http = "keepalive_requests 1000000;".to_string();
    fragments
}

async fn start(
    binary: &NginxBinary,
    name: &str,
    fragments: &badgateway::scenario::Fragments,
    (workers, http2): (usize, bool),
) -> Result<RunningNginx, String> {
    let settings = NginxSettings {
        worker_processes: u32::try_from(workers).unwrap_or(1),
        http2,
        ..NginxSettings::default()
    };
    RunningNginx::start_with(binary, name, fragments, &settings).await
}
