//! The driver's own HTTP/1.1 exchange for the plain case, on one task with no allocation.
//!
//! hyper's client costs a second task per connection, a channel hop and a header map per
//! response; oha pays the same, so a hyper-based driver can at best equal it. A [`LeanConn`]
//! writes the request from a buffer it keeps (only the method, path and id change), reads into
//! a buffer it keeps, parses the head with httparse configured exactly as hyper's lenient client
//! is, and checks the body as it arrives. It reads only what it can judge exactly as hyper
//! would: an HTTP/1.1 status 200–599 other than 204 and 304, framed by one plain
//! `Content-Length`, with a head that fits its buffer and [`HEAD_SLOTS`] lines. Anything else is
//! handed to hyper ([`Handover`]): the bytes read so far and how reading ended go to a
//! [`ReplayIo`](super::replay::ReplayIo), so hyper parses, judges and words the failure exactly
//! as before, and the connection stays hyper's from then on.

use std::io;

use fake_upstreams::body::{DIGEST_HEADER, Verifier};
use http::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::classify::Stage;
use super::conn::{OpenError, connect};
use super::plan::{LoadPlan, REQUEST_ID_HEADER};
use super::replay::ReplayIo;
use super::verdict::{Exchange, judged};

/// Bytes read at once, and the largest head the lean exchange reads itself.
const READ_BUF: usize = 32 * 1024;

/// Header lines the lean exchange parses; a head with more goes to hyper (up to its 1024).
pub(crate) const HEAD_SLOTS: usize = 64;

/// Whether the lean exchange can send this request: no request body, a response that has
/// one (not HEAD, not CONNECT) and a path that hyper would send byte for byte.
pub(crate) fn takes(method: &Method, path: &str) -> bool {
    !LoadPlan::sends_body(method)
        && LoadPlan::expects_body(method)
        && *method != Method::CONNECT
        && path.starts_with('/')
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%".contains(&b))
}

/// An open connection the lean exchange drives.
#[derive(Debug)]
pub(crate) struct LeanConn {
    stream: TcpStream,
    request: Vec<u8>,
    buf: Box<[u8]>,
    /// The digest header of the response being read (kept for a mismatch's detail).
    digest: Vec<u8>,
}

/// How a lean exchange ended.
pub(crate) enum Step {
    /// Judged here; the connection comes back if it can carry the next request.
    Done(Exchange, Option<LeanConn>),
    /// hyper must read this response (see the module doc).
    Handover(Handover),
}

/// A connection whose request was sent and whose response hyper must read.
pub(crate) struct Handover {
    stream: TcpStream,
    /// Every byte read from the response so far.
    read: Vec<u8>,
    /// The error that ended reading, if one did.
    failed: Option<io::Error>,
}

impl Handover {
    /// The connection for hyper: its copy of the request swallowed, then what was read.
    pub fn into_io(self) -> ReplayIo {
        ReplayIo::after(self.stream, self.read, self.failed, true)
    }
}

/// What the head of a response the lean exchange reads says.
struct Head {
    len: usize,
    status: u16,
    /// Whether the body is checked (a 2xx).
    verify: bool,
    content_length: usize,
    close: bool,
    verifier: Option<Verifier>,
}

impl LeanConn {
    /// Connect to `addr`.
    pub async fn open(addr: std::net::SocketAddr) -> Result<Self, OpenError> {
        Ok(Self {
            stream: connect(addr).await?,
            request: Vec::with_capacity(256),
            buf: vec![0; READ_BUF].into_boxed_slice(),
            digest: Vec::with_capacity(32),
        })
    }

