//! Which nginx runs: `--nginx PATH`, else `nginx` on PATH, else the usual sbin folders; and its
//! version, recorded in every result because nginx's behaviour differs between versions.

use std::path::{Path, PathBuf};
use std::process::Command;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An nginx executable and what it told us about itself.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct NginxBinary {
    pub path: PathBuf,
    /// e.g. `1.22.1`.
    pub version: String,
    /// `nginx -V`'s configure arguments, to know which modules (and temp paths) exist.
    pub configure_args: String,
}

impl NginxBinary {
    /// Whether the http module `name` (e.g. `uwsgi`) was compiled in.
    pub fn has_http_module(&self, name: &str) -> bool {
        !self
            .configure_args
            .contains(&format!("--without-http_{name}_module"))
    }

    /// Whether this nginx has the `http2 on;` directive (1.25.1 and later).
    pub fn has_http2_directive(&self) -> bool {
        let parts: Vec<u64> = (self.version.split('.'))
            .map_while(|p| p.parse().ok())
            .collect();
        parts.as_slice() >= [1, 25, 1].as_slice()
    }
}

/// Find nginx and ask its version. The error says how to install it.
pub fn locate(explicit: Option<&Path>) -> Result<NginxBinary, String> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => search_path().ok_or_else(|| {
            "nginx not found on PATH nor in /usr/sbin, /usr/local/sbin, /usr/local/nginx/sbin; \
             install it (`apt-get install -y nginx-light`) or pass --nginx PATH"
                .to_string()
        })?,
    };
    let output = Command::new(&path)
        .arg("-V")
        .output()
        .map_err(|e| format!("cannot run {}: {e}", path.display()))?;
    let text = String::from_utf8_lossy(&output.stderr).into_owned()
        + &String::from_utf8_lossy(&output.stdout);
    from_banner(path, &text)
}

/// What `nginx -V` printed, as an [`NginxBinary`] at `path` (also used for nginx in an image,
/// where `path` is the command inside the container).
pub(super) fn from_banner(path: PathBuf, text: &str) -> Result<NginxBinary, String> {
    let version = parse_version(text)
        .ok_or_else(|| format!("{} -V printed no nginx version: {text}", path.display()))?;
    let configure_args = text
        .lines()
        .find_map(|l| l.strip_prefix("configure arguments:"))
        .unwrap_or("")
        .trim()
        .to_string();
    Ok(NginxBinary {
        path,
        version,
        configure_args,
    })
}

fn search_path() -> Option<PathBuf> {
    let from_env = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    let fallback = ["/usr/sbin", "/usr/local/sbin", "/usr/local/nginx/sbin"].map(PathBuf::from);
    from_env
        .into_iter()
        .chain(fallback)
        .map(|dir| dir.join("nginx"))
        .find(|candidate| candidate.is_file())
}

fn parse_version(text: &str) -> Option<String> {
    let rest = text.split("nginx version: ").nth(1)?;
    let word = rest.split_whitespace().next()?;
    Some(word.rsplit('/').next()?.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_is_read_from_the_banner() {
        let text = "nginx version: nginx/1.22.1\nbuilt with OpenSSL\n";
        assert_eq!(parse_version(text).as_deref(), Some("1.22.1"));
        assert_eq!(
            parse_version("nginx version: openresty/1.25.3.1").as_deref(),
            Some("1.25.3.1")
        );
        assert_eq!(parse_version("bash: nginx: not found"), None);
    }

    #[test]
    fn a_missing_binary_is_reported_with_its_path() {
        let err = locate(Some(Path::new("/nonexistent/nginx"))).unwrap_err();
        assert!(err.contains("/nonexistent/nginx"), "{err}");
    }
}
