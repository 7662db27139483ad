//! The `badgateway/badgateway` image of scripts/build-badgateway-image: badgateway and nginx
//! in one `FROM scratch` image, for CI users who do not build Rust. The test runs the script
//! (a no-op when the image of this build exists: the tag is a hash of the binary), then lists
//! the embedded catalogue and runs one quick scenario inside the image on the host network.

use std::path::Path;
use std::process::Command;

use crate::common::{local_nginx_or_skip, read_result, repo, text};
use crate::docker;

const IMAGE: &str = "badgateway/badgateway:latest";

/// `docker run --rm --network host` of the image as this user, `work` mounted at /work.
fn in_image(work: &Path, args: &[&str]) -> (Option<i32>, String) {
    // SAFETY: getuid and getgid cannot fail and touch no memory.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    let out = Command::new("docker")
        .args([
            "run",
            "--rm",
            "--network",
            "host",
            "--label",
            "badgateway.test=image",
        ])
        .arg("--user")
        .arg(format!("{uid}:{gid}"))
        .arg("-v")
        .arg(format!("{}:/work", work.display()))
        .arg(IMAGE)
        .args(args)
        .output()
        .expect("docker runs");
    (out.status.code(), text(&out))
}

#[test]
fn the_badgateway_image_lists_and_runs_a_scenario() {
    let test = "the_badgateway_image_lists_and_runs_a_scenario";
    // The image's nginx is the local install of scripts/build-nginx-images (no download here).
    if docker::docker_or_skip(test, &[]).is_none() || local_nginx_or_skip("1.22", test).is_none() {
        return;
    }
    let built = Command::new(repo().join("scripts/build-badgateway-image"))
        .output()
        .expect("the build script runs");
    assert!(built.status.success(), "{}", text(&built));

    let work = tempfile::tempdir().unwrap();
    let (code, listed) = in_image(work.path(), &["list"]);
    assert_eq!(code, Some(0), "{listed}");
    let bundled = std::fs::read_dir(repo().join("scenarios")).unwrap().count();
    let rows = listed.lines().filter(|l| !l.trim().is_empty()).count();
    assert_eq!(
        rows,
        bundled + 1,
        "a header and every bundled scenario:\n{listed}"
    );

    let args = ["run", "--filter", "upstream-down", "--out", "reports", "-q"];
    let (code, ran) = in_image(work.path(), &args);
    assert_eq!(code, Some(0), "upstream-down passes in the image:\n{ran}");
    let result = read_result(&work.path().join("reports"));
    assert_eq!(result.scenarios.len(), 1, "{ran}");
    assert_eq!(
        result.scenarios[0].nginx_version, "1.22.1",
        "the image's own nginx ran"
    );
    assert!(
        docker::containers_with_label("badgateway.test=image").is_empty(),
        "--rm removed the containers"
    );
}
