//! One FastCGI connection as php-fpm serves it: read a whole request, answer, and either
//! close (php-fpm's way unless nginx asked otherwise) or wait for the next request when
//! BEGIN_REQUEST carried FCGI_KEEP_CONN (`fastcgi_keep_conn on`).
//!
//! [`FcgiConn`] wraps the [`RawConn`] the faults share, so stopping, holding, FIN and RST
//! work as for the HTTP faults. Each request read is recorded like an HTTP one: method and
//! target from `REQUEST_METHOD` and `REQUEST_URI`, `http_version` `FastCGI/1`, `connection`
//! `keep-alive` under FCGI_KEEP_CONN else `close`, the load driver's id from
//! `HTTP_X_BADGATEWAY_REQUEST`, and `SCRIPT_FILENAME`. When the first bytes are not a
//! FastCGI record (an HTTP request from `proxy_pass`), it resets the connection, as
//! php-fpm's closing with unread input does: nginx logs `recv() failed (104: Connection
//! reset by peer)`.

use std::io;
use std::time::Duration;

use super::{
    BadHeader, HEADER_LEN, Header, RecordType, parse_begin, parse_pairs, push_record,
    stream_records,
};
use crate::counters::REQUEST_ID_HEADER;
use crate::request::{Fill, RawConn, RequestLine};

/// What [`Received::http_version`](crate::Received) says of a FastCGI request.
pub const FASTCGI_VERSION: &str = "FastCGI/1";

/// One request as nginx sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FcgiRequest {
    pub id: u16,
    pub role: u16,
    pub keep_conn: bool,
    pub params: Vec<(Vec<u8>, Vec<u8>)>,
    pub stdin_len: u64,
}

impl FcgiRequest {
    /// The value of param `name`, if sent (and UTF-8).
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        let (_, value) = self.params.iter().find(|(n, _)| n == name.as_bytes())?;
        std::str::from_utf8(value).ok()
    }

    fn line(&self) -> RequestLine {
        let id_param = format!("HTTP_{}", REQUEST_ID_HEADER.replace('-', "_")).to_uppercase();
        RequestLine {
            method: self.param("REQUEST_METHOD").unwrap_or("").to_owned(),
            target: self.param("REQUEST_URI").unwrap_or("").to_owned(),
            version: FASTCGI_VERSION.to_owned(),
            connection: Some(
                if self.keep_conn {
                    "keep-alive"
                } else {
                    "close"
                }
                .to_owned(),
            ),
            id: self.param(&id_param).and_then(|v| v.trim().parse().ok()),
            script_filename: self.param("SCRIPT_FILENAME").map(str::to_owned),
        }
    }
}

/// What a fault answers to one request: STDERR text (may be empty), the STDOUT bytes (the
/// CGI response), and the END_REQUEST protocol status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Answer {
    pub stderr: Vec<u8>,
    pub stdout: Vec<u8>,
    pub protocol_status: u8,
    /// Time the worker spends before answering (a slow script).
    pub delay: Option<Duration>,
    /// The answer is the fault's misbehaviour: count it fired on the request.
    pub fires: bool,
}

/// A FastCGI connection over a [`RawConn`].
pub(crate) struct FcgiConn {
    raw: RawConn,
}

impl FcgiConn {
    pub(crate) fn new(raw: RawConn) -> FcgiConn {
        FcgiConn { raw }
    }

    /// Serve requests with `answer` until the peer leaves, a request lacks FCGI_KEEP_CONN
    /// (then close with a FIN after END_REQUEST), or the server stops.
    pub(crate) async fn serve_answers(
        mut self,
        mut answer: impl FnMut(&FcgiRequest) -> Answer,
    ) -> io::Result<()> {
        while let Some(req) = self.read_request().await? {
            let answer = answer(&req);
            if answer.fires {
                self.raw.fire();
            }
            if let Some(delay) = answer.delay
                && !self.work(delay).await
            {
                return Ok(());
            }
            if !self.answer(&req, &answer).await? {
                return Ok(());
            }
            if !req.keep_conn {
                break;
            }
        }
        self.finish().await;
        Ok(())
    }

    /// Spend `delay` busy (the worker stays busy if nginx leaves); `false` if the server stopped.
    async fn work(&mut self, delay: Duration) -> bool {
        let shutdown = self.raw.ctx().shutdown.clone();
        tokio::select! {
            () = shutdown.cancelled() => false,
            () = tokio::time::sleep(delay) => true,
        }
    }

    /// Write a whole answer: STDERR, STDOUT, the empty records closing them, END_REQUEST.
    /// `false` if the server stopped first.
    pub(crate) async fn answer(&mut self, req: &FcgiRequest, answer: &Answer) -> io::Result<bool> {
        let mut out = Vec::new();
        if !answer.stderr.is_empty() {
            out.extend(stream_records(RecordType::Stderr, req.id, &answer.stderr));
            push_record(&mut out, RecordType::Stderr, req.id, &[]);
        }
        if !answer.stdout.is_empty() {
            out.extend(stream_records(RecordType::Stdout, req.id, &answer.stdout));
            push_record(&mut out, RecordType::Stdout, req.id, &[]);
        }
        out.extend(super::end_request(req.id, 0, answer.protocol_status));
        self.raw.write_all(&out).await
    }

