//! `badgateway check --config PATH`: run the fault catalogue against every upstream of the
//! user's config and print the upstream × fault table, what could not be tested, and the
//! catalogue fix of every fault the config does not survive.

use std::path::{Path, PathBuf};

use tokio_util::sync::CancellationToken;

use crate::cli::checks::{CheckArgs, CheckSettings};
use crate::confcheck::{CheckError, CheckOptions, CheckReport, check as run_check};
use crate::exit::Exit;
use crate::fixes::Advice;
use crate::guard;
use crate::nginx::locate;
use crate::report::Target;
use crate::report::confcheck::Subject;

pub(super) fn check(args: CheckArgs) -> Exit {
    let s = &args.settings;
    let report = match check_configs(&[&args.config], s) {
        Ok(mut r) => r.remove(0),
        Err(exit) => return exit,
    };
    if s.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("report serializes")
        );
    } else {
        print!("{}", render(&report));
    }
    write_reports(&s.report, Subject::Check(&report)).unwrap_or(Exit::Passed)
}

/// Write the `--report` files, naming each on stderr; `Some` exit when one cannot be written.
pub(super) fn write_reports(targets: &[Target], subject: Subject<'_>) -> Option<Exit> {
    match crate::report::confcheck::write(targets, subject) {
        Ok(written) => {
            for (format, path) in written {
                eprintln!("{format}: {}", path.display());
            }
            None
        }
        Err(e) => {
            eprintln!("error: cannot write the reports: {e}");
            Some(Exit::Infrastructure)
        }
    }
}

/// Check each config in turn with the same settings; print any error and return its exit.
pub(super) fn check_configs(paths: &[&Path], s: &CheckSettings) -> Result<Vec<CheckReport>, Exit> {
    let catalogue = super::diagnose::load_catalogue(s.scenarios.clone())?;
    let nginx = locate(s.nginx.as_deref()).map_err(|msg| {
        eprintln!("error: {msg}");
        Exit::Infrastructure
    })?;
    let root = work_root();
    let cancel = CancellationToken::new();
    let result = super::runtime().block_on(async {
        guard::cancel_on_signals(cancel.clone());
        let mut reports = Vec::new();
        for (i, path) in paths.iter().enumerate() {
            let opts = CheckOptions {
                nginx: nginx.clone().into(),
                work_dir: root.join(format!("config-{i}")),
                upstreams: s.upstream.clone(),
                faults: s.fault.clone(),
            };
            eprintln!(
                "badgateway: checking {} (nginx {})",
                path.display(),
                nginx.version
            );
            reports.push(run_check(path, &opts, &catalogue, &cancel).await?);
        }
        Ok(reports)
    });
    let keep = s.keep || matches!(result, Err(CheckError::Rejected { .. }));
    if keep {
        eprintln!("run folders kept in {}", root.display());
    } else {
        let _ = std::fs::remove_dir_all(&root);
    }
    result.map_err(|e| {
        eprintln!("{}", error_text(&e));
        match e {
            CheckError::Input(_) => Exit::BadInput,
            CheckError::Rejected { .. } => Exit::ConfigRejected,
            CheckError::Infrastructure(_) => Exit::Infrastructure,
            CheckError::Interrupted => Exit::Interrupted,
        }
    })
}

fn error_text(e: &CheckError) -> String {
    match e {
        CheckError::Rejected { .. } => format!(
            "error: {e}\n  hint: nginx refuses this config as it stands (after moving listens, logs \
             and upstream addresses); fix it until `nginx -t` accepts it"
        ),
        CheckError::Infrastructure(m) => format!("error: {m}"),
        other => other.to_string(),
    }
}

fn work_root() -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!("badgateway-check-{}-{nanos:x}", std::process::id()))
}

/// The terminal table of one report.
pub(super) fn render(r: &CheckReport) -> String {
    let mut out = format!(
        "config: {} (nginx {})\n",
        r.config.display(),
        r.nginx_version
    );
    for up in &r.upstreams {
        out.push_str(&format!("\nupstream {}", up.upstream.name));
        let servers: Vec<&str> = up
            .upstream
            .servers
            .iter()
            .map(|s| s.line.as_str())
            .collect();
        out.push_str(&format!("  [{}]\n", servers.join("; ")));
        for t in &up.targets {
            out.push_str(&format!(
                "  via {} {} (GET {} Host: {})\n",
                t.server, t.location, t.path, t.host
            ));
        }
        out.push_str(&format!(
            "  {:<22} {:<26} {:<9} {}\n",
            "FAULT", "CLIENTS GOT", "VERDICT", "CATALOGUE"
        ));
        for c in &up.cells {
            let verdict = if c.survives { "survives" } else { "FAILS" };
            let scenario = c.advice.as_ref().map_or("", |a| a.scenario.as_str());
            out.push_str(&format!(
                "  {:<22} {:<26} {:<9} {scenario}\n",
                c.fault.name(),
                c.summary(),
                verdict
            ));
        }
    }
    if r.upstreams.is_empty() {
        out.push_str("\nno upstream could be tested\n");
    }
    out.push_str(&fixes(
        r.upstreams
            .iter()
            .flat_map(|u| &u.cells)
            .filter_map(|c| c.advice.as_ref()),
    ));
    if !r.untested.is_empty() {
        out.push_str("\nnot tested:\n");
        for u in &r.untested {
            let at = if u.at.is_empty() {
                String::new()
            } else {
                format!(" ({})", u.at)
            };
            out.push_str(&format!("  - {}: {}{at}\n", u.what, u.reason));
        }
    }
    out
}

/// Each distinct scenario's fix, once.
pub(super) fn fixes<'a>(advice: impl Iterator<Item = &'a Advice>) -> String {
    let mut seen: Vec<&str> = Vec::new();
    let mut out = String::new();
    for a in advice {
        if seen.contains(&a.scenario.as_str()) {
            continue;
        }
        seen.push(&a.scenario);
        out.push_str(&format!(
            "\n{}: {}\n  guide: {}\n",
            a.scenario, a.title, a.guide_step
        ));
        if let Some(fix) = &a.fix {
            out.push_str(&format!("  proven fix ({fix})\n"));
        }
        out.push_str(&format!("  run: {}\n", a.command));
    }
    if !out.is_empty() {
        out.insert_str(0, "\nfixes from the catalogue:\n");
    }
    out
}
