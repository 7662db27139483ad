//! One run of the user's config: fake upstreams up (one or all of an upstream's primaries
//! playing a fault, see [`Placement`], everything else healthy; over TLS for an upstream used
//! over `https://`), the run's CA and client certificate written for the config's
//! `proxy_ssl_*` files, the test config rendered with their addresses, nginx started,
//! traffic sent to each target in turn (sockets to a WebSocket location, see `sockets`; gRPC
//! unary calls over cleartext HTTP/2 to a gRPC location),
//! everything stopped, error.log summarised.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::analyze::{Analysis, Target, document_root};
use super::faults::{self, FaultKind, Traffic, healthy_for, over_tls};
use super::rewrite::{Assignment, render, tls};
use super::sockets;
use crate::errorlog;
use crate::load::{
    ClientProtocol, LiveSender, LoadPlan, LoadReport, LoadShape, drive_live, drive_websocket,
};
use crate::nginx::{NginxBackend, Render, RunDir, Session};
use crate::nginxconf::Config;
use crate::upstreams::{Seeding, Servers};

/// Hard bound on one target's traffic.
const MAX_DURATION: Duration = Duration::from_secs(30);
/// Seed of every draw (methods of the idle_close traffic): runs of two configs compare alike.
pub const SEED: u64 = 7;

/// What stays the same across the runs of one check.
pub struct Ctx<'a> {
    pub config: &'a Config,
    pub analysis: &'a Analysis,
    pub nginx: &'a NginxBackend,
    pub cancel: &'a CancellationToken,
    /// Where the config's `*_cache_path`s live for every run of this check, so the control
    /// run warms the caches and each fault run keeps them (`None`: inside each run dir).
    pub cache_root: Option<PathBuf>,
    /// A DNS column: that upstream's names get its answer from the fake DNS server.
    pub dns: Option<(&'a str, super::names::DnsColumn)>,
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
    /// How long the run took, start of the fakes to nginx stopped.
    pub wall_ms: u64,
}

/// Which servers of the upstream play the fault; the others stay healthy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    /// The first primary server (the way failures usually come: one server at a time).
    OneServer,
    /// Every primary server; `backup` servers stay healthy.
    AllPrimaries,
}

impl Placement {
    pub fn label(self) -> &'static str {
        match self {
            Placement::OneServer => "one server",
            Placement::AllPrimaries => "all primaries",
        }
    }
}

/// A fault played on one upstream.
#[derive(Debug, Clone, Copy)]
pub struct Played<'a> {
    pub upstream: &'a str,
    pub kind: FaultKind,
    pub placement: Placement,
}

/// Run the config once in `dir`, with `fault` played (none: all healthy).
pub async fn run(
    ctx: &Ctx<'_>,
    dir: PathBuf,
    fault: Option<Played<'_>>,
    targets: &[&Target],
    live: &LiveSender,
) -> Result<RunOutcome, String> {
    let started = std::time::Instant::now();
    let dir = RunDir::create(dir).map_err(|e| format!("cannot create run dir: {e}"))?;
    let (servers, mut assignment) = spawn_all(ctx, fault).await?;
    let dns = super::names::start(ctx.analysis, &assignment, ctx.dns, ctx.cancel).await?;
    assignment.resolver = dns.as_ref().map(|d| d.addr().to_string());
    let session = Session::new(ctx.nginx, dir, vec![servers.socket_dir().to_path_buf()]);
    let drive = Drive {
        servers: &servers,
        traffic: fault.map(|f| faults::traffic(f.kind)).unwrap_or_default(),
        live,
    };
    let result = drive_nginx(ctx, &session, &drive, assignment, targets).await;
    let fired = fault.map_or(0, |f| servers.sum(f.upstream, |c| c.fired));
    servers.stop().await;
    if let Some(dns) = dns {
        dns.stop().await;
    }
    session.remove_temp();
    let (targets, logs) = result?;
    let text = logs.error_log;
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
        wall_ms: started.elapsed().as_millis() as u64,
    })
}

async fn spawn_all(
    ctx: &Ctx<'_>,
    fault: Option<Played<'_>>,
) -> Result<(Servers, Assignment), String> {
    let mut specs = Vec::new();
    for up in &ctx.analysis.upstreams {
        let first_primary = up.servers.iter().position(|s| !s.backup);
        for (i, s) in up.servers.iter().enumerate() {
            let plays = fault.is_some_and(|f| {
                f.upstream == up.name
                    && !s.backup
                    && (f.placement == Placement::AllPrimaries || Some(i) == first_primary)
            });
            let spec = match fault {
                Some(f) if plays => faults::spec(f.kind),
                _ => healthy_for(up.protocol, &fastcgi_root(ctx.analysis, &up.name)),
            };
            let spec = over_tls(spec, up.tls.as_deref());
            specs.push(((up.name.clone(), i.to_string()), spec));
        }
    }
    let servers = Servers::start(specs, Seeding::Same(SEED), ctx.cancel)
        .await
        .map_err(|e| format!("cannot start a fake upstream: {e}"))?;
    let mut a = Assignment {
        cache_root: ctx.cache_root.clone(),
        h2c_tls: ctx.analysis.h2c_tls.clone(),
        ..Assignment::default()
    };
    for ((upstream, i), addr) in servers.addresses() {
        let implicit = ctx
            .analysis
            .upstreams
            .iter()
            .any(|u| u.name == upstream && u.implicit);
        if implicit {
            a.literals.insert(upstream.clone(), addr.clone());
        }
        let i = i.parse().expect("keys are indexes");
        a.servers.insert((upstream, i), addr);
    }
    Ok((servers, a))
}

