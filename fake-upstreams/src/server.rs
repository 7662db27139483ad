//! Running one fake upstream: bind, accept, hand connections to the fault, stop cleanly.
//!
//! Shaped like mini-redis: [`spawn_spec`] binds and starts an accept loop that gives every
//! connection its own task. The loop also applies the spec's generic settings: it asks the
//! `Gate` whether each connection gets the fault, a healthy answer, or is turned away by a
//! limit, and it switches behaviour (and opens or shuts the socket) at each schedule step.
//! Shutdown is one token: the accept loop and every connection task watch it, and the loop
//! waits for its tasks before it returns, so [`Server::stop`] returning means no socket of
//! this server is still open and its unix socket files are gone.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::OwnedSemaphorePermit;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::counters::{CounterSnapshot, Counters};
use crate::endpoint::{Endpoint, Listen};
use crate::faults::{Fault, Workers};
use crate::gate::{Admission, Gate};
use crate::listener::{BoxStream, Door, Listener};
use crate::request::ConnCtx;
use crate::spec::{OverLimit, ServerSpec, Step};
use crate::tls::{SharedCa, TlsServer};

/// Backstop: connection tasks still running this long after shutdown are aborted. They all
/// watch the token, so this only matters if one is stuck in a bug.
const DRAIN_LIMIT: Duration = Duration::from_secs(5);

/// Pause after a failed `accept()` (e.g. out of file descriptors) so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Where and how [`spawn_spec`] runs a server, beyond the spec itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpawnOptions {
    /// Seed of the `probability` RNG: the same seed replays the same decisions.
    pub seed: u64,
    /// Folder for unix sockets (`listen: unix*`). It must exist, and nginx's workers must be
    /// able to search it (e.g. mode 0755) for `listen: unix` to be reachable.
    pub socket_dir: PathBuf,
    /// Base name of the socket file (`<name>.sock`), unique within `socket_dir`.
    pub name: String,
    /// The CA that issues the certificate of a `tls:` server; `None`: a fresh one per
    /// server (see [`Server::tls_cert`]).
    pub tls_ca: Option<SharedCa>,
}

impl Default for SpawnOptions {
    /// Seed 0, the system temp folder, name `fake-upstream`.
    fn default() -> Self {
        SpawnOptions {
            seed: 0,
            socket_dir: std::env::temp_dir(),
            name: "fake-upstream".into(),
            tls_ca: None,
        }
    }
}

/// A running fake upstream. Dropping it cancels its tasks; [`Server::stop`] also waits.
#[derive(Debug)]
pub struct Server {
    endpoint: Endpoint,
    fault: Fault,
    observable: bool,
    counters: Arc<Counters>,
    shutdown: CancellationToken,
    accept_loop: Option<JoinHandle<()>>,
    /// Moves the zero of the `schedule` timeline (see [`Server::start_schedule`]).
    clock: tokio::sync::watch::Sender<Instant>,
    /// The certificate (PEM) a `tls:` server presents.
    tls_cert: Option<String>,
}

/// Start serving `fault` on `addr` (port 0 picks a free port; see [`Server::addr`]), with no
/// generic settings. The server stops when `shutdown` (or a token it was derived from) is
/// cancelled, when [`Server::stop`] is called, or when the `Server` is dropped.
pub async fn spawn(
    fault: Fault,
    addr: SocketAddr,
    shutdown: CancellationToken,
) -> io::Result<Server> {
    spawn_spec_at(fault.into(), SpawnOptions::default(), addr, shutdown).await
}

/// Start serving `spec`: TCP on a free port of 127.0.0.1, or a unix socket in
/// `opts.socket_dir`. Invalid specs are refused with [`io::ErrorKind::InvalidInput`].
pub async fn spawn_spec(
    spec: ServerSpec,
    opts: SpawnOptions,
    shutdown: CancellationToken,
) -> io::Result<Server> {
    spawn_spec_at(spec, opts, ([127, 0, 0, 1], 0).into(), shutdown).await
}

