//! The FastCGI records nginx's `fastcgi_pass` speaks, encoded and decoded by hand.
//!
//! A record is an 8-byte header (version 1, type, request id, content length, padding
//! length, a reserved byte), the content, then the padding. nginx sends one request as
//! BEGIN_REQUEST (role RESPONDER; flag FCGI_KEEP_CONN under `fastcgi_keep_conn on`), PARAMS
//! records of name-value pairs ending with an empty PARAMS, and STDIN ending with an empty
//! STDIN. The application answers with STDOUT (the CGI response: `Status:`, headers, a blank
//! line, the body), optional STDERR (nginx logs it: `FastCGI sent in stderr: "..."`), empty
//! STDOUT and STDERR closing the streams, and END_REQUEST with the app status and a protocol
//! status. `conn::FcgiConn` reads and writes these over the faults' raw connection; the
//! encoders of a request and the record splitter serve clients and tests.

pub(crate) mod conn;

pub use conn::FASTCGI_VERSION;

/// The only FastCGI version; nginx refuses others (`upstream sent unsupported FastCGI
/// protocol version`).
pub const VERSION: u8 = 1;
/// Bytes of a record header.
pub const HEADER_LEN: usize = 8;
/// Largest content of one record (the length is 16 bits).
pub const MAX_CONTENT: usize = 0xffff;

/// The record types nginx uses (FastCGI 1.0, section 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum RecordType {
    BeginRequest = 1,
    AbortRequest = 2,
    EndRequest = 3,
    Params = 4,
    Stdin = 5,
    Stdout = 6,
    Stderr = 7,
}

impl RecordType {
    fn from_u8(b: u8) -> Option<RecordType> {
        use RecordType::*;
        [
            BeginRequest,
            AbortRequest,
            EndRequest,
            Params,
            Stdin,
            Stdout,
            Stderr,
        ]
        .into_iter()
        .find(|t| *t as u8 == b)
    }
}

/// BEGIN_REQUEST's role field (nginx always sends RESPONDER).
pub const ROLE_RESPONDER: u16 = 1;
pub const ROLE_AUTHORIZER: u16 = 2;
pub const ROLE_FILTER: u16 = 3;
/// BEGIN_REQUEST flag: keep the connection open after END_REQUEST (`fastcgi_keep_conn on`).
pub const FLAG_KEEP_CONN: u8 = 1;
/// END_REQUEST protocol status: the request is complete.
pub const REQUEST_COMPLETE: u8 = 0;
/// END_REQUEST protocol status: the application does not play the role asked for.
pub const UNKNOWN_ROLE: u8 = 3;

/// One record's header, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub kind: RecordType,
    pub request_id: u16,
    pub content_len: u16,
    pub padding: u8,
}

/// Why bytes are not a FastCGI record header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadHeader {
    /// Not version 1: not FastCGI at all (an HTTP request starts with `G`, 71, or `P`, 80).
    Version(u8),
    /// A record type this fake does not know.
    Type(u8),
}

impl Header {
    /// Decode the first [`HEADER_LEN`] bytes of `bytes` (which must hold them).
    pub fn parse(bytes: &[u8]) -> Result<Header, BadHeader> {
        if bytes[0] != VERSION {
            return Err(BadHeader::Version(bytes[0]));
        }
        let kind = RecordType::from_u8(bytes[1]).ok_or(BadHeader::Type(bytes[1]))?;
        Ok(Header {
            kind,
            request_id: u16::from_be_bytes([bytes[2], bytes[3]]),
            content_len: u16::from_be_bytes([bytes[4], bytes[5]]),
            padding: bytes[6],
        })
    }

    /// Bytes of the whole record: header, content and padding.
    pub fn record_len(&self) -> usize {
        HEADER_LEN + usize::from(self.content_len) + usize::from(self.padding)
    }
}