    /// Whether the server closed this idle connection (or sent bytes nobody asked for) since
    /// the last response, as hyper's read while idle would find: then it must not be used.
    pub fn went_away(&self) -> bool {
        let mut byte = [0u8; 1];
        !matches!(self.stream.try_read(&mut byte), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
    }

    /// The bare stream, for hyper to carry a request the lean exchange does not take.
    pub fn into_stream(self) -> TcpStream {
        self.stream
    }

    /// Send request `index` (`method` on `path`, see [`takes`]) and read its response.
    pub async fn exchange(
        mut self,
        plan: &LoadPlan,
        index: u64,
        method: &Method,
        path: &str,
    ) -> Step {
        self.write_request(plan, index, method, path);
        if let Err(e) = self.stream.write_all(&self.request).await {
            return Step::Done(Exchange::from_error(&e, Stage::BeforeHead), None);
        }
        let (head, filled) = match self.read_head().await {
            Ok(read) => read,
            Err(failed) => return self.hand_over(failed),
        };
        self.read_body(head, filled).await
    }

    fn write_request(&mut self, plan: &LoadPlan, index: u64, method: &Method, path: &str) {
        let r = &mut self.request;
        r.clear();
        for part in [
            method.as_str(),
            " ",
            path,
            " HTTP/1.1\r\nhost: ",
            &plan.host,
        ] {
            r.extend_from_slice(part.as_bytes());
        }
        r.extend_from_slice(b"\r\n");
        r.extend_from_slice(REQUEST_ID_HEADER.as_bytes());
        r.extend_from_slice(b": ");
        r.extend_from_slice(itoa::Buffer::new().format(index).as_bytes());
        r.extend_from_slice(b"\r\n\r\n");
    }

    /// Read until a head the lean exchange takes is complete: the head and the bytes in the
    /// buffer. `Err` when hyper must read the response: the bytes so far are `buf[..n]` and
    /// reading ended with the error, if any.
    async fn read_head(&mut self) -> Result<(Head, usize), (usize, Option<io::Error>)> {
        let mut filled = 0;
        loop {
            match self.stream.read(&mut self.buf[filled..]).await {
                Ok(0) => return Err((filled, None)),
                Ok(n) => filled += n,
                Err(e) => return Err((filled, Some(e))),
            }
            match self.parse_head(filled) {
                Parsed::Head(head) => return Ok((head, filled)),
                Parsed::Partial if filled < self.buf.len() => {}
                Parsed::Partial | Parsed::NotLean => return Err((filled, None)),
            }
        }
    }

    fn parse_head(&mut self, filled: usize) -> Parsed {
        let mut slots = [httparse::EMPTY_HEADER; HEAD_SLOTS];
        let mut response = httparse::Response::new(&mut slots);
        let len = match parser().parse_response(&mut response, &self.buf[..filled]) {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) => return Parsed::Partial,
            Err(_) => return Parsed::NotLean,
        };
        let status = response.code.unwrap_or(0);
        if response.version != Some(1)
            || !(200..=599).contains(&status)
            || [204, 304].contains(&status)
        {
            return Parsed::NotLean;
        }
        let mut content_length = None;
        let mut close = false;
        let mut digest = None;
        for h in response.headers.iter() {
            if h.value.iter().any(|&b| b == b'\r' || b == b'\n') {
                // A folded line: hyper unfolds it; let hyper read the response.
                return Parsed::NotLean;
            }
            if h.name.eq_ignore_ascii_case("content-length") {
                match (content_length, plain_length(h.value)) {
                    (None, Some(n)) => content_length = Some(n),
                    _ => return Parsed::NotLean,
                }
            } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                return Parsed::NotLean;
            } else if h.name.eq_ignore_ascii_case("connection") {
                close |= has_close_token(h.value);
            } else if h.name.eq_ignore_ascii_case(DIGEST_HEADER) && digest.is_none() {
                digest = Some(h.value);
            }
        }
        let Some(content_length) = content_length else {
            return Parsed::NotLean;
        };
        let verify = (200..300).contains(&status);
        self.digest.clear();
        let verifier = digest.filter(|_| verify).map(|value| {
            self.digest.extend_from_slice(value);
            Verifier::new(value)
        });
        Parsed::Head(Head {
            len,
            status,
            verify,
            content_length,
            close,
            verifier,
        })
    }

    /// Read the body the head announced, checking it as it arrives.
    async fn read_body(mut self, mut head: Head, filled: usize) -> Step {
        let in_buf = filled - head.len;
        let first = in_buf.min(head.content_length);
        let mut extra = in_buf > first;
        if let Some(v) = head.verifier.as_mut() {
            v.update(&self.buf[head.len..head.len + first]);
        }
        let mut left = head.content_length - first;
        while left > 0 {
            let n = match self.stream.read(&mut self.buf).await {
                Ok(0) => return Step::Done(truncated(), None),
                Ok(n) => n,
                Err(e) => return Step::Done(body_error(&e), None),
            };
            let take = n.min(left);
            extra = n > take;
            if let Some(v) = head.verifier.as_mut() {
                v.update(&self.buf[..take]);
            }
            left -= take;
        }
        let done = judged(head.status, head.verify, head.verifier, || {
            String::from_utf8_lossy(&self.digest).into_owned()
        });
        // Bytes after the response, or the server's `Connection: close`: hyper would close
        // the connection, so the next request gets a new one.
        let keep = !(extra || head.close);
        Step::Done(done, keep.then_some(self))
    }

    fn hand_over(self, (filled, failed): (usize, Option<io::Error>)) -> Step {
        Step::Handover(Handover {
            read: self.buf[..filled].to_vec(),
            stream: self.stream,
            failed,
        })
    }
}

enum Parsed {
    Head(Head),
    Partial,
    NotLean,
}

/// httparse as hyper's [lenient](super::conn::lenient) client configures it.
fn parser() -> httparse::ParserConfig {
    let mut config = httparse::ParserConfig::default();
    config
        .allow_spaces_after_header_name_in_responses(true)
        .allow_obsolete_multiline_headers_in_responses(true)
        .ignore_invalid_headers_in_responses(true);
    config
}

/// A `Content-Length` of digits only (no list, no sign, no spaces), if it fits.
fn plain_length(value: &[u8]) -> Option<usize> {
    if value.is_empty() || value.len() > 18 || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(value).ok()?.parse().ok()
}

/// Whether a `Connection` value lists `close` (as hyper reads it).
fn has_close_token(value: &[u8]) -> bool {
    value
        .split(|&b| b == b',')
        .any(|token| token.trim_ascii().eq_ignore_ascii_case(b"close"))
}

/// hyper's words for a body cut short, so a report reads the same whoever read the body.
fn truncated() -> Exchange {
    Exchange::failed(
        crate::outcome::Outcome::Truncated,
        "error reading a body from connection: end of file before message length reached".into(),
    )
}

fn body_error(e: &io::Error) -> Exchange {
    let (outcome, detail) = super::classify::classify(e, Stage::AfterHead);
    Exchange::failed(
        outcome,
        format!("error reading a body from connection: {detail}"),
    )
}

#[cfg(test)]
#[path = "lean_tests.rs"]
mod tests;