/// The folder PHP-FPM fakes of `upstream` find scripts under: the common folder of the
/// roots of its FastCGI locations.
fn fastcgi_root(analysis: &Analysis, upstream: &str) -> String {
    let locations = analysis
        .targets
        .iter()
        .filter(|t| t.upstream == upstream)
        .filter_map(|t| t.fastcgi.as_ref());
    document_root(locations)
}

/// What one run's traffic needs: the fakes (to count what reached them), the traffic of the
/// fault played, and where live counts go.
struct Drive<'a> {
    servers: &'a Servers,
    traffic: Traffic,
    live: &'a LiveSender,
}

/// Start nginx with every listen on a fresh port, send each target's traffic, stop nginx.
async fn drive_nginx(
    ctx: &Ctx<'_>,
    session: &Session<'_>,
    drive: &Drive<'_>,
    a: Assignment,
    targets: &[&Target],
) -> Result<(Vec<TargetRun>, crate::nginx::Logs), String> {
    let listens = &ctx.analysis.listens;
    let dir = session.dir();
    tls_files(ctx, dir, drive.servers)?;
    let conf: &Render = &|ports| {
        render(
            ctx.config,
            ctx.nginx.binary(),
            dir,
            &with_ports(&a, listens, ports),
        )
    };
    let nginx = session.start(1 + listens.len(), conf).await?;
    let a = with_ports(&a, listens, nginx.ports());
    drive.servers.start_schedules();
    let mut runs = Vec::new();
    for t in targets {
        runs.push(drive_target(ctx, drive, &a, t).await);
    }
    let ports = nginx.stop().await;
    Ok((runs, session.logs(&ports)))
}

/// The run's CA (a fresh one when no fake speaks TLS but the config names TLS files), its
/// CRL and a client certificate, where the rewrite points `proxy_ssl_*` files.
fn tls_files(ctx: &Ctx<'_>, dir: &RunDir, servers: &Servers) -> Result<(), String> {
    let fresh;
    let ca = match servers.tls_ca() {
        Some(ca) => ca.as_ref(),
        None if tls::uses_files(ctx.config) => {
            fresh = fake_upstreams::Ca::generate()?;
            &fresh
        }
        None => return Ok(()),
    };
    tls::write_files(dir, ca)
}

/// `a` with the readiness server on `ports[0]` and each listen key on the next one.
pub(super) fn with_ports(a: &Assignment, listens: &[String], ports: &[u16]) -> Assignment {
    let mut a = a.clone();
    a.ready_port = ports[0];
    a.ports = listens
        .iter()
        .cloned()
        .zip(ports[1..].iter().copied())
        .collect();
    a
}

async fn drive_target(ctx: &Ctx<'_>, drive: &Drive<'_>, a: &Assignment, t: &Target) -> TargetRun {
    let servers = drive.servers;
    let before = servers.sum(&t.upstream, |c| c.requests);
    let port = a.ports.get(&t.listen).copied().unwrap_or(0);
    let load = match t.websocket {
        Some(_) => {
            let plan = sockets::plan(t, port, &drive.traffic, MAX_DURATION);
            sockets::judged(drive_websocket(&plan, ctx.cancel.clone(), drive.live).await)
        }
        None => {
            drive_live(
                &plan(t, port, &drive.traffic),
                ctx.cancel.clone(),
                drive.live,
            )
            .await
        }
    };
    TargetRun {
        load,
        reached: servers.sum(&t.upstream, |c| c.requests) - before,
    }
}

/// The requests `t` gets on nginx's `port`: the traffic's GETs (its method mix), or for a
/// gRPC location as many unary calls (POSTs of one message) over cleartext HTTP/2.
fn plan(t: &Target, port: u16, traffic: &Traffic) -> LoadPlan {
    let (methods, protocol) = match t.grpc {
        true => (Vec::new(), ClientProtocol::Grpc),
        false => (faults::methods(traffic), ClientProtocol::Http1),
    };
    LoadPlan {
        target: ([127, 0, 0, 1], port).into(),
        host: t.host.clone(),
        method: http::Method::GET,
        path: t.path.clone(),
        body_bytes: 512,
        requests: traffic.requests,
        concurrency: traffic.concurrency,
        request_timeout: faults::REQUEST_TIMEOUT,
        max_duration: MAX_DURATION,
        shape: LoadShape {
            seed: SEED,
            methods,
            spacing: traffic.spacing,
            protocol,
            ..LoadShape::default()
        },
    }
}
