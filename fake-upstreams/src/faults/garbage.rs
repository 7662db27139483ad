//! `garbage`: answer with bytes that are not HTTP, close.
//!
//! A backend that speaks another protocol on the port (a misrouted `proxy_pass` to a Redis,
//! FastCGI or SSH port, a TLS port spoken to in plain text) answers something nginx cannot
//! parse as a status line. nginx then logs "upstream sent no valid HTTP/1.0 header while
//! reading response header from upstream" and relays the bytes to the client as an HTTP/0.9
//! response (no status line at all; access.log status 009), which a modern client reports as
//! a parse error.
//!
//! nginx then keeps the client connection alive with no length given, so a client sees the
//! bytes and then waits (curl `--http0.9 -m 10`: the bytes, then its timeout; plain curl:
//! "Received HTTP/0.9 when not allowed").
//!
//! `bytes` may be any byte sequence (`hex:`/`base64:`, see [`RawBytes`]). With `when:
//! request` (default) they follow the request, and `fired` counts the request (its record is
//! `fired: true`). With `when: accept` they are sent as soon as the connection is accepted,
//! before anything is read, as an SSH server sends its banner (`SSH-2.0-OpenSSH_9.2p1\r\n`);
//! `fired` counts the connection there and then, and the server reads the request (recorded
//! with `fired: false`, the misbehaviour came before it) and closes. Whether nginx sends its
//! request at all then is a race inside nginx: when the banner is already there as nginx sees
//! its connect complete, it reads the banner as an HTTP/0.9 response and never sends the
//! request; the server waits for one (as sshd waits for the client's identification) until
//! `proxy_read_timeout` ends it with "upstream timed out (110: Connection timed out) while
//! reading upstream". Measured on 1.22/1.26/1.30: 2 to 3 of 4 requests sent.

use std::io;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Behavior, Probe};
use crate::raw_bytes::RawBytes;
use crate::request::RawConn;

/// When `garbage` sends its bytes.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum GarbageWhen {
    /// As soon as the connection is accepted, before reading (a banner).
    Accept,
    /// After reading the request.
    #[default]
    Request,
}

/// Answer with bytes that are not HTTP (after the request, or on accept like a banner), close.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct Garbage {
    /// What to send instead of a response: text (YAML escapes such as `"\r\n"` work in double
    /// quotes), `hex:0d0a…` or `base64:…`.
    #[serde(default = "default_bytes")]
    #[arg(long, default_value_t = default_bytes(), value_parser = crate::raw_bytes::parse)]
    pub bytes: RawBytes,
    /// `request` (after reading the request) or `accept` (before reading anything).
    #[serde(default)]
    #[arg(long, value_enum, default_value_t = GarbageWhen::Request)]
    pub when: GarbageWhen,
}

impl Default for Garbage {
    fn default() -> Self {
        Self {
            bytes: default_bytes(),
            when: GarbageWhen::Request,
        }
    }
}

fn default_bytes() -> RawBytes {
    RawBytes::from("HELLO this is not HTTP\r\n")
}

impl Behavior for Garbage {
    const NGINX: &str = "**not a 502**: relayed as HTTP/0.9 (access.log status 009), `upstream sent no valid HTTP/1.0 header`";

    /// Bytes that are not HTTP instead of a response.
    fn probe() -> Option<Probe<Self>> {
        Some(Probe::new(Garbage::default()))
    }

    async fn serve(&self, mut conn: RawConn) -> io::Result<()> {
        let bytes = self.bytes.as_slice();
        let request = match self.when {
            GarbageWhen::Accept => {
                conn.fire(); // before any request: counted for the connection alone
                if !conn.write_all(bytes).await? {
                    return Ok(());
                }
                conn.read_request().await?
            }
            GarbageWhen::Request => {
                let request = conn.read_request_and_fire("sending garbage").await?;
                if request.is_some() && !conn.write_all(bytes).await? {
                    return Ok(());
                }
                request
            }
        };
        if request.is_some() {
            conn.finish().await;
        }
        Ok(())
    }
}
