//! `badgateway run`: load scenarios (keeping one [`shard`] of them under `--shard K/N`), find
//! nginx, make a run folder of its own, run (saving result.json after every phase), print the
//! summary, write the reports.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use tokio_util::sync::CancellationToken;

use crate::cli::RunArgs;
use crate::events::{Event, ProgressSender};
use crate::exit::Exit;
use crate::guard;
use crate::nginx::NginxBackend;
use crate::report;
use crate::result::ScenarioResult;
use crate::runner::{self, RunOptions};
use crate::shard::{self, Balance, Shard, ShardArg, ShardBy};

pub(super) fn run(args: RunArgs) -> Exit {
    let mut scenarios = match super::load_scenarios(&args.paths.paths) {
        Ok(s) => s,
        Err(exit) => return exit,
    };
    if !args.filter.is_empty() {
        scenarios.retain(|l| {
            args.filter
                .iter()
                .any(|f| l.scenario.name.contains(f.as_str()))
        });
        if scenarios.is_empty() {
            crate::errln!(
                "error: no scenario matches --filter {}\n  hint: see `badgateway list`",
                args.filter.join(", ")
            );
            return Exit::BadInput;
        }
    }
    let shard = match args.shard {
        Some(shard) => match select_shard(&mut scenarios, shard, &args.shard_by) {
            Ok(s) => Some(s),
            Err(exit) => return exit,
        },
        None => None,
    };
    if !args.allow_any_listen
        && let Some(exit) = super::common::refuse_open_listens(&scenarios)
    {
        return exit;
    }
    if let Err(exit) = super::common::prepare_images(&args.nginx_image) {
        return exit;
    }
    let runtime = super::runtime();
    let nginx = match runtime.block_on(NginxBackend::resolve(&args.nginx, &args.nginx_image)) {
        Ok(n) => n,
        Err(msg) => {
            crate::errln!("error: {msg}");
            return Exit::Infrastructure;
        }
    };
    let runs = scenarios.len() * args.repeat as usize * nginx.len();
    let jobs = args.jobs.resolve(runs);
    let seed = args.seed.unwrap_or_else(rand::random);
    let (run_id, out_dir) = match create_run_dir(&args.out) {
        Ok(pair) => pair,
        Err(e) => {
            crate::errln!(
                "error: cannot create a run folder in {}: {e}",
                args.out.display()
            );
            return Exit::Infrastructure;
        }
    };
    if !args.quiet {
        let of = shard.map_or(String::new(), |s| {
            format!(" (shard {}/{} by {})", s.index, s.total, s.by.label())
        });
        crate::errln!(
            "badgateway: {} scenarios{of}, {}, seed {seed}, jobs {}, output {}",
            scenarios.len(),
            nginx
                .iter()
                .map(NginxBackend::describe)
                .collect::<Vec<_>>()
                .join(", "),
            jobs,
            out_dir.display()
        );
    }
    let opts = RunOptions {
        nginx,
        jobs,
        seed,
        keep: args.keep,
        out_dir: out_dir.clone(),
        run_id,
        progress: None,
        repeat: args.repeat,
        retry_inconclusive: args.retry_inconclusive,
        shard,
    };
    let result = runtime.block_on(async {
        let cancel = CancellationToken::new();
        guard::cancel_on_signals(cancel.clone());
        let display = (!args.quiet).then(|| {
            report::progress::spawn(
                report::progress::Mode::detect(),
                Box::new(std::io::stderr()),
            )
        });
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let recorder = tokio::spawn(record(
            rx,
            opts.clone(),
            display.as_ref().map(|(tx, _)| tx.clone()),
        ));
        let opts = RunOptions {
            progress: Some(tx),
            ..opts
        };
        let result = runner::run(scenarios, opts, cancel).await;
        let _ = recorder.await;
        if let Some((tx, task)) = display {
            drop(tx);
            let _ = task.await;
        }
        result
    });
    super::common::release_images(&args.nginx_image);
    // A closed stdout (`| head`) must not turn a finished run into a panic.
    let _ = std::io::Write::write_all(
        &mut std::io::stdout(),
        report::terminal::render_for_stdout(&result).as_bytes(),
    );
    match report::write_run(&result, &out_dir, &args.report) {
        Ok(written) => {
            for (format, path) in written {
                let line = format!("{}: {}\n", format.label(), path.display());
                let _ = std::io::Write::write_all(&mut std::io::stdout(), line.as_bytes());
            }
        }
        Err(e) => {
            crate::errln!("error: cannot write the reports: {e}");
            return Exit::Infrastructure;
        }
    }
    Exit::from_verdict(result.verdict)
}

