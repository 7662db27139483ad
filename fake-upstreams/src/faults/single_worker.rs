//! `single_worker`: a backend that serves `workers` connections at a time, slowly read.
//!
//! Like a PHP-FPM pool with `pm.max_children = 1`, or a single-threaded app server: while its
//! worker reads a slow client's request body (however slowly it trickles in), every other
//! connection waits in the kernel's accept queue, unaccepted. Behind nginx without request
//! buffering (`proxy_request_buffering off`) one slow upload starves everyone else into
//! timeouts; with nginx's default buffering the backend only ever sees complete bodies.
//!
//! With a `delay`, each worker also spends that long "working" on every request it has read
//! before it answers (a slow PHP script). Together with a small listen backlog (the spec's
//! generic `backlog:`) this is a busy FPM pool whose queue overflows, so nginx gets
//! `connect() to unix:... failed (11: Resource temporarily unavailable)` and answers 502:
//!
//! ```yaml
//! { kind: single_worker, workers: 1, delay: 200ms, listen: unix, backlog: 1 }
//! ```
//!
//! The accept loop does not call `accept()` until a worker is free ([`Workers`]). `fired`
//! counts connections that were found already waiting in the accept queue when a busy worker
//! became free: the ones that had to queue. Each served connection gets a `200` with the
//! pattern body and `Connection: close`.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::Behavior;
use crate::listener::{BoxStream, Listener};
use crate::request::{self, RawConn};
use crate::size::ByteSize;

/// Serve at most `workers` connections at once; the others wait unaccepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct SingleWorker {
    /// Size of the pattern body of each answer.
    #[serde(default = "default_body_size")]
    #[arg(long, default_value_t = default_body_size())]
    pub body_size: ByteSize,
    /// Connections served at once; at least 1.
    #[serde(default = "default_workers")]
    #[arg(long, default_value_t = default_workers())]
    pub workers: u32,
    /// Time a worker spends on each request after reading it, before answering, e.g.
    /// `200ms`. The worker stays busy even if the client hangs up meanwhile; only the
    /// server stopping cuts it short. Default: none (answer at once).
    #[serde(default, with = "crate::duration")]
    #[schemars(schema_with = "crate::schema::optional_duration")]
    #[arg(long, value_parser = humantime_serde::re::humantime::parse_duration)]
    pub delay: Option<Duration>,
}

impl Default for SingleWorker {
    fn default() -> Self {
        Self {
            body_size: default_body_size(),
            workers: default_workers(),
            delay: None,
        }
    }
}

fn default_body_size() -> ByteSize {
    ByteSize::kib(1)
}

fn default_workers() -> u32 {
    1
}

impl Behavior for SingleWorker {
    const NGINX: &str = "slow uploads without request buffering starve other requests into 504s";

    fn validate(&self) -> Result<(), String> {
        if self.workers == 0 {
            return Err("single_worker: workers must be at least 1".into());
        }
        Ok(())
    }

    fn workers(&self) -> Option<u32> {
        Some(self.workers)
    }

    async fn serve(&self, mut conn: RawConn) -> io::Result<()> {
        let Some(req) = conn.read_request().await? else {
            return Ok(());
        };
        tracing::debug!(?req, "single worker answering");
        if let Some(delay) = self.delay {
            let shutdown = conn.ctx().shutdown.clone();
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                () = tokio::time::sleep(delay) => {}
            }
        }
        let response = request::ok_response(self.body_size.as_usize(), &[]);
        if conn.write_all(&response).await? {
            conn.finish().await;
        }
        Ok(())
    }
}

/// The worker pool the accept loop goes through: a connection is accepted only with a free
/// worker, whose permit the connection task holds until it ends.
#[derive(Debug)]
pub(crate) struct Workers {
    free: Arc<Semaphore>,
    /// All workers were busy at some point since the last accept.
    saturated: bool,
}

impl Workers {
    pub(crate) fn new(workers: u32) -> Workers {
        let workers = usize::try_from(workers).unwrap_or(usize::MAX);
        Workers {
            free: Arc::new(Semaphore::new(workers.min(Semaphore::MAX_PERMITS))),
            saturated: false,
        }
    }

    /// Wait for a free worker, then for a connection. The flag says whether the connection
    /// was already queued when a worker freed up after all had been busy (it had to wait).
    pub(crate) async fn accept(
        &mut self,
        listener: &Listener,
    ) -> io::Result<(BoxStream, OwnedSemaphorePermit, bool)> {
        let permit = match self.free.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                self.saturated = true;
                self.free
                    .clone()
                    .acquire_owned()
                    .await
                    .map_err(io::Error::other)?
            }
        };
        if std::mem::take(&mut self.saturated)
            && let Some(queued) = listener.accept_ready().await
        {
            return Ok((queued?, permit, true));
        }
        Ok((listener.accept().await?, permit, false))
    }
}
