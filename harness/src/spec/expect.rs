//! What a phase must show: outcome shares, error.log lines, body integrity, upstream counters,
//! or a config that `nginx -t` refuses.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{LogPattern, ShareExpr};
use crate::outcome::Outcome;

/// The expectations of one phase. Every field is optional; a phase needs at least one.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
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
    /// Counters of fake upstream servers, keyed `upstream.server`, e.g. `app.primary`.
    #[serde(default)]
    pub upstreams: BTreeMap<String, CounterExpect>,
}

/// error.log expectations. Lines at `[alert]`, `[crit]` or `[emerg]` fail a phase unless a
/// `contains` pattern matches them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogExpect {
    #[serde(default)]
    pub contains: Vec<LogPattern>,
    #[serde(default)]
    pub absent: Vec<LogPattern>,
}

/// Expectations on one fake server's counters (plain counts, e.g. `"<= 32"`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CounterExpect {
    pub connections: Option<ShareExpr>,
    pub requests: Option<ShareExpr>,
    pub fired: Option<ShareExpr>,
}

impl Expect {
    /// True when the phase states nothing to check, which is an input error.
    pub fn is_empty(&self) -> bool {
        self.outcomes.is_empty()
            && self.log.contains.is_empty()
            && self.log.absent.is_empty()
            && !self.body_intact
            && self.config_rejected.is_none()
            && self.upstreams.is_empty()
    }
}
