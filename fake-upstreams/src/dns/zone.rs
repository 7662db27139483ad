//! The fake DNS server's answers with every address resolved, and the reply to one query.
//!
//! A [`Zone`] maps each lowercase name to its timeline: the first answer, then the schedule's
//! answers from their `after` on. [`Zone::reply`] turns a decoded query into the response
//! message (or `None`: no reply at all), the way an authoritative server would: the question
//! echoed, AA set, the records of the asked type with the current TTL.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, Metadata, OpCode, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA};
use hickory_proto::rr::{RData, Record, RecordType};

use super::spec::Answer;

/// One answer of a name: its kind, its addresses, their TTL in seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Records {
    pub answer: Answer,
    pub a: Vec<Ipv4Addr>,
    pub aaaa: Vec<Ipv6Addr>,
    pub ttl: u32,
}

/// A name's answers over time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Timeline {
    pub first: Records,
    pub steps: Vec<(Duration, Records)>,
}

impl Timeline {
    /// The answer at `elapsed` since the schedule started (`None`: not started yet).
    fn at(&self, elapsed: Option<Duration>) -> &Records {
        let Some(elapsed) = elapsed else {
            return &self.first;
        };
        let current = self.steps.iter().rev().find(|(after, _)| *after <= elapsed);
        current.map_or(&self.first, |(_, records)| records)
    }
}

/// Every name the server knows, with its timeline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Zone {
    names: BTreeMap<String, Timeline>,
}

impl Zone {
    pub(super) fn new(names: BTreeMap<String, Timeline>) -> Zone {
        Zone { names }
    }

    /// Each name's first answer (what a hosts file for start-time resolution lists).
    pub fn first_answers(&self) -> impl Iterator<Item = (&str, &Records)> {
        self.names.iter().map(|(n, t)| (n.as_str(), &t.first))
    }

    /// The lowercase name a query asks about, without the trailing dot.
    pub fn asked(query: &Message) -> Option<String> {
        let q = query.queries.first()?;
        let name = q.name().to_ascii().to_ascii_lowercase();
        Some(name.trim_end_matches('.').to_string())
    }

    /// The response to `query` at `elapsed` since the schedule started, or `None` when the
    /// name's answer is `timeout` (or the message is not a query).
    pub fn reply(&self, query: &Message, elapsed: Option<Duration>) -> Option<Message> {
        if query.metadata.message_type != MessageType::Query {
            return None;
        }
        let mut response = Message::new(query.metadata.id, MessageType::Response, OpCode::Query);
        response.metadata = Metadata::response_from_request(&query.metadata);
        response.metadata.authoritative = true;
        response.add_queries(query.queries.iter().cloned());
        let (Some(name), Some(q)) = (Zone::asked(query), query.queries.first()) else {
            response.metadata.response_code = ResponseCode::FormErr;
            return Some(response);
        };
        if query.metadata.op_code != OpCode::Query {
            response.metadata.response_code = ResponseCode::NotImp;
            return Some(response);
        }
        let Some(records) = self.names.get(&name).map(|t| t.at(elapsed)) else {
            response.metadata.response_code = ResponseCode::NXDomain;
            return Some(response);
        };
        match records.answer {
            Answer::Timeout => return None,
            Answer::Nxdomain => response.metadata.response_code = ResponseCode::NXDomain,
            Answer::Servfail => response.metadata.response_code = ResponseCode::ServFail,
            Answer::Records => {
                let owner = q.name().clone();
                let rdata: Vec<RData> = match q.query_type() {
                    RecordType::A => records.a.iter().map(|ip| RData::A(A(*ip))).collect(),
                    RecordType::AAAA => records
                        .aaaa
                        .iter()
                        .map(|ip| RData::AAAA(AAAA(*ip)))
                        .collect(),
                    _ => Vec::new(),
                };
                for data in rdata {
                    response.add_answer(Record::from_rdata(owner.clone(), records.ttl, data));
                }
            }
        }
        Some(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::Query;
    use hickory_proto::rr::Name;

    fn zone() -> Zone {
        let records = |answer, a: &[[u8; 4]], ttl| Records {
            answer,
            a: a.iter().map(|o| Ipv4Addr::from(*o)).collect(),
            aaaa: Vec::new(),
            ttl,
        };
        let app = Timeline {
            first: records(Answer::Records, &[[127, 0, 0, 2]], 5),
            steps: vec![
                (
                    Duration::from_secs(2),
                    records(Answer::Records, &[[127, 0, 0, 3]], 1),
                ),
                (Duration::from_secs(4), records(Answer::Timeout, &[], 1)),
            ],
        };
        let gone = Timeline {
            first: records(Answer::Servfail, &[], 5),
            steps: Vec::new(),
        };
        let names = [
            ("app.internal".to_string(), app),
            ("bad.internal".to_string(), gone),
        ];
        Zone::new(names.into_iter().collect())
    }

    fn query(name: &str, rtype: RecordType) -> Message {
        let mut m = Message::query();
        m.add_query(Query::query(Name::from_ascii(name).unwrap(), rtype));
        m
    }

    fn a_records(m: &Message) -> Vec<(Ipv4Addr, u32)> {
        let a = |r: &Record| match &r.data {
            RData::A(a) => Some((a.0, r.ttl)),
            _ => None,
        };
        m.answers.iter().filter_map(a).collect()
    }

    #[test]
    fn answers_follow_the_schedule() {
        let z = zone();
        let q = query("App.Internal.", RecordType::A);
        let before = z.reply(&q, None).unwrap();
        assert_eq!(before.metadata.id, q.metadata.id);
        assert_eq!(a_records(&before), [(Ipv4Addr::new(127, 0, 0, 2), 5)]);
        let moved = z.reply(&q, Some(Duration::from_secs(3))).unwrap();
        assert_eq!(a_records(&moved), [(Ipv4Addr::new(127, 0, 0, 3), 1)]);
        assert!(
            z.reply(&q, Some(Duration::from_secs(4))).is_none(),
            "timeout: no reply"
        );
    }

    #[test]
    fn unknown_names_failures_and_other_types() {
        let z = zone();
        let nx = z
            .reply(&query("nope.internal.", RecordType::A), None)
            .unwrap();
        assert_eq!(nx.metadata.response_code, ResponseCode::NXDomain);
        let sf = z
            .reply(&query("bad.internal.", RecordType::A), None)
            .unwrap();
        assert_eq!(sf.metadata.response_code, ResponseCode::ServFail);
        let v6 = z
            .reply(&query("app.internal.", RecordType::AAAA), None)
            .unwrap();
        assert_eq!(v6.metadata.response_code, ResponseCode::NoError);
        assert!(v6.answers.is_empty());
    }
}
