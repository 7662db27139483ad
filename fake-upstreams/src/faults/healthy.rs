//! `healthy`: a correct HTTP/1.1 server, the baseline every fix is measured against.
//!
//! Served by hyper with keep-alive, so nginx's upstream keepalive pools behave as with a real
//! backend. Every response carries a deterministic pattern body and the
//! [`DIGEST_HEADER`](crate::body::DIGEST_HEADER), so the load driver can prove each 200 that
//! came through nginx is complete. A healthy server never misbehaves: `fired` stays 0.
//! Headers are a list of pairs (a name may repeat, see [`crate::headers`]) and
//! `repeat_header` adds many lines of one header, e.g. ~5 KiB of `Set-Cookie`, which nginx
//! refuses with 502 "upstream sent too big header" under the default `proxy_buffer_size`.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Behavior;
use crate::body;
use crate::counters::REQUEST_ID_HEADER;
use crate::headers::{self, RepeatHeader};
use crate::request::{ConnCtx, RawConn, RequestLine};
use crate::size::ByteSize;

/// How long an in-progress exchange may take to finish once the server stops.
const DRAIN: Duration = Duration::from_secs(1);

/// Answer every request correctly (keep-alive, pattern body with digest header).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct Healthy {
    /// Response status code.
    #[serde(default = "default_status")]
    #[arg(long, default_value_t = default_status())]
    pub status: u16,
    /// Extra response headers in order, a YAML list of `[name, value]` pairs where a name may
    /// repeat (`[[Set-Cookie, a=1], [Set-Cookie, b=2]]`), or a mapping of name to value (on
    /// the CLI: `--header name:value`, repeatable). Default: none. `content-length` and the
    /// digest header are always set by the server.
    #[serde(default, with = "headers::pairs")]
    #[schemars(schema_with = "crate::headers::schema")]
    #[arg(long = "header", value_name = "NAME:VALUE", value_parser = headers::parse_pair)]
    pub headers: Vec<(String, String)>,
    /// Many lines of one header after `headers`: `{ name: Set-Cookie, count: 120, size: 40 }`
    /// sends `Set-Cookie: c0001=xxx…` to `c0120=…`, each value 40 bytes (on the CLI:
    /// `--repeat-header Set-Cookie:120:40`). Default: none.
    #[serde(default)]
    #[arg(long, value_name = "NAME:COUNT:SIZE")]
    pub repeat_header: Option<RepeatHeader>,
    /// Size of the pattern body.
    #[serde(default = "default_body_size")]
    #[arg(long, default_value_t = default_body_size())]
    pub body_size: ByteSize,
    /// Wait this long before each response, e.g. `50ms`. Default: no wait.
    #[serde(default, with = "crate::duration")]
    #[schemars(schema_with = "crate::schema::optional_duration")]
    #[arg(long, value_parser = humantime_serde::re::humantime::parse_duration)]
    pub delay: Option<Duration>,
}

impl Default for Healthy {
    fn default() -> Self {
        Self {
            status: default_status(),
            headers: Vec::new(),
            repeat_header: None,
            body_size: default_body_size(),
            delay: None,
        }
    }
}

fn default_status() -> u16 {
    200
}

fn default_body_size() -> ByteSize {
    ByteSize::kib(1)
}

/// Everything needed to answer, computed once per connection.
struct Prepared {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    delay: Option<Duration>,
}

impl Healthy {
    /// The response this config sends, or why it is not valid HTTP.
    fn prepare(&self) -> Result<Prepared, String> {
        let status = StatusCode::from_u16(self.status)
            .ok()
            .filter(|_| (100..600).contains(&self.status))
            .ok_or_else(|| format!("healthy: invalid status {} (use 100 to 599)", self.status))?;
        let mut headers = HeaderMap::new();
        let repeated = self.repeat_header.iter().flat_map(RepeatHeader::pairs);
        if self
            .repeat_header
            .as_ref()
            .is_some_and(|r| r.head_bytes() as u64 > ByteSize::MAX.0)
        {
            return Err("healthy: repeat_header asks for more than 64m of headers".into());
        }
        for (name, value) in self.headers.iter().cloned().chain(repeated) {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("healthy: invalid header name {name:?}"))?;
            let value = HeaderValue::from_str(&value)
                .map_err(|_| format!("healthy: invalid value for header {name}: {value:?}"))?;
            headers.append(name, value);
        }
        let body = body::pattern(self.body_size.as_usize());
        headers.insert(body::DIGEST_HEADER, body::digest_value(&body));
        headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from(body.len()));
        Ok(Prepared {
            status,
            headers,
            body,
            delay: self.delay,
        })
    }
}

impl Behavior for Healthy {
    const NGINX: &str = "relays it";

    /// Check the status code and header names/values are valid HTTP.
    fn validate(&self) -> Result<(), String> {
        self.prepare().map(drop)
    }

    async fn serve(&self, conn: RawConn) -> io::Result<()> {
        let (stream, ctx) = conn.into_parts();
        let prepared = Arc::new(self.prepare().map_err(io::Error::other)?);
        let service_ctx = ctx.clone();
        let service = service_fn(move |req| respond(req, prepared.clone(), service_ctx.clone()));
        let conn = http1::Builder::new()
            .keep_alive(true)
            .serve_connection(TokioIo::new(stream), service);
        tokio::pin!(conn);
        tokio::select! {
            res = conn.as_mut() => return res.map_err(io::Error::other),
            () = ctx.shutdown.cancelled() => {}
        }
        conn.as_mut().graceful_shutdown();
        match tokio::time::timeout(DRAIN, conn).await {
            Ok(res) => res.map_err(io::Error::other),
            Err(_) => Ok(()), // a client holding a half-sent request; drop it
        }
    }
}

/// Answer one request: record it, drain its body, wait `delay`, send the prepared response.
async fn respond(
    req: Request<Incoming>,
    prepared: Arc<Prepared>,
    ctx: ConnCtx,
) -> io::Result<Response<Full<Bytes>>> {
    ctx.record(request_line(&req));
    let work = async {
        let mut body = req.into_body();
        while let Some(frame) = body.frame().await {
            frame.map_err(io::Error::other)?;
        }
        if let Some(delay) = prepared.delay {
            tokio::time::sleep(delay).await;
        }
        io::Result::Ok(())
    };
    tokio::select! {
        res = work => res?,
        () = ctx.shutdown.cancelled() => {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "server stopping"));
        }
    }
    let mut response = Response::new(Full::new(prepared.body.clone()));
    *response.status_mut() = prepared.status;
    *response.headers_mut() = prepared.headers.clone();
    Ok(response)
}

/// What the counters keep of a request hyper parsed.
fn request_line(req: &Request<Incoming>) -> RequestLine {
    let header = |name| {
        let value = req.headers().get(name)?.to_str().ok()?;
        Some(value.trim().to_ascii_lowercase())
    };
    RequestLine {
        method: req.method().to_string(),
        target: req
            .uri()
            .path_and_query()
            .map_or_else(|| req.uri().to_string(), |p| p.to_string()),
        version: format!("{:?}", req.version()),
        connection: header(http::header::CONNECTION.as_str()),
        id: header(REQUEST_ID_HEADER).and_then(|v| v.parse().ok()),
        script_filename: None,
    }
}
