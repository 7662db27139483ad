//! The fake DNS server's sockets: UDP and TCP on one loopback port (nginx's `resolver` takes
//! `address[:port]` and asks over UDP; a client whose UDP answer is truncated asks again over
//! TCP), each query decoded with hickory-proto, counted under its name, and answered from the
//! [`Zone`] at the time since [`DnsServer::start_schedule`].

use std::collections::BTreeMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hickory_proto::op::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::zone::Zone;

/// How many times a free UDP port is drawn until its TCP twin is free too.
const BIND_ATTEMPTS: usize = 20;

/// Queries the server received, per lowercase name (names it does not know included).
#[derive(Debug, Default)]
pub struct DnsCounters {
    queries: Mutex<BTreeMap<String, u64>>,
}

impl DnsCounters {
    fn count(&self, name: &str) {
        let mut queries = self.queries.lock().unwrap_or_else(|e| e.into_inner());
        *queries.entry(name.to_string()).or_default() += 1;
    }

    /// The queries so far, per name.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.queries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// What the socket tasks share: the answers, the schedule's zero, the counters.
#[derive(Debug)]
struct Shared {
    zone: Zone,
    started: Mutex<Option<Instant>>,
    counters: DnsCounters,
}

impl Shared {
    /// Decode, count and answer one query; `None`: no reply (undecodable, or `timeout`).
    fn answer(&self, bytes: &[u8]) -> Option<Vec<u8>> {
        let query = Message::from_vec(bytes).ok()?;
        self.counters
            .count(&Zone::asked(&query).unwrap_or_default());
        let started = *self.started.lock().unwrap_or_else(|e| e.into_inner());
        let reply = self.zone.reply(&query, started.map(|s| s.elapsed()))?;
        reply.to_vec().ok()
    }
}

/// A running fake DNS server; dropping it stops it.
#[derive(Debug)]
pub struct DnsServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
    tasks: JoinSet<()>,
}

impl DnsServer {
    /// Serve `zone` over UDP and TCP on one free port of `ip` (a loopback address).
    pub async fn spawn(zone: Zone, ip: IpAddr, shutdown: CancellationToken) -> io::Result<Self> {
        let (udp, tcp) = bind_pair(ip).await?;
        let addr = udp.local_addr()?;
        let shared = Arc::new(Shared {
            zone,
            started: Mutex::new(None),
            counters: DnsCounters::default(),
        });
        let shutdown = shutdown.child_token();
        let mut tasks = JoinSet::new();
        tasks.spawn(serve_udp(udp, shared.clone(), shutdown.clone()));
        tasks.spawn(serve_tcp(tcp, shared.clone(), shutdown.clone()));
        tracing::debug!(%addr, "fake DNS server started");
        Ok(DnsServer {
            addr,
            shared,
            shutdown,
            tasks,
        })
    }

    /// The address for nginx's `resolver` (UDP and TCP alike).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Start the names' schedules now (call as the load starts); until then every name
    /// gets its first answer.
    pub fn start_schedule(&self) {
        *self
            .shared
            .started
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
    }

    /// Queries so far, per name.
    pub fn queries(&self) -> BTreeMap<String, u64> {
        self.shared.counters.snapshot()
    }

