//! Raw HTTP/1.1 plumbing shared by the faults that must break the protocol on purpose.
//!
//! hyper will not close a connection mid-response or send a reset, so the misbehaving faults
//! speak HTTP by hand. They all need the same few things: read one request head and body
//! (`Content-Length` or chunked) without getting stuck when the server stops, write bytes,
//! and end the connection with a FIN or a RST. That lives here, once. A connection is any
//! [`Stream`](crate::listener::Stream), so every fault works over TCP and unix sockets alike.

use std::io;
use std::time::Duration;

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::body;
use crate::counters::{Counters, Received, ReceivedSlot};
use crate::listener::BoxStream;
pub(crate) use crate::request_head::RequestLine;
use crate::request_head::{Framing, invalid, parse_head};

/// What a connection task needs besides its socket.
#[derive(Debug, Clone)]
pub(crate) struct ConnCtx {
    pub counters: Arc<Counters>,
    pub shutdown: CancellationToken,
    /// This connection's 1-based number in the server's accept order ([`Received::conn`]).
    pub conn: u64,
    /// The kind of the fault serving it ([`Received::fault`]).
    pub fault: &'static str,
}

impl ConnCtx {
    /// Count a request read on this connection and keep its [`Received`] record
    /// (`fired: false`; [`Counters::fire_on`] marks it when the fault misbehaves on it).
    pub(crate) fn record(&self, head: RequestLine) -> ReceivedSlot {
        self.counters.request(Received {
            id: head.id,
            method: head.method,
            path: head.target,
            http_version: head.version,
            connection: head.connection,
            fault: self.fault.to_owned(),
            fired: false,
            conn: self.conn,
            script_filename: head.script_filename,
        })
    }
}

/// Largest request head we accept; nginx's own default limits are far below this.
const MAX_HEAD: usize = 64 * 1024;

/// The parts of a request the faults care about (mostly for logs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Request {
    pub method: String,
    pub target: String,
    pub body_len: u64,
    /// The load driver's [`REQUEST_ID_HEADER`], when the request carried a valid one.
    pub id: Option<u64>,
}

/// What one read attempt produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fill {
    /// More bytes are in the buffer.
    Data,
    /// The peer closed its side.
    Eof,
    /// The server is stopping.
    Shutdown,
}

/// One accepted connection, spoken to by hand.
pub(crate) struct RawConn {
    stream: BoxStream,
    buf: BytesMut,
    ctx: ConnCtx,
    /// The record of the last request read, for [`fire`](Self::fire).
    last: Option<ReceivedSlot>,
}

impl RawConn {
    pub(crate) fn new(stream: BoxStream, ctx: ConnCtx) -> Self {
        Self {
            stream,
            buf: BytesMut::with_capacity(8 * 1024),
            ctx,
            last: None,
        }
    }

    pub(crate) fn ctx(&self) -> &ConnCtx {
        &self.ctx
    }

    /// Read more bytes into the buffer, unless the peer closes or the server stops first.
    pub(crate) async fn fill(&mut self) -> io::Result<Fill> {
        tokio::select! {
            () = self.ctx.shutdown.cancelled() => Ok(Fill::Shutdown),
            n = self.stream.read_buf(&mut self.buf) => Ok(if n? == 0 { Fill::Eof } else { Fill::Data }),
        }
    }

    /// The bytes read but not yet taken.
    pub(crate) fn buffered(&self) -> &[u8] {
        &self.buf
    }

    /// Take the first `n` buffered bytes (which must be there).
    pub(crate) fn take(&mut self, n: usize) -> BytesMut {
        self.buf.split_to(n)
    }

    /// Keep `slot` as the record [`fire`](Self::fire) marks (for a protocol read elsewhere).
    pub(crate) fn set_last(&mut self, slot: ReceivedSlot) {
        self.last = Some(slot);
    }

    /// Make the connection end with a RST when it is dropped (see [`reset`](Self::reset)).
    pub(crate) fn reset_on_drop(&self) -> io::Result<()> {
        self.stream.abort_on_close()
    }

    /// Forget bytes read but not parsed (e.g. a pipelined request we will never answer).
    pub(crate) fn discard_buffered(&mut self) {
        self.buf.clear();
    }

    /// Whether bytes of a next request are already buffered.
    pub(crate) fn has_buffered(&self) -> bool {
        !self.buf.is_empty()
    }

    /// Read one complete request (head and body). `None` means the peer closed before a
    /// request began, or the server is stopping: either way, end the connection quietly.
    pub(crate) async fn read_request(&mut self) -> io::Result<Option<Request>> {
        let Some(head) = self.read_head().await? else {
            return Ok(None);
        };
        let head = parse_head(&head)?;
        let (method, target, id) = (
            head.line.method.clone(),
            head.line.target.clone(),
            head.line.id,
        );
        self.last = Some(self.ctx.record(head.line));
        let body_len = self.skip_framed(head.framing).await?;
        Ok(body_len.map(|body_len| Request {
            method,
            target,
            body_len,
            id,
        }))
    }

