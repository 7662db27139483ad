//! `reset`: read the request, then abort the connection with a TCP RST.
//!
//! Closing with `SO_LINGER` set to 0 makes the kernel send RST instead of FIN, the way a
//! crashing backend or a stateful firewall would; nginx logs "recv() failed (104: Connection
//! reset by peer) while reading response header from upstream".

use std::io;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::request::RawConn;

/// Config of the `reset` fault; it has no knobs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct Reset {}

impl Reset {
    pub(crate) async fn serve(&self, mut conn: RawConn) -> io::Result<()> {
        let Some(req) = conn.read_request().await? else {
            return Ok(());
        };
        tracing::debug!(?req, "resetting");
        conn.ctx().counters.fire();
        conn.reset()
    }
}
