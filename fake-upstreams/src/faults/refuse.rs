//! `refuse`: nothing listens on the port, so connects fail with ECONNREFUSED.
//!
//! This is the "upstream is down" case (nginx: `connect() failed (111: Connection refused)`).
//! Rather than leaving the port free, where another process could take it and answer, the
//! server binds a socket to the address and never calls `listen()` (see
//! [`Door`](crate::listener)): the port stays reserved for the server's lifetime and the
//! kernel refuses every connect. Over a unix socket the socket file stays, with no listener
//! behind it, which also gives ECONNREFUSED (`connect() to unix:... failed (111: Connection
//! refused)`), as after a crashed PHP-FPM. As a schedule step, `refuse` closes the listener
//! and ends the open connections; a later step listens again at the same address. Because
//! nothing is accepted, a server that only refuses has `observable: false` counters.

use std::io;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Behavior, Protocol, Probe};
use crate::request::RawConn;

/// Listen on nothing: the port is reserved but connects are refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct Refuse {}

impl Behavior for Refuse {
    const PROTOCOL: Protocol = Protocol::Any;

    const ACCEPTS: bool = false;

    const NGINX: &str = "502, `connect() failed (111: Connection refused)`";

    /// Nothing listens: connects are refused (the application is down).
    fn probe() -> Option<Probe<Self>> {
        Some(Probe::new(Refuse {}))
    }

    async fn serve(&self, _conn: RawConn) -> io::Result<()> {
        Ok(()) // never accepts; nothing reaches here
    }
}
