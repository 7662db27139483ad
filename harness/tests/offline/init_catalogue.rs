//! `init` and the catalogue rule: the embedded copy from a folder without `scenarios/`, the
//! local folder once `init` wrote it (an edit shows), no overwrite without `--force`, and
//! located errors that name `<bundled>/` files.

use std::path::Path;
use std::process::Command;

use crate::common::{repo, text};

fn in_dir(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_badgateway"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("badgateway runs");
    (out.status.code(), text(&out))
}

#[test]
fn init_writes_the_catalogue_and_the_local_copy_wins() {
    let tmp = tempfile::tempdir().unwrap();
    let here = tmp.path();
    let (code, listed) = in_dir(here, &["list"]);
    assert_eq!(code, Some(0), "the embedded catalogue lists: {listed}");
    assert!(listed.contains("upstream-down"), "{listed}");

    let (code, wrote) = in_dir(here, &["init"]);
    assert_eq!(code, Some(0), "{wrote}");
    let bundled = std::fs::read_dir(repo().join("scenarios")).unwrap().count();
    assert_eq!(wrote.matches("wrote ").count(), bundled + 2, "{wrote}");
    let schema = std::fs::read_to_string(here.join("schemas/scenario.schema.json")).unwrap();
    let source = std::fs::read_to_string(repo().join("schemas/scenario.schema.json")).unwrap();
    assert_eq!(schema, source);

    // The local copy wins: an edited title shows.
    let file = here.join("scenarios/upstream-down.yaml");
    let yaml = std::fs::read_to_string(&file).unwrap();
    let edited = yaml.replacen("title: ", "title: EDITED ", 1);
    std::fs::write(&file, &edited).unwrap();
    let (_, listed) = in_dir(here, &["list"]);
    assert!(listed.contains("EDITED"), "{listed}");

    // A second init refuses and writes nothing; --force puts the bundled copy back.
    let (code, refused) = in_dir(here, &["init"]);
    assert_eq!(code, Some(2), "{refused}");
    assert!(refused.contains("--force"), "{refused}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), edited);
    let (code, forced) = in_dir(here, &["init", ".", "--force"]);
    assert_eq!(code, Some(0), "{forced}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), yaml);
}

#[test]
fn a_missing_bundled_file_is_a_located_input_error() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, out) = in_dir(tmp.path(), &["list", "scenarios/no-such.yaml"]);
    assert_eq!(code, Some(2), "{out}");
    assert!(
        out.contains("scenarios/no-such.yaml: error: no such bundled scenario"),
        "{out}"
    );
    let (code, out) = in_dir(
        tmp.path(),
        &["explain", "upstream-down", "--in", "<bundled>"],
    );
    assert_eq!(code, Some(0), "{out}");
}
