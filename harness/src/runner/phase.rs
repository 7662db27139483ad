//! One phase: fake upstreams up, nginx.conf rendered, `nginx -t`, nginx started, load driven,
//! everything stopped, error.log read, expectations checked.

use std::collections::BTreeMap;
use std::time::Instant;

use tokio_util::sync::CancellationToken;

use super::fault_windows::fault_windows;
use super::{Attempt, RunOptions};
use crate::accesslog;
use crate::check::{Check, Observed, evaluate};
use crate::errorlog;
use crate::load::ClientProtocol;
use crate::load::{
    ConnectionRamp, LoadPlan, LoadReport, LoadShape, LoadStage, SlowBody, WsPlan, drive_stages,
    drive_websocket,
};
use crate::names::{self, NameService};
use crate::nginx::front_tls::FrontTls;
use crate::nginx::{ConfigTest, Logs, Render, RunDir, Session, render};
use crate::result::{PhaseResult, STALL_LIMIT_MS, Verdict};
use crate::scenario::{
    Addresses, Fragments, Phase, Scenario, Traffic, config_text, expand, servers_used,
};
use crate::upstreams::{Seeding, Servers};
use crate::witness::{self, Evidence};

/// Run one phase of `s` and return what it showed. Never panics on nginx or socket trouble:
/// those become `Verdict::Error` with the reason.
pub async fn run_phase(
    s: &Scenario,
    phase: &Phase,
    opts: &RunOptions,
    attempt: &Attempt,
    cancel: &CancellationToken,
) -> PhaseResult {
    let started = Instant::now();
    let dir_path = crate::paths::under(&attempt.dir, &phase.name);
    let servers_used = servers_used(s, phase);
    let mut result = PhaseResult {
        name: phase.name.clone(),
        about: phase.about.clone(),
        config: config_text(s, phase),
        verdict: Verdict::Error,
        run_dir: dir_path.clone(),
        nginx_port: None,
        config_rejected: None,
        load: None,
        upstreams: BTreeMap::new(),
        fault_windows: fault_windows(s, servers_used.as_deref()),
        servers_used,
        dns_queries: BTreeMap::new(),
        evidence: Evidence::default(),
        log: Default::default(),
        checks: Vec::new(),
        error: None,
        wall_ms: 0,
    };
    let dir = match RunDir::create(dir_path) {
        Ok(d) => d,
        Err(e) => return fail(result, format!("cannot create run dir: {e}"), started),
    };
    let (servers, names) = match start_upstreams(s, attempt.seed, &dir, cancel).await {
        Ok(up) => up,
        Err(message) => return fail(result, message, started),
    };
    let mounts = vec![servers.socket_dir().to_path_buf()];
    let session = Session::new(&attempt.nginx, dir, mounts);
    let outcome = drive_nginx(
        s,
        phase,
        &session,
        (&servers, names.as_ref()),
        attempt,
        cancel,
    )
    .await;
    result.upstreams = servers.stop().await;
    if let Some(names) = names {
        result.dns_queries = names.stop().await;
    }
    if !opts.keep {
        session.remove_temp();
    }
    let (config, load, port, logs) = match outcome {
        Ok(ran) => ran,
        Err(message) => return fail(result, message, started),
    };
    let lines = errorlog::parse(&logs.error_log);
    result.log = errorlog::summarize(&lines);
    let traces = match &load {
        Some(load) => {
            let nginx = accesslog::parse(&logs.requests_log);
            witness::join(&load.requests, &nginx, &result.upstreams, &lines)
        }
        None => Vec::new(),
    };
    let seen = Observed {
        config: &config,
        load: load.as_ref(),
        log: &lines,
        upstreams: &result.upstreams,
        dns_queries: &result.dns_queries,
        traces: &traces,
    };
    result.checks = evaluate(&phase.expect, &seen);
    result.evidence = Evidence::of(&traces);
    // Each request's upstream record now lives in its trace; the samples keep those that
    // explain a failure.
    for counters in result.upstreams.values_mut() {
        counters.received.clear();
    }
    result.config_rejected = match config {
        ConfigTest::Rejected(msg) => Some(msg),
        ConfigTest::Accepted => None,
    };
    result.verdict = verdict(load.as_ref(), &mut result.checks);
    result.load = load;
    result.nginx_port = port;
    result.wall_ms = started.elapsed().as_millis() as u64;
    result
}

fn fail(mut result: PhaseResult, message: String, started: Instant) -> PhaseResult {
    result.verdict = Verdict::Error;
    result.error = Some(message);
    result.wall_ms = started.elapsed().as_millis() as u64;
    result
}