    /// Read one request head and record it, leaving its body unread (for a fault that never
    /// reads the request, only sees that it came). `None` as for
    /// [`read_request`](Self::read_request).
    pub(crate) async fn read_head_only(&mut self) -> io::Result<Option<RequestLine>> {
        let Some(head) = self.read_head().await? else {
            return Ok(None);
        };
        let line = parse_head(&head)?.line;
        self.last = Some(self.ctx.record(line.clone()));
        Ok(Some(line))
    }

    /// Read one request head and record it, returning its text (request line, headers,
    /// blank line) for a fault that needs headers the record does not keep (e.g. a
    /// WebSocket upgrade's). The body is left unread. `None` as for
    /// [`read_request`](Self::read_request).
    pub(crate) async fn read_head_text(&mut self) -> io::Result<Option<String>> {
        let Some(head) = self.read_head().await? else {
            return Ok(None);
        };
        let line = parse_head(&head)?.line;
        self.last = Some(self.ctx.record(line));
        Ok(Some(head))
    }

    /// Consume the body of a request whose head [`read_head_text`](Self::read_head_text)
    /// returned (to answer it after all); `None` if the server stopped first.
    pub(crate) async fn skip_body(&mut self, head: &str) -> io::Result<Option<u64>> {
        self.skip_framed(parse_head(head)?.framing).await
    }

    async fn skip_framed(&mut self, framing: Framing) -> io::Result<Option<u64>> {
        match framing {
            Framing::Length(n) => self.skip(n).await,
            Framing::Chunked => self.skip_chunked().await,
        }
    }

    /// Take the socket, the bytes read past what was parsed, and the context, for a fault
    /// that hands the connection to another protocol after a request (a WebSocket upgrade).
    pub(crate) fn into_parts_buffered(self) -> (BoxStream, BytesMut, ConnCtx) {
        (self.stream, self.buf, self.ctx)
    }

    /// Count one misbehaviour on the request read last, marking its [`Received`] record
    /// fired; with no request read yet, count it alone.
    pub(crate) fn fire(&self) {
        match self.last {
            Some(slot) => self.ctx.counters.fire_on(slot),
            None => self.ctx.counters.fire(),
        }
    }

    /// The preamble of most faults: read one request, log what the fault does to it
    /// (`action`) and count the misbehaviour. `None` as for [`read_request`](Self::read_request).
    pub(crate) async fn read_request_and_fire(
        &mut self,
        action: &str,
    ) -> io::Result<Option<Request>> {
        let request = self.read_request().await?;
        if let Some(req) = &request {
            tracing::debug!(?req, action);
            self.fire();
        }
        Ok(request)
    }

    /// Take the socket and context back, for a fault that hands the connection to hyper.
    /// Nothing has been read yet, so no buffered byte is lost.
    pub(crate) fn into_parts(self) -> (BoxStream, ConnCtx) {
        debug_assert!(self.buf.is_empty(), "into_parts after a read");
        (self.stream, self.ctx)
    }

