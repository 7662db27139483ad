//! What a worker reports about one request: a [`Sample`], sent to the aggregator.
//!
//! Workers do no bookkeeping of their own; every finished request becomes exactly one sample,
//! so the totals in the report are the number of requests issued (minus any cut by cancel).

use std::sync::Arc;
use std::time::Duration;

use http::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::outcome::Outcome;

/// How the response body was checked against the upstream's digest header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyCheck {
    /// No complete body to check (failed request, non-2xx status, or a `HEAD`).
    NotChecked,
    /// A 2xx whose body matched the digest header byte for byte.
    Verified,
    /// A 2xx without a digest header: counted by status only.
    NoDigest,
    /// A 2xx whose complete body did not match the digest header ([`Outcome::Corrupt`]).
    Mismatch,
}

/// What an HTTP/2 exchange showed besides its outcome (HTTP/2 and gRPC traffic only).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct H2Record {
    /// The response's HTTP status, when its head arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// `grpc-status` from the trailers (or a trailers-only head); absent: none came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grpc_status: Option<u8>,
    /// The HTTP/2 error code of the RST_STREAM that ended the stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rst_code: Option<u32>,
    /// The body bytes received, as `length:fnv1a64` (the digest header's form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// One finished request.
#[derive(Debug, Clone)]
pub struct Sample {
    /// The request's run-unique index (its `x-badgateway-request` header).
    pub id: u64,
    /// The request's method.
    pub method: Method,
    /// How the request ended.
    pub outcome: Outcome,
    /// Time from issuing the request (including connect) to its outcome.
    pub latency: Duration,
    /// When the request was issued, measured from the start of the run.
    pub started_at: Duration,
    /// Error text or mismatch description, for failures; kept as report examples.
    pub detail: Option<String>,
    /// Result of the body integrity check.
    pub body: BodyCheck,
    /// Name of the traffic stage that sent it (`"1"` for a run of one unnamed stage).
    pub stage: Arc<str>,
    /// HTTP/2 and gRPC traffic: status, `grpc-status`, RST_STREAM code, body received.
    pub h2: Option<H2Record>,
}
