//! A phase's traces condensed for its result: counts by what nginx logged and by what the
//! upstreams received, and a few failed requests with all three witnesses, so every failing
//! verdict can be read request by request.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Trace;
use crate::outcome::Outcome;

/// Failed requests kept per client outcome.
pub const MAX_SAMPLES_PER_OUTCOME: usize = 3;

/// What the witnesses of one phase's requests showed, in counts and samples.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Evidence {
    /// Requests by the status nginx logged (`"009"` for an HTTP/0.9 relay); requests nginx
    /// has no record of are counted as `"not logged"`.
    pub nginx_status: BTreeMap<String, u64>,
    /// Requests by nginx's upstream status sequence (`"502, 200"`: a failed try, then a
    /// good one; `"-"`: no upstream tried).
    pub tries: BTreeMap<String, u64>,
    /// What the fake servers received, by field (`http_version`, `connection`, `method`,
    /// `fault`), value → requests. A request that reached two servers counts twice.
    pub received: BTreeMap<String, BTreeMap<String, u64>>,
    /// Requests nginx logged but the client has no outcome for, and the reverse.
    #[serde(default)]
    pub unmatched: Unmatched,
    /// Failed requests (not a complete 2xx) with all their witnesses, at most
    /// [`MAX_SAMPLES_PER_OUTCOME`] per client outcome, lowest ids first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<Trace>,
}

/// Requests one witness has and another lacks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Unmatched {
    /// The client finished them, nginx wrote no record (e.g. refused before nginx read them).
    pub not_in_nginx_log: u64,
    /// nginx logged them, the client has no outcome (cut by a cancel).
    pub not_in_client: u64,
}

/// The received fields [`Evidence::received`] and the `received` expectation count by.
pub const RECEIVED_FIELDS: [&str; 4] = ["http_version", "connection", "method", "fault"];

/// The value of a received `field` for one upstream record (`"none"` for a request without
/// a `Connection` header or a `SCRIPT_FILENAME` param).
pub fn received_value<'a>(r: &'a fake_upstreams::counters::Received, field: &str) -> &'a str {
    match field {
        "http_version" => &r.http_version,
        "connection" => r.connection.as_deref().unwrap_or("none"),
        "method" => &r.method,
        "fault" => &r.fault,
        "script_filename" => r.script_filename.as_deref().unwrap_or("none"),
        _ => "",
    }
}

impl Evidence {
    /// Condense `traces`.
    pub fn of(traces: &[Trace]) -> Evidence {
        let mut e = Evidence::default();
        let mut kept: BTreeMap<Outcome, usize> = BTreeMap::new();
        for t in traces {
            *e.nginx_status
                .entry(t.nginx_status().to_string())
                .or_default() += 1;
            *e.tries.entry(t.status_sequence()).or_default() += 1;
            for saw in &t.upstream {
                for field in RECEIVED_FIELDS {
                    let value = received_value(&saw.received, field).to_string();
                    let counts = e.received.entry(field.to_string()).or_default();
                    *counts.entry(value).or_default() += 1;
                }
            }
            match (&t.client, &t.nginx) {
                (Some(_), None) => e.unmatched.not_in_nginx_log += 1,
                (None, Some(_)) => e.unmatched.not_in_client += 1,
                _ => {}
            }
            let Some(client) = t.client.as_ref().filter(|c| !c.outcome.is_success()) else {
                continue;
            };
            let n = kept.entry(client.outcome).or_default();
            if *n < MAX_SAMPLES_PER_OUTCOME {
                *n += 1;
                e.samples.push(t.clone());
            }
        }
        e
    }

    /// The samples whose client outcome is `outcome`.
    pub fn samples_of(&self, outcome: Outcome) -> impl Iterator<Item = &Trace> {
        self.samples
            .iter()
            .filter(move |t| t.client.as_ref().is_some_and(|c| c.outcome == outcome))
    }
}

/// One line per witness of a request, for reports:
/// `#7 client: 502 in 1.2 ms · nginx: 502, tries 502 (127.0.0.1:4001) · app.primary: GET /
/// HTTP/1.1, close_mid_body fired`, then its error.log lines.
pub fn describe(t: &Trace) -> Vec<String> {
    let client = match &t.client {
        Some(c) => {
            let detail = c
                .detail
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            format!("client: {} in {:.1} ms{detail}", c.outcome, c.latency_ms)
        }
        None => "client: no outcome".to_string(),
    };
    let nginx = match &t.nginx {
        Some(n) => {
            let tries: Vec<String> = n
                .tries
                .iter()
                .map(|x| format!("{} ({})", x.status, x.addr))
                .collect();
            let tries = if tries.is_empty() {
                "no upstream".to_string()
            } else {
                format!("tries {}", tries.join(", "))
            };
            format!(
                "nginx: {} after {:.3}s, {tries}, conn *{}",
                n.status, n.request_time, n.connection
            )
        }
        None => "nginx: no record".to_string(),
    };
    let upstream: Vec<String> = t
        .upstream
        .iter()
        .map(|u| {
            let r = &u.received;
            let conn = r
                .connection
                .as_deref()
                .map(|c| format!(" Connection: {c}"))
                .unwrap_or_default();
            let did = if r.fired {
                format!("{} fired", r.fault)
            } else {
                format!("{} answered", r.fault)
            };
            format!(
                "{}: {} {} {}{conn}, {did}",
                u.server, r.method, r.path, r.http_version
            )
        })
        .collect();
    let upstream = if upstream.is_empty() {
        "upstream: not reached".to_string()
    } else {
        upstream.join("; ")
    };
    let mut lines = vec![format!("#{} {client} · {nginx} · {upstream}", t.id)];
    let shared = if t.log_shared {
        " (shared connection)"
    } else {
        ""
    };
    const SHOWN: usize = 3;
    lines.extend(
        t.log
            .iter()
            .take(SHOWN)
            .map(|l| format!("  error.log{shared}: {l}")),
    );
    if t.log.len() > SHOWN {
        lines.push(format!(
            "  error.log: (+{} more lines)",
            t.log.len() - SHOWN
        ));
    }
    lines
}
