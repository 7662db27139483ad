//! The files an `include` pattern names, as nginx finds them: `ngx_conf_include` treats a path
//! with `*`, `?` or `[` as a glob and hands it to glibc's `glob(3)` (`ngx_open_glob`), which
//! sorts the matches byte-wise, skips names starting with `.` unless that part of the pattern
//! starts with `.` itself, and may match nothing. A folder among the matches makes nginx fail
//! (`pread() ... Is a directory`), so it is an error here too; more matches than
//! [`MAX_FILES`] is refused before anything is read. Each component is matched with
//! `glob::Pattern` (the crate's directory walker drops dotfiles even for a `.*` pattern).

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use glob::{MatchOptions, Pattern};

use super::source::MAX_FILES;

/// Whether nginx treats `full` (the path after the conf prefix is applied) as a glob.
pub fn is_glob(full: &Path) -> bool {
    full.as_os_str()
        .as_bytes()
        .iter()
        .any(|b| matches!(b, b'*' | b'?' | b'['))
}

/// The files `pattern` matches, in nginx's order; the message when it cannot be used.
pub fn expand(pattern: &Path) -> Result<Vec<PathBuf>, String> {
    let text = pattern.display().to_string();
    let mut found = vec![PathBuf::new()];
    for part in pattern.components() {
        let part = part.as_os_str();
        found = if is_glob(Path::new(part)) {
            found.iter().flat_map(|dir| matches_in(dir, part)).collect()
        } else {
            found.into_iter().map(|dir| dir.join(part)).collect()
        };
        found.retain(|p| p.exists());
    }
    if found.len() > MAX_FILES {
        return Err(format!(
            "include \"{text}\" matches {} files; badgateway reads at most {MAX_FILES} files \
             per config",
            found.len()
        ));
    }
    found.sort_by(|a, b| a.as_os_str().as_bytes().cmp(b.as_os_str().as_bytes()));
    if let Some(dir) = found.iter().find(|p| p.is_dir()) {
        return Err(format!(
            "include \"{text}\" matches the folder {}; nginx fails reading it \
             (\"pread() ... Is a directory\")",
            dir.display()
        ));
    }
    Ok(found)
}

/// The entries of `dir` whose names match the one-component pattern `part`, as glibc's
/// `glob(3)` without `GLOB_PERIOD` matches them: a leading `.` only by a literal `.` (and then
/// `.` and `..` too).
fn matches_in(dir: &Path, part: &OsStr) -> Vec<PathBuf> {
    let listed = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let Ok(entries) = std::fs::read_dir(listed) else {
        return Vec::new();
    };
    let Some(pattern) = part.to_str().and_then(|p| Pattern::new(p).ok()) else {
        // glibc takes a pattern it cannot read (an unclosed `[`) literally.
        return vec![dir.join(part)];
    };
    let options = MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: true,
    };
    let mut names: Vec<OsString> = entries
        .filter_map(|e| e.ok().map(|e| e.file_name()))
        .collect();
    if part.as_bytes().first() == Some(&b'.') {
        names.extend([OsString::from("."), OsString::from("..")]);
    }
    names
        .into_iter()
        .filter(|n| n.to_str().is_some_and(|n| pattern.matches_with(n, options)))
        .map(|n| dir.join(n))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path, pattern: &str) -> Result<Vec<String>, String> {
        let files = expand(&dir.join(pattern))?;
        Ok(files
            .iter()
            .map(|p| p.strip_prefix(dir).unwrap().display().to_string())
            .collect())
    }

    #[test]
    fn globs_sort_bytewise_and_skip_dotfiles_as_glibc_does() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for sub in ["a", "a-b", "B", ".git"] {
            std::fs::create_dir(d.join(sub)).unwrap();
            std::fs::write(d.join(sub).join("x.conf"), "").unwrap();
        }
        std::fs::write(d.join("a/.off.conf"), "").unwrap();
        std::fs::write(d.join("a/y.conf"), "").unwrap();
        // Byte order of the whole path, as nginx 1.22.1 read them: B, a-b, a.
        assert_eq!(
            names(d, "*/x.conf").unwrap(),
            ["B/x.conf", "a-b/x.conf", "a/x.conf"]
        );
        assert_eq!(names(d, "a/*.conf").unwrap(), ["a/x.conf", "a/y.conf"]);
        assert_eq!(names(d, "a/?*.conf").unwrap(), ["a/x.conf", "a/y.conf"]);
        assert_eq!(names(d, "a/.*.conf").unwrap(), ["a/.off.conf"]);
        assert_eq!(names(d, ".git/*.conf").unwrap(), [".git/x.conf"]);
        assert!(names(d, "none/*.conf").unwrap().is_empty());
        let e = names(d, "*").unwrap_err();
        assert!(e.contains("matches the folder") && e.contains("/B"), "{e}");
        // glibc's `.*` matches `.` and `..` too, which nginx then fails to read.
        let e = names(d, "a/.*").unwrap_err();
        assert!(e.contains("matches the folder") && e.contains("a/."), "{e}");
        // An unclosed `[` is taken literally.
        std::fs::write(d.join("x[.conf"), "").unwrap();
        assert_eq!(names(d, "x[.conf").unwrap(), ["x[.conf"]);
        assert!(is_glob(Path::new("/etc/[x]/a")) && !is_glob(Path::new("/etc/a.conf")));
    }

    #[test]
    fn a_glob_matching_too_many_files_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..=MAX_FILES {
            std::fs::write(dir.path().join(format!("{i}.conf")), "").unwrap();
        }
        let e = names(dir.path(), "*.conf").unwrap_err();
        assert!(e.contains("matches 1001 files"), "{e}");
    }
}
