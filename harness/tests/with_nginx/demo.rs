//! `badgateway demo` against real nginx: driven through a real terminal (tmux: send keys,
//! capture the pane), and piped (the `--auto` pace, plain lines). The phase switch reloads the
//! same nginx master and the outcome line turns from 502s to 200s; quitting leaves nothing.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{group_alive, nginx_or_skip, scenarios_dir, text, tmux_or_skip};

/// How long the screen may take to show something it should: nginx starting, the first whole
/// second of load, a reload taking effect. Each normally takes one to three seconds; the bound
/// is generous for a loaded CI machine and only reached when the screen is wrong.
const SCREEN_WAIT: Duration = Duration::from_secs(30);

/// A tmux server of this test's own (its own `-L` socket, in the test's temp folder through
/// `TMUX_TMPDIR`, so not even the socket file outlives the test), killed when dropped, so a
/// failing assertion leaves no session (and, through the pane's hang-up, no demo) behind.
struct Tmux {
    bin: PathBuf,
    socket: String,
    dir: PathBuf,
}

impl Tmux {
    /// Start `command` in a detached 120×50 session; the pane stays after the command exits
    /// (`remain-on-exit`) so the test can read what it printed last.
    fn start(bin: PathBuf, dir: &Path, command: &str) -> Tmux {
        let socket = format!(
            "bgw-demo-{}-{:08x}",
            std::process::id(),
            rand::random::<u32>()
        );
        let conf = common::write(dir, "tmux.conf", "set -g remain-on-exit on\n");
        let dir = dir.to_path_buf();
        let tmux = Tmux { bin, socket, dir };
        let out = tmux.run(&[
            "-f",
            &conf,
            "new-session",
            "-d",
            "-s",
            "demo",
            "-x",
            "120",
            "-y",
            "50",
            command,
        ]);
        assert!(out.status.success(), "tmux new-session: {}", text(&out));
        tmux
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(&self.bin)
            .env("TMUX_TMPDIR", &self.dir)
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("tmux runs")
    }

    fn pane(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "demo"]).stdout)
            .into_owned()
    }

    fn keys(&self, keys: &str) {
        assert!(
            self.run(&["send-keys", "-t", "demo", keys])
                .status
                .success()
        );
    }

    /// `#{pane_dead}` and friends.
    fn format(&self, format: &str) -> String {
        let out = self.run(&["display-message", "-p", "-t", "demo", format]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Capture the pane until `ok` holds for it.
    fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let every = Duration::from_millis(200);
        common::look_until(what, SCREEN_WAIT, every, || self.pane(), ok)
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

/// The master pid the screen names (`master pid 1234`).
fn master_pid(screen: &str) -> Option<i32> {
    let after = screen.split("master pid ").nth(1)?;
    after
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// Per-second lines of `phase` on the screen (`   3s  baseline  502×20`).
fn second_lines<'a>(screen: &'a str, phase: &str) -> Vec<&'a str> {
    let marker = format!("s  {phase}  ");
    screen
        .lines()
        .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()) && l.contains(&marker))
        .collect()
}

fn demo_command(out: &Path, extra: &str) -> String {
    format!(
        "{} demo upstream-down --in {} --rate 20/s --out {} --max-time 5m {extra}",
        env!("CARGO_BIN_EXE_badgateway"),
        scenarios_dir().display(),
        out.display()
    )
}

#[test]
fn demo_in_a_terminal_reloads_the_same_master_and_quits_clean() {
    let test = "demo_in_a_terminal_reloads_the_same_master_and_quits_clean";
    let (Some(_), Some(tmux)) = (nginx_or_skip(test), tmux_or_skip(test)) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    // The pane's shell runs the demo and then prints its exit status (tmux's own
    // `pane_dead_status` is not reliably filled in by tmux 3.3 when the pane's process exits).
    let command = format!("{}; echo \"demo exited $?\"", demo_command(tmp.path(), ""));
    let tmux = Tmux::start(tmux, tmp.path(), &command);
    let shell: i32 = tmux.format("#{pane_pid}").parse().expect("the pane's pid");

    let before = tmux.wait_for("story, pid and 502s", |s| {
        s.contains("The application behind nginx is not running")
            && master_pid(s).is_some()
            && second_lines(s, "baseline")
                .iter()
                .any(|l| l.contains("502×"))
    });
    let pid = master_pid(&before).unwrap();
    assert!(group_alive(pid), "nginx {pid} serves");
    let children = format!("/proc/{shell}/task/{shell}/children");
    let demo_pid: i32 = (std::fs::read_to_string(&children)
        .unwrap()
        .split_whitespace())
    .next()
    .and_then(|p| p.parse().ok())
    .expect("the demo runs under the pane's shell");
    assert!(before.contains("curl -i http://127.0.0.1:"), "{before}");

    tmux.keys("n");
    let after = tmux.wait_for("a second of only 200s in phase fix", |s| {
        second_lines(s, "fix")
            .iter()
            .any(|l| l.contains("200×") && !l.contains("502"))
    });
    assert_eq!(
        master_pid(&after),
        Some(pid),
        "a reload keeps the master:\n{after}"
    );
    assert!(
        after.contains(&format!("reloaded (SIGHUP to master pid {pid})")),
        "{after}"
    );
    assert!(after.contains("> fix"), "{after}");

    tmux.keys("q");
    tmux.wait_for("the demo's exit status", |s| s.contains("demo exited "));
    assert!(
        tmux.pane().contains("demo exited 0"),
        "exit 0 on q:\n{}",
        tmux.pane()
    );
    assert!(!group_alive(pid), "nginx {pid} is stopped on quit");
    // The shell has waited for it: gone, not a zombie.
    assert!(
        !Path::new(&format!("/proc/{demo_pid}")).exists(),
        "the demo process {demo_pid} is gone"
    );
}

