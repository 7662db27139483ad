//! No exit path leaves nginx behind: Ctrl-C, SIGTERM, a panic. And parallel scenarios never
//! collide on ports.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use badgateway::nginx::{Nginx, RunDir, render};
use badgateway::scenario::{Fragments, NginxSettings};
use common::{group_alive, text, write};

/// A scenario whose upstream never answers and whose timeouts are long, so a run is surely
/// mid-phase when the signal arrives.
const STALLED: &str = "name: stalled\ntitle: t\nstory: s\nguide_step: g\nupstreams:\n  app:\n    slow: { kind: stall }\n\
config:\n  location: |\n    proxy_pass http://{{upstream.app.slow}};\n    proxy_read_timeout 60s;\n\
traffic:\n  requests: 4\n  concurrency: 4\n  timeout: 60s\nphases:\n  - name: baseline\n    expect:\n      outcomes:\n        504: \"100%\"\n";

/// Poll (a bounded number of times) until `path` exists; None after `limit`.
fn wait_for_file(root: &Path, name: &str, limit: Duration) -> Option<PathBuf> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        let found = walk(root)
            .into_iter()
            .find(|p| p.file_name().is_some_and(|n| n == name));
        if let Some(p) =
            found.filter(|p| std::fs::read_to_string(p).is_ok_and(|t| !t.trim().is_empty()))
        {
            return Some(p);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .flat_map(|p| if p.is_dir() { walk(&p) } else { vec![p] })
        .collect()
}

fn interrupt_leaves_nothing(signal: i32, test: &str) {
    if common::nginx_or_skip(test).is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "stalled.yaml", STALLED);
    let out_root = dir.path().join("out");
    let mut child = common::badgateway()
        .args(["run", &scenario, "--out", out_root.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Safety bound only: nginx writes its pid file within milliseconds of starting.
    let pid_file =
        wait_for_file(&out_root, "nginx.pid", Duration::from_secs(30)).expect("nginx started");
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(group_alive(pid), "nginx is running before the signal");
    // SAFETY: signals the badgateway child this test started.
    unsafe { libc::kill(child.id() as i32, signal) };
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "badgateway did not stop within 30s of the signal"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = child.wait_with_output().unwrap();
    assert_eq!(status.code(), Some(130), "{}", text(&output));
    assert!(
        !group_alive(pid),
        "nginx (group {pid}) must be gone after the signal"
    );
    assert!(text(&output).contains("INTERRUPTED"), "{}", text(&output));
}

#[test]
fn sigint_mid_run_leaves_no_nginx_behind() {
    interrupt_leaves_nothing(libc::SIGINT, "sigint_mid_run_leaves_no_nginx_behind");
}

#[test]
fn sigterm_mid_run_leaves_no_nginx_behind() {
    interrupt_leaves_nothing(libc::SIGTERM, "sigterm_mid_run_leaves_no_nginx_behind");
}

#[test]
fn a_panic_while_nginx_runs_still_kills_it() {
    let Some(nginx) = common::nginx_or_skip("a_panic_while_nginx_runs_still_kills_it") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let run_dir = RunDir::create(dir.path().join("panic")).unwrap();
    let fragments = Fragments {
        http: String::new(),
        location: "return 200 \"ok\\n\";".into(),
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let conf = render(
        &nginx,
        &NginxSettings::default(),
        &fragments,
        &run_dir,
        port,
        "panic test",
    );
    std::fs::write(run_dir.conf(), conf).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let worker = std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let running = Nginx::start(&nginx, &run_dir, port)
                .await
                .expect("nginx starts");
            tx.send(running.pid()).unwrap();
            panic!("deliberate panic while nginx runs");
        })
    });
    let joined = worker.join();
    assert!(joined.is_err(), "the thread panicked");
    let pid = rx.recv().unwrap();
    assert!(
        !group_alive(pid),
        "nginx (group {pid}) must be killed when its owner panics"
    );
}

#[test]
fn parallel_scenarios_never_collide_on_ports() {
    if common::nginx_or_skip("parallel_scenarios_never_collide_on_ports").is_none() {
        return;
    }
    let original =
        std::fs::read_to_string(common::scenarios_dir().join("upstream-crash.yaml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for i in 0..4 {
        let renamed =
            original.replacen("name: upstream-crash", &format!("name: crash-copy-{i}"), 1);
        write(dir.path(), &format!("copy-{i}.yaml"), &renamed);
    }
    let out_root = dir.path().join("out");
    let output = common::run_cli(&[
        "run",
        dir.path().to_str().unwrap(),
        "--jobs",
        "4",
        "--quiet",
        "--out",
        out_root.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let result_path = walk(&out_root)
        .into_iter()
        .find(|p| p.ends_with("result.json"))
        .unwrap();
    let result = badgateway::report::json::read(&result_path).unwrap();
    let mut ports: Vec<u16> = result
        .scenarios
        .iter()
        .flat_map(|s| s.phases.iter().filter_map(|p| p.nginx_port))
        .collect();
    assert_eq!(ports.len(), 8, "4 scenarios × 2 phases each ran nginx");
    let all = ports.len();
    ports.sort();
    ports.dedup();
    assert!(
        ports.len() >= all / 2,
        "phases run one after the other may reuse a port, parallel ones cannot"
    );
}