/// Append one record of `kind` carrying `content` (at most [`MAX_CONTENT`] bytes), padded
/// to a multiple of 8 as the specification recommends.
pub fn push_record(out: &mut Vec<u8>, kind: RecordType, request_id: u16, content: &[u8]) {
    let len = u16::try_from(content.len()).expect("record content over 64 KiB");
    let padding = (8 - content.len() % 8) % 8;
    out.extend_from_slice(&[VERSION, kind as u8]);
    out.extend_from_slice(&request_id.to_be_bytes());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&[padding as u8, 0]);
    out.extend_from_slice(content);
    out.resize(out.len() + padding, 0);
}

/// `data` as records of `kind`, split at [`MAX_CONTENT`]; empty data gives no record (the
/// empty record closing the stream is [`push_record`] with no content).
pub fn stream_records(kind: RecordType, request_id: u16, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / MAX_CONTENT * 16 + 16);
    for piece in data.chunks(MAX_CONTENT) {
        push_record(&mut out, kind, request_id, piece);
    }
    out
}

/// An END_REQUEST record with `app_status` and `protocol_status`.
pub fn end_request(request_id: u16, app_status: u32, protocol_status: u8) -> Vec<u8> {
    let mut body = app_status.to_be_bytes().to_vec();
    body.extend_from_slice(&[protocol_status, 0, 0, 0]);
    let mut out = Vec::with_capacity(16);
    push_record(&mut out, RecordType::EndRequest, request_id, &body);
    out
}

/// A BEGIN_REQUEST record's content: role and flags.
pub fn begin_request(role: u16, flags: u8) -> [u8; 8] {
    let r = role.to_be_bytes();
    [r[0], r[1], flags, 0, 0, 0, 0, 0]
}

/// Decode a BEGIN_REQUEST content into (role, flags).
pub fn parse_begin(content: &[u8]) -> Option<(u16, u8)> {
    (content.len() >= 3).then(|| (u16::from_be_bytes([content[0], content[1]]), content[2]))
}

/// Append one name-value pair, each length in 1 byte below 128, else 4 bytes with the top
/// bit set.
pub fn push_pair(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    for len in [name.len(), value.len()] {
        if len < 128 {
            out.push(len as u8);
        } else {
            let len = u32::try_from(len).expect("param over 2 GiB") | 0x8000_0000;
            out.extend_from_slice(&len.to_be_bytes());
        }
    }
    out.extend_from_slice(name);
    out.extend_from_slice(value);
}

/// A whole request as nginx sends it (request id 1): BEGIN_REQUEST as RESPONDER (with
/// FCGI_KEEP_CONN if `keep_conn`), `params`, the empty PARAMS, `stdin`, the empty STDIN.
pub fn encode_request(keep_conn: bool, params: &[(&str, &str)], stdin: &[u8]) -> Vec<u8> {
    let flags = if keep_conn { FLAG_KEEP_CONN } else { 0 };
    encode_request_as(ROLE_RESPONDER, flags, params, stdin)
}

/// [`encode_request`] with any role and flags.
pub fn encode_request_as(role: u16, flags: u8, params: &[(&str, &str)], stdin: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    push_record(
        &mut out,
        RecordType::BeginRequest,
        1,
        &begin_request(role, flags),
    );
    let mut pairs = Vec::new();
    for (name, value) in params {
        push_pair(&mut pairs, name.as_bytes(), value.as_bytes());
    }
    out.extend(stream_records(RecordType::Params, 1, &pairs));
    push_record(&mut out, RecordType::Params, 1, &[]);
    out.extend(stream_records(RecordType::Stdin, 1, stdin));
    push_record(&mut out, RecordType::Stdin, 1, &[]);
    out
}

/// Split `bytes` into whole records (type, content); a trailing partial record is left
/// out. For clients and tests reading an answer.
pub fn parse_records(mut bytes: &[u8]) -> Vec<(RecordType, Vec<u8>)> {
    let mut records = Vec::new();
    while bytes.len() >= HEADER_LEN {
        let Ok(head) = Header::parse(bytes) else {
            break;
        };
        if bytes.len() < head.record_len() {
            break;
        }
        let content = &bytes[HEADER_LEN..HEADER_LEN + usize::from(head.content_len)];
        records.push((head.kind, content.to_vec()));
        bytes = &bytes[head.record_len()..];
    }
    records
}

