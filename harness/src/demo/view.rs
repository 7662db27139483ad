//! The demo's live state as one value, published through a `tokio::sync::watch` every 100 ms
//! and on every change: the terminal screen is one subscriber, a web view can be another.
//! Plain data; whoever subscribes renders it.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::watch;

use super::logtail::Groups;
use super::state::Position;
use super::tally::{Counts, Second};
use crate::hints::Hint;
use crate::result::FaultWindow;

/// Everything a screen of the demo shows.
#[derive(Debug, Clone, Default)]
pub struct View {
    pub scenario: String,
    pub title: String,
    pub story: String,
    /// `nginx 1.22.1 (/usr/sbin/nginx)`.
    pub nginx: String,
    /// Where nginx listens (127.0.0.1).
    pub port: u16,
    /// nginx's master process; the same across reloads.
    pub master_pid: Option<i32>,
    /// The error.log nginx writes, to `tail -f`.
    pub error_log: PathBuf,
    /// The `curl` command that shows the symptom.
    pub curl: String,
    /// The phases and the current one (`None` before nginx is up).
    pub position: Option<Position>,
    /// The current phase's config (addresses symbolic) and its diff to the baseline's.
    pub config: String,
    pub diff_to_baseline: Option<String>,
    /// Outcomes per 100 ms since the phase began (or was reset), oldest first (at most a
    /// minute's).
    pub ticks: VecDeque<Counts>,
    /// 100 ms ticks since the demo began; the last of `ticks` is this one, so a subscriber
    /// that saw an earlier view knows which ticks are new.
    pub elapsed_ticks: u64,
    /// Outcomes per second, oldest first.
    pub seconds: VecDeque<Second>,
    /// error.log messages since the phase began, grouped.
    pub log: Groups,
    /// The last error.log lines as nginx wrote them (lifecycle notices left out), oldest
    /// first, at most [`LOG_TAIL`].
    pub log_tail: VecDeque<String>,
    /// The hints shown so far.
    pub hints: Vec<Hint>,
    /// How many hints there are in all.
    pub hints_total: usize,
    /// What the last action did (`reloaded: ...`, `nginx -t refused ...`).
    pub notice: Option<String>,
    /// `20/s GET /`, or why there is no background load.
    pub load: String,
    /// The pace of `--auto`, if on.
    pub auto: Option<Duration>,
    /// Whether keys are read (a terminal), so the screen lists them.
    pub keys: bool,
    /// The web view's address (`http://127.0.0.1:PORT/`), when `--web` serves one.
    pub web: Option<String>,
    /// The `schedule:` windows of the servers the serving phase names, timed from
    /// `schedule_tick`.
    pub fault_windows: Vec<FaultWindow>,
    /// The tick at which the servers' schedules (re)started: the demo's start or the last reset.
    pub schedule_tick: u64,
    /// The demo has ended; subscribers draw a last time and stop.
    pub finished: bool,
}

/// error.log lines a view keeps.
pub const LOG_TAIL: usize = 50;

/// The publishing side, held by the demo loop.
pub type ViewSender = watch::Sender<View>;
