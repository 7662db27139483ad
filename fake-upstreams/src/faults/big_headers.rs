//! `big_headers`: answer with a response head larger than nginx's proxy buffer.
//!
//! nginx reads the whole upstream response head into `proxy_buffer_size` (4k or 8k by
//! default). A head of `size` bytes beyond that makes nginx log "upstream sent too big header
//! while reading response header from upstream" and answer 502; raising `proxy_buffer_size`
//! fixes it, and then the client must receive a valid 200 with an intact body.

use std::io;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Behavior, Probe};
use crate::request::{self, RawConn};
use crate::size::ByteSize;

/// Answer with a response head bigger than nginx's proxy buffer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct BigHeaders {
    /// Bytes of padding header lines (`X-Pad-0001: xxx…`) in the response head.
    #[serde(default = "default_size")]
    #[arg(long, default_value_t = default_size())]
    pub size: ByteSize,
    /// Size of the pattern body after the head.
    #[serde(default = "default_body_size")]
    #[arg(long, default_value_t = default_body_size())]
    pub body_size: ByteSize,
}

impl Default for BigHeaders {
    fn default() -> Self {
        Self {
            size: default_size(),
            body_size: default_body_size(),
        }
    }
}

fn default_size() -> ByteSize {
    ByteSize::kib(12)
}

fn default_body_size() -> ByteSize {
    ByteSize::kib(1)
}

impl Behavior for BigHeaders {
    const NGINX: &str = "502, `upstream sent too big header` unless `proxy_buffer_size` fits it";

    /// 12 KiB of response headers, more than nginx's default 4k `proxy_buffer_size`.
    fn probe() -> Option<Probe<Self>> {
        Some(Probe::new(BigHeaders {
            size: ByteSize::kib(12),
            ..BigHeaders::default()
        }))
    }

    async fn serve(&self, mut conn: RawConn) -> io::Result<()> {
        let Some(_) = conn.read_request_and_fire("sending big headers").await? else {
            return Ok(());
        };
        let padding = request::padding_headers(self.size.as_usize());
        let response = request::ok_response(self.body_size.as_usize(), &padding);
        if conn.write_all(&response).await? {
            conn.finish().await;
        }
        Ok(())
    }
}
