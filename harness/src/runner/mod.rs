//! Running scenarios: phases in order, scenarios in parallel up to `jobs`.
//!
//! The runner starts fake upstreams and nginx, drives load, stops everything and returns a
//! [`RunResult`]. It prints nothing (progress goes out as [`events::Event`]s) and writes only
//! what nginx itself needs (each phase's nginx.conf, and nginx's own logs) into the run folder.

mod fault_windows;
mod phase;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::events;
use crate::load::{LiveCounts, LiveSender};
use crate::nginx::NginxBackend;
use crate::result::{RunResult, ScenarioResult, SkippedPhase, Verdict};
use crate::scenario::{LoadedScenario, Scenario};

pub use fault_windows::fault_windows;
pub use phase::run_phase;
pub(crate) use phase::{expanded, stage_plan, start_upstreams};

/// How a run is carried out.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The nginx builds every scenario runs on, once each: a version matrix when there are
    /// several. Never empty.
    pub nginx: Vec<NginxBackend>,
    /// Scenarios run at once.
    pub jobs: usize,
    pub seed: u64,
    /// Keep nginx's temp folders after each phase.
    pub keep: bool,
    /// `reports/<run-id>`: one folder per scenario and phase below it.
    pub out_dir: PathBuf,
    pub run_id: String,
    /// Where to send progress events (phase started, with live counts; phase finished);
    /// `None` sends none.
    pub progress: Option<events::ProgressSender>,
    /// Runs of each scenario, to measure how stable its verdict is.
    pub repeat: u32,
    /// Run a scenario attempt whose verdict is inconclusive once more (the second try counts).
    pub retry_inconclusive: bool,
    /// The shard of the suite these scenarios are (`run --shard`), recorded in the result.
    pub shard: Option<crate::shard::Shard>,
}

/// One run of one scenario: which repetition, its seed and its output folder.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// 1-based.
    pub number: u32,
    /// Derived from the run's seed, the scenario name and the attempt number, so every
    /// scenario gets its own reproducible decisions whatever else runs beside it.
    pub seed: u64,
    /// `<out>/<scenario>`, then `/<nginx slug>` when the run has several nginx, then
    /// `/attempt-<n>` when repeating.
    pub dir: PathBuf,
    /// The nginx this attempt runs on.
    pub nginx: NginxBackend,
    /// Live counts of the phase running now, reset as each phase starts.
    pub live: LiveSender,
}

impl Attempt {
    /// The attempt `number` of scenario `name` on `nginx` in a run with `opts`. The seed does
    /// not depend on the nginx, so every version sees the same decisions.
    pub fn new(opts: &RunOptions, name: &str, number: u32, nginx: &NginxBackend) -> Attempt {
        let mut dir = crate::paths::under(&opts.out_dir, name);
        if opts.nginx.len() > 1 {
            dir = dir.join(nginx.slug());
        }
        if opts.repeat > 1 {
            dir = dir.join(format!("attempt-{number}"));
        }
        Attempt {
            number,
            seed: derive_seed(opts.seed, name, number),
            dir,
            nginx: nginx.clone(),
            live: tokio::sync::watch::channel(LiveCounts::default()).0,
        }
    }
}

/// FNV-1a over the scenario name, mixed with the run seed and attempt number.
fn derive_seed(run_seed: u64, name: &str, attempt: u32) -> u64 {
    fake_upstreams::body::fnv1a(run_seed, name.bytes().chain(attempt.to_le_bytes()))
}

