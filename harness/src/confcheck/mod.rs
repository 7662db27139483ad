//! `check` and `compare`: run a user's complete nginx config against fake upstreams playing
//! every fault that declares a probe in the fake upstreams' registry ([`faults`]), and report
//! per upstream × fault × [`Placement`] what clients got (`report`), with the catalogue
//! scenario (and its proven fix) for every fault the config does not survive.
//!
//! Steps: [`analyze()`] the config (upstreams, targets, what cannot be tested), [`rewrite`] it
//! for the harness (changing only addresses, listens and paths, each change listed), `nginx -t`
//! it (`config_test`), run it once with every upstream healthy (the control: a target whose
//! requests do not reach its upstream as 2xx is listed as untested; it also warms the
//! config's caches), then once per upstream, fault and placement (`cell`); an upstream used
//! over `https://` is played by fakes that speak TLS with a certificate for the name nginx
//! checks, from a CA made per run; a WebSocket location gets sockets instead of requests
//! (`sockets`), and its control must upgrade; a gRPC location gets unary calls over HTTP/2
//! from gRPC fakes (its control must end 200, `grpc-status: 0`, message intact); a name nginx
//! resolves while it runs (a variable `*_pass`, `server NAME resolve`) is answered by a fake
//! DNS server per run, and its upstream gets the DNS columns (`names`). Each run is announced
//! to the progress display. Plain data
//! only; `report/` renders it.

pub mod analyze;
mod cell;
pub mod compare;
mod config_test;
mod control;
pub mod faults;
pub mod names;
mod report;
pub mod rewrite;
mod sockets;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tokio_util::sync::CancellationToken;

pub use analyze::{
    Analysis, GRPC_PLAY, Target, Untested, Upstream, UpstreamServer, analyze, analyze_with,
};
pub use cell::Placement;
pub use compare::{Change, Comparison, compare};
pub use faults::{FaultKind, parse_played as parse_played_fault};
pub use names::{DnsCell, DnsColumn};
pub use report::{Cell, CheckReport, Defect, LocationOutcomes, UpstreamReport};
pub use rewrite::ConfigChange;
pub use sockets::{FRAMES as WEBSOCKET_FRAMES, WEBSOCKET_PLAY, survived};

use crate::events::{Event, PhaseKey, ProgressSender};
use crate::fixes::Catalogue;
use crate::input_error::InputError;
use crate::nginx::NginxBackend;
use crate::outcome::Outcome;
use cell::Played;

/// What a check is asked to do.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub nginx: NginxBackend,
    /// Run dirs go below this folder.
    pub work_dir: PathBuf,
    /// Only these upstreams (all when empty).
    pub upstreams: Vec<String>,
    /// Only these faults (all when empty).
    pub faults: Vec<FaultKind>,
    /// Request paths for locations, by their arguments (`--location-path`).
    pub location_paths: BTreeMap<String, String>,
    /// Where each run's start and end go (the progress display), if anywhere.
    pub progress: Option<ProgressSender>,
    /// Names this config in progress events (`before`, `after`, a file name).
    pub label: String,
}

/// Why a check could not produce a report.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The config cannot be read or parsed, or a flag names nothing in it.
    #[error("{0}")]
    Input(InputError),
    /// `nginx -t` refused the config (after the harness's rewrite, which changes only
    /// addresses, listens and paths); nginx's own text.
    #[error("nginx {version} -t rejects {file}:\n{message}", file = file.display())]
    Rejected {
        file: PathBuf,
        version: String,
        message: String,
    },
    /// nginx or a fake upstream could not run.
    #[error("{0}")]
    Infrastructure(String),
    #[error("interrupted")]
    Interrupted,
}

