#![allow(dead_code)]
//! Docker for tests: whether the daemon and the offline images are there (fail under CI=true,
//! skip with a reason elsewhere), and which containers a process left behind.

use std::process::Command;

/// Whether `docker info` answers.
fn daemon_up() -> bool {
    Command::new("docker")
        .arg("info")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether `image` exists locally (tests never pull).
pub fn image_exists(image: &str) -> bool {
    Command::new("docker")
        .args(["image", "inspect", image])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `Some(())` when Docker answers and every image in `images` exists. Under `CI=true` a
/// missing piece fails the test (scripts/test builds the images); elsewhere the test is
/// skipped with a printed reason.
pub fn docker_or_skip(test: &str, images: &[&str]) -> Option<()> {
    let problem = if !daemon_up() {
        Some("Docker is unavailable (`docker info` failed)".to_string())
    } else {
        images
            .iter()
            .find(|i| !image_exists(i))
            .map(|i| format!("image {i} is missing: run scripts/build-nginx-images and scripts/build-fake-upstream-image"))
    };
    match problem {
        None => Some(()),
        Some(p) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{test}: CI=true and {p}")
        }
        Some(p) => {
            eprintln!("SKIPPED {test}: {p}");
            None
        }
    }
}

/// Ids of containers (running or not) carrying `label` (`key=value`).
pub fn containers_with_label(label: &str) -> Vec<String> {
    let out = Command::new("docker")
        .args(["ps", "-a", "-q", "--filter", &format!("label={label}")])
        .output()
        .expect("docker ps runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// Ids of networks carrying `label`.
pub fn networks_with_label(label: &str) -> Vec<String> {
    let out = Command::new("docker")
        .args(["network", "ls", "-q", "--filter", &format!("label={label}")])
        .output()
        .expect("docker network ls runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// The compose command installed: `docker-compose`, else the `docker compose` plugin.
pub fn compose_command() -> Option<Vec<String>> {
    let works = |args: &[&str]| {
        Command::new(args[0])
            .args(&args[1..])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if works(&["docker-compose", "version"]) {
        Some(vec!["docker-compose".into()])
    } else if works(&["docker", "compose", "version"]) {
        Some(vec!["docker".into(), "compose".into()])
    } else {
        None
    }
}
