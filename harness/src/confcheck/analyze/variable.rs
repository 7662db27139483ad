//! A `*_pass` whose address contains variables, as `check` reads it: nginx resolves such an
//! address per request, with the `resolver` in force (none: `no resolver defined to resolve
//! NAME`, 502), unless its host names an `upstream` block. `check` plays the common shapes
//! and nothing else: the whole argument one variable that a plain `set` of a literal gives in
//! this location or an enclosing level (`set $backend http://app.internal:8080; proxy_pass
//! $backend;`), or a literal scheme and host with variables only after them
//! (`proxy_pass http://app.internal:8080$request_uri`). A variable set twice at one level,
//! from other variables, or inside an `if` is left untested, with the reason.

use std::collections::BTreeMap;

use super::address::{Pass, split_pass};
use crate::nginxconf::Directive;

/// What nginx needs to send a request to a variable address: the fix `check` names for a
/// location with none in force.
pub const RESOLVER_FIX: &str = "resolver ADDRESS valid=30s;";

/// The `set`s and the `resolver` in force in a block.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VarScope {
    /// Variable (without `$`) → its literal value, or `Err(why)` when `check` cannot tell it.
    sets: BTreeMap<String, Result<String, String>>,
    /// Whether a `resolver` is in force.
    pub resolver: bool,
}

impl VarScope {
    /// The scope inside `block`: its own `set`s replace outer ones (nginx runs them later);
    /// a `set` inside one of its `if`s makes the variable depend on the request.
    pub fn enter(&self, block: &Directive) -> VarScope {
        let mut inner = self.clone();
        let mut seen = Vec::new();
        for d in block.children() {
            match d.name.as_str() {
                "resolver" => inner.resolver = true,
                "set" => {
                    let (Some(name), Some(value)) = (d.arg(0), d.arg(1)) else {
                        continue;
                    };
                    let name = name.trim_start_matches('$').to_string();
                    let value = if seen.contains(&name) {
                        Err(format!("${name} is set more than once in one block"))
                    } else if value.contains('$') {
                        Err(format!("${name} is set from other variables ({value})"))
                    } else {
                        Ok(value)
                    };
                    seen.push(name.clone());
                    inner.sets.insert(name, value);
                }
                "if" => {
                    for s in d.children().filter(|s| s.name == "set") {
                        let name = s.arg(0).unwrap_or_default();
                        let name = name.trim_start_matches('$').to_string();
                        let why = format!("${name} is set inside an `if` (depends on the request)");
                        inner.sets.insert(name, Err(why));
                    }
                }
                _ => {}
            }
        }
        inner
    }

    /// The address a variable `*_pass` argument sends requests to, or why `check` cannot
    /// tell it.
    pub fn pass(&self, arg: &str) -> Result<Pass, String> {
        if let Some(name) = whole_variable(arg) {
            let value = match self.sets.get(name) {
                Some(v) => v.clone()?,
                None => {
                    return Err(format!(
                        "the address is ${name}, which no plain `set` of a literal in this \
                         location or server gives (resolved per request)"
                    ));
                }
            };
            return split_pass(&value).ok_or_else(|| format!("${name} = {value}"));
        }
        literal_host(arg).ok_or_else(|| {
            "the address's host contains variables (resolved per request)".to_string()
        })
    }
}

/// `$backend` or `${backend}` → `backend`.
fn whole_variable(arg: &str) -> Option<&str> {
    let name = arg.strip_prefix('$')?;
    let name = name
        .strip_prefix('{')
        .and_then(|n| n.strip_suffix('}'))
        .unwrap_or(name);
    let word = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    word.then_some(name)
}

/// `http://app.internal:8080$request_uri`: a literal scheme and host, variables after them.
pub fn literal_host(arg: &str) -> Option<Pass> {
    let i = arg.find('$')?;
    let scheme_end = arg.find("://")? + 3;
    let authority_end = arg[scheme_end..]
        .find(['/', '$'])
        .map_or(arg.len(), |j| scheme_end + j);
    if i < authority_end || authority_end == scheme_end || arg.starts_with("unix:") {
        return None;
    }
    // `http://app$suffix`: the variable may continue the host unless a port ended it.
    let authority = &arg[scheme_end..authority_end];
    let ported = authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    if i == authority_end && !ported {
        return None;
    }
    Some(Pass {
        scheme: arg[..scheme_end].to_string(),
        authority: arg[scheme_end..authority_end].to_string(),
        uri: arg[authority_end..].to_string(),
    })
}

/// The name nginx resolves per request for `p`, when its host is a name (not an address).
pub fn resolved_name(p: &Pass) -> Option<String> {
    if p.authority.starts_with("unix:") || p.authority.starts_with('[') {
        return None;
    }
    let host = p.authority.split(':').next().unwrap_or_default();
    let ip = host.parse::<std::net::Ipv4Addr>().is_ok();
    (!ip && !host.is_empty()).then(|| host.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_read_only_in_their_plain_shapes() {
        assert_eq!(whole_variable("$backend"), Some("backend"));
        assert_eq!(whole_variable("${backend}"), Some("backend"));
        assert_eq!(whole_variable("$backend/x"), None);
        let p = literal_host("http://app.internal:8080$request_uri").unwrap();
        assert_eq!(
            (p.authority.as_str(), p.uri.as_str()),
            ("app.internal:8080", "$request_uri")
        );
        let p = literal_host("http://app.internal/api$is_args$args").unwrap();
        assert_eq!(p.authority, "app.internal");
        assert_eq!(literal_host("http://$host:8080"), None);
        assert_eq!(literal_host("http://app$suffix:8080/"), None);
        assert_eq!(literal_host("http://app.internal$request_uri"), None);
        assert_eq!(
            resolved_name(&split_pass("http://App.Internal:80").unwrap()).as_deref(),
            Some("app.internal")
        );
        assert_eq!(
            resolved_name(&split_pass("http://10.0.0.5:80").unwrap()),
            None
        );
    }
}
