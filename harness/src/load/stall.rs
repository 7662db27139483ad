//! Whether the load driver kept its timing. A task wakes every [`TICK`] and notes how late it
//! woke; on a starved machine (CPU hogs, a busy CI runner) wake-ups come hundreds of
//! milliseconds late, and so do the driver's pauses, the fake upstreams' schedules and their
//! idle timers. A phase that failed while the driver stalled that long cannot say whether
//! nginx or the machine is to blame: the runner calls it inconclusive instead of failed.

use std::time::Duration;

use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;

/// How often the monitor wakes.
pub const TICK: Duration = Duration::from_millis(20);

/// Watch wake-up lateness until `stop` is cancelled; the worst lateness seen.
pub async fn watch(stop: CancellationToken) -> Duration {
    let mut worst = Duration::ZERO;
    let mut due = Instant::now() + TICK;
    loop {
        tokio::select! {
            biased;
            () = stop.cancelled() => return worst,
            () = sleep_until(due) => {}
        }
        let now = Instant::now();
        worst = worst.max(now.saturating_duration_since(due));
        due = now + TICK;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn a_blocked_runtime_shows_as_a_stall() {
        let stop = CancellationToken::new();
        let monitor = tokio::spawn(watch(stop.clone()));
        tokio::time::sleep(TICK * 3).await;
        // Block the only runtime thread: the monitor cannot wake for 300 ms.
        std::thread::sleep(Duration::from_millis(300));
        tokio::time::sleep(TICK * 2).await;
        stop.cancel();
        let worst = monitor.await.unwrap();
        assert!(worst >= Duration::from_millis(250), "{worst:?}");
    }
}
