//! `stall`: read the request, then keep the client waiting before answering.
//!
//! This is the slow or hung backend: with a `delay` longer than nginx's
//! `proxy_read_timeout`, nginx gives up with "upstream timed out (110: Connection timed out)
//! while reading response header from upstream" and answers 504. A stall ends early when the
//! peer closes (nginx timed out and hung up) or the server stops, so nothing leaks.

use std::io;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Behavior, Protocol, Probe, Traffic};
use crate::request::{self, RawConn};
use crate::size::ByteSize;

/// Read the request, then wait (forever by default) before answering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct Stall {
    /// How long to wait before a healthy answer, e.g. `500ms`, `5s`. Default: forever.
    #[serde(default, with = "crate::duration")]
    #[schemars(schema_with = "crate::schema::optional_duration")]
    #[arg(long, value_parser = humantime_serde::re::humantime::parse_duration)]
    pub delay: Option<Duration>,
    /// Size of the pattern body sent once the delay is over.
    #[serde(default = "default_body_size")]
    #[arg(long, default_value_t = default_body_size())]
    pub body_size: ByteSize,
}

impl Default for Stall {
    fn default() -> Self {
        Self {
            delay: None,
            body_size: default_body_size(),
        }
    }
}

fn default_body_size() -> ByteSize {
    ByteSize::kib(1)
}

impl Behavior for Stall {
    const PROTOCOL: Protocol = Protocol::Any;

    /// Its late answer is HTTP/1.x: `grpc_stall` plays the stall to gRPC upstreams.
    const FITS_GRPC: bool = false;

    const NGINX: &str = "**504** once `proxy_read_timeout` passes: `upstream timed out (110: …) while reading response header`";

    /// Every response takes 2 s: a 504 wherever `proxy_read_timeout` is shorter.
    fn probe() -> Option<Probe<Self>> {
        Some(Probe {
            config: Stall {
                delay: Some(Duration::from_secs(2)),
                ..Stall::default()
            },
            traffic: Traffic {
                requests: 4,
                concurrency: 4,
                ..Traffic::default()
            },
        })
    }

    async fn serve(&self, mut conn: RawConn) -> io::Result<()> {
        let Some(fastcgi) = crate::fastcgi::conn::read_either_and_fire(&mut conn, "stalling").await? else {
            return Ok(());
        };
        if !conn.hold(self.delay).await? {
            return Ok(());
        }
        let response = if fastcgi {
            super::fastcgi_healthy::ok_records(self.body_size.as_usize())
        } else {
            request::ok_response(self.body_size.as_usize(), &[])
        };
        if conn.write_all(&response).await? {
            conn.finish().await;
        }
        Ok(())
    }
}
