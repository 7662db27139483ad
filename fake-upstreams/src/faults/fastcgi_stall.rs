//! `fastcgi_stall`: a PHP script that hangs (a lock, a slow query), before or mid-response.
//!
//! `at: before_response`: the request is read and nothing is written until nginx gives up:
//! 504 `upstream timed out (110: Connection timed out) while reading response header from
//! upstream` once `fastcgi_read_timeout` passes (fixed by a longer one only if the script
//! ever finishes). `at: mid_body`: the head and `after` bytes of the body go out, then
//! nothing: `fastcgi_read_timeout` runs between two reads, nginx logs `upstream timed out
//! … while reading upstream` and the client's body is cut. The connection stays open until
//! nginx closes it or the server stops.

use std::io;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::fastcgi_healthy::{FcgiAt, ok_head};
use super::fastcgi_killed::check_after;
use super::{Behavior, Protocol};
use crate::body;
use crate::fastcgi::conn::FcgiConn;
use crate::request::RawConn;
use crate::size::ByteSize;

/// Stop answering before the response, or after part of the body, and hold the connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct FastcgiStall {
    /// Where the script hangs.
    #[serde(default)]
    #[arg(long, value_enum, default_value_t = FcgiAt::default())]
    pub at: FcgiAt,
    /// With `at: mid_body`: body bytes sent before hanging; below `body_size`.
    #[serde(default = "default_after")]
    #[arg(long, default_value_t = default_after())]
    pub after: ByteSize,
    /// Size of the pattern body the head announces.
    #[serde(default = "default_body_size")]
    #[arg(long, default_value_t = default_body_size())]
    pub body_size: ByteSize,
}

impl Default for FastcgiStall {
    fn default() -> Self {
        Self {
            at: FcgiAt::default(),
            after: default_after(),
            body_size: default_body_size(),
        }
    }
}

fn default_after() -> ByteSize {
    ByteSize::kib(1)
}

fn default_body_size() -> ByteSize {
    ByteSize::kib(8)
}

impl Behavior for FastcgiStall {
    const NGINX: &str = "**504** once `fastcgi_read_timeout` passes: `upstream timed out (110: …) \
        while reading response header from upstream`; `mid_body`: a truncated 200, `upstream \
        timed out (110: …) while reading upstream`";
    const PROTOCOL: Protocol = Protocol::FastCgi;

    fn validate(&self) -> Result<(), String> {
        check_after("fastcgi_stall", self.after, self.body_size)
    }

    async fn serve(&self, conn: RawConn) -> io::Result<()> {
        let mut conn = FcgiConn::new(conn);
        let Some(req) = conn.read_request_and_fire("stalling").await? else {
            return Ok(());
        };
        if self.at == FcgiAt::MidBody {
            let size = self.body_size.as_usize();
            let mut out = ok_head(size, false, &[]);
            out.extend_from_slice(&body::pattern(size)[..self.after.as_usize()]);
            if !conn.stdout(&req, &out).await? {
                return Ok(());
            }
        }
        conn.hold(None).await?;
        Ok(())
    }
}
