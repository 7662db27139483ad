//! `close_before_response`: read the request, then close without sending a byte.
//!
//! The peer sees a clean FIN where the response head should be; nginx logs "upstream
//! prematurely closed connection while reading response header from upstream" and answers
//! 502 (or retries, depending on `proxy_next_upstream`).

use std::io;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Behavior, Protocol, Probe};
use crate::request::RawConn;

/// Read the request, then close without a byte of response.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct CloseBeforeResponse {}

impl Behavior for CloseBeforeResponse {
    const PROTOCOL: Protocol = Protocol::Any;

    const NGINX: &str = "502, `upstream prematurely closed connection while reading response header`";

    /// The request is read, the connection closed without a byte (a crash).
    fn probe() -> Option<Probe<Self>> {
        Some(Probe::new(CloseBeforeResponse {}))
    }

    async fn serve(&self, mut conn: RawConn) -> io::Result<()> {
        let Some(_) = crate::fastcgi::conn::read_either_and_fire(&mut conn, "closing before response").await? else {
            return Ok(());
        };
        conn.finish().await;
        Ok(())
    }
}
