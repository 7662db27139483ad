//! The generic settings of a server spec (transport, probability, limits, schedule, request
//! ids) against real loopback and unix sockets.

use crate::common;

use std::io::ErrorKind;
use std::os::unix::fs::PermissionsExt;

use common::*;
use fake_upstreams::{Endpoint, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};

async fn tcp(server: &Server) -> TcpStream {
    bounded(TcpStream::connect(server.addr()))
        .await
        .expect("connect")
}

#[tokio::test]
async fn tcp_spec_binds_loopback_and_records_request_ids() {
    let dir = socket_dir();
    let server = start_spec("kind: healthy", dir.path(), "a", 0).await;
    let Endpoint::Tcp(addr) = server.endpoint() else {
        panic!("tcp expected")
    };
    assert!(addr.ip().is_loopback() && addr.port() != 0);
    assert_eq!(server.endpoint().to_string(), addr.to_string());
    for id in [7, 3] {
        let resp = parse(&exchange(&mut tcp(&server).await, id).await.unwrap());
        resp.assert_intact();
    }
    let raw = start_spec("kind: close_before_response", dir.path(), "b", 0).await;
    assert!(exchange(&mut tcp(&raw).await, 11).await.unwrap().is_empty());
    assert_eq!(server.counters().request_ids, vec![7, 3]);
    assert_eq!(raw.counters().request_ids, vec![11]);
    let json = serde_json::to_value(raw.counters()).unwrap();
    assert_eq!(json["request_ids"], serde_json::json!([11]));
    assert_eq!(json["over_limit"], 0);
}

#[tokio::test]
async fn unix_socket_serves_healthy_and_raw_faults_and_is_removed_on_stop() {
    let dir = socket_dir();
    let server = start_spec("{kind: healthy, listen: unix}", dir.path(), "app", 0).await;
    let path = unix_path(&server);
    assert_eq!(path, dir.path().join("app.sock"));
    assert_eq!(
        server.endpoint().to_string(),
        format!("unix:{}", path.display())
    );
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o666, "nginx workers of any user may connect");
    let mut stream = bounded(UnixStream::connect(&path)).await.unwrap();
    parse(&exchange(&mut stream, 5).await.unwrap()).assert_intact();
    assert_eq!(server.counters().request_ids, vec![5]);
    bounded(server.stop()).await;
    assert!(!path.exists());

    // reset over a unix socket: no RST exists there, the peer sees a plain close
    let server = start_spec("{kind: reset, listen: unix}", dir.path(), "r", 0).await;
    let mut stream = bounded(UnixStream::connect(unix_path(&server)))
        .await
        .unwrap();
    assert!(exchange(&mut stream, 1).await.unwrap().is_empty());
    assert_eq!(server.counters().fired, 1);
}

