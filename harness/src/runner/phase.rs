//! One phase: fake upstreams up, nginx.conf rendered, `nginx -t`, nginx started, load driven,
//! everything stopped, error.log read, expectations checked.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::servers::Servers;
use super::{Attempt, RunOptions};
use crate::check::{Observed, evaluate};
use crate::errorlog::{self, LogLine};
use crate::load::{LoadPlan, LoadReport, LoadShape, SlowBody, drive_live};
use crate::nginx::{ConfigTest, RunDir, StartError, render};
use crate::result::{PhaseResult, Verdict};
use crate::scenario::{Fragments, Phase, Scenario, config_text, expand};

/// How long nginx gets to finish after QUIT before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(3);
/// How many fresh ports to try when another process races nginx for one.
const PORT_ATTEMPTS: usize = 5;

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
    let dir_path = attempt.dir.join(&phase.name);
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
        log: Default::default(),
        checks: Vec::new(),
        error: None,
        wall_ms: 0,
    };
    let dir = match RunDir::create(dir_path) {
        Ok(d) => d,
        Err(e) => return fail(result, format!("cannot create run dir: {e}"), started),
    };
    let servers = match Servers::start(s, attempt.seed, cancel).await {
        Ok(servers) => servers,
        Err(e) => return fail(result, format!("cannot start fake upstreams: {e}"), started),
    };
    let outcome = drive_nginx(s, phase, &dir, &servers, attempt, cancel).await;
    result.upstreams = servers.stop().await;
    if !opts.keep {
        let _ = std::fs::remove_dir_all(dir.tmp());
    }
    let (config, load, port) = match outcome {
        Ok(triple) => triple,
        Err(message) => return fail(result, message, started),
    };
    let log_text = std::fs::read_to_string(dir.error_log()).unwrap_or_default();
    let lines = without_own_bind_retries(errorlog::parse(&log_text), port);
    result.log = errorlog::summarize(&lines);
    let plan = plan_for(s, phase, 0, attempt.seed);
    let method_of = |id: u64| plan.decide(id).method.to_string();
    let seen = Observed {
        config: &config,
        load: load.as_ref(),
        log: &lines,
        upstreams: &result.upstreams,
        method_of: &method_of,
    };
    result.checks = evaluate(&phase.expect, &seen);
    result.config_rejected = match config {
        ConfigTest::Rejected(msg) => Some(msg),
        ConfigTest::Accepted => None,
    };
    result.verdict = if load.as_ref().is_some_and(|l| l.cancelled) {
        Verdict::Interrupted
    } else if result.checks.iter().all(|c| c.passed) {
        Verdict::Pass
    } else {
        Verdict::Fail
    };
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

/// Render and test the config; when nginx accepts it and the phase expects traffic, start nginx,
/// drive the load and stop nginx. Returns the `nginx -t` verdict, the load report and the port.
async fn drive_nginx(
    s: &Scenario,
    phase: &Phase,
    dir: &RunDir,
    servers: &Servers,
    attempt: &Attempt,
    cancel: &CancellationToken,
) -> Result<(ConfigTest, Option<LoadReport>, Option<u16>), String> {
    let fragments = expanded(s, phase, servers)?;
    let header = format!("scenario {} / phase {}", s.name, phase.name);
    let mut last_error = String::new();
    for _ in 0..PORT_ATTEMPTS {
        let port = free_port().map_err(|e| format!("no free loopback port: {e}"))?;
        let nginx = &attempt.nginx;
        let conf = render(
            nginx.binary(),
            s.nginx_for(phase),
            &fragments,
            dir,
            port,
            &header,
        );
        std::fs::write(dir.conf(), conf).map_err(|e| format!("cannot write nginx.conf: {e}"))?;
        let mounts = [servers.socket_dir().to_path_buf()];
        let config = nginx
            .test_config(dir, &mounts)
            .await
            .map_err(|e| format!("nginx -t failed to run: {e}"))?;
        if config != ConfigTest::Accepted || phase.expect.config_rejected.is_some() {
            return Ok((config, None, None));
        }
        match nginx.start(dir, port, &mounts).await {
            Ok(nginx) => {
                let plan = plan_for(s, phase, port, attempt.seed);
                servers.start_schedules();
                let report = drive_live(&plan, cancel.clone(), &attempt.live).await;
                nginx.stop(STOP_GRACE).await;
                return Ok((config, Some(report), Some(port)));
            }
            Err(StartError::PortInUse(p)) => {
                // The retry's error.log must not carry this attempt's bind() [emerg] lines.
                let _ = std::fs::remove_file(dir.error_log());
                last_error = format!("port {p} taken");
            }
            Err(StartError::Failed(msg)) => return Err(format!("nginx did not start: {msg}")),
        }
    }
    Err(format!(
        "nginx could not bind a loopback port after {PORT_ATTEMPTS} attempts ({last_error})"
    ))
}

