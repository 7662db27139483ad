//! Upstreams as `check` reads them: an `upstream NAME {}` block with its `server` lines, or
//! the implicit upstream of a literal address in a `*_pass`.

use super::{Pass, Protocol, Untested, Upstream, UpstreamServer, untested};
use crate::nginxconf::Directive;

pub(super) fn upstream_block(up: &Directive, untested_out: &mut Vec<Untested>) -> Upstream {
    let name = up.arg(0).unwrap_or_default();
    let servers = up
        .children()
        .filter(|d| d.name == "server")
        .map(|s| {
            // `resolve` on a name is played through the fake DNS server (`names`); an SRV
            // lookup is not.
            if s.args.iter().any(|a| a.value().starts_with("service=")) {
                untested_out.push(untested(
                    s,
                    "server ... resolve",
                    "DNS re-resolution is not tested: the server becomes one fake address",
                ));
            }
            UpstreamServer {
                address: s.arg(0).unwrap_or_default(),
                backup: s.args.iter().any(|a| a.value() == "backup"),
                line: std::iter::once("server".to_string())
                    .chain(s.args.iter().map(|a| a.raw.clone()))
                    .collect::<Vec<_>>()
                    .join(" "),
            }
        })
        .collect();
    Upstream {
        name,
        implicit: false,
        servers,
        tls: None,
        protocol: Protocol::Http,
    }
}

/// The upstream block named by `p`, or an implicit one for a literal address.
pub(super) fn upstream_for(p: &Pass, upstreams: &mut Vec<Upstream>) -> String {
    let host = p.authority.split(':').next().unwrap_or("");
    if let Some(up) = upstreams
        .iter()
        .find(|u| !u.implicit && (u.name == p.authority || u.name == host))
    {
        return up.name.clone();
    }
    if !upstreams.iter().any(|u| u.name == p.authority) {
        upstreams.push(Upstream {
            name: p.authority.clone(),
            implicit: true,
            servers: vec![UpstreamServer {
                address: p.authority.clone(),
                backup: false,
                line: format!("(literal) {}", p.authority),
            }],
            tls: None,
            protocol: Protocol::Http,
        });
    }
    p.authority.clone()
}
