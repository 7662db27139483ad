//! The compose lab (docker-compose.yml): nginx and two fake-upstream containers on a private
//! network, playing upstream-down. Brought up under a project name of its own, driven through
//! the port published on 127.0.0.1, checked, and always torn down with `down -v`.

use crate::docker;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const NGINX: &str = "badgateway/nginx:1.30";
const UPSTREAM: &str = "badgateway/fake-upstream:latest";

/// One compose project; `down -v` when dropped, whatever happened before.
struct Lab {
    compose: Vec<String>,
    project: String,
    port: u16,
}

impl Lab {
    fn run(&self, args: &[&str]) -> Output {
        let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        Command::new(&self.compose[0])
            .args(&self.compose[1..])
            .args(["-p", &self.project, "-f"])
            .arg(repo.join("docker-compose.yml"))
            .args(args)
            .env("BADGATEWAY_NGINX_IMAGE", NGINX)
            .env("BADGATEWAY_FAKE_UPSTREAM_IMAGE", UPSTREAM)
            .env("BADGATEWAY_LAB_PORT", self.port.to_string())
            .output()
            .expect("compose runs")
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let out = self.run(&["down", "-v", "--remove-orphans"]);
        if !out.status.success() {
            eprintln!(
                "compose down failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

/// `GET /` over HTTP/1.0; the status code and the whole response.
fn get(port: u16) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    s.write_all(b"GET / HTTP/1.0\r\nHost: lab\r\n\r\n").ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, text))
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn the_compose_lab_fails_over_to_the_backup() {
    let test = "the_compose_lab_fails_over_to_the_backup";
    if docker::docker_or_skip(test, &[NGINX, UPSTREAM]).is_none() {
        return;
    }
    let compose = match docker::compose_command() {
        Some(c) => c,
        None if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{test}: CI=true and neither docker-compose nor `docker compose` is installed")
        }
        None => return eprintln!("SKIPPED {test}: no docker-compose"),
    };
    let project = format!("bgwlab{}", std::process::id());
    let label = format!("com.docker.compose.project={project}");
    {
        let lab = Lab {
            compose,
            project: project.clone(),
            port: free_port(),
        };
        let up = lab.run(&["up", "-d"]);
        assert!(
            up.status.success(),
            "up: {}",
            String::from_utf8_lossy(&up.stderr)
        );
        // Safety bound only: nginx answers as soon as its container runs.
        let deadline = Instant::now() + Duration::from_secs(30);
        while get(lab.port).is_none() {
            assert!(Instant::now() < deadline, "the lab never answered");
            std::thread::sleep(Duration::from_millis(100));
        }
        for _ in 0..20 {
            let (status, response) = get(lab.port).expect("nginx answers");
            assert_eq!(status, 200, "{response}");
            assert!(
                response.to_ascii_lowercase().contains("x-badgateway-body"),
                "the backup fake upstream answered: {response}"
            );
        }
        let logs = lab.run(&["logs", "--no-color", "nginx"]);
        let logs = String::from_utf8_lossy(&logs.stdout);
        assert!(
            logs.contains("connect() failed (111: Connection refused)"),
            "nginx tried the refusing primary first:\n{logs}"
        );
        assert_eq!(docker::containers_with_label(&label).len(), 3);
    }
    assert!(
        docker::containers_with_label(&label).is_empty(),
        "down removed the containers"
    );
    assert!(
        docker::networks_with_label(&label).is_empty(),
        "down removed the network"
    );
}
