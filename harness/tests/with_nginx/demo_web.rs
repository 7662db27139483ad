//! `badgateway demo --web` in headless Chromium: the demo runs piped (no terminal, so no
//! keys and, with `--web`, no `--auto` pace), the page it serves shows the live 502 count of
//! the baseline, a POSTed `next` (the page's button sends the same request) moves nginx to
//! the fix and the page's counts turn to 200s, a screenshot is a real picture, and `quit`
//! from the web stops the demo with nothing left behind; a taken `--web-port` is exit 3 before
//! anything is made.

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{chromium, chromium_or_skip, group_alive, nginx_or_skip, scenarios_dir};

/// How long the page may take to show what it should: nginx starting, a second or two of
/// load, a reload taking effect. Each normally takes one to three seconds (a headless Chromium
/// start about one more); the bound is for a loaded CI machine and only reached when wrong.
const PAGE_WAIT: Duration = Duration::from_secs(60);
/// The page follows this many events (100 ms apart) and then stops, so headless Chromium,
/// whose virtual clock waits while a stream is open, can dump the DOM or take the picture.
const EVENTS: u32 = 15;

/// The demo process, killed (by its own pid) if the test ends before it does.
struct Demo {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Demo {
    fn start(out: &Path) -> Demo {
        let mut child = Command::new(env!("CARGO_BIN_EXE_badgateway"))
            .args(["demo", "upstream-down", "--web", "--rate", "20/s"])
            .arg("--in")
            .arg(scenarios_dir())
            .arg("--out")
            .arg(out)
            .args(["--max-time", "5m"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("badgateway runs");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (stdout, sink) = (child.stdout.take().unwrap(), lines.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Demo { child, lines }
    }

    /// The first printed line after `prefix`, waiting for it.
    fn printed(&self, prefix: &str) -> String {
        let deadline = Instant::now() + PAGE_WAIT;
        loop {
            let lines = self.lines.lock().unwrap().clone();
            if let Some(rest) = lines.iter().find_map(|l| l.split(prefix).nth(1)) {
                return rest.to_string();
            }
            assert!(
                Instant::now() < deadline,
                "no `{prefix}` printed within {PAGE_WAIT:?}:\n{}",
                lines.join("\n")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `POST /command` with or without the command header; the response's status.
fn post(url: &str, command: &str, marked: bool) -> u16 {
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    let header = if marked { "X-Badgateway: demo\r\n" } else { "" };
    let request = format!(
        "POST /{command} HTTP/1.1\r\nHost: {addr}\r\n{header}Content-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// The count the page shows for `outcome` in the current phase (`<b id="n-502">154</b>`).
fn count(dom: &str, outcome: &str) -> u64 {
    let marker = format!("id=\"n-{outcome}\">");
    dom.split(&marker)
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Dump the page's DOM until `ok` holds for it.
fn dom_until(browser: &Path, url: &str, what: &str, ok: impl Fn(&str) -> bool) -> String {
    let profile = tempfile::tempdir().unwrap();
    let page = format!("{url}?events={EVENTS}");
    let args = ["--dump-dom", "--virtual-time-budget=10000"];
    let dump = || chromium(browser, profile.path(), &args, &page).0;
    common::look_until(what, PAGE_WAIT, Duration::from_millis(500), dump, ok)
}

#[test]
fn demo_web_view_shows_live_counts_and_a_phase_switch_in_chromium() {
    let test = "demo_web_view_shows_live_counts_and_a_phase_switch_in_chromium";
    let (Some(_), Some(browser)) = (nginx_or_skip(test), chromium_or_skip(test)) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut demo = Demo::start(tmp.path());
    let url = demo.printed("web view: ").trim().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "loopback only: {url}");
    let pid: i32 = (demo.printed("master pid ").trim().parse()).expect("the master pid");

    let before = dom_until(&browser, &url, "502s counted in baseline", |dom| {
        dom.contains("id=\"counts\" data-phase=\"baseline\"") && count(dom, "502") > 0
    });
    assert_eq!(count(&before, "200"), 0, "the baseline has no 200s");
    assert!(before.contains("connect() failed (111: Connection refused)"));

    assert_eq!(post(&url, "next", false), 403, "a command needs the header");
    assert_eq!(post(&url, "next", true), 202);
    // Right after the reload the old workers may still answer a few requests with 502; the
    // fix's counts are mostly 200s from then on.
    let after = dom_until(&browser, &url, "200s counted in fix", |dom| {
        dom.contains("id=\"counts\" data-phase=\"fix\"")
            && count(dom, "200") > 10 * count(dom, "502").max(1)
    });
    assert!(
        after.contains("reloaded (SIGHUP to master pid"),
        "the notice says how: {after}"
    );
    // A page opened after the switch still charts the baseline before it.
    assert!(after.contains(">baseline</text>"), "the baseline is marked");
    assert!(after.contains("<title>502 × "), "its 502s are drawn");

    let shot = tmp.path().join("demo-web.png");
    let profile = tempfile::tempdir().unwrap();
    let arg = format!("--screenshot={}", shot.display());
    let page = format!("{url}?events={EVENTS}");
    let args = [
        &arg,
        "--window-size=1400,1000",
        "--virtual-time-budget=10000",
    ];
    chromium(&browser, profile.path(), &args, &page);
    let (width, height, colours) = png_colours(&std::fs::read(&shot).expect("a screenshot"));
    assert_eq!((width, height), (1400, 1000));
    // Text, bars and coloured counts: a blank or failed page has one colour or a handful.
    assert!(colours > 16, "{colours} colours: not a blank page");

    assert_eq!(post(&url, "quit", true), 202);
    let deadline = Instant::now() + PAGE_WAIT;
    let status = loop {
        if let Some(status) = demo.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the demo did not quit");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "exit 0 on quit: {status}");
    assert!(!group_alive(pid), "nginx {pid} is stopped on quit");
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "the web view is closed"
    );
}

/// Width, height and how many distinct pixel values an 8-bit RGB or RGBA PNG holds (IDAT
/// inflated, each row's filter undone).
fn png_colours(png: &[u8]) -> (u32, u32, usize) {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    let (mut at, mut header, mut data) = (8, Vec::new(), Vec::new());
    while at + 8 <= png.len() {
        let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
        let (kind, body) = (&png[at + 4..at + 8], &png[at + 8..at + 8 + len]);
        match kind {
            b"IHDR" => header = body.to_vec(),
            b"IDAT" => data.extend_from_slice(body),
            _ => {}
        }
        at += 12 + len;
    }
    let width = u32::from_be_bytes(header[0..4].try_into().unwrap());
    let height = u32::from_be_bytes(header[4..8].try_into().unwrap());
    let bpp = match (header[8], header[9]) {
        (8, 2) => 3,
        (8, 6) => 4,
        other => panic!("unexpected PNG depth and colour type {other:?}"),
    };
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&data[..])
        .read_to_end(&mut raw)
        .expect("IDAT inflates");
    let stride = width as usize * bpp;
    assert_eq!(raw.len(), (stride + 1) * height as usize, "whole rows");
    let mut previous = vec![0u8; stride];
    let mut colours = std::collections::HashSet::new();
    for row in raw.chunks(stride + 1) {
        let mut line = row[1..].to_vec();
        for i in 0..stride {
            let a = if i >= bpp { line[i - bpp] } else { 0 };
            let (b, c) = (previous[i], if i >= bpp { previous[i - bpp] } else { 0 });
            let add = match row[0] {
                0 => 0,
                1 => a,
                2 => b,
                3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
                4 => paeth(a, b, c),
                f => panic!("PNG filter {f}"),
            };
            line[i] = line[i].wrapping_add(add);
        }
        colours.extend(line.chunks(bpp).map(|p| p.to_vec()));
        previous = line;
    }
    (width, height, colours.len())
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let (pa, pb, pc) = (
        (p - i16::from(a)).abs(),
        (p - i16::from(b)).abs(),
        (p - i16::from(c)).abs(),
    );
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

#[test]
fn demo_web_on_a_taken_port_is_an_infrastructure_error_and_leaves_nothing() {
    let test = "demo_web_on_a_taken_port_is_an_infrastructure_error_and_leaves_nothing";
    if nginx_or_skip(test).is_none() {
        return;
    }
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let tmp = tempfile::tempdir().unwrap();
    let out = common::run_cli(&[
        "demo",
        "upstream-down",
        "--in",
        &scenarios_dir().display().to_string(),
        "--out",
        &tmp.path().display().to_string(),
        "--web-port",
        &port,
    ]);
    let shown = common::text(&out);
    assert_eq!(out.status.code(), Some(3), "{shown}");
    assert!(
        shown.contains(&format!("cannot listen on 127.0.0.1:{port} for --web")),
        "{shown}"
    );
    assert!(
        std::fs::read_dir(tmp.path()).unwrap().next().is_none(),
        "no run folder was made"
    );
}