    /// Keep the connection open, discarding anything the peer sends, until `delay` has passed
    /// (`None`: forever). `false` if the peer closed or the server stopped first.
    pub(crate) async fn hold(&mut self, delay: Option<Duration>) -> io::Result<bool> {
        let timer = async {
            match delay {
                Some(delay) => tokio::time::sleep(delay).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(timer);
        loop {
            tokio::select! {
                () = &mut timer => return Ok(true),
                fill = self.fill() => match fill? {
                    Fill::Data => self.discard_buffered(),
                    Fill::Eof | Fill::Shutdown => return Ok(false),
                },
            }
        }
    }

    /// Write all of `bytes`; `false` if the server stopped before they were written.
    pub(crate) async fn write_all(&mut self, bytes: &[u8]) -> io::Result<bool> {
        tokio::select! {
            () = self.ctx.shutdown.cancelled() => Ok(false),
            res = self.stream.write_all(bytes) => res.map(|()| true),
        }
    }

    /// End the connection politely: FIN after whatever was written.
    pub(crate) async fn finish(mut self) {
        let _ = self.stream.shutdown().await;
    }

    /// End the connection with a TCP reset (`SO_LINGER` 0), so the peer reads ECONNRESET.
    /// A unix socket has no reset: there the connection is simply closed.
    pub(crate) fn reset(self) -> io::Result<()> {
        self.stream.abort_on_close()
    }

    async fn read_head(&mut self) -> io::Result<Option<String>> {
        loop {
            if let Some(pos) = find(&self.buf, b"\r\n\r\n") {
                let head = self.buf.split_to(pos + 4);
                return String::from_utf8(head.to_vec())
                    .map(Some)
                    .map_err(|_| invalid("request head is not UTF-8"));
            }
            if self.buf.len() > MAX_HEAD {
                return Err(invalid("request head too large"));
            }
            match self.fill().await? {
                Fill::Data => {}
                Fill::Shutdown => return Ok(None),
                Fill::Eof if self.buf.is_empty() => return Ok(None),
                Fill::Eof => return Err(io::ErrorKind::UnexpectedEof.into()),
            }
        }
    }

    /// Consume `n` body bytes; `None` if the server stopped first.
    async fn skip(&mut self, mut n: u64) -> io::Result<Option<u64>> {
        let total = n;
        while n > 0 {
            if self.buf.is_empty() && !self.more().await? {
                return Ok(None);
            }
            let take = self.buf.len().min(usize::try_from(n).unwrap_or(usize::MAX));
            self.buf.advance(take);
            n -= take as u64;
        }
        Ok(Some(total))
    }

    /// Consume a chunked body and its trailers; `None` if the server stopped first.
    async fn skip_chunked(&mut self) -> io::Result<Option<u64>> {
        let mut total = 0;
        loop {
            let Some(line) = self.read_line().await? else {
                return Ok(None);
            };
            let size = line.split(';').next().unwrap_or("").trim();
            let size = u64::from_str_radix(size, 16).map_err(|_| invalid("bad chunk size"))?;
            if size == 0 {
                break;
            }
            total += size;
            if self.skip(size + 2).await?.is_none() {
                return Ok(None);
            }
        }
        loop {
            match self.read_line().await? {
                None => return Ok(None),
                Some(trailer) if trailer.is_empty() => return Ok(Some(total)),
                Some(_) => {}
            }
        }
    }

    async fn read_line(&mut self) -> io::Result<Option<String>> {
        loop {
            if let Some(pos) = find(&self.buf, b"\r\n") {
                let line = self.buf.split_to(pos + 2);
                return Ok(Some(String::from_utf8_lossy(&line[..pos]).into_owned()));
            }
            if self.buf.len() > MAX_HEAD {
                return Err(invalid("chunk line too long"));
            }
            if !self.more().await? {
                return Ok(None);
            }
        }
    }

    /// Read more inside a request: EOF is an error, shutdown is `false`.
    async fn more(&mut self) -> io::Result<bool> {
        match self.fill().await? {
            Fill::Data => Ok(true),
            Fill::Shutdown => Ok(false),
            Fill::Eof => Err(io::ErrorKind::UnexpectedEof.into()),
        }
    }
}

/// A `200 OK` with a pattern body of `body_size` bytes, its digest header, `Connection:
/// close`, and `extra_headers` (complete `Name: value\r\n` lines) before the blank line.
pub(crate) fn ok_response(body_size: usize, extra_headers: &[u8]) -> Vec<u8> {
    let payload = body::pattern(body_size);
    let mut out = ok_head(body_size, false, extra_headers);
    out.extend_from_slice(&payload);
    out
}

/// The head of [`ok_response`] alone, announcing (and digesting) a pattern body of
/// `body_size` bytes; `keep_alive` leaves out `Connection: close`. For faults that send the
/// body in pieces, or not at all.
pub(crate) fn ok_head(body_size: usize, keep_alive: bool, extra_headers: &[u8]) -> Vec<u8> {
    let payload = body::pattern(body_size);
    let mut out = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: {}\r\n\
         {}{}",
        payload.len(),
        body::digest_line(&payload),
        if keep_alive {
            ""
        } else {
            "connection: close\r\n"
        },
    )
    .into_bytes();
    out.extend_from_slice(extra_headers);
    out.extend_from_slice(b"\r\n");
    out
}

/// Longest padding header line, CRLF included; real servers rarely send longer ones.
const MAX_LINE: usize = 1000;

/// `X-Pad-NNNN: xxx…` header lines totalling `size` bytes (a few more if the last line would be too short).
pub(crate) fn padding_headers(size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + MAX_LINE);
    let mut index = 1;
    while out.len() < size {
        let prefix = format!("X-Pad-{index:04}: ");
        let min_line = prefix.len() + 1 + 2;
        let line_len = (size - out.len()).clamp(min_line, MAX_LINE.max(min_line));
        out.extend_from_slice(prefix.as_bytes());
        out.resize(out.len() + line_len - prefix.len() - 2, b'x');
        out.extend_from_slice(b"\r\n");
        index += 1;
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_has_the_asked_size_in_short_lines() {
        for size in [0, 1, 14, 15, 999, 1000, 1001, 12 * 1024] {
            let pad = padding_headers(size);
            assert!(
                pad.len() >= size && pad.len() < size + 15,
                "{size}: {}",
                pad.len()
            );
            let text = String::from_utf8(pad).unwrap();
            for line in text.split_terminator("\r\n") {
                assert!(line.len() + 2 <= MAX_LINE, "{line}");
                assert!(line.starts_with("X-Pad-") && line.contains(": x"), "{line}");
            }
        }
    }
}
