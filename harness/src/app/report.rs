//! `badgateway report RESULT.json --format FORMAT [--out PATH]`: render a saved result again,
//! in any format, without running anything; `badgateway report --merge A B ... --out DIR`:
//! the results of a suite's shards as the reports of the whole suite.

use std::path::PathBuf;

use crate::cli::reports::ReportArgs;
use crate::exit::Exit;
use crate::report::{self, json};

const HINT: &str = "pass the result.json a `badgateway run` wrote into reports/<run-id>/";

pub(super) fn report(args: &ReportArgs) -> Exit {
    if !args.merge.is_empty() {
        let out = args.out.as_ref().expect("clap requires --out with --merge");
        return merge(&args.merge, out);
    }
    let (Some(file), Some(format)) = (&args.result, args.format) else {
        unreachable!("clap requires RESULT.json and --format without --merge")
    };
    let result = match json::read(file) {
        Ok(r) => r,
        Err(msg) => {
            crate::errln!("error: {msg}\n  hint: {HINT}");
            return Exit::BadInput;
        }
    };
    let Some(out) = &args.out else {
        crate::out!("{}", format.render(&result));
        return Exit::Passed;
    };
    match report::write(format, &result, out) {
        Ok(path) => {
            crate::outln!("{}: {}", format, path.display());
            Exit::Passed
        }
        Err(e) => {
            crate::errln!("error: cannot write {}: {e}", out.display());
            Exit::Infrastructure
        }
    }
}

/// Read every file, merge, print the summary, write every report into `out`; the exit is the
/// merged verdict's, as `run` gives it.
fn merge(files: &[PathBuf], out: &std::path::Path) -> Exit {
    let mut parts = Vec::new();
    for file in files {
        match json::read(file) {
            Ok(r) => parts.push((file.clone(), r)),
            Err(msg) => {
                crate::errln!("error: {msg}\n  hint: {HINT}");
                return Exit::BadInput;
            }
        }
    }
    let merged = match crate::merge::merge(parts, out) {
        Ok(m) => m,
        Err(msg) => {
            crate::errln!("error: cannot merge: {msg}");
            return Exit::BadInput;
        }
    };
    crate::out!("{}", report::terminal::render_for_stdout(&merged));
    match report::write_run(&merged, out, &[]) {
        Ok(written) => {
            for (format, path) in written {
                crate::outln!("{}: {}", format.label(), path.display());
            }
        }
        Err(e) => {
            crate::errln!(
                "error: cannot write the reports into {}: {e}",
                out.display()
            );
            return Exit::Infrastructure;
        }
    }
    Exit::from_verdict(merged.verdict)
}