/// Decode the concatenated PARAMS content into pairs; `None` if a length runs past the end.
pub fn parse_pairs(mut bytes: &[u8]) -> Option<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut pairs = Vec::new();
    while !bytes.is_empty() {
        let name_len = take_len(&mut bytes)?;
        let value_len = take_len(&mut bytes)?;
        if bytes.len() < name_len + value_len {
            return None;
        }
        let (name, rest) = bytes.split_at(name_len);
        let (value, rest) = rest.split_at(value_len);
        pairs.push((name.to_vec(), value.to_vec()));
        bytes = rest;
    }
    Some(pairs)
}

fn take_len(bytes: &mut &[u8]) -> Option<usize> {
    let first = *bytes.first()?;
    if first < 128 {
        *bytes = &bytes[1..];
        return Some(usize::from(first));
    }
    let four: [u8; 4] = bytes.get(..4)?.try_into().ok()?;
    *bytes = &bytes[4..];
    usize::try_from(u32::from_be_bytes(four) & 0x7fff_ffff).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_round_trips_with_padding_to_eight() {
        for len in [0, 1, 7, 8, 9, 100] {
            let content: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let mut out = Vec::new();
            push_record(&mut out, RecordType::Stdout, 7, &content);
            assert_eq!(out.len() % 8, 0, "{len}");
            let head = Header::parse(&out).unwrap();
            assert_eq!(head.kind, RecordType::Stdout);
            assert_eq!(head.request_id, 7);
            assert_eq!(usize::from(head.content_len), len);
            assert_eq!(head.record_len(), out.len());
            assert_eq!(&out[HEADER_LEN..HEADER_LEN + len], &content[..]);
        }
    }

    #[test]
    fn http_is_not_a_record() {
        assert_eq!(Header::parse(b"GET / HT"), Err(BadHeader::Version(b'G')));
        assert_eq!(
            Header::parse(&[1, 42, 0, 1, 0, 0, 0, 0]),
            Err(BadHeader::Type(42))
        );
    }

    #[test]
    fn pairs_use_four_byte_lengths_from_128() {
        let long = vec![b'v'; 300];
        let mut out = Vec::new();
        push_pair(&mut out, b"SCRIPT_FILENAME", b"/var/www/html/index.php");
        let short_len = out.len();
        assert_eq!(out[0], 15);
        push_pair(&mut out, b"HTTP_X_LONG", &long);
        assert_eq!(&out[short_len + 1..short_len + 5], &[0x80, 0, 1, 44]);
        let pairs = parse_pairs(&out).unwrap();
        assert_eq!(pairs[0].1, b"/var/www/html/index.php");
        assert_eq!(pairs[1], (b"HTTP_X_LONG".to_vec(), long));
        assert_eq!(parse_pairs(&out[..out.len() - 1]), None);
    }

    #[test]
    fn long_streams_split_at_64k_and_end_request_carries_statuses() {
        let data = vec![b'x'; MAX_CONTENT + 10];
        let out = stream_records(RecordType::Stdout, 1, &data);
        let first = Header::parse(&out).unwrap();
        assert_eq!(usize::from(first.content_len), MAX_CONTENT);
        let second = Header::parse(&out[first.record_len()..]).unwrap();
        assert_eq!(second.content_len, 10);
        let end = end_request(1, 0x0102_0304, UNKNOWN_ROLE);
        assert_eq!(Header::parse(&end).unwrap().kind, RecordType::EndRequest);
        assert_eq!(
            &end[HEADER_LEN..HEADER_LEN + 5],
            &[1, 2, 3, 4, UNKNOWN_ROLE]
        );
        assert_eq!(
            parse_begin(&begin_request(ROLE_FILTER, FLAG_KEEP_CONN)),
            Some((3, 1))
        );
    }
}
