//! What a phase must show: outcome shares, error.log lines, body integrity, upstream counters,
//! what nginx logged per request (`nginx_status`, `tries`), what the upstreams `received`,
//! `latency` bounds, or a config that `nginx -t` refuses (or accepts).

// `log.count` is keyed by patterns: a Regex's interior mutability is its match cache, and
// patterns order by their text, which never changes.
#![allow(clippy::mutable_key_type)]

use std::collections::BTreeMap;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{
    LatencyBounds, LatencyKey, LogPattern, NginxStatusKey, ReceivedExpect, ShareExpr, SocketKey,
    TriesKey,
};
use crate::outcome::Outcome;

/// The expectations of one phase. Every field is optional; a phase needs at least one.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Share or count of requests per outcome, e.g. `502: ">= 95%"`, `truncated: 0`.
    #[serde(default)]
    pub outcomes: BTreeMap<Outcome, ShareExpr>,
    /// error.log lines of this phase that must or must not appear.
    #[serde(default)]
    pub log: LogExpect,
    /// Every 2xx response carried the upstream's full, byte-correct body.
    #[serde(default)]
    pub body_intact: bool,
    /// `nginx -t` must refuse the phase's config with a message matching this pattern; no
    /// traffic is sent.
    #[serde(default)]
    pub config_rejected: Option<LogPattern>,
    /// `nginx -t` must accept the phase's config (no traffic is needed for this one).
    #[serde(default)]
    pub config_accepted: bool,
    /// Share or count of requests by the status nginx's access log has for them, e.g.
    /// `"009": "100%"` (an HTTP/0.9 relay the client sees as a parse error).
    #[serde(default)]
    pub nginx_status: BTreeMap<NginxStatusKey, ShareExpr>,
    /// Share or count of requests by nginx's upstream tries: the status sequence of
    /// `$upstream_status` (`"502, 200": ">= 1"`: a failed try, then a good one) or the number
    /// of tries (`"2 tries": 0`).
    #[serde(default)]
    pub tries: BTreeMap<TriesKey, ShareExpr>,
    /// Shares of what the fake servers received (`http_version`, `connection`, `method`,
    /// `fault`), e.g. `connection: { close: "100%" }`.
    #[serde(default)]
    pub received: ReceivedExpect,
    /// Bounds on the client-side latency per outcome (or `all`), e.g.
    /// `"504": { min: ">= 1s" }`: behaviour (a 504 cannot come before proxy_read_timeout),
    /// not a benchmark, so keep them generous.
    #[serde(default)]
    pub latency: BTreeMap<LatencyKey, LatencyBounds>,
    /// Counters of fake upstream servers, keyed `upstream.server`, e.g. `app.primary`.
    #[serde(default)]
    pub upstreams: BTreeMap<String, CounterExpect>,
    /// Outcome shares per request method (a share of that method's requests), for mixed
    /// traffic: e.g. GETs recover while POSTs get 502.
    #[serde(default)]
    pub methods: BTreeMap<String, BTreeMap<Outcome, ShareExpr>>,
    /// Outcome shares among the requests started within a time window of the load, e.g. to
    /// show when 502s stop after an outage.
    #[serde(default)]
    pub windows: Vec<Window>,
    /// Requests that reached a fake server more than once in total (nginx sent them again, to
    /// another server or the same one), counted by the request-id header. Tries that never
    /// reached a fake (a refused connect) are not seen here: use `tries` for those.
    #[serde(default)]
    pub duplicates: Option<ShareExpr>,
    /// Duplicates of one method's requests (a share of that method's requests), e.g. to show
    /// that retried POSTs reached two servers.
    #[serde(default)]
    pub duplicate_methods: BTreeMap<String, ShareExpr>,
    /// Shares of WebSocket sockets by how they ended (`traffic.websocket`), e.g.
    /// `"101+clean": "100%"`, `"426": "100%"`, `echoed: "100%"`.
    #[serde(default)]
    pub sockets: BTreeMap<SocketKey, ShareExpr>,
    /// Queries the fake DNS server got per name of the `dns:` section, as plain counts, e.g.
    /// `app.internal: "== 0"` (nginx resolved it at start, from the hosts file) or `">= 2"`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub dns_queries: BTreeMap<String, ShareExpr>,
}

