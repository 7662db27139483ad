//! Smoke test of the `fake-upstream` binary: start it, use it, stop it with SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;

use fake_upstreams::CounterSnapshot;
use fake_upstreams::body;

const BIN: &str = env!("CARGO_BIN_EXE_fake-upstream");

#[test]
fn serves_then_prints_counters_on_sigterm() {
    let mut child = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0", "healthy", "--body-size", "4k"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let addr: SocketAddr = line
        .strip_prefix("listening on ")
        .and_then(|rest| rest.strip_suffix(" (fault: healthy)\n"))
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .parse()
        .unwrap();

    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut resp = Vec::new();
    stream.read_to_end(&mut resp).unwrap();
    let text = String::from_utf8(resp).unwrap();
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
    let (_, payload) = text.split_once("\r\n\r\n").unwrap();
    let digest = format!(
        "{}: {}",
        body::DIGEST_HEADER,
        body::digest(payload.as_bytes())
    );
    assert!(text.contains(&digest) && payload.len() == 4096);

    let pid = libc::pid_t::try_from(child.id()).unwrap();
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    let mut last = String::new();
    stdout.read_line(&mut last).unwrap();
    let counters: CounterSnapshot = serde_json::from_str(&last).unwrap();
    assert_eq!((counters.connections, counters.requests), (1, 1));
    assert!(counters.observable);
}

#[test]
fn fault_yaml_errors_name_file_line_and_column() {
    let path = std::env::temp_dir().join(format!("fake-upstream-bad-{}.yaml", std::process::id()));
    std::fs::write(&path, "kind: stall\ndelay: 1s\nbogus: 3\n").unwrap();
    let out = Command::new(BIN)
        .arg("--fault-yaml")
        .arg(&path)
        .output()
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let prefix = format!("{}:3:1: ", path.display());
    assert!(stderr.starts_with(&prefix), "{stderr}");
    assert!(stderr.contains("bogus"), "{stderr}");
}

#[test]
fn fault_yaml_file_is_served() {
    let path = std::env::temp_dir().join(format!("fake-upstream-ok-{}.yaml", std::process::id()));
    std::fs::write(&path, "kind: refuse\n").unwrap();
    let mut child = Command::new(BIN)
        .arg("--fault-yaml")
        .arg(&path)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(line.ends_with(" (fault: refuse)\n"), "{line:?}");
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    assert!(child.wait().unwrap().success());
    let mut last = String::new();
    stdout.read_line(&mut last).unwrap();
    let counters: CounterSnapshot = serde_json::from_str(&last).unwrap();
    assert!(!counters.observable);
}

#[test]
fn needs_exactly_one_fault_source() {
    let out = Command::new(BIN).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
