//! `badgateway run`: load scenarios, find nginx, run, print the summary, save result.json.

use std::time::{SystemTime, UNIX_EPOCH};

use tokio_util::sync::CancellationToken;

use crate::cli::RunArgs;
use crate::exit::Exit;
use crate::guard;
use crate::nginx::{NginxBackend, docker_api};
use crate::report;
use crate::runner::{self, RunOptions};

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
            eprintln!(
                "error: no scenario matches --filter {}\n  hint: see `badgateway list`",
                args.filter.join(", ")
            );
            return Exit::BadInput;
        }
    }
    if !args.nginx_image.is_empty() {
        // Before any runtime thread exists: it may point DOCKER_HOST at an API-version shim.
        if let Err(msg) = docker_api::prepare() {
            eprintln!("error: --nginx-image needs Docker: {msg}");
            return Exit::Infrastructure;
        }
        docker_api::sweep_stale();
    }
    let runtime = super::runtime();
    let nginx = match runtime.block_on(NginxBackend::resolve(&args.nginx, &args.nginx_image)) {
        Ok(n) => n,
        Err(msg) => {
            eprintln!("error: {msg}");
            return Exit::Infrastructure;
        }
    };
    let runs = scenarios.len() * args.repeat as usize * nginx.len();
    let jobs = args.jobs.resolve(runs);
    let seed = args.seed.unwrap_or_else(rand::random);
    let run_id = run_id();
    let out_dir = args.out.join(&run_id);
    if !args.quiet {
        eprintln!(
            "badgateway: {} scenarios, {}, seed {seed}, jobs {}, output {}",
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
        let opts = RunOptions {
            progress: display.as_ref().map(|(tx, _)| tx.clone()),
            ..opts
        };
        let result = runner::run(scenarios, opts, cancel).await;
        if let Some((tx, task)) = display {
            drop(tx);
            let _ = task.await;
        }
        result
    });
    // A closed stdout (`| head`) must not turn a finished run into a panic.
    let _ = std::io::Write::write_all(
        &mut std::io::stdout(),
        report::terminal::render(&result).as_bytes(),
    );
    match report::write_run(&result, &out_dir, &args.report) {
        Ok(written) => {
            for (format, path) in written {
                let line = format!("{}: {}\n", format.label(), path.display());
                let _ = std::io::Write::write_all(&mut std::io::stdout(), line.as_bytes());
            }
        }
        Err(e) => {
            eprintln!("error: cannot write the reports: {e}");
            return Exit::Infrastructure;
        }
    }
    Exit::from_verdict(result.verdict)
}

/// `20261126T154218Z-1a2b`: sortable, unique enough across parallel invocations.
fn run_id() -> String {
    let now = SystemTime::now();
    let stamp = humantime::format_rfc3339_seconds(now)
        .to_string()
        .replace([':', '-'], "");
    let nanos = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{stamp}-{:04x}", (nanos ^ std::process::id()) & 0xffff)
}
