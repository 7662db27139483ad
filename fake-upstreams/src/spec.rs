//! The YAML form of one server in a scenario: a fault plus the settings every fault shares.
//!
//! Like toxiproxy, the knobs that are not about *how* a server misbehaves (how often, how
//! many connections, when, on which transport) live here once instead of in every fault:
//!
//! ```yaml
//! kind: reset                 # the fault and its fields, exactly as a bare fault
//! probability: 0.25           # each connection gets the fault with this chance, else healthy
//! limit: { max_connections: 10, max_new_per_second: 100, over_limit: reset }
//! schedule:                   # from `after` (since spawn) on, behave as this fault
//!   - { after: 2s, kind: refuse }
//!   - { after: 5s, kind: healthy }
//! listen: unix                # tcp (default) | unix | unix_missing | unix_forbidden
//! backlog: 8                  # listen() accept-queue length (default 1024)
//! tls: { name: app.internal } # serve over TLS (see `crate::tls`); default: plain
//! ```
//!
//! A bare fault (`{ kind: refuse }`) is a valid spec. The wrapper cannot use
//! `deny_unknown_fields` (serde forbids it next to `flatten`), but every key it does not know
//! goes to the fault's variant struct, which does deny unknown fields, so typos still fail.
//!
//! One key is shared: `slow_accept` has a `backlog` field of its own, and a wrapper key wins
//! over a flattened one, so when deserializing a `slow_accept` spec, `backlog:` is handed to
//! the fault (as it always was) and the wrapper's stays unset.

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::endpoint::Listen;
use crate::faults::Fault;
use crate::listener::DEFAULT_BACKLOG;
use crate::tls::TlsSpec;

/// Largest `backlog:` accepted (the kernel caps it lower anyway, see [`ServerSpec::backlog`]).
const MAX_BACKLOG: u32 = 65535;

/// One server of a scenario: its fault and the generic settings around it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(from = "SpecFields")]
#[schemars(extend("unevaluatedProperties" = false))]
pub struct ServerSpec {
    /// `kind: ...` and the fault's own fields.
    #[serde(flatten)]
    pub fault: Fault,
    /// Chance in 0..=1 that an accepted connection gets the fault; the others are served by
    /// `Healthy::default()`. Drawn in accept order from an RNG seeded by
    /// [`SpawnOptions::seed`](crate::server::SpawnOptions::seed), so a seed replays the same
    /// decisions. Default: none (every connection gets the fault).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// Connection limits; connections beyond them are accepted and at once reset or closed.
    /// Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<Limit>,
    /// Later behaviours, in increasing `after` order. Default: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schedule: Vec<Step>,
    /// Transport and socket form. Default: `tcp`.
    #[serde(default, skip_serializing_if = "is_tcp")]
    pub listen: Listen,
    /// Accept-queue length passed to `listen()`, 1..=65535, for TCP and unix listeners alike
    /// (also when a schedule step listens again after `refuse`). Connections beyond it are
    /// not queued: on a unix socket a non-blocking `connect()` fails with EAGAIN (nginx:
    /// `connect() to unix:... failed (11: Resource temporarily unavailable)`, PHP-FPM's
    /// `listen.backlog`); over TCP the SYN is dropped and the client retries or times out.
    /// Linux silently caps it at `net.core.somaxconn` (4096 by default since 5.4), and holds
    /// `backlog + 1` connections. Not for `slow_accept`, which has its own `backlog`.
    /// Default: 1024.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backlog: Option<u32>,
    /// Serve over TLS with a certificate from the run's throwaway CA, and how the handshake
    /// goes (see [`TlsSpec`]). Default: plain TCP or unix socket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsSpec>,
}

/// What [`ServerSpec`] deserializes through: the same fields, then [`From`] hands a
/// `slow_accept`'s `backlog:` (taken by the wrapper) to the fault.
#[derive(Deserialize, JsonSchema)]
struct SpecFields {
    #[serde(flatten)]
    fault: Fault,
    #[serde(default)]
    probability: Option<f64>,
    #[serde(default)]
    limit: Option<Limit>,
    #[serde(default)]
    schedule: Vec<Step>,
    #[serde(default)]
    listen: Listen,
    #[serde(default)]
    backlog: Option<u32>,
    #[serde(default)]
    tls: Option<TlsSpec>,
}

impl From<SpecFields> for ServerSpec {
    fn from(fields: SpecFields) -> Self {
        let SpecFields {
            mut fault,
            probability,
            limit,
            schedule,
            listen,
            mut backlog,
            tls,
        } = fields;
        if let (Fault::SlowAccept(slow), Some(n)) = (&mut fault, backlog) {
            slow.backlog = n;
            backlog = None;
        }
        ServerSpec {
            fault,
            probability,
            limit,
            schedule,
            listen,
            backlog,
            tls,
        }
    }
}

fn is_tcp(listen: &Listen) -> bool {
    *listen == Listen::Tcp
}

/// Connection limits of a server (`limit:`), like a backend's `max_children` or a proxy's
/// rate limit: the cause of 502s that only appear under load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    /// Most connections open at once (faulty and healthy alike). Default: unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<u32>,
    /// Most new connections per one-second window (windows counted from spawn).
    /// Default: unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_new_per_second: Option<u32>,
    /// What happens to a connection beyond a limit. Default: `reset`.
    #[serde(default)]
    pub over_limit: OverLimit,
}

