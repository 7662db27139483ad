//! FastCGI locations as `check` reads them: the `fastcgi_param SCRIPT_FILENAME` and the
//! `root`/`alias` in force where a `fastcgi_pass` is, merged as nginx merges them
//! (`ngx_http_fastcgi_merge_loc_conf`: `fastcgi_param`s are taken as a whole from the
//! innermost level that has any, so one `fastcgi_param` in a location drops every outer one;
//! `root` is inherited on its own), so that `check` gives the PHP-FPM fakes the document root
//! a script must be under, and can say why php-fpm answers a control run with 404 `Primary
//! script unknown`: SCRIPT_FILENAME missing, relative, or outside the root.

use serde::{Deserialize, Serialize};

use crate::nginxconf::Directive;

/// The fix every PHP-FPM guide gives, and the line of Debian's `fastcgi.conf`.
pub const SCRIPT_FILENAME_FIX: &str =
    "fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;";

/// The FastCGI settings in force in a block.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FcgiScope {
    /// The `fastcgi_param`s of the innermost level that has any.
    params: Option<Params>,
    /// A `SCRIPT_FILENAME` set at an outer level that `params` replaced, and where.
    dropped: Option<String>,
    /// `root` or `alias` in force, as written.
    root: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
struct Params {
    /// Where this level's first `fastcgi_param` is.
    at: String,
    /// `SCRIPT_FILENAME`'s value as written, and where.
    script_filename: Option<(String, String)>,
}

/// What a `fastcgi_pass` location sends PHP-FPM, as far as the config tells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FastcgiLocation {
    /// `fastcgi_param SCRIPT_FILENAME` as written; `None`: not set where the location's
    /// params come from.
    pub script_filename: Option<String>,
    /// `root` or `alias` in force, as written (`None`: nginx's default, `html` under its prefix).
    pub root: Option<String>,
    /// Why php-fpm will not find the script, when the config alone tells.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

impl FcgiScope {
    /// The scope inside `block` (an `http`, `server`, `location` or `if` block).
    pub fn enter(&self, block: &Directive) -> FcgiScope {
        let mut scope = self.clone();
        let mut own: Option<Params> = None;
        for d in block.children() {
            match d.name.as_str() {
                "root" | "alias" => scope.root = d.arg(0),
                "fastcgi_param" => {
                    let p = own.get_or_insert_with(|| Params {
                        at: d.at.to_string(),
                        script_filename: None,
                    });
                    if d.arg(0).as_deref() == Some("SCRIPT_FILENAME") {
                        p.script_filename = Some((d.arg(1).unwrap_or_default(), d.at.to_string()));
                    }
                }
                _ => {}
            }
        }
        if let Some(own) = own {
            let outer = self
                .params
                .as_ref()
                .and_then(|p| p.script_filename.as_ref());
            scope.dropped = match (&own.script_filename, outer) {
                (None, Some((_, at))) => Some(at.clone()),
                (None, None) => self.dropped.clone(),
                (Some(_), _) => None,
            };
            scope.params = Some(own);
        }
        scope
    }

    /// What a `fastcgi_pass` in this scope sends.
    pub fn location(&self) -> FastcgiLocation {
        let script = self.params.as_ref().and_then(|p| p.script_filename.clone());
        let problem = match (&script, &self.dropped, &self.params) {
            (None, Some(outer), Some(own)) => Some(format!(
                "the fastcgi_param SCRIPT_FILENAME at {outer} does not reach this location: the \
                 fastcgi_param at {own} starts a list of its own, and nginx inherits \
                 fastcgi_params only to levels that set none",
                own = own.at
            )),
            (None, _, _) => Some(
                "no fastcgi_param SCRIPT_FILENAME is in force here (Debian's fastcgi_params \
                 does not set it; fastcgi.conf and snippets/fastcgi-php.conf do)"
                    .to_string(),
            ),
            (Some((value, at)), _, _) => outside_root(value, self.root.as_deref())
                .map(|why| format!("fastcgi_param SCRIPT_FILENAME {value} ({at}) {why}")),
        };
        FastcgiLocation {
            script_filename: script.map(|(v, _)| v),
            root: self.root.clone(),
            problem,
        }
    }
}

