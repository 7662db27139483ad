//! Which accepted connections get the fault: a server's `limit` and `probability` settings.
//!
//! The accept loop asks the [`Gate`] about every connection, in accept order. Limits are
//! checked first (a connection beyond one is turned away and draws nothing); an admitted
//! connection then draws from an RNG seeded by the spawn options, so the same seed and the
//! same sequence of connections give the same sequence of decisions.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::spec::{Limit, OverLimit, ServerSpec};

/// What the accept loop does with one accepted connection.
#[derive(Debug)]
pub(crate) enum Admission {
    /// Serve it with the current fault.
    Fault(Slot),
    /// Serve it healthily (`probability` said no).
    Healthy(Slot),
    /// A limit is reached: turn it away this way.
    TurnAway(OverLimit),
}

/// One admitted connection's place under `max_connections`, freed when dropped.
#[derive(Debug)]
pub(crate) struct Slot(Arc<AtomicU32>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The admission state of one server.
#[derive(Debug)]
pub(crate) struct Gate {
    limit: Option<Limit>,
    probability: Option<f64>,
    rng: StdRng,
    open: Arc<AtomicU32>,
    start: Instant,
    /// The current one-second window since `start`, and connections admitted in it.
    window: (u64, u32),
}

impl Gate {
    pub(crate) fn new(spec: &ServerSpec, seed: u64, start: Instant) -> Gate {
        Gate {
            limit: spec.limit.clone(),
            probability: spec.probability,
            rng: StdRng::seed_from_u64(seed),
            open: Arc::new(AtomicU32::new(0)),
            start,
            window: (0, 0),
        }
    }

    /// Count the one-second windows from `start` on (the schedule's new zero).
    pub(crate) fn rebase(&mut self, start: Instant) {
        self.start = start;
        self.window = (0, 0);
    }

    /// Decide about the next accepted connection.
    pub(crate) fn admit(&mut self) -> Admission {
        if let Some(limit) = &self.limit {
            let second = self.start.elapsed().as_secs();
            if self.window.0 != second {
                self.window = (second, 0);
            }
            let full = limit
                .max_connections
                .is_some_and(|max| self.open.load(Ordering::Relaxed) >= max);
            let fast = limit
                .max_new_per_second
                .is_some_and(|max| self.window.1 >= max);
            if full || fast {
                return Admission::TurnAway(limit.over_limit);
            }
            self.window.1 += 1;
        }
        self.open.fetch_add(1, Ordering::Relaxed);
        let slot = Slot(self.open.clone());
        match self.probability {
            Some(p) if !self.rng.random_bool(p) => Admission::Healthy(slot),
            _ => Admission::Fault(slot),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::{Fault, Reset};

    fn spec(probability: Option<f64>, limit: Option<Limit>) -> ServerSpec {
        ServerSpec {
            probability,
            limit,
            ..ServerSpec::from(Fault::Reset(Reset {}))
        }
    }

    fn draws(gate: &mut Gate, n: usize) -> Vec<bool> {
        (0..n)
            .map(|_| matches!(gate.admit(), Admission::Fault(_)))
            .collect()
    }

    #[test]
    fn same_seed_same_draws() {
        let s = spec(Some(0.5), None);
        let now = Instant::now();
        let a = draws(&mut Gate::new(&s, 7, now), 64);
        assert_eq!(a, draws(&mut Gate::new(&s, 7, now), 64));
        assert_ne!(a, draws(&mut Gate::new(&s, 8, now), 64));
        assert!(a.contains(&true) && a.contains(&false));
    }

    #[test]
    fn max_connections_counts_open_slots() {
        let limit = Limit {
            max_connections: Some(2),
            max_new_per_second: None,
            over_limit: OverLimit::Close,
        };
        let mut gate = Gate::new(&spec(None, Some(limit)), 1, Instant::now());
        let first = gate.admit();
        let _second = gate.admit();
        assert!(matches!(
            gate.admit(),
            Admission::TurnAway(OverLimit::Close)
        ));
        drop(first);
        assert!(matches!(gate.admit(), Admission::Fault(_)));
    }
}
