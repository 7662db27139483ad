//! `reset`: read the request, then abort the connection with a TCP RST.
//!
//! Closing with `SO_LINGER` set to 0 makes the kernel send RST instead of FIN, the way a
//! crashing backend or a stateful firewall would; nginx logs "recv() failed (104: Connection
//! reset by peer) while reading response header from upstream".

use std::io;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Behavior, Protocol, Probe};
use crate::request::RawConn;

/// Read the request, then reset the connection (TCP RST; a plain close on unix sockets).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct Reset {}

impl Behavior for Reset {
    const PROTOCOL: Protocol = Protocol::Any;

    const NGINX: &str = "502, `recv() failed (104: Connection reset by peer)`";

    /// The request is read, the connection reset.
    fn probe() -> Option<Probe<Self>> {
        Some(Probe::new(Reset {}))
    }

    async fn serve(&self, mut conn: RawConn) -> io::Result<()> {
        let Some(_) = crate::fastcgi::conn::read_either_and_fire(&mut conn, "resetting").await? else {
            return Ok(());
        };
        conn.reset()
    }
}
