//! A bounded mutation fuzz of both parsers: the scenario loader (YAML, then every check) and
//! the nginx.conf parser. Inputs are the bundled scenarios, the malformed corpus and the
//! nginx.conf fixtures, cut, spliced and sprinkled with tokens that break parsers (braces,
//! quotes, escapes, placeholders, huge and negative numbers, NUL, tabs). Every input must come
//! back as a value or an error with a position, never as a panic.
//!
//! Seeded and bounded: `BADGATEWAY_FUZZ_SECS` seconds (default 3, for CI) or 200,000 inputs,
//! whichever comes first; `BADGATEWAY_FUZZ_SEED` picks the seed (default 1). A failing input
//! is written to a temp file whose path the failure prints.

use crate::common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

const TOKENS: &[&str] = &[
    "{",
    "}",
    ";",
    "\"",
    "'",
    "\\",
    ":",
    "- ",
    "\n",
    "  ",
    "\t",
    "{{",
    "}}",
    "#",
    "\0",
    "[",
    "]",
    "9223372036854775808",
    "-1",
    "1.5",
    "1e400",
    "999999m",
    "100000h",
    "re:(",
    "${",
    "*",
    "&a",
    "!!binary",
    "~",
    "null",
    "kind: ",
    "upstream.",
    "listen 0.0.0.0:1;",
    "include ",
    "é",
    "\u{feff}",
];

fn seeds(dirs: &[&str], ext: &str) -> Vec<String> {
    let mut out = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(common::repo().join(dir)) else {
            continue;
        };
        for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
            let matches = path.extension().is_some_and(|e| e == ext)
                || (ext == "conf" && path.extension().is_none());
            if matches && let Ok(text) = std::fs::read_to_string(&path) {
                out.push(text);
            }
        }
    }
    assert!(!out.is_empty(), "no seed inputs in {dirs:?}");
    out
}

/// One mutation of a seed: cut a range, splice in another seed's piece, or insert tokens.
fn mutate(rng: &mut StdRng, seeds: &[String]) -> String {
    let mut text = seeds[rng.random_range(0..seeds.len())].clone().into_bytes();
    for _ in 0..rng.random_range(1..6) {
        let at = rng.random_range(0..=text.len());
        match rng.random_range(0..4) {
            0 if !text.is_empty() => {
                let end = (at + rng.random_range(1..64)).min(text.len());
                text.drain(at.min(end)..end);
            }
            1 => {
                let other = seeds[rng.random_range(0..seeds.len())].as_bytes();
                let from = rng.random_range(0..=other.len());
                let to = (from + rng.random_range(0..200)).min(other.len());
                text.splice(at..at, other[from..to].iter().copied());
            }
            _ => {
                let token = TOKENS[rng.random_range(0..TOKENS.len())];
                text.splice(at..at, token.bytes());
            }
        }
    }
    String::from_utf8_lossy(&text).into_owned()
}

fn budget() -> (Duration, u64) {
    let secs = std::env::var("BADGATEWAY_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let seed = std::env::var("BADGATEWAY_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    (Duration::from_secs(secs), seed)
}

/// Feed mutated inputs to `parse` until the budget is spent; fail on the first panic.
fn fuzz(name: &str, seeds: &[String], parse: impl Fn(&Path, &str) -> Option<String>) {
    let (limit, seed) = budget();
    let mut rng = StdRng::seed_from_u64(seed);
    let file = PathBuf::from(format!("fuzz-{name}.input"));
    let started = Instant::now();
    let mut inputs = 0u64;
    let mut errors = 0u64;
    while started.elapsed() < limit && inputs < 200_000 {
        let input = mutate(&mut rng, seeds);
        inputs += 1;
        match catch_unwind(AssertUnwindSafe(|| parse(&file, &input))) {
            Ok(None) => {}
            Ok(Some(_)) => errors += 1,
            Err(_) => {
                let saved = std::env::temp_dir().join(format!("badgateway-fuzz-{name}-{seed}.txt"));
                std::fs::write(&saved, &input).unwrap();
                panic!(
                    "{name}: input {inputs} (seed {seed}) panicked; saved in {}",
                    saved.display()
                );
            }
        }
    }
    eprintln!(
        "fuzz {name}: {inputs} inputs in {:.1}s, {errors} errors, 0 panics",
        started.elapsed().as_secs_f64()
    );
    assert!(inputs > 0);
}

#[test]
fn the_scenario_loader_never_panics_and_always_locates_its_errors() {
    let seeds = seeds(&["scenarios", "harness/tests/fixtures/malformed"], "yaml");
    fuzz(
        "scenario",
        &seeds,
        |path, text| match badgateway::scenario::load_text(path, text) {
            Ok(_) => None,
            Err(e) => {
                // Every error names the file; most name a line (whole-file errors say why not).
                let shown = e.to_string();
                assert!(shown.contains("fuzz-scenario.input"), "{shown}");
                Some(shown)
            }
        },
    );
}

#[test]
fn the_nginx_conf_parser_never_panics_and_always_locates_its_errors() {
    let seeds = seeds(
        &[
            "harness/tests/fixtures/nginx",
            "harness/tests/fixtures/nginx/tricky",
            "lab",
        ],
        "conf",
    );
    fuzz(
        "nginxconf",
        &seeds,
        |path, text| match badgateway::nginxconf::parse(text, path) {
            Ok(nodes) => {
                let _ = badgateway::nginxconf::write(&nodes);
                None
            }
            Err(e) => {
                assert!(e.line >= 1 && e.col >= 1, "{e}");
                Some(e.to_string())
            }
        },
    );
}
