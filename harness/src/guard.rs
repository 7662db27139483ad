//! The one place that guarantees no nginx outlives the harness.
//!
//! Every nginx master is started in its own process group and registered here. Dropping its
//! handle kills the group; a panic hook kills every registered group; Ctrl-C and SIGTERM cancel
//! the run (so phases tear down normally), and a second signal kills everything and exits at
//! once. Fake upstreams are tasks inside this process, so they end with it. nginx containers
//! (the container backend) are registered the same way and force-removed on those paths.

use std::collections::BTreeSet;
use std::sync::{Mutex, Once};

use tokio_util::sync::CancellationToken;

static GROUPS: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());
static CONTAINERS: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
static HOOK: Once = Once::new();

/// Remember a process group leader we started, so it can be killed on any exit path.
pub fn register(pgid: i32) {
    install_panic_hook();
    groups().insert(pgid);
}

/// Forget a group once it is known to be gone.
pub fn unregister(pgid: i32) {
    groups().remove(&pgid);
}

/// Remember a container we started, so it is removed on any exit path.
pub fn register_container(id: &str) {
    install_panic_hook();
    containers().insert(id.to_string());
}

/// Forget a container once it is removed.
pub fn unregister_container(id: &str) {
    containers().remove(id);
}

/// SIGKILL every registered process group and force-remove every registered container. Safe
/// to call from a panic hook or signal path (container removal is a blocking socket call).
pub fn kill_all() {
    let pgids: Vec<i32> = groups().iter().copied().collect();
    for pgid in pgids {
        kill_group(pgid, libc::SIGKILL);
    }
    let ids: Vec<String> = containers().iter().cloned().collect();
    for id in ids {
        crate::nginx::docker_api::force_remove(&id);
        unregister_container(&id);
    }
}

/// Send `signal` to a whole process group (nginx master and its workers).
pub fn kill_group(pgid: i32, signal: i32) {
    if pgid > 1 {
        // SAFETY: killpg only sends a signal; a stale pgid at worst yields ESRCH.
        unsafe {
            libc::killpg(pgid, signal);
        }
    }
}

fn groups() -> std::sync::MutexGuard<'static, BTreeSet<i32>> {
    GROUPS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn containers() -> std::sync::MutexGuard<'static, BTreeSet<String>> {
    CONTAINERS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn install_panic_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            kill_all();
            previous(info);
        }));
    });
}

/// Cancel `token` on the first SIGINT/SIGTERM; on a second one, kill every nginx and exit 130.
/// Must be called inside a tokio runtime.
pub fn cancel_on_signals(token: CancellationToken) {
    use tokio::signal::unix::{SignalKind, signal};
    tokio::spawn(async move {
        let (Ok(mut int), Ok(mut term)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            tracing::warn!("cannot install signal handlers; Ctrl-C will not stop nginx cleanly");
            return;
        };
        for round in 0..2 {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
            if round == 0 {
                eprintln!("\ninterrupted: stopping nginx and fake upstreams (again to force)");
                token.cancel();
            }
        }
        kill_all();
        std::process::exit(130);
    });
}
