//! Named exit codes: the contract with CI systems and scripts.

use crate::result::Verdict;

/// Why the process ends; `main` turns it into the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Every scenario passed (or the command succeeded).
    Passed = 0,
    /// At least one expectation did not hold.
    CheckFailed = 1,
    /// A scenario file, config fragment or flag is invalid; nothing was started.
    BadInput = 2,
    /// nginx is missing or would not start, or a socket could not be bound.
    Infrastructure = 3,
    /// `nginx -t` refused the user's own config (`check`, `compare`); nothing was started.
    ConfigRejected = 4,
    /// Nothing failed for certain, but a phase failed while the load driver was starved of CPU
    /// (verdict `inconclusive`): run again on a quieter machine, or with
    /// `--retry-inconclusive`.
    Inconclusive = 5,
    /// `check` / `compare`: nothing in the config could be tested (no location reached an
    /// upstream as 2xx with every upstream healthy), so nothing was proven either way.
    NothingTested = 6,
    /// Stopped by Ctrl-C or SIGTERM (128 + SIGINT, as shells report it).
    Interrupted = 130,
}

impl Exit {
    /// The exit for a run's overall verdict.
    pub fn from_verdict(v: Verdict) -> Exit {
        match v {
            Verdict::Pass => Exit::Passed,
            Verdict::Inconclusive => Exit::Inconclusive,
            Verdict::Fail => Exit::CheckFailed,
            Verdict::Error => Exit::Infrastructure,
            Verdict::Interrupted => Exit::Interrupted,
        }
    }

    pub fn code(self) -> u8 {
        self as u8
    }
}
