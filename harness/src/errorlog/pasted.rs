//! What tools and people put in front of an nginx error.log line when it is pasted: container
//! runtimes (`docker compose` `name_1  | ` and `name-1  | `, `kubectl logs --prefix`
//! `[pod/x/container] `, `docker logs -t` RFC 3339 times), journald and syslog
//! (`<11>Mon DD HH:MM:SS host nginx[123]: `), e-mail and Markdown quotes (`> `, `>> `) and
//! indentation, and nginx's own `nginx: ` before `[emerg]` on standard error (`nginx -t`).
//! [`stamp_start`] finds nginx's own timestamp behind any prefix at all;
//! [`strip_prefixes`] removes the known ones from a line that has no timestamp left.

/// How far into a line nginx's timestamp is looked for: the longest prefixes seen (a kubectl
/// pod name plus an RFC 3339 time plus a compose name) stay well under this.
const MAX_PREFIX: usize = 256;

/// Where `YYYY/MM/DD HH:MM:SS [` begins in the first [`MAX_PREFIX`] bytes of `line`, if there.
pub(super) fn stamp_start(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let last = bytes.len().min(MAX_PREFIX + 21).saturating_sub(21);
    (0..=last).find(|&i| is_stamp(&bytes[i..]) && line.is_char_boundary(i))
}

/// `YYYY/MM/DD HH:MM:SS [` at the start of `b`.
fn is_stamp(b: &[u8]) -> bool {
    const SHAPE: &[u8; 21] = b"dddd/dd/dd dd:dd:dd [";
    b.len() >= SHAPE.len()
        && SHAPE.iter().zip(b).all(|(&want, &got)| match want {
            b'd' => got.is_ascii_digit(),
            _ => got == want,
        })
}

/// `line` without the known paste prefixes, however they are stacked.
pub(super) fn strip_prefixes(line: &str) -> &str {
    let mut rest = line;
    for _ in 0..8 {
        let next = strip_one(rest);
        if next.len() == rest.len() {
            break;
        }
        rest = next;
    }
    rest
}

fn strip_one(s: &str) -> &str {
    let s = s.trim_start_matches([' ', '\t', '>']);
    syslog_priority(s)
        .or_else(|| s.strip_prefix("nginx: ").filter(|r| r.starts_with('[')))
        .or_else(|| compose_service(s))
        .or_else(|| kubectl_pod(s))
        .or_else(|| rfc3339_time(s))
        .or_else(|| journald(s))
        .unwrap_or(s)
}

/// `<11>` of a raw syslog line.
fn syslog_priority(s: &str) -> Option<&str> {
    let (pri, rest) = s.strip_prefix('<')?.split_once('>')?;
    (!pri.is_empty() && pri.len() <= 3 && pri.bytes().all(|b| b.is_ascii_digit())).then_some(rest)
}

/// `nginx_1  | ` (compose v1) or `nginx-1  | ` (v2): a service name, spaces, a bar.
fn compose_service(s: &str) -> Option<&str> {
    let name_len = s
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || b"._-".contains(b))
        .count();
    let after = &s[name_len..];
    let spaces = after.len() - after.trim_start_matches(' ').len();
    let rest = after[spaces..].strip_prefix('|')?;
    (name_len > 0 && spaces > 0).then(|| rest.strip_prefix(' ').unwrap_or(rest))
}

/// `[pod/web-7d4/nginx] ` of `kubectl logs --prefix`.
fn kubectl_pod(s: &str) -> Option<&str> {
    let (_, rest) = s.strip_prefix("[pod/")?.split_once("] ")?;
    Some(rest)
}

/// `2026-11-26T15:42:18.123456789Z ` (docker logs -t) or with a `+01:00` offset; the CRI
/// stream tag that may follow (`stderr F `) goes too.
fn rfc3339_time(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    let shape = b.len() > 20
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':';
    if !shape {
        return None;
    }
    let (_, rest) = s.split_once(' ')?;
    let cri = ["stdout F ", "stderr F ", "stdout P ", "stderr P "];
    Some(
        cri.iter()
            .find_map(|t| rest.strip_prefix(t))
            .unwrap_or(rest),
    )
}

/// `Nov 26 15:42:18 host nginx[123]: ` (journalctl, syslog files).
fn journald(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    let shape = b.len() > 16
        && b[..3].iter().all(u8::is_ascii_alphabetic)
        && b[3] == b' '
        && (b[4] == b' ' || b[4].is_ascii_digit())
        && b[5].is_ascii_digit()
        && b[6] == b' '
        && b[9] == b':'
        && b[12] == b':'
        && b[15] == b' ';
    if !shape {
        return None;
    }
    let (_host, rest) = s[16..].split_once(' ')?;
    let (tag, rest) = rest.split_once(": ")?;
    (!tag.contains(' ')).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stamp_is_found_behind_any_prefix() {
        let line = "2026/11/26 15:42:18 [error] 1#1: x";
        assert_eq!(stamp_start(line), Some(0));
        assert_eq!(stamp_start(&format!("web-1  | {line}")), Some(9));
        assert_eq!(
            stamp_start("2026-11-26T15:42:18Z 2026/11/26 15:42:18 [e"),
            Some(21)
        );
        assert_eq!(stamp_start("2026/11/26 15:42:18 error"), None);
        assert_eq!(stamp_start(&format!("{}{line}", "x".repeat(300))), None);
    }

    #[test]
    fn known_prefixes_are_stripped_in_any_stack() {
        let m = "*5 connect() failed";
        for pasted in [
            format!("nginx_1  | {m}"),
            format!("nginx-1 | {m}"),
            format!("[pod/web-7d4/nginx] {m}"),
            format!("2026-11-26T15:42:18.123456789Z {m}"),
            format!("2026-11-26T15:42:18+01:00 stderr F {m}"),
            format!("Nov 26 15:42:18 web nginx[123]: {m}"),
            format!("<11>Nov  6 15:42:18 web nginx: {m}"),
            format!(">> > {m}"),
            format!("    {m}"),
            format!("  > web-1  | 2026-11-26T15:42:18Z {m}"),
        ] {
            assert_eq!(strip_prefixes(&pasted), m, "{pasted}");
        }
        assert_eq!(
            strip_prefixes("Nov 26 15:42:18 web nginx[1]: nginx: [emerg] host not found"),
            "[emerg] host not found"
        );
        assert_eq!(strip_prefixes("connect() failed"), "connect() failed");
        assert_eq!(strip_prefixes("upstream timed out"), "upstream timed out");
    }
}