/// Why a SCRIPT_FILENAME written as `value` cannot name a script under `root`, when the
/// written text tells: a relative path, or a literal directory other than the root.
fn outside_root(value: &str, root: Option<&str>) -> Option<String> {
    if value.starts_with("$document_root") || value.starts_with("$request_filename") {
        return None;
    }
    if !value.starts_with('/') && !value.starts_with('$') {
        return Some("is a relative path; php-fpm needs the script's absolute path".to_string());
    }
    let literal = value.split('$').next().unwrap_or_default();
    let root = root.filter(|r| r.starts_with('/') && !r.contains('$'))?;
    let root = root.trim_end_matches('/');
    if literal.is_empty() || literal.starts_with(&format!("{root}/")) || literal == root {
        return None;
    }
    Some(format!("is not under root {root}"))
}

/// The folder every script of these locations must be under: the longest common folder of
/// their literal, absolute roots; `/` when one has no such root.
pub fn document_root<'a>(locations: impl IntoIterator<Item = &'a FastcgiLocation>) -> String {
    let mut common: Option<Vec<&str>> = None;
    for l in locations {
        let Some(root) = l
            .root
            .as_deref()
            .filter(|r| r.starts_with('/') && !r.contains('$'))
        else {
            return "/".to_string();
        };
        let parts: Vec<&str> = root.split('/').filter(|p| !p.is_empty()).collect();
        common = Some(match common {
            None => parts,
            Some(c) => c
                .iter()
                .zip(&parts)
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| *a)
                .collect(),
        });
    }
    format!("/{}", common.unwrap_or_default().join("/"))
}

#[cfg(test)]
mod tests {
    use super::super::tests::first_location;
    use super::*;

    /// The FastCGI location of the first `fastcgi_pass` in `conf`'s first server.
    fn at_pass(conf: &str) -> FastcgiLocation {
        let [http, server, location] = first_location(conf);
        let scope = FcgiScope::default().enter(&http).enter(&server);
        scope.enter(&location).location()
    }

    #[test]
    fn the_debian_recipe_has_no_problem() {
        let l = at_pass(
            "http { server { root /var/www/html; location ~ \\.php$ { \
             fastcgi_param QUERY_STRING $query_string; \
             fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name; \
             fastcgi_pass unix:/run/php/php8.2-fpm.sock; } } }",
        );
        assert_eq!(l.problem, None);
        assert_eq!(l.root.as_deref(), Some("/var/www/html"));
        assert_eq!(
            l.script_filename.as_deref(),
            Some("$document_root$fastcgi_script_name")
        );
    }

    #[test]
    fn fastcgi_params_alone_lacks_script_filename() {
        let l = at_pass(
            "http { server { location ~ \\.php$ { fastcgi_param QUERY_STRING $query_string; \
             fastcgi_pass 127.0.0.1:9000; } } }",
        );
        assert!(
            l.problem
                .unwrap()
                .contains("no fastcgi_param SCRIPT_FILENAME")
        );
    }

    #[test]
    fn a_location_param_drops_the_servers_script_filename() {
        let l = at_pass(
            "http { server { fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name; \
             location ~ \\.php$ { fastcgi_param HTTPS on; fastcgi_pass 127.0.0.1:9000; } } }",
        );
        let problem = l.problem.unwrap();
        assert!(
            problem.contains("does not reach this location"),
            "{problem}"
        );
        assert_eq!(l.script_filename, None);
    }

    #[test]
    fn a_script_filename_outside_the_root_or_relative_is_named() {
        let l = at_pass(
            "http { server { root /var/www/html; location ~ \\.php$ { \
             fastcgi_param SCRIPT_FILENAME /scripts$fastcgi_script_name; \
             fastcgi_pass 127.0.0.1:9000; } } }",
        );
        assert!(
            l.problem
                .unwrap()
                .contains("is not under root /var/www/html")
        );
        let l = at_pass(
            "http { server { location / { fastcgi_param SCRIPT_FILENAME app.php; \
             fastcgi_pass 127.0.0.1:9000; } } }",
        );
        assert!(l.problem.unwrap().contains("relative path"));
        let l = at_pass(
            "http { server { root /srv/site; location / { \
             fastcgi_param SCRIPT_FILENAME /srv/site/index.php; fastcgi_pass 127.0.0.1:9000; } } }",
        );
        assert_eq!(l.problem, None);
    }

    #[test]
    fn the_document_root_is_the_common_folder_of_literal_roots() {
        let loc = |root: Option<&str>| FastcgiLocation {
            script_filename: None,
            root: root.map(str::to_string),
            problem: None,
        };
        let a = loc(Some("/var/www/a/public"));
        let b = loc(Some("/var/www/b/"));
        assert_eq!(document_root([&a, &b]), "/var/www");
        assert_eq!(document_root([&a]), "/var/www/a/public");
        assert_eq!(document_root([&a, &loc(None)]), "/");
        assert_eq!(document_root([&loc(Some("$site_root"))]), "/");
    }
}
