//! Talking to the Docker daemon beside testcontainers: the API-version shim, and the blocking
//! removal and stale-container sweep the guard needs where no async runtime is available.
//!
//! Why a shim: testcontainers 0.28 (bollard 0.21) speaks Docker API 1.53 and never negotiates,
//! while Docker Engine 20.10 answers every `/v1.53/...` request with "client version 1.53 is
//! too new. Maximum supported API version is 1.41". When the daemon is older, [`prepare`]
//! starts a tiny proxy on a private unix socket that rewrites the version prefix of each
//! request path to the daemon's own version and forwards everything else unchanged (including
//! the upgraded connections of `exec`), and points testcontainers at it through `DOCKER_HOST`.
//! With a daemon that speaks 1.53, nothing is started.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream as StdUnixStream;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{UnixListener, UnixStream};

/// The API version testcontainers 0.28 sends.
const CLIENT_API: (u32, u32) = (1, 53);
/// The label every container badgateway starts carries, so cleanup touches only its own.
pub const LABEL: &str = "badgateway";
/// The label holding the pid of the harness that started a container (for the stale sweep).
pub const PID_LABEL: &str = "badgateway.pid";

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The daemon's unix socket: `DOCKER_HOST` when it is `unix://...` (as it was before
/// [`prepare`] pointed it at the shim), else the default.
pub fn daemon_socket() -> PathBuf {
    DAEMON
        .get_or_init(|| {
            std::env::var("DOCKER_HOST")
                .ok()
                .and_then(|h| h.strip_prefix("unix://").map(PathBuf::from))
                .unwrap_or_else(|| PathBuf::from("/var/run/docker.sock"))
        })
        .clone()
}

static DAEMON: OnceLock<PathBuf> = OnceLock::new();

/// Make testcontainers able to talk to this daemon (see the module docs). Idempotent; call
/// it before the first container is started, ideally before other threads exist.
pub fn prepare() -> Result<(), String> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        if std::env::var("DOCKER_HOST").is_ok_and(|h| !h.starts_with("unix://")) {
            return Ok(()); // a remote daemon: testcontainers talks to it directly
        }
        let daemon = daemon_socket();
        let version = api_version(&daemon)?;
        if version >= CLIENT_API {
            return Ok(());
        }
        let shim = start_shim(daemon, format!("/v{}.{}/", version.0, version.1))?;
        // SAFETY: `prepare` runs once, before testcontainers reads its configuration; the CLI
        // calls it before building its runtime, so no other thread reads the environment.
        unsafe { std::env::set_var("DOCKER_HOST", format!("unix://{}", shim.display())) };
        Ok(())
    })
    .clone()
}

/// One blocking HTTP/1.0 exchange with the daemon; returns (status, body).
pub fn call(socket: &Path, method: &str, path: &str) -> Result<(u16, String), String> {
    let mut stream = StdUnixStream::connect(socket).map_err(|e| {
        format!(
            "cannot reach the Docker daemon at {}: {e}",
            socket.display()
        )
    })?;
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    write!(stream, "{method} {path} HTTP/1.0\r\nHost: docker\r\n\r\n")
        .map_err(|e| format!("docker: {e}"))?;
    let mut text = String::new();
    stream
        .read_to_string(&mut text)
        .map_err(|e| format!("docker: {e}"))?;
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("docker answered no HTTP status: {head}"))?;
    Ok((status, body.to_string()))
}

/// The daemon's highest API version, e.g. (1, 41).
fn api_version(socket: &Path) -> Result<(u32, u32), String> {
    let (_, body) = call(socket, "GET", "/version")?;
    let json: serde_json::Value =
        serde_json::from_str(&body).map_err(|e| format!("docker /version: {e}"))?;
    let v = json["ApiVersion"].as_str().unwrap_or("");
    let (major, minor) = v.split_once('.').unwrap_or(("", ""));
    match (major.parse(), minor.parse()) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        _ => Err(format!("docker /version reported no ApiVersion: {body}")),
    }
}

/// Remove a container at once (SIGKILL and delete), without an async runtime: for the guard's
/// panic and second-signal paths.
pub fn force_remove(id: &str) {
    let _ = call(
        &daemon_socket(),
        "DELETE",
        &format!("/containers/{id}?force=true&v=true"),
    );
}