/// Outcomes of the requests of one traffic stage (`stage: after`), or of those that started in
/// `[from, to)` since the load began; a window gives one or the other.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// A stage's name (its `name`, or its 1-based position when unnamed): every request of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    #[serde(default, with = "fake_upstreams::duration")]
    #[schemars(schema_with = "fake_upstreams::schema::optional_duration")]
    pub from: Option<Duration>,
    #[serde(default, with = "fake_upstreams::duration")]
    #[schemars(schema_with = "fake_upstreams::schema::optional_duration")]
    pub to: Option<Duration>,
    pub outcomes: BTreeMap<Outcome, ShareExpr>,
}

impl Window {
    /// `stage after`, `1s..3s` or `2s..end`, for check names.
    pub fn label(&self) -> String {
        let show = |d: Duration| humantime::format_duration(d).to_string();
        let from = show(self.from.unwrap_or_default());
        match (&self.stage, self.to) {
            (Some(stage), _) => format!("stage {stage}"),
            (None, Some(to)) => format!("{from}..{}", show(to)),
            (None, None) => format!("{from}..end"),
        }
    }
}

/// error.log expectations. Lines at `[alert]`, `[crit]` or `[emerg]` fail a phase unless a
/// `contains` pattern matches them.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogExpect {
    #[serde(default)]
    pub contains: Vec<LogPattern>,
    #[serde(default)]
    pub absent: Vec<LogPattern>,
    /// How many lines match each pattern, e.g. `"[alert] worker_connections": ">= 1"` (plain
    /// counts: a percentage of log lines means nothing).
    #[serde(default)]
    pub count: BTreeMap<LogPattern, ShareExpr>,
}

/// Expectations on one fake server's counters (plain counts, e.g. `"<= 32"`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CounterExpect {
    pub connections: Option<ShareExpr>,
    pub requests: Option<ShareExpr>,
    pub fired: Option<ShareExpr>,
    /// TLS handshakes the server completed, full and resumed (`tls:` servers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handshakes: Option<ShareExpr>,
    /// Of those, handshakes that resumed an earlier session (`proxy_ssl_session_reuse`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumed: Option<ShareExpr>,
}

impl Expect {
    /// True when the phase states nothing to check, which is an input error.
    pub fn is_empty(&self) -> bool {
        self.outcomes.is_empty()
            && self.log.contains.is_empty()
            && self.log.absent.is_empty()
            && !self.body_intact
            && self.config_rejected.is_none()
            && !self.config_accepted
            && self.log.count.is_empty()
            && self.nginx_status.is_empty()
            && self.tries.is_empty()
            && self.received.is_empty()
            && self.latency.is_empty()
            && self.upstreams.is_empty()
            && self.methods.is_empty()
            && self.windows.is_empty()
            && self.duplicates.is_none()
            && self.duplicate_methods.is_empty()
            && self.sockets.is_empty()
            && self.dns_queries.is_empty()
    }

    /// Only `nginx -t` is asked about (`config_rejected`, or `config_accepted` with nothing
    /// else but `log.absent`): the phase sends no traffic.
    pub fn config_only(&self) -> bool {
        self.config_rejected.is_some()
            || (self.config_accepted
                && !self.needs_traffic()
                && self.log.contains.is_empty()
                && self.log.count.is_empty())
    }

    /// Expectations that need traffic to have run.
    pub fn needs_traffic(&self) -> bool {
        !self.outcomes.is_empty()
            || self.body_intact
            || !self.upstreams.is_empty()
            || !self.methods.is_empty()
            || !self.windows.is_empty()
            || self.duplicates.is_some()
            || !self.duplicate_methods.is_empty()
            || !self.nginx_status.is_empty()
            || !self.tries.is_empty()
            || !self.received.is_empty()
            || !self.latency.is_empty()
            || !self.sockets.is_empty()
            || !self.dns_queries.is_empty()
    }
}
