//! Running scenarios: phases in order, scenarios in parallel up to `jobs`.
//!
//! The runner starts fake upstreams and nginx, drives load, stops everything and returns a
//! [`RunResult`]. It prints nothing but progress lines and writes only what nginx itself needs
//! (each phase's nginx.conf, and nginx's own logs) into the run folder.

mod phase;
mod servers;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::nginx::NginxBinary;
use crate::result::{RunResult, ScenarioResult, Verdict};
use crate::spec::LoadedScenario;

pub use phase::run_phase;

/// How a run is carried out.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub nginx: NginxBinary,
    /// Scenarios run at once.
    pub jobs: usize,
    pub seed: u64,
    /// Keep nginx's temp folders after each phase.
    pub keep: bool,
    /// `reports/<run-id>`: one folder per scenario and phase below it.
    pub out_dir: PathBuf,
    pub run_id: String,
    /// Print one line per phase as it starts and ends.
    pub progress: bool,
    /// Runs of each scenario, to measure how stable its verdict is.
    pub repeat: u32,
}

/// One run of one scenario: which repetition, its seed and its output folder.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// 1-based.
    pub number: u32,
    /// Derived from the run's seed, the scenario name and the attempt number, so every
    /// scenario gets its own reproducible decisions whatever else runs beside it.
    pub seed: u64,
    /// `<out>/<scenario>` or, when repeating, `<out>/<scenario>/attempt-<n>`.
    pub dir: PathBuf,
}

impl Attempt {
    /// The attempt `number` of scenario `name` in a run with `opts`.
    pub fn new(opts: &RunOptions, name: &str, number: u32) -> Attempt {
        let mut dir = opts.out_dir.join(name);
        if opts.repeat > 1 {
            dir = dir.join(format!("attempt-{number}"));
        }
        Attempt {
            number,
            seed: derive_seed(opts.seed, name, number),
            dir,
        }
    }
}

/// FNV-1a over the scenario name, mixed with the run seed and attempt number.
fn derive_seed(run_seed: u64, name: &str, attempt: u32) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ run_seed;
    for b in name.bytes().chain(attempt.to_le_bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Run every scenario and return what happened. Cancelling `cancel` stops the run cleanly:
/// running phases end, nginx is stopped, and the result says `interrupted`.
pub async fn run(
    scenarios: Vec<LoadedScenario>,
    opts: RunOptions,
    cancel: CancellationToken,
) -> RunResult {
    let started = Instant::now();
    let started_at = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let opts = Arc::new(opts);
    let slots = Arc::new(Semaphore::new(opts.jobs.max(1)));
    let mut set = JoinSet::new();
    let jobs = scenarios
        .into_iter()
        .flat_map(|loaded| (1..=opts.repeat.max(1)).map(move |n| (loaded.clone(), n)));
    for (index, (loaded, number)) in jobs.enumerate() {
        let (opts, slots, cancel) = (opts.clone(), slots.clone(), cancel.clone());
        set.spawn(async move {
            let _slot = slots
                .acquire_owned()
                .await
                .expect("semaphore is never closed");
            let attempt = Attempt::new(&opts, &loaded.scenario.name, number);
            (index, run_scenario(&loaded, &opts, &attempt, &cancel).await)
        });
    }
    let mut results: Vec<(usize, ScenarioResult)> = Vec::new();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(pair) => results.push(pair),
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
    results.sort_by_key(|(i, _)| *i);
    let scenarios: Vec<ScenarioResult> = results.into_iter().map(|(_, r)| r).collect();
    let verdict = scenarios
        .iter()
        .fold(Verdict::Pass, |v, s| v.worst(s.verdict));
    RunResult {
        run_id: opts.run_id.clone(),
        repeat: opts.repeat.max(1),
        started_at,
        seed: opts.seed,
        nginx: opts.nginx.clone(),
        out_dir: opts.out_dir.clone(),
        wall_ms: started.elapsed().as_millis() as u64,
        verdict,
        scenarios,
    }
}

/// Run one scenario's phases in order; after an interruption the remaining phases are skipped.
pub async fn run_scenario(
    loaded: &LoadedScenario,
    opts: &RunOptions,
    attempt: &Attempt,
    cancel: &CancellationToken,
) -> ScenarioResult {
    let s = &loaded.scenario;
    let started = Instant::now();
    let mut phases = Vec::new();
    for phase in &s.phases {
        if cancel.is_cancelled() {
            break;
        }
        if opts.progress {
            eprintln!("  {} / {}: starting", s.name, phase.name);
        }
        let result = run_phase(s, phase, opts, attempt, cancel).await;
        if opts.progress {
            eprintln!("  {} / {}: {}", s.name, phase.name, result.verdict.label());
        }
        phases.push(result);
    }
    let checks = crate::check::faults_fired(&s.upstreams, &phases);
    let mut verdict = phases.iter().fold(Verdict::Pass, |v, p| v.worst(p.verdict));
    if checks.iter().any(|c| !c.passed) {
        verdict = verdict.worst(Verdict::Fail);
    }
    if phases.len() < s.phases.len() {
        verdict = Verdict::Interrupted;
    }
    ScenarioResult {
        name: s.name.clone(),
        attempt: attempt.number,
        seed: attempt.seed,
        title: s.title.clone(),
        file: loaded.path.clone(),
        guide_step: s.guide_step.clone(),
        nginx_version: opts.nginx.version.clone(),
        verdict,
        wall_ms: started.elapsed().as_millis() as u64,
        phases,
        checks,
    }
}
