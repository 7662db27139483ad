//! nginx's own record of each request: the JSON access log the harness adds to every config it
//! runs, and its parser.
//!
//! The log format ([`LOG_FORMAT`]) writes one JSON object per request with the request id the
//! load driver sent (`x-badgateway-request`), the status nginx logged (`"009"` for an HTTP/0.9
//! relay), every upstream try (`$upstream_status`, `$upstream_addr` and their timings, comma
//! separated per try and ` : ` between internal redirects), `$request_time`, the client
//! connection number (`$connection`, the `*N` of error.log lines) with the request's place on
//! it (`$connection_requests`) and `$bytes_sent`. nginx
//! writes it with `escape=json`, so every value is a JSON string and parsing never depends on
//! what an upstream sent.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What is shown for nginx's status or tries of a request nginx has no record of.
pub const NOT_LOGGED: &str = "not logged";

/// The name of the harness's log format in every config it runs.
pub const FORMAT_NAME: &str = "badgateway_requests";

/// The file (in the run dir) the harness's access log goes to.
pub const FILE_NAME: &str = "requests.jsonl";

/// `log_format` arguments after the name: one JSON object per line.
pub const LOG_FORMAT: &str = concat!(
    r#"'{"id":"$http_x_badgateway_request","status":"$status","#,
    r#""upstream_status":"$upstream_status","upstream_addr":"$upstream_addr","#,
    r#""upstream_connect_time":"$upstream_connect_time","#,
    r#""upstream_header_time":"$upstream_header_time","#,
    r#""upstream_response_time":"$upstream_response_time","#,
    r#""request_time":"$request_time","connection":"$connection","#,
    r#""connection_requests":"$connection_requests","#,
    r#""bytes_sent":"$bytes_sent","method":"$request_method","uri":"$request_uri"}'"#
);

/// The `log_format` directive to put at `http` level.
pub fn log_format_directive() -> String {
    format!("log_format {FORMAT_NAME} escape=json {LOG_FORMAT};")
}

/// One request as nginx logged it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NginxRecord {
    /// The load driver's request id; `None` for requests without one (not the driver's).
    pub id: Option<u64>,
    /// `$status` as logged, three digits: `"502"`, `"009"` (an HTTP/0.9 relay), `"499"`.
    pub status: String,
    /// The upstream tries in order; empty when nginx answered without an upstream.
    pub tries: Vec<UpstreamTry>,
    /// `$request_time`, seconds.
    pub request_time: f64,
    /// `$connection`: the client connection's number, `*N` in error.log.
    pub connection: u64,
    /// `$connection_requests`: which request of its client connection this was (1-based).
    #[serde(default)]
    pub connection_requests: u64,
    pub bytes_sent: u64,
    pub method: String,
    pub uri: String,
}

/// One upstream try of a request: its status and where it went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UpstreamTry {
    /// `$upstream_status` of this try: `"502"` for a failed connect or a bad response, `"-"`
    /// when nginx got no status (e.g. the client went away first).
    pub status: String,
    /// `$upstream_addr` of this try, or the upstream group name when no server was live
    /// (`no live upstreams`).
    pub addr: String,
    /// `$upstream_connect_time`, `$upstream_header_time`, `$upstream_response_time` (seconds;
    /// `None` for nginx's `-`).
    pub connect_time: Option<f64>,
    pub header_time: Option<f64>,
    pub response_time: Option<f64>,
}

impl NginxRecord {
    /// The upstream statuses in order, as `$upstream_status` lists them: `"502, 200"`; `"-"`
    /// when nginx tried no upstream.
    pub fn status_sequence(&self) -> String {
        if self.tries.is_empty() {
            return "-".to_string();
        }
        let statuses: Vec<&str> = self.tries.iter().map(|t| t.status.as_str()).collect();
        statuses.join(", ")
    }
}

/// The raw JSON line: every value a string, as `escape=json` writes it.
#[derive(Deserialize)]
struct RawLine {
    id: String,
    status: String,
    upstream_status: String,
    upstream_addr: String,
    upstream_connect_time: String,
    upstream_header_time: String,
    upstream_response_time: String,
    request_time: String,
    connection: String,
    #[serde(default)]
    connection_requests: String,
    bytes_sent: String,
    method: String,
    uri: String,
}

/// Every record of a harness access log; lines that are not records are skipped.
pub fn parse(text: &str) -> Vec<NginxRecord> {
    text.lines().filter_map(parse_line).collect()
}

