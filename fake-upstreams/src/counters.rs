//! What a fake upstream saw and did, counted so scenarios can assert on it.
//!
//! A scenario that expects nginx to retry, or to stop sending to a dead server, proves it by
//! looking at the upstream's side: how many connections arrived, how many complete request
//! heads were read, how many times the fault actually misbehaved, how many connections a
//! limit turned away, and which requests (by the load driver's [`REQUEST_ID_HEADER`]) reached
//! this server, so a report can follow one request through nginx's retries. Each request read
//! is also kept as a [`Received`] record: what nginx sent (method, target, HTTP version,
//! `Connection` header; for FastCGI also `SCRIPT_FILENAME`), on which connection, and whether
//! the fault misbehaved on it.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Header the load driver puts on every request (`x-badgateway-request: <u64>`); every fault
/// that reads a request records its value in [`CounterSnapshot::request_ids`].
pub const REQUEST_ID_HEADER: &str = "x-badgateway-request";

/// Most request ids (and [`Received`] records) one server keeps; later ones are counted in
/// `requests` but not listed, so a long run cannot grow a report without bound.
pub const MAX_REQUEST_IDS: usize = 200_000;

/// Live counters shared by a server's accept loop and its connection tasks.
#[derive(Debug, Default)]
pub struct Counters {
    connections: AtomicU64,
    requests: AtomicU64,
    fired: AtomicU64,
    over_limit: AtomicU64,
    handshakes: AtomicU64,
    resumed: AtomicU64,
    tls_failed: AtomicU64,
    request_ids: Mutex<Vec<u64>>,
    received: Mutex<Vec<Received>>,
}

/// What one fake server received in one request, and what it did with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Received {
    /// The load driver's x-badgateway-request id, when the request carried one.
    pub id: Option<u64>,
    pub method: String,
    /// Request target as sent (path and query).
    pub path: String,
    /// "HTTP/1.0" or "HTTP/1.1" as on the request line; "FastCGI/1" for a FastCGI request.
    pub http_version: String,
    /// The Connection header's value, lowercased, when the request had one (e.g. "close",
    /// "keep-alive"). For a FastCGI request: "keep-alive" when BEGIN_REQUEST carried
    /// FCGI_KEEP_CONN, else "close".
    pub connection: Option<String>,
    /// The fault kind that served the connection ("healthy" for a healthy server or the
    /// healthy fallback of `probability`).
    pub fault: String,
    /// True when the fault misbehaved on this request (same event that increments `fired`).
    pub fired: bool,
    /// Which accepted connection of this server carried it (1-based, in accept order, counting
    /// the connections in `connections`), so requests sharing a kept-alive connection can be
    /// grouped.
    pub conn: u64,
    /// The `SCRIPT_FILENAME` param of a FastCGI request (absent for HTTP requests and for
    /// FastCGI requests without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script_filename: Option<String>,
}

/// Where a request's [`Received`] record sits, so the fault can mark it fired later; `None`
/// inside when the record was over [`MAX_REQUEST_IDS`] and not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceivedSlot(Option<usize>);

/// A point-in-time copy of [`Counters`], for reports and assertions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CounterSnapshot {
    /// Connections accepted and handed to the fault (or to the healthy fallback of
    /// `probability`); connections a limit turned away are in `over_limit` instead.
    pub connections: u64,
    /// Requests whose head was read completely.
    pub requests: u64,
    /// Times the fault misbehaved (closed, reset, stalled, sent oversized headers, ...).
    /// Connections that `probability` gave to the healthy fallback never fire.
    pub fired: u64,
    /// False when the server cannot observe traffic at all (`refuse`, `slow_accept`,
    /// `listen: unix_missing` never accept, so their counters stay 0 whatever the client did).
    pub observable: bool,
    /// Connections accepted beyond a `limit` and immediately reset or closed.
    #[serde(default)]
    pub over_limit: u64,
    /// TLS handshakes completed (`tls:` servers only), full and resumed alike.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub handshakes: u64,
    /// Of `handshakes`, those that resumed an earlier session (`proxy_ssl_session_reuse`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub resumed: u64,
    /// TLS handshakes that failed (no SNI, no common version or cipher, the client refused
    /// the certificate, the client spoke plain HTTP); stalled or reset ones are not here.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub tls_failed: u64,
    /// Values of [`REQUEST_ID_HEADER`] in arrival order (at most [`MAX_REQUEST_IDS`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub request_ids: Vec<u64>,
    /// Every request read, in arrival order (at most [`MAX_REQUEST_IDS`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub received: Vec<Received>,
}

