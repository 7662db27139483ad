//! `close_mid_body`: announce a body, send part of it, close.
//!
//! The backend crashed (or was killed by a deploy) while streaming a response. nginx has
//! already sent the status line to the client, so it cannot turn this into a 502: it logs
//! "upstream prematurely closed connection while reading upstream" and the client gets a
//! truncated body (a `truncated` outcome, or `corrupt` when a cache hid the cut).

use std::io;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Behavior, Probe};
use crate::body;
use crate::request::{self, RawConn};
use crate::size::ByteSize;

/// Announce a body, send part of it, close.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct CloseMidBody {
    /// Body size announced in `Content-Length` (and the digest header).
    #[serde(default = "default_body_size")]
    #[arg(long, default_value_t = default_body_size())]
    pub body_size: ByteSize,
    /// Bytes of the body actually sent before the FIN; less than `body_size`.
    #[serde(default = "default_send")]
    #[arg(long, default_value_t = default_send())]
    pub send: ByteSize,
}

impl Default for CloseMidBody {
    fn default() -> Self {
        Self {
            body_size: default_body_size(),
            send: default_send(),
        }
    }
}

pub(crate) fn default_body_size() -> ByteSize {
    ByteSize::kib(16)
}

pub(crate) fn default_send() -> ByteSize {
    ByteSize::kib(4)
}

/// The partial response both mid-body faults send: head, then `send` of `body_size` bytes.
pub(crate) fn partial_response(body_size: ByteSize, send: ByteSize) -> Result<Vec<u8>, String> {
    if send >= body_size {
        return Err(format!(
            "send ({send}) must be less than body_size ({body_size}), or the body is complete"
        ));
    }
    let mut out = request::ok_head(body_size.as_usize(), false, &[]);
    out.extend_from_slice(&body::pattern(body_size.as_usize())[..send.as_usize()]);
    Ok(out)
}

/// Read one request, count the firing and send the partial response. `Ok(false)` when there
/// was no request or the peer went away, so the caller stops.
pub(crate) async fn send_partial(
    conn: &mut RawConn,
    body_size: ByteSize,
    send: ByteSize,
) -> io::Result<bool> {
    let Some(_) = conn.read_request_and_fire("sending part of the body").await? else {
        return Ok(false);
    };
    let partial = partial_response(body_size, send).map_err(io::Error::other)?;
    conn.write_all(&partial).await
}

impl Behavior for CloseMidBody {
    const NGINX: &str = "**truncated 200**, `upstream prematurely closed connection while reading upstream`";

    /// 4 KiB of an announced 16 KiB body, then a close.
    fn probe() -> Option<Probe<Self>> {
        Some(Probe::new(CloseMidBody {
            body_size: ByteSize::kib(16),
            send: ByteSize::kib(4),
        }))
    }

    fn validate(&self) -> Result<(), String> {
        partial_response(self.body_size, self.send)
            .map(drop)
            .map_err(|msg| format!("close_mid_body: {msg}"))
    }

    async fn serve(&self, mut conn: RawConn) -> io::Result<()> {
        if send_partial(&mut conn, self.body_size, self.send).await? {
            conn.finish().await;
        }
        Ok(())
    }
}
