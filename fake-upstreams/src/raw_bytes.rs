//! Byte strings as configs write them: plain text, `hex:…` or `base64:…`.
//!
//! Some faults send bytes that are not text or not one line: an SSH banner, a NUL, a bare LF
//! inside a header. [`RawBytes`] reads `hex:0a1b…` (whitespace between digits allowed) and
//! `base64:…` (standard alphabet, padding optional) besides plain text (`"\r\n"` escapes
//! work in YAML's double quotes), so a config can say any byte sequence. A value that starts
//! with neither prefix is taken as UTF-8 text; write `text:hex:…` for text that starts with a
//! prefix. It serializes back as plain text when that reads back the same, else as `hex:`.

use std::fmt;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Arbitrary bytes written as text, `hex:…`, `base64:…` or `text:…`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct RawBytes(pub Vec<u8>);

/// Why a value is not a byte string; the message says which forms work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid bytes {text:?}: {reason}; write plain text, `hex:` and pairs of hex digits \
     (e.g. `hex:5353482d0d0a`), or `base64:` and standard base64 (e.g. `base64:U1NILQ0K`)"
)]
pub struct RawBytesError {
    /// The value as given.
    pub text: String,
    /// What is wrong with it.
    pub reason: String,
}

impl RawBytes {
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }

    /// Whether a plain-text form would read back as these bytes.
    fn as_plain_text(&self) -> Option<&str> {
        let text = std::str::from_utf8(&self.0).ok()?;
        let prefixed = ["hex:", "base64:", "text:"]
            .iter()
            .any(|p| text.starts_with(p));
        (!prefixed).then_some(text)
    }
}

/// Parse the CLI's form of [`RawBytes`] (the same as in configs).
pub fn parse(text: &str) -> Result<RawBytes, RawBytesError> {
    text.parse()
}

impl From<&str> for RawBytes {
    fn from(text: &str) -> Self {
        RawBytes(text.as_bytes().to_vec())
    }
}

impl FromStr for RawBytes {
    type Err = RawBytesError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let err = |reason: String| RawBytesError {
            text: text.to_owned(),
            reason,
        };
        if let Some(hex) = text.strip_prefix("hex:") {
            decode_hex(hex).map(RawBytes).map_err(err)
        } else if let Some(b64) = text.strip_prefix("base64:") {
            decode_base64(b64).map(RawBytes).map_err(err)
        } else {
            Ok(RawBytes::from(text.strip_prefix("text:").unwrap_or(text)))
        }
    }
}

impl fmt::Display for RawBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.as_plain_text() {
            Some(text) => f.write_str(text),
            None => {
                f.write_str("hex:")?;
                self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
            }
        }
    }
}

impl Serialize for RawBytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RawBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for RawBytes {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RawBytes".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "Bytes: plain text, `hex:` and hex digit pairs, `base64:` and \
                standard base64, or `text:` and text that starts like a prefix."
        })
    }
}

fn decode_hex(hex: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = hex.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if digits.len() % 2 == 1 {
        return Err(format!("{} hex digits, an odd number", digits.len()));
    }
    digits
        .chunks(2)
        .map(|pair| {
            let pair = std::str::from_utf8(pair).unwrap_or("??");
            u8::from_str_radix(pair, 16).map_err(|_| format!("{pair:?} is not a hex byte"))
        })
        .collect()
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn decode_base64(b64: &str) -> Result<Vec<u8>, String> {
    let text: Vec<u8> = b64.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let unpadded = text.strip_suffix(b"==").or_else(|| text.strip_suffix(b"="));
    let unpadded = unpadded.unwrap_or(&text);
    if unpadded.len() % 4 == 1 {
        return Err(format!(
            "{} base64 characters cannot end a quantum",
            unpadded.len()
        ));
    }
    let mut out = Vec::with_capacity(unpadded.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for &c in unpadded {
        let Some(value) = BASE64.iter().position(|&b| b == c) else {
            return Err(format!("{:?} is not a base64 character", c as char));
        };
        acc = (acc << 6) | value as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<u8> {
        text.parse::<RawBytes>().unwrap().0
    }

    #[test]
    fn reads_every_form() {
        assert_eq!(parse("SSH-2.0\r\n"), b"SSH-2.0\r\n");
        assert_eq!(parse("hex:53 53 48 00 0a"), b"SSH\0\n");
        assert_eq!(parse("hex:0A0b"), [10, 11]);
        assert_eq!(parse("base64:U1NILTIuMA0K"), b"SSH-2.0\r\n");
        assert_eq!(parse("base64:AA=="), [0]);
        assert_eq!(parse("base64:AAE"), [0, 1]);
        assert_eq!(parse("text:hex:zz"), b"hex:zz");
        assert_eq!(parse(""), b"");
    }

    #[test]
    fn says_what_is_wrong_and_how_to_write_it() {
        let err = "hex:abc".parse::<RawBytes>().unwrap_err().to_string();
        assert!(
            err.contains("3 hex digits, an odd number") && err.contains("hex:5353"),
            "{err}"
        );
        let err = "hex:zz".parse::<RawBytes>().unwrap_err().to_string();
        assert!(err.contains("\"zz\" is not a hex byte"), "{err}");
        let err = "base64:ab*d".parse::<RawBytes>().unwrap_err().to_string();
        assert!(err.contains("'*' is not a base64 character"), "{err}");
        assert!("base64:abcde".parse::<RawBytes>().is_err());
    }

    #[test]
    fn writes_back_a_form_that_reads_the_same() {
        for bytes in [
            &b"plain"[..],
            b"\xff\x00",
            b"hex:looks like a prefix",
            b"a\nb",
        ] {
            let raw = RawBytes(bytes.to_vec());
            assert_eq!(raw.to_string().parse::<RawBytes>().unwrap(), raw);
        }
        assert_eq!(RawBytes(vec![0xff, 0]).to_string(), "hex:ff00");
    }
}
