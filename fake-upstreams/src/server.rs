//! Running one fake upstream: bind, accept, hand connections to the fault, stop cleanly.
//!
//! Shaped like mini-redis: [`spawn`] binds and starts `run(listener, shutdown)`, an accept
//! loop that gives every connection its own task. Shutdown is one token: the accept loop and
//! every connection task watch it, and the loop waits for its tasks before it returns, so
//! [`Server::stop`] returning means no socket of this server is still open.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket};
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

use crate::counters::{CounterSnapshot, Counters};
use crate::faults::{ConnCtx, Fault};

/// Backstop: connection tasks still running this long after shutdown are aborted. They all
/// watch the token, so this only matters if one is stuck in a bug.
const DRAIN_LIMIT: Duration = Duration::from_secs(5);

/// Pause after a failed `accept()` (e.g. out of file descriptors) so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// A running fake upstream. Dropping it cancels its tasks; [`Server::stop`] also waits.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    fault: Arc<Fault>,
    counters: Arc<Counters>,
    shutdown: CancellationToken,
    accept_loop: Option<JoinHandle<()>>,
    /// The `refuse` fault's bound-but-not-listening socket, held to keep the port reserved.
    _reserved: Option<TcpSocket>,
}

/// Start serving `fault` on `addr` (port 0 picks a free port; see [`Server::addr`]).
/// The server stops when `shutdown` (or a token it was derived from) is cancelled, when
/// [`Server::stop`] is called, or when the `Server` is dropped.
pub async fn spawn(
    fault: Fault,
    addr: SocketAddr,
    shutdown: CancellationToken,
) -> io::Result<Server> {
    fault
        .validate()
        .map_err(|msg| io::Error::new(io::ErrorKind::InvalidInput, msg))?;
    let fault = Arc::new(fault);
    let counters = Arc::new(Counters::default());
    let shutdown = shutdown.child_token();
    let (addr, accept_loop, reserved) = match fault.as_ref() {
        Fault::Refuse(refuse) => {
            let socket = refuse.reserve(addr)?;
            (socket.local_addr()?, None, Some(socket))
        }
        _ => {
            let listener = TcpListener::bind(addr).await?;
            let local = listener.local_addr()?;
            let ctx = ConnCtx {
                counters: counters.clone(),
                shutdown: shutdown.clone(),
            };
            let task = tokio::spawn(run(listener, fault.clone(), ctx));
            (local, Some(task), None)
        }
    };
    tracing::debug!(%addr, kind = fault.kind(), "fake upstream started");
    Ok(Server {
        addr,
        fault,
        counters,
        shutdown,
        accept_loop,
        _reserved: reserved,
    })
}

impl Server {
    /// The address actually bound, so callers can use port 0 and then tell nginx the port.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// What the server has seen and done so far.
    pub fn counters(&self) -> CounterSnapshot {
        self.counters.snapshot(self.fault.observable())
    }

    /// The fault this server plays.
    pub fn fault(&self) -> &Fault {
        &self.fault
    }

    /// Stop accepting, end every connection, and wait until all of it is done.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(task) = self.accept_loop.take()
            && let Err(err) = task.await
        {
            tracing::warn!(%err, "accept loop ended abnormally");
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Accept connections and serve each in its own task until `ctx.shutdown` fires, then wait
/// (bounded) for the connection tasks.
async fn run(listener: TcpListener, fault: Arc<Fault>, ctx: ConnCtx) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            biased;
            () = ctx.shutdown.cancelled() => break,
            Some(done) = conns.join_next(), if !conns.is_empty() => log_task_end(done),
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    ctx.counters.connection();
                    let (fault, ctx) = (fault.clone(), ctx.clone());
                    conns.spawn(async move {
                        if let Err(err) = fault.serve(stream, ctx).await {
                            tracing::debug!(%peer, %err, "connection ended with an error");
                        }
                    });
                }
                Err(err) => {
                    tracing::warn!(%err, "accept failed");
                    tokio::select! {
                        () = ctx.shutdown.cancelled() => break,
                        () = tokio::time::sleep(ACCEPT_BACKOFF) => {}
                    }
                }
            },
        }
    }
    drop(listener);
    drain(conns).await;
}

async fn drain(mut conns: JoinSet<()>) {
    let all_done = async {
        while let Some(done) = conns.join_next().await {
            log_task_end(done);
        }
    };
    if tokio::time::timeout(DRAIN_LIMIT, all_done).await.is_err() {
        tracing::warn!(
            left = conns.len(),
            "connection tasks ignored shutdown; aborting them"
        );
        conns.shutdown().await;
    }
}

fn log_task_end(done: Result<(), tokio::task::JoinError>) {
    if let Err(err) = done {
        tracing::warn!(%err, "connection task failed");
    }
}
