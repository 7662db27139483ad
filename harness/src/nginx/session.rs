//! One nginx session, the only way the harness runs nginx: write the rendered config, `nginx -t`,
//! start on fresh loopback ports below the ephemeral range (retrying when another process wins
//! a port), wait until it answers, stop, and collect its error.log and access.log. The scenario
//! runner, `validate`, `check`/`compare` and the benches all go through it, on either backend.

use std::path::PathBuf;
use std::time::Duration;

use super::{ConfigTest, NginxBackend, RunDir, RunningNginx, StartError};

/// How long nginx gets to finish after QUIT before it is killed.
pub const STOP_GRACE: Duration = Duration::from_secs(3);
/// How many fresh port sets to try when another process races nginx for one.
const PORT_ATTEMPTS: usize = 5;
/// Where nginx ports are drawn from: below Linux's ephemeral range (32768-60999), so the
/// load driver's outgoing connections and the fake upstreams' `:0` binds never hold them.
pub const NGINX_PORTS: std::ops::Range<u16> = 20_000..32_000;
/// Ports a config is rendered with for `nginx -t` alone (which binds nothing).
const PLACEHOLDER_PORT: u16 = 19_000;

/// A config for a set of ports: `ports[0]` carries the readiness location, the rest are the
/// config's own listens, in the order the caller asked for them.
pub type Render<'a> = dyn Fn(&[u16]) -> String + Send + Sync + 'a;

/// An nginx to be run from one run dir.
pub struct Session<'a> {
    backend: &'a NginxBackend,
    dir: RunDir,
    /// Host folders the config refers to (unix socket dirs) that a container must see.
    mounts: Vec<PathBuf>,
}

/// A serving nginx of a session; dropping it kills it.
pub struct Live {
    nginx: RunningNginx,
    ports: Vec<u16>,
}

/// What nginx wrote while it ran.
#[derive(Debug, Clone, Default)]
pub struct Logs {
    /// error.log, without the `bind()` retries on the harness's own ports (a harness-side race
    /// nginx recovered from, not the config's doing).
    pub error_log: String,
    pub access_log: String,
    /// The harness's JSON access log (see [`accesslog`](crate::accesslog)).
    pub requests_log: String,
}

impl<'a> Session<'a> {
    pub fn new(backend: &'a NginxBackend, dir: RunDir, mounts: Vec<PathBuf>) -> Self {
        Session {
            backend,
            dir,
            mounts,
        }
    }

    pub fn dir(&self) -> &RunDir {
        &self.dir
    }

    /// The nginx this session runs.
    pub fn backend(&self) -> &NginxBackend {
        self.backend
    }

    /// `nginx -t` on the config rendered for `ports` placeholder ports.
    pub async fn test(&self, ports: usize, render: &Render<'_>) -> Result<ConfigTest, String> {
        let placeholders: Vec<u16> = (0..ports).map(|i| PLACEHOLDER_PORT + i as u16).collect();
        self.write(&render(&placeholders))?;
        self.backend
            .test_config(&self.dir, &self.mounts)
            .await
            .map_err(|e| format!("nginx -t failed to run: {e}"))
    }

    /// Start nginx on `ports` fresh ports with the config `render` makes for them, and wait
    /// until it answers on the first.
    pub async fn start(&self, ports: usize, render: &Render<'_>) -> Result<Live, String> {
        let mut last_error = String::new();
        for _ in 0..PORT_ATTEMPTS {
            let chosen = free_ports(ports.max(1)).map_err(|e| format!("no free port: {e}"))?;
            self.write(&render(&chosen))?;
            match self.backend.start(&self.dir, chosen[0], &self.mounts).await {
                Ok(nginx) => {
                    return Ok(Live {
                        nginx,
                        ports: chosen,
                    });
                }
                Err(StartError::PortInUse(p)) => {
                    // The retry's error.log must not carry this attempt's bind() [emerg] lines.
                    let _ = std::fs::remove_file(self.dir.error_log());
                    last_error = format!("port {p} taken");
                }
                Err(StartError::Failed(msg)) => return Err(format!("nginx did not start: {msg}")),
            }
        }
        Err(format!(
            "nginx could not bind loopback ports after {PORT_ATTEMPTS} attempts ({last_error})"
        ))
    }

    /// Apply a new config to the running `live` nginx of this session: render it for its
    /// ports, `nginx -t` it, and when nginx accepts it, reload (SIGHUP to the same master).
    /// When nginx refuses it, the previous config file is put back and nginx keeps serving it;
    /// the refusal is returned. Local nginx only.
    pub async fn reload(&self, live: &Live, render: &Render<'_>) -> Result<ConfigTest, String> {
        let path = self.dir.conf();
        let previous = std::fs::read_to_string(&path).unwrap_or_default();
        self.write(&render(&live.ports))?;
        let verdict = self
            .backend
            .test_config(&self.dir, &self.mounts)
            .await
            .map_err(|e| format!("nginx -t failed to run: {e}"));
        match verdict {
            Ok(ConfigTest::Accepted) => live.nginx.reload().map(|()| ConfigTest::Accepted),
            other => {
                self.write(&previous)?;
                other
            }
        }
    }

