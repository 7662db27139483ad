//! The closed set of ways a fake upstream can (mis)behave.
//!
//! Each variant of [`Fault`] is one failure mode from the 502 troubleshooting guide, with its
//! logic and its config in one small file, like toxiproxy's toxics. A scenario file names a
//! fault with `kind:` and sets its fields; the CLI offers the same as one subcommand per fault.

use std::io;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use crate::counters::Counters;
use crate::request::RawConn;

mod big_headers;
mod close_before_response;
mod healthy;
mod refuse;
mod reset;
mod stall;

pub use big_headers::BigHeaders;
pub use close_before_response::CloseBeforeResponse;
pub use healthy::Healthy;
pub use refuse::Refuse;
pub use reset::Reset;
pub use stall::Stall;

/// What one fake upstream server does with the connections it gets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, clap::Subcommand)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Answer every request correctly (keep-alive, pattern body with digest header).
    Healthy(Healthy),
    /// Listen on nothing: the port is reserved but connects are refused.
    Refuse(Refuse),
    /// Read the request, then close without a byte of response.
    #[command(alias = "close_before_response")]
    CloseBeforeResponse(CloseBeforeResponse),
    /// Read the request, then reset the connection (TCP RST).
    Reset(Reset),
    /// Read the request, then wait (forever by default) before answering.
    Stall(Stall),
    /// Answer with a response head bigger than nginx's proxy buffer.
    #[command(alias = "big_headers")]
    BigHeaders(BigHeaders),
}

/// What a connection task needs besides its socket.
#[derive(Debug, Clone)]
pub(crate) struct ConnCtx {
    pub counters: Arc<Counters>,
    pub shutdown: CancellationToken,
}

impl Fault {
    /// The snake_case name used in configs (`kind:`) and in reports.
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::Healthy(_) => "healthy",
            Fault::Refuse(_) => "refuse",
            Fault::CloseBeforeResponse(_) => "close_before_response",
            Fault::Reset(_) => "reset",
            Fault::Stall(_) => "stall",
            Fault::BigHeaders(_) => "big_headers",
        }
    }

    /// Whether the server can see traffic at all; `refuse` never accepts, so it cannot count.
    pub fn observable(&self) -> bool {
        !matches!(self, Fault::Refuse(_))
    }

    /// Reject configs that deserialize but cannot be served (e.g. status 42).
    pub fn validate(&self) -> Result<(), String> {
        match self {
            Fault::Healthy(h) => h.validate(),
            _ => Ok(()),
        }
    }

    /// Serve one accepted connection until it is done or `ctx.shutdown` fires.
    pub(crate) async fn serve(&self, stream: TcpStream, ctx: ConnCtx) -> io::Result<()> {
        match self {
            Fault::Healthy(f) => f.serve(stream, ctx).await,
            Fault::Refuse(_) => Ok(()), // never accepts; nothing reaches here
            Fault::CloseBeforeResponse(f) => f.serve(RawConn::new(stream, ctx)).await,
            Fault::Reset(f) => f.serve(RawConn::new(stream, ctx)).await,
            Fault::Stall(f) => f.serve(RawConn::new(stream, ctx)).await,
            Fault::BigHeaders(f) => f.serve(RawConn::new(stream, ctx)).await,
        }
    }
}
