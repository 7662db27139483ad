//! The binary as users get it: `cargo install`ed, then run from an empty folder with no
//! checkout in sight. It lists, explains and runs a bundled scenario from the embedded
//! catalogue, `check`s a config copied into that folder and `diagnose`s an error.log.
//!
//! The install is `cargo install --path harness --root TMP --debug --target-dir T --locked
//! --offline`, where T is the target folder this test was built in (`$CARGO_TARGET_DIR` when
//! set, else the folder holding the test's own `badgateway`): `--debug` and the shared target
//! folder let cargo reuse the debug build this suite already made instead of compiling a
//! release build from scratch (minutes on a 2-core machine). `--locked --offline`: the lock
//! file's versions, nothing fetched.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{nginx_or_skip, repo, text};

/// The target folder the test binaries came from.
fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return repo().join(dir);
    }
    // CARGO_BIN_EXE_badgateway is <target>/debug/badgateway.
    let exe = Path::new(env!("CARGO_BIN_EXE_badgateway"));
    exe.parent().and_then(Path::parent).unwrap().to_path_buf()
}

/// `cargo install` the harness into `root`; the installed binary's path.
fn install(root: &Path) -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(repo())
        .args([
            "install",
            "--path",
            "harness",
            "--debug",
            "--locked",
            "--offline",
        ])
        .arg("--root")
        .arg(root)
        .arg("--target-dir")
        .arg(target_dir())
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo install failed:\n{}",
        text(&out)
    );
    root.join("bin/badgateway")
}

#[test]
fn the_installed_binary_works_from_an_empty_folder() {
    let Some(nginx) = nginx_or_skip("the_installed_binary_works_from_an_empty_folder") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let bin = install(&tmp.path().join("root"));
    let here = tmp.path().join("empty");
    std::fs::create_dir(&here).unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(&bin)
            .current_dir(&here)
            .env("PATH", path_with(nginx.path.parent().unwrap()))
            .args(args)
            .output()
            .expect("the installed badgateway runs");
        (out.status.code(), text(&out))
    };

    let (code, listed) = run(&["list"]);
    assert_eq!(code, Some(0), "{listed}");
    let bundled = std::fs::read_dir(repo().join("scenarios")).unwrap().count();
    assert_eq!(
        listed.lines().filter(|l| !l.trim().is_empty()).count(),
        bundled + 1,
        "a header and every bundled scenario:\n{listed}"
    );

    let (code, explained) = run(&["explain", "upstream-down"]);
    assert_eq!(code, Some(0), "{explained}");
    assert!(explained.contains("backup"), "{explained}");

    let (code, ran) = run(&["run", "--filter", "upstream-down", "--out", "reports", "-q"]);
    assert_eq!(code, Some(0), "the bundled upstream-down passes:\n{ran}");
    let result = crate::common::read_result(&here.join("reports"));
    assert_eq!(result.scenarios.len(), 1);
    assert_eq!(
        result.scenarios[0].file,
        Path::new("<bundled>/upstream-down.yaml"),
        "the result names the embedded file"
    );

    let fixture = repo().join("harness/tests/fixtures/nginx/single.conf");
    std::fs::copy(fixture, here.join("nginx.conf")).unwrap();
    // A single server without a backup does not survive a refused connection (exit 1); the
    // advice is the bundled scenario that proves the fix, as a command that works here.
    let (code, checked) = run(&["check", "--config", "nginx.conf", "--fault", "refuse"]);
    assert_eq!(code, Some(1), "{checked}");
    assert!(
        checked.contains("badgateway run scenarios/upstream-down.yaml"),
        "{checked}"
    );
    // diagnose finds its advice in the embedded catalogue too.
    let log = "2026/01/01 00:00:00 [error] 1#1: *1 connect() failed (111: Connection refused) \
               while connecting to upstream, client: 127.0.0.1, server: _, request: \"GET / \
               HTTP/1.1\", upstream: \"http://127.0.0.1:3000/\", host: \"x\"\n";
    std::fs::write(here.join("error.log"), log).unwrap();
    let (code, diagnosed) = run(&["diagnose", "error.log"]);
    assert_eq!(code, Some(0), "{diagnosed}");
    assert!(
        diagnosed.contains("run: badgateway run scenarios/upstream-down.yaml"),
        "{diagnosed}"
    );
    let mut names: Vec<String> = std::fs::read_dir(&here)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["error.log", "nginx.conf", "reports"],
        "nothing but the reports is written beside the user's files"
    );
}

/// `PATH` with `dir` (nginx's folder) first.
fn path_with(dir: &Path) -> std::ffi::OsString {
    let rest = std::env::var_os("PATH").unwrap_or_default();
    let mut all = vec![dir.to_path_buf()];
    all.extend(std::env::split_paths(&rest));
    std::env::join_paths(all).unwrap()
}
