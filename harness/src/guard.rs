//! The one place that guarantees no nginx outlives the harness.
//!
//! Every nginx master is started in its own process group and registered here. Dropping its
//! handle kills the group (also while a panicking task unwinds); a panic on the main thread
//! kills every registered group; Ctrl-C and SIGTERM cancel
//! the run (so phases tear down normally), and a second signal kills everything and exits at
//! once. Fake upstreams are tasks inside this process, so they end with it. Anything else that
//! must not outlive the harness (an nginx container) registers a cleanup: a name and a blocking
//! function run on those paths. The guard knows nothing of what it cleans up.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, Once};

use tokio_util::sync::CancellationToken;

static GROUPS: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());
/// A blocking cleanup, called with the name it was registered under.
type Cleanup = fn(&str);

/// Cleanups by name.
static CLEANUPS: Mutex<BTreeMap<String, Cleanup>> = Mutex::new(BTreeMap::new());
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

/// Run `cleanup(name)` on any exit path that skips normal teardown (panic, second signal),
/// unless [`unregister_cleanup`] is called first. `cleanup` must block, not need a runtime.
pub fn register_cleanup(name: &str, cleanup: Cleanup) {
    install_panic_hook();
    cleanups().insert(name.to_string(), cleanup);
}

/// Forget a cleanup once its thing is gone.
pub fn unregister_cleanup(name: &str) {
    cleanups().remove(name);
}

/// SIGKILL every registered process group and run every registered cleanup. Safe to call from
/// a panic hook or signal path.
pub fn kill_all() {
    let pgids: Vec<i32> = groups().iter().copied().collect();
    for pgid in pgids {
        kill_group(pgid, libc::SIGKILL);
    }
    let pending: Vec<(String, Cleanup)> = cleanups().iter().map(|(n, f)| (n.clone(), *f)).collect();
    for (name, cleanup) in pending {
        cleanup(&name);
        unregister_cleanup(&name);
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

fn cleanups() -> std::sync::MutexGuard<'static, BTreeMap<String, Cleanup>> {
    CLEANUPS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn install_panic_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // A panic in a scenario's task is caught by its runtime: that scenario fails alone
            // and its own handles kill its nginx as they unwind. Only a panic nothing catches
            // (the main thread's, or any under panic=abort) kills every nginx here.
            if std::thread::current().name() == Some("main") || cfg!(panic = "abort") {
                kill_all();
            }
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
                crate::errln!("\ninterrupted: stopping nginx and fake upstreams (again to force)");
                token.cancel();
            }
        }
        kill_all();
        std::process::exit(130);
    });
}
