//! Name resolution for one nginx session of a scenario with a `dns:` section: where the
//! servers its records point at listen, the fake DNS server nginx's `resolver` asks, and the
//! hosts file nginx resolves names with at start.
//!
//! DNS carries addresses, not ports, so "the upstream moved" must keep the port: every server
//! a record names listens on one shared port, each on its own loopback address (127.0.0.2,
//! 127.0.0.3, ...), and `{{dns.NAME}}` stands for `NAME:port`. A name nginx resolves at start
//! (`server app.internal:8080;` without `resolver`) is looked up with the system resolver; the
//! run dir's `hosts` (each name's first answer, when it has addresses) and `nsswitch.conf`
//! (`hosts: files`, so a name missing there fails at once instead of reaching the machine's
//! DNS) are what nginx sees as /etc/hosts and /etc/nsswitch.conf in its private mount
//! namespace (see `nginx::hosts`). The machine's own files are never written.

use std::collections::BTreeMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use fake_upstreams::dns::{DnsServer, DnsSpec};
use tokio_util::sync::CancellationToken;

use crate::nginx::RunDir;
use crate::upstreams::{Key, Servers};

/// The loopback address of the `i`-th server a record names (0-based): 127.0.0.2 on.
fn server_ip(i: usize) -> Ipv4Addr {
    let n = u32::from(Ipv4Addr::new(127, 0, 0, 2)) + i as u32;
    Ipv4Addr::from(n)
}

/// Where each server the records name must listen: its own loopback address, one port for
/// all (a free one of 127.0.0.2, or `0` when the records name no server).
pub fn binds(spec: &DnsSpec) -> io::Result<(u16, BTreeMap<Key, SocketAddr>)> {
    let servers = spec.servers();
    let port = std::net::TcpListener::bind((server_ip(0), 0))?
        .local_addr()?
        .port();
    let binds = servers
        .into_iter()
        .enumerate()
        .map(|(i, key)| (key, SocketAddr::from((server_ip(i), port))))
        .collect();
    Ok((port, binds))
}

/// The running fake DNS server of a session and what the config's placeholders need.
pub struct NameService {
    server: DnsServer,
    /// The port `{{dns.NAME}}` carries.
    port: u16,
    names: Vec<String>,
}

impl NameService {
    /// Serve `spec` with each `{{upstream.NAME.SERVER}}` replaced by that running server's
    /// address, and write the run dir's `hosts` and `nsswitch.conf`.
    pub async fn start(
        spec: &DnsSpec,
        port: u16,
        servers: &Servers,
        dir: &RunDir,
        cancel: &CancellationToken,
    ) -> io::Result<NameService> {
        let addresses = servers.addresses();
        let addr_of = |upstream: &str, server: &str| {
            let addr = addresses.get(&(upstream.to_string(), server.to_string()))?;
            match addr.parse::<SocketAddr>().ok()?.ip() {
                IpAddr::V4(ip) => Some(ip),
                IpAddr::V6(_) => None,
            }
        };
        let zone = spec.resolve(&addr_of).map_err(io::Error::other)?;
        write_hosts(spec, &addr_of, dir)?;
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let server = DnsServer::spawn(zone, ip, cancel.child_token()).await?;
        Ok(NameService {
            server,
            port,
            names: spec.0.keys().cloned().collect(),
        })
    }

    /// `{{dns}}` (the resolver's `address:port`) and each `{{dns.NAME}}` (`NAME:port`).
    pub fn placeholders(&self) -> (String, Vec<(String, String)>) {
        let names = self.names.iter();
        let names = names.map(|n| (n.clone(), format!("{n}:{}", self.port)));
        (self.server.addr().to_string(), names.collect())
    }

    /// Start the names' schedules: call as the load starts, with the servers' schedules.
    pub fn start_schedule(&self) {
        self.server.start_schedule();
    }

    /// Stop the DNS server; the queries it got, per name.
    pub async fn stop(self) -> BTreeMap<String, u64> {
        self.server.stop().await
    }
}

/// Write the run dir's `hosts` (each name's first addresses, from `addr_of` for servers) and
/// `nsswitch.conf`, which nginx then sees as its /etc files (see `nginx::hosts`).
pub fn write_hosts(
    spec: &DnsSpec,
    addr_of: &impl Fn(&str, &str) -> Option<Ipv4Addr>,
    dir: &RunDir,
) -> io::Result<()> {
    std::fs::write(dir.hosts(), spec.hosts_file(addr_of))?;
    std::fs::write(dir.nsswitch(), nsswitch(&system_nsswitch()))
}

/// The placeholders of `{{dns}}` and `{{dns.NAME}}` where no DNS server runs (`validate`):
/// the resolver at `127.0.0.1:53` and every name at `port`.
pub fn placeholder_names(spec: &DnsSpec, port: u16) -> (String, Vec<(String, String)>) {
    let names = spec.0.keys().map(|n| (n.clone(), format!("{n}:{port}")));
    ("127.0.0.1:53".into(), names.collect())
}

fn system_nsswitch() -> String {
    std::fs::read_to_string("/etc/nsswitch.conf").unwrap_or_default()
}

/// The machine's nsswitch.conf with hosts looked up in files only (passwd and group stay as
/// they are: nginx looks up its `user`).
fn nsswitch(system: &str) -> String {
    let mut out: Vec<String> = system
        .lines()
        .filter(|l| !l.trim_start().starts_with("hosts:"))
        .map(str::to_string)
        .collect();
    if !out.iter().any(|l| l.trim_start().starts_with("passwd:")) {
        out.extend(["passwd: files", "group: files"].map(String::from));
    }
    out.push("hosts: files".into());
    out.join("\n") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_named_by_records_share_a_port_on_their_own_addresses() {
        let spec: DnsSpec = serde_saphyr::from_str(
            "a.internal: { a: ['{{upstream.app.blue}}'], schedule: [{ after: 1s, a: \
             ['{{upstream.app.green}}'] }] }\nb.internal: { a: ['{{upstream.app.blue}}'] }\n",
        )
        .unwrap();
        let (port, binds) = binds(&spec).unwrap();
        assert_ne!(port, 0);
        let blue = binds[&("app".to_string(), "blue".to_string())];
        let green = binds[&("app".to_string(), "green".to_string())];
        assert_eq!((blue.port(), green.port()), (port, port));
        assert_ne!(blue.ip(), green.ip());
        assert_eq!(binds.len(), 2);
    }

    #[test]
    fn nsswitch_keeps_users_and_looks_hosts_up_in_files_only() {
        let system = "passwd: files systemd\nhosts:   files mdns4_minimal dns\nnetworks: files\n";
        let ours = nsswitch(system);
        assert!(ours.contains("passwd: files systemd\n"), "{ours}");
        assert!(
            ours.contains("hosts: files\n") && !ours.contains("dns"),
            "{ours}"
        );
        assert!(nsswitch("").contains("passwd: files\n"));
    }
}
