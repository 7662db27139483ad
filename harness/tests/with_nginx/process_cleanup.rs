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

/// A quick phase nginx answers itself, then one whose upstream stalls for a minute: a
/// SIGKILL in the second phase finds the first one finished.
const FAST_THEN_STALLED: &str = "name: fast-then-stalled\ntitle: t\nstory: s\nguide_step: g\n\
upstreams:\n  app:\n    slow: { kind: stall }\n\
config:\n  location: |\n    return 200 \"ok\\n\";\n\
traffic:\n  requests: 2\n  concurrency: 2\n  timeout: 60s\nphases:\n  - name: quick\n    \
expect:\n      outcomes:\n        200: \"100%\"\n  - name: stalled\n    config:\n      location: |\n        \
proxy_pass http://{{upstream.app.slow}};\n        proxy_read_timeout 60s;\n    expect:\n      outcomes:\n        504: \"100%\"\n";

/// A scenario that passes in well under a second.
const HEALTHY: &str = "name: healthy\ntitle: t\nstory: s\nguide_step: g\nupstreams:\n  app:\n    a: { kind: healthy }\n\
config:\n  location: |\n    proxy_pass http://{{upstream.app.a}};\ntraffic:\n  requests: 2\nphases:\n  - name: ok\n    \
expect:\n      outcomes:\n        200: \"100%\"\n";

/// Every process whose command line mentions `needle`.
fn processes_mentioning(needle: &str) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            String::from_utf8_lossy(&cmdline).contains(needle)
        })
        .collect()
}

#[test]
fn sigkill_mid_phase_leaves_no_nginx_and_a_valid_result_and_the_next_run_sweeps() {
    let test = "sigkill_mid_phase_leaves_no_nginx_and_a_valid_result_and_the_next_run_sweeps";
    if common::nginx_or_skip(test).is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "two.yaml", FAST_THEN_STALLED);
    let out_root = dir.path().join("out");
    let mut child = common::badgateway()
        .args([
            "run",
            &scenario,
            "--quiet",
            "--out",
            out_root.to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let killed = child.id();
    // Safety bounds only: each waits for something that happens within a second or two.
    let deadline = Instant::now() + Duration::from_secs(30);
    let pid_file = loop {
        let found = walk(&out_root)
            .into_iter()
            .find(|p| p.ends_with("stalled/nginx.pid"));
        if let Some(p) =
            found.filter(|p| std::fs::read_to_string(p).is_ok_and(|t| !t.trim().is_empty()))
        {
            break p;
        }
        assert!(Instant::now() < deadline, "the second phase never started");
        std::thread::sleep(Duration::from_millis(20));
    };
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(group_alive(pid), "nginx of the stalled phase runs");
    child.kill().unwrap(); // SIGKILL: no cleanup code of badgateway runs
    child.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while group_alive(pid) {
        assert!(
            Instant::now() < deadline,
            "nginx (group {pid}) outlived its killed harness"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let run_dir = pid_file.ancestors().nth(3).unwrap().to_path_buf();
    assert!(processes_mentioning(&run_dir.display().to_string()).is_empty());
    let result = common::read_result(&out_root);
    let s = &result.scenarios[0];
    assert_eq!(s.verdict, badgateway::result::Verdict::Interrupted);
    assert_eq!(
        s.phases.len(),
        1,
        "the finished phase is in the saved result"
    );
    assert_eq!(s.phases[0].verdict, badgateway::result::Verdict::Pass);
    // The next run removes what the killed one could not: its socket folders.
    let leftovers = || {
        std::fs::read_dir(std::env::temp_dir())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(&format!("bgw-{killed}-"))
            })
            .count()
    };
    let healthy = write(dir.path(), "healthy.yaml", HEALTHY);
    let next_out = dir.path().join("next");
    let next = common::run_cli(&[
        "run",
        &healthy,
        "--quiet",
        "--out",
        next_out.to_str().unwrap(),
    ]);
    assert_eq!(next.status.code(), Some(0), "{}", text(&next));
    assert_eq!(leftovers(), 0, "socket folders of the killed run are swept");
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
    // SIGKILL is delivered asynchronously: a worker may still be on its way out for a moment
    // after the master is reaped. 5 s is far beyond any delivery delay, far below "left behind".
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while group_alive(pid) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
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