/// Check the config at `path`.
pub async fn check(
    path: &Path,
    opts: &CheckOptions,
    catalogue: &Catalogue,
    cancel: &CancellationToken,
) -> Result<CheckReport, CheckError> {
    let config = crate::nginxconf::load(path).map_err(CheckError::Input)?;
    let mut analysis = analyze_with(&config, &opts.location_paths);
    select_upstreams(path, &mut analysis, &opts.upstreams)?;
    let caches = opts.work_dir.join("caches");
    std::fs::create_dir_all(&caches).map_err(|e| {
        CheckError::Infrastructure(format!("cannot create {}: {e}", caches.display()))
    })?;
    let ctx = cell::Ctx {
        config: &config,
        analysis: &analysis,
        nginx: &opts.nginx,
        cancel,
        cache_root: Some(caches),
        dns: None,
    };
    let key = |upstream: &str, run: &str| PhaseKey {
        scenario: format!("{} {upstream}", opts.label),
        attempt: 1,
        phase: run.to_string(),
    };
    let changes = config_test::nginx_t(&ctx, path, &opts.work_dir.join("nginx-t")).await?;
    let mut report = CheckReport {
        config: path.to_path_buf(),
        nginx_version: opts.nginx.version().to_string(),
        upstreams: Vec::new(),
        untested: analysis.untested.clone(),
        changes,
        notes: config
            .notes
            .iter()
            .chain(&analysis.notes)
            .cloned()
            .collect(),
        defects: Vec::new(),
    };
    for (i, up) in analysis.upstreams.iter().enumerate() {
        let wanted: Vec<&Target> = analysis
            .targets
            .iter()
            .filter(|t| t.upstream == up.name)
            .collect();
        if wanted.is_empty() {
            continue;
        }
        let dir = opts.work_dir.join(format!("{i}-{}", safe(&up.name)));
        let control = run(
            &ctx,
            (opts, key(&up.name, "control")),
            dir.join("control"),
            None,
            &wanted,
        )
        .await?;
        let mut targets = Vec::new();
        for (t, r) in wanted.iter().zip(&control.targets) {
            let ok = r.load.total > 0 && r.load.outcomes.keys().all(survived) && r.reached > 0;
            // A WebSocket location's control must upgrade: a 200 is a page from fakes that
            // serve pages too, because no upgrade reached them.
            let ok = ok
                && (t.websocket.is_none()
                    || r.load.outcomes.keys().all(|o| *o == Outcome::Status(101)));
            match ok {
                true => targets.push(*t),
                false => match control::failure(t, &r.load.outcomes, r.reached, &control.log) {
                    control::Failure::Defect(d) => report.defects.push(d),
                    control::Failure::Untested(u) => report.untested.push(u),
                },
            }
        }
        if targets.is_empty() {
            continue;
        }
        let primaries = up.servers.iter().filter(|s| !s.backup).count();
        let mut cells = Vec::new();
        let faults = match opts.faults.as_slice() {
            [] => faults::played_for(up.protocol),
            chosen => chosen
                .iter()
                .copied()
                .filter(|k| faults::fits(*k, up.protocol))
                .collect(),
        };
        for &kind in &faults {
            for placement in [Placement::OneServer, Placement::AllPrimaries] {
                if placement == Placement::AllPrimaries && primaries < 2 {
                    // With one primary, "one server" already was all of them.
                    let mut same: Cell = cells.last().cloned().expect("one-server cell ran");
                    same.placement = placement;
                    cells.push(same);
                    continue;
                }
                let name = match placement {
                    Placement::OneServer => kind.name().to_string(),
                    Placement::AllPrimaries => format!("{}-all", kind.name()),
                };
                let played = Played {
                    upstream: &up.name,
                    kind,
                    placement,
                };
                // Pages and WebSockets to one upstream: each location gets the faults that
                // fit what it sends.
                let fitting: Vec<&Target> = targets
                    .iter()
                    .copied()
                    .filter(|t| faults::fits(kind, t.speaks()))
                    .collect();
                let out = run(
                    &ctx,
                    (opts, key(&up.name, &name)),
                    dir.join(&name),
                    Some(played),
                    &fitting,
                )
                .await?;
                let advice = |kind| match up.protocol {
                    analyze::Protocol::Grpc => catalogue.for_fault_over(kind, "grpc_pass"),
                    _ => catalogue.for_fault(kind),
                };
                cells.push(to_cell(played, &fitting, out, advice));
            }
        }
        // The DNS columns come with the whole matrix (`--fault` names registry faults only).
        let resolves = names::resolved(&analysis)
            .iter()
            .any(|r| r.upstream == up.name);
        let dns = match opts.faults.is_empty() && resolves {
            true => names::columns(&ctx, opts, &up.name, &dir, &targets).await?,
            false => Vec::new(),
        };
        report.upstreams.push(UpstreamReport {
            upstream: up.clone(),
            targets: targets.into_iter().cloned().collect(),
            cells,
            dns,
        });
    }
    Ok(report)
}

