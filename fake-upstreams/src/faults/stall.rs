//! `stall`: read the request, then keep the client waiting before answering.
//!
//! This is the slow or hung backend: with a `delay` longer than nginx's
//! `proxy_read_timeout`, nginx gives up with "upstream timed out (110: Connection timed out)
//! while reading response header from upstream" and answers 504. A stall ends early when the
//! peer closes (nginx timed out and hung up) or the server stops, so nothing leaks.

use std::io;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::request::{self, RawConn};
use crate::size::ByteSize;

/// Config of the `stall` fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct Stall {
    /// How long to wait before a healthy answer, e.g. `500ms`, `5s`. Default: forever.
    #[serde(default, with = "humantime_serde")]
    #[schemars(schema_with = "crate::schema::optional_duration")]
    #[arg(long, value_parser = humantime_serde::re::humantime::parse_duration)]
    pub delay: Option<Duration>,
    /// Size of the pattern body sent once the delay is over. Default: 1k.
    #[serde(default = "default_body_size")]
    #[arg(long, default_value_t = default_body_size())]
    pub body_size: ByteSize,
}

impl Default for Stall {
    fn default() -> Self {
        Self {
            delay: None,
            body_size: default_body_size(),
        }
    }
}

fn default_body_size() -> ByteSize {
    ByteSize::kib(1)
}

impl Stall {
    pub(crate) async fn serve(&self, mut conn: RawConn) -> io::Result<()> {
        let Some(req) = conn.read_request().await? else {
            return Ok(());
        };
        tracing::debug!(?req, "stalling");
        conn.ctx().counters.fire();
        if !conn.hold(self.delay).await? {
            return Ok(());
        }
        let response = request::ok_response(self.body_size.as_usize(), &[]);
        if conn.write_all(&response).await? {
            conn.finish().await;
        }
        Ok(())
    }
}
