//! Progress events: what the runner tells whoever listens while a run goes, kept apart from
//! both so listeners do not depend on the runner. The runner prints and saves nothing itself:
//! `report::progress` renders these (bars on a terminal, plain lines otherwise; not under
//! `--quiet`), and `run` saves each scenario's result so far into result.json as it comes.

use tokio::sync::{mpsc, watch};

use crate::load::LiveCounts;
use crate::result::{ScenarioResult, Verdict};

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
    /// A phase began: `planned` requests at most, with its live counts to watch; `duration`
    /// when its traffic is bounded by time (every stage has a `duration`), so progress can be
    /// shown against the clock.
    PhaseStarted {
        key: PhaseKey,
        planned: u64,
        duration: Option<std::time::Duration>,
        live: watch::Receiver<LiveCounts>,
    },
    /// A phase ended with this verdict after `wall_ms`, having finished `requests`.
    PhaseFinished {
        key: PhaseKey,
        verdict: Verdict,
        requests: u64,
        wall_ms: u64,
    },
    /// A scenario attempt as far as it got: after each of its phases, and when it ended (then
    /// complete). A later update of the same attempt replaces an earlier one.
    ScenarioSoFar(Box<ScenarioResult>),
}

/// Where the runner sends its events (`RunOptions::progress`).
pub type ProgressSender = mpsc::UnboundedSender<Event>;