/// One run ([`cell::run`]), announced to the progress display as it starts and ends.
async fn run(
    ctx: &cell::Ctx<'_>,
    (opts, key): (&CheckOptions, PhaseKey),
    dir: PathBuf,
    fault: Option<Played<'_>>,
    targets: &[&Target],
) -> Result<cell::RunOutcome, CheckError> {
    let emit = |event: Event| {
        if let Some(tx) = &opts.progress {
            let _ = tx.send(event);
        }
    };
    let (live, watch) = tokio::sync::watch::channel(crate::load::LiveCounts::default());
    let per_target = fault.map_or_else(faults::Traffic::default, |f| faults::traffic(f.kind));
    emit(Event::PhaseStarted {
        key: key.clone(),
        planned: per_target.requests * targets.len() as u64,
        duration: None,
        live: watch,
    });
    let started = std::time::Instant::now();
    let out = cell::run(ctx, dir, fault, targets, &live).await;
    let all_success = out.as_ref().is_ok_and(|o| {
        o.targets
            .iter()
            .all(|t| t.load.outcomes.keys().all(survived))
    });
    emit(Event::PhaseFinished {
        key,
        verdict: match (&out, all_success) {
            (Err(_), _) => crate::result::Verdict::Error,
            (Ok(_), true) => crate::result::Verdict::Pass,
            (Ok(_), false) => crate::result::Verdict::Fail,
        },
        requests: live.borrow().done,
        wall_ms: started.elapsed().as_millis() as u64,
    });
    let out = out.map_err(CheckError::Infrastructure)?;
    if ctx.cancel.is_cancelled() {
        return Err(CheckError::Interrupted);
    }
    Ok(out)
}

fn to_cell(
    played: Played<'_>,
    targets: &[&Target],
    out: cell::RunOutcome,
    advice: impl Fn(FaultKind) -> Option<crate::fixes::Advice>,
) -> Cell {
    let mut outcomes = BTreeMap::new();
    let mut by_location = Vec::new();
    for (t, run) in targets.iter().zip(&out.targets) {
        for (o, n) in &run.load.outcomes {
            *outcomes.entry(*o).or_insert(0) += n;
        }
        by_location.push(LocationOutcomes {
            location: t.label(),
            outcomes: run.load.outcomes.clone(),
        });
    }
    let survives = outcomes.keys().all(survived);
    Cell {
        fault: played.kind,
        placement: played.placement,
        survives,
        outcomes,
        by_location,
        fired: out.fired,
        wall_ms: out.wall_ms,
        log: out.log,
        advice: if survives { None } else { advice(played.kind) },
    }
}

/// Keep only the upstreams named by `--upstream`; an unknown name is bad input.
fn select_upstreams(path: &Path, a: &mut Analysis, names: &[String]) -> Result<(), CheckError> {
    if names.is_empty() {
        return Ok(());
    }
    for n in names {
        if !a.upstreams.iter().any(|u| &u.name == n) {
            let known: Vec<&str> = a.upstreams.iter().map(|u| u.name.as_str()).collect();
            return Err(CheckError::Input(
                InputError::whole_file(path, format!("no upstream named `{n}` in this config"))
                    .with_hint(format!("upstreams found: {}", known.join(", "))),
            ));
        }
    }
    a.targets.retain(|t| names.contains(&t.upstream));
    Ok(())
}

/// A name fit for a folder.
fn safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
