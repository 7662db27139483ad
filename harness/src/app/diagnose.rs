//! `badgateway diagnose [LOG...]`: stream error.logs (files, `.gz`, stdin), print the upstream
//! failures grouped by cause with the catalogue scenario and fix for each.

use std::path::PathBuf;

use crate::cli::checks::DiagnoseArgs;
use crate::diagnose::{CauseReport, Diagnosis, analyze, open};
use crate::exit::Exit;
use crate::fixes::Catalogue;

pub(super) fn diagnose(args: DiagnoseArgs) -> Exit {
    let catalogue = match load_catalogue(args.scenarios) {
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
                eprintln!(
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
            eprintln!(
                "error: reading {}: {e}\n  hint: a .gz file must be gzip; others plain text",
                names.join(", ")
            );
            return Exit::BadInput;
        }
    };
    if d.nginx_lines == 0 {
        eprintln!(
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
        println!(
            "{}",
            serde_json::to_string_pretty(&d).expect("diagnosis serializes")
        );
    } else {
        print!("{}", render(&d));
    }
    Exit::Passed
}

/// The catalogue from `--scenarios` or the default folder.
pub(super) fn load_catalogue(dir: Option<PathBuf>) -> Result<Catalogue, Exit> {
    let dir = dir.unwrap_or_else(Catalogue::default_dir);
    Catalogue::load(&[dir]).map_err(|e| {
        eprintln!("{e}");
        Exit::BadInput
    })
}

fn render(d: &Diagnosis) -> String {
    let mut out = format!(
        "{} lines: {} from nginx ({}), {} not nginx error.log lines\n",
        d.lines,
        d.nginx_lines,
        d.by_level
            .iter()
            .map(|(l, n)| format!("{l} {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        d.unknown_lines
    );
    if d.causes.is_empty() {
        out.push_str("\nno upstream failures found\n");
    }
    for c in &d.causes {
        out.push_str(&render_cause(c));
    }
    if !d.other.is_empty() {
        out.push_str("\nother nginx messages:\n");
        for m in d.other.iter().take(10) {
            out.push_str(&format!("  {:>7}  [{}] {}\n", m.count, m.level, m.message));
        }
    }
    if let Some(e) = &d.unknown_example {
        out.push_str(&format!(
            "\n{} lines not in nginx's format, e.g.: {e}\n",
            d.unknown_lines
        ));
    }
    if d.dropped > 0 {
        out.push_str(&format!(
            "{} lines of further distinct messages counted only\n",
            d.dropped
        ));
    }
    out
}

fn render_cause(c: &CauseReport) -> String {
    let list = |m: &std::collections::BTreeMap<String, u64>| {
        m.iter()
            .map(|(k, n)| format!("{k} ×{n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = format!(
        "\n{:>7}  [{}] {}\n         first {}  last {}\n",
        c.count, c.level, c.message, c.first, c.last
    );
    if !c.upstreams.is_empty() {
        out.push_str(&format!("         upstreams: {}\n", list(&c.upstreams)));
    }
    if !c.methods.is_empty() {
        out.push_str(&format!("         methods: {}\n", list(&c.methods)));
    }
    match c.advice.first() {
        Some(a) => {
            out.push_str(&format!(
                "         reproduced by `{}`: {}\n",
                a.scenario, a.title
            ));
            out.push_str(&format!("         guide: {}\n", a.guide_step));
            if let Some(fix) = &a.fix {
                out.push_str(&format!("         proven fix ({fix})\n"));
            }
            out.push_str(&format!("         run: {}\n", a.command));
            let more: Vec<&str> = c.advice[1..].iter().map(|a| a.scenario.as_str()).collect();
            if !more.is_empty() {
                out.push_str(&format!("         see also: {}\n", more.join(", ")));
            }
        }
        None => out.push_str("         no catalogue scenario reproduces this cause\n"),
    }
    out
}
