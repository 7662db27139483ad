//! `grpc_unary`: a correct gRPC server over HTTP/2, the baseline of the gRPC scenarios.
//!
//! Every call, whatever its method path, is read whole and answered with one length-prefixed
//! message of `message_size` pattern bytes (with the body digest header) and `grpc-status`
//! trailers. nginx's `grpc_pass` relays it; a non-zero `grpc_status` is relayed too (HTTP 200
//! with that `grpc-status` in the trailers), which is how a failing service looks when nginx
//! is fine. A healthy server never misbehaves: `fired` stays 0.

use std::io;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Behavior, Protocol};
use crate::grpc::{self, Call};
use crate::request::RawConn;
use crate::size::ByteSize;

/// Answer every gRPC call with one message and `grpc-status` trailers (HTTP/2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct GrpcUnary {
    /// Size of the reply message (its pattern bytes, after the 5-byte prefix).
    #[serde(default = "default_message_size")]
    #[arg(long, default_value_t = default_message_size())]
    pub message_size: ByteSize,
    /// The `grpc-status` of the trailers, 0 (OK) to 16.
    #[serde(default)]
    #[arg(long, default_value_t = 0)]
    pub grpc_status: u8,
    /// Wait this long before each answer, e.g. `50ms`. Default: no wait.
    #[serde(default, with = "crate::duration")]
    #[schemars(schema_with = "crate::schema::optional_duration")]
    #[arg(long, value_parser = humantime_serde::re::humantime::parse_duration)]
    pub delay: Option<Duration>,
}

impl Default for GrpcUnary {
    fn default() -> Self {
        Self {
            message_size: default_message_size(),
            grpc_status: 0,
            delay: None,
        }
    }
}

pub(crate) fn default_message_size() -> ByteSize {
    ByteSize::kib(1)
}

impl Behavior for GrpcUnary {
    const PROTOCOL: Protocol = Protocol::Grpc;

    const NGINX: &str = "relays it (`grpc_pass`)";

    fn validate(&self) -> Result<(), String> {
        grpc::check_status("grpc_unary", self.grpc_status)
    }

    async fn serve(&self, conn: RawConn) -> io::Result<()> {
        let (size, status, delay) = (self.message_size.as_usize(), self.grpc_status, self.delay);
        grpc::serve_calls(conn, move |call| answer(call, size, status, delay)).await
    }
}

/// Read the call, wait `delay`, answer it whole.
async fn answer(mut call: Call, size: usize, status: u8, delay: Option<Duration>) {
    if call.read_body().await.is_none() {
        return;
    }
    if delay.is_some() && !call.hold(delay).await {
        return;
    }
    if let Err(err) = call.answer(grpc::message(size), status) {
        tracing::debug!(%err, "gRPC answer not sent");
    }
}

#[cfg(test)]
mod tests {
    //! On the wire: a whole message matching its digest, then `grpc-status` trailers.

    use super::*;
    use crate::Fault;
    use crate::body;
    use crate::grpc::testing::{call, start};

    #[tokio::test]
    async fn a_call_gets_its_message_and_status_trailers() {
        let fault = GrpcUnary { message_size: ByteSize(3000), grpc_status: 14, delay: None };
        let server = start(Fault::GrpcUnary(fault)).await;
        let reply = call(&server).await;
        assert_eq!(reply.status, Some(200));
        assert_eq!(reply.body, &grpc::message(3000)[..]);
        assert_eq!(reply.digest.as_deref(), Some(&body::digest(&reply.body)[..]));
        let trailers = reply.trailers.expect("trailers");
        assert_eq!(trailers["grpc-status"], "14");
        let seen = server.counters();
        assert_eq!((seen.requests, seen.fired), (1, 0));
        assert_eq!(seen.received[0].http_version, "HTTP/2.0");
        assert_eq!(seen.received[0].path, "/pkg.Svc/Method");
    }

    #[test]
    fn a_status_beyond_16_is_refused() {
        let bad = GrpcUnary { grpc_status: 17, ..GrpcUnary::default() };
        let err = bad.validate().unwrap_err();
        assert!(err.starts_with("grpc_unary: grpc_status 17"), "{err}");
        GrpcUnary { grpc_status: 16, ..GrpcUnary::default() }.validate().unwrap();
    }
}
