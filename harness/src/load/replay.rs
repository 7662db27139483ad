//! The socket under hyper's client connection, able to take over from the lean exchange.
//!
//! When the [lean exchange](super::lean) meets a response it does not read itself (a head it
//! cannot parse, chunked or close-delimited framing, 1xx, …), it has already sent the request
//! and read some bytes. A [`ReplayIo`] gives hyper exactly that connection: hyper's copy of the
//! request is swallowed (it is already on the wire), then hyper reads the bytes the lean
//! exchange read, then how that reading ended (an error is returned once, as the socket
//! returned it), then the socket itself. So hyper parses, judges and reports the response as if
//! it had been the client from the start. Without a handover it is the bare socket.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// A TCP stream with bytes (and possibly an error) already read from it in front.
#[derive(Debug)]
pub(crate) struct ReplayIo {
    stream: TcpStream,
    /// Read already, not yet given to hyper; `read_from` is the next byte to give.
    read: Vec<u8>,
    read_from: usize,
    /// How the earlier reading ended, if with an error: returned once after `read`.
    failed: Option<io::Error>,
    /// The next request hyper writes was already sent: discard it up to its flush, and hold
    /// reads until then (hyper must not see the response before it has "sent" its request).
    swallow: bool,
    reader: Option<Waker>,
}

impl ReplayIo {
    /// The bare stream: nothing was read or sent on it yet.
    pub fn new(stream: TcpStream) -> Self {
        Self::after(stream, Vec::new(), None, false)
    }

    /// `stream` after its request was sent (when `sent`) and `read` was read, ending with
    /// `failed` if reading failed.
    pub fn after(stream: TcpStream, read: Vec<u8>, failed: Option<io::Error>, sent: bool) -> Self {
        Self {
            stream,
            read,
            read_from: 0,
            failed,
            swallow: sent,
            reader: None,
        }
    }
}

impl AsyncRead for ReplayIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.swallow {
            this.reader = Some(cx.waker().clone());
            return Poll::Pending;
        }
        if this.read_from < this.read.len() {
            let rest = &this.read[this.read_from..];
            let n = rest.len().min(buf.remaining());
            buf.put_slice(&rest[..n]);
            this.read_from += n;
            return Poll::Ready(Ok(()));
        }
        if let Some(e) = this.failed.take() {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut this.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for ReplayIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.swallow {
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut this.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.swallow {
            return Poll::Ready(Ok(bufs.iter().map(|b| b.len()).sum()));
        }
        Pin::new(&mut this.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.swallow {
            this.swallow = false;
            if let Some(reader) = this.reader.take() {
                reader.wake();
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    async fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap());
        let (client, accepted) = tokio::join!(client, listener.accept());
        (client.unwrap(), accepted.unwrap().0)
    }

    #[tokio::test]
    async fn the_sent_request_is_swallowed_then_the_read_bytes_come_before_the_socket() {
        let (client, mut server) = pair().await;
        let read = b"HTTP/1.1 200 OK\r\n".to_vec();
        let mut io = ReplayIo::after(client, read, None, true);
        io.write_all(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
        io.flush().await.unwrap();
        io.write_all(b"next").await.unwrap();
        server
            .write_all(b"content-length: 0\r\n\r\n")
            .await
            .unwrap();
        let mut got = vec![0u8; 64];
        let mut all = Vec::new();
        while all.len() < 38 {
            let n = io.read(&mut got).await.unwrap();
            all.extend_from_slice(&got[..n]);
        }
        assert_eq!(all, b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
        let mut sent = [0u8; 4];
        server.read_exact(&mut sent).await.unwrap();
        assert_eq!(
            &sent, b"next",
            "only the writes after the first flush reach the peer"
        );
    }

    #[tokio::test]
    async fn a_failed_read_is_replayed_once_after_the_bytes() {
        let (client, _server) = pair().await;
        let failed = io::Error::from(io::ErrorKind::ConnectionReset);
        let mut io = ReplayIo::after(client, b"HT".to_vec(), Some(failed), false);
        let mut got = [0u8; 8];
        assert_eq!(io.read(&mut got).await.unwrap(), 2);
        let err = io.read(&mut got).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
    }
}
