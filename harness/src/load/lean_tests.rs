//! The lean exchange judges every response exactly as hyper's client alone does: the same
//! outcome, detail and body check, for the responses it reads itself and for those it hands
//! over, and it keeps or drops the connection as hyper would.

use std::net::SocketAddr;

use bytes::Bytes;
use fake_upstreams::body::{DIGEST_HEADER, digest, pattern};
use http::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::super::conn::Conn;
use super::super::exchange::{Http1, exchange};
use super::super::plan::LoadPlan;
use super::super::verdict::Exchange;

/// What the test server does after reading a request head.
#[derive(Clone, Copy)]
enum Then {
    /// Keep the connection for the next request.
    Keep,
    /// Close it (FIN).
    Close,
    /// Reset it (RST).
    Reset,
}

/// A server answering every request on every connection with `reply`, then `then`.
async fn server(reply: Vec<u8>, then: Then) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream, reply.clone(), then));
        }
    });
    addr
}

async fn serve(mut stream: TcpStream, reply: Vec<u8>, then: Then) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
        head.clear();
        if stream.write_all(&reply).await.is_err() {
            return;
        }
        match then {
            Then::Keep => {}
            Then::Close => return,
            Then::Reset => {
                let _ = stream.set_zero_linger();
                return;
            }
        }
    }
}

/// Two requests on one slot, starting with the lean exchange or with hyper's connection.
async fn two_requests(addr: SocketAddr, lean: bool) -> Vec<(Exchange, &'static str)> {
    let plan = LoadPlan::get(addr, "/x", 2);
    let mut slot = if lean {
        None
    } else {
        Some(Http1::Hyper(Conn::open(addr).await.unwrap()))
    };
    let mut out = Vec::new();
    for index in 0..2 {
        let done = exchange(&mut slot, &plan, index, (&Method::GET, "/x"), &Bytes::new()).await;
        if !done.reusable {
            slot = None;
        }
        let kind = match &slot {
            None => "none",
            Some(Http1::Lean(_)) => "lean",
            Some(Http1::Hyper(_)) => "hyper",
        };
        out.push((done, kind));
    }
    out
}

fn ok(extra: &str, body: &[u8]) -> Vec<u8> {
    let mut reply = format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n{DIGEST_HEADER}: {}\r\n{extra}\r\n",
        body.len(),
        digest(body)
    )
    .into_bytes();
    reply.extend_from_slice(body);
    reply
}

/// Replies, what the server does after each, and whether the lean exchange reads them itself.
fn cases() -> Vec<(&'static str, Vec<u8>, Then, bool)> {
    let body = pattern(3000);
    let mut wrong = ok("", &body);
    let last = wrong.len() - 1;
    wrong[last] ^= 1;
    let mut short = ok("", &body);
    short.truncate(short.len() - 10);
    let cookies: String = (0..150)
        .map(|i| format!("Set-Cookie: c{i}=v\r\n"))
        .collect();
    vec![
        ("verified", ok("", &body), Then::Keep, true),
        ("verified, big", ok("", &pattern(200_000)), Then::Keep, true),
        (
            "no digest",
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi".to_vec(),
            Then::Keep,
            true,
        ),
        (
            "502",
            b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 3\r\n\r\nbad".to_vec(),
            Then::Keep,
            true,
        ),
        ("corrupt", wrong, Then::Keep, true),
        ("truncated", short, Then::Close, true),
        (
            "reset mid-body",
            ok("", &body)[..200].to_vec(),
            Then::Reset,
            true,
        ),
        (
            "close",
            ok("Connection: keep-alive, close\r\n", &body),
            Then::Close,
            true,
        ),
        (
            "odd name",
            ok("X-Bad@Name: 1\r\nx y: 2\r\n", &body),
            Then::Keep,
            true,
        ),
        (
            "extra bytes",
            [ok("", &body), b"junk".to_vec()].concat(),
            Then::Keep,
            true,
        ),
        (
            "chunked",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n".to_vec(),
            Then::Keep,
            false,
        ),
        (
            "bad chunk",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".to_vec(),
            Then::Close,
            false,
        ),
        (
            "read to close",
            b"HTTP/1.1 200 OK\r\n\r\nbody".to_vec(),
            Then::Close,
            false,
        ),
        (
            "http/1.0",
            b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi".to_vec(),
            Then::Close,
            false,
        ),
        (
            "204",
            b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n".to_vec(),
            Then::Keep,
            false,
        ),
        (
            "100 first",
            [b"HTTP/1.1 100 Continue\r\n\r\n".to_vec(), ok("", &body)].concat(),
            Then::Keep,
            false,
        ),
        (
            "folded",
            ok("X-Fold: a\r\n b\r\n", &body),
            Then::Keep,
            false,
        ),
        ("150 cookies", ok(&cookies, &body), Then::Keep, false),
        ("garbage", b"hello garbage\r\n".to_vec(), Then::Close, false),
        (
            "bad length",
            b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n".to_vec(),
            Then::Close,
            false,
        ),
        (
            "two lengths",
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nhi".to_vec(),
            Then::Close,
            false,
        ),
        ("nothing", Vec::new(), Then::Close, false),
        ("reset first", Vec::new(), Then::Reset, false),
        (
            "half a head",
            b"HTTP/1.1 200 OK\r\nContent-Le".to_vec(),
            Then::Close,
            false,
        ),
    ]
}

#[tokio::test]
async fn every_response_is_judged_as_hyper_alone_judges_it() {
    for (name, reply, then, lean_reads) in cases() {
        let addr = server(reply, then).await;
        let by_lean = two_requests(addr, true).await;
        let by_hyper = two_requests(addr, false).await;
        for (i, ((l, l_kind), (h, h_kind))) in by_lean.iter().zip(&by_hyper).enumerate() {
            let what = format!("{name}, request {i}: lean {l:?} vs hyper {h:?}");
            assert_eq!(l.outcome, h.outcome, "{what}");
            assert_eq!(l.detail, h.detail, "{what}");
            assert_eq!(l.body, h.body, "{what}");
            assert_eq!(l.reusable, h.reusable, "{what}");
            if lean_reads {
                assert_ne!(*l_kind, "hyper", "the lean exchange kept it: {what}");
            } else if *h_kind == "hyper" {
                assert_eq!(*l_kind, "hyper", "handed over to hyper for good: {what}");
            }
        }
    }
}

#[tokio::test]
async fn requests_with_a_body_or_a_head_request_go_to_hyper() {
    assert!(super::takes(&Method::GET, "/a/b?c=d&e=%20"));
    assert!(super::takes(&Method::DELETE, "/"));
    assert!(!super::takes(&Method::POST, "/"));
    assert!(!super::takes(&Method::HEAD, "/"));
    assert!(!super::takes(&Method::GET, "/a#frag"));
    assert!(!super::takes(&Method::GET, "http://example.com/"));
    assert!(!super::takes(&Method::GET, "/a b"));
}
