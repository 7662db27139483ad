//! Supervising one nginx: `nginx -t`, start on a loopback port, wait until it answers, stop with
//! QUIT then KILL after a deadline. The handle kills nginx's whole process group when dropped,
//! so no exit path (error, cancel, panic) leaves nginx behind.

use std::io;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio::time::{Instant, sleep, timeout};

use super::front_tls::{self, FRONT_NAME, FrontTls};
use super::render::{READY_HEADER, READY_PATH};
use super::{NginxBinary, RunDir};
use crate::guard;

/// What `nginx -t` said about a config.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigTest {
    Accepted,
    /// nginx refused the config; its own message lines.
    Rejected(String),
}

/// Run `nginx -t` on the phase's rendered config.
pub async fn test_config(nginx: &NginxBinary, dir: &RunDir) -> io::Result<ConfigTest> {
    let mut cmd = base_command(nginx, dir, "stderr")?;
    cmd.arg("-t").stdout(Stdio::piped()).stderr(Stdio::piped());
    let output = timeout(Duration::from_secs(30), cmd.output())
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "nginx -t did not finish in 30s"))??;
    if output.status.success() {
        return Ok(ConfigTest::Accepted);
    }
    let text = String::from_utf8_lossy(&output.stderr).into_owned()
        + &String::from_utf8_lossy(&output.stdout);
    Ok(rejection(&text))
}

/// nginx's refusal from `nginx -t` output, without the "configuration file ... test" noise;
/// shared with the container backend so both report a refusal alike.
pub(super) fn rejection(text: &str) -> ConfigTest {
    let message: Vec<&str> = text
        .lines()
        .filter(|l| !l.contains("configuration file") || l.contains("failed"))
        .collect();
    ConfigTest::Rejected(message.join("\n"))
}

/// `nginx -e LOG -p ROOT -c CONF`, in a mount namespace of its own when the run dir has a
/// hosts file (see [`super::hosts`]).
fn base_command(nginx: &NginxBinary, dir: &RunDir, error_log: &str) -> io::Result<Command> {
    let mut cmd = Command::new(&nginx.path);
    cmd.arg("-e")
        .arg(error_log)
        .arg("-p")
        .arg(&dir.root)
        .arg("-c")
        .arg(dir.conf())
        .stdin(Stdio::null());
    super::hosts::isolate(&mut cmd, dir)?;
    Ok(cmd)
}

/// Why nginx did not come up.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StartError {
    /// Another process took the port between our probe and nginx's bind; retry on another.
    #[error("port {0} was taken before nginx could bind it")]
    PortInUse(u16),
    #[error("{0}")]
    Failed(String),
}

/// A running nginx master (and its workers, in the same process group).
#[derive(Debug)]
pub struct Nginx {
    child: Child,
    pgid: i32,
    port: u16,
    dir: RunDir,
}

impl Nginx {
    /// Start nginx with the config already rendered into `dir` for `port`, and wait until it
    /// answers on its readiness location.
    pub async fn start(nginx: &NginxBinary, dir: &RunDir, port: u16) -> Result<Nginx, StartError> {
        let error_log = dir.error_log().display().to_string();
        let mut cmd =
            base_command(nginx, dir, &error_log).map_err(|e| StartError::Failed(e.to_string()))?;
        cmd.stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        // SAFETY: prctl is async-signal-safe. It asks the kernel to send nginx's master SIGTERM
        // if the harness dies without running any cleanup (SIGKILL, an abort): SIGTERM is
        // nginx's fast shutdown, in which the master stops its workers before it exits (a
        // SIGKILLed master would leave them serving).
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let child = cmd.spawn().map_err(|e| {
            StartError::Failed(format!("cannot start {}: {e}", nginx.path.display()))
        })?;
        let pgid = child.id().map(|p| p as i32).unwrap_or(0);
        guard::register(pgid);
        let mut me = Nginx {
            child,
            pgid,
            port,
            dir: dir.clone(),
        };
        me.wait_ready(Duration::from_secs(15)).await?;
        Ok(me)
    }

    /// The master's process id, which is also its process group id.
    pub fn pid(&self) -> i32 {
        self.pgid
    }

    /// SIGHUP to the master: re-read nginx.conf, new workers, old ones finish gracefully.
    /// nginx keeps serving the old config when the new one fails to apply.
    pub fn reload(&self) -> Result<(), String> {
        // SAFETY: signals our own child (the group leader), which is not reaped while `self`
        // lives.
        match unsafe { libc::kill(self.pgid, libc::SIGHUP) } {
            0 => Ok(()),
            _ => Err(format!(
                "cannot signal nginx {}: {}",
                self.pgid,
                std::io::Error::last_os_error()
            )),
        }
    }

