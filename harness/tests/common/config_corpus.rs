//! The nginx config corpora: `fixtures/nginx/tricky/` (valid configs nginx accepts, each a
//! file or a folder with `nginx.conf`) and `fixtures/nginx/malformed/` (configs badgateway
//! must refuse; each main file starts `# expect: TEXT` and `# at: PATH:LINE:COL`, the path
//! relative to the corpus folder).

use std::path::{Path, PathBuf};

pub fn tricky_dir() -> PathBuf {
    super::repo().join("harness/tests/fixtures/nginx/tricky")
}

pub fn malformed_dir() -> PathBuf {
    super::repo().join("harness/tests/fixtures/nginx/malformed")
}

/// The main config of every case in `dir`: its `*.conf` files and its folders' `nginx.conf`.
pub fn mains(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| {
            if p.is_dir() {
                Some(p.join("nginx.conf")).filter(|m| m.is_file())
            } else {
                Some(p).filter(|p| p.extension().is_some_and(|e| e == "conf"))
            }
        })
        .collect();
    out.sort();
    out
}

/// What a malformed case must report: the message text and `PATH:LINE:COL`.
pub struct Expected {
    pub message: String,
    pub at: String,
}

pub fn expected(main: &Path) -> Expected {
    let bytes = std::fs::read(main).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("# {name}: ")))
            .unwrap_or_else(|| panic!("{}: no `# {name}:` line", main.display()))
            .to_string()
    };
    Expected {
        message: field("expect"),
        at: field("at"),
    }
}
