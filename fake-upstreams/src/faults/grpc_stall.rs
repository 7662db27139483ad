//! `grpc_stall`: read the call, then keep nginx waiting (before or after the response head).
//!
//! The hung gRPC backend. With a `delay` longer than `grpc_read_timeout` (default 60s) nginx
//! gives up with "upstream timed out (110: Connection timed out) while reading response
//! header from upstream" and answers 504; after the delay the call is answered healthily, so
//! a long enough `grpc_read_timeout` is the fix. `after: headers` sends the response head
//! first and stalls before the message.

use std::io;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Behavior, Probe, Protocol, Traffic};
use crate::grpc::{self, Call};
use crate::request::RawConn;
use crate::size::ByteSize;

/// Read each gRPC call, then wait (forever by default) before answering it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct GrpcStall {
    /// How long to wait before the healthy answer, e.g. `3s`. Default: forever.
    #[serde(default, with = "crate::duration")]
    #[schemars(schema_with = "crate::schema::optional_duration")]
    #[arg(long, value_parser = humantime_serde::re::humantime::parse_duration)]
    pub delay: Option<Duration>,
    /// Where the wait is: before the response head, or after it (before the message).
    #[serde(default)]
    #[arg(long, value_enum, default_value_t = GrpcStallAt::Start)]
    pub after: GrpcStallAt,
    /// Size of the reply message sent once the delay is over.
    #[serde(default = "super::grpc_unary::default_message_size")]
    #[arg(long, default_value_t = super::grpc_unary::default_message_size())]
    pub message_size: ByteSize,
}

/// Where a gRPC stall waits.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::ValueEnum,
)]
#[serde(rename_all = "snake_case")]
pub enum GrpcStallAt {
    /// Right after the request: no response head yet.
    #[default]
    Start,
    /// After the response head, before the message.
    Headers,
}

impl Default for GrpcStall {
    fn default() -> Self {
        Self {
            delay: None,
            after: GrpcStallAt::Start,
            message_size: super::grpc_unary::default_message_size(),
        }
    }
}

impl Behavior for GrpcStall {
    const PROTOCOL: Protocol = Protocol::Grpc;

    const NGINX: &str = "**504** once `grpc_read_timeout` passes: `upstream timed out (110: …) while reading response header from upstream`";

    /// Every call is answered after 2 s (as the HTTP `stall` probe): a 504 wherever
    /// `grpc_read_timeout` is shorter.
    fn probe() -> Option<Probe<Self>> {
        Some(Probe {
            config: GrpcStall {
                delay: Some(Duration::from_secs(2)),
                ..GrpcStall::default()
            },
            traffic: Traffic {
                requests: 4,
                concurrency: 4,
                ..Traffic::default()
            },
        })
    }

    async fn serve(&self, conn: RawConn) -> io::Result<()> {
        let this = self.clone();
        grpc::serve_calls(conn, move |call| stall(call, this.clone())).await
    }
}

async fn stall(mut call: Call, this: GrpcStall) {
    if call.read_body().await.is_none() {
        return;
    }
    call.fire();
    let message = grpc::message(this.message_size.as_usize());
    if this.after == GrpcStallAt::Start {
        if call.hold(this.delay).await {
            let _ = call.answer(message, 0);
        }
        return;
    }
    let Ok(mut stream) = call.respond.send_response(grpc::head(&message), false) else {
        return;
    };
    let reset = std::future::poll_fn(|cx| stream.poll_reset(cx));
    if grpc::hold(this.delay, reset).await {
        let _ = stream
            .send_data(message, false)
            .and_then(|()| stream.send_trailers(grpc::trailers(0)));
    }
}

#[cfg(test)]
mod tests {
    //! On the wire: nothing (or only the head) until the delay, then a whole answer.

    use std::time::Instant;

    use super::*;
    use crate::Fault;
    use crate::grpc::testing::{call, start};

    #[tokio::test]
    async fn the_answer_comes_after_the_delay() {
        for after in [GrpcStallAt::Start, GrpcStallAt::Headers] {
            let delay = Duration::from_millis(300);
            let fault = GrpcStall { delay: Some(delay), after, ..GrpcStall::default() };
            let server = start(Fault::GrpcStall(fault)).await;
            let started = Instant::now();
            let reply = call(&server).await;
            assert!(started.elapsed() >= delay, "{after:?}");
            assert_eq!(reply.body, &grpc::message(1024)[..], "{after:?}");
            assert_eq!(reply.trailers.expect("trailers")["grpc-status"], "0");
            assert_eq!(server.counters().fired, 1);
        }
    }
}
