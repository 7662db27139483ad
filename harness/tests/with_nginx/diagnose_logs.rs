//! `diagnose` on error.logs that real nginx wrote: each bundled scenario's baseline log maps
//! back to that scenario; `nginx -t` on an unresolvable host, a refused port and a TLS upstream
//! speaking plain HTTP map to their causes with the status the client really got. Plus the
//! CLI's input paths (stdin, a pasted log, an empty one, binary data, a log with no nginx lines).

use crate::common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use badgateway::diagnose::{CauseKind, ClientSees, analyze, open};
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

#[test]
fn pasted_and_binary_input() {
    let dir = tempfile::tempdir().unwrap();
    let line = "2026/11/26 15:42:18 [error] 11#11: *1 upstream sent too big header while reading \
                response header from upstream, client: 127.0.0.1, server: x, request: \"GET / HTTP/1.1\", \
                upstream: \"fastcgi://127.0.0.1:9000\", host: \"x\"";
    let pasted = format!("$ docker compose logs nginx\nnginx-1  | {line}\n> {line}\n    {line}\n");
    let log = common::write(dir.path(), "pasted.txt", &pasted);
    let out = common::run_cli(&["diagnose", &log]);
    let text = common::text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("      3  [error] upstream sent too big header"),
        "{text}"
    );
    assert!(text.contains("`fastcgi_buffer_size`"), "{text}");
    assert!(text.contains("1 lines not in nginx's format"), "{text}");

    let empty = common::write(dir.path(), "empty.log", "");
    let out = common::run_cli(&["diagnose", &empty]);
    let text = common::text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("no upstream failures found"), "{text}");

    let binary = dir.path().join("core");
    std::fs::write(&binary, b"\x7fELF\x02\x01\x01\0\0\0\0\n\0\0\x03\0>\0").unwrap();
    let out = common::run_cli(&["diagnose", &binary.display().to_string()]);
    let text = common::text(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("binary data") && text.contains("hint:"),
        "{text}"
    );
}

/// nginx's own stderr of `nginx -t` for a config naming a host that does not resolve.
#[test]
fn host_not_found_from_real_nginx_t() {
    let Some(nginx) = common::nginx_or_skip("host_not_found_from_real_nginx_t") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let conf = common::write(
        dir.path(),
        "nginx.conf",
        &format!(
            "pid {0}/nginx.pid; error_log stderr;\nevents {{}}\nhttp {{ {1}\n  server {{ listen 127.0.0.1:1; \
             location / {{ proxy_pass http://no-such-host.invalid; }} }}\n}}\n",
            dir.path().display(),
            temp_paths(dir.path())
        ),
    );
    let out = std::process::Command::new(&nginx.path)
        .args(["-t", "-c", &conf, "-p", &dir.path().display().to_string()])
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "nginx -t accepted it: {}",
        common::text(&out)
    );
    let stderr = common::write(
        dir.path(),
        "stderr.txt",
        &String::from_utf8_lossy(&out.stderr),
    );
    let d = analyze(
        vec![open(Path::new(&stderr)).unwrap()],
        &Catalogue::default(),
    )
    .unwrap();
    let c = d.causes.first().unwrap_or_else(|| panic!("{d:#?}"));
    assert_eq!(c.cause.kind, CauseKind::HostNotFound, "{d:#?}");
    assert_eq!(c.client, ClientSees::NginxNotStarted);
    assert_eq!(c.level, "emerg");
}

fn temp_paths(dir: &Path) -> String {
    ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
        .iter()
        .map(|t| format!("{t}_temp_path {}/{t};", dir.display()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A refused port and a TLS upstream that speaks plain HTTP, through real nginx: diagnose names
/// each cause and the status it says the client got is the one the client got.
#[test]
fn refused_and_tls_to_plain_http_through_real_nginx() {
    let Some(nginx) = common::nginx_or_skip("refused_and_tls_to_plain_http_through_real_nginx")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let plain = plain_http_upstream();
    let refused = free_port();
    let listen = free_port();
    let conf = format!(
        "daemon off; pid {d}/nginx.pid; error_log {d}/error.log;\nevents {{}}\nhttp {{ access_log off; {t}\n  \
         server {{ listen 127.0.0.1:{listen};\n    location /refused {{ proxy_pass http://127.0.0.1:{refused}; }}\n    \
         location /tls {{ proxy_pass https://127.0.0.1:{plain}; }} }}\n}}\n",
        d = dir.path().display(),
        t = temp_paths(dir.path()),
    );
    let conf = common::write(dir.path(), "nginx.conf", &conf);
    let mut child = std::process::Command::new(&nginx.path)
        .args(["-c", &conf, "-p", &dir.path().display().to_string()])
        .spawn()
        .unwrap();
    let refused_status = status_of(listen, "/refused");
    let tls_status = status_of(listen, "/tls");
    // `-s stop`, not a kill of the master alone: that would leave its worker running.
    let prefix = dir.path().display().to_string();
    let stop = std::process::Command::new(&nginx.path)
        .args(["-s", "stop", "-c", &conf, "-p", &prefix])
        .status()
        .unwrap();
    assert!(stop.success());
    child.wait().unwrap();
    let log = dir.path().join("error.log");
    let d = analyze(vec![open(&log).unwrap()], &Catalogue::default()).unwrap();
    let sees = |kind: CauseKind| {
        let c = d.causes.iter().find(|c| c.cause.kind == kind);
        c.unwrap_or_else(|| panic!("no {kind:?} in {d:#?}")).client
    };
    assert_eq!(
        sees(CauseKind::ConnectFailed),
        ClientSees::Status(refused_status)
    );
    assert_eq!(
        sees(CauseKind::TlsHandshakeFailed),
        ClientSees::Status(tls_status)
    );
    assert_eq!((refused_status, tls_status), (502, 502));
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A listener that answers any bytes (a TLS ClientHello too) with a plain HTTP response.
fn plain_http_upstream() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            let mut buf = [0u8; 1024];
            let _ = std::io::Read::read(&mut s, &mut buf);
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        }
    });
    port
}

/// The status nginx at `port` answers for `path`, retrying while it starts.
fn status_of(port: u16, path: &str) -> u16 {
    use std::io::Read;
    for _ in 0..100 {
        let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
            std::thread::sleep(std::time::Duration::from_millis(50));
            continue;
        };
        s.write_all(format!("GET {path} HTTP/1.0\r\n\r\n").as_bytes())
            .unwrap();
        let mut head = String::new();
        s.read_to_string(&mut head).unwrap();
        return head[9..12].parse().unwrap();
    }
    panic!("nginx did not listen on {port}");
}