    /// Write `data` as STDOUT records (no end): part of a response.
    pub(crate) async fn stdout(&mut self, req: &FcgiRequest, data: &[u8]) -> io::Result<bool> {
        self.raw
            .write_all(&stream_records(RecordType::Stdout, req.id, data))
            .await
    }

    /// Read one whole request and record it; see [`read_request`].
    pub(crate) async fn read_request(&mut self) -> io::Result<Option<FcgiRequest>> {
        read_request(&mut self.raw).await
    }

    /// Read a request and count the misbehaviour on it, logging `action`.
    pub(crate) async fn read_request_and_fire(
        &mut self,
        action: &str,
    ) -> io::Result<Option<FcgiRequest>> {
        let req = self.read_request().await?;
        if let Some(req) = &req {
            tracing::debug!(uri = req.param("REQUEST_URI"), action);
            self.raw.fire();
        }
        Ok(req)
    }

    /// Keep the connection open for `delay` (`None`: until the peer leaves or the server
    /// stops); `false` if either happened first.
    pub(crate) async fn hold(&mut self, delay: Option<Duration>) -> io::Result<bool> {
        self.raw.hold(delay).await
    }

    /// Close with a FIN, as php-fpm does after END_REQUEST or when a child dies.
    pub(crate) async fn finish(self) {
        self.raw.finish().await;
    }
}

/// Read one whole request (BEGIN_REQUEST, PARAMS to the empty one, STDIN to the empty
/// one) and record it. `None`: the peer left, the server stopped, or nginx aborted the
/// request. An error when the peer does not speak FastCGI: the connection, dropped, then
/// ends with a RST.
pub(crate) async fn read_request(raw: &mut RawConn) -> io::Result<Option<FcgiRequest>> {
    let mut begin = None;
    let mut params = Vec::new();
    let mut stdin_len = 0;
    loop {
        let Some((head, content)) = read_record(raw).await? else {
            return Ok(None);
        };
        match head.kind {
            RecordType::BeginRequest => {
                let (role, flags) =
                    parse_begin(&content).ok_or_else(|| bad("short BEGIN_REQUEST"))?;
                begin = Some((head.request_id, role, flags));
            }
            RecordType::Params => params.extend_from_slice(&content),
            RecordType::Stdin if content.is_empty() => break,
            RecordType::Stdin => stdin_len += content.len() as u64,
            RecordType::AbortRequest => return Ok(None),
            _ => {}
        }
    }
    let (id, role, flags) = begin.ok_or_else(|| bad("STDIN before BEGIN_REQUEST"))?;
    let req = FcgiRequest {
        id,
        role,
        keep_conn: flags & super::FLAG_KEEP_CONN != 0,
        params: parse_pairs(&params).ok_or_else(|| bad("malformed PARAMS"))?,
        stdin_len,
    };
    let slot = raw.ctx().record(req.line());
    raw.set_last(slot);
    Ok(Some(req))
}

/// One whole record: header and content (padding dropped). `None` as for
/// [`read_request`](read_request).
async fn read_record(raw: &mut RawConn) -> io::Result<Option<(Header, Vec<u8>)>> {
    if !fill_to(raw, HEADER_LEN).await? {
        return Ok(None);
    }
    let head = match Header::parse(raw.buffered()) {
        Ok(head) => head,
        Err(BadHeader::Version(v)) => {
            // An error, so no caller closes politely first: the drop is the RST.
            raw.reset_on_drop()?;
            return Err(bad(&format!(
                "first byte {v} is not version 1; resetting like php-fpm"
            )));
        }
        Err(BadHeader::Type(t)) => return Err(bad(&format!("unknown record type {t}"))),
    };
    if !fill_to(raw, head.record_len()).await? {
        return Ok(None);
    }
    let record = raw.take(head.record_len());
    let content = record[HEADER_LEN..HEADER_LEN + usize::from(head.content_len)].to_vec();
    Ok(Some((head, content)))
}

/// Buffer at least `n` bytes; `false` if the peer left or the server stopped first.
async fn fill_to(raw: &mut RawConn, n: usize) -> io::Result<bool> {
    while raw.buffered().len() < n {
        match raw.fill().await? {
            Fill::Data => {}
            Fill::Eof | Fill::Shutdown => return Ok(false),
        }
    }
    Ok(true)
}

/// Whether the peer speaks FastCGI: its first byte is version 1 (an HTTP request starts
/// with a letter). `None` if it left or the server stopped before sending a byte.
pub(crate) async fn speaks_fastcgi(raw: &mut RawConn) -> io::Result<Option<bool>> {
    Ok(fill_to(raw, 1)
        .await?
        .then(|| raw.buffered()[0] == super::VERSION))
}

/// For the faults that never answer (`reset`, `close_before_response`, `stall`): read one
/// request in whichever protocol the peer speaks and count the misbehaviour on it. `None`
/// as for [`read_request`]; `Some(true)` for a FastCGI request.
pub(crate) async fn read_either_and_fire(
    raw: &mut RawConn,
    action: &str,
) -> io::Result<Option<bool>> {
    match speaks_fastcgi(raw).await? {
        None => Ok(None),
        Some(false) => Ok(raw.read_request_and_fire(action).await?.map(|_| false)),
        Some(true) => {
            let Some(req) = read_request(raw).await? else {
                return Ok(None);
            };
            tracing::debug!(uri = req.param("REQUEST_URI"), action);
            raw.fire();
            Ok(Some(true))
        }
    }
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("FastCGI: {what}"))
}
