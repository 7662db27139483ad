//! Embeds the bundled catalogue (`scenarios/*.yaml`, `schemas/*.json`) in the binary: writes
//! `$OUT_DIR/bundled.rs`, a sorted list of `(file name, include_str!(...))` per folder, so an
//! installed `badgateway` needs no checkout. A build script rather than a crate such as
//! `include_dir`: two flat folders need no dependency, and `rerun-if-changed` on the folders
//! rebuilds when a file is added or removed.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest.join("..");
    let mut out = String::new();
    for (name, folder, ext) in [
        ("SCENARIOS", "scenarios", "yaml"),
        ("SCHEMAS", "schemas", "json"),
    ] {
        let dir = root.join(folder);
        println!("cargo:rerun-if-changed={}", dir.display());
        let files = files_in(&dir, ext);
        writeln!(
            out,
            "/// `{folder}/*.{ext}` at build time: (file name, text), sorted."
        )
        .unwrap();
        writeln!(out, "pub const {name}: &[(&str, &str)] = &[").unwrap();
        for file in files {
            let file_name = file.file_name().unwrap().to_string_lossy().into_owned();
            println!("cargo:rerun-if-changed={}", file.display());
            writeln!(
                out,
                "    ({file_name:?}, include_str!({:?})),",
                file.display().to_string()
            )
            .unwrap();
        }
        writeln!(out, "];").unwrap();
    }
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("bundled.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}

/// The files ending in `.ext` directly in `dir`, sorted; a missing folder is a build error.
fn files_in(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let entries = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {} to embed it: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some(ext))
        .collect();
    files.sort();
    files
}
