//! The fake upstream servers of one nginx session, for the scenario runner and `check` alike:
//! started before nginx (their endpoints go into its config), their schedules started with the
//! load, counted and stopped after it.
//!
//! One throwaway CA per session issues the certificates of the `tls:` servers;
//! [`Servers::tls_files`] are the PEM files a phase writes for nginx to trust: the CA
//! (`{{tls.ca}}`) and each server's own certificate (`{{tls.cert.UPSTREAM.SERVER}}`, what a
//! self-signed server needs trusted).
//!
//! Unix sockets live in a short folder of their own under the system temp dir (socket paths
//! are limited to 108 bytes, and the run folder can be deep), readable by nginx's workers and
//! removed when the servers stop.

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use std::sync::Arc;

use fake_upstreams::server::spawn_spec_at;
use fake_upstreams::{Ca, CounterSnapshot, Server, ServerSpec, SpawnOptions, spawn_spec};
use tokio_util::sync::CancellationToken;

/// A server's key: (upstream, server name).
pub type Key = (String, String);

/// Running fake servers by key.
pub struct Servers {
    running: BTreeMap<Key, Server>,
    socket_dir: PathBuf,
    /// The CA of the `tls:` servers, when there are any.
    tls_ca: Option<Arc<Ca>>,
}

/// How each server's random decisions are seeded.
#[derive(Debug, Clone, Copy)]
pub enum Seeding {
    /// The run's seed mixed with the server's `upstream.server` name: each draws its own
    /// sequence, reproducibly (scenarios).
    PerServer(u64),
    /// The same seed for every server (`check`: two configs' runs compare alike).
    Same(u64),
}

impl Servers {
    /// Start every server: TCP on a fresh loopback port, or a unix socket.
    pub async fn start(
        specs: impl IntoIterator<Item = (Key, ServerSpec)>,
        seeding: Seeding,
        cancel: &CancellationToken,
    ) -> std::io::Result<Servers> {
        Servers::start_at(specs, &BTreeMap::new(), seeding, cancel).await
    }

    /// [`Servers::start`], with the TCP servers in `binds` on the address given there (the
    /// servers DNS records point at, see [`crate::names`]).
    pub async fn start_at(
        specs: impl IntoIterator<Item = (Key, ServerSpec)>,
        binds: &BTreeMap<Key, std::net::SocketAddr>,
        seeding: Seeding,
        cancel: &CancellationToken,
    ) -> std::io::Result<Servers> {
        let socket_dir = socket_dir()?;
        let specs: Vec<(Key, ServerSpec)> = specs.into_iter().collect();
        let tls_ca = match specs.iter().any(|(_, spec)| spec.tls.is_some()) {
            true => Some(Arc::new(Ca::generate().map_err(std::io::Error::other)?)),
            false => None,
        };
        let mut servers = Servers {
            running: BTreeMap::new(),
            socket_dir,
            tls_ca: tls_ca.clone(),
        };
        for ((upstream, name), spec) in specs {
            let key = format!("{upstream}.{name}");
            let seed = match seeding {
                Seeding::PerServer(seed) => fake_upstreams::body::fnv1a(seed, key.bytes()),
                Seeding::Same(seed) => seed,
            };
            let opts = SpawnOptions {
                seed,
                socket_dir: servers.socket_dir.clone(),
                name: key,
                tls_ca: tls_ca.clone(),
            };
            let token = cancel.child_token();
            let server = match binds.get(&(upstream.clone(), name.clone())) {
                Some(addr) => spawn_spec_at(spec, opts, *addr, token).await?,
                None => spawn_spec(spec, opts, token).await?,
            };
            // Schedules run from the start of the load, not from here: nginx (above all in a
            // container) takes a while to come up.
            server.hold_schedule();
            servers.running.insert((upstream, name), server);
        }
        Ok(servers)
    }

    /// Sum of `what` over the servers of `upstream`, read now.
    pub fn sum(&self, upstream: &str, what: impl Fn(&CounterSnapshot) -> u64) -> u64 {
        self.running
            .iter()
            .filter(|(key, _)| key.0 == upstream)
            .map(|(_, s)| what(&s.counters()))
            .sum()
    }