/// One line of the harness's access log, if it is one.
pub fn parse_line(line: &str) -> Option<NginxRecord> {
    let raw: RawLine = serde_json::from_str(line).ok()?;
    Some(NginxRecord {
        id: raw.id.parse().ok(),
        tries: tries(&raw),
        status: raw.status,
        request_time: raw.request_time.parse().unwrap_or(0.0),
        connection: raw.connection.parse().unwrap_or(0),
        connection_requests: raw.connection_requests.parse().unwrap_or(0),
        bytes_sent: raw.bytes_sent.parse().unwrap_or(0),
        method: raw.method,
        uri: raw.uri,
    })
}

/// Split the per-try variables (`, ` between tries, ` : ` between internal redirects) and
/// zip them; a shorter list pads with `None`.
fn tries(raw: &RawLine) -> Vec<UpstreamTry> {
    let statuses = values(&raw.upstream_status);
    let addrs = values(&raw.upstream_addr);
    let connect = values(&raw.upstream_connect_time);
    let header = values(&raw.upstream_header_time);
    let response = values(&raw.upstream_response_time);
    let seconds = |list: &[&str], i: usize| list.get(i).and_then(|v| v.parse().ok());
    (0..statuses.len().max(addrs.len()))
        .map(|i| UpstreamTry {
            status: statuses.get(i).unwrap_or(&"-").to_string(),
            addr: addrs.get(i).unwrap_or(&"-").to_string(),
            connect_time: seconds(&connect, i),
            header_time: seconds(&header, i),
            response_time: seconds(&response, i),
        })
        .collect()
}

/// `"502, 200 : 404"` → `["502", "200", "404"]`; `""` and `"-"` → none. nginx separates
/// with `", "` and `" : "` exactly, so `unix:/run/a.sock` stays whole.
fn values(text: &str) -> Vec<&str> {
    if text.is_empty() || text == "-" {
        return Vec::new();
    }
    text.split(", ")
        .flat_map(|part| part.split(" : "))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(id: &str, status: &str, us: &str, addr: &str, times: &str) -> String {
        format!(
            r#"{{"id":"{id}","status":"{status}","upstream_status":"{us}","upstream_addr":"{addr}","upstream_connect_time":"{times}","upstream_header_time":"{times}","upstream_response_time":"{times}","request_time":"0.012","connection":"7","connection_requests":"2","bytes_sent":"1234","method":"GET","uri":"/x?a=1"}}"#
        )
    }

    #[test]
    fn a_retried_request_has_one_try_per_upstream_server() {
        let text = line(
            "42",
            "200",
            "502, 200",
            "127.0.0.1:4001, 127.0.0.1:4002",
            "-, 0.001",
        );
        let r = parse_line(&text).unwrap();
        assert_eq!(r.id, Some(42));
        assert_eq!(r.status, "200");
        assert_eq!(r.status_sequence(), "502, 200");
        assert_eq!(r.tries.len(), 2);
        assert_eq!(r.tries[0].addr, "127.0.0.1:4001");
        assert_eq!(r.tries[0].connect_time, None);
        assert_eq!(r.tries[1].connect_time, Some(0.001));
        assert_eq!(r.connection, 7);
        assert_eq!(r.connection_requests, 2);
        assert_eq!(r.bytes_sent, 1234);
        assert_eq!(r.uri, "/x?a=1");
    }

    #[test]
    fn an_http09_relay_keeps_its_status_digits_and_no_upstream_is_a_dash() {
        let r = parse_line(&line("1", "009", "200", "127.0.0.1:1", "0.000")).unwrap();
        assert_eq!(r.status, "009");
        let none = parse_line(&line("", "204", "", "", "")).unwrap();
        assert_eq!(none.id, None);
        assert!(none.tries.is_empty());
        assert_eq!(none.status_sequence(), "-");
    }

    #[test]
    fn internal_redirects_and_unix_sockets_split_into_tries() {
        let r = parse_line(&line(
            "3",
            "404",
            "502 : 404",
            "unix:/tmp/a.sock : 127.0.0.1:9",
            "0.1 : 0.2",
        ))
        .unwrap();
        assert_eq!(r.status_sequence(), "502, 404");
        assert_eq!(r.tries[0].addr, "unix:/tmp/a.sock");
        assert_eq!(r.tries[1].addr, "127.0.0.1:9");
        assert_eq!(r.tries[1].response_time, Some(0.2));
    }

    #[test]
    fn lines_that_are_not_records_are_skipped() {
        let text = format!(
            "garbage\n{}\n{{\"id\":1}}\n",
            line("9", "200", "200", "a", "0")
        );
        assert_eq!(parse(&text).len(), 1);
    }

    #[test]
    fn the_directive_names_the_format_and_escapes_json() {
        let d = log_format_directive();
        assert!(d.starts_with("log_format badgateway_requests escape=json '{"));
        assert!(d.ends_with("}';"));
    }
}
