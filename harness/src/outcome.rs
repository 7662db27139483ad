//! What one request through nginx ended as, seen from the client.
//!
//! Every request ends as exactly one [`Outcome`]: an HTTP status whose response arrived complete,
//! or a named client-side failure. Scenario expectations name outcomes by their display form
//! (`"502"`, `"truncated"`, `"reset"`), so the set here is the vocabulary of the YAML.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The end state of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// A complete response with this status (the whole announced body arrived).
    Status(u16),
    /// A 200 whose body arrived complete but did not match the upstream's digest header.
    Corrupt,
    /// The response head arrived but the connection ended before the whole body did.
    Truncated,
    /// The connection was closed before any response byte arrived ("empty reply").
    Closed,
    /// The connection was reset by the peer.
    Reset,
    /// The connection could not be opened: nothing listening.
    Refused,
    /// No complete response within the request timeout.
    Timeout,
    /// The bytes that arrived do not start with an HTTP/1.x status line (`HTTP/1.x NNN`):
    /// e.g. nginx relaying an upstream's garbage as HTTP/0.9, or an HTTP/2 preface. curl
    /// refuses these too (`Received HTTP/0.9 when not allowed`).
    ParseError,
    /// An HTTP/1.x response the load driver itself refused, though its status line was valid:
    /// a head over 400 KiB or over 1024 header lines, or a `Content-Length`/`Transfer-Encoding`
    /// the client cannot frame a body by. The client accepts the heads curl accepts (names
    /// outside the token set, spaces before the colon, folded lines; curl alone has no line
    /// count limit), so this names a limit of the client, never an nginx failure; the sample's
    /// detail starts `refused by the load driver, not nginx:` and says which limit.
    ClientRejected,
    /// Any other I/O failure (named in the sample's detail).
    OtherError,
    /// HTTP/2: the stream was reset (RST_STREAM) before the response was complete; the
    /// sample's detail names the error code and whether the head had arrived.
    RstStream,
    /// gRPC: a 200 reply that ended cleanly without `grpc-status` (no trailers).
    NoTrailers,
    /// gRPC: a complete 200 reply whose trailers carry this non-zero `grpc-status`
    /// (`grpc-status 14`); `grpc-status 0` is a success, counted as its HTTP status.
    GrpcStatus(u8),
}

impl Outcome {
    /// Every named (non-status) outcome, for error messages and documentation.
    pub const NAMED: [Outcome; 11] = [
        Outcome::Corrupt,
        Outcome::Truncated,
        Outcome::Closed,
        Outcome::Reset,
        Outcome::Refused,
        Outcome::Timeout,
        Outcome::ParseError,
        Outcome::ClientRejected,
        Outcome::OtherError,
        Outcome::RstStream,
        Outcome::NoTrailers,
    ];

    /// True for a complete, correct 2xx response: what a fix must turn failures into.
    pub fn is_success(self) -> bool {
        matches!(self, Outcome::Status(s) if (200..300).contains(&s))
    }

    fn name(self) -> Option<&'static str> {
        Some(match self {
            Outcome::Status(_) | Outcome::GrpcStatus(_) => return None,
            Outcome::Corrupt => "corrupt",
            Outcome::Truncated => "truncated",
            Outcome::Closed => "closed",
            Outcome::Reset => "reset",
            Outcome::Refused => "refused",
            Outcome::Timeout => "timeout",
            Outcome::ParseError => "parse_error",
            Outcome::ClientRejected => "client_rejected",
            Outcome::OtherError => "other_error",
            Outcome::RstStream => "rst_stream",
            Outcome::NoTrailers => "no_trailers",
        })
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self, self.name()) {
            (Outcome::Status(s), _) => write!(f, "{s}"),
            (Outcome::GrpcStatus(s), _) => write!(f, "{GRPC_STATUS}{s}"),
            (_, Some(name)) => f.write_str(name),
            (_, None) => unreachable!("every non-status outcome has a name"),
        }
    }
}

