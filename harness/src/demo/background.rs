//! Steady background load for a demo: the scenario's own request (method, path, protocol) at
//! a fixed rate through the load driver, its counts published to one [`LiveSender`].
//!
//! The load driver bounds every run by count and time and keeps one record per request, so a
//! long demo drives it in back-to-back windows of [`WINDOW`]: each window is its own bounded
//! run; the next starts when the previous one stops issuing (its slow requests still finish),
//! so the rate has no gap. Memory stays that of one or two windows, and the whole load ends at
//! the demo's deadline or when `cancel` fires.

use std::time::Duration;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::load::{LiveSender, LoadPlan, drive_live};
use crate::scenario::Rate;

/// One bounded load run of the background load.
pub const WINDOW: Duration = Duration::from_secs(30);
/// Most connections the background load opens at once.
const MAX_CONNECTIONS: usize = 64;

/// The plan of one window: `template`'s request at `rate` for [`WINDOW`].
pub fn window_plan(template: &LoadPlan, rate: Rate) -> LoadPlan {
    let per_window = (rate.per_second * WINDOW.as_secs_f64()).ceil() as u64;
    // Enough workers for a second's worth of arrivals waiting on slow answers.
    let connections = (rate.per_second.ceil() as usize).clamp(4, MAX_CONNECTIONS);
    let mut plan = template.clone();
    plan.requests = per_window.max(1);
    plan.concurrency = connections;
    plan.max_duration = WINDOW + template.request_timeout;
    plan.shape.arrival_interval = Some(rate.interval());
    plan.shape.duration = Some(WINDOW);
    plan.shape.spacing = None;
    plan.shape.ramp = None;
    plan
}

/// Drive `template` at `rate` until `cancel` fires, window after window.
pub async fn run(template: LoadPlan, rate: Rate, cancel: CancellationToken, live: LiveSender) {
    let plan = window_plan(&template, rate);
    let mut windows = JoinSet::new();
    while !cancel.is_cancelled() {
        let (plan, stop, live) = (plan.clone(), cancel.clone(), live.clone());
        windows.spawn(async move { drive_live(&plan, stop, &live).await });
        tokio::select! {
            _ = tokio::time::sleep(WINDOW) => {}
            _ = cancel.cancelled() => {}
        }
        // Reap the windows that have finished, so only the running ones are kept.
        while windows.try_join_next().is_some() {}
    }
    while windows.join_next().await.is_some() {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_is_bounded_by_count_and_time_at_the_rate() {
        let template = LoadPlan::get(([127, 0, 0, 1], 9).into(), "/", 40);
        let plan = window_plan(&template, "20/s".parse().unwrap());
        assert_eq!(plan.requests, 600);
        assert_eq!(plan.concurrency, 20);
        assert_eq!(plan.shape.arrival_interval, Some(Duration::from_millis(50)));
        assert_eq!(plan.shape.duration, Some(WINDOW));
        assert_eq!(plan.max_duration, WINDOW + template.request_timeout);
        let slow = window_plan(&template, "6/m".parse().unwrap());
        assert_eq!((slow.requests, slow.concurrency), (3, 4));
    }
}
