//! `badgateway diagnose [LOG...]`: stream error.logs (files, gzip, stdin), print the upstream
//! failures grouped by cause with the fix and the catalogue scenario for each. Unreadable lines
//! are counted, never fatal; bad input (exit 2) is only a file that cannot be read, or input
//! with no nginx error.log line in it at all (binary data, an access.log).

use std::path::PathBuf;

use crate::cli::checks::DiagnoseArgs;
use crate::diagnose::{analyze, open};
use crate::exit::Exit;

pub(super) fn diagnose(args: DiagnoseArgs) -> Exit {
    let catalogue = match super::common::load_catalogue(args.scenarios) {
        Ok(c) => c,
        Err(exit) => return exit,
    };
    let paths = if args.logs.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        args.logs
    };
    let mut sources = Vec::new();
    for p in &paths {
        match open(p) {
            Ok(s) => sources.push(s),
            Err(e) => {
                crate::errln!(
                    "{}: error: cannot read: {e}\n  hint: pass nginx error.log files, or - for standard input",
                    p.display()
                );
                return Exit::BadInput;
            }
        }
    }
    let names: Vec<String> = sources.iter().map(|s| s.name.clone()).collect();
    let d = match analyze(sources, &catalogue) {
        Ok(d) => d,
        Err(e) => {
            crate::errln!(
                "error: reading {}: {e}\n  hint: a .gz file must be gzip; others plain text",
                names.join(", ")
            );
            return Exit::BadInput;
        }
    };
    if d.nginx_lines == 0 && d.binary_lines > 0 {
        crate::errln!(
            "{}: error: binary data, not a text log ({} of {} lines hold NUL bytes)\n  hint: pass nginx's error.log as text, or gzip-compressed",
            names.join(", "),
            d.binary_lines,
            d.lines
        );
        return Exit::BadInput;
    }
    if d.nginx_lines == 0 && d.unknown_lines > 0 {
        crate::errln!(
            "{}: error: no nginx error.log lines among {} lines read{}\n  hint: pass nginx's error.log (lines like `2026/01/01 12:00:00 [error] 12#12: *1 ...`), not access.log",
            names.join(", "),
            d.lines,
            d.unknown_example
                .as_deref()
                .map(|e| format!(" (e.g. `{e}`)"))
                .unwrap_or_default()
        );
        return Exit::BadInput;
    }
    if args.json {
        crate::outln!(
            "{}",
            serde_json::to_string_pretty(&d).expect("diagnosis serializes")
        );
    } else {
        crate::out!("{}", crate::report::diagnose_text::diagnose(&d));
    }
    Exit::Passed
}
