//! One client connection driven by hyper's HTTP/1 client, and the client's bounds.
//!
//! A [`Conn`] owns the spawned task that drives the connection and aborts it when dropped, so
//! dropping a connection after a failure or at the end of a run really closes the socket: a load
//! run never leaves connections (or load) behind.
//!
//! The client is as lenient as curl about a response head (see [`lenient`]): curl 7.88 takes
//! header names with characters outside the token set, a space before the colon and folded
//! lines, and up to 300 KiB of head; nginx relays a 200 for 150 `Set-Cookie` lines or a name
//! like `X-Bad@Name` when its buffers fit them. One bound is tighter than curl's: at most
//! [`MAX_RESPONSE_HEADERS`] header lines (curl has no count limit), for throughput. What hyper
//! still refuses becomes [`Outcome::ClientRejected`](crate::outcome::Outcome::ClientRejected),
//! never an nginx status.

use std::net::SocketAddr;

use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tracing::debug;

use super::body::RequestBody;
use super::replay::ReplayIo;

/// Why a connection could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The TCP connect failed (refused, unreachable, ...).
    #[error("connect to {addr}: {source}")]
    Connect {
        /// Address we tried.
        addr: SocketAddr,
        /// The socket error.
        #[source]
        source: std::io::Error,
    },
    /// The HTTP/1 handshake failed.
    #[error("http/1 handshake: {0}")]
    Handshake(#[source] hyper::Error),
}

/// An open HTTP/1 connection that can send one request at a time.
#[derive(Debug)]
pub struct Conn {
    sender: SendRequest<RequestBody>,
    driver: JoinHandle<()>,
}

impl Conn {
    /// Connect to `addr` and start driving the connection in a background task.
    pub async fn open(addr: SocketAddr) -> Result<Self, OpenError> {
        Self::over(ReplayIo::new(connect(addr).await?)).await
    }

    /// hyper's client on `io` (a fresh socket, or one the lean exchange hands over), driven
    /// in a background task.
    pub async fn over(io: ReplayIo) -> Result<Self, OpenError> {
        let (sender, connection) = lenient()
            .handshake(TokioIo::new(io))
            .await
            .map_err(OpenError::Handshake)?;
        let driver = tokio::spawn(async move {
            if let Err(e) = connection.await {
                debug!(error = %e, "connection ended with an error");
            }
        });
        Ok(Self { sender, driver })
    }

    /// True when the peer (or hyper) has closed this connection: it cannot carry a request.
    pub fn is_closed(&self) -> bool {
        self.sender.is_closed()
    }

    /// Wait until the connection can take the next request; an error means it is gone.
    pub async fn ready(&mut self) -> Result<(), hyper::Error> {
        self.sender.ready().await
    }

    /// The sender for the next request; call [`Conn::ready`] first.
    pub fn sender(&mut self) -> &mut SendRequest<RequestBody> {
        &mut self.sender
    }
}

/// A TCP connection to `addr` with Nagle's delay off (requests go out whole, at once).
pub async fn connect(addr: SocketAddr) -> Result<TcpStream, OpenError> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|source| OpenError::Connect { addr, source })?;
    if let Err(e) = stream.set_nodelay(true) {
        debug!(%addr, error = %e, "set_nodelay failed");
    }
    Ok(stream)
}

/// Bytes a response head may take before the client refuses it: more than curl's 300 KiB
/// (`Too large response headers: 307976 > 307200` from curl 7.88), so whatever curl accepts
/// fits. It is hyper's read buffer bound (default ~400 KiB), named here.
pub const MAX_RESPONSE_HEAD: usize = 400 * 1024;

/// Header lines a response head may have (hyper's default is 100; curl has no limit). More
/// than nginx 1.22 relays with its default `proxy_buffer_size` (450 lines of `hN: v` pass,
/// 1000 get a 502); with 64k buffers nginx relays 3000 such lines, which this client refuses
/// as `client_rejected`. hyper fills two tables of this many entries for every head it parses
/// (64 KiB of writes at 1024), so the bound is a throughput trade for the responses hyper
/// reads; the lean exchange reads heads of up to [`HEAD_SLOTS`](super::lean::HEAD_SLOTS)
/// lines without that cost and hands longer ones to hyper.
pub const MAX_RESPONSE_HEADERS: usize = 1024;

/// The client's bounds on a response head, as a `client_rejected` detail states them.
pub const LIMITS: &str = "the load driver takes at most 1024 header lines and 400 KiB of head";

/// hyper's HTTP/1 client made as lenient as curl about response heads: header lines whose
/// name has a character outside the token set (or no colon) are skipped rather than failing
/// the response, spaces before the colon and obsolete folded lines are accepted, and the
/// head's bounds are [`MAX_RESPONSE_HEADERS`] lines and [`MAX_RESPONSE_HEAD`] bytes
/// ([`LIMITS`]).
pub fn lenient() -> http1::Builder {
    let mut builder = http1::Builder::new();
    builder
        .ignore_invalid_headers_in_responses(true)
        .allow_spaces_after_header_name_in_responses(true)
        .allow_obsolete_multiline_headers_in_responses(true)
        .max_headers(MAX_RESPONSE_HEADERS)
        .max_buf_size(MAX_RESPONSE_HEAD);
    builder
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stated_limits_are_the_configured_ones() {
        let lines = format!("{MAX_RESPONSE_HEADERS} header lines");
        let bytes = format!("{} KiB of head", MAX_RESPONSE_HEAD / 1024);
        assert!(
            LIMITS.contains(&lines) && LIMITS.contains(&bytes),
            "{LIMITS}"
        );
    }
}
