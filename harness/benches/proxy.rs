//! The proxy path, as time per request on one kept-alive client connection (sequential
//! requests): the healthy fake upstream served directly, nginx's own `return 200`, and nginx
//! proxying to that upstream without upstream keep-alive and with the full keep-alive recipe,
//! for a 1 KiB and a 256 KiB body.
//!
//! `cargo bench -p harness --bench proxy` (filters work: `-- 256k`). nginx and the upstream
//! are started through the harness library; without nginx the benchmark prints why and skips.
//! After criterion's own output it prints what the proxy adds and what keep-alive saves,
//! from criterion's estimates of this run.

#[path = "support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use badgateway::nginx::locate;
use criterion::{BenchmarkId, Criterion, Throughput};
use fake_upstreams::ByteSize;
use support::{Client, Proxy, RunningNginx};
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

/// Body sizes benchmarked, with the group name each gets.
const BODIES: [(&str, u64); 2] = [("proxy-1k", 1024), ("proxy-256k", 256 * 1024)];
/// The targets, in the order they are measured, with their benchmark ids.
const TARGETS: [&str; 4] = [
    "direct",
    "nginx-return-200",
    "nginx-no-keepalive",
    "nginx-keepalive",
];

fn main() {
    let binary = match locate(None) {
        Ok(b) => b,
        Err(e) => {
            println!("proxy bench skipped: {e}");
            return;
        }
    };
    // Servers (fake upstream, nginx supervision) on their own threads, like separate
    // processes; the client on the benchmark's single-threaded runtime.
    let servers = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("server runtime");
    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    let out = criterion_dir();
    let mut c = Criterion::default()
        .output_directory(&out)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    println!(
        "nginx {} ({}), 1 worker; client: one kept-alive connection, sequential GETs",
        binary.version,
        binary.path.display()
    );
    let cancel = CancellationToken::new();
    for (group_name, bytes) in BODIES {
        let upstream = servers
            .block_on(support::healthy(ByteSize(bytes), &cancel))
            .expect("fake upstream starts");
        let upstream_addr = upstream.addr();
        let mut group = c.benchmark_group(group_name);
        group.throughput(Throughput::Elements(1));
        for target in TARGETS {
            let proxy = match target {
                "nginx-return-200" => Some(Proxy::Return200),
                "nginx-no-keepalive" => Some(Proxy::NoKeepalive),
                "nginx-keepalive" => Some(Proxy::Keepalive),
                _ => None,
            };
            if proxy == Some(Proxy::Return200) && bytes != BODIES[0].1 {
                continue; // nginx's own answer does not depend on the upstream's body
            }
            let nginx = match proxy {
                None => None,
                Some(p) => {
                    let label = format!("{group_name}-{target}");
                    let started = servers
                        .block_on(RunningNginx::start(
                            &binary,
                            &label,
                            &p.fragments(upstream_addr),
                        ))
                        .unwrap_or_else(|e| panic!("nginx for {label} did not start: {e}"));
                    Some(started)
                }
            };
            let addr = nginx.as_ref().map_or(upstream_addr, |n| n.addr);
            let client = client_rt
                .block_on(Client::connect(addr, "/"))
                .expect("client connects");
            let client = Mutex::new(client);
            group.bench_function(BenchmarkId::from_parameter(target), |b| {
                b.to_async(&client_rt).iter_custom(|iters| {
                    let client = &client;
                    async move {
                        let mut client = client.lock().await;
                        let start = Instant::now();
                        for _ in 0..iters {
                            std::hint::black_box(client.get().await);
                        }
                        start.elapsed()
                    }
                });
            });
            drop(client);
            if let Some(n) = nginx {
                servers.block_on(n.stop());
            }
        }
        group.finish();
        servers.block_on(upstream.stop());
    }
    c.final_summary();
    print_summary(&out);
}

/// Where criterion writes: `$CRITERION_HOME`, else `<target>/criterion` (the folder above
/// cargo's per-target temp dir, so `CARGO_TARGET_DIR` is honoured).
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map_or_else(|| PathBuf::from("target"), Path::to_path_buf)
        .join("criterion")
}

/// Criterion's time per request of one benchmark in this run, in microseconds.
fn mean_micros(out: &Path, group: &str, id: &str) -> Option<f64> {
    let path = out.join(group).join(id).join("new").join("estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    // The estimate criterion prints as `time:` (the slope of its linear sampling), else the mean.
    let nanos = json["slope"]["point_estimate"]
        .as_f64()
        .or_else(|| json["mean"]["point_estimate"].as_f64())?;
    Some(nanos / 1000.0)
}

/// What the proxy adds and what keep-alive saves, per body size.
fn print_summary(out: &Path) {
    println!("\nsummary (time per request, one kept-alive client connection):");
    for (group, _) in BODIES {
        let m = |id: &str| mean_micros(out, group, id);
        let (Some(direct), Some(plain), Some(kept)) =
            (m("direct"), m("nginx-no-keepalive"), m("nginx-keepalive"))
        else {
            println!("  {group}: not all of direct / nginx-no-keepalive / nginx-keepalive ran");
            continue;
        };
        println!(
            "  {group}: direct {direct:.1} µs; via nginx {plain:.1} µs without upstream \
             keep-alive (+{:.1} µs, {:.2}×), {kept:.1} µs with it (+{:.1} µs, {:.2}×); \
             keep-alive saves {:.1} µs per request ({:.0}%)",
            plain - direct,
            plain / direct,
            kept - direct,
            kept / direct,
            plain - kept,
            (plain - kept) / plain * 100.0,
        );
        if let Some(ret) = m("nginx-return-200") {
            println!("  {group}: nginx's own `return 200`: {ret:.1} µs");
        }
    }
}
