//! Parsing one HTTP/1.x request head: what the body reader needs (its framing) and what the
//! counters keep of the request (its [`Received`](crate::counters::Received) record).

use std::io;

use crate::counters::REQUEST_ID_HEADER;

/// What a request's head says about it, for its [`Received`](crate::counters::Received)
/// record.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct RequestLine {
    pub method: String,
    pub target: String,
    /// As on the request line, e.g. `HTTP/1.1`.
    pub version: String,
    /// The `Connection` header, lowercased.
    pub connection: Option<String>,
    /// The load driver's [`REQUEST_ID_HEADER`], when valid.
    pub id: Option<u64>,
    /// FastCGI's `SCRIPT_FILENAME` param, when the request was FastCGI and had one.
    pub script_filename: Option<String>,
}

/// How the request body is framed.
pub(crate) enum Framing {
    Length(u64),
    Chunked,
}

/// The request line and what the body parser and the counters need from the headers.
pub(crate) struct Head {
    pub line: RequestLine,
    pub framing: Framing,
}

/// Parse a complete head (request line, headers, blank line), lenient about all but what
/// the body framing needs.
pub(crate) fn parse_head(head: &str) -> io::Result<Head> {
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or("").split(' ');
    let mut line = RequestLine {
        method: request_line.next().unwrap_or("").to_owned(),
        target: request_line.next().unwrap_or("").to_owned(),
        version: request_line.next().unwrap_or("").to_owned(),
        ..RequestLine::default()
    };
    let mut framing = Framing::Length(0);
    for header in lines.filter(|l| !l.is_empty()) {
        let (name, value) = header
            .split_once(':')
            .ok_or_else(|| invalid("bad header line"))?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") && !matches!(framing, Framing::Chunked) {
            let n = value.parse().map_err(|_| invalid("bad content-length"))?;
            framing = Framing::Length(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding")
            && value.to_ascii_lowercase().ends_with("chunked")
        {
            framing = Framing::Chunked;
        } else if name.eq_ignore_ascii_case(REQUEST_ID_HEADER) {
            line.id = value.parse().ok();
        } else if name.eq_ignore_ascii_case("connection") {
            line.connection = Some(value.to_ascii_lowercase());
        }
    }
    Ok(Head { line, framing })
}

/// An `InvalidData` error: the peer sent something that is not HTTP/1.x.
pub(crate) fn invalid(msg: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}
