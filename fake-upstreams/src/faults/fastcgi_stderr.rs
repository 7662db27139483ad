//! `fastcgi_stderr`: a healthy PHP response with warnings written to STDERR.
//!
//! PHP with `display_errors` off and `log_errors` to stderr sends notices and warnings as
//! FastCGI STDERR records alongside a good response. nginx logs each at `error` level as
//! `FastCGI sent in stderr: "<message>" while reading response header from upstream` and
//! still relays the 200 with the whole body: the log fills with "errors" while every client
//! is served. Each request counts one firing.

use std::io;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::fastcgi_healthy::ok_answer;
use super::{Behavior, Protocol};
use crate::fastcgi::conn::{Answer, FcgiConn};
use crate::request::RawConn;
use crate::size::ByteSize;

/// Answer healthily, with `message` on STDERR before the response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct FastcgiStderr {
    /// The text written on STDERR.
    #[serde(default = "default_message")]
    #[arg(long, default_value_t = default_message())]
    pub message: String,
    /// Size of the pattern body.
    #[serde(default = "default_body_size")]
    #[arg(long, default_value_t = default_body_size())]
    pub body_size: ByteSize,
}

impl Default for FastcgiStderr {
    fn default() -> Self {
        Self {
            message: default_message(),
            body_size: default_body_size(),
        }
    }
}

fn default_message() -> String {
    "PHP message: PHP Warning:  Undefined variable $user in /var/www/html/index.php on line 3"
        .into()
}

fn default_body_size() -> ByteSize {
    ByteSize::kib(1)
}

impl Behavior for FastcgiStderr {
    const NGINX: &str = "relays the 200 and logs `FastCGI sent in stderr: \"…\" while reading \
        response header from upstream`";
    const PROTOCOL: Protocol = Protocol::FastCgi;

    fn validate(&self) -> Result<(), String> {
        if self.message.is_empty() {
            return Err("fastcgi_stderr: message must not be empty".into());
        }
        Ok(())
    }

    async fn serve(&self, conn: RawConn) -> io::Result<()> {
        let answer = Answer {
            stderr: self.message.as_bytes().to_vec(),
            fires: true,
            ..ok_answer(self.body_size.as_usize(), &[])
        };
        FcgiConn::new(conn).serve_answers(|_| answer.clone()).await
    }
}