fn expanded(s: &Scenario, phase: &Phase, servers: &Servers) -> Result<Fragments, String> {
    let raw = phase.config.apply(&s.config);
    let addrs = servers.addresses();
    let expand_one =
        |text: &str| expand(text, &addrs).map_err(|e| format!("{}: {}", e.text, e.message));
    Ok(Fragments {
        http: expand_one(&raw.http)?,
        location: expand_one(&raw.location)?,
    })
}

fn plan_for(s: &Scenario, phase: &Phase, port: u16, seed: u64) -> LoadPlan {
    let t = s.traffic_for(phase);
    let methods = t
        .methods
        .iter()
        .map(|(m, w)| (m.parse().expect("validated in spec"), *w));
    LoadPlan {
        target: ([127, 0, 0, 1], port).into(),
        host: "badgateway".into(),
        method: t.method.clone(),
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
        },
    }
}

/// Where nginx ports are drawn from: below Linux's ephemeral range (32768-60999), so the
/// load driver's outgoing connections and the fake upstreams' `:0` binds never hold them.
const NGINX_PORTS: std::ops::Range<u16> = 20_000..32_000;

/// A loopback port outside the ephemeral range that was free a moment ago; nginx binding it
/// can still lose a race with another phase, which the caller handles by retrying.
fn free_port() -> std::io::Result<u16> {
    let mut last = None;
    for _ in 0..64 {
        let port = rand::random_range(NGINX_PORTS);
        match std::net::TcpListener::bind(("127.0.0.1", port)) {
            Ok(_) => return Ok(port),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free port")))
}

/// nginx retries a failed `bind()` for a few seconds; when it then succeeds, its `[emerg]`
/// lines about the harness's own port are a harness-side race, not the scenario's doing.
fn without_own_bind_retries(lines: Vec<LogLine>, port: Option<u16>) -> Vec<LogLine> {
    let Some(port) = port else { return lines };
    let own = format!("bind() to 127.0.0.1:{port} failed (98: Address already in use)");
    lines
        .into_iter()
        .filter(|l| !l.text.contains(&own))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_own_port_bind_retries_are_dropped() {
        let log = "2026/11/26 17:37:45 [emerg] 5#5: bind() to 127.0.0.1:21000 failed (98: Address already in use)\n\
                   2026/11/26 17:37:45 [emerg] 5#5: bind() to 127.0.0.1:9 failed (98: Address already in use)\n\
                   2026/11/26 17:37:46 [error] 6#6: *1 connect() failed (111: Connection refused)\n";
        let kept = without_own_bind_retries(errorlog::parse(log), Some(21000));
        assert_eq!(kept.len(), 2);
        assert!(kept[0].text.contains("127.0.0.1:9 failed"));
        assert_eq!(
            without_own_bind_retries(errorlog::parse(log), None).len(),
            3
        );
    }

    #[test]
    fn nginx_ports_stay_below_the_ephemeral_range() {
        for _ in 0..20 {
            assert!(NGINX_PORTS.contains(&free_port().unwrap()));
        }
    }
}
