//! `refuse`: nothing listens on the port, so connects fail with ECONNREFUSED.
//!
//! This is the "upstream is down" case (nginx: `connect() failed (111: Connection refused)`).
//! Rather than leaving the port free, where another process could take it and answer, the
//! server binds a socket to the address and never calls `listen()`: the port stays reserved
//! for the server's lifetime and the kernel refuses every connect. Because nothing is ever
//! accepted, this server cannot count anything; its snapshot says `observable: false`.

use std::io;
use std::net::SocketAddr;

use serde::{Deserialize, Serialize};
use tokio::net::TcpSocket;

/// Config of the `refuse` fault; it has no knobs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct Refuse {}

impl Refuse {
    /// Bind `addr` without listening; keep the socket alive to keep the port reserved.
    pub(crate) fn reserve(&self, addr: SocketAddr) -> io::Result<TcpSocket> {
        let socket = match addr {
            SocketAddr::V4(_) => TcpSocket::new_v4()?,
            SocketAddr::V6(_) => TcpSocket::new_v6()?,
        };
        socket.bind(addr)?;
        Ok(socket)
    }
}
