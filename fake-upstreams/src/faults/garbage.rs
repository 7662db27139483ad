//! `garbage`: read the request, answer with bytes that are not HTTP, close.
//!
//! A backend that speaks another protocol on the port (a misrouted `proxy_pass` to a Redis or
//! FastCGI port, a TLS port spoken to in plain text) answers something nginx cannot parse as
//! a status line. nginx 1.22 then logs "upstream sent no valid HTTP/1.0 header while reading
//! response header from upstream" and relays the bytes to the client as an HTTP/0.9
//! response (no status line at all), which a modern client reports as a parse error.

use std::io;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Behavior, Probe};
use crate::request::RawConn;

/// Read the request, answer with bytes that are not HTTP, close.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct Garbage {
    /// What to send instead of a response (YAML escapes such as `"\r\n"` work in double
    /// quotes).
    #[serde(default = "default_bytes")]
    #[arg(long, default_value_t = default_bytes())]
    pub bytes: String,
}

impl Default for Garbage {
    fn default() -> Self {
        Self {
            bytes: default_bytes(),
        }
    }
}

fn default_bytes() -> String {
    "HELLO this is not HTTP\r\n".into()
}

impl Behavior for Garbage {
    const NGINX: &str = "**not a 502**: relayed as HTTP/0.9 (access.log status 009), `upstream sent no valid HTTP/1.0 header`";

    /// Bytes that are not HTTP instead of a response.
    fn probe() -> Option<Probe<Self>> {
        Some(Probe::new(Garbage::default()))
    }

    async fn serve(&self, mut conn: RawConn) -> io::Result<()> {
        let Some(_) = conn.read_request_and_fire("sending garbage").await? else {
            return Ok(());
        };
        if conn.write_all(self.bytes.as_bytes()).await? {
            conn.finish().await;
        }
        Ok(())
    }
}
