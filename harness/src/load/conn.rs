//! One client connection: a TCP stream driven by hyper's HTTP/1 client.
//!
//! A [`Conn`] owns the spawned task that drives the connection and aborts it when dropped, so
//! dropping a connection after a failure or at the end of a run really closes the socket: a load
//! run never leaves connections (or load) behind.

use std::net::SocketAddr;

use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tracing::debug;

use super::body::RequestBody;

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
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|source| OpenError::Connect { addr, source })?;
        if let Err(e) = stream.set_nodelay(true) {
            debug!(%addr, error = %e, "set_nodelay failed");
        }
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(OpenError::Handshake)?;
        let driver = tokio::spawn(async move {
            if let Err(e) = connection.await {
                debug!(%addr, error = %e, "connection ended with an error");
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

impl Drop for Conn {
    fn drop(&mut self) {
        self.driver.abort();
    }
}