/// Remove containers a previous badgateway started and could not remove (it was SIGKILLed):
/// those labelled with a harness pid that no longer runs. Containers of live runs, and any
/// container without badgateway's labels, are left alone.
pub fn sweep_stale() {
    let filter = format!("{{\"label\":[\"{PID_LABEL}\"]}}");
    let path = format!("/containers/json?all=true&filters={}", encode(&filter));
    let Ok((200, body)) = call(&daemon_socket(), "GET", &path) else {
        return;
    };
    let Ok(serde_json::Value::Array(list)) = serde_json::from_str(&body) else {
        return;
    };
    for c in list {
        let pid = c["Labels"][PID_LABEL].as_str().unwrap_or("");
        let alive = pid
            .parse::<u32>()
            .is_ok_and(|p| Path::new(&format!("/proc/{p}")).exists());
        if let (false, Some(id)) = (alive, c["Id"].as_str()) {
            tracing::info!(id, pid, "removing a container left by a killed badgateway");
            force_remove(id);
        }
    }
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Start the proxy on its own thread and runtime (it outlives any one tokio runtime, as the
/// testcontainers client it serves does). Returns the socket path.
fn start_shim(daemon: PathBuf, prefix: String) -> Result<PathBuf, String> {
    remove_dead_shim_dirs();
    let dir = std::env::temp_dir().join(format!("bgw-docker-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    crate::guard::register_cleanup("docker-api-shim", remove_shim);
    // Whoever reaches this socket controls the daemon: only our user may enter the folder.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    let socket = dir.join("docker.sock");
    let _ = std::fs::remove_file(&socket);
    let std_listener = std::os::unix::net::UnixListener::bind(&socket)
        .map_err(|e| format!("cannot bind {}: {e}", socket.display()))?;
    std_listener
        .set_nonblocking(true)
        .map_err(|e| e.to_string())?;
    std::thread::Builder::new()
        .name("docker-api-shim".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime can be built");
            rt.block_on(async move {
                let listener = UnixListener::from_std(std_listener).expect("nonblocking listener");
                while let Ok((stream, _)) = listener.accept().await {
                    let (daemon, prefix) = (daemon.clone(), prefix.clone());
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |req| {
                            forward(req, daemon.clone(), prefix.clone())
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .with_upgrades()
                            .await;
                    });
                }
            });
        })
        .map_err(|e| format!("cannot start the Docker API shim: {e}"))?;
    Ok(socket)
}

/// Remove this process's shim folder (its socket), when there is one: at the end of a run, and
/// on the guard's abnormal exit paths. The shim thread dies with the process.
pub fn remove_shim(_name: &str) {
    let dir = std::env::temp_dir().join(format!("bgw-docker-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(dir);
}

/// The shim folders of earlier runs whose process is gone (a socket file each).
fn remove_dead_shim_dirs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in entries.filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix("bgw-docker-") else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Forward one request with its version prefix rewritten; splice upgraded connections.
async fn forward(
    mut req: Request<Incoming>,
    daemon: PathBuf,
    prefix: String,
) -> Result<Response<Incoming>, BoxError> {
    let rewritten = rewrite_path(
        req.uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/"),
        &prefix,
    );
    *req.uri_mut() = rewritten.parse()?;
    let client_upgrade = req
        .headers()
        .contains_key(hyper::header::UPGRADE)
        .then(|| hyper::upgrade::on(&mut req));
    let stream = UnixStream::connect(&daemon).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn.with_upgrades());
    let mut resp = sender.send_request(req).await?;
    if let (StatusCode::SWITCHING_PROTOCOLS, Some(client)) = (resp.status(), client_upgrade) {
        let daemon_side = hyper::upgrade::on(&mut resp);
        tokio::spawn(async move {
            if let (Ok(c), Ok(d)) = (client.await, daemon_side.await) {
                let (mut c, mut d) = (TokioIo::new(c), TokioIo::new(d));
                let _ = tokio::io::copy_bidirectional(&mut c, &mut d).await;
            }
        });
    }
    Ok(resp)
}

/// `/v1.53/containers/json` -> `/v1.41/containers/json`; unversioned paths stay.
fn rewrite_path(path: &str, prefix: &str) -> String {
    let Some(rest) = path.strip_prefix("/v") else {
        return path.to_string();
    };
    match rest.split_once('/') {
        Some((v, tail)) if v.split('.').all(|p| p.parse::<u32>().is_ok()) => {
            format!("{prefix}{tail}")
        }
        _ => path.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_version_prefix_is_rewritten() {
        assert_eq!(
            rewrite_path("/v1.53/containers/json?all=true", "/v1.41/"),
            "/v1.41/containers/json?all=true"
        );
        assert_eq!(rewrite_path("/_ping", "/v1.41/"), "/_ping");
        assert_eq!(rewrite_path("/volumes/x", "/v1.41/"), "/volumes/x");
    }

    #[test]
    fn filters_are_url_encoded() {
        assert_eq!(encode("{\"a\"}"), "%7B%22a%22%7D");
    }
}
