//! Progress events: what the runner tells a progress display while a run goes, kept apart from
//! both so the display does not depend on the runner. The runner prints nothing itself; `report::progress` renders these (bars on a terminal, plain lines
//! otherwise), and `--quiet` simply does not listen.

use tokio::sync::{mpsc, watch};

use crate::load::LiveCounts;
use crate::result::Verdict;

/// Which phase of which scenario attempt an event is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PhaseKey {
    pub scenario: String,
    /// 1-based (`run --repeat`).
    pub attempt: u32,
    pub phase: String,
}

/// One thing that happened during a run.
#[derive(Debug)]
pub enum Event {
    /// A phase began: `planned` requests at most, with its live counts to watch.
    PhaseStarted {
        key: PhaseKey,
        planned: u64,
        live: watch::Receiver<LiveCounts>,
    },
    /// A phase ended with this verdict after `wall_ms`, having finished `requests`.
    PhaseFinished {
        key: PhaseKey,
        verdict: Verdict,
        requests: u64,
        wall_ms: u64,
    },
}

/// Where the runner sends its events (`RunOptions::progress`).
pub type ProgressSender = mpsc::UnboundedSender<Event>;
