//! One run of the user's config: fake upstreams up (one upstream's primaries playing a fault,
//! everything else healthy), the test config rendered with their addresses, nginx started,
//! traffic sent to each target in turn, everything stopped, error.log summarised.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use fake_upstreams::{Server, SpawnOptions, spawn_spec};
use tokio_util::sync::CancellationToken;

use super::analyze::{Analysis, Target};
use super::faults::{FaultKind, Traffic, healthy};
use super::rewrite::{Assignment, render};
use crate::errorlog;
use crate::load::{LoadPlan, LoadReport, LoadShape, drive};
use crate::nginx::{Nginx, NginxBinary, RunDir, StartError};
use crate::nginxconf::Config;

/// How long nginx gets to finish after QUIT.
const STOP_GRACE: Duration = Duration::from_secs(3);
/// Fresh port sets to try when another process takes one first.
const PORT_ATTEMPTS: usize = 5;
/// Hard bound on one target's traffic.
const MAX_DURATION: Duration = Duration::from_secs(30);
/// Seed of every draw (methods of the idle_close traffic): runs of two configs compare alike.
pub const SEED: u64 = 7;

/// What stays the same across the runs of one check.
pub struct Ctx<'a> {
    pub config: &'a Config,
    pub analysis: &'a Analysis,
    pub nginx: &'a NginxBinary,
    pub cancel: &'a CancellationToken,
}

/// What one target saw in one run.
pub struct TargetRun {
    pub load: LoadReport,
    /// Requests the target's upstream servers read while this target's traffic ran.
    pub reached: u64,
}

/// What one run saw.
pub struct RunOutcome {
    pub targets: Vec<TargetRun>,
    /// `[level] message ×count`, the most frequent error-level lines.
    pub log: Vec<String>,
    /// Times the faulty servers misbehaved.
    pub fired: u64,
}

/// Run the config once in `dir`, with `fault` on `upstream`'s primaries (none: all healthy).
pub async fn run(
    ctx: &Ctx<'_>,
    dir: PathBuf,
    fault: Option<(&str, FaultKind)>,
    targets: &[&Target],
) -> Result<RunOutcome, String> {
    let dir = RunDir::create(dir).map_err(|e| format!("cannot create run dir: {e}"))?;
    let (servers, assignment) = spawn_all(ctx, fault, &dir).await?;
    let result = drive_nginx(ctx, &dir, &servers, assignment, fault, targets).await;
    let fired = servers
        .iter()
        .filter(|(key, _)| fault.is_some_and(|(u, _)| key.0 == u))
        .map(|(_, s)| s.counters().fired)
        .sum();
    for (_, s) in servers {
        s.stop().await;
    }
    let _ = std::fs::remove_dir_all(dir.tmp());
    let targets = result?;
    let text = std::fs::read_to_string(dir.error_log()).unwrap_or_default();
    let summary = errorlog::summarize(&errorlog::parse(&text));
    let log = summary
        .messages
        .iter()
        .filter(|m| !matches!(m.level.as_str(), "debug" | "info" | "notice"))
        .take(3)
        .map(|m| format!("[{}] {} ×{}", m.level, m.message, m.count))
        .collect();
    Ok(RunOutcome {
        targets,
        log,
        fired,
    })
}

type Servers = Vec<((String, usize), Server)>;

async fn spawn_all(
    ctx: &Ctx<'_>,
    fault: Option<(&str, FaultKind)>,
    dir: &RunDir,
) -> Result<(Servers, Assignment), String> {
    let mut servers = Vec::new();
    let mut a = Assignment::default();
    for up in &ctx.analysis.upstreams {
        for (i, s) in up.servers.iter().enumerate() {
            let spec = match fault {
                Some((name, kind)) if name == up.name && !s.backup => kind.spec(),
                _ => healthy(),
            };
            let opts = SpawnOptions {
                seed: SEED,
                socket_dir: dir.root.clone(),
                name: format!("u{}", servers.len()),
            };
            let server = spawn_spec(spec, opts, ctx.cancel.child_token())
                .await
                .map_err(|e| format!("cannot start a fake upstream: {e}"))?;
            let addr = server.endpoint().to_string();
            if up.implicit {
                a.literals.insert(up.name.clone(), addr.clone());
            }
            a.servers.insert((up.name.clone(), i), addr);
            servers.push(((up.name.clone(), i), server));
        }
    }
    Ok((servers, a))
}

async fn drive_nginx(
    ctx: &Ctx<'_>,
    dir: &RunDir,
    servers: &Servers,
    mut a: Assignment,
    fault: Option<(&str, FaultKind)>,
    targets: &[&Target],
) -> Result<Vec<TargetRun>, String> {
    let mut last = String::new();
    for _ in 0..PORT_ATTEMPTS {
        assign_ports(&mut a, &ctx.analysis.listens).map_err(|e| format!("no free port: {e}"))?;
        let conf = render(ctx.config, ctx.nginx, dir, &a);
        std::fs::write(dir.conf(), conf).map_err(|e| format!("cannot write nginx.conf: {e}"))?;
        match Nginx::start(ctx.nginx, dir, a.ready_port).await {
            Ok(nginx) => {
                let traffic = fault.map(|(_, k)| k.traffic()).unwrap_or_default();
                let mut runs = Vec::new();
                for t in targets {
                    runs.push(drive_target(ctx, servers, &a, t, &traffic).await);
                }
                nginx.stop(STOP_GRACE).await;
                return Ok(runs);
            }
            Err(StartError::PortInUse(p)) => last = format!("port {p} taken"),
            Err(StartError::Failed(m)) => return Err(format!("nginx did not start: {m}")),
        }
    }
    Err(format!("nginx could not bind its ports ({last})"))
}

async fn drive_target(
    ctx: &Ctx<'_>,
    servers: &Servers,
    a: &Assignment,
    t: &Target,
    traffic: &Traffic,
) -> TargetRun {
    let reached = |servers: &Servers| -> u64 {
        servers
            .iter()
            .filter(|(key, _)| key.0 == t.upstream)
            .map(|(_, s)| s.counters().requests)
            .sum()
    };
    let before = reached(servers);
    let plan = plan(t, a.ports.get(&t.listen).copied().unwrap_or(0), traffic);
    let load = drive(&plan, ctx.cancel.clone()).await;
    TargetRun {
        load,
        reached: reached(servers) - before,
    }
}

fn plan(t: &Target, port: u16, traffic: &Traffic) -> LoadPlan {
    LoadPlan {
        target: ([127, 0, 0, 1], port).into(),
        host: t.host.clone(),
        method: http::Method::GET,
        path: t.path.clone(),
        body_bytes: 512,
        requests: traffic.requests,
        concurrency: traffic.concurrency,
        request_timeout: traffic.timeout,
        max_duration: MAX_DURATION,
        shape: LoadShape {
            seed: SEED,
            methods: traffic.methods.clone(),
            spacing: traffic.spacing,
            ..LoadShape::default()
        },
    }
}

/// A fresh loopback port for every listen key and the readiness server.
fn assign_ports(a: &mut Assignment, listens: &[String]) -> std::io::Result<()> {
    // Hold every listener until all are chosen so no two keys get the same port.
    let mut held = Vec::new();
    let mut ports = BTreeMap::new();
    for key in listens {
        let l = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        ports.insert(key.clone(), l.local_addr()?.port());
        held.push(l);
    }
    let ready = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    a.ready_port = ready.local_addr()?.port();
    a.ports = ports;
    Ok(())
}
