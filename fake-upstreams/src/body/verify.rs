//! Checking a received body against its digest header without hashing it.
//!
//! Hashing every body byte (FNV-1a is byte-serial, about 4 cycles a byte) was the load driver's
//! largest own cost. Almost every body it checks is a healthy upstream's [`pattern`](super::pattern),
//! so a [`Verifier`] first asks whether the header announces exactly the pattern's digest for
//! its length; if so it compares each chunk with the pattern (a vectorised `memcmp` against a
//! constant block) and hashes nothing. Only from the first byte that differs does it fall back
//! to FNV-1a, seeding the hash with the pattern prefix that matched, so the verdict and the
//! digest it reports are exactly what hashing everything would give. Headers for other bodies
//! are checked by hashing, as before. No allocation on the matching path.

use std::cell::RefCell;

use super::{ALPHABET, Digester, FNV_OFFSET, fold};

/// Pattern bytes compared per step: the pattern repeats every `ALPHABET.len()` bytes, so any
/// stretch of it is a slice of this block starting at `offset % ALPHABET.len()`.
const STEP: usize = 4096;
const BLOCK_LEN: usize = STEP + ALPHABET.len();
static BLOCK: [u8; BLOCK_LEN] = {
    let mut block = [0u8; BLOCK_LEN];
    let mut i = 0;
    while i < BLOCK_LEN {
        block[i] = ALPHABET[i % ALPHABET.len()];
        i += 1;
    }
    block
};

/// A body being received, checked against the digest header that came with it.
#[derive(Debug, Clone)]
pub struct Verifier {
    /// The announced `(length, hash)`; `None` when the header is not in the digest's form
    /// (then nothing can match it, as no digest string equals it).
    want: Option<(usize, u64)>,
    received: Received,
}

#[derive(Debug, Clone)]
enum Received {
    /// Every byte so far equals the pattern; this many of them.
    Pattern(usize),
    /// The running digest of everything so far.
    Hashed(Digester),
}

impl Verifier {
    /// A verifier for a body announced by the digest header value `header`.
    pub fn new(header: &[u8]) -> Self {
        let want = parse(header);
        let received = match want {
            Some((len, hash)) if pattern_hash(len) == hash => Received::Pattern(0),
            _ => Received::Hashed(Digester::default()),
        };
        Self { want, received }
    }

    /// Feed the next chunk of the body.
    pub fn update(&mut self, chunk: &[u8]) {
        match &mut self.received {
            Received::Hashed(digester) => digester.update(chunk),
            Received::Pattern(offset) => match first_difference(*offset, chunk) {
                None => *offset += chunk.len(),
                Some(at) => {
                    let mut digester = Digester {
                        len: *offset + at,
                        hash: hash_pattern(FNV_OFFSET, *offset + at),
                    };
                    digester.update(&chunk[at..]);
                    self.received = Received::Hashed(digester);
                }
            },
        }
    }

    /// Whether everything fed so far has exactly the announced digest.
    pub fn matches(&self) -> bool {
        self.want.is_some_and(|want| want == self.received())
    }

    /// The digest string of everything fed so far (as [`Digester::finish`] gives it).
    pub fn finish(&self) -> String {
        let (len, hash) = self.received();
        format!("{len}:{hash:016x}")
    }

    fn received(&self) -> (usize, u64) {
        match &self.received {
            Received::Pattern(len) => (*len, pattern_hash(*len)),
            Received::Hashed(d) => (d.len, d.hash),
        }
    }
}

/// `LEN:HASH` exactly as [`digest`](super::digest) writes it (decimal length without leading
/// zeros, 16 lowercase hex digits), else `None`.
fn parse(header: &[u8]) -> Option<(usize, u64)> {
    let colon = header.iter().position(|&b| b == b':')?;
    let (len, hash) = (&header[..colon], &header[colon + 1..]);
    let canonical_len = !len.is_empty() && (len == b"0" || len[0] != b'0');
    let canonical_hash =
        hash.len() == 16 && hash.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !canonical_len || !canonical_hash || !len.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let len = std::str::from_utf8(len).ok()?.parse().ok()?;
    let hash = u64::from_str_radix(std::str::from_utf8(hash).ok()?, 16).ok()?;
    Some((len, hash))
}

