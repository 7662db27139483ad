//! `invalid_header`: answer with a response head containing a header line nginx rejects.
//!
//! Backends with hand-written HTTP (CGI scripts, embedded servers, buggy frameworks) sometimes
//! emit a header nginx's strict parser refuses, e.g. a space inside the name. nginx 1.22 logs
//! "upstream sent invalid header ... while reading response header from upstream" and answers
//! 502, although the backend "returned 200". The fix is in the backend, not in nginx.

use std::io;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Behavior, Probe};
use crate::body;
use crate::request::RawConn;

/// Size of the pattern body after the head (nginx never gets to it).
const BODY_SIZE: usize = 1024;

/// Answer 200 with a header line nginx rejects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct InvalidHeader {
    /// The bad header line, sent right after the status line (without CRLF); the default has
    /// a space in the name, which nginx 1.22 rejects.
    #[serde(default = "default_line")]
    #[arg(long, default_value_t = default_line())]
    pub line: String,
}

impl Default for InvalidHeader {
    fn default() -> Self {
        Self {
            line: default_line(),
        }
    }
}

fn default_line() -> String {
    "X-Bad Header: yes".into()
}

impl Behavior for InvalidHeader {
    const NGINX: &str = "502, `upstream sent invalid header`";

    /// A response header nginx rejects (a space in its name).
    fn probe() -> Option<Probe<Self>> {
        Some(Probe::new(InvalidHeader::default()))
    }

    /// The line must stay one line, or it would change the response's framing.
    fn validate(&self) -> Result<(), String> {
        if self.line.contains(['\r', '\n']) {
            return Err(format!(
                "invalid_header: line {:?} contains CR or LF",
                self.line
            ));
        }
        Ok(())
    }

    async fn serve(&self, mut conn: RawConn) -> io::Result<()> {
        let Some(_) = conn.read_request_and_fire("sending an invalid header").await? else {
            return Ok(());
        };
        let payload = body::pattern(BODY_SIZE);
        let mut response = format!(
            "HTTP/1.1 200 OK\r\n{}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            self.line,
            payload.len()
        )
        .into_bytes();
        response.extend_from_slice(&payload);
        if conn.write_all(&response).await? {
            conn.finish().await;
        }
        Ok(())
    }
}