/// How a connection beyond a [`Limit`] is turned away, right after `accept()`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OverLimit {
    /// Close with `SO_LINGER` 0, so the client reads ECONNRESET (on a unix socket: a close).
    #[default]
    Reset,
    /// Close with a FIN, so the client reads EOF.
    Close,
}

/// One entry of `schedule:`: from `after` (measured from spawn) on, behave as `fault`.
///
/// Connections accepted earlier keep the behaviour they were accepted under, except that a
/// `kind: refuse` step also ends every open connection (the process went away) and closes
/// the listener: connects are refused until a later step listens again at the same address
/// or path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(extend("unevaluatedProperties" = false))]
pub struct Step {
    /// When the step starts, since spawn, e.g. `2s`, `500ms`.
    #[serde(with = "crate::duration")]
    #[schemars(schema_with = "crate::schema::duration")]
    pub after: Duration,
    /// The behaviour from then on.
    #[serde(flatten)]
    pub fault: Fault,
}

impl From<Fault> for ServerSpec {
    fn from(fault: Fault) -> Self {
        ServerSpec {
            fault,
            probability: None,
            limit: None,
            schedule: Vec::new(),
            listen: Listen::Tcp,
            backlog: None,
            tls: None,
        }
    }
}

impl ServerSpec {
    /// Reject specs that parse but cannot be served, with a message naming the setting.
    pub fn validate(&self) -> Result<(), String> {
        self.fault.validate()?;
        if let Some(p) = self.probability {
            if !(0.0..=1.0).contains(&p) {
                return Err(format!("probability {p} is not between 0 and 1"));
            }
            if !self.fault.accepts() {
                return Err(format!(
                    "probability: `{}` never accepts a connection, so there is nothing to draw",
                    self.fault.kind()
                ));
            }
        }
        if let Some(limit) = &self.limit {
            limit.validate()?;
        }
        self.validate_backlog()?;
        self.validate_tls()?;
        self.validate_schedule()
    }

    fn validate_tls(&self) -> Result<(), String> {
        let Some(tls) = &self.tls else {
            return Ok(());
        };
        if self.listen == Listen::UnixMissing {
            return Err(
                "tls: `listen: unix_missing` never accepts a connection to shake hands on".into(),
            );
        }
        if !self.fault.accepts() && !self.schedule.iter().any(|s| s.fault.accepts()) {
            return Err(format!(
                "tls: `{}` never accepts a connection, so there is no handshake to serve",
                self.fault.kind()
            ));
        }
        tls.validate()
    }

    /// The `listen()` backlog of the server's listener (`backlog:` or the default).
    pub(crate) fn listen_backlog(&self) -> u32 {
        self.backlog.unwrap_or(DEFAULT_BACKLOG)
    }

    fn validate_backlog(&self) -> Result<(), String> {
        let Some(backlog) = self.backlog else {
            return Ok(());
        };
        if matches!(self.fault, Fault::SlowAccept(_)) {
            return Err(
                "backlog: `slow_accept` has its own `backlog` field (at most 128); \
                 set only that one"
                    .into(),
            );
        }
        if !(1..=MAX_BACKLOG).contains(&backlog) {
            return Err(format!(
                "backlog {backlog} is not between 1 and {MAX_BACKLOG}"
            ));
        }
        Ok(())
    }

    fn validate_schedule(&self) -> Result<(), String> {
        if self.listen == Listen::UnixMissing && !self.schedule.is_empty() {
            return Err("schedule: `listen: unix_missing` never has a socket to serve on".into());
        }
        if matches!(self.fault, Fault::SlowAccept(_)) && !self.schedule.is_empty() {
            return Err("schedule: `slow_accept` cannot be combined with a schedule".into());
        }
        let mut previous: Option<Duration> = None;
        for step in &self.schedule {
            step.fault
                .validate()
                .map_err(|msg| format!("schedule step after {:?}: {msg}", step.after))?;
            if matches!(step.fault, Fault::SlowAccept(_)) {
                return Err("schedule: `slow_accept` cannot be a schedule step".into());
            }
            if previous.is_some_and(|prev| step.after <= prev) {
                return Err(format!(
                    "schedule: steps must be in increasing `after` order ({:?} follows {:?})",
                    step.after,
                    previous.unwrap_or_default()
                ));
            }
            previous = Some(step.after);
        }
        Ok(())
    }

    /// Whether the server can ever count traffic (see `CounterSnapshot::observable`).
    pub fn observable(&self) -> bool {
        self.listen != Listen::UnixMissing
            && (self.fault.accepts() || self.schedule.iter().any(|s| s.fault.accepts()))
    }
}

impl Limit {
    fn validate(&self) -> Result<(), String> {
        if self.max_connections.is_none() && self.max_new_per_second.is_none() {
            return Err("limit: set max_connections, max_new_per_second or both".into());
        }
        if self.max_connections == Some(0) || self.max_new_per_second == Some(0) {
            return Err(
                "limit: a limit of 0 turns every connection away; use `kind: reset` \
                 or `kind: refuse` for that"
                    .into(),
            );
        }
        Ok(())
    }
}