    /// The PEM files of the session's TLS, by placeholder key: `ca` (the CA that issued every
    /// non-self-signed `tls:` server's certificate) and `cert.UPSTREAM.SERVER` (each `tls:`
    /// server's own certificate). Empty when no server has `tls:`.
    pub fn tls_files(&self) -> Vec<(String, String)> {
        let Some(ca) = &self.tls_ca else {
            return Vec::new();
        };
        let certs = self.running.iter().filter_map(|((u, s), server)| {
            let cert = server.tls_cert()?;
            Some((format!("cert.{u}.{s}"), cert.to_string()))
        });
        std::iter::once(("ca".to_string(), ca.pem().to_string()))
            .chain(certs)
            .collect()
    }

    /// The session's CA, when a server has `tls:` (`check` issues its client certificate and
    /// CRL from it).
    pub fn tls_ca(&self) -> Option<&Arc<Ca>> {
        self.tls_ca.as_ref()
    }

    /// Start every server's `schedule` timeline: call as the load starts.
    pub fn start_schedules(&self) {
        for server in self.running.values() {
            server.start_schedule();
        }
    }

    /// The folder of the servers' unix sockets (a container nginx must see it too).
    pub fn socket_dir(&self) -> &std::path::Path {
        &self.socket_dir
    }

    /// Each server's address as nginx writes it: `127.0.0.1:port` or `unix:/path`.
    pub fn addresses(&self) -> BTreeMap<Key, String> {
        self.running
            .iter()
            .map(|(key, server)| (key.clone(), server.endpoint().to_string()))
            .collect()
    }

    /// Stop every server and return its counters, keyed `upstream.server`.
    pub async fn stop(mut self) -> BTreeMap<String, CounterSnapshot> {
        let mut counters = BTreeMap::new();
        for ((upstream, name), server) in std::mem::take(&mut self.running) {
            counters.insert(format!("{upstream}.{name}"), server.counters());
            server.stop().await;
        }
        counters
    }
}

/// Remove the `bgw-<pid>-<n>` folders in `tmp` of processes that are gone (a badgateway
/// killed with SIGKILL cannot remove its own), and only those this user owns.
pub fn sweep_stale_socket_dirs(tmp: &Path) {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return;
    };
    // SAFETY: geteuid has no preconditions.
    let me = unsafe { libc::geteuid() };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = stale_owner(&name.to_string_lossy()) else {
            continue;
        };
        let ours = entry.metadata().is_ok_and(|m| m.is_dir() && m.uid() == me);
        if ours && !Path::new(&format!("/proc/{pid}")).exists() {
            tracing::info!(dir = %entry.path().display(), pid, "removing a socket folder of a killed run");
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The pid in a `bgw-<pid>-<n>` folder name.
fn stale_owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix("bgw-")?;
    let (pid, n) = rest.split_once('-')?;
    n.parse::<u64>().ok()?;
    pid.parse().ok()
}

impl Drop for Servers {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.socket_dir);
    }
}

/// A fresh `/tmp/bgw-<pid>-<n>` folder that nginx's workers (often `nobody`) can search.
/// The first one of a process also removes those that killed processes left behind.
fn socket_dir() -> std::io::Result<PathBuf> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    if n == 0 {
        sweep_stale_socket_dirs(&std::env::temp_dir());
    }
    let dir = std::env::temp_dir().join(format!("bgw-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755))?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_folders_of_dead_processes_are_swept() {
        let tmp = tempfile::tempdir().unwrap();
        let dead = tmp.path().join("bgw-999999999-0"); // above any pid_max
        let mine = tmp.path().join(format!("bgw-{}-77", std::process::id()));
        let other = tmp.path().join("bgw-notapid-1");
        for d in [&dead, &mine, &other] {
            std::fs::create_dir(d).unwrap();
        }
        sweep_stale_socket_dirs(tmp.path());
        assert!(!dead.exists());
        assert!(mine.exists() && other.exists());
        assert_eq!(stale_owner("bgw-12-3"), Some(12));
        assert_eq!(stale_owner("bgw-12"), None);
    }
}