/// Keep only shard `arg` of `scenarios`, split as `balance` says; a previous result that cannot
/// be read is bad input. An empty shard (more shards than scenarios) is fine: it runs nothing
/// and passes, so a job matrix wider than the suite still has every shard's result to merge.
fn select_shard(
    scenarios: &mut Vec<crate::scenario::LoadedScenario>,
    arg: ShardArg,
    balance: &Balance,
) -> Result<Shard, Exit> {
    let names = scenarios.iter().map(|l| l.scenario.name.as_str());
    let (of, by) = match balance {
        Balance::Name => (shard::by_name(names, arg.total), ShardBy::Name),
        Balance::Time(prev) => {
            let took = report::json::read(prev).map_err(|msg| {
                crate::errln!(
                    "error: --shard-by time: {msg}\n  hint: pass the result.json of a previous \
                     run of this suite, e.g. --shard-by time=reports/<run-id>/result.json"
                );
                Exit::BadInput
            })?;
            let took = took.wall_ms_by_scenario();
            (shard::by_time(names, &took, arg.total), ShardBy::Time)
        }
    };
    scenarios.retain(|l| of.get(&l.scenario.name) == Some(&arg.index));
    Ok(Shard {
        index: arg.index,
        total: arg.total,
        by,
    })
}

/// Pass every event on to the progress display, and save result.json again whenever a
/// scenario attempt gets further, so that a run killed at any point leaves a valid result of
/// what it finished (scenarios still running show as interrupted). Ends with the runner.
async fn record(
    mut events: tokio::sync::mpsc::UnboundedReceiver<Event>,
    opts: RunOptions,
    display: Option<ProgressSender>,
) {
    let started_at = runner::start_time();
    let started = std::time::Instant::now();
    let mut so_far: BTreeMap<(String, u32, String), ScenarioResult> = BTreeMap::new();
    while let Some(event) = events.recv().await {
        if let Event::ScenarioSoFar(result) = &event {
            let key = (
                result.name.clone(),
                result.attempt,
                result.nginx_version.clone(),
            );
            so_far.insert(key, (**result).clone());
            let wall_ms = started.elapsed().as_millis() as u64;
            let scenarios = so_far.values().cloned().collect();
            let partial = runner::assemble(&opts, started_at.clone(), wall_ms, scenarios);
            if let Err(e) = report::json::save(&partial, &opts.out_dir) {
                tracing::warn!(%e, "cannot save the result so far");
            }
        }
        if let Some(display) = &display {
            let _ = display.send(event);
        }
    }
}

/// A fresh run folder under `out` and its id. The folder is made with `create_dir`, which fails
/// when it exists, so two runs can never share one (a collision draws another id).
pub(super) fn create_run_dir(out: &Path) -> std::io::Result<(String, PathBuf)> {
    std::fs::create_dir_all(out)?;
    let mut last = None;
    for _ in 0..8 {
        let id = run_id();
        let dir = out.join(&id);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok((id, dir)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.expect("eight collisions were seen"))
}

/// `20261126T154218Z-1a2b3c4d`: sortable by start time, then 32 random bits.
fn run_id() -> String {
    let stamp = humantime::format_rfc3339_seconds(SystemTime::now())
        .to_string()
        .replace([':', '-'], "");
    format!("{stamp}-{:08x}", rand::random::<u32>())
}
