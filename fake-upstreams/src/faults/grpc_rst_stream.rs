//! `grpc_rst_stream`: read the call, then refuse it with an HTTP/2 RST_STREAM.
//!
//! A gRPC server under load or shutting down resets streams (`REFUSED_STREAM`,
//! `INTERNAL_ERROR`, ...). nginx's `ngx_http_grpc_module` treats a RST_STREAM before the
//! response head as an invalid header: it logs "upstream rejected request with error N"
//! (N the HTTP/2 error code) and answers 502 unless `grpc_next_upstream` lets it try another
//! server.

use std::io;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Behavior, Probe, Protocol};
use crate::grpc::{self, Call};
use crate::request::RawConn;

/// Read each gRPC call, then reset its stream (RST_STREAM) instead of answering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct GrpcRstStream {
    /// The HTTP/2 error code of the RST_STREAM (2: INTERNAL_ERROR, 7: REFUSED_STREAM,
    /// 8: CANCEL, ...).
    #[serde(default = "default_error_code")]
    #[arg(long, default_value_t = default_error_code())]
    pub error_code: u32,
}

impl Default for GrpcRstStream {
    fn default() -> Self {
        Self {
            error_code: default_error_code(),
        }
    }
}

fn default_error_code() -> u32 {
    2
}

impl Behavior for GrpcRstStream {
    const PROTOCOL: Protocol = Protocol::Grpc;

    const NGINX: &str = "**502**: `upstream rejected request with error 2 while reading response header from upstream`";

    /// Every call is reset with INTERNAL_ERROR: a 502 unless nginx tries another server.
    fn probe() -> Option<Probe<Self>> {
        Some(Probe::new(GrpcRstStream::default()))
    }

    fn validate(&self) -> Result<(), String> {
        if self.error_code > 0xd {
            return Err(format!(
                "grpc_rst_stream: error_code {} is not an HTTP/2 error code (use 0 to 13)",
                self.error_code
            ));
        }
        Ok(())
    }

    async fn serve(&self, conn: RawConn) -> io::Result<()> {
        let code = self.error_code;
        grpc::serve_calls(conn, move |call| reset(call, code)).await
    }
}

async fn reset(mut call: Call, code: u32) {
    if call.read_body().await.is_none() {
        return;
    }
    tracing::debug!(code, "resetting the gRPC stream");
    call.fire();
    call.respond.send_reset(h2::Reason::from(code));
}

#[cfg(test)]
mod tests {
    //! On the wire: the call is read, then its stream reset with the configured code.

    use super::*;
    use crate::Fault;
    use crate::grpc::testing::{call, start};

    #[tokio::test]
    async fn the_call_is_reset_with_the_error_code() {
        let server = start(Fault::GrpcRstStream(GrpcRstStream { error_code: 7 })).await;
        let reply = call(&server).await;
        assert_eq!(reply.status, None);
        let error = reply.error.expect("a reset");
        assert_eq!(error.reason(), Some(h2::Reason::REFUSED_STREAM), "{error}");
        let seen = server.counters();
        assert_eq!((seen.requests, seen.fired), (1, 1));
    }

    #[test]
    fn an_unknown_error_code_is_refused() {
        let err = GrpcRstStream { error_code: 14 }.validate().unwrap_err();
        assert!(err.starts_with("grpc_rst_stream: error_code 14"), "{err}");
    }
}
