//! Live counts of a load run, published while it goes so a progress display can show
//! requests done and outcomes so far. The aggregator updates a `tokio::sync::watch` value
//! once per finished request; readers look whenever they like, and nobody waits on them.

use std::collections::BTreeMap;

use tokio::sync::watch;

use crate::outcome::Outcome;

/// What a running load has finished so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveCounts {
    /// Requests finished.
    pub done: u64,
    /// Finished requests per outcome.
    pub outcomes: BTreeMap<Outcome, u64>,
}

impl LiveCounts {
    /// `502×12 200×3`, most frequent first; empty before the first request finishes.
    pub fn summary(&self) -> String {
        crate::outcome::histogram(&self.outcomes)
    }
}

/// The publishing side, held by whoever runs the load.
pub type LiveSender = watch::Sender<LiveCounts>;

/// Count one finished request.
#[cfg(test)]
pub(crate) fn record(live: &LiveSender, outcome: Outcome) {
    record_all(live, std::iter::once(outcome));
}

/// Count finished requests, publishing once.
pub(crate) fn record_all(live: &LiveSender, outcomes: impl IntoIterator<Item = Outcome>) {
    live.send_modify(|c| {
        for outcome in outcomes {
            c.done += 1;
            *c.outcomes.entry(outcome).or_default() += 1;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_accumulate_and_summarise_most_frequent_first() {
        let (tx, rx) = watch::channel(LiveCounts::default());
        for o in [
            Outcome::Status(200),
            Outcome::Status(502),
            Outcome::Status(502),
        ] {
            record(&tx, o);
        }
        let seen = rx.borrow().clone();
        assert_eq!(seen.done, 3);
        assert_eq!(seen.summary(), "502×2 200×1");
    }
}