/// What nginx did in one phase: the `nginx -t` verdict, the load report, its port, its logs.
type Ran = (ConfigTest, Option<LoadReport>, Option<u16>, Logs);

/// Render and test the config; when nginx accepts it and the phase expects traffic, start nginx,
/// drive the load and stop nginx.
async fn drive_nginx(
    s: &Scenario,
    phase: &Phase,
    session: &Session<'_>,
    (servers, names): (&Servers, Option<&NameService>),
    attempt: &Attempt,
    cancel: &CancellationToken,
) -> Result<Ran, String> {
    let fragments = expanded(s, phase, (servers, names), session.dir())?;
    let header = format!("scenario {} / phase {}", s.name, phase.name);
    let binary = attempt.nginx.binary();
    let settings = &s.nginx_for_load(phase);
    let dir = session.dir();
    let front_ca = match settings.tls {
        true => Some(
            FrontTls::write(dir)
                .map_err(|e| format!("front-end TLS files: {e}"))?
                .ca,
        ),
        false => None,
    };
    let conf: &Render = &|ports| render(binary, settings, &fragments, dir, ports[0], &header);
    let config = session.test(1, conf).await?;
    if config != ConfigTest::Accepted || phase.expect.config_only() {
        return Ok((config, None, None, Logs::default()));
    }
    let nginx = session.start(1, conf).await?;
    let port = nginx.ports()[0];
    let mut stages = plan_for(s, phase, port, attempt.seed);
    for stage in &mut stages {
        stage.plan.shape.tls_ca = front_ca
            .clone()
            .filter(|_| stage.plan.shape.protocol.is_http2());
    }
    servers.start_schedules();
    if let Some(names) = names {
        names.start_schedule();
    }
    let report = match websocket_plan(s, phase, port) {
        Some(plan) => drive_websocket(&plan, cancel.clone(), &attempt.live).await,
        None => drive_stages(&stages, cancel.clone(), &attempt.live).await,
    };
    let ports = nginx.stop().await;
    Ok((config, Some(report), Some(port), session.logs(&ports)))
}

/// The phase's fragments with addresses and `{{tls.*}}` files (written into `dir`).
pub(crate) fn expanded(
    s: &Scenario,
    phase: &Phase,
    (servers, names): (&Servers, Option<&NameService>),
    dir: &RunDir,
) -> Result<Fragments, String> {
    let raw = phase.config.apply(&s.config);
    let mut addrs = Addresses(servers.addresses());
    if let Some(names) = names {
        let (resolver, hosts) = names.placeholders();
        addrs = addrs.with_dns(resolver, hosts);
    }
    for (key, pem) in servers.tls_files() {
        let path = dir.root.join(format!("{key}.pem"));
        std::fs::write(&path, pem).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        addrs = addrs.with_tls_file(&key, path.display().to_string());
    }
    let expand_one =
        |text: &str| expand(text, &addrs).map_err(|e| format!("{}: {}", e.text, e.message));
    Ok(Fragments {
        http: expand_one(&raw.http)?,
        location: expand_one(&raw.location)?,
    })
}

/// The phase's fake servers, and with a `dns:` section its fake DNS server (the servers its
/// records name on their own loopback addresses, one port for all; see [`crate::names`]).
pub(crate) async fn start_upstreams(
    s: &Scenario,
    seed: u64,
    dir: &RunDir,
    cancel: &CancellationToken,
) -> Result<(Servers, Option<NameService>), String> {
    let mut specs = Vec::new();
    for (upstream, servers) in &s.upstreams {
        for (name, spec) in servers {
            specs.push(((upstream.clone(), name.clone()), spec.clone()));
        }
    }
    let (port, binds) = match s.dns.is_empty() {
        true => (0, BTreeMap::new()),
        false => names::binds(&s.dns).map_err(|e| format!("cannot pick the DNS port: {e}"))?,
    };
    let seeding = Seeding::PerServer(seed);
    let servers = Servers::start_at(specs, &binds, seeding, cancel)
        .await
        .map_err(|e| format!("cannot start fake upstreams: {e}"))?;
    if s.dns.is_empty() {
        return Ok((servers, None));
    }
    let names = NameService::start(&s.dns, port, &servers, dir, cancel)
        .await
        .map_err(|e| format!("cannot start the fake DNS server: {e}"))?;
    Ok((servers, Some(names)))
}

