//! The socket a fake upstream listens on, opened and shut over its life, TCP or unix.
//!
//! A [`Door`] is bound once at spawn and then *opened* (listening: connects succeed) or *shut*
//! (bound but not listening: connects are refused) as the schedule says, always at the same
//! address or path, so nginx's config never changes. It also owns the unix socket's place on
//! disk (the file, the forbidden folder) and cleans it up when dropped. Accepted connections
//! are [`Stream`]s, so every fault is written once for both transports.
//!
//! Keeping a TCP port while shut: the socket stays bound without `SO_REUSEADDR`, so no other
//! process can bind the port (their `SO_REUSEADDR` does not help against a socket without
//! it). To bind and listen again next to our own still-open or `TIME_WAIT` connections, the
//! option is turned on just for our `bind()` and `listen()` calls.

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpSocket, TcpStream, UnixListener, UnixStream};

use crate::endpoint::{Endpoint, Listen};

/// Backlog of an ordinary listener (tokio's default).
pub(crate) const DEFAULT_BACKLOG: u32 = 1024;

/// An accepted connection, TCP or unix: what faults read from and write to.
pub(crate) trait Stream: AsyncRead + AsyncWrite + Unpin + Send + Sync + 'static {
    /// Make closing send a reset (TCP: `SO_LINGER` 0). Unix sockets have no reset; there this
    /// does nothing and closing is an ordinary close.
    fn abort_on_close(&self) -> io::Result<()>;
}

impl Stream for TcpStream {
    fn abort_on_close(&self) -> io::Result<()> {
        self.set_zero_linger()
    }
}

impl Stream for UnixStream {
    fn abort_on_close(&self) -> io::Result<()> {
        Ok(())
    }
}

/// A boxed [`Stream`], so the accept loop and the faults need no type parameter.
pub(crate) type BoxStream = Box<dyn Stream>;

/// A listening socket of either transport.
#[derive(Debug)]
pub(crate) enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

impl Listener {
    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<BoxStream>> {
        match self {
            Listener::Tcp(l) => l.poll_accept(cx).map_ok(|(s, _)| Box::new(s) as BoxStream),
            Listener::Unix(l) => l.poll_accept(cx).map_ok(|(s, _)| Box::new(s) as BoxStream),
        }
    }

    /// Wait for the next connection.
    pub(crate) async fn accept(&self) -> io::Result<BoxStream> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// A connection already waiting in the accept queue, if there is one, without waiting.
    pub(crate) async fn accept_ready(&self) -> Option<io::Result<BoxStream>> {
        poll_fn(|cx| match self.poll_accept(cx) {
            Poll::Ready(accepted) => Poll::Ready(Some(accepted)),
            Poll::Pending => Poll::Ready(None),
        })
        .await
    }
}

/// Open a client connection to `endpoint` (used to fill a server's own accept queue).
pub(crate) async fn connect(endpoint: &Endpoint) -> io::Result<BoxStream> {
    Ok(match endpoint {
        Endpoint::Tcp(addr) => Box::new(TcpStream::connect(addr).await?),
        Endpoint::Unix(path) => Box::new(UnixStream::connect(path).await?),
    })
}

/// A server's bound address or socket path, listening or not.
#[derive(Debug)]
pub(crate) struct Door {
    endpoint: Endpoint,
    state: State,
    place: Option<Place>,
}

#[derive(Debug)]
enum State {
    Open(Listener),
    /// TCP: the bound, non-listening socket. Unix: `None`, the stale socket file refuses.
    Shut(Option<TcpSocket>),
    /// `listen: unix_missing`: nothing at all.
    Absent,
}

impl Door {
    /// Bind where `listen` says (TCP: `tcp_addr`; unix: under `socket_dir`), shut.
    pub(crate) fn bind(
        listen: Listen,
        tcp_addr: SocketAddr,
        socket_dir: &Path,
        name: &str,
    ) -> io::Result<Door> {
        if listen == Listen::Tcp {
            let socket = reserve(tcp_addr)?;
            let endpoint = Endpoint::Tcp(socket.local_addr()?);
            let state = State::Shut(Some(socket));
            return Ok(Door {
                endpoint,
                state,
                place: None,
            });
        }
        let place = Place::new(listen, socket_dir, name)?;
        let endpoint = Endpoint::Unix(place.path.clone());
        let mut door = Door {
            endpoint,
            state: State::Absent,
            place: Some(place),
        };
        if listen != Listen::UnixMissing {
            door.open(DEFAULT_BACKLOG)?;
            door.shut()?;
        }
        Ok(door)
    }

