//! nginx in Docker (`--nginx-image`) and the version matrix: scenarios run once per nginx,
//! results say which nginx each ran on, `nginx -t` refusals come back from the container,
//! version-scoped phases run only where they apply, and no container outlives a run, not even
//! one interrupted by Ctrl-C. Also the local installs of scripts/build-nginx-images.

use crate::common;
use crate::docker;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use badgateway::result::Verdict;
use common::{read_result, text, write};

const OLD: &str = "badgateway/nginx:1.22";
const NEW: &str = "badgateway/nginx:1.30";

/// Containers the badgateway process `pid` started and did not remove.
fn left_by(pid: u32) -> Vec<String> {
    docker::containers_with_label(&format!("badgateway.pid={pid}"))
}

/// Run `cmd` to its end with its output captured; its PID (to find what it left) and output.
fn run_to_end(mut cmd: std::process::Command) -> (u32, std::process::Output) {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    (pid, child.wait_with_output().unwrap())
}

#[test]
fn a_version_matrix_runs_each_scenario_on_each_image() {
    let test = "a_version_matrix_runs_each_scenario_on_each_image";
    if docker::docker_or_skip(test, &[OLD, NEW]).is_none() {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let mut cmd = common::badgateway();
    cmd.args(["run", common::scenarios_dir().to_str().unwrap()])
        .args(["--filter", "upstream-down", "--filter", "buffer-trap"])
        .args(["--filter", "keepalive-pooling", "--jobs", "2", "--quiet"])
        .args(["--nginx-image", OLD, "--nginx-image", NEW])
        .args(["--out", out.path().to_str().unwrap()]);
    let (pid, output) = run_to_end(cmd);
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(0), "{shown}");
    assert!(
        shown.contains("SCENARIO") && shown.contains("1.22.") && shown.contains("1.30."),
        "one column per version:\n{shown}"
    );
    let result = read_result(out.path());
    assert_eq!(result.nginx_matrix.len(), 2);
    assert_eq!(result.scenarios.len(), 6, "three scenarios on two nginx");
    for s in &result.scenarios {
        assert_eq!(
            s.verdict,
            Verdict::Pass,
            "{} on {}",
            s.name,
            s.nginx_version
        );
        assert!(s.nginx_source.starts_with("image badgateway/nginx:"));
        if s.name == "buffer-trap" {
            assert!(
                s.phases[0].config_rejected.is_some(),
                "nginx -t refused in the container"
            );
        }
        if s.name == "upstream-down" {
            let log = std::fs::read_to_string(s.phases[0].run_dir.join("error.log")).unwrap();
            assert!(
                log.contains("(111: Connection refused)"),
                "error.log on the host"
            );
        }
        if s.name == "keepalive-pooling" {
            let names: Vec<&str> = s.phases.iter().map(|p| p.name.as_str()).collect();
            let scoped = if s.nginx_version.starts_with("1.30.") {
                "default-pooling"
            } else {
                "keepalive-connection-only"
            };
            assert!(names.contains(&scoped), "{}: {names:?}", s.nginx_version);
        }
    }
    assert!(left_by(pid).is_empty(), "containers left behind");
}

/// A scenario whose upstream never answers and whose timeouts are long.
const STALLED: &str = "name: stalled\ntitle: t\nstory: s\nguide_step: g\nupstreams:\n  app:\n    slow: { kind: stall }\n\
config:\n  location: |\n    proxy_pass http://{{upstream.app.slow}};\n    proxy_read_timeout 60s;\n\
traffic:\n  requests: 4\n  concurrency: 4\n  timeout: 60s\nphases:\n  - name: baseline\n    expect:\n      outcomes:\n        504: \"100%\"\n";

fn find(root: &Path, name: &str) -> Option<PathBuf> {
    let entries = std::fs::read_dir(root).ok()?;
    for e in entries.filter_map(|e| e.ok()) {
        let p = e.path();
        if p.is_dir() {
            if let Some(found) = find(&p, name) {
                return Some(found);
            }
        } else if p.file_name().is_some_and(|n| n == name) {
            return Some(p);
        }
    }
    None
}

#[test]
fn ctrl_c_removes_the_nginx_container() {
    let test = "ctrl_c_removes_the_nginx_container";
    if docker::docker_or_skip(test, &[NEW]).is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "stalled.yaml", STALLED);
    let out = dir.path().join("out");
    let mut child = common::badgateway()
        .args(["run", &scenario, "--nginx-image", NEW, "--quiet"])
        .args(["--out", out.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    // Safety bound only: the pid file appears once nginx runs in its container.
    let deadline = Instant::now() + Duration::from_secs(60);
    while find(&out, "nginx.pid").is_none() {
        assert!(Instant::now() < deadline, "nginx never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(left_by(pid).len(), 1, "the serving container runs");
    // SAFETY: signals the badgateway child this test started.
    unsafe { libc::kill(pid as i32, libc::SIGINT) };
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "badgateway did not stop");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(130));
    assert!(left_by(pid).is_empty(), "the container was removed");
}

#[test]
fn a_missing_image_is_an_infrastructure_error() {
    let test = "a_missing_image_is_an_infrastructure_error";
    if docker::docker_or_skip(test, &[]).is_none() {
        return;
    }
    let out = common::run_cli(&[
        "run",
        common::scenarios_dir().to_str().unwrap(),
        "--filter",
        "upstream-down",
        "--nginx-image",
        "badgateway/no-such-nginx:0.0",
        "--out",
        tempfile::tempdir().unwrap().path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("badgateway/no-such-nginx"));
}

/// `.nginx-versions/1.30/nginx`: Debian forky's nginx run by forky's own loader, no Docker.
#[test]
fn a_local_install_runs_the_newer_nginx_without_docker() {
    let Some(wrapper) = common::local_nginx_or_skip(
        "1.30",
        "a_local_install_runs_the_newer_nginx_without_docker",
    ) else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let run = common::run_cli(&[
        "run",
        common::scenarios_dir().to_str().unwrap(),
        "--filter",
        "keepalive-budget",
        "--nginx",
        wrapper.to_str().unwrap(),
        "--quiet",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let result = read_result(out.path());
    assert!(result.scenarios[0].nginx_version.starts_with("1.30."));
    let phases: Vec<&str> = result.scenarios[0]
        .phases
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(
        phases,
        ["pinned-http10", "fix"],
        "1.30 skips the <1.29.7 baseline"
    );
}

/// `compare --config` across two images: the upgrade hazard of upstream keep-alive becoming
/// the default (1.29.7), shown for one config, and no container left behind.
#[test]
fn compare_runs_one_config_on_two_images() {
    let test = "compare_runs_one_config_on_two_images";
    if docker::docker_or_skip(test, &[OLD, NEW]).is_none() {
        return;
    }
    let config = common::repo().join("harness/tests/fixtures/nginx/two-primaries.conf");
    let mut cmd = common::badgateway();
    cmd.args(["compare", "--config", config.to_str().unwrap()])
        .args(["--nginx-image", OLD, "--nginx-image", NEW])
        .args(["--fault", "idle_close", "--quiet"]);
    let (pid, output) = run_to_end(cmd);
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(1), "{shown}");
    assert!(
        shown.contains("(nginx 1.22.")
            && shown.contains("(nginx 1.30.")
            && shown.contains("REGRESSED"),
        "{shown}"
    );
    assert!(
        left_by(pid).is_empty(),
        "containers left: {:?}",
        left_by(pid)
    );
}
