//! How a request reaches a location that no path names directly: a regex location, through a
//! path derived from its regex (checked against the regex itself, so a wrong guess is never
//! sent), and a named location (`@app`), through a location whose `try_files` ends in it or
//! a `error_page 404` that points at it, with a path that names no file; and a `*_pass`
//! inside `if`, through a request that meets the condition when one can (a missing file, a
//! query argument).
//!
//! Anything else is left to the caller to list as untested. Every derived path is still
//! proven by `check`'s control run: a location whose requests do not reach its upstream as
//! 2xx there is listed, not tested.

use crate::nginxconf::Directive;

/// A file name no deployment has, so `try_files` and static `root`s fall through.
const MISSING: &str = "badgateway-no-such-file";

/// A request path matched by the location regex `pattern` (`~*`: `caseless`), or why none
/// could be derived.
pub fn regex_path(pattern: &str, caseless: bool) -> Result<String, String> {
    let mut chars = pattern.chars().peekable();
    let example = sequence(&mut chars, 0)
        .ok_or_else(|| format!("no request path could be derived from the regex `{pattern}`"))?;
    let path = if example.starts_with('/') {
        example
    } else {
        format!("/{MISSING}{example}")
    };
    let re = regex::RegexBuilder::new(pattern)
        .case_insensitive(caseless)
        .build()
        .map_err(|_| format!("the regex `{pattern}` uses syntax badgateway does not read"))?;
    if re.is_match(&path) && !path.contains(char::is_whitespace) {
        Ok(path)
    } else {
        Err(format!(
            "no request path could be derived from the regex `{pattern}`"
        ))
    }
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// One alternative's example, up to `)` (at `depth` > 0) or the end; the first alternative of
/// a `|` is taken and the rest skipped.
fn sequence(chars: &mut Chars<'_>, depth: usize) -> Option<String> {
    let mut out = String::new();
    let mut skipping = false;
    while let Some(&c) = chars.peek() {
        if c == ')' && depth > 0 {
            break;
        }
        chars.next();
        if c == '|' {
            skipping = true;
            continue;
        }
        let atom = match c {
            '^' | '$' => continue,
            '(' => {
                if chars.peek() == Some(&'?') {
                    chars.next();
                    if chars.next() != Some(':') {
                        return None; // lookarounds, named groups, flags
                    }
                }
                let inner = sequence(chars, depth + 1)?;
                (chars.next() == Some(')')).then_some(inner)?
            }
            '[' => class(chars)?,
            '\\' => escape(chars.next()?)?,
            '.' => "x".to_string(),
            '*' | '+' | '?' | '{' => return None, // a quantifier with nothing before it
            c => c.to_string(),
        };
        let times = quantifier(chars)?;
        if !skipping {
            out.push_str(&atom.repeat(times));
        }
    }
    Some(out)
}

/// How many times to repeat the atom before: `*`/`?` none, `+` once, `{n}`/`{n,m}` n.
fn quantifier(chars: &mut Chars<'_>) -> Option<usize> {
    let times = match chars.peek() {
        Some('*') | Some('?') => 0,
        Some('+') => 1,
        Some('{') => {
            chars.next();
            let body: String = chars.by_ref().take_while(|c| *c != '}').collect();
            return body.split(',').next()?.trim().parse().ok();
        }
        _ => return Some(1),
    };
    chars.next();
    if chars.peek() == Some(&'?') {
        chars.next(); // lazy
    }
    Some(times)
}

/// The first character a `[...]` class allows (none for a negated class).
fn class(chars: &mut Chars<'_>) -> Option<String> {
    let first = chars.next()?;
    if first == '^' {
        return None;
    }
    let first = if first == '\\' {
        escape(chars.next()?)?
    } else {
        first.to_string()
    };
    let mut prev = '\0';
    for c in chars.by_ref() {
        if c == ']' && prev != '\\' {
            return Some(first);
        }
        prev = c;
    }
    None
}

/// An escaped character's example.
fn escape(c: char) -> Option<String> {
    Some(match c {
        'd' => "1".into(),
        'w' => "a".into(),
        's' | 'S' | 'D' | 'W' | 'b' | 'B' => return None,
        c if c.is_ascii_alphanumeric() => return None,
        c => c.to_string(),
    })
}

/// A path of `server` that lands in the named location `name` (`@app`): below a prefix or
/// exact location whose `try_files` ends in it, or any path when the server or that location
/// has `error_page 404 ... @app`.
pub fn named_path(server: &Directive, name: &str) -> Result<String, String> {
    let ends_in = |d: &Directive| d.args.last().is_some_and(|a| a.value() == name);
    let not_found = |d: &Directive| {
        d.name == "error_page" && ends_in(d) && d.args.iter().any(|a| a.value() == "404")
    };
    if server.children().any(not_found) {
        return Ok(format!("/{MISSING}"));
    }
    for loc in server.children().filter(|d| d.name == "location") {
        let args: Vec<String> = loc.args.iter().map(|a| a.value()).collect();
        let prefix = match args.as_slice() {
            [p] if p.starts_with('/') => p.clone(),
            [m, p] if m == "^~" => p.clone(),
            _ => continue,
        };
        let falls_through = loc
            .children()
            .any(|d| (d.name == "try_files" && ends_in(d)) || not_found(d));
        if falls_through {
            let dir = if prefix.ends_with('/') {
                prefix
            } else {
                format!("{prefix}/")
            };
            return Ok(format!("{dir}{MISSING}"));
        }
    }
    Err(format!(
        "named location: no `try_files ... {name}` or `error_page 404 ... {name}` reaches it \
         (an `error_page 502 {name}` fallback is reached only when another location fails)"
    ))
}

/// A request path below the location path `base` that meets the `if` condition written as
/// `condition` (`($arg_debug)`, `(!-f $request_filename)`), or why none is known.
pub fn if_path(condition: &str, base: &str) -> Result<String, String> {
    let inner = condition
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(')');
    let words: Vec<&str> = inner.split_whitespace().collect();
    let unquote = |v: &str| v.trim_matches(|c| c == '"' || c == '\'').to_string();
    let query = |name: &str, value: &str| {
        let sep = if base.contains('?') { '&' } else { '?' };
        format!("{base}{sep}{name}={value}")
    };
    match words.as_slice() {
        ["!-f" | "!-e", "$request_filename" | "$document_root$uri"] => {
            let dir = if base.ends_with('/') {
                base.to_string()
            } else {
                format!("{base}/")
            };
            Ok(format!("{dir}{MISSING}"))
        }
        [var] if var.starts_with("$arg_") => Ok(query(&var[5..], "1")),
        [var, "=", value] if var.starts_with("$arg_") => {
            let value = unquote(value);
            match value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
            {
                true => Ok(query(&var[5..], &value)),
                false => Err(format!(
                    "`if {condition}`: the value needs encoding; not sent"
                )),
            }
        }
        _ => Err(format!(
            "a *_pass inside `if {condition}`: no request known to meet the condition (check \
             meets file tests on $request_filename and $arg_ conditions)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_conditions_are_met_by_a_missing_file_or_a_query_argument() {
        assert_eq!(
            if_path("(!-f $request_filename)", "/app"),
            Ok(format!("/app/{MISSING}"))
        );
        assert_eq!(if_path("($arg_debug)", "/"), Ok("/?debug=1".into()));
        assert_eq!(if_path("($arg_v = '2')", "/api/"), Ok("/api/?v=2".into()));
        assert!(if_path("($http_upgrade = websocket)", "/").is_err());
        assert!(if_path("($arg_q = 'a b')", "/").is_err());
    }

    #[test]
    fn regex_locations_get_a_path_their_regex_matches() {
        let cases = [
            (r"\.php$", "/badgateway-no-such-file.php"),
            (r"^/api/v[0-9]+/", "/api/v0/"),
            (r"^/(images|css)/.*\.(png|css)$", "/images/.png"),
            (r"^/(?:app|web)/\d{3}", "/app/111"),
            (r"^/user/(\w+)/?$", "/user/a"),
        ];
        for (re, want) in cases {
            assert_eq!(regex_path(re, false).as_deref(), Ok(want), "{re}");
        }
        assert_eq!(
            regex_path(r"\.PHP$", true).as_deref(),
            Ok("/badgateway-no-such-file.PHP")
        );
        for re in [r"^/(?!admin)", r"[^/]+\.js$", r"^/\s"] {
            assert!(regex_path(re, false).is_err(), "{re}");
        }
    }
}
