//! `badgateway init [DIR]`: write the embedded catalogue out for editing, as
//! `DIR/scenarios/*.yaml` and `DIR/schemas/*.json`. Nothing is overwritten without `--force`:
//! when any file exists, none is written and each existing one is named.

use std::path::{Path, PathBuf};

use crate::cli::InitArgs;
use crate::exit::Exit;
use crate::scenario::bundled;

/// How many existing files a refusal names before it counts the rest.
const SHOWN: usize = 5;

pub(super) fn init(args: &InitArgs) -> Exit {
    let files = planned(&args.dir);
    let existing: Vec<&PathBuf> = files
        .iter()
        .map(|(p, _)| p)
        .filter(|p| p.exists())
        .collect();
    if !existing.is_empty() && !args.force {
        for path in existing.iter().take(SHOWN) {
            crate::errln!("{}: error: already exists", path.display());
        }
        if existing.len() > SHOWN {
            crate::errln!("... and {} more", existing.len() - SHOWN);
        }
        crate::errln!(
            "error: {} of {} files already exist; nothing was written\n  hint: pass --force to \
             overwrite them with the bundled copies, or choose another DIR",
            existing.len(),
            files.len()
        );
        return Exit::BadInput;
    }
    for (path, text) in &files {
        if let Err(e) = write(path, text) {
            crate::errln!("{}: error: cannot write: {e}", path.display());
            return Exit::Infrastructure;
        }
        crate::outln!("wrote {}", path.display());
    }
    crate::errln!(
        "{} scenarios and {} schemas written; commands run from {} now read its scenarios/",
        bundled::scenarios().len(),
        bundled::schemas().len(),
        args.dir.display()
    );
    Exit::Passed
}

/// Every file `init` writes under `dir`, with its text.
fn planned(dir: &Path) -> Vec<(PathBuf, &'static str)> {
    let scenarios = dir.join(bundled::DEFAULT_DIR);
    let schemas = dir.join("schemas");
    let under = |folder: &Path, files: &[(&str, &'static str)]| -> Vec<(PathBuf, &'static str)> {
        files.iter().map(|(n, t)| (folder.join(n), *t)).collect()
    };
    let mut all = under(&scenarios, bundled::scenarios());
    all.extend(under(&schemas, bundled::schemas()));
    all
}

fn write(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, text)
}