/// [`spawn_spec`] with a chosen TCP address (the CLI's `--listen`); ignored for unix.
pub async fn spawn_spec_at(
    spec: ServerSpec,
    opts: SpawnOptions,
    tcp_addr: SocketAddr,
    shutdown: CancellationToken,
) -> io::Result<Server> {
    spec.validate()
        .map_err(|msg| io::Error::new(io::ErrorKind::InvalidInput, msg))?;
    let tls = (spec.tls.as_ref())
        .map(|tls| TlsServer::start(tls, opts.tls_ca.as_deref()))
        .transpose()?;
    let start = Instant::now();
    let mut door = Door::bind(spec.listen, tcp_addr, &opts.socket_dir, &opts.name)?;
    let backlog = spec.listen_backlog();
    let fillers = open_for(&spec.fault, spec.listen, backlog, &mut door).await?;
    let endpoint = door.endpoint().clone();
    let counters = Arc::new(Counters::default());
    let shutdown = shutdown.child_token();
    let (clock, clock_rx) = tokio::sync::watch::channel(start);
    let run = Run {
        gate: Gate::new(&spec, opts.seed, start.into_std()),
        steps: spec.schedule.clone().into(),
        workers: spec.fault.workers().map(Workers::new),
        current: Arc::new(spec.fault.clone()),
        epoch: shutdown.child_token(),
        // the server's own context; each connection gets its number and fault in `admit`
        ctx: ConnCtx {
            counters: counters.clone(),
            shutdown: shutdown.clone(),
            conn: 0,
            fault: spec.fault.kind(),
        },
        door,
        backlog,
        start,
        clock: clock_rx,
        conns: JoinSet::new(),
        _fillers: fillers,
        tls: tls.clone(),
    };
    tracing::debug!(%endpoint, kind = spec.fault.kind(), "fake upstream started");
    Ok(Server {
        endpoint,
        observable: spec.observable(),
        fault: spec.fault,
        counters,
        shutdown,
        accept_loop: Some(tokio::spawn(run.run())),
        clock,
        tls_cert: tls.map(|t| t.cert().to_string()),
    })
}

/// Put the socket in the state the first fault needs (listening with `backlog`);
/// `slow_accept`'s own queued connections.
async fn open_for(
    fault: &Fault,
    listen: Listen,
    backlog: u32,
    door: &mut Door,
) -> io::Result<Vec<BoxStream>> {
    match fault {
        _ if listen == Listen::UnixMissing => Ok(Vec::new()),
        Fault::Refuse(_) => Ok(Vec::new()),
        Fault::SlowAccept(slow) => slow.occupy(door).await,
        _ => door.open(backlog).map(|()| Vec::new()),
    }
}

impl Server {
    /// The TCP address actually bound, so callers can use port 0 and then tell nginx the port.
    ///
    /// # Panics
    /// For a unix socket server; use [`Server::endpoint`], which covers both.
    pub fn addr(&self) -> SocketAddr {
        match &self.endpoint {
            Endpoint::Tcp(addr) => *addr,
            Endpoint::Unix(path) => panic!("{} listens on a unix socket", path.display()),
        }
    }

    /// Where nginx reaches the server; `Display` gives the `server` directive's form.
    pub fn endpoint(&self) -> Endpoint {
        self.endpoint.clone()
    }

    /// What the server has seen and done so far.
    pub fn counters(&self) -> CounterSnapshot {
        self.counters.snapshot(self.observable)
    }

    /// Hold the `schedule` until [`Server::start_schedule`]: for a caller whose clients start
    /// later than the server (nginx in a container can take a second to come up). Steps that
    /// already ran stay done.
    pub fn hold_schedule(&self) {
        // About a year: "not yet" without overflowing Instant arithmetic.
        self.clock
            .send_replace(Instant::now() + Duration::from_secs(365 * 86_400));
    }

    /// Start the `schedule` timeline now (by default it starts when the server does).
    pub fn start_schedule(&self) {
        self.clock.send_replace(Instant::now());
    }

    /// For a `tls:` server, the certificate (PEM) it presents: issued by
    /// [`SpawnOptions::tls_ca`], or self-signed. A client trusts the CA, or this certificate
    /// itself when it is self-signed.
    pub fn tls_cert(&self) -> Option<&str> {
        self.tls_cert.as_deref()
    }

    /// The fault this server starts with.
    pub fn fault(&self) -> &Fault {
        &self.fault
    }

