//! Response headers as configs write them: an ordered list of pairs, so a name can repeat.
//!
//! A real backend may send `Set-Cookie` many times; a mapping of name to value cannot say
//! that. Configs write headers as a list of `[name, value]` pairs (`headers: [[Set-Cookie,
//! a=1], [Set-Cookie, b=2]]`); the older mapping form (`headers: { x-app: demo }`) still
//! loads, as pairs in mapping order. [`RepeatHeader`] stands for many lines of one header
//! without listing them (a ~5 KiB head of `Set-Cookie` lines to overflow `proxy_buffer_size`).

use std::fmt;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

use crate::size::ByteSize;

/// `count` lines of header `name`, each value `size` bytes: `c0001=xxx…`, `c0002=xxx…`, a
/// distinct cookie per line (the digits grow past 4 when `count` does).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RepeatHeader {
    /// Header name, e.g. `Set-Cookie`.
    pub name: String,
    /// How many lines.
    pub count: u32,
    /// Length of each value in bytes (at least the `cNNNN=` prefix and one `x`).
    pub size: ByteSize,
}

impl RepeatHeader {
    /// The `(name, value)` pairs this stands for, in order.
    pub fn pairs(&self) -> impl Iterator<Item = (String, String)> + '_ {
        (1..=self.count).map(move |i| {
            let mut value = format!("c{i:04}=");
            let size = self.size.as_usize().max(value.len() + 1);
            value.extend(std::iter::repeat_n('x', size - value.len()));
            (self.name.clone(), value)
        })
    }

    /// Bytes these lines add to a response head (`name: value\r\n` each).
    pub fn head_bytes(&self) -> usize {
        self.pairs().map(|(n, v)| n.len() + v.len() + 4).sum()
    }
}

/// The CLI form `NAME:COUNT:SIZE`, e.g. `Set-Cookie:120:40`.
impl FromStr for RepeatHeader {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{text:?} is not NAME:COUNT:SIZE, e.g. Set-Cookie:120:40");
        let mut parts = text.rsplitn(3, ':');
        let (Some(size), Some(count), Some(name)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        Ok(RepeatHeader {
            name: name.trim().to_owned(),
            count: count.trim().parse().map_err(|_| bad())?,
            size: size.parse().map_err(|e| format!("{}: {e}", bad()))?,
        })
    }
}

impl fmt::Display for RepeatHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.name, self.count, self.size)
    }
}

/// Parse the CLI's `--header NAME:VALUE`.
pub fn parse_pair(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| format!("header {text:?} is not NAME:VALUE"))?;
    Ok((name.trim().to_owned(), value.trim().to_owned()))
}

/// The schema of a header list: pairs, or the older mapping.
pub fn schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "description": "A list of `[name, value]` pairs (a name may repeat), or a mapping of \
            name to value.",
        "oneOf": [
            {
                "type": "array",
                "items": {
                    "type": "array",
                    "items": { "type": "string" },
                    "minItems": 2,
                    "maxItems": 2
                }
            },
            { "type": "object", "additionalProperties": { "type": "string" } }
        ]
    })
}

/// serde for `Vec<(String, String)>` as a list of pairs, or from a mapping.
pub mod pairs {
    use std::fmt;

    use serde::de::{MapAccess, SeqAccess, Visitor};
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(pairs: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(pairs.iter().map(|(k, v)| [k, v]))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, String)>, D::Error> {
        d.deserialize_any(PairsVisitor)
    }

    struct PairsVisitor;

    impl<'de> Visitor<'de> for PairsVisitor {
        type Value = Vec<(String, String)>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of [name, value] pairs, or a mapping of header name to value")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut pairs = Vec::new();
            while let Some(pair) = seq.next_element::<(String, String)>()? {
                pairs.push(pair);
            }
            Ok(pairs)
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut pairs = Vec::new();
            while let Some(pair) = map.next_entry()? {
                pairs.push(pair);
            }
            Ok(pairs)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, Serialize)]
    struct Holder {
        #[serde(with = "pairs")]
        headers: Vec<(String, String)>,
    }

    fn load(yaml: &str) -> Vec<(String, String)> {
        serde_saphyr::from_str::<Holder>(yaml).unwrap().headers
    }

    fn pair(n: &str, v: &str) -> (String, String) {
        (n.into(), v.into())
    }

    #[test]
    fn a_list_of_pairs_keeps_repeated_names_in_order() {
        let got = load("headers: [[Set-Cookie, a=1], [Set-Cookie, b=2], [X-A, c]]");
        let want = [
            pair("Set-Cookie", "a=1"),
            pair("Set-Cookie", "b=2"),
            pair("X-A", "c"),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn the_old_mapping_form_still_loads() {
        assert_eq!(
            load("headers: { X-A: b, X-C: d }"),
            [pair("X-A", "b"), pair("X-C", "d")]
        );
    }

    #[test]
    fn a_pair_of_three_is_refused() {
        assert!(serde_saphyr::from_str::<Holder>("headers: [[a, b, c]]").is_err());
    }

    #[test]
    fn repeat_header_makes_distinct_lines_of_the_asked_size() {
        let r: RepeatHeader = "Set-Cookie:120:40".parse().unwrap();
        let pairs: Vec<_> = r.pairs().collect();
        assert_eq!(pairs.len(), 120);
        assert!(
            pairs
                .iter()
                .all(|(n, v)| n == "Set-Cookie" && v.len() == 40)
        );
        assert_eq!(pairs[0].1, format!("c0001={}", "x".repeat(34)));
        assert_eq!(r.head_bytes(), 120 * (10 + 2 + 40 + 2));
        assert!("Set-Cookie:many:40".parse::<RepeatHeader>().is_err());
    }
}
