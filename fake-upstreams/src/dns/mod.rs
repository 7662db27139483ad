//! A fake DNS server: the names a scenario's nginx resolves, answered from scenario data.
//!
//! Behind many 502s is name resolution, not the upstream: nginx resolved a name once at start
//! and keeps connecting to an address the upstream left (`connect() failed (111: Connection
//! refused)`), a name does not exist (`host not found in upstream`, `could not be resolved
//! (3: Host not found)`), or the resolver never answers (`(110: Operation timed out)`). This
//! server is nginx's `resolver`: per name it answers A and AAAA records with TTLs that change
//! on a schedule (the same `after:` idea as a server's `schedule`), NXDOMAIN, SERVFAIL, or
//! nothing at all. It listens on UDP and TCP at one loopback port and counts the queries per
//! name, the upstream side's witness of how often nginx re-resolved.
//!
//! ```yaml
//! app.internal:
//!   a: ["{{upstream.app.blue}}"]   # a server of the scenario, or a literal IPv4 address
//!   ttl: 1s
//!   schedule:
//!     - { after: 2s, a: ["{{upstream.app.green}}"] }   # a step states the whole answer
//! gone.internal: { answer: nxdomain }
//! ```
//!
//! `spec.rs` is the YAML form, `zone.rs` the resolved answers and the DNS messages (via
//! hickory-proto), `server.rs` the sockets.

mod server;
mod spec;
mod zone;

pub use server::{DnsCounters, DnsServer};
pub use spec::{Answer, DnsSpec, NameSpec, NameStep, Target};
pub use zone::{Records, Zone};
