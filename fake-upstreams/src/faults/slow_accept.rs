//! `slow_accept`: a listener that never accepts, with its tiny accept queue already full.
//!
//! The backend is alive but wedged (all workers busy, event loop blocked): the kernel
//! completes handshakes into the accept queue until it holds `backlog + 1` connections, then
//! stops. The server fills that queue with its own connections at start, so for clients:
//!
//! * TCP: further SYNs are dropped, `connect()` hangs and the client's connect timeout fires
//!   (nginx: `upstream timed out (110: Connection timed out) while connecting to upstream`,
//!   504 after `proxy_connect_timeout`). No root or firewall rule needed.
//! * unix socket (`listen: unix`): a non-blocking `connect()` fails at once with EAGAIN
//!   (nginx: `connect() to unix:... failed (11: Resource temporarily unavailable)`, 502):
//!   the PHP-FPM "listen.backlog is full" case.
//!
//! Nothing is ever accepted, so the counters are unobservable.

use std::io;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Behavior, Protocol};
use crate::listener::{self, BoxStream, Door};
use crate::request::RawConn;

/// Most connections the server opens to itself (a bigger backlog is no longer "tiny").
const MAX_BACKLOG: u32 = 128;

/// Bound on one filling connect; reached only if the queue filled sooner than Linux's
/// `backlog + 1` rule says, in which case filling stops there.
const FILL_LIMIT: Duration = Duration::from_secs(1);

/// Never accept; the tiny accept queue is full, so connects hang (TCP) or fail (unix).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct SlowAccept {
    /// The listener's `listen()` backlog, at most 128.
    #[serde(default = "default_backlog")]
    #[arg(long, default_value_t = default_backlog())]
    pub backlog: u32,
}

impl Default for SlowAccept {
    fn default() -> Self {
        Self {
            backlog: default_backlog(),
        }
    }
}

fn default_backlog() -> u32 {
    1
}

impl Behavior for SlowAccept {
    const PROTOCOL: Protocol = Protocol::Any;

    const ACCEPTS: bool = false;

    const NGINX: &str = "TCP: **504** `upstream timed out … while connecting to upstream`; unix: 502 `(11: Resource temporarily unavailable)`";

    fn validate(&self) -> Result<(), String> {
        if self.backlog > MAX_BACKLOG {
            return Err(format!(
                "slow_accept: backlog {} is above {MAX_BACKLOG}",
                self.backlog
            ));
        }
        Ok(())
    }

    async fn serve(&self, _conn: RawConn) -> io::Result<()> {
        Ok(()) // never accepts; nothing reaches here
    }
}

impl SlowAccept {
    /// Listen with the tiny backlog and fill the accept queue with our own connections; the
    /// returned streams must be kept open as long as the fault lasts.
    pub(crate) async fn occupy(&self, door: &mut Door) -> io::Result<Vec<BoxStream>> {
        door.open(self.backlog)?;
        let mut fillers = Vec::new();
        // Linux accepts into the queue while it holds at most `backlog` entries: backlog + 1.
        for _ in 0..=self.backlog {
            match tokio::time::timeout(FILL_LIMIT, listener::connect(door.endpoint())).await {
                Ok(Ok(stream)) => fillers.push(stream),
                Ok(Err(err)) if err.kind() == io::ErrorKind::WouldBlock => break,
                Ok(Err(err)) => return Err(err),
                Err(_) => break,
            }
        }
        tracing::debug!(queued = fillers.len(), "accept queue filled");
        Ok(fillers)
    }
}