/// Where `chunk`, which follows `offset` bytes of body, first differs from the pattern.
fn first_difference(offset: usize, chunk: &[u8]) -> Option<usize> {
    let mut phase = offset % ALPHABET.len();
    let mut done = 0;
    for piece in chunk.chunks(STEP) {
        let expected = &BLOCK[phase..phase + piece.len()];
        if piece != expected {
            let at = piece.iter().zip(expected).position(|(a, b)| a != b);
            return Some(done + at.unwrap_or(piece.len()));
        }
        done += piece.len();
        phase = (phase + piece.len()) % ALPHABET.len();
    }
    None
}

/// FNV-1a of the pattern's first `len` bytes, continuing from `hash`.
fn hash_pattern(mut hash: u64, len: usize) -> u64 {
    let mut left = len;
    while left > 0 {
        let n = left.min(STEP);
        hash = fold(hash, &BLOCK[..n]);
        left -= n;
    }
    hash
}

/// Bodies lengths whose pattern hash this thread remembers (a load run uses one or a few).
const REMEMBERED: usize = 8;

thread_local! {
    static PATTERN_HASHES: RefCell<[(usize, u64); REMEMBERED]> =
        const { RefCell::new([(usize::MAX, 0); REMEMBERED]) };
}

/// FNV-1a of `pattern(len)`, computed once per length on each thread (the last few kept).
fn pattern_hash(len: usize) -> u64 {
    PATTERN_HASHES.with_borrow_mut(|known| {
        if let Some(&(_, hash)) = known.iter().find(|(l, _)| *l == len) {
            return hash;
        }
        let hash = hash_pattern(FNV_OFFSET, len);
        known.rotate_right(1);
        known[0] = (len, hash);
        hash
    })
}

#[cfg(test)]
mod tests {
    use super::super::{digest, pattern};
    use super::*;

    fn verify(header: &str, chunks: &[&[u8]]) -> (bool, String) {
        let mut v = Verifier::new(header.as_bytes());
        for chunk in chunks {
            v.update(chunk);
        }
        (v.matches(), v.finish())
    }

    #[test]
    fn the_pattern_in_any_chunking_matches_its_digest() {
        for len in [0, 1, 35, 36, 37, 4095, 4096, 4133, 10_000, 100_003] {
            let body = pattern(len);
            for size in [1, 7, 36, 1000, 4096, 65_536] {
                let chunks: Vec<&[u8]> = body.chunks(size).collect();
                assert_eq!(
                    verify(&digest(&body), &chunks),
                    (true, digest(&body)),
                    "{len}/{size}"
                );
            }
        }
    }

    #[test]
    fn any_difference_gives_exactly_the_hashed_digest() {
        let good = pattern(10_000);
        let header = digest(&good);
        let mut flipped = good.to_vec();
        for at in [0, 1, 35, 4096, 5000, 9_999] {
            flipped[at] ^= 0x20;
            for size in [1, 333, 4096, 10_000] {
                let chunks: Vec<&[u8]> = flipped.chunks(size).collect();
                assert_eq!(
                    verify(&header, &chunks),
                    (false, digest(&flipped)),
                    "{at}/{size}"
                );
            }
            flipped[at] ^= 0x20;
        }
        let short = &good[..9_999];
        assert_eq!(verify(&header, &[short]), (false, digest(short)));
        let long = pattern(10_001);
        assert_eq!(verify(&header, &[&long]), (false, digest(&long)));
    }

    #[test]
    fn other_bodies_are_hashed_and_malformed_headers_never_match() {
        let body = b"not the pattern at all";
        assert_eq!(
            verify(&digest(body), &[&body[..5], &body[5..]]),
            (true, digest(body))
        );
        assert!(!verify(&digest(b"other"), &[body]).0);
        let good = pattern(100);
        let d = digest(&good);
        let upper = d.to_uppercase();
        let padded = format!("0{d}");
        let short_hash = &d[..d.len() - 1];
        let headers = [&upper[..], &padded, short_hash, "", ":", "100", "x:y"];
        for header in headers.into_iter().filter(|h| *h != d) {
            assert_eq!(verify(header, &[&good]), (false, d.clone()), "{header:?}");
        }
    }
}
