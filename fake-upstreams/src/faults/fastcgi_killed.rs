//! `fastcgi_killed`: the PHP-FPM child serving the request dies (connection closed).
//!
//! php-fpm's `request_terminate_timeout` (or the OOM killer, or a segfault) kills the child
//! mid-request; the kernel closes its socket with no END_REQUEST. `at: before_response`:
//! nothing was written, nginx answers 502 `upstream prematurely closed connection while
//! reading response header from upstream`. `at: mid_body`: the head and `after` bytes of
//! the body went out first; nginx has already sent the 200 head to the client, so the
//! client gets a body cut short (see the scenario `php-fpm-child-killed` for what nginx logs
//! with and without `fastcgi_keep_conn`).

use std::io;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::fastcgi_healthy::{FcgiAt, ok_head};
use super::{Behavior, Probe, Protocol};
use crate::body;
use crate::fastcgi::conn::FcgiConn;
use crate::request::RawConn;
use crate::size::ByteSize;

/// The child dies before answering, or after part of the body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct FastcgiKilled {
    /// When the child dies.
    #[serde(default)]
    #[arg(long, value_enum, default_value_t = FcgiAt::default())]
    pub at: FcgiAt,
    /// With `at: mid_body`: body bytes sent before dying; below `body_size`.
    #[serde(default = "default_after")]
    #[arg(long, default_value_t = default_after())]
    pub after: ByteSize,
    /// Size of the pattern body the head announces.
    #[serde(default = "default_body_size")]
    #[arg(long, default_value_t = default_body_size())]
    pub body_size: ByteSize,
}

impl Default for FastcgiKilled {
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

/// `validate` for the faults that stop `at` a point of the body.
pub(crate) fn check_after(kind: &str, after: ByteSize, body_size: ByteSize) -> Result<(), String> {
    if after.as_usize() >= body_size.as_usize() {
        return Err(format!(
            "{kind}: after ({after}) must be below body_size ({body_size})"
        ));
    }
    Ok(())
}

impl Behavior for FastcgiKilled {
    const NGINX: &str = "502, `upstream prematurely closed connection while reading response \
        header from upstream`; `mid_body`: nginx logs 200 and the client gets a short body, \
        cleanly ended with nothing logged (`fastcgi_keep_conn` off) or cut with `upstream \
        prematurely closed connection while reading upstream` (on)";
    const PROTOCOL: Protocol = Protocol::FastCgi;

    /// The child dies after 1 KiB of an 8 KiB body (before the response is what
    /// `close_before_response` plays over FastCGI).
    fn probe() -> Option<Probe<Self>> {
        Some(Probe::new(FastcgiKilled {
            at: FcgiAt::MidBody,
            ..FastcgiKilled::default()
        }))
    }

    fn validate(&self) -> Result<(), String> {
        check_after("fastcgi_killed", self.after, self.body_size)
    }

    async fn serve(&self, conn: RawConn) -> io::Result<()> {
        let mut conn = FcgiConn::new(conn);
        let Some(req) = conn.read_request_and_fire("child killed").await? else {
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
        conn.finish().await;
        Ok(())
    }
}