#[test]
fn demo_without_a_terminal_paces_the_phases_and_ends_after_the_last() {
    let test = "demo_without_a_terminal_paces_the_phases_and_ends_after_the_last";
    if nginx_or_skip(test).is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    // stdin and stdout are not terminals: `--auto 3s` moves on every 3 s and ends after `fix`.
    let out = Command::new("sh")
        .arg("-c")
        .arg(demo_command(tmp.path(), "--auto 3s"))
        .stdin(Stdio::null())
        .output()
        .expect("badgateway runs");
    let shown = text(&out);
    assert!(out.status.success(), "{shown}");
    assert!(!shown.contains('\x1b'), "no colour when piped:\n{shown}");
    let pid = master_pid(&shown).expect("the master pid is printed");
    assert!(!group_alive(pid), "nginx {pid} is stopped at the end");
    let (baseline, fix) = (
        second_lines(&shown, "baseline"),
        second_lines(&shown, "fix"),
    );
    assert!(baseline.iter().any(|l| l.contains("502×")), "{shown}");
    assert!(
        fix.iter().any(|l| l.contains("200×") && !l.contains("502")),
        "{shown}"
    );
    let order = ["== phase baseline", "== phase fix", "demo finished"];
    let at: Vec<usize> = order
        .iter()
        .map(|m| shown.find(m).unwrap_or(usize::MAX))
        .collect();
    assert!(
        at.windows(2).all(|w| w[0] < w[1]),
        "phases in order:\n{shown}"
    );
    assert!(
        shown.contains("error.log: [error] connect() failed (111: Connection refused)"),
        "{shown}"
    );
    assert!(
        !shown.contains("[notice]"),
        "nginx's own notices are left out:\n{shown}"
    );
}

#[test]
fn demo_of_an_unknown_scenario_is_an_input_error() {
    let out = common::run_cli(&[
        "demo",
        "no-such-scenario",
        "--in",
        &scenarios_dir().display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("known scenarios"));
}

/// The session's reload, which the demo's phase switch is: an accepted config is served by
/// the same master; a refused one is reported, its file put back, and the old one serves on.
#[test]
fn a_reload_keeps_the_master_and_a_refused_config_keeps_the_old_one_serving() {
    use badgateway::nginx::{ConfigTest, NginxBackend, RunDir, Session, render};
    use badgateway::scenario::{Fragments, NginxSettings};
    let Some(nginx) = nginx_or_skip("a_reload_keeps_the_master") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = RunDir::create(tmp.path().join("reload")).unwrap();
    let backend = NginxBackend::from(nginx.clone());
    let session = Session::new(&backend, dir.clone(), Vec::new());
    let answering = |body: &'static str| {
        let (nginx, dir) = (nginx.clone(), dir.clone());
        let location = format!("return 200 \"{body}\\n\";");
        move |ports: &[u16]| {
            let fragments = Fragments {
                http: String::new(),
                location: location.clone(),
            };
            render(
                &nginx,
                &NginxSettings::default(),
                &fragments,
                &dir,
                ports[0],
                "reload test",
            )
        }
    };
    // One HTTP/1.0 GET: nginx closes after the answer, so reading to the end is its body.
    let get = |port: u16| {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .write_all(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        body.trim().to_string()
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let live = session.start(1, &answering("one")).await.unwrap();
        let (port, pid) = (live.ports()[0], live.master_pid());
        assert_eq!(get(port), "one");

        let accepted = session.reload(&live, &answering("two")).await.unwrap();
        assert_eq!(accepted, ConfigTest::Accepted);
        // The master starts new workers and retires the old ones, which may still take a
        // connection or two meanwhile: poll until ten answers in a row are the new config's.
        let deadline = Instant::now() + SCREEN_WAIT;
        let mut in_a_row = 0;
        while in_a_row < 10 {
            in_a_row = if get(port) == "two" { in_a_row + 1 } else { 0 };
            assert!(
                Instant::now() < deadline,
                "the reloaded config never took over"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(live.master_pid(), pid, "the same master");

        let served = std::fs::read_to_string(dir.conf()).unwrap();
        let broken = |_: &[u16]| "events {} http { no_such_directive on; }".to_string();
        match session.reload(&live, &broken).await.unwrap() {
            ConfigTest::Rejected(why) => assert!(why.contains("no_such_directive"), "{why}"),
            ConfigTest::Accepted => panic!("nginx accepted an unknown directive"),
        }
        assert_eq!(
            std::fs::read_to_string(dir.conf()).unwrap(),
            served,
            "file put back"
        );
        for _ in 0..10 {
            assert_eq!(get(port), "two", "the old config serves on");
        }
        live.stop().await;
    });
}