    /// Where clients connect.
    pub(crate) fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The listener, while open.
    pub(crate) fn listener(&self) -> Option<&Listener> {
        match &self.state {
            State::Open(listener) => Some(listener),
            _ => None,
        }
    }

    /// Start listening with this accept-queue `backlog` (no-op if already open).
    pub(crate) fn open(&mut self, backlog: u32) -> io::Result<()> {
        let listener = match std::mem::replace(&mut self.state, State::Absent) {
            State::Open(listener) => listener,
            State::Shut(Some(socket)) => {
                socket.set_reuseaddr(true)?;
                Listener::Tcp(socket.listen(backlog)?)
            }
            _ => match &self.place {
                Some(place) if place.exists => Listener::Unix(place.bind(backlog)?),
                _ => return Err(io::Error::other("this socket can never listen")),
            },
        };
        self.state = State::Open(listener);
        Ok(())
    }

    /// Stop listening: connects are refused (TCP RST; unix ECONNREFUSED on the stale file).
    pub(crate) fn shut(&mut self) -> io::Result<()> {
        if !matches!(self.state, State::Open(_)) {
            return Ok(());
        }
        let reserved = match &self.endpoint {
            Endpoint::Tcp(addr) => {
                self.state = State::Absent; // close the listener before re-binding its port
                Some(reserve(*addr)?)
            }
            Endpoint::Unix(_) => None,
        };
        self.state = State::Shut(reserved);
        Ok(())
    }
}

/// A TCP socket bound to `addr` without listening, keeping the port from other processes.
fn reserve(addr: SocketAddr) -> io::Result<TcpSocket> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.set_reuseaddr(false)?;
    Ok(socket)
}

/// A unix socket's place on disk, removed (permissions restored) on drop.
#[derive(Debug)]
struct Place {
    path: PathBuf,
    /// Whether the socket is ever created (not for `unix_missing`).
    exists: bool,
    /// The mode-0 folder of `unix_forbidden`.
    forbidden_dir: Option<PathBuf>,
}

impl Place {
    fn new(listen: Listen, socket_dir: &Path, name: &str) -> io::Result<Place> {
        let sock = format!("{name}.sock");
        let (path, forbidden_dir) = match listen {
            Listen::UnixForbidden => {
                let dir = socket_dir.join(format!("{name}.forbidden"));
                std::fs::create_dir(&dir)?;
                set_mode(&dir, 0)?;
                (dir.join(sock), Some(dir))
            }
            Listen::UnixMissing => (socket_dir.join(format!("{name}.missing.sock")), None),
            _ => (socket_dir.join(sock), None),
        };
        let exists = listen != Listen::UnixMissing;
        Ok(Place {
            path,
            exists,
            forbidden_dir,
        })
    }

    /// Bind a fresh listener at the path (replacing the stale file), writable by everyone.
    /// In the forbidden folder, its permissions are lifted for the moment of the `bind()`
    /// (root would not need it; a non-root owner does).
    fn bind(&self, backlog: u32) -> io::Result<UnixListener> {
        let bind = || {
            match std::fs::remove_file(&self.path) {
                Err(err) if err.kind() != io::ErrorKind::NotFound => return Err(err),
                _ => {}
            }
            let listener = UnixListener::bind(&self.path)?;
            set_mode(&self.path, 0o666)?;
            // listen() again on a listening socket just sets the backlog (Linux).
            let fd = listener.as_raw_fd();
            let backlog = libc::c_int::try_from(backlog).unwrap_or(libc::c_int::MAX);
            if unsafe { libc::listen(fd, backlog) } != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(listener)
        };
        let Some(dir) = &self.forbidden_dir else {
            return bind();
        };
        set_mode(dir, 0o700)?;
        let result = bind();
        set_mode(dir, 0)?;
        result
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        if let Some(dir) = &self.forbidden_dir {
            let _ = set_mode(dir, 0o700);
            let _ = std::fs::remove_dir_all(dir);
        } else if self.exists {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}
