//! `invalid_header`: answer with a response head containing a header line nginx rejects.
//!
//! Backends with hand-written HTTP (CGI scripts, embedded servers, buggy frameworks) sometimes
//! emit a header nginx's strict parser refuses, e.g. a space inside the name. nginx logs
//! "upstream sent invalid header ... while reading response header from upstream" and answers
//! 502, although the backend "returned 200". The fix is in the backend, not in nginx.
//!
//! `line` is raw bytes (text, `hex:` or `base64:`, see [`RawBytes`]) written right after the
//! status line and followed by CRLF, so it may hold a bare LF, a CR, an obs-fold continuation
//! (`"X-A: 1\r\n folded"`) or whole extra lines. `content_length: false` leaves out the
//! server's own `content-length`, so the body is delimited by the connection's close (or
//! framed by whatever `line` says).
//!
//! Measured on nginx 1.22, 1.26 and 1.30 alike: a space in the name (`"X-Bad\x20..."`), a
//! bare CR (`"X-A: 1\x0d..."`) and an obs-fold continuation line (`"\x20..."`) give 502
//! "upstream sent invalid header: \"…\" while reading response header from upstream"; a
//! bare LF as a line end, a line without a colon (relayed as `NoColonHere: `) and a missing
//! `content-length` (relayed chunked) give 200.

use std::io;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Behavior, Probe};
use crate::body;
use crate::raw_bytes::RawBytes;
use crate::request::RawConn;

/// Size of the pattern body after the head.
const BODY_SIZE: usize = 1024;

/// Answer 200 with a header line nginx rejects (raw bytes, CR/LF allowed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct InvalidHeader {
    /// The bad header bytes, sent right after the status line and followed by CRLF: text,
    /// `hex:…` or `base64:…`; may contain CR and LF. The default has a space in the name.
    #[serde(default = "default_line")]
    #[arg(long, default_value_t = default_line(), value_parser = crate::raw_bytes::parse)]
    pub line: RawBytes,
    /// Send the server's own `content-length` for the 1 KiB body; `false`: none, the body
    /// ends when the connection closes.
    #[serde(default = "default_content_length")]
    #[arg(long, default_value_t = default_content_length(), action = clap::ArgAction::Set)]
    pub content_length: bool,
}

impl Default for InvalidHeader {
    fn default() -> Self {
        Self {
            line: default_line(),
            content_length: default_content_length(),
        }
    }
}

fn default_line() -> RawBytes {
    RawBytes::from("X-Bad Header: yes")
}

fn default_content_length() -> bool {
    true
}

impl Behavior for InvalidHeader {
    const NGINX: &str = "502, `upstream sent invalid header` (also for a bare CR or an obs-fold line; a bare LF line end passes)";

    /// A response header nginx rejects (a space in its name).
    fn probe() -> Option<Probe<Self>> {
        Some(Probe::new(InvalidHeader::default()))
    }

    async fn serve(&self, mut conn: RawConn) -> io::Result<()> {
        let Some(_) = conn.read_request_and_fire("sending an invalid header").await? else {
            return Ok(());
        };
        if conn.write_all(&self.response()).await? {
            conn.finish().await;
        }
        Ok(())
    }
}

impl InvalidHeader {
    /// Status line, `line`, the server's headers, the pattern body.
    fn response(&self) -> Vec<u8> {
        let payload = body::pattern(BODY_SIZE);
        let mut out = b"HTTP/1.1 200 OK\r\n".to_vec();
        out.extend_from_slice(self.line.as_slice());
        out.extend_from_slice(b"\r\n");
        if self.content_length {
            out.extend_from_slice(format!("content-length: {}\r\n", payload.len()).as_bytes());
        }
        out.extend_from_slice(b"connection: close\r\n\r\n");
        out.extend_from_slice(&payload);
        out
    }
}
