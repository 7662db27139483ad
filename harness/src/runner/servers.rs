//! The fake upstream servers of one phase: started before nginx (their endpoints go into its
//! config), counted and stopped after it.
//!
//! Unix sockets live in a short folder of their own under the system temp dir (socket paths
//! are limited to 108 bytes, and the run folder can be deep), readable by nginx's workers and
//! removed when the servers stop.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use fake_upstreams::{CounterSnapshot, Server, SpawnOptions, spawn_spec};
use tokio_util::sync::CancellationToken;

use crate::scenario::{Addresses, Scenario};

/// Running fake servers keyed (upstream, server).
pub struct Servers {
    running: BTreeMap<(String, String), Server>,
    socket_dir: PathBuf,
}

impl Servers {
    /// Start every server of the scenario: TCP on a fresh loopback port, or a unix socket.
    /// Each server's random decisions come from `seed` mixed with its name.
    pub async fn start(
        s: &Scenario,
        seed: u64,
        cancel: &CancellationToken,
    ) -> std::io::Result<Servers> {
        let socket_dir = socket_dir()?;
        let mut servers = Servers {
            running: BTreeMap::new(),
            socket_dir,
        };
        for (upstream, specs) in &s.upstreams {
            for (name, spec) in specs {
                let key = format!("{upstream}.{name}");
                let opts = SpawnOptions {
                    seed: mix(seed, &key),
                    socket_dir: servers.socket_dir.clone(),
                    name: key,
                };
                let server = spawn_spec(spec.clone(), opts, cancel.child_token()).await?;
                // Schedules run from the start of the load, not from here: nginx (above all
                // in a container) takes a while to come up.
                server.hold_schedule();
                servers
                    .running
                    .insert((upstream.clone(), name.clone()), server);
            }
        }
        Ok(servers)
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

    /// What the config placeholders expand to: `127.0.0.1:port` or `unix:/path`.
    pub fn addresses(&self) -> Addresses {
        Addresses(
            self.running
                .iter()
                .map(|(key, server)| (key.clone(), server.endpoint().to_string()))
                .collect(),
        )
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

impl Drop for Servers {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.socket_dir);
    }
}

/// A fresh `/tmp/bgw-<pid>-<n>` folder that nginx's workers (often `nobody`) can search.
fn socket_dir() -> std::io::Result<PathBuf> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("bgw-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755))?;
    Ok(dir)
}

/// FNV-1a of the server key mixed into the seed: each server draws its own sequence.
fn mix(seed: u64, key: &str) -> u64 {
    key.bytes().fold(seed ^ 0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
