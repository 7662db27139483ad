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

/// Longest padding header line, CRLF included; real servers rarely send longer ones.
const MAX_LINE: usize = 1000;

/// Answer with a response head bigger than nginx's proxy buffer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct BigHeaders {
    /// Bytes of padding header lines (`X-Pad-0001: xxx…`) in the response head. Default: 12k.
    #[serde(default = "default_size")]
    #[arg(long, default_value_t = default_size())]
    pub size: ByteSize,
    /// Size of the pattern body after the head. Default: 1k.
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
        let padding = padding_lines(self.size.as_usize());
        let response = request::ok_response(self.body_size.as_usize(), &padding);
        if conn.write_all(&response).await? {
            conn.finish().await;
        }
        Ok(())
    }
}

/// Header lines totalling `size` bytes (a few more if the last line would be too short).
fn padding_lines(size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + MAX_LINE);
    let mut index = 1;
    while out.len() < size {
        let prefix = format!("X-Pad-{index:04}: ");
        let min_line = prefix.len() + 1 + 2;
        let line_len = (size - out.len()).clamp(min_line, MAX_LINE.max(min_line));
        out.extend_from_slice(prefix.as_bytes());
        out.resize(out.len() + line_len - prefix.len() - 2, b'x');
        out.extend_from_slice(b"\r\n");
        index += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_has_the_asked_size_in_short_lines() {
        for size in [0, 1, 14, 15, 999, 1000, 1001, 12 * 1024] {
            let pad = padding_lines(size);
            assert!(
                pad.len() >= size && pad.len() < size + 15,
                "{size}: {}",
                pad.len()
            );
            let text = String::from_utf8(pad).unwrap();
            for line in text.split_terminator("\r\n") {
                assert!(line.len() + 2 <= MAX_LINE, "{line}");
                assert!(line.starts_with("X-Pad-") && line.contains(": x"), "{line}");
            }
        }
    }
}
