//! Shared test helpers: finding nginx (fail under CI=true, skip with a reason elsewhere), the
//! repo's paths, and running the `badgateway` binary.
#![allow(dead_code)]

pub mod config_corpus;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use badgateway::nginx::{NginxBinary, locate};

/// nginx for tests that need it. Under `CI=true` a missing nginx fails the test; elsewhere the
/// test is skipped with a printed reason.
pub fn nginx_or_skip(test: &str) -> Option<NginxBinary> {
    match locate(None) {
        Ok(n) => Some(n),
        Err(e) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{test}: CI=true and nginx is unavailable: {e}")
        }
        Err(e) => {
            eprintln!("SKIPPED {test}: {e}");
            None
        }
    }
}

/// A tool on PATH for tests that need it: under `CI=true` a missing one fails the test
/// (`install` names the script of `scripts/test` that installs it); elsewhere the test is
/// skipped with a printed reason.
pub fn tool_or_skip(tool: &str, install: &str, test: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(tool))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        let why = format!("{tool} is not installed: run {install}");
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{test}: CI=true and {why}");
        }
        eprintln!("SKIPPED {test}: {why}");
    }
    found
}

/// tmux for the terminal tests of `demo` (see [`tool_or_skip`]).
pub fn tmux_or_skip(test: &str) -> Option<PathBuf> {
    tool_or_skip("tmux", "scripts/ensure-tmux", test)
}

/// `.nginx-versions/MAJOR.MINOR/nginx` (from `scripts/build-nginx-images`), for tests that
/// need a second nginx: fails under `CI=true` when missing, skips with a reason elsewhere.
pub fn local_nginx_or_skip(version: &str, test: &str) -> Option<PathBuf> {
    let wrapper = repo().join(format!(".nginx-versions/{version}/nginx"));
    if wrapper.is_file() {
        return Some(wrapper);
    }
    let why = format!("no .nginx-versions/{version}/nginx: run scripts/build-nginx-images");
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{test}: CI=true and {why}");
    }
    eprintln!("SKIPPED {test}: {why}");
    None
}

/// The workspace root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The bundled scenarios folder.
pub fn scenarios_dir() -> PathBuf {
    repo().join("scenarios")
}

/// The built `badgateway` binary.
pub fn badgateway() -> Command {
    Command::new(env!("CARGO_BIN_EXE_badgateway"))
}

/// Run `badgateway` with args and return its output.
pub fn run_cli(args: &[&str]) -> Output {
    badgateway().args(args).output().expect("badgateway runs")
}

/// Text of stdout and stderr together, for assertions and failure messages.
pub fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Write `content` as `name` in `dir` and return its path as a string.
pub fn write(dir: &Path, name: &str, content: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path.display().to_string()
}

/// Whether any live (non-zombie) process still belongs to process group `pgid`, i.e. an nginx
/// master or worker. A killed child that is not reaped yet is a zombie: it runs nothing.
pub fn group_alive(pgid: i32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    entries.filter_map(|e| e.ok()).any(|e| {
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        // Fields after the `(comm)`: state, ppid, pgrp, ...
        let Some((_, after)) = stat.rsplit_once(") ") else {
            return false;
        };
        let fields: Vec<&str> = after.split_whitespace().collect();
        fields.len() > 2 && fields[0] != "Z" && fields[2] == pgid.to_string()
    })
}

/// The `result.json` a `badgateway run --out root` wrote (one run per root).
pub fn read_result(root: &Path) -> badgateway::result::RunResult {
    let path = std::fs::read_dir(root)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("result.json"))
        .find(|p| p.is_file())
        .expect("result.json written");
    badgateway::report::json::read(&path).unwrap()
}

/// Debian's `chromium`, or `None` (skipped) outside CI when it is not installed.
pub fn chromium_or_skip(test: &str) -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .filter_map(|name| {
            let out = Command::new("sh")
                .args(["-c", &format!("command -v {name}")])
                .output();
            out.ok().filter(|o| o.status.success())
        })
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .next();
    match found {
        Some(path) => Some(path),
        None if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{test}: CI=true and chromium is not installed (apt-get install -y chromium)")
        }
        None => {
            eprintln!("SKIPPED {test}: chromium is not installed (apt-get install -y chromium)");
            None
        }
    }
}

/// Headless Chromium with `args` on the page at `url`; returns stdout and stderr.
pub fn chromium(browser: &Path, profile: &Path, args: &[&str], url: &str) -> (String, String) {
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
        ])
        .args(["--enable-logging=stderr", "--v=0", "--no-first-run"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .output()
        .expect("chromium runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "chromium failed:\n{stderr}");
    (stdout, stderr)
}

/// Look (`look()`: a screen, a page) every `every` until `ok` holds for what was seen, and
/// return it; fail after `bound` naming `what` and showing the last look.
pub fn look_until(
    what: &str,
    bound: std::time::Duration,
    every: std::time::Duration,
    mut look: impl FnMut() -> String,
    ok: impl Fn(&str) -> bool,
) -> String {
    let deadline = std::time::Instant::now() + bound;
    loop {
        let seen = look();
        if ok(&seen) {
            return seen;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no {what} within {bound:?}; last seen:\n{seen}"
        );
        std::thread::sleep(every);
    }
}

/// Validate the JUnit file `path` against the Jenkins xUnit schema
/// (`fixtures/junit/junit-10.xsd`) with xmllint. Under `CI=true` a missing xmllint fails the
/// test (`scripts/ensure-xmllint` installs it); elsewhere the check is skipped with a reason.
pub fn assert_valid_junit(test: &str, path: &Path) {
    let xsd = repo().join("harness/tests/fixtures/junit/junit-10.xsd");
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(path)
        .output();
    match out {
        Ok(out) => assert!(
            out.status.success(),
            "{test}: {} is not valid against junit-10.xsd:\n{}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{test}: CI=true and xmllint cannot run ({e}): run scripts/ensure-xmllint")
        }
        Err(e) => eprintln!("SKIPPED {test}'s JUnit schema check: xmllint cannot run ({e})"),
    }
}

/// Check the result file `path` against the committed `schemas/result.schema.json`.
pub fn assert_valid_result(path: &Path) {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("schemas/result.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{}: {errors:?}", path.display());
}
