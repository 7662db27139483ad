//! Turning a failed request's error into an [`Outcome`].
//!
//! The same underlying failure means different things depending on how far the response got:
//! a reset before any response byte is `reset`, but after the head arrived it is a `truncated`
//! body. So every error is classified together with the [`Stage`] it happened in. The error text
//! (with its whole `source()` chain) is always kept as the sample's detail.
//!
//! A response hyper cannot parse is `parse_error` only when its status line is not HTTP/1.x
//! (curl refuses those too); any other parse failure is the client's own refusal of a valid
//! HTTP/1.x response, `client_rejected`, whose detail starts with [`REJECTED_PREFIX`].

use std::error::Error as StdError;
use std::io;

use super::conn::LIMITS;
use crate::outcome::Outcome;

/// How far a request had got when it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Opening the TCP connection.
    Connect,
    /// Connection open; the response head has not arrived yet.
    BeforeHead,
    /// The response head arrived; the body was being read.
    AfterHead,
}

/// The outcome of a request that failed with `err` during `stage`, and the detail to keep.
pub fn classify(err: &(dyn StdError + 'static), stage: Stage) -> (Outcome, String) {
    let outcome = match (stage, hyper_error(err)) {
        (Stage::Connect, _) => classify_connect(err),
        (Stage::BeforeHead, Some(h)) => classify_hyper_before_head(h, err),
        (Stage::BeforeHead, None) => classify_io_before_head(err),
        (Stage::AfterHead, _) => classify_after_head(err),
    };
    let too_large = hyper_error(err).is_some_and(hyper::Error::is_parse_too_large);
    let detail = match outcome {
        Outcome::ClientRejected if too_large => {
            format!("{REJECTED_PREFIX}{} ({LIMITS})", error_chain(err))
        }
        Outcome::ClientRejected => format!("{REJECTED_PREFIX}{}", error_chain(err)),
        _ => error_chain(err),
    };
    (outcome, detail)
}

/// How the detail of a `client_rejected` request starts, before hyper's reason.
pub const REJECTED_PREFIX: &str = "refused by the load driver, not nginx: ";

/// hyper's text for a status line that is not `HTTP/1.x` (its `Parse::Version`, which it has
/// no predicate for); checked against real hyper by the `garbage_is_a_parse_error` test.
const NOT_HTTP1: &str = "invalid HTTP version parsed";

/// Whether hyper refused the response because it is not HTTP/1.x at all: no `HTTP/1.x`
/// version, an HTTP/2 preface, or a status code that is not three digits.
fn not_http1(h: &hyper::Error) -> bool {
    h.is_parse_status() || h.is_parse_version_h2() || h.to_string().starts_with(NOT_HTTP1)
}

fn classify_connect(err: &(dyn StdError + 'static)) -> Outcome {
    match io_kind(err) {
        Some(io::ErrorKind::ConnectionRefused) => Outcome::Refused,
        Some(io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted) => Outcome::Reset,
        Some(io::ErrorKind::TimedOut) => Outcome::Timeout,
        _ => Outcome::OtherError,
    }
}

fn classify_hyper_before_head(h: &hyper::Error, err: &(dyn StdError + 'static)) -> Outcome {
    if is_reset(err) {
        Outcome::Reset
    } else if not_http1(h) {
        Outcome::ParseError
    } else if h.is_parse() || h.is_parse_too_large() {
        Outcome::ClientRejected
    } else if h.is_incomplete_message() || h.is_canceled() || h.is_closed() {
        // Canceled/closed: the connection went away before the request got a response.
        Outcome::Closed
    } else if h.is_timeout() {
        Outcome::Timeout
    } else {
        classify_io_before_head(err)
    }
}

fn classify_io_before_head(err: &(dyn StdError + 'static)) -> Outcome {
    match io_kind(err) {
        Some(io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted) => Outcome::Reset,
        Some(io::ErrorKind::BrokenPipe | io::ErrorKind::UnexpectedEof) => Outcome::Closed,
        Some(io::ErrorKind::TimedOut) => Outcome::Timeout,
        _ => Outcome::OtherError,
    }
}

fn classify_after_head(err: &(dyn StdError + 'static)) -> Outcome {
    if hyper_error(err).is_some_and(hyper::Error::is_incomplete_message) {
        return Outcome::Truncated;
    }
    match io_kind(err) {
        Some(
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof,
        ) => Outcome::Truncated,
        Some(io::ErrorKind::TimedOut) => Outcome::Timeout,
        _ => Outcome::OtherError,
    }
}

fn is_reset(err: &(dyn StdError + 'static)) -> bool {
    matches!(
        io_kind(err),
        Some(io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted)
    )
}

/// The first `hyper::Error` in the error chain, if any.
fn hyper_error<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a hyper::Error> {
    chain(err).find_map(|e| e.downcast_ref::<hyper::Error>())
}

/// The kind of the first `std::io::Error` in the error chain, if any.
pub fn io_kind(err: &(dyn StdError + 'static)) -> Option<io::ErrorKind> {
    chain(err).find_map(|e| e.downcast_ref::<io::Error>().map(io::Error::kind))
}

/// The error and its sources, outermost first.
fn chain<'a>(
    err: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(err), |&e| e.source())
}

/// The error and all its sources as one line, e.g. `error reading body: connection reset`.
pub fn error_chain(err: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    for e in chain(err) {
        let text = e.to_string();
        // Wrappers often repeat their source's text; keep the chain readable.
        if parts.last().is_none_or(|prev| !prev.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("wrapper")]
    struct Wrapper(#[source] io::Error);

    fn io_err(kind: io::ErrorKind) -> io::Error {
        io::Error::new(kind, format!("{kind:?}"))
    }

    #[test]
    fn connect_errors() {
        let refused = io_err(io::ErrorKind::ConnectionRefused);
        assert_eq!(classify(&refused, Stage::Connect).0, Outcome::Refused);
        let unreachable = io_err(io::ErrorKind::HostUnreachable);
        let (outcome, detail) = classify(&unreachable, Stage::Connect);
        assert_eq!(outcome, Outcome::OtherError);
        assert!(detail.contains("HostUnreachable"), "{detail}");
    }

    #[test]
    fn reset_is_found_deep_in_the_chain_and_depends_on_phase() {
        let err = Wrapper(io_err(io::ErrorKind::ConnectionReset));
        assert_eq!(io_kind(&err), Some(io::ErrorKind::ConnectionReset));
        assert_eq!(classify(&err, Stage::BeforeHead).0, Outcome::Reset);
        assert_eq!(classify(&err, Stage::AfterHead).0, Outcome::Truncated);
    }

    #[test]
    fn unknown_errors_keep_their_text() {
        let err = Wrapper(io::Error::other("weird"));
        let (outcome, detail) = classify(&err, Stage::BeforeHead);
        assert_eq!(outcome, Outcome::OtherError);
        assert_eq!(detail, "wrapper: weird");
    }

    /// A real hyper error from the driver's own client: its first request gets `reply`, then
    /// the peer hangs up.
    async fn hyper_error_for(reply: &'static [u8]) -> hyper::Error {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (client, mut server) = tokio::io::duplex(4096);
        let io = hyper_util::rt::TokioIo::new(client);
        let (mut sender, conn) = super::super::conn::lenient().handshake(io).await.unwrap();
        tokio::spawn(conn);
        tokio::spawn(async move {
            let mut buf = [0u8; 1024];
            let _ = server.read(&mut buf).await;
            let _ = server.write_all(reply).await;
        });
        let req = http::Request::get("/")
            .body(http_body_util::Empty::<bytes::Bytes>::new())
            .unwrap();
        sender.send_request(req).await.unwrap_err()
    }

    #[tokio::test]
    async fn garbage_is_a_parse_error() {
        let err = hyper_error_for(b"hello garbage\r\n").await;
        assert_eq!(classify(&err, Stage::BeforeHead).0, Outcome::ParseError);
    }

    #[tokio::test]
    async fn a_valid_status_line_with_a_head_the_client_refuses_is_client_rejected() {
        let err = hyper_error_for(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n").await;
        let (outcome, detail) = classify(&err, Stage::BeforeHead);
        assert_eq!(outcome, Outcome::ClientRejected, "{detail}");
        assert!(detail.starts_with(REJECTED_PREFIX), "{detail}");
    }

    #[tokio::test]
    async fn hanging_up_without_a_byte_is_closed() {
        let err = hyper_error_for(b"").await;
        let (outcome, detail) = classify(&err, Stage::BeforeHead);
        assert_eq!(outcome, Outcome::Closed, "{detail}");
    }
}
