//! `fastcgi_healthy`: a PHP-FPM pool that answers every request correctly, over FastCGI.
//!
//! The answer is a CGI response on STDOUT — `Status: 200 OK`, headers, the pattern body with
//! its digest header (the same contract as `healthy`, so the load driver proves each body
//! complete) — then END_REQUEST. Like php-fpm it checks the params nginx sends: when
//! `SCRIPT_FILENAME` is missing, relative, or outside `document_root`, it writes `Primary
//! script unknown` on STDERR and answers `Status: 404 Not Found` with `File not found.`;
//! nginx logs `FastCGI sent in stderr: "Primary script unknown"` and relays the 404. A
//! BEGIN_REQUEST whose role is not `role` gets END_REQUEST with FCGI_UNKNOWN_ROLE and no
//! output (nginx always sends RESPONDER, so through nginx only the default is reachable).
//! The connection closes after each answer unless nginx set FCGI_KEEP_CONN.

use std::io;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Behavior, Protocol};
use crate::body;
use crate::fastcgi::conn::{Answer, FcgiConn, FcgiRequest};
use crate::fastcgi::{self, RecordType, REQUEST_COMPLETE, ROLE_AUTHORIZER, ROLE_FILTER, ROLE_RESPONDER, UNKNOWN_ROLE};
use crate::request::RawConn;
use crate::size::ByteSize;

/// Answer every FastCGI request like a healthy PHP-FPM pool (404 for an unknown script).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct FastcgiHealthy {
    /// Size of the pattern body.
    #[serde(default = "default_body_size")]
    #[arg(long, default_value_t = default_body_size())]
    pub body_size: ByteSize,
    /// Where the scripts live: a `SCRIPT_FILENAME` outside it (or relative, or missing) is
    /// "Primary script unknown" and a 404.
    #[serde(default = "default_document_root")]
    #[arg(long, default_value_t = default_document_root())]
    pub document_root: String,
    /// The FastCGI role the application plays; a request for another role gets
    /// END_REQUEST with FCGI_UNKNOWN_ROLE.
    #[serde(default)]
    #[arg(long, value_enum, default_value_t = FcgiRole::default())]
    pub role: FcgiRole,
    /// Time the script takes before answering, e.g. `300ms` (a pool with a child for every
    /// request: nobody queues). Default: no wait.
    #[serde(default, with = "crate::duration")]
    #[schemars(schema_with = "crate::schema::optional_duration")]
    #[arg(long, value_parser = humantime_serde::re::humantime::parse_duration)]
    pub delay: Option<Duration>,
}

/// A FastCGI role (BEGIN_REQUEST's role field).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum FcgiRole {
    /// FCGI_RESPONDER (1), the role nginx's `fastcgi_pass` always asks for.
    #[default]
    Responder,
    /// FCGI_AUTHORIZER (2).
    Authorizer,
    /// FCGI_FILTER (3).
    Filter,
}

impl FcgiRole {
    fn code(self) -> u16 {
        match self {
            FcgiRole::Responder => ROLE_RESPONDER,
            FcgiRole::Authorizer => ROLE_AUTHORIZER,
            FcgiRole::Filter => ROLE_FILTER,
        }
    }
}

/// Where a FastCGI child misbehaves: before any output, or after part of the body.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum FcgiAt {
    /// Before a byte of STDOUT.
    #[default]
    #[value(name = "before_response")]
    BeforeResponse,
    /// After the head and `after` bytes of the body.
    #[value(name = "mid_body")]
    MidBody,
}

impl Default for FastcgiHealthy {
    fn default() -> Self {
        Self {
            body_size: default_body_size(),
            document_root: default_document_root(),
            role: FcgiRole::default(),
            delay: None,
        }
    }
}

fn default_body_size() -> ByteSize {
    ByteSize::kib(1)
}

fn default_document_root() -> String {
    "/var/www/html".into()
}

impl FastcgiHealthy {
    /// The answer php-fpm gives `req`.
    fn answer(&self, req: &FcgiRequest) -> Answer {
        if req.role != self.role.code() {
            return Answer {
                protocol_status: UNKNOWN_ROLE,
                ..Answer::default()
            };
        }
        let root = self.document_root.trim_end_matches('/');
        let known = req
            .param("SCRIPT_FILENAME")
            .is_some_and(|f| f.starts_with('/') && f.starts_with(&format!("{root}/")));
        if !known {
            return not_found();
        }
        Answer {
            delay: self.delay,
            ..ok_answer(self.body_size.as_usize(), &[])
        }
    }
}

/// php-fpm's answer to an unknown script.
fn not_found() -> Answer {
    Answer {
        stderr: b"Primary script unknown".to_vec(),
        stdout: b"Status: 404 Not Found\r\nContent-type: text/html; charset=UTF-8\r\n\r\nFile not found.\n"
            .to_vec(),
        protocol_status: REQUEST_COMPLETE,
        ..Answer::default()
    }
}

/// The CGI head of a `Status: 200 OK` answer for a pattern body of `body_size` bytes (with
/// its digest header), `extra_headers` (complete lines) before the blank line. Without
/// `content_length` the head announces no length, as PHP's streamed output does: nginx then
/// relays the body chunked and takes the end of STDOUT for the end of the body.
pub(crate) fn ok_head(body_size: usize, content_length: bool, extra_headers: &[u8]) -> Vec<u8> {
    let payload = body::pattern(body_size);
    let mut out = b"Status: 200 OK\r\nContent-Type: application/octet-stream\r\n".to_vec();
    if content_length {
        out.extend_from_slice(format!("Content-Length: {}\r\n", payload.len()).as_bytes());
    }
    out.extend_from_slice(body::digest_line(&payload).as_bytes());
    out.extend_from_slice(extra_headers);
    out.extend_from_slice(b"\r\n");
    out
}

/// A whole healthy answer: [`ok_head`] and its pattern body on STDOUT.
pub(crate) fn ok_answer(body_size: usize, extra_headers: &[u8]) -> Answer {
    let mut stdout = ok_head(body_size, true, extra_headers);
    stdout.extend_from_slice(&body::pattern(body_size));
    Answer {
        stdout,
        ..Answer::default()
    }
}

/// [`ok_answer`] as the records of request 1 (nginx's only request id): STDOUT, the empty
/// STDOUT and END_REQUEST. For a fault that answers either protocol (`stall`).
pub(crate) fn ok_records(body_size: usize) -> Vec<u8> {
    let mut out = fastcgi::stream_records(RecordType::Stdout, 1, &ok_answer(body_size, &[]).stdout);
    fastcgi::push_record(&mut out, RecordType::Stdout, 1, &[]);
    out.extend(fastcgi::end_request(1, 0, REQUEST_COMPLETE));
    out
}

impl Behavior for FastcgiHealthy {
    const NGINX: &str = "relays it (`fastcgi_pass`); a `SCRIPT_FILENAME` outside `document_root`: \
        404 and `FastCGI sent in stderr: \"Primary script unknown\"`";
    const PROTOCOL: Protocol = Protocol::FastCgi;

    fn validate(&self) -> Result<(), String> {
        if !self.document_root.starts_with('/') {
            return Err(format!(
                "fastcgi_healthy: document_root {:?} must be an absolute path",
                self.document_root
            ));
        }
        Ok(())
    }

    async fn serve(&self, conn: RawConn) -> io::Result<()> {
        FcgiConn::new(conn).serve_answers(|req| self.answer(req)).await
    }
}
