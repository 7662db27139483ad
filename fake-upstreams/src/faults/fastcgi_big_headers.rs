//! `fastcgi_big_headers`: a PHP script that sends more response headers than nginx buffers.
//!
//! The CGI head carries `header_size` bytes of `X-Pad-NNNN` lines (think many `Set-Cookie`s
//! or a large CSP). nginx reads the whole head of a FastCGI response into one buffer of
//! `fastcgi_buffer_size` (one memory page, 4k or 8k, by default); a larger head is 502
//! `upstream sent too big header while reading response header from upstream`. A
//! `fastcgi_buffer_size` above the head (and `fastcgi_buffers` at least as large in total)
//! fixes it. Otherwise a healthy answer: the pattern body with its digest header.

use std::io;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::fastcgi_healthy::ok_answer;
use super::{Behavior, Probe, Protocol};
use crate::fastcgi::conn::{Answer, FcgiConn};
use crate::request::{RawConn, padding_headers};
use crate::size::ByteSize;

/// Answer with `header_size` bytes of extra response headers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct FastcgiBigHeaders {
    /// Bytes of extra header lines in the CGI head.
    #[serde(default = "default_header_size")]
    #[arg(long, default_value_t = default_header_size())]
    pub header_size: ByteSize,
    /// Size of the pattern body.
    #[serde(default = "default_body_size")]
    #[arg(long, default_value_t = default_body_size())]
    pub body_size: ByteSize,
}

impl Default for FastcgiBigHeaders {
    fn default() -> Self {
        Self {
            header_size: default_header_size(),
            body_size: default_body_size(),
        }
    }
}

fn default_header_size() -> ByteSize {
    ByteSize::kib(16)
}

fn default_body_size() -> ByteSize {
    ByteSize::kib(1)
}

impl Behavior for FastcgiBigHeaders {
    const NGINX: &str = "502, `upstream sent too big header while reading response header from \
        upstream` (fix: `fastcgi_buffer_size`)";
    const PROTOCOL: Protocol = Protocol::FastCgi;

    /// 12 KiB of response headers, more than nginx's default 4k/8k `fastcgi_buffer_size`.
    fn probe() -> Option<Probe<Self>> {
        Some(Probe::new(FastcgiBigHeaders {
            header_size: ByteSize::kib(12),
            ..FastcgiBigHeaders::default()
        }))
    }

    fn validate(&self) -> Result<(), String> {
        if self.header_size.as_usize() > 1024 * 1024 {
            return Err("fastcgi_big_headers: header_size is above 1m".into());
        }
        Ok(())
    }

    async fn serve(&self, conn: RawConn) -> io::Result<()> {
        let answer = Answer {
            fires: true,
            ..ok_answer(
                self.body_size.as_usize(),
                &padding_headers(self.header_size.as_usize()),
            )
        };
        FcgiConn::new(conn).serve_answers(|_| answer.clone()).await
    }
}