    /// Stop serving and wait for the socket tasks; returns the queries per name.
    pub async fn stop(mut self) -> BTreeMap<String, u64> {
        self.shutdown.cancel();
        while self.tasks.join_next().await.is_some() {}
        self.queries()
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn bind_pair(ip: IpAddr) -> io::Result<(UdpSocket, TcpListener)> {
    let mut last = None;
    for _ in 0..BIND_ATTEMPTS {
        let udp = UdpSocket::bind((ip, 0)).await?;
        match TcpListener::bind(udp.local_addr()?).await {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no free DNS port")))
}

async fn serve_udp(socket: UdpSocket, shared: Arc<Shared>, shutdown: CancellationToken) {
    let mut buf = vec![0u8; 65535];
    loop {
        let (n, peer) = tokio::select! {
            _ = shutdown.cancelled() => return,
            got = socket.recv_from(&mut buf) => match got {
                Ok(got) => got,
                Err(e) => {
                    tracing::debug!(error = %e, "fake DNS: UDP receive failed");
                    continue;
                }
            },
        };
        if let Some(reply) = shared.answer(&buf[..n]) {
            let _ = socket.send_to(&reply, peer).await;
        }
    }
}

async fn serve_tcp(listener: TcpListener, shared: Arc<Shared>, shutdown: CancellationToken) {
    let mut conns = JoinSet::new();
    loop {
        let stream = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let (shared, shutdown) = (shared.clone(), shutdown.clone());
        conns.spawn(async move {
            tokio::select! {
                _ = shutdown.cancelled() => {}
                _ = serve_tcp_conn(stream, &shared) => {}
            }
        });
    }
    conns.shutdown().await;
}

/// Length-prefixed messages (RFC 1035 4.2.2) until the client closes; a `timeout` name gets
/// no reply but the connection stays open.
async fn serve_tcp_conn(mut stream: TcpStream, shared: &Shared) -> io::Result<()> {
    loop {
        let len = stream.read_u16().await? as usize;
        let mut msg = vec![0u8; len];
        stream.read_exact(&mut msg).await?;
        if let Some(reply) = shared.answer(&msg) {
            stream.write_u16(reply.len() as u16).await?;
            stream.write_all(&reply).await?;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use hickory_proto::op::{Query, ResponseCode};
    use hickory_proto::rr::{Name, RData, RecordType};

    use super::*;
    use crate::dns::DnsSpec;

    /// Bound on every wait: the server answers at once, so only a broken one comes near it.
    const LIMIT: Duration = Duration::from_secs(10);

    async fn server(yaml: &str) -> DnsServer {
        let spec: DnsSpec = serde_saphyr::from_str(yaml).unwrap();
        spec.validate().unwrap();
        let blue = |_: &str, _: &str| Some(Ipv4Addr::new(127, 0, 0, 2));
        let zone = spec.resolve(&blue).unwrap();
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        DnsServer::spawn(zone, ip, CancellationToken::new())
            .await
            .unwrap()
    }

    fn query(name: &str) -> (u16, Vec<u8>) {
        let mut m = Message::query();
        m.metadata.recursion_desired = true;
        m.add_query(Query::query(Name::from_ascii(name).unwrap(), RecordType::A));
        (m.metadata.id, m.to_vec().unwrap())
    }

    async fn ask_udp(addr: SocketAddr, name: &str) -> Option<Message> {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let (id, bytes) = query(name);
        socket.send_to(&bytes, addr).await.unwrap();
        let mut buf = vec![0u8; 4096];
        let wait = Duration::from_millis(500); // a reply on loopback comes at once
        let (n, _) = tokio::time::timeout(wait, socket.recv_from(&mut buf))
            .await
            .ok()?
            .unwrap();
        let reply = Message::from_vec(&buf[..n]).unwrap();
        assert_eq!(reply.metadata.id, id);
        Some(reply)
    }

    fn addresses(m: &Message) -> Vec<IpAddr> {
        let ip = |d: &RData| match d {
            RData::A(a) => Some(IpAddr::V4(a.0)),
            _ => None,
        };
        m.answers.iter().filter_map(|r| ip(&r.data)).collect()
    }

    #[tokio::test]
    async fn answers_over_udp_and_counts_queries_per_name() {
        let dns = server("app.internal: { a: ['{{upstream.app.blue}}'], ttl: 7s }\n").await;
        let reply = ask_udp(dns.addr(), "app.internal.").await.expect("a reply");
        assert_eq!(addresses(&reply), [IpAddr::from([127, 0, 0, 2])]);
        assert_eq!(reply.answers[0].ttl, 7);
        assert!(reply.metadata.authoritative);
        let nx = ask_udp(dns.addr(), "nope.internal.")
            .await
            .expect("a reply");
        assert_eq!(nx.metadata.response_code, ResponseCode::NXDomain);
        ask_udp(dns.addr(), "APP.internal.").await.expect("a reply");
        let queries = dns.stop().await;
        assert_eq!(queries.get("app.internal"), Some(&2));
        assert_eq!(queries.get("nope.internal"), Some(&1));
    }

    #[tokio::test]
    async fn a_timeout_name_gets_no_reply_but_is_counted() {
        let dns = server("slow.internal: { answer: timeout }\n").await;
        assert!(ask_udp(dns.addr(), "slow.internal.").await.is_none());
        assert_eq!(dns.queries().get("slow.internal"), Some(&1));
    }

    #[tokio::test]
    async fn answers_over_tcp_on_the_same_port() {
        let dns = server("app.internal: { a: [127.1.2.3] }\n").await;
        let mut stream = TcpStream::connect(dns.addr()).await.unwrap();
        let (id, bytes) = query("app.internal.");
        let exchange = async {
            stream.write_u16(bytes.len() as u16).await?;
            stream.write_all(&bytes).await?;
            let len = stream.read_u16().await? as usize;
            let mut buf = vec![0u8; len];
            stream.read_exact(&mut buf).await?;
            io::Result::Ok(buf)
        };
        let buf = tokio::time::timeout(LIMIT, exchange)
            .await
            .unwrap()
            .unwrap();
        let reply = Message::from_vec(&buf).unwrap();
        assert_eq!(reply.metadata.id, id);
        assert_eq!(addresses(&reply), [IpAddr::from([127, 1, 2, 3])]);
    }

    #[tokio::test]
    async fn the_schedule_starts_when_asked() {
        let yaml =
            "app.internal:\n  a: [127.0.0.1]\n  schedule: [{ after: 0s, answer: nxdomain }]\n";
        let dns = server(yaml).await;
        let first = ask_udp(dns.addr(), "app.internal.").await.unwrap();
        assert_eq!(addresses(&first), [IpAddr::from([127, 0, 0, 1])]);
        dns.start_schedule();
        let later = ask_udp(dns.addr(), "app.internal.").await.unwrap();
        assert_eq!(later.metadata.response_code, ResponseCode::NXDomain);
    }
}
