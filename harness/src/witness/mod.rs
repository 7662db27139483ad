//! The three witnesses of every request, joined by its request id: what the **client** got
//! (the load driver's [`ClientRecord`]), what **nginx** logged for it (its [`NginxRecord`]:
//! status, upstream tries, timings) with the error.log lines of its client connection, and what
//! each **upstream** fake received and did with it ([`Received`]).
//!
//! The join is pure: [`join`] takes what a phase collected and returns one [`Trace`] per
//! request id seen by any witness, in id order. Expectations (`tries`, `nginx_status`,
//! `received`, `latency`) read the traces; [`Evidence`] condenses them for results and reports.
//!
//! error.log lines carry nginx's client connection number (`*N`), not the request: the lines
//! (`[warn]` and above) of connection N go to its requests whose nginx record shows trouble (a
//! failed try, a status of 500 or more, `009` or `499`), or to every request of N when none
//! does. A kept-alive connection runs its requests one after another, so when its lines divide
//! evenly among those requests (in `$connection_requests` order) the k-th gets the k-th run;
//! otherwise each gets all of them and `log_shared` says so.

mod evidence;

pub use evidence::{
    Evidence, MAX_SAMPLES_PER_OUTCOME, RECEIVED_FIELDS, Unmatched, describe, received_value,
};

use std::collections::BTreeMap;

use fake_upstreams::CounterSnapshot;
use fake_upstreams::counters::Received;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::accesslog::NginxRecord;
use crate::errorlog::LogLine;
use crate::load::ClientRecord;

/// One request as its three witnesses saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Trace {
    pub id: u64,
    /// What the client got; `None` when the client never finished it (cut by a cancel).
    pub client: Option<ClientRecord>,
    /// What nginx logged; `None` when nginx wrote no record (it never read the request, or
    /// it was still in flight when nginx stopped).
    pub nginx: Option<NginxRecord>,
    /// Each fake server that received this request, in the order of their names.
    pub upstream: Vec<UpstreamSaw>,
    /// error.log lines of the request's client connection (see the module docs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log: Vec<String>,
    /// The lines may belong to another request of the same kept-alive client connection.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub log_shared: bool,
}

/// What one fake server (`upstream.server`) received and did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UpstreamSaw {
    pub server: String,
    #[serde(flatten)]
    pub received: Received,
}

impl Trace {
    /// The upstream status sequence nginx logged (`"502, 200"`), `"-"` without a try, or
    /// `"not logged"` without a record.
    pub fn status_sequence(&self) -> String {
        self.nginx
            .as_ref()
            .map_or_else(|| NOT_LOGGED.to_string(), NginxRecord::status_sequence)
    }

    /// The status nginx logged (`"009"`), or `"not logged"`.
    pub fn nginx_status(&self) -> &str {
        self.nginx
            .as_ref()
            .map_or(NOT_LOGGED, |n| n.status.as_str())
    }

    /// How many upstream tries nginx logged (0 without a record).
    pub fn try_count(&self) -> usize {
        self.nginx.as_ref().map_or(0, |n| n.tries.len())
    }
}

pub use crate::accesslog::NOT_LOGGED;

/// Join the witnesses of one phase (see the module docs).
pub fn join(
    client: &[ClientRecord],
    nginx: &[NginxRecord],
    upstreams: &BTreeMap<String, CounterSnapshot>,
    log: &[LogLine],
) -> Vec<Trace> {
    let mut traces: BTreeMap<u64, Trace> = BTreeMap::new();
    for record in client {
        entry(&mut traces, record.id).client = Some(record.clone());
    }
    for record in nginx {
        if let Some(id) = record.id {
            entry(&mut traces, id).nginx = Some(record.clone());
        }
    }
    for (server, counters) in upstreams {
        for received in &counters.received {
            if let Some(id) = received.id {
                entry(&mut traces, id).upstream.push(UpstreamSaw {
                    server: server.clone(),
                    received: received.clone(),
                });
            }
        }
    }
    attach_log(&mut traces, log);
    traces.into_values().collect()
}

/// The trace of request `id`, empty until a witness fills it in.
fn entry(traces: &mut BTreeMap<u64, Trace>, id: u64) -> &mut Trace {
    traces.entry(id).or_insert_with(|| Trace {
        id,
        client: None,
        nginx: None,
        upstream: Vec::new(),
        log: Vec::new(),
        log_shared: false,
    })
}

/// Give the error.log lines (`[warn]` and above) of each client connection to its requests.
fn attach_log(traces: &mut BTreeMap<u64, Trace>, log: &[LogLine]) {
    let mut by_conn: BTreeMap<u64, Vec<&str>> = BTreeMap::new();
    for line in log.iter().filter(|l| ATTACHED.contains(&l.level.as_str())) {
        if let Some(conn) = line.connection {
            by_conn.entry(conn).or_default().push(&line.text);
        }
    }
    // The requests of each connection in the order they ran on it.
    let mut requests: BTreeMap<u64, Vec<(u64, u64)>> = BTreeMap::new();
    for t in traces.values() {
        if let Some(n) = &t.nginx {
            let on_conn = requests.entry(n.connection).or_default();
            on_conn.push((n.connection_requests, t.id));
        }
    }
    for (conn, lines) in by_conn {
        let Some(ids) = requests.get_mut(&conn) else {
            continue;
        };
        ids.sort_unstable();
        let ids: Vec<u64> = ids.iter().map(|(_, id)| *id).collect();
        let troubled: Vec<u64> = ids
            .iter()
            .copied()
            .filter(|id| traces[id].nginx.as_ref().is_some_and(troubled))
            .collect();
        let owners = if troubled.is_empty() { &ids } else { &troubled };
        for (id, share, shared) in split_lines(owners, &lines) {
            let t = traces.get_mut(&id).expect("owner ids come from the traces");
            t.log.extend(share.iter().map(|l| l.to_string()));
            t.log_shared = shared;
        }
    }
}

/// Levels whose lines are joined to requests; lower ones are about connections and workers.
const ATTACHED: [&str; 5] = ["warn", "error", "crit", "alert", "emerg"];

/// Requests on one connection run one after another, so when its lines divide evenly among
/// the owners, the k-th owner gets the k-th run of lines; otherwise each gets them all,
/// marked shared.
fn split_lines<'a>(owners: &[u64], lines: &'a [&'a str]) -> Vec<(u64, &'a [&'a str], bool)> {
    if owners.len() == 1 || !lines.len().is_multiple_of(owners.len()) {
        let shared = owners.len() > 1;
        return owners.iter().map(|id| (*id, lines, shared)).collect();
    }
    let per = lines.len() / owners.len();
    owners
        .iter()
        .zip(lines.chunks(per))
        .map(|(id, chunk)| (*id, chunk, false))
        .collect()
}

/// nginx's record shows something went wrong: a failed try, a 5xx, an HTTP/0.9 relay or a
/// client that went away.
fn troubled(n: &NginxRecord) -> bool {
    let bad = |s: &str| !matches!(s.as_bytes().first(), Some(b'1'..=b'4')) || s == "499";
    bad(&n.status) || n.tries.iter().any(|t| bad(&t.status))
}

#[cfg(test)]
mod tests;
