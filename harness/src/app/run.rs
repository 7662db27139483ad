//! `badgateway run`: load scenarios, find nginx, run, print the summary, save result.json.

use std::time::{SystemTime, UNIX_EPOCH};

use tokio_util::sync::CancellationToken;

use crate::cli::RunArgs;
use crate::exit::Exit;
use crate::guard;
use crate::nginx::locate;
use crate::report;
use crate::runner::{self, RunOptions};

pub(super) fn run(args: RunArgs) -> Exit {
    let mut scenarios = match super::load(&args.paths.paths) {
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
    let nginx = match locate(args.nginx.as_deref()) {
        Ok(n) => n,
        Err(msg) => {
            eprintln!("error: {msg}");
            return Exit::Infrastructure;
        }
    };
    let seed = args.seed.unwrap_or_else(rand::random);
    let run_id = run_id();
    let out_dir = args.out.join(&run_id);
    if !args.quiet {
        eprintln!(
            "badgateway: {} scenarios, nginx {} ({}), seed {seed}, jobs {}, output {}",
            scenarios.len(),
            nginx.version,
            nginx.path.display(),
            args.jobs,
            out_dir.display()
        );
    }
    let opts = RunOptions {
        nginx,
        jobs: args.jobs as usize,
        seed,
        keep: args.keep,
        out_dir: out_dir.clone(),
        run_id,
        progress: !args.quiet,
        repeat: args.repeat,
    };
    let result = super::runtime().block_on(async {
        let cancel = CancellationToken::new();
        guard::cancel_on_signals(cancel.clone());
        runner::run(scenarios, opts, cancel).await
    });
    print!("{}", report::terminal::render(&result));
    match report::json::write(&result, &out_dir) {
        Ok(path) => println!("result: {}", path.display()),
        Err(e) => {
            eprintln!(
                "error: cannot write result.json into {}: {e}",
                out_dir.display()
            );
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
