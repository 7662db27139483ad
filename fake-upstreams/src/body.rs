//! Deterministic response bodies and their digest header.
//!
//! A healthy fake upstream sends a body whose bytes follow a fixed pattern and announces
//! `x-badgateway-body: <len>:<fnv1a64 hex>`. The load driver recomputes the digest of what it
//! received, so "every 200 carries the full, correct body" is checked byte for byte, not assumed.

use bytes::Bytes;
use http::HeaderValue;

/// Header a healthy upstream adds so a client can verify the body it got through nginx.
pub const DIGEST_HEADER: &str = "x-badgateway-body";

mod verify;
pub use verify::Verifier;

/// The bytes [`pattern`] repeats.
const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// The body a healthy upstream sends for a given length: a repeating printable pattern.
pub fn pattern(len: usize) -> Bytes {
    let mut out = Vec::with_capacity(len);
    out.extend((0..len).map(|i| ALPHABET[i % ALPHABET.len()]));
    Bytes::from(out)
}

/// The value of [`DIGEST_HEADER`] for a body: its length and FNV-1a 64-bit hash.
pub fn digest(body: &[u8]) -> String {
    format!("{}:{:016x}", body.len(), fnv1a64(body))
}

/// [`digest`] as a header value, for the heads the `http`/`h2` crates build.
pub fn digest_value(body: &[u8]) -> HeaderValue {
    HeaderValue::from_str(&digest(body)).expect("digest is ASCII")
}

/// The whole [`DIGEST_HEADER`] line of a body, CRLF included, for heads written by hand.
pub fn digest_line(body: &[u8]) -> String {
    format!("{DIGEST_HEADER}: {}\r\n", digest(body))
}

/// Incremental FNV-1a, so a client can hash a body chunk by chunk without buffering it.
#[derive(Debug, Clone, Copy)]
pub struct Digester {
    len: usize,
    hash: u64,
}

impl Default for Digester {
    fn default() -> Self {
        Self {
            len: 0,
            hash: FNV_OFFSET,
        }
    }
}

impl Digester {
    /// Feed the next chunk of the body.
    pub fn update(&mut self, chunk: &[u8]) {
        self.len += chunk.len();
        self.hash = fold(self.hash, chunk);
    }

    /// The digest string of everything fed so far, comparable to [`digest`].
    pub fn finish(&self) -> String {
        format!("{}:{:016x}", self.len, self.hash)
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a 64 of `bytes`, its offset basis XORed with `seed` (0: the standard hash). The one hash
/// of the workspace: body digests, per-server seeds, readiness tokens.
pub fn fnv1a(seed: u64, bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes.into_iter().fold(FNV_OFFSET ^ seed, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(FNV_PRIME)
    })
}

fn fold(hash: u64, bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(hash, |h, b| (h ^ u64::from(*b)).wrapping_mul(FNV_PRIME))
}

fn fnv1a64(bytes: &[u8]) -> u64 {
    fnv1a(0, bytes.iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incremental_digest_matches_one_shot() {
        let body = pattern(10_000);
        let mut d = Digester::default();
        for chunk in body.chunks(333) {
            d.update(chunk);
        }
        assert_eq!(d.finish(), digest(&body));
        assert!(digest(&body).starts_with("10000:"));
    }

    #[test]
    fn a_truncated_body_has_another_digest() {
        let body = pattern(100);
        assert_ne!(digest(&body), digest(&body[..99]));
    }
}
