//! The fake DNS server of one run of a config whose variable `*_pass` names a host: it
//! answers each such name with the address of that upstream's fake (A records, no AAAA:
//! an empty answer), so nginx's `resolver`, re-pointed at it by the rewrite, finds the fake
//! the way it would find the real server. Names it was not told get NXDOMAIN.
//!
//! A `server NAME resolve` line (nginx >= 1.27.3, in an upstream with a `zone`) is played the
//! same way: the name stays, its port moves to the fake's, the fake DNS server answers it.
//!
//! Such an upstream also gets the DNS columns, check-side rather than fake-upstream faults
//! (the fakes stay healthy; the DNS server misbehaves for that upstream's names from the
//! start of the run): `dns_nxdomain` (nginx: `could not be resolved (3: Host not found)`) and
//! `dns_timeout` (no reply: nginx waits `resolver_timeout`, 30 s by default, longer than the
//! client's 5 s).

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use fake_upstreams::dns::{Answer, DnsServer, DnsSpec, NameSpec, Target as Record};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::analyze::{Analysis, Target};
use super::cell::Ctx;
use super::rewrite::Assignment;
use super::{CheckError, CheckOptions, survived};
use crate::events::PhaseKey;
use crate::outcome::Outcome;

/// How the fake DNS server misbehaves for an upstream's names in a DNS column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DnsColumn {
    /// NXDOMAIN: the name does not exist.
    DnsNxdomain,
    /// No reply at all.
    DnsTimeout,
}

impl DnsColumn {
    pub const ALL: [DnsColumn; 2] = [DnsColumn::DnsNxdomain, DnsColumn::DnsTimeout];

    pub fn name(self) -> &'static str {
        match self {
            DnsColumn::DnsNxdomain => "dns_nxdomain",
            DnsColumn::DnsTimeout => "dns_timeout",
        }
    }

    /// The catalogue scenario that plays it.
    pub fn scenario(self) -> &'static str {
        match self {
            DnsColumn::DnsNxdomain => "dns-nxdomain",
            DnsColumn::DnsTimeout => "dns-resolver-timeout",
        }
    }

    fn answer(self) -> Answer {
        match self {
            DnsColumn::DnsNxdomain => Answer::Nxdomain,
            DnsColumn::DnsTimeout => Answer::Timeout,
        }
    }
}

/// What clients of an upstream's locations got in one DNS column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DnsCell {
    pub column: DnsColumn,
    pub survives: bool,
    /// Requests per outcome over every target of the upstream.
    pub outcomes: BTreeMap<Outcome, u64>,
    /// The most frequent error.log messages of the run.
    pub log: Vec<String>,
    /// How long the column's run took.
    #[serde(default)]
    pub wall_ms: u64,
}

impl DnsCell {
    /// `502×6`.
    pub fn summary(&self) -> String {
        crate::outcome::histogram(&self.outcomes)
    }
}

/// Play each DNS column against `upstream`'s `targets` (every server healthy).
pub(super) async fn columns(
    ctx: &Ctx<'_>,
    opts: &CheckOptions,
    upstream: &str,
    dir: &Path,
    targets: &[&Target],
) -> Result<Vec<DnsCell>, CheckError> {
    let mut cells = Vec::new();
    for column in DnsColumn::ALL {
        let dns_ctx = Ctx {
            dns: Some((upstream, column)),
            cache_root: ctx.cache_root.clone(),
            ..*ctx
        };
        let key = PhaseKey {
            scenario: format!("{} {upstream}", opts.label),
            attempt: 1,
            phase: column.name().to_string(),
        };
        let dir = dir.join(column.name());
        let out = super::run(&dns_ctx, (opts, key), dir, None, targets).await?;
        let mut outcomes = BTreeMap::new();
        for (o, n) in out.targets.iter().flat_map(|t| &t.load.outcomes) {
            *outcomes.entry(*o).or_insert(0) += n;
        }
        cells.push(DnsCell {
            column,
            survives: outcomes.keys().all(survived),
            outcomes,
            log: out.log,
            wall_ms: out.wall_ms,
        });
    }
    Ok(cells)
}

/// Start the fake DNS server for the names the targets resolve (`None`: no target does);
/// the names of `column`'s upstream get its answer instead of their fake's address.
pub async fn start(
    analysis: &Analysis,
    a: &Assignment,
    column: Option<(&str, DnsColumn)>,
    cancel: &CancellationToken,
) -> Result<Option<DnsServer>, String> {
    let mut spec = DnsSpec::default();
    for r in resolved(analysis) {
        let fake = match r.server {
            Some(i) => a.servers.get(&(r.upstream.clone(), i)),
            None => a.literals.get(&r.upstream),
        };
        let Some(fake) = fake else {
            continue;
        };
        let ip = match fake.parse::<SocketAddr>().map(|s| s.ip()) {
            Ok(IpAddr::V4(ip)) => ip,
            _ => Ipv4Addr::LOCALHOST,
        };
        let mut records = answer(ip);
        if let Some((_, c)) = column.filter(|(up, _)| *up == r.upstream) {
            records.answer = c.answer();
            records.a.clear();
        }
        spec.0.insert(r.name, records);
    }
    if spec.0.is_empty() {
        return Ok(None);
    }
    let zone = spec.resolve(&|_: &str, _: &str| None)?;
    let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    DnsServer::spawn(zone, ip, cancel.child_token())
        .await
        .map(Some)
        .map_err(|e| format!("cannot start the fake DNS server: {e}"))
}

/// A name nginx resolves while it runs, and whose fake it stands for.
pub struct Resolved {
    pub upstream: String,
    pub name: String,
    /// The `server ... resolve` line's index in its upstream (`None`: a variable `*_pass`).
    pub server: Option<usize>,
}

/// The names nginx resolves while it runs: those of variable `*_pass`es, and of `server NAME
/// resolve` lines.
pub fn resolved(analysis: &Analysis) -> Vec<Resolved> {
    let mut out: Vec<Resolved> = analysis
        .targets
        .iter()
        .filter_map(|t| {
            Some(Resolved {
                upstream: t.upstream.clone(),
                name: t.dns.clone()?,
                server: None,
            })
        })
        .collect();
    for up in &analysis.upstreams {
        for (i, s) in up.servers.iter().enumerate() {
            if let Some(name) = resolve_name(&s.line) {
                out.push(Resolved {
                    upstream: up.name.clone(),
                    name,
                    server: Some(i),
                });
            }
        }
    }
    out
}

/// The name of a `server NAME[:PORT] ... resolve` line.
pub fn resolve_name(line: &str) -> Option<String> {
    let mut words = line.split_whitespace().skip(1);
    let address = words.next()?;
    let rest: Vec<&str> = words.collect();
    // An SRV lookup (`service=`) is not played: the fake's address replaces it.
    if !rest.contains(&"resolve") || rest.iter().any(|w| w.starts_with("service=")) {
        return None;
    }
    let p = super::analyze::split_pass(address)?;
    super::analyze::resolved_name_of(&p)
}

/// The records of a name whose server is at `ip`.
fn answer(ip: Ipv4Addr) -> NameSpec {
    NameSpec {
        answer: Answer::Records,
        a: vec![Record::Ip(ip)],
        aaaa: Vec::new(),
        ttl: Duration::from_secs(30),
        schedule: Vec::new(),
    }
}
