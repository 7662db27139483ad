//! `slow_headers`: read the request, then dribble the status line and headers a few bytes at a
//! time, each pause shorter than nginx's `proxy_read_timeout`, then send the body.
//!
//! This is the backend that flushes its head early and slowly (a framework streaming headers
//! as it computes them, a proxy chain trickling bytes, a Slowloris-like upstream). nginx does
//! *not* re-arm the read timer for header reads: `ngx_http_upstream_process_header` leaves the
//! `ngx_add_timer` on `NGX_AGAIN` under `#if 0`, so the timer set when the request was sent
//! bounds the whole head. A head that takes longer than `proxy_read_timeout` gets "upstream
//! timed out (110: Connection timed out) while reading response header from upstream" and a
//! 504, however short each pause. Only the body is bounded per read (see `stall_body`).

use std::io;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Behavior, Probe, Traffic};
use crate::body;
use crate::request::{self, RawConn};
use crate::size::ByteSize;

/// Dribble the status line and headers a few bytes at a time, then send the body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct SlowHeaders {
    /// Bytes of the response head per write.
    #[serde(default = "default_chunk")]
    #[arg(long, default_value_t = default_chunk())]
    pub chunk: ByteSize,
    /// Pause between two writes of the head, e.g. `100ms`.
    #[serde(default = "default_interval", with = "crate::duration")]
    #[schemars(schema_with = "crate::schema::duration")]
    #[arg(long, default_value = "100ms", value_parser = humantime_serde::re::humantime::parse_duration)]
    pub interval: Duration,
    /// Size of the response head, padded with `X-Pad-NNNN` header lines up to it.
    #[serde(default = "default_head_size")]
    #[arg(long, default_value_t = default_head_size())]
    pub head_size: ByteSize,
    /// Size of the pattern body sent, at once, after the head.
    #[serde(default = "default_body_size")]
    #[arg(long, default_value_t = default_body_size())]
    pub body_size: ByteSize,
}

impl Default for SlowHeaders {
    fn default() -> Self {
        Self {
            chunk: default_chunk(),
            interval: default_interval(),
            head_size: default_head_size(),
            body_size: default_body_size(),
        }
    }
}

fn default_chunk() -> ByteSize {
    ByteSize(16)
}

fn default_interval() -> Duration {
    Duration::from_millis(100)
}

fn default_head_size() -> ByteSize {
    ByteSize(320)
}

fn default_body_size() -> ByteSize {
    ByteSize::kib(1)
}

impl SlowHeaders {
    /// The response head: the healthy head padded to `head_size`.
    fn head(&self) -> Vec<u8> {
        let plain = request::ok_head(self.body_size.as_usize(), false, &[]);
        let pad = self.head_size.as_usize().saturating_sub(plain.len());
        request::ok_head(
            self.body_size.as_usize(),
            false,
            &request::padding_headers(pad),
        )
    }
}

impl Behavior for SlowHeaders {
    const NGINX: &str = "**504** once `proxy_read_timeout` has passed since the request was sent, however short each pause: `upstream timed out (110: …) while reading response header` (the header read does not re-arm the timer)";

    /// The defaults: a 320-byte head in 16-byte writes 100 ms apart, so the head takes 2 s
    /// while no pause comes near a timeout; a 504 wherever `proxy_read_timeout` is shorter
    /// than 2 s.
    fn probe() -> Option<Probe<Self>> {
        Some(Probe {
            config: SlowHeaders::default(),
            traffic: Traffic {
                requests: 4,
                concurrency: 4,
                ..Traffic::default()
            },
        })
    }

    fn validate(&self) -> Result<(), String> {
        if self.chunk.as_usize() == 0 {
            return Err("slow_headers: chunk must be at least 1 byte".into());
        }
        if self.interval.is_zero() {
            return Err("slow_headers: interval must be positive (else use healthy)".into());
        }
        Ok(())
    }

