//! `diagnose` on error.logs that real nginx wrote while running the bundled scenarios: each
//! scenario's baseline log maps back to that scenario. Plus the CLI's input paths (stdin, a
//! log with no nginx lines).

use crate::common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use badgateway::diagnose::{analyze, open};
use badgateway::fixes::Catalogue;

/// `<root>/<run-id>/<scenario>/<phase>/error.log`.
fn baseline_log(root: &Path, scenario: &str, phase: &str) -> PathBuf {
    let run = std::fs::read_dir(root)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    run.join(scenario).join(phase).join("error.log")
}

#[test]
fn each_scenario_baseline_log_maps_to_its_scenario() {
    let Some(_) = common::nginx_or_skip("each_scenario_baseline_log_maps_to_its_scenario") else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let scenarios = common::scenarios_dir().display().to_string();
    let run = common::run_cli(&[
        "run",
        &scenarios,
        "--jobs",
        "6",
        "--quiet",
        "--out",
        &out.path().display().to_string(),
    ]);
    assert!(run.status.code().is_some(), "{}", common::text(&run));
    let catalogue = Catalogue::load(&[common::scenarios_dir()]).unwrap();
    let mut checked = Vec::new();
    let mut skipped = Vec::new();
    for loaded in &catalogue.scenarios {
        let s = &loaded.scenario;
        let first = &s.phases[0];
        if first.expect.log.contains.is_empty() || first.expect.config_rejected.is_some() {
            skipped.push(s.name.clone());
            continue;
        }
        let log = baseline_log(out.path(), &s.name, &first.name);
        let d = analyze(vec![open(&log).unwrap()], &catalogue).unwrap();
        let offered: Vec<&str> = d
            .causes
            .iter()
            .flat_map(|c| c.advice.iter().map(|a| a.scenario.as_str()))
            .collect();
        assert!(
            offered.contains(&s.name.as_str()),
            "{}: diagnose offered {offered:?} for {}",
            s.name,
            log.display()
        );
        checked.push(s.name.clone());
    }
    eprintln!("checked {checked:?}; no baseline log pattern (nothing to map): {skipped:?}");
    assert!(checked.len() >= 15, "{checked:?}");
}

#[test]
fn stdin_and_files_and_bad_logs() {
    let line = "2026/11/26 15:42:18 [error] 11#11: *1 upstream sent too big header while reading \
                response header from upstream, client: 127.0.0.1, server: x, request: \"GET / HTTP/1.1\", \
                upstream: \"http://127.0.0.1:9/\", host: \"x\"\n";
    let mut child = common::badgateway()
        .arg("diagnose")
        .current_dir(common::repo())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(line.repeat(3).as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = common::text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("upstream sent too big header") && text.contains("big-headers"),
        "{text}"
    );
    assert!(
        text.contains("run: badgateway run scenarios/big-headers.yaml"),
        "{text}"
    );

    let dir = tempfile::tempdir().unwrap();
    let access = common::write(
        dir.path(),
        "access.log",
        "127.0.0.1 - - [26/Nov/2026:15:42:18 +0000] \"GET / HTTP/1.1\" 502 157\n",
    );
    let out = common::run_cli(&["diagnose", &access]);
    let text = common::text(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("no nginx error.log lines") && text.contains("hint:"),
        "{text}"
    );

    let out = common::run_cli(&["diagnose", "/nonexistent/error.log"]);
    assert_eq!(out.status.code(), Some(2), "{}", common::text(&out));

    let log = common::write(dir.path(), "error.log", line);
    let out = common::run_cli(&["diagnose", "--json", &log]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["causes"][0]["cause"]["kind"], "too_big_header");
    assert_eq!(json["causes"][0]["count"], 1);
}