#[tokio::test]
async fn unix_missing_is_a_path_that_never_exists() {
    let dir = socket_dir();
    let server = start_spec(
        "{kind: healthy, listen: unix_missing}",
        dir.path(),
        "gone",
        0,
    )
    .await;
    let path = unix_path(&server);
    assert!(path.starts_with(dir.path()) && !path.exists());
    let err = bounded(UnixStream::connect(&path)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(!server.counters().observable);
    bounded(server.stop()).await;
}

#[tokio::test]
async fn unix_refuse_leaves_a_socket_file_that_refuses() {
    let dir = socket_dir();
    let server = start_spec("{kind: refuse, listen: unix}", dir.path(), "down", 0).await;
    let err = bounded(UnixStream::connect(unix_path(&server)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
}

/// Try a unix-socket request as uid/gid 65534 (nginx's `nobody` workers) with curl; the
/// text of the failure, or `None` on success.
fn as_nobody(path: &std::path::Path) -> Option<String> {
    let out = std::process::Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "curl",
            "-sS",
            "-v",
        ])
        .args(["--max-time", "5", "--unix-socket"])
        .arg(path)
        .arg("http://upstream/")
        .output()
        .expect("setpriv runs");
    (!out.status.success()).then(|| String::from_utf8_lossy(&out.stderr).into_owned())
}

#[tokio::test]
async fn unix_forbidden_denies_other_users_but_not_root() {
    let dir = socket_dir();
    let server = start_spec(
        "{kind: healthy, listen: unix_forbidden}",
        dir.path(),
        "f",
        0,
    )
    .await;
    let path = unix_path(&server);
    let folder = path.parent().unwrap().to_owned();
    assert_eq!(folder, dir.path().join("f.forbidden"));
    assert_eq!(
        std::fs::metadata(&folder).unwrap().permissions().mode() & 0o777,
        0
    );
    let is_root = unsafe { libc::geteuid() } == 0;
    let tools = ["setpriv", "curl"].iter().all(|t| {
        std::process::Command::new("sh")
            .args(["-c", &format!("command -v {t}")])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if is_root {
        // root bypasses directory permissions: the socket itself works
        let mut stream = bounded(UnixStream::connect(&path)).await.unwrap();
        parse(&exchange(&mut stream, 1).await.unwrap()).assert_intact();
    } else {
        let err = bounded(UnixStream::connect(&path)).await.unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::PermissionDenied,
            "even for the folder's owner"
        );
    }
    if is_root && tools {
        let control = start_spec("{kind: healthy, listen: unix}", dir.path(), "ok", 0).await;
        let ok = tokio::task::spawn_blocking(move || as_nobody(&unix_path(&control)));
        assert_eq!(
            bounded(ok).await.unwrap(),
            None,
            "uid 65534 reaches a plain unix socket"
        );
        let denied = tokio::task::spawn_blocking(move || as_nobody(&path));
        let stderr = bounded(denied)
            .await
            .unwrap()
            .expect("uid 65534 must be denied");
        assert!(stderr.contains("Permission denied"), "{stderr}");
    } else {
        eprintln!("skipped the uid 65534 check (needs root, setpriv and curl)");
    }
    bounded(server.stop()).await;
    assert!(!folder.exists(), "the forbidden folder is cleaned up");
    dir.close().expect("socket dir removable");
}

/// Sequential connections to a 50% `close_before_response`: true where the fault fired.
async fn decisions(seed: u64, n: u64) -> (Vec<bool>, fake_upstreams::CounterSnapshot) {
    let dir = socket_dir();
    let spec = "{kind: close_before_response, probability: 0.5}";
    let server = start_spec(spec, dir.path(), "p", seed).await;
    let mut fired = Vec::new();
    for id in 0..n {
        let answer = exchange(&mut tcp(&server).await, id).await.unwrap();
        if !answer.is_empty() {
            parse(&answer).assert_intact();
        }
        fired.push(answer.is_empty());
    }
    let counters = server.counters();
    bounded(server.stop()).await;
    (fired, counters)
}

#[tokio::test]
async fn probability_replays_with_the_same_seed() {
    let (a, counters) = decisions(7, 40).await;
    let (b, _) = decisions(7, 40).await;
    let (c, _) = decisions(8, 40).await;
    assert_eq!(a, b);
    assert_ne!(a, c);
    let faulty = a.iter().filter(|f| **f).count() as u64;
    assert!(faulty > 0 && faulty < 40, "{a:?}");
    assert_eq!(counters.fired, faulty, "healthy fallbacks do not fire");
    assert_eq!((counters.connections, counters.requests), (40, 40));
    // each request's record names what served it: the fault (fired) or the healthy fallback
    let served: Vec<(u64, bool, &str)> = counters
        .received
        .iter()
        .map(|r| (r.id.unwrap(), r.fired, r.fault.as_str()))
        .collect();
    let want: Vec<(u64, bool, &str)> = (0..40)
        .zip(&a)
        .map(|(id, &f)| {
            (
                id,
                f,
                if f {
                    "close_before_response"
                } else {
                    "healthy"
                },
            )
        })
        .collect();
    assert_eq!(served, want);
    let conns: Vec<u64> = counters.received.iter().map(|r| r.conn).collect();
    assert_eq!(conns, (1..=40).collect::<Vec<u64>>());
}

#[tokio::test]
async fn max_connections_resets_or_closes_the_extra_connection() {
    let dir = socket_dir();
    for (how, expect_reset) in [("reset", true), ("close", false)] {
        let spec = format!("{{kind: healthy, limit: {{max_connections: 1, over_limit: {how}}}}}");
        let server = start_spec(&spec, dir.path(), how, 0).await;
        let mut first = tcp(&server).await;
        first
            .write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 64];
        let n = bounded(first.read(&mut buf)).await.unwrap();
        assert!(
            buf[..n].starts_with(b"HTTP/1.1 200"),
            "first connection admitted"
        );
        let mut second = tcp(&server).await;
        let read = bounded(second.read(&mut buf)).await;
        match read {
            Err(err) => assert!(expect_reset && err.kind() == ErrorKind::ConnectionReset),
            Ok(n) => assert!(!expect_reset && n == 0, "close gives EOF"),
        }
        let counters = server.counters();
        assert_eq!((counters.connections, counters.over_limit), (1, 1));
        drop(first);
        // the slot frees when the first connection ends
        let admitted = until(|| async {
            let answer = exchange(&mut tcp(&server).await, 1).await.ok()?;
            (!answer.is_empty()).then_some(answer)
        })
        .await;
        parse(&admitted).assert_intact();
    }
}

#[tokio::test]
async fn max_new_per_second_turns_away_a_burst() {
    let dir = socket_dir();
    let spec = "{kind: healthy, limit: {max_new_per_second: 3}}";
    let server = start_spec(spec, dir.path(), "rate", 0).await;
    let mut kept = Vec::new();
    for _ in 0..10 {
        // a turned-away connect may already read as reset
        kept.push(bounded(TcpStream::connect(server.addr())).await.ok());
    }
    // the accept loop sees all ten; a burst spans at most two one-second windows
    eventually(|| {
        let c = server.counters();
        c.connections + c.over_limit == 10
    })
    .await;
    let c = server.counters();
    assert!(c.connections <= 6 && c.over_limit >= 4, "{c:?}");
}

#[tokio::test]
async fn schedule_refuses_then_listens_again_on_the_same_port() {
    let dir = socket_dir();
    let spec =
        "{kind: healthy, schedule: [{after: 300ms, kind: refuse}, {after: 700ms, kind: reset}]}";
    let server = start_spec(spec, dir.path(), "s", 0).await;
    let addr = server.addr();
    let mut kept = tcp(&server).await;
    kept.write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = bounded(kept.read(&mut buf)).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    until(|| async {
        let err = TcpStream::connect(addr).await.err()?;
        (err.kind() == ErrorKind::ConnectionRefused).then_some(())
    })
    .await;
    // the refuse step also ended the open keep-alive connection
    let rest = read_to_end(&mut kept).await;
    assert!(rest.len() < 4096);
    // another process cannot take the port meanwhile
    let err = tokio::net::TcpListener::bind(addr).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
    let mut stream = until(|| async { TcpStream::connect(addr).await.ok() }).await;
    let err = exchange(&mut stream, 9).await.unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::ConnectionReset,
        "the reset step serves"
    );
    assert_eq!(server.counters().fired, 1);
}

#[tokio::test]
async fn schedule_over_a_unix_socket_rebinds_the_same_path() {
    let dir = socket_dir();
    let spec = "{kind: reset, listen: unix, schedule: [{after: 200ms, kind: refuse}, {after: 500ms, kind: healthy}]}";
    let server = start_spec(spec, dir.path(), "u", 0).await;
    let path = unix_path(&server);
    until(|| async {
        let err = UnixStream::connect(&path).await.err()?;
        (err.kind() == ErrorKind::ConnectionRefused).then_some(())
    })
    .await;
    let mut stream = until(|| async { UnixStream::connect(&path).await.ok() }).await;
    parse(&exchange(&mut stream, 2).await.unwrap()).assert_intact();
    bounded(server.stop()).await;
    assert!(!path.exists());
}
