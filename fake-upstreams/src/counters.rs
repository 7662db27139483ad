//! What a fake upstream saw and did, counted so scenarios can assert on it.
//!
//! A scenario that expects nginx to retry, or to stop sending to a dead server, proves it by
//! looking at the upstream's side: how many connections arrived, how many complete request
//! heads were read, and how many times the fault actually misbehaved.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

/// Live counters shared by a server's accept loop and its connection tasks.
#[derive(Debug, Default)]
pub struct Counters {
    connections: AtomicU64,
    requests: AtomicU64,
    fired: AtomicU64,
}

/// A point-in-time copy of [`Counters`], for reports and assertions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CounterSnapshot {
    /// Connections accepted.
    pub connections: u64,
    /// Requests whose head was read completely.
    pub requests: u64,
    /// Times the fault misbehaved (closed, reset, stalled, sent oversized headers).
    pub fired: u64,
    /// False when the server cannot observe traffic at all (the `refuse` fault never accepts,
    /// so its counters stay 0 whatever the client did).
    pub observable: bool,
}

impl Counters {
    /// Record an accepted connection.
    pub fn connection(&self) {
        self.connections.fetch_add(1, Ordering::Relaxed);
    }

    /// Record a request whose head was read completely.
    pub fn request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Record one misbehaviour of the fault.
    pub fn fire(&self) {
        self.fired.fetch_add(1, Ordering::Relaxed);
    }

    /// Copy the current values; `observable` says whether they mean anything.
    pub fn snapshot(&self, observable: bool) -> CounterSnapshot {
        CounterSnapshot {
            connections: self.connections.load(Ordering::Relaxed),
            requests: self.requests.load(Ordering::Relaxed),
            fired: self.fired.load(Ordering::Relaxed),
            observable,
        }
    }
}
