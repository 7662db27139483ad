//! `idle_close`: a keep-alive server that drops idle connections, as Node.js does.
//!
//! Node's `server.keepAliveTimeout` (5s by default) closes a keep-alive connection that sat
//! idle that long. nginx's upstream `keepalive` pool may pick exactly that connection for the
//! next request: its request crosses the server's FIN, and nginx logs "upstream prematurely
//! closed connection while reading response header from upstream" (502, unless it may retry).
//! The fix is `keepalive_timeout` in nginx's `upstream` block below the backend's timeout.
//!
//! * `mode: timer` closes a connection once it has been idle `idle` after a response (a
//!   fresh connection waits for its first request as long as the client likes).
//! * `mode: race` (default) makes the losing side of the race deterministic: the connection
//!   stays open, but a request that arrives after it sat idle at least `idle` is read and
//!   answered by closing without a response, exactly what nginx sees when the FIN crosses
//!   its request. The first request on a connection is always answered.
//!
//! `fired` counts requests dropped this way (race) or connections closed by the timer.

use std::io;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::{Behavior, Probe, Traffic};
use crate::body;
use crate::request::{self, Fill, RawConn};
use crate::size::ByteSize;

/// How an idle connection ends.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum IdleMode {
    /// Answer a late request by closing without a response.
    #[default]
    Race,
    /// Close the connection when the idle time passes.
    Timer,
}

/// Keep-alive server that drops connections idle too long (Node.js keepAliveTimeout).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct IdleClose {
    /// Keep-alive idle timeout, e.g. `5s` like Node.js.
    #[serde(default = "default_idle", with = "crate::duration")]
    #[schemars(schema_with = "crate::schema::duration")]
    #[arg(long, default_value = "1s", value_parser = humantime_serde::re::humantime::parse_duration)]
    pub idle: Duration,
    /// Size of the pattern body of each answer.
    #[serde(default = "default_body_size")]
    #[arg(long, default_value_t = default_body_size())]
    pub body_size: ByteSize,
    /// `race` or `timer`, see the module docs.
    #[serde(default)]
    #[arg(long, value_enum, default_value_t = IdleMode::Race)]
    pub mode: IdleMode,
}

impl Default for IdleClose {
    fn default() -> Self {
        Self {
            idle: default_idle(),
            body_size: default_body_size(),
            mode: IdleMode::Race,
        }
    }
}

fn default_idle() -> Duration {
    Duration::from_secs(1)
}

fn default_body_size() -> ByteSize {
    ByteSize::kib(1)
}

impl Behavior for IdleClose {
    const NGINX: &str = "GETs retried on a fresh connection; POSTs 502 `upstream prematurely closed connection`";

    /// A keep-alive server that drops connections idle for 300 ms (Node.js
    /// keepAliveTimeout), probed on one connection with requests spaced past that idle time,
    /// half of them POSTs: nginx retries a GET that hit a stale pooled connection but never a
    /// POST.
    fn probe() -> Option<Probe<Self>> {
        Some(Probe {
            config: IdleClose {
                idle: Duration::from_millis(300),
                ..IdleClose::default()
            },
            traffic: Traffic {
                requests: 10,
                concurrency: 1,
                spacing: Some(Duration::from_millis(450)),
                methods: &[("GET", 1), ("POST", 1)],
            },
        })
    }

    async fn serve(&self, mut conn: RawConn) -> io::Result<()> {
        let mut response = request::ok_head(self.body_size.as_usize(), true, &[]);
        response.extend_from_slice(&body::pattern(self.body_size.as_usize()));
        let mut answered: Option<Instant> = None;
        loop {
            let Some(arrived) = self.next_request(&mut conn, answered).await? else {
                return Ok(());
            };
            let Some(req) = conn.read_request().await? else {
                return Ok(());
            };
            let idle_for = answered.map(|at| arrived - at);
            if self.mode == IdleMode::Race && idle_for.is_some_and(|d| d >= self.idle) {
                tracing::debug!(
                    ?req,
                    ?idle_for,
                    "late request on an idle connection: closing"
                );
                conn.ctx().counters.fire();
                conn.finish().await;
                return Ok(());
            }
            if !conn.write_all(&response).await? {
                return Ok(());
            }
            answered = Some(Instant::now());
        }
    }
}

impl IdleClose {
    /// Wait for the first bytes of the next request and say when they came; `None` when the
    /// connection is over (peer closed, server stopping, or the `timer` closed it).
    async fn next_request(
        &self,
        conn: &mut RawConn,
        answered: Option<Instant>,
    ) -> io::Result<Option<Instant>> {
        if conn.has_buffered() {
            return Ok(Some(Instant::now()));
        }
        let deadline = answered.filter(|_| self.mode == IdleMode::Timer);
        let deadline = deadline.map(|at| at + self.idle);
        tokio::select! {
            fill = conn.fill() => match fill? {
                Fill::Data => Ok(Some(Instant::now())),
                Fill::Eof | Fill::Shutdown => Ok(None),
            },
            () = tokio::time::sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                conn.ctx().counters.fire();
                Ok(None) // dropping the connection closes it with a FIN
            }
        }
    }
}
