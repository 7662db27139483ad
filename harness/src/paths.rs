//! Paths the harness writes are built from names (scenario, phase, nginx version) under a run
//! folder. Scenario files are checked to use slugs, but a name that reaches here by another way
//! (the library API, a future field) must still not climb out: [`under`] keeps a slug as it is
//! and turns anything else into a hash, so the result is always one plain component below
//! `dir`.

use std::path::{Path, PathBuf};

/// `dir/name` when `name` is a slug (see [`crate::scenario::is_slug`]), else
/// `dir/name-<hash>` with every unsafe byte replaced: never outside `dir`.
pub fn under(dir: &Path, name: &str) -> PathBuf {
    dir.join(component(name))
}

/// `name` as one safe path component.
pub fn component(name: &str) -> String {
    if crate::scenario::is_slug(name) {
        return name.to_string();
    }
    let safe: String = name
        .chars()
        .take(32)
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let hash = fake_upstreams::body::fnv1a(0, name.bytes());
    format!("name{safe}-{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_stay_and_everything_else_stays_below() {
        let dir = Path::new("/out/run");
        assert_eq!(under(dir, "upstream-down"), dir.join("upstream-down"));
        for evil in [
            "..",
            "../../etc",
            "/etc/passwd",
            "a/b",
            "",
            "result.json",
            "é",
        ] {
            let p = under(dir, evil);
            assert_eq!(p.parent(), Some(dir), "{evil} -> {}", p.display());
            let c = p.file_name().unwrap().to_str().unwrap();
            assert!(
                !c.contains('/') && !c.contains("..") && c.starts_with("name"),
                "{c}"
            );
        }
        assert_ne!(component("a/b"), component("a_b"));
    }
}