impl Counters {
    /// Record a connection handed to the fault; returns its 1-based number ([`Received::conn`]).
    pub fn connection(&self) -> u64 {
        self.connections.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Record a request whose head was read completely: its id (if it had one) and its
    /// [`Received`] record (given unfired), whose slot lets [`fire_on`](Self::fire_on) count a
    /// misbehaviour on it and mark it.
    pub fn request(&self, received: Received) -> ReceivedSlot {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if let Some(id) = received.id {
            let mut ids = self.request_ids.lock().unwrap_or_else(|e| e.into_inner());
            if ids.len() < MAX_REQUEST_IDS {
                ids.push(id);
            }
        }
        let mut all = self.received.lock().unwrap_or_else(|e| e.into_inner());
        if all.len() >= MAX_REQUEST_IDS {
            return ReceivedSlot(None);
        }
        all.push(received);
        ReceivedSlot(Some(all.len() - 1))
    }

    /// Record one misbehaviour of the fault that concerns no request (at accept, on an idle
    /// connection).
    pub fn fire(&self) {
        self.fired.fetch_add(1, Ordering::Relaxed);
    }

    /// Record one misbehaviour of the fault on the request recorded at `slot`.
    pub fn fire_on(&self, slot: ReceivedSlot) {
        self.fire();
        if let ReceivedSlot(Some(index)) = slot {
            let mut all = self.received.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(record) = all.get_mut(index) {
                record.fired = true;
            }
        }
    }

    /// Record a completed TLS handshake, `resumed` or full.
    pub fn handshake(&self, resumed: bool) {
        self.handshakes.fetch_add(1, Ordering::Relaxed);
        if resumed {
            self.resumed.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Record a failed TLS handshake.
    pub fn handshake_failed(&self) {
        self.tls_failed.fetch_add(1, Ordering::Relaxed);
    }

    /// Record a connection a limit turned away.
    pub fn over_limit(&self) {
        self.over_limit.fetch_add(1, Ordering::Relaxed);
    }

    /// Copy the current values; `observable` says whether they mean anything.
    pub fn snapshot(&self, observable: bool) -> CounterSnapshot {
        let request_ids = self
            .request_ids
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let received = self
            .received
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        CounterSnapshot {
            connections: self.connections.load(Ordering::Relaxed),
            requests: self.requests.load(Ordering::Relaxed),
            fired: self.fired.load(Ordering::Relaxed),
            observable,
            over_limit: self.over_limit.load(Ordering::Relaxed),
            handshakes: self.handshakes.load(Ordering::Relaxed),
            resumed: self.resumed.load(Ordering::Relaxed),
            tls_failed: self.tls_failed.load(Ordering::Relaxed),
            request_ids,
            received,
        }
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(id: u64) -> Received {
        Received {
            id: Some(id),
            method: "GET".into(),
            path: "/".into(),
            http_version: "HTTP/1.1".into(),
            connection: None,
            fault: "reset".into(),
            fired: false,
            conn: 1,
            script_filename: None,
        }
    }

    #[test]
    fn fire_on_marks_its_own_record_and_counts_once() {
        let counters = Counters::default();
        let first = counters.request(get(1));
        counters.request(get(2));
        counters.fire_on(first);
        let snap = counters.snapshot(true);
        let fired: Vec<bool> = snap.received.iter().map(|r| r.fired).collect();
        assert_eq!(
            (snap.requests, snap.fired, fired),
            (2, 1, vec![true, false])
        );
    }

    #[test]
    fn records_past_the_cap_are_counted_but_not_kept() {
        let counters = Counters::default();
        for id in 0..MAX_REQUEST_IDS as u64 {
            counters.request(get(id));
        }
        let over = counters.request(get(u64::MAX));
        counters.fire_on(over);
        let snap = counters.snapshot(true);
        assert_eq!((snap.requests, snap.fired), (MAX_REQUEST_IDS as u64 + 1, 1));
        assert_eq!(snap.received.len(), MAX_REQUEST_IDS);
        assert!(snap.received.iter().all(|r| !r.fired));
        assert_eq!(snap.request_ids.len(), MAX_REQUEST_IDS);
    }
}