    /// The logs nginx wrote, read after it stopped; `ports` are the ones it ran on.
    pub fn logs(&self, ports: &[u16]) -> Logs {
        let read = |p: PathBuf| std::fs::read_to_string(p).unwrap_or_default();
        Logs {
            error_log: without_own_bind_retries(&read(self.dir.error_log()), ports),
            access_log: read(self.dir.access_log()),
            requests_log: read(self.dir.requests_log()),
        }
    }

    /// Remove nginx's temp folders (request bodies, proxy buffers) once they are not needed.
    pub fn remove_temp(&self) {
        let _ = std::fs::remove_dir_all(self.dir.tmp());
    }

    /// Write the rendered config, readable by this user only: it can be a copy of the user's
    /// own config (`check`), and nginx's master reads it as this user.
    fn write(&self, conf: &str) -> Result<(), String> {
        use std::os::unix::fs::PermissionsExt;
        let path = self.dir.conf();
        std::fs::write(&path, conf).map_err(|e| format!("cannot write nginx.conf: {e}"))?;
        std::fs::write(self.dir.fastcgi_params(), super::render::FASTCGI_PARAMS)
            .map_err(|e| format!("cannot write fastcgi_params: {e}"))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("cannot restrict nginx.conf: {e}"))
    }
}

impl Live {
    /// The ports nginx listens on, `[0]` the readiness one.
    pub fn ports(&self) -> &[u16] {
        &self.ports
    }

    /// The master's process id (local nginx only): the same across reloads.
    pub fn master_pid(&self) -> Option<i32> {
        self.nginx.master_pid()
    }

    /// Graceful stop (QUIT, KILL after [`STOP_GRACE`]); returns the ports it ran on.
    pub async fn stop(self) -> Vec<u16> {
        self.nginx.stop(STOP_GRACE).await;
        self.ports
    }
}

/// `count` distinct loopback ports in [`NGINX_PORTS`] that were free a moment ago; nginx binding
/// them can still lose a race with another process, which [`Session::start`] retries.
fn free_ports(count: usize) -> std::io::Result<Vec<u16>> {
    // Hold every probe listener until all are chosen so no port is picked twice.
    let mut held = Vec::new();
    let mut last = None;
    for _ in 0..64 * count {
        if held.len() == count {
            break;
        }
        let port = rand::random_range(NGINX_PORTS);
        match std::net::TcpListener::bind(("127.0.0.1", port)) {
            Ok(l) => held.push((port, l)),
            Err(e) => last = Some(e),
        }
    }
    if held.len() < count {
        return Err(last.unwrap_or_else(|| std::io::Error::other("no free port")));
    }
    Ok(held.into_iter().map(|(p, _)| p).collect())
}

/// nginx retries a failed `bind()` for a few seconds; when it then succeeds, its `[emerg]`
/// lines about the harness's own ports are a harness-side race, not the scenario's doing.
fn without_own_bind_retries(log: &str, ports: &[u16]) -> String {
    let own: Vec<String> = ports
        .iter()
        .map(|p| format!("bind() to 127.0.0.1:{p} failed (98: Address already in use)"))
        .collect();
    log.lines()
        .filter(|l| !own.iter().any(|o| l.contains(o.as_str())))
        .flat_map(|l| [l, "\n"])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_own_port_bind_retries_are_dropped() {
        let log = "2026/11/26 17:37:45 [emerg] 5#5: bind() to 127.0.0.1:21000 failed (98: Address already in use)\n\
                   2026/11/26 17:37:45 [emerg] 5#5: bind() to 127.0.0.1:9 failed (98: Address already in use)\n\
                   2026/11/26 17:37:46 [error] 6#6: *1 connect() failed (111: Connection refused)\n";
        let kept = without_own_bind_retries(log, &[21000]);
        assert_eq!(kept.lines().count(), 2);
        assert!(kept.lines().next().unwrap().contains("127.0.0.1:9 failed"));
        assert_eq!(without_own_bind_retries(log, &[]), log);
    }

    #[test]
    fn nginx_ports_are_distinct_and_below_the_ephemeral_range() {
        for _ in 0..20 {
            let ports = free_ports(3).unwrap();
            assert!(ports.iter().all(|p| NGINX_PORTS.contains(p)));
            assert!(ports[0] != ports[1] && ports[1] != ports[2] && ports[0] != ports[2]);
        }
    }
}