/// Run every scenario and return what happened. Cancelling `cancel` stops the run cleanly:
/// running phases end, nginx is stopped, and the result says `interrupted`.
pub async fn run(
    scenarios: Vec<LoadedScenario>,
    opts: RunOptions,
    cancel: CancellationToken,
) -> RunResult {
    let started = Instant::now();
    let started_at = start_time();
    let opts = Arc::new(opts);
    let slots = Arc::new(Semaphore::new(opts.jobs.max(1)));
    let mut set = JoinSet::new();
    let mut jobs = Vec::new();
    for loaded in scenarios {
        for nginx in &opts.nginx {
            for n in 1..=opts.repeat.max(1) {
                jobs.push((loaded.clone(), nginx.clone(), n));
            }
        }
    }
    for (index, (loaded, nginx, number)) in jobs.into_iter().enumerate() {
        let (opts, slots, cancel) = (opts.clone(), slots.clone(), cancel.clone());
        set.spawn(async move {
            let _slot = slots
                .acquire_owned()
                .await
                .expect("semaphore is never closed");
            let attempt = Attempt::new(&opts, &loaded.scenario.name, number, &nginx);
            (index, run_isolated(loaded, opts, attempt, cancel).await)
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
    let wall_ms = started.elapsed().as_millis() as u64;
    assemble(&opts, started_at, wall_ms, scenarios)
}

/// The result of a run with `opts` made of `scenarios`: the run's verdict is the worst of
/// theirs. Also what `run` saves while the run goes, from the scenarios so far.
pub fn assemble(
    opts: &RunOptions,
    started_at: String,
    wall_ms: u64,
    scenarios: Vec<ScenarioResult>,
) -> RunResult {
    let verdict = scenarios
        .iter()
        .fold(Verdict::Pass, |v, s| v.worst(s.verdict));
    RunResult {
        schema_version: crate::result::SCHEMA_VERSION,
        run_id: opts.run_id.clone(),
        shard: opts.shard,
        merged_from: Vec::new(),
        repeat: opts.repeat.max(1),
        started_at,
        seed: opts.seed,
        nginx: opts
            .nginx
            .first()
            .map(|n| n.binary().clone())
            .expect("a run has at least one nginx"),
        nginx_matrix: opts.nginx.clone(),
        out_dir: opts.out_dir.clone(),
        wall_ms,
        verdict,
        scenarios,
    }
}

/// The time a run starts, as result.json states it.
pub fn start_time() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

/// [`run_scenario`] in a task of its own, so that a panic in it (or in its fake upstreams)
/// fails this scenario alone: its nginx and fakes are stopped as their handles unwind, and the
/// scenario is reported as an error with the panic message while the others go on.
async fn run_isolated(
    loaded: LoadedScenario,
    opts: Arc<RunOptions>,
    attempt: Attempt,
    cancel: CancellationToken,
) -> ScenarioResult {
    let (number, seed) = (attempt.number, attempt.seed);
    let fallback = (loaded.clone(), attempt.nginx.clone());
    let run = async move {
        let first = run_scenario(&loaded, &opts, &attempt, &cancel).await;
        if first.verdict != Verdict::Inconclusive || !opts.retry_inconclusive {
            return first;
        }
        tracing::info!(scenario = %loaded.scenario.name, "inconclusive: trying once more");
        let again = Attempt {
            dir: attempt.dir.join("retry"),
            ..attempt.clone()
        };
        ScenarioResult {
            retried: true,
            ..run_scenario(&loaded, &opts, &again, &cancel).await
        }
    };
    match in_own_task(run).await {
        Ok(result) => result,
        Err(message) => {
            tracing::error!(scenario = %fallback.0.scenario.name, %message, "scenario panicked");
            panicked(&fallback.0, &fallback.1, number, seed, &message)
        }
    }
}

/// Run `fut` as a task of its own; a panic in it comes back as its message.
async fn in_own_task<T: Send + 'static>(
    fut: impl std::future::Future<Output = T> + Send + 'static,
) -> Result<T, String> {
    match tokio::spawn(fut).await {
        Ok(value) => Ok(value),
        Err(e) => Err(match e.try_into_panic() {
            Ok(payload) => panic_message(payload.as_ref()),
            Err(e) => e.to_string(),
        }),
    }
}

/// The text of a panic payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned());
    text.unwrap_or_else(|| "a panic without a message".into())
}

/// The result of a scenario whose task panicked: an error, no phases, the message as a check.
fn panicked(
    loaded: &LoadedScenario,
    nginx: &NginxBackend,
    attempt: u32,
    seed: u64,
    message: &str,
) -> ScenarioResult {
    let s = &loaded.scenario;
    ScenarioResult {
        name: s.name.clone(),
        attempt,
        seed,
        title: s.title.clone(),
        story: s.story.clone(),
        file: loaded.path.clone(),
        guide_step: s.guide_step.clone(),
        nginx_version: nginx.version().to_string(),
        nginx_source: nginx.source(),
        verdict: Verdict::Error,
        wall_ms: 0,
        phases: Vec::new(),
        checks: vec![crate::check::Check::failed(
            "the scenario ran to its end",
            "no panic",
            format!("panicked: {message}"),
        )],
        retried: false,
        skipped: skipped_phases(s, nginx.version()),
    }
}

/// Run one scenario's phases in order on the attempt's nginx (only the phases whose
/// `nginx_versions` include its version); after an interruption the remaining phases are
/// skipped.
pub async fn run_scenario(
    loaded: &LoadedScenario,
    opts: &RunOptions,
    attempt: &Attempt,
    cancel: &CancellationToken,
) -> ScenarioResult {
    let s = &loaded.scenario;
    let started = Instant::now();
    let mut phases = Vec::new();
    let version = attempt.nginx.version();
    let applicable: Vec<_> = s.phases.iter().filter(|p| p.applies_to(version)).collect();
    // Progress tells the versions of a matrix apart by name.
    let shown_name = match opts.nginx.len() {
        1 => s.name.clone(),
        _ => format!("{} @{version}", s.name),
    };
    for phase in applicable.iter().copied() {
        if cancel.is_cancelled() {
            break;
        }
        let key = events::PhaseKey {
            scenario: shown_name.clone(),
            attempt: attempt.number,
            phase: phase.name.clone(),
        };
        attempt.live.send_replace(LiveCounts::default());
        emit(opts, || events::Event::PhaseStarted {
            key: key.clone(),
            planned: s.traffic_for(phase).requests(),
            duration: s.traffic_for(phase).duration(),
            live: attempt.live.subscribe(),
        });
        let result = run_phase(s, phase, opts, attempt, cancel).await;
        emit(opts, || events::Event::PhaseFinished {
            key,
            verdict: result.verdict,
            requests: result.load.as_ref().map_or(0, |l| l.total),
            wall_ms: result.wall_ms,
        });
        phases.push(result);
        if phases.len() < applicable.len() {
            let so_far = scenario_result(loaded, attempt, &phases, applicable.len(), started);
            emit(opts, || events::Event::ScenarioSoFar(Box::new(so_far)));
        }
    }
    let result = scenario_result(loaded, attempt, &phases, applicable.len(), started);
    emit(opts, || {
        events::Event::ScenarioSoFar(Box::new(result.clone()))
    });
    result
}

/// A scenario attempt's result from the `phases` it ran of the `planned` ones: the worst phase
/// verdict, a failure when a fault never fired, `interrupted` when phases are missing.
fn scenario_result(
    loaded: &LoadedScenario,
    attempt: &Attempt,
    phases: &[crate::result::PhaseResult],
    planned: usize,
    started: Instant,
) -> ScenarioResult {
    let s = &loaded.scenario;
    let counters: Vec<_> = phases
        .iter()
        .map(|p| (p.name.as_str(), &p.upstreams))
        .collect();
    let checks = crate::check::faults_fired(&s.upstreams, &counters);
    let mut verdict = phases.iter().fold(Verdict::Pass, |v, p| v.worst(p.verdict));
    if checks.iter().any(|c| !c.passed) {
        verdict = verdict.worst(Verdict::Fail);
    }
    if phases.len() < planned {
        verdict = Verdict::Interrupted;
    }
    ScenarioResult {
        name: s.name.clone(),
        attempt: attempt.number,
        seed: attempt.seed,
        title: s.title.clone(),
        story: s.story.clone(),
        file: loaded.path.clone(),
        guide_step: s.guide_step.clone(),
        nginx_version: attempt.nginx.version().to_string(),
        nginx_source: attempt.nginx.source(),
        verdict,
        wall_ms: started.elapsed().as_millis() as u64,
        phases: phases.to_vec(),
        checks,
        retried: false,
        skipped: skipped_phases(s, attempt.nginx.version()),
    }
}

/// The phases nginx `version` does not run (`nginx_versions`), each with why, so reports show
/// them as skipped instead of leaving them out.
fn skipped_phases(s: &Scenario, version: &str) -> Vec<SkippedPhase> {
    let gated = s.phases.iter().filter(|p| !p.applies_to(version));
    gated
        .map(|p| SkippedPhase {
            name: p.name.clone(),
            reason: match &p.nginx_versions {
                Some(range) => format!("needs nginx {range}; this is {version}"),
                None => format!("not for nginx {version}"),
            },
        })
        .collect()
}

/// Send a progress event when someone listens; a display that went away is not an error.
fn emit(opts: &RunOptions, event: impl FnOnce() -> events::Event) {
    if let Some(tx) = &opts.progress {
        let _ = tx.send(event());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_task_comes_back_as_its_message() {
        let ok = in_own_task(async { 7 }).await;
        assert_eq!(ok, Ok(7));
        let boom: Result<(), String> = in_own_task(async { panic!("fake server broke") }).await;
        assert_eq!(boom, Err("fake server broke".to_string()));
        let formatted: Result<(), String> = in_own_task(async { panic!("code {}", 42) }).await;
        assert_eq!(formatted, Err("code 42".to_string()));
    }
}