/// One load stage per traffic stage of the phase, in order, all aimed at nginx on `port`.
fn plan_for(s: &Scenario, phase: &Phase, port: u16, seed: u64) -> Vec<LoadStage> {
    s.traffic_for(phase)
        .named()
        .map(|(name, t)| LoadStage {
            name,
            plan: stage_plan(t, port, seed),
        })
        .collect()
}

/// The WebSocket run of a phase whose traffic is `websocket:` (then its only stage).
fn websocket_plan(s: &Scenario, phase: &Phase, port: u16) -> Option<WsPlan> {
    let (name, t) = s.traffic_for(phase).named().next()?;
    let ws = t.websocket.as_ref()?;
    Some(WsPlan {
        target: ([127, 0, 0, 1], port).into(),
        host: "badgateway".into(),
        path: t.path.clone(),
        sockets: ws.sockets,
        first_id: 0,
        frames: ws.frames,
        frame_size: ws.frame_size.0 as usize,
        idle: ws.idle,
        ping: ws.ping,
        spread: ws.spread,
        timeout: t.timeout,
        max_duration: t.max_duration,
        stage: name.into(),
    })
}

/// The load plan of one traffic stage, aimed at nginx on `port`.
pub(crate) fn stage_plan(t: &Traffic, port: u16, seed: u64) -> LoadPlan {
    let methods = t
        .methods
        .iter()
        .map(|(m, w)| (m.parse().expect("validated in spec"), *w));
    LoadPlan {
        target: ([127, 0, 0, 1], port).into(),
        host: "badgateway".into(),
        method: match t.protocol {
            ClientProtocol::Grpc => http::Method::POST,
            _ => t.method.clone(),
        },
        path: t.path.clone(),
        body_bytes: t.body_size.0 as usize,
        requests: t.requests,
        concurrency: t.concurrency,
        request_timeout: t.timeout,
        max_duration: t.max_duration,
        shape: LoadShape {
            seed,
            methods: methods.collect(),
            spacing: t.spacing,
            jitter: t.jitter.unwrap_or_default(),
            duration: t.duration,
            slow_body: t.slow_body.as_ref().map(|b| SlowBody {
                chunk: b.chunk.0 as usize,
                interval: b.interval,
            }),
            arrival_interval: t.rate.map(|r| r.interval()),
            sequence: t
                .sequence
                .iter()
                .map(|step| (step.method.clone(), step.path.clone()))
                .collect(),
            ramp: t.ramp.as_ref().map(|r| ConnectionRamp {
                connections: r.connections.unwrap_or(t.concurrency),
                over: r.over,
            }),
            protocol: t.protocol,
            tls_ca: None,
        },
    }
}

/// A phase's verdict from its load and checks: interrupted when the load was cancelled, pass
/// when every check held, else fail, or inconclusive when the driver was starved of CPU for
/// [`STALL_LIMIT_MS`] or more (a check saying so is added).
fn verdict(load: Option<&LoadReport>, checks: &mut Vec<Check>) -> Verdict {
    let stall_ms = load.map_or(0, |l| l.max_stall_ms);
    if load.is_some_and(|l| l.cancelled) {
        Verdict::Interrupted
    } else if checks.iter().all(|c| c.passed) {
        Verdict::Pass
    } else if stall_ms >= STALL_LIMIT_MS {
        checks.push(Check::failed(
            "the load driver kept its timing",
            format!("woke less than {STALL_LIMIT_MS} ms late"),
            format!("woke {stall_ms} ms late (starved of CPU): the failure is inconclusive"),
        ));
        Verdict::Inconclusive
    } else {
        Verdict::Fail
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(stall_ms: u64, cancelled: bool) -> LoadReport {
        LoadReport {
            max_stall_ms: stall_ms,
            cancelled,
            ..crate::load::Aggregator::new().finish(std::time::Duration::ZERO, false)
        }
    }

    #[test]
    fn a_failure_while_the_driver_starved_is_inconclusive() {
        let failed = || vec![Check::failed("outcome 200", "100%", "50%")];
        assert_eq!(
            verdict(Some(&load(10, false)), &mut failed()),
            Verdict::Fail
        );
        let mut checks = failed();
        assert_eq!(
            verdict(Some(&load(400, false)), &mut checks),
            Verdict::Inconclusive
        );
        assert!(checks.last().unwrap().actual.contains("400 ms late"));
        assert_eq!(
            verdict(Some(&load(400, false)), &mut Vec::new()),
            Verdict::Pass
        );
        assert_eq!(
            verdict(Some(&load(0, true)), &mut failed()),
            Verdict::Interrupted
        );
        assert_eq!(verdict(None, &mut failed()), Verdict::Fail);
    }
}