    /// The loopback port nginx listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    async fn wait_ready(&mut self, limit: Duration) -> Result<(), StartError> {
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = std::fs::read_to_string(self.dir.error_log()).unwrap_or_default();
                if log.contains("Address already in use") {
                    return Err(StartError::PortInUse(self.port));
                }
                return Err(StartError::Failed(format!(
                    "nginx exited ({status}) before answering; error.log:\n{}",
                    severe_lines(&log)
                )));
            }
            if answers_ready(self.port, &self.dir).await {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(StartError::Failed(format!(
                    "nginx did not answer on 127.0.0.1:{} within {limit:?}",
                    self.port
                )));
            }
            // Polling interval while nginx binds its socket; readiness is the answer, not time.
            sleep(Duration::from_millis(10)).await;
        }
    }

    /// Graceful stop: QUIT, wait up to `grace`, then KILL the group. Always reaps the master.
    pub async fn stop(mut self, grace: Duration) {
        if let Some(pid) = self.child.id() {
            // SAFETY: signals our own child, which we have not reaped yet.
            unsafe {
                libc::kill(pid as i32, libc::SIGQUIT);
            }
        }
        if timeout(grace, self.child.wait()).await.is_err() {
            tracing::warn!(
                pgid = self.pgid,
                "nginx ignored QUIT for {grace:?}; killing it"
            );
            guard::kill_group(self.pgid, libc::SIGKILL);
            let _ = self.child.wait().await;
        }
        self.kill_leftover_workers();
    }

    /// After the master is reaped, a worker may linger; its group id cannot be reused while it
    /// lives, so signalling the group is still safe.
    fn kill_leftover_workers(&mut self) {
        // SAFETY: signal 0 only checks whether any process of the group exists.
        let alive = unsafe { libc::killpg(self.pgid, 0) } == 0;
        if alive {
            guard::kill_group(self.pgid, libc::SIGKILL);
        }
        guard::unregister(self.pgid);
        self.pgid = 0;
    }
}

impl Drop for Nginx {
    /// KILL the group, then reap the master (bounded: SIGKILL cannot be ignored, so this is
    /// milliseconds), so that nginx is gone, not merely signalled, when the handle is.
    fn drop(&mut self) {
        if self.pgid > 1 {
            guard::kill_group(self.pgid, libc::SIGKILL);
            let deadline = std::time::Instant::now() + Duration::from_secs(2);
            while !matches!(self.child.try_wait(), Ok(Some(_)) | Err(_))
                && std::time::Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            guard::unregister(self.pgid);
        }
    }
}

/// Whether the nginx of `dir` answers 204 on its readiness location at 127.0.0.1:`port` (its
/// token in the answer: another phase's nginx on a port it won the race for does not count).
/// HTTP/1.0 first, then HTTP/2 with prior knowledge (a front end that listens `http2` on nginx
/// before 1.25.1 speaks nothing else); over TLS when the run dir has a front-end CA.
pub(super) async fn answers_ready(port: u16, dir: &RunDir) -> bool {
    let token = format!(
        "{}: {}",
        READY_HEADER.to_ascii_lowercase(),
        dir.ready_token()
    );
    let connect = || async { TcpStream::connect(("127.0.0.1", port)).await.ok() };
    let front = FrontTls::of(dir);
    let attempt = async {
        if front.ca.exists() {
            let connector = front_tls::connector(&front.ca, &[b"h2", b"http/1.1"]).ok()?;
            let tls = front_tls::handshake(&connector, connect().await?)
                .await
                .ok()?;
            return match tls.get_ref().1.alpn_protocol() {
                Some(b"h2") => ready_h2(tls, &token).await,
                _ => ready_h1(tls, &token).await,
            };
        }
        if ready_h1(connect().await?, &token).await == Some(true) {
            return Some(true);
        }
        ready_h2(connect().await?, &token).await
    };
    matches!(
        timeout(Duration::from_secs(1), attempt).await,
        Ok(Some(true))
    )
}

/// The readiness request over HTTP/1.0 on `stream`: a 204 with `token`?
async fn ready_h1<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, token: &str) -> Option<bool> {
    let request = format!("GET {READY_PATH} HTTP/1.0\r\nHost: badgateway\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut head = Vec::new();
    // A TLS peer may end without close_notify: what was read still counts.
    let _ = stream.read_to_end(&mut head).await;
    let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
    Some(head.starts_with("http/1.1 204") && head.contains(token))
}

/// The readiness request over HTTP/2 on `stream`: a 204 with `token`?
async fn ready_h2<S>(stream: S, token: &str) -> Option<bool>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) = h2::client::handshake(stream).await.ok()?;
    let driver = tokio::spawn(conn);
    let request = http::Request::get(format!("https://{FRONT_NAME}{READY_PATH}"))
        .body(())
        .ok()?;
    let (response, _) = sender
        .ready()
        .await
        .ok()?
        .send_request(request, true)
        .ok()?;
    let response = response.await.ok();
    driver.abort();
    let response = response?;
    let (name, value) = token.split_once(": ")?;
    let ours = response.headers().get(name).is_some_and(|v| v == value);
    Some(response.status() == 204 && ours)
}

/// The [emerg]/[alert]/[crit] lines of an error log, or all of it when there are none.
pub(super) fn severe_lines(log: &str) -> String {
    let severe: Vec<&str> = log
        .lines()
        .filter(|l| {
            ["[emerg]", "[alert]", "[crit]"]
                .iter()
                .any(|lvl| l.contains(lvl))
        })
        .collect();
    if severe.is_empty() {
        log.to_string()
    } else {
        severe.join("\n")
    }
}
