//! `stall_body`: send the head and part of the body, then stop sending.
//!
//! A backend that hangs while streaming (a slow report, a blocked database cursor). Headers
//! already went to the client, so when `proxy_read_timeout` passes between two reads nginx
//! logs "upstream timed out (110: Connection timed out) while reading upstream" and cuts the
//! client's response short: no 504 is possible any more, the client sees a truncated body.
//! With a `delay` below the timeout the rest follows and the response is complete.

use std::io;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::close_mid_body::{default_body_size, default_send, partial_response, send_partial};
use super::Behavior;
use crate::body;
use crate::request::RawConn;
use crate::size::ByteSize;

/// Announce a body, send part of it, then stall (forever by default) before the rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct StallBody {
    /// Body size announced in `Content-Length` (and the digest header).
    #[serde(default = "default_body_size")]
    #[arg(long, default_value_t = default_body_size())]
    pub body_size: ByteSize,
    /// Bytes of the body sent before the stall; less than `body_size`.
    #[serde(default = "default_send")]
    #[arg(long, default_value_t = default_send())]
    pub send: ByteSize,
    /// How long to stall before sending the rest, e.g. `5s`. Default: forever (until the
    /// client closes or the server stops).
    #[serde(default, with = "crate::duration")]
    #[schemars(schema_with = "crate::schema::optional_duration")]
    #[arg(long, value_parser = humantime_serde::re::humantime::parse_duration)]
    pub delay: Option<Duration>,
}

impl Default for StallBody {
    fn default() -> Self {
        Self {
            body_size: default_body_size(),
            send: default_send(),
            delay: None,
        }
    }
}

impl Behavior for StallBody {
    const NGINX: &str = "**truncated 200** after `proxy_read_timeout`, `upstream timed out … while reading upstream`";

    fn validate(&self) -> Result<(), String> {
        partial_response(self.body_size, self.send)
            .map(drop)
            .map_err(|msg| format!("stall_body: {msg}"))
    }

    async fn serve(&self, mut conn: RawConn) -> io::Result<()> {
        let sent = send_partial(&mut conn, self.body_size, self.send).await?;
        if !sent || !conn.hold(self.delay).await? {
            return Ok(());
        }
        let rest = body::pattern(self.body_size.as_usize()).slice(self.send.as_usize()..);
        if conn.write_all(&rest).await? {
            conn.finish().await;
        }
        Ok(())
    }
}
