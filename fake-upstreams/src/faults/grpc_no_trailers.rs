//! `grpc_no_trailers`: answer the call's head and message, then end without trailers.
//!
//! A gRPC server that crashes (or a proxy that drops the connection) after the message but
//! before the `grpc-status` trailers: `close` closes the whole connection, `end_stream` ends
//! the stream cleanly after the message (END_STREAM on the DATA frame), so the reply simply
//! has no trailers. gRPC clients treat a reply without `grpc-status` as an error. Measured on
//! nginx 1.22, 1.26 and 1.30: after `close` nginx logs "upstream prematurely closed
//! connection while reading upstream" and resets the client's stream (RST_STREAM
//! INTERNAL_ERROR) after relaying the 200 head and the message; after `end_stream` it ends
//! the client's stream cleanly, without trailers, and logs nothing.

use std::io;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Behavior, Protocol};
use crate::grpc::{self, Call};
use crate::request::RawConn;
use crate::size::ByteSize;

/// Answer each gRPC call's head and message, then close (or end the stream) before trailers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct GrpcNoTrailers {
    /// Size of the reply message (its pattern bytes, after the 5-byte prefix).
    #[serde(default = "super::grpc_unary::default_message_size")]
    #[arg(long, default_value_t = super::grpc_unary::default_message_size())]
    pub message_size: ByteSize,
    /// How the reply ends after the message.
    #[serde(default)]
    #[arg(long, value_enum, default_value_t = GrpcEnding::Close)]
    pub ending: GrpcEnding,
}

/// How a reply without trailers ends.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum GrpcEnding {
    /// Close the connection (a FIN, no GOAWAY) after the message.
    #[default]
    Close,
    /// End the stream with the message's DATA frame (END_STREAM, no trailers).
    EndStream,
}

impl Default for GrpcNoTrailers {
    fn default() -> Self {
        Self {
            message_size: super::grpc_unary::default_message_size(),
            ending: GrpcEnding::Close,
        }
    }
}

impl Behavior for GrpcNoTrailers {
    const PROTOCOL: Protocol = Protocol::Grpc;

    const NGINX: &str = "relays the 200 head and the message, then resets the client's stream \
        (RST_STREAM INTERNAL_ERROR): `upstream prematurely closed connection while reading \
        upstream`; `end_stream`: a clean 200 without `grpc-status`, nothing logged";

    async fn serve(&self, conn: RawConn) -> io::Result<()> {
        let (size, ending) = (self.message_size.as_usize(), self.ending);
        grpc::serve_calls(conn, move |call| answer(call, size, ending)).await
    }
}

async fn answer(mut call: Call, size: usize, ending: GrpcEnding) {
    if call.read_body().await.is_none() {
        return;
    }
    call.fire();
    let message = grpc::message(size);
    let end_stream = ending == GrpcEnding::EndStream;
    let sent = call
        .respond
        .send_response(grpc::head(&message), false)
        .and_then(|mut stream| stream.send_data(message, end_stream));
    if let Err(err) = sent {
        tracing::debug!(%err, "gRPC reply not sent");
        return;
    }
    if ending == GrpcEnding::Close {
        call.close_connection().await;
    }
}

#[cfg(test)]
mod tests {
    //! On the wire: head and whole message, then no trailers, ended either way.

    use super::*;
    use crate::Fault;
    use crate::grpc::testing::{call, start};

    async fn reply(ending: GrpcEnding) -> crate::grpc::testing::Reply {
        let fault = GrpcNoTrailers { message_size: ByteSize(500), ending };
        let server = start(Fault::GrpcNoTrailers(fault)).await;
        let reply = call(&server).await;
        assert_eq!(reply.status, Some(200));
        assert_eq!(reply.body, &grpc::message(500)[..]);
        assert!(reply.trailers.is_none(), "{:?}", reply.trailers);
        assert_eq!(server.counters().fired, 1);
        reply
    }

    #[tokio::test]
    async fn a_closed_connection_ends_the_reply_in_an_error() {
        let reply = reply(GrpcEnding::Close).await;
        assert!(reply.error.is_some(), "the stream did not end cleanly");
    }

    #[tokio::test]
    async fn an_ended_stream_is_a_clean_reply_without_trailers() {
        let reply = reply(GrpcEnding::EndStream).await;
        assert!(reply.error.is_none(), "{:?}", reply.error);
    }
}
