//! Byte sizes as people write them in scenario files: `512`, `12k`, `1m`.
//!
//! Fault configs talk about body and header sizes, which are far easier to read as `12k` than
//! as `12288`. [`ByteSize`] accepts a plain integer or a string with an optional binary suffix
//! (`k`/`K` = 1024, `m`/`M` = 1024 * 1024), serializes back to a plain integer so machine
//! readers never need to parse suffixes, and displays in the short form for humans.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

const KIB: u64 = 1024;
const MIB: u64 = 1024 * 1024;

/// A number of bytes, written in configs as `512`, `12k` or `1m` (binary multiples).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ByteSize(pub u64);

/// Why a text is not a byte size; names the text and the forms that are accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid byte size {text:?}: {reason}; expected a whole number of bytes, optionally \
     followed by k/K (x1024) or m/M (x1024x1024), e.g. 512, 12k, 16K, 1m"
)]
pub struct ByteSizeError {
    /// The text that failed to parse, as given.
    pub text: String,
    /// What exactly is wrong with it.
    pub reason: &'static str,
}

impl ByteSize {
    /// The largest size a config may ask for (64m): every body and head the fake upstreams and
    /// the load driver send is built in memory, and this keeps a typo from exhausting it.
    pub const MAX: ByteSize = ByteSize(64 * MIB);

    /// `n` KiB, for defaults in code that read like the configs.
    pub const fn kib(n: u64) -> Self {
        Self(n * KIB)
    }

    /// The size as a `usize` for buffer lengths (saturating on 32-bit targets).
    pub fn as_usize(self) -> usize {
        usize::try_from(self.0).unwrap_or(usize::MAX)
    }
}

impl FromStr for ByteSize {
    type Err = ByteSizeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let err = |reason| ByteSizeError {
            text: text.to_owned(),
            reason,
        };
        let trimmed = text.trim();
        let (digits, multiplier) = match trimmed.as_bytes().last() {
            Some(b'k' | b'K') => (&trimmed[..trimmed.len() - 1], KIB),
            Some(b'm' | b'M') => (&trimmed[..trimmed.len() - 1], MIB),
            Some(_) => (trimmed, 1),
            None => return Err(err("it is empty")),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("the number part is not a whole non-negative number"));
        }
        let n: u64 = digits.parse().map_err(|_| err("the number is too large"))?;
        n.checked_mul(multiplier)
            .map(ByteSize)
            .filter(|size| *size <= ByteSize::MAX)
            .ok_or_else(|| err("the size is above the limit of 64m"))
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            0 => write!(f, "0"),
            n if n % MIB == 0 => write!(f, "{}m", n / MIB),
            n if n % KIB == 0 => write!(f, "{}k", n / KIB),
            n => write!(f, "{n}"),
        }
    }
}

impl Serialize for ByteSize {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(self.0)
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ByteSizeVisitor)
    }
}

impl schemars::JsonSchema for ByteSize {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ByteSize".into()
    }

    /// An integer, or a string with an optional `k`/`m` suffix (what [`FromStr`] reads).
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A byte size: an integer, or a string like \"512\", \"12k\", \"1m\" (binary multiples).",
            "anyOf": [
                { "type": "integer", "minimum": 0, "maximum": 67108864 },
                { "type": "string", "pattern": "^\\s*[0-9]+[kKmM]?\\s*$" }
            ]
        })
    }
}

struct ByteSizeVisitor;

impl Visitor<'_> for ByteSizeVisitor {
    type Value = ByteSize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a byte size: an integer or a string like \"512\", \"12k\", \"1m\"")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<ByteSize, E> {
        match ByteSize(v) {
            size if size <= ByteSize::MAX => Ok(size),
            _ => Err(E::custom(format!(
                "byte size {v} is above the limit of 64m"
            ))),
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<ByteSize, E> {
        let v = u64::try_from(v)
            .map_err(|_| E::custom(format!("invalid byte size {v}: it must not be negative")))?;
        self.visit_u64(v)
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<ByteSize, E> {
        Err(E::custom(format!(
            "byte size {v} is above the limit of 64m"
        )))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<ByteSize, E> {
        Err(E::custom(format!(
            "invalid byte size {v}: a whole number of bytes"
        )))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<ByteSize, E> {
        v.parse().map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_suffixed_sizes() {
        assert_eq!("512".parse(), Ok(ByteSize(512)));
        assert_eq!("12k".parse(), Ok(ByteSize(12_288)));
        assert_eq!("16K".parse(), Ok(ByteSize(16 * 1024)));
        assert_eq!("1m".parse(), Ok(ByteSize(1024 * 1024)));
        assert_eq!(" 2M ".parse(), Ok(ByteSize(2 * 1024 * 1024)));
        assert_eq!("0".parse(), Ok(ByteSize(0)));
    }

    #[test]
    fn rejects_bad_text_and_names_it() {
        for bad in [
            "",
            "k",
            "12kb",
            "1.5k",
            "-1",
            "twelve",
            "99999999999999999999",
        ] {
            let err = bad.parse::<ByteSize>().unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains(&format!("{bad:?}")), "{msg}");
            assert!(msg.contains("12k"), "{msg}");
        }
        assert!("18014398509481984m".parse::<ByteSize>().is_err());
    }

    #[test]
    fn displays_short_form_and_round_trips() {
        for (n, shown) in [
            (0, "0"),
            (512, "512"),
            (12_288, "12k"),
            (1 << 20, "1m"),
            (1500, "1500"),
        ] {
            let size = ByteSize(n);
            assert_eq!(size.to_string(), shown);
            assert_eq!(shown.parse(), Ok(size));
        }
    }
}
