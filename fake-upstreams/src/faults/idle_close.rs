//! `idle_close`: a keep-alive server that drops idle connections, as Node.js does.
//!
//! Node's `server.keepAliveTimeout` (5s by default) closes a keep-alive connection that sat
//! idle that long. nginx's upstream `keepalive` pool may pick exactly that connection for the
//! next request, and the request crosses the server's close. The fix is `keepalive_timeout`
//! in nginx's `upstream` block below the backend's timeout. The race has two outcomes, and
//! `mode` picks which one a late request meets, so a scenario plays each on purpose:
//!
//! * `request_first` (default; `race` is its old name): the request arrives before the
//!   server's timer fires. It is read, and the server closes with a FIN without answering:
//!   nginx logs "upstream prematurely closed connection while reading response header from
//!   upstream".
//! * `timer_first`: the timer fired first, so the application never reads the request: the
//!   server resets the connection (`SO_LINGER` 0) with the request's body unread, as the
//!   kernel does when an application closes a socket with unread bytes; nginx logs "recv()
//!   failed (104: Connection reset by peer) while reading response header from upstream".
//! * `timer`: Node's plain timer: close an idle connection with a FIN when `idle` has passed
//!   since the last response. nginx sees the FIN on its idle pooled connection and drops it,
//!   so this only hurts a request already in flight at that instant (not deterministic).
//!
//! With `request_first` and `timer_first` the connection stays open while idle, and what a
//! request meets is a deterministic function of how long its connection was idle: the time
//! from the end of the previous response on the connection to the first byte of the request.
//! Below `idle` it is answered (200, keep-alive); at `idle` or more it is "late" and meets
//! the mode's close. The first request on a connection is never late. So a client that
//! sends one request per connection's turn spaced well below `idle` gets answers, and one
//! spaced well above `idle` lands every second request on a stale pooled connection.
//!
//! `fired` counts late requests (their [`Received`](crate::counters::Received) records are
//! `fired: true`; the head of a `timer_first` one is recorded although the application never
//! read it) or, with `timer`, connections the timer closed (no request to mark).

use std::io;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::{Behavior, Probe, Traffic};
use crate::body;
use crate::request::{self, Fill, RawConn};
use crate::size::ByteSize;

/// How an idle connection ends: which side of the keep-alive race a late request meets.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum IdleMode {
    /// The request wins: read a late request, then close with a FIN and no response
    /// ("upstream prematurely closed connection").
    #[default]
    #[serde(alias = "race")]
    #[value(name = "request_first", alias = "race")]
    RequestFirst,
    /// The timer wins: reset the connection on a late request, leaving it unread ("recv()
    /// failed (104: Connection reset by peer)").
    #[value(name = "timer_first")]
    TimerFirst,
    /// Close an idle connection with a FIN when `idle` has passed (no race on purpose).
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
    /// `request_first` (FIN after reading a late request), `timer_first` (RST with it
    /// unread) or `timer` (FIN on an idle connection); see the module docs.
    #[serde(default)]
    #[arg(long, value_enum, default_value_t = IdleMode::RequestFirst)]
    pub mode: IdleMode,
}

impl Default for IdleClose {
    fn default() -> Self {
        Self {
            idle: default_idle(),
            body_size: default_body_size(),
            mode: IdleMode::RequestFirst,
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
    const NGINX: &str = "GETs retried on a fresh connection; POSTs 502 `upstream prematurely closed connection` (`request_first`) or `recv() failed (104: Connection reset by peer)` (`timer_first`)";

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
            let idle_for = answered.map(|at| arrived - at);
            let late = idle_for.is_some_and(|d| d >= self.idle) && self.mode != IdleMode::Timer;
            if late && self.mode == IdleMode::TimerFirst {
                if conn.read_head_only().await?.is_some() {
                    tracing::debug!(?idle_for, "late request, timer first: resetting");
                    conn.fire();
                    conn.reset()?;
                }
                return Ok(());
            }
            let Some(req) = conn.read_request().await? else {
                return Ok(());
            };
            if late {
                tracing::debug!(?req, ?idle_for, "late request, request first: closing");
                conn.fire();
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