    async fn serve(&self, mut conn: RawConn) -> io::Result<()> {
        let Some(_) = conn.read_request_and_fire("dribbling the head").await? else {
            return Ok(());
        };
        let head = self.head();
        for (i, piece) in head.chunks(self.chunk.as_usize()).enumerate() {
            let paused = i == 0 || conn.hold(Some(self.interval)).await?;
            if !paused || !conn.write_all(piece).await? {
                return Ok(()); // nginx gave up (timed out) or the server is stopping
            }
        }
        if conn.write_all(&body::pattern(self.body_size.as_usize())).await? {
            conn.finish().await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! On the wire: the head comes in `chunk`-sized writes `interval` apart, then a body that
    //! matches its digest; a client that hangs up mid-head ends the connection.

    use std::time::Instant;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;
    use tokio_util::sync::CancellationToken;

    use super::*;
    use crate::{Fault, Server};

    /// Bound on anything a test waits for; never used as synchronisation.
    const LIMIT: Duration = Duration::from_secs(10);

    async fn start(fault: SlowHeaders) -> (Server, TcpStream) {
        let addr = "127.0.0.1:0".parse().unwrap();
        let server = crate::spawn(Fault::SlowHeaders(fault), addr, CancellationToken::new())
            .await
            .unwrap();
        let mut stream = TcpStream::connect(server.addr()).await.unwrap();
        let req = b"GET / HTTP/1.1\r\nHost: test\r\n\r\n";
        stream.write_all(req).await.unwrap();
        (server, stream)
    }

    #[tokio::test]
    async fn the_head_arrives_in_pieces_then_an_intact_body() {
        let fault = SlowHeaders {
            chunk: ByteSize(50),
            interval: Duration::from_millis(40),
            head_size: ByteSize(400),
            body_size: ByteSize(2000),
        };
        let head_len = fault.head().len();
        assert!((400..415).contains(&head_len), "{head_len}");
        let (server, mut stream) = start(fault).await;
        let started = Instant::now();
        let mut first = [0u8; 64];
        let n = tokio::time::timeout(LIMIT, stream.read(&mut first)).await.unwrap().unwrap();
        assert!(n <= 50, "the first read holds one 50-byte piece at most, got {n}");
        let mut got = first[..n].to_vec();
        tokio::time::timeout(LIMIT, stream.read_to_end(&mut got)).await.unwrap().unwrap();
        // ceil(head_len / 50) pieces with a 40 ms pause between two: a lower bound only.
        let pauses = head_len.div_ceil(50) as u32 - 1;
        assert!(started.elapsed() >= Duration::from_millis(40) * pauses);
        let (head, payload) = got.split_at(head_len);
        let head = String::from_utf8(head.to_vec()).unwrap();
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n") && head.ends_with("\r\n\r\n"));
        assert!(head.contains(&format!("{}: {}", body::DIGEST_HEADER, body::digest(payload))));
        assert_eq!(payload, &body::pattern(2000)[..]);
        let seen = server.counters();
        assert_eq!((seen.requests, seen.fired), (1, 1));
    }

    #[tokio::test]
    async fn a_client_that_gives_up_mid_head_ends_the_connection() {
        let fault = SlowHeaders {
            interval: Duration::from_millis(20),
            head_size: ByteSize::kib(4),
            ..SlowHeaders::default()
        };
        let (_server, mut stream) = start(fault).await;
        let mut first = [0u8; 16];
        stream.read_exact(&mut first).await.unwrap();
        assert_eq!(&first[..9], b"HTTP/1.1 ");
        // Half-close, as nginx does not, but the server sees EOF the same way and must stop:
        // the whole 4k head at 16 bytes per 20 ms would take 5 s.
        stream.shutdown().await.unwrap();
        let mut rest = Vec::new();
        tokio::time::timeout(LIMIT, stream.read_to_end(&mut rest)).await.unwrap().unwrap();
        assert!(rest.len() < 4096, "the head stopped early ({} bytes)", rest.len());
    }

    #[test]
    fn zero_chunks_and_pauses_are_refused() {
        for bad in [
            SlowHeaders {
                chunk: ByteSize(0),
                ..SlowHeaders::default()
            },
            SlowHeaders {
                interval: Duration::ZERO,
                ..SlowHeaders::default()
            },
        ] {
            assert!(bad.validate().unwrap_err().starts_with("slow_headers: "));
        }
    }
}