/// How a gRPC status outcome is written, before its code (`grpc-status 14`).
const GRPC_STATUS: &str = "grpc-status ";

/// The text is neither a status code (100–599) nor a named outcome.
#[derive(Debug, Clone, thiserror::Error)]
#[error("unknown outcome `{0}`: use a status code (100-599), `grpc-status N` (1-16) or one of {names}", names = named_list())]
pub struct UnknownOutcome(pub String);

fn named_list() -> String {
    Outcome::NAMED
        .iter()
        .map(|o| o.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

impl FromStr for Outcome {
    type Err = UnknownOutcome;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Ok(code) = s.parse::<u16>()
            && (100..600).contains(&code)
        {
            return Ok(Outcome::Status(code));
        }
        if let Some(code) = s
            .strip_prefix(GRPC_STATUS)
            .and_then(|c| c.parse::<u8>().ok())
            && (1..=16).contains(&code)
        {
            return Ok(Outcome::GrpcStatus(code));
        }
        Outcome::NAMED
            .into_iter()
            .find(|o| o.name() == Some(s))
            .ok_or_else(|| UnknownOutcome(s.to_string()))
    }
}

impl Serialize for Outcome {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Outcome {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A string: a status code (`"502"`) or one of the named outcomes (`"truncated"`).
impl schemars::JsonSchema for Outcome {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Outcome".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<String> = Outcome::NAMED.iter().map(|o| o.to_string()).collect();
        schemars::json_schema!({
            "description": "What a request ended as: a status code (100-599) of a complete response, `grpc-status N` (1-16) of a complete gRPC reply, or a named client-side outcome.",
            "anyOf": [
                { "type": "string", "pattern": "^[1-5][0-9][0-9]$" },
                { "type": "string", "pattern": "^grpc-status ([1-9]|1[0-6])$" },
                { "type": "string", "enum": names }
            ]
        })
    }
}

/// Outcomes with their counts, most frequent first, then in outcome order: the one order every
/// report lists a histogram in.
pub fn by_count(counts: &BTreeMap<Outcome, u64>) -> Vec<(Outcome, u64)> {
    let mut pairs: Vec<(Outcome, u64)> = counts.iter().map(|(o, n)| (*o, *n)).collect();
    pairs.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    pairs
}

/// `502×18 200×2` ([`by_count`] order); empty when nothing was counted.
pub fn histogram(counts: &BTreeMap<Outcome, u64>) -> String {
    let parts: Vec<String> = by_count(counts)
        .iter()
        .map(|(o, n)| format!("{o}×{n}"))
        .collect();
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_round_trip_through_their_names() {
        let grpc = Outcome::GrpcStatus(14);
        for o in Outcome::NAMED
            .into_iter()
            .chain([Outcome::Status(502), grpc])
        {
            assert_eq!(o.to_string().parse::<Outcome>().unwrap(), o);
        }
    }

    #[test]
    fn unknown_names_list_the_valid_ones() {
        let err = "bogus".parse::<Outcome>().unwrap_err().to_string();
        assert!(err.contains("truncated") && err.contains("bogus"), "{err}");
        assert!("99".parse::<Outcome>().is_err());
        assert!(
            "grpc-status 0".parse::<Outcome>().is_err(),
            "0 is a success: its status"
        );
        assert!("grpc-status 17".parse::<Outcome>().is_err());
    }

    #[test]
    fn histograms_list_the_most_frequent_first_then_by_outcome() {
        let counts: BTreeMap<Outcome, u64> = [
            (Outcome::Status(200), 2),
            (Outcome::Status(502), 18),
            (Outcome::Status(504), 2),
        ]
        .into();
        assert_eq!(histogram(&counts), "502×18 200×2 504×2");
        assert_eq!(histogram(&BTreeMap::new()), "");
    }
}