    /// Stop accepting, end every connection, remove socket files, and wait for all of it.
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

/// The accept loop's state.
struct Run {
    door: Door,
    /// The `listen()` backlog every (re-)listen uses.
    backlog: u32,
    gate: Gate,
    steps: VecDeque<Step>,
    current: Arc<Fault>,
    workers: Option<Workers>,
    /// Cancelled (and replaced) when a `refuse` step ends the open connections.
    epoch: CancellationToken,
    ctx: ConnCtx,
    /// The zero of the schedule timeline.
    start: Instant,
    clock: tokio::sync::watch::Receiver<Instant>,
    conns: JoinSet<()>,
    _fillers: Vec<BoxStream>,
    /// The handshake every accepted connection goes through first, for a `tls:` server.
    tls: Option<Arc<TlsServer>>,
}

/// A connection just accepted, with its worker (for `single_worker`).
struct Accepted {
    stream: BoxStream,
    permit: Option<OwnedSemaphorePermit>,
    /// It was already queued when a busy worker became free.
    waited: bool,
}

impl Run {
    /// Accept, admit and serve until shutdown, then wait (bounded) for the connection tasks.
    async fn run(mut self) {
        loop {
            let next_step = self.steps.front().map(|s| self.start + s.after);
            let listener = self.door.listener().filter(|_| self.current.accepts());
            tokio::select! {
                biased;
                () = self.ctx.shutdown.cancelled() => break,
                Some(done) = self.conns.join_next(), if !self.conns.is_empty() => log_task_end(done),
                Ok(()) = self.clock.changed() => {
                    self.start = *self.clock.borrow_and_update();
                    self.gate.rebase(self.start.into_std());
                }
                () = tokio::time::sleep_until(next_step.unwrap_or(self.start)), if next_step.is_some() => {
                    self.next_step();
                }
                accepted = accept(listener, self.workers.as_mut()), if listener.is_some() => {
                    match accepted {
                        Ok(accepted) => self.admit(accepted),
                        Err(err) => self.backoff(err).await,
                    }
                }
            }
        }
        drop(self.door);
        drain(self.conns).await;
    }

    /// Switch to the next scheduled behaviour.
    fn next_step(&mut self) {
        let Some(step) = self.steps.pop_front() else {
            return;
        };
        tracing::debug!(kind = step.fault.kind(), after = ?step.after, "schedule step");
        let result = if matches!(step.fault, Fault::Refuse(_)) {
            self.epoch.cancel();
            self.epoch = self.ctx.shutdown.child_token();
            self.door.shut()
        } else {
            self.door.open(self.backlog)
        };
        if let Err(err) = result {
            tracing::warn!(%err, endpoint = %self.door.endpoint(), "cannot switch the socket");
        }
        self.workers = step.fault.workers().map(Workers::new);
        self.current = Arc::new(step.fault);
    }

    /// Turn the connection away, or start its task with the fault or the healthy fallback.
    fn admit(&mut self, accepted: Accepted) {
        let Accepted {
            stream,
            permit,
            waited,
        } = accepted;
        let (fault, slot) = match self.gate.admit() {
            Admission::TurnAway(how) => return self.turn_away(stream, how),
            Admission::Fault(slot) => (self.current.clone(), slot),
            Admission::Healthy(slot) => (Arc::new(self.current.healthy_fallback()), slot),
        };
        let conn = self.ctx.counters.connection();
        if waited {
            self.ctx.counters.fire();
        }
        let ctx = ConnCtx {
            counters: self.ctx.counters.clone(),
            shutdown: self.epoch.clone(),
            conn,
            fault: fault.kind(),
        };
        let tls = self.tls.clone();
        self.conns.spawn(async move {
            let Some(stream) = TlsServer::wrap(tls.as_deref(), stream, &ctx).await else {
                return drop((slot, permit));
            };
            if let Err(err) = fault.serve(stream, ctx).await {
                tracing::debug!(%err, "connection ended with an error");
            }
            drop((slot, permit));
        });
    }

    fn turn_away(&self, stream: BoxStream, how: OverLimit) {
        if how == OverLimit::Reset
            && let Err(err) = stream.abort_on_close()
        {
            tracing::debug!(%err, "cannot set SO_LINGER on an over-limit connection");
        }
        self.ctx.counters.over_limit();
    }

    async fn backoff(&self, err: io::Error) {
        tracing::warn!(%err, "accept failed");
        tokio::select! {
            () = self.ctx.shutdown.cancelled() => {}
            () = tokio::time::sleep(ACCEPT_BACKOFF) => {}
        }
    }
}

/// The next connection, through the worker pool when the fault has one.
async fn accept(
    listener: Option<&Listener>,
    workers: Option<&mut Workers>,
) -> io::Result<Accepted> {
    let Some(listener) = listener else {
        return std::future::pending().await;
    };
    match workers {
        Some(workers) => {
            let (stream, permit, waited) = workers.accept(listener).await?;
            Ok(Accepted {
                stream,
                permit: Some(permit),
                waited,
            })
        }
        None => Ok(Accepted {
            stream: listener.accept().await?,
            permit: None,
            waited: false,
        }),
    }
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
