//! How one request/response exchange ended ([`Exchange`], for HTTP/1.1 and HTTP/2 alike), and
//! the one verdict on a complete HTTP/1.1 response ([`judged`]), whoever read it: the lean
//! exchange or hyper's client.

use fake_upstreams::body::{DIGEST_HEADER, Verifier};
use tracing::debug;

use super::classify::{Stage, classify};
use super::sample::{BodyCheck, H2Record};
use crate::outcome::Outcome;

/// How one exchange ended, before timing is attached.
#[derive(Debug)]
pub(crate) struct Exchange {
    pub outcome: Outcome,
    pub detail: Option<String>,
    pub body: BodyCheck,
    /// Whether the connection is still in a state to carry the next request.
    pub reusable: bool,
    /// What an HTTP/2 exchange showed (`None` for HTTP/1).
    pub h2: Option<H2Record>,
}

impl Exchange {
    /// A failed request: the connection must be discarded.
    pub fn failed(outcome: Outcome, detail: String) -> Self {
        Self {
            outcome,
            detail: Some(detail),
            body: BodyCheck::NotChecked,
            reusable: false,
            h2: None,
        }
    }

    pub(crate) fn from_error(err: &(dyn std::error::Error + 'static), stage: Stage) -> Self {
        let (outcome, detail) = classify(err, stage);
        debug!(%outcome, ?stage, %detail, "request failed");
        Self::failed(outcome, detail)
    }
}

/// The verdict on a complete response with `status` whose body was checked by `verifier`
/// when `verify`; `want` gives the digest header's text for a mismatch's detail.
pub(crate) fn judged(
    status: u16,
    verify: bool,
    verifier: Option<Verifier>,
    want: impl FnOnce() -> String,
) -> Exchange {
    let (outcome, body, detail) = match verifier {
        _ if !verify => (Outcome::Status(status), BodyCheck::NotChecked, None),
        None => (Outcome::Status(status), BodyCheck::NoDigest, None),
        Some(v) if v.matches() => (Outcome::Status(status), BodyCheck::Verified, None),
        Some(v) => {
            let got = v.finish();
            let want = want();
            let detail = format!("status {status}: body digest {got}, {DIGEST_HEADER} says {want}");
            debug!(%detail, "corrupt body");
            (Outcome::Corrupt, BodyCheck::Mismatch, Some(detail))
        }
    };
    Exchange {
        outcome,
        detail,
        body,
        reusable: true,
        h2: None,
    }
}
