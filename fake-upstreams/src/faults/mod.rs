//! The closed set of ways a fake upstream can (mis)behave.
//!
//! Each variant of [`Fault`] is one failure mode from the 502 troubleshooting guide, with its
//! logic and its config in one small file, like toxiproxy's toxics. A scenario file names a
//! fault with `kind:` and sets its fields; the CLI offers the same as one subcommand per fault.
//! Settings every fault shares (probability, limits, schedule, transport) are not here but in
//! [`ServerSpec`](crate::spec::ServerSpec).

use std::io;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::listener::BoxStream;
use crate::request::{ConnCtx, RawConn};

mod big_headers;
mod close_before_response;
mod close_mid_body;
mod garbage;
mod healthy;
mod idle_close;
mod invalid_header;
mod refuse;
mod reset;
mod single_worker;
mod slow_accept;
mod stall;
mod stall_body;

pub use big_headers::BigHeaders;
pub use close_before_response::CloseBeforeResponse;
pub use close_mid_body::CloseMidBody;
pub use garbage::Garbage;
pub use healthy::Healthy;
pub use idle_close::{IdleClose, IdleMode};
pub use invalid_header::InvalidHeader;
pub use refuse::Refuse;
pub use reset::Reset;
pub use single_worker::SingleWorker;
pub(crate) use single_worker::Workers;
pub use slow_accept::SlowAccept;
pub use stall::Stall;
pub use stall_body::StallBody;

/// What one fake upstream server does with the connections it gets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::Subcommand)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Answer every request correctly (keep-alive, pattern body with digest header).
    Healthy(Healthy),
    /// Listen on nothing: the port is reserved but connects are refused.
    Refuse(Refuse),
    /// Read the request, then close without a byte of response.
    #[command(alias = "close_before_response")]
    CloseBeforeResponse(CloseBeforeResponse),
    /// Read the request, then reset the connection (TCP RST; a plain close on unix sockets).
    Reset(Reset),
    /// Read the request, then wait (forever by default) before answering.
    Stall(Stall),
    /// Answer with a response head bigger than nginx's proxy buffer.
    #[command(alias = "big_headers")]
    BigHeaders(BigHeaders),
    /// Read the request, answer with bytes that are not HTTP, close.
    Garbage(Garbage),
    /// Answer 200 with a header line nginx rejects.
    #[command(alias = "invalid_header")]
    InvalidHeader(InvalidHeader),
    /// Announce a body, send part of it, close.
    #[command(alias = "close_mid_body")]
    CloseMidBody(CloseMidBody),
    /// Announce a body, send part of it, then stall (forever by default) before the rest.
    #[command(alias = "stall_body")]
    StallBody(StallBody),
    /// Never accept; the tiny accept queue is full, so connects hang (TCP) or fail (unix).
    #[command(alias = "slow_accept")]
    SlowAccept(SlowAccept),
    /// Keep-alive server that drops connections idle too long (Node.js keepAliveTimeout).
    #[command(alias = "idle_close")]
    IdleClose(IdleClose),
    /// Serve at most `workers` connections at once; the others wait unaccepted.
    #[command(alias = "single_worker")]
    SingleWorker(SingleWorker),
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
            Fault::Garbage(_) => "garbage",
            Fault::InvalidHeader(_) => "invalid_header",
            Fault::CloseMidBody(_) => "close_mid_body",
            Fault::StallBody(_) => "stall_body",
            Fault::SlowAccept(_) => "slow_accept",
            Fault::IdleClose(_) => "idle_close",
            Fault::SingleWorker(_) => "single_worker",
        }
    }

    /// Whether the server accepts connections under this fault (`refuse` and `slow_accept`
    /// never do).
    pub fn accepts(&self) -> bool {
        !matches!(self, Fault::Refuse(_) | Fault::SlowAccept(_))
    }

    /// Whether the server can see traffic at all; a server that never accepts cannot count.
    pub fn observable(&self) -> bool {
        self.accepts()
    }

    /// Reject configs that deserialize but cannot be served (e.g. status 42).
    pub fn validate(&self) -> Result<(), String> {
        match self {
            Fault::Healthy(f) => f.validate(),
            Fault::InvalidHeader(f) => f.validate(),
            Fault::CloseMidBody(f) => f.validate(),
            Fault::StallBody(f) => f.validate(),
            Fault::SlowAccept(f) => f.validate(),
            Fault::SingleWorker(f) => f.validate(),
            _ => Ok(()),
        }
    }

    /// The worker pool limiting accepted connections, for faults that have one.
    pub(crate) fn workers(&self) -> Option<u32> {
        match self {
            Fault::SingleWorker(f) => Some(f.workers),
            _ => None,
        }
    }

    /// Serve one accepted connection until it is done or `ctx.shutdown` fires.
    pub(crate) async fn serve(&self, stream: BoxStream, ctx: ConnCtx) -> io::Result<()> {
        let raw = |stream| RawConn::new(stream, ctx.clone());
        match self {
            Fault::Healthy(f) => f.serve(stream, ctx).await,
            // never accept; nothing reaches here
            Fault::Refuse(_) | Fault::SlowAccept(_) => Ok(()),
            Fault::CloseBeforeResponse(f) => f.serve(raw(stream)).await,
            Fault::Reset(f) => f.serve(raw(stream)).await,
            Fault::Stall(f) => f.serve(raw(stream)).await,
            Fault::BigHeaders(f) => f.serve(raw(stream)).await,
            Fault::Garbage(f) => f.serve(raw(stream)).await,
            Fault::InvalidHeader(f) => f.serve(raw(stream)).await,
            Fault::CloseMidBody(f) => f.serve(raw(stream)).await,
            Fault::StallBody(f) => f.serve(raw(stream)).await,
            Fault::IdleClose(f) => f.serve(raw(stream)).await,
            Fault::SingleWorker(f) => f.serve(raw(stream)).await,
        }
    }
}
