//! The fake DNS server of one run of a config whose variable `*_pass` names a host: it
//! answers each such name with the address of that upstream's fake (A records, no AAAA:
//! an empty answer), so nginx's `resolver`, re-pointed at it by the rewrite, finds the fake
//! the way it would find the real server. Names it was not told get NXDOMAIN.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use fake_upstreams::dns::{Answer, DnsServer, DnsSpec, NameSpec, Target as Record};
use tokio_util::sync::CancellationToken;

use super::analyze::Analysis;
use super::rewrite::Assignment;

/// Start the fake DNS server for the names the targets resolve (`None`: no target does).
pub async fn start(
    analysis: &Analysis,
    a: &Assignment,
    cancel: &CancellationToken,
) -> Result<Option<DnsServer>, String> {
    let mut spec = DnsSpec::default();
    for t in &analysis.targets {
        let (Some(name), Some(fake)) = (&t.dns, a.literals.get(&t.upstream)) else {
            continue;
        };
        let ip = match fake.parse::<SocketAddr>().map(|s| s.ip()) {
            Ok(IpAddr::V4(ip)) => ip,
            _ => Ipv4Addr::LOCALHOST,
        };
        spec.0.insert(name.clone(), answer(ip));
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
