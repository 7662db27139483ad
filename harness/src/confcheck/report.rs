//! What a check found, as plain data: per upstream its targets and one [`Cell`] per fault and
//! placement (what clients got, overall and per location, what the fakes did, the error.log
//! lines, the catalogue advice), what was not tested and what the rewrite changed. `report/`
//! renders it; `compare` diffs two of them.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{ConfigChange, FaultKind, Placement, Target, Untested, Upstream};
use crate::fixes::Advice;
use crate::outcome::Outcome;

/// Everything a check found: plain data for the terminal table and other reports.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckReport {
    pub config: PathBuf,
    pub nginx_version: String,
    pub upstreams: Vec<UpstreamReport>,
    /// What could not be tested, and why.
    pub untested: Vec<Untested>,
    /// What the rewrite changed in the config for the test (addresses, listens, paths).
    #[serde(default)]
    pub changes: Vec<ConfigChange>,
    /// How the config was read, when it matters (a `sites-enabled` snippet wrapped in
    /// `http {}`, includes read from the folder above).
    #[serde(default)]
    pub notes: Vec<String>,
    /// What the config gets wrong with every upstream healthy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub defects: Vec<Defect>,
}

/// A location that fails with every upstream healthy, for a reason in the config (php-fpm's
/// 404 `Primary script unknown` for a SCRIPT_FILENAME it cannot resolve): a failure of the
/// config, not of the test, so `check` fails on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Defect {
    /// `site.example location ~ \.php$ (GET /index.php Host: site.example)`
    pub location: String,
    /// Where its `*_pass` is written.
    pub at: String,
    /// What clients got and what nginx logged.
    pub got: String,
    /// Why, as far as the config tells.
    pub cause: String,
    /// The directive that fixes it.
    pub fix: String,
}

/// One upstream and how it fared under each fault.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UpstreamReport {
    pub upstream: Upstream,
    pub targets: Vec<Target>,
    pub cells: Vec<Cell>,
    /// For an upstream reached through a variable address: its DNS columns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns: Vec<super::DnsCell>,
}

/// One upstream × fault.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub fault: FaultKind,
    /// Which of the upstream's servers played it.
    pub placement: Placement,
    pub survives: bool,
    /// Requests per outcome over every target of the upstream.
    pub outcomes: BTreeMap<Outcome, u64>,
    /// The same, per location (in the order of the upstream's targets).
    #[serde(default)]
    pub by_location: Vec<LocationOutcomes>,
    /// Times the faulty servers misbehaved (0: nginx never gave them a chance).
    pub fired: u64,
    /// How long the cell's run took.
    #[serde(default)]
    pub wall_ms: u64,
    /// The most frequent error.log messages of the run.
    pub log: Vec<String>,
    /// For a failing cell: the scenario that reproduces the fault, and its fix.
    pub advice: Option<Advice>,
}

/// What clients of one location got in one cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocationOutcomes {
    /// [`Target::label`]: server and location.
    pub location: String,
    pub outcomes: BTreeMap<Outcome, u64>,
}

impl LocationOutcomes {
    pub fn survives(&self) -> bool {
        self.outcomes.keys().all(super::survived)
    }
}

impl Cell {
    /// `200×6`, `502×4 200×2`.
    pub fn summary(&self) -> String {
        crate::outcome::histogram(&self.outcomes)
    }
}

/// How `check` plays an upstream that speaks both: pages and WebSockets to one app.
pub const MIXED_PLAY: &str = "its fakes serve pages and WebSockets on one port (ws_echo with \
    plain_body: 200 with a digested body to a request that is not an upgrade); HTTP faults are \
    played on its HTTP locations, WebSocket faults on its WebSocket locations, the others on \
    all of them";

impl UpstreamReport {
    /// `over FastCGI: …`: how the fakes play an upstream that does not speak plain HTTP.
    pub fn played_as(&self) -> Option<String> {
        use super::analyze::{Protocol, document_root};
        let up = &self.upstream;
        Some(match up.protocol {
            Protocol::Http => return None,
            Protocol::FastCgi => {
                let root = document_root(self.targets.iter().filter_map(|t| t.fastcgi.as_ref()));
                format!("over FastCGI: its fakes play PHP-FPM, with scripts under {root}")
            }
            Protocol::WebSocket => format!("over WebSocket: {}", super::WEBSOCKET_PLAY),
            Protocol::HttpAndWebSocket => format!("over HTTP and WebSocket: {MIXED_PLAY}"),
            Protocol::Grpc => format!("over gRPC: {}", super::GRPC_PLAY),
        })
    }

    /// Primary (not `backup`) servers.
    pub fn primaries(&self) -> usize {
        self.upstream.servers.iter().filter(|s| !s.backup).count()
    }

    /// The cells worth showing: "all primaries" only when there are two or more (with one,
    /// it repeats "one server").
    pub fn distinct_cells(&self) -> impl Iterator<Item = &Cell> {
        let both = self.primaries() > 1;
        self.cells
            .iter()
            .filter(move |c| both || c.placement == Placement::OneServer)
    }
}

impl Cell {
    /// `refuse`, or `refuse (all primaries)` when every primary played it.
    pub fn name(&self) -> String {
        match self.placement {
            Placement::OneServer => self.fault.name().to_string(),
            Placement::AllPrimaries => format!("{} (all primaries)", self.fault.name()),
        }
    }
}

impl CheckReport {
    /// Whether any fault ran against any location (else nothing was proven either way).
    pub fn tested(&self) -> bool {
        self.upstreams.iter().any(|u| !u.cells.is_empty())
    }

    /// Whether the config has a defect, or did not survive some fault it was tested with.
    pub fn failed(&self) -> bool {
        let fails = |c: &Cell| !c.survives;
        let dns_fails = self
            .upstreams
            .iter()
            .flat_map(|u| &u.dns)
            .any(|c| !c.survives);
        !self.defects.is_empty()
            || self.upstreams.iter().flat_map(|u| &u.cells).any(fails)
            || dns_fails
    }

    /// How many primary (not `backup`) servers `upstream` has (0 when it was not tested).
    pub fn primaries(&self, upstream: &str) -> usize {
        self.upstreams
            .iter()
            .find(|u| u.upstream.name == upstream)
            .map_or(0, UpstreamReport::primaries)
    }

    /// The cell of `upstream` × `fault` × `placement`, if it ran.
    pub fn cell(&self, upstream: &str, fault: FaultKind, placement: Placement) -> Option<&Cell> {
        let up = self
            .upstreams
            .iter()
            .find(|u| u.upstream.name == upstream)?;
        up.cells
            .iter()
            .find(|c| c.fault == fault && c.placement == placement)
    }
}
