//! `close_before_response`: read the request, then close without sending a byte.
//!
//! The peer sees a clean FIN where the response head should be; nginx logs "upstream
//! prematurely closed connection while reading response header from upstream" and answers
//! 502 (or retries, depending on `proxy_next_upstream`).

use std::io;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::request::RawConn;

/// Config of the `close_before_response` fault; it has no knobs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct CloseBeforeResponse {}

impl CloseBeforeResponse {
    pub(crate) async fn serve(&self, mut conn: RawConn) -> io::Result<()> {
        let Some(req) = conn.read_request().await? else {
            return Ok(());
        };
        tracing::debug!(?req, "closing before response");
        conn.ctx().counters.fire();
        conn.finish().await;
        Ok(())
    }
}
