//! nginx from a container image (testcontainers): `nginx -V` and `nginx -t` as one-shot
//! containers, the serving nginx as a container that the handle stops and removes.
//!
//! Containers use the host network, so nginx binds `127.0.0.1:<port>` exactly like a local
//! nginx and reaches the fake upstreams on 127.0.0.1 inside the harness process. The phase's run
//! dir (and the fake upstreams' socket dir) are bind-mounted at the same paths, so the rendered
//! nginx.conf is read and error.log/access.log are written where the harness expects them.
//! The entrypoint is always `nginx`, so official `nginx:1.x` images run unchanged (their
//! entrypoint script is skipped) as do the `FROM scratch` images of
//! `scripts/build-nginx-images`. `nginx -t` runs as its own container rather than an `exec`:
//! a `FROM scratch` image holds nothing but nginx to keep a container alive for exec.
//!
//! A scenario's `dns:` names reach a container nginx as extra hosts (Docker's `ExtraHosts`,
//! added to the container's own /etc/hosts); the host's files are never touched.
//!
//! Every container carries the labels `badgateway=1` and `badgateway.pid=<harness pid>`, is
//! registered with the [`guard`] while it exists, and is removed when its handle drops.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use testcontainers::core::Host;
use testcontainers::core::wait::ExitWaitStrategy;
use testcontainers::core::{Mount, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, ContainerRequest, GenericImage, ImageExt};
use tokio::time::{Instant, sleep, timeout};

use super::binary::from_banner;
use super::docker_api::{self, LABEL, PID_LABEL};
use super::process::{answers_ready, rejection, severe_lines};
use super::{ConfigTest, NginxBinary, RunDir, StartError};
use crate::guard;

/// An nginx image and what its nginx said about itself (`nginx -V` inside it).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct NginxImage {
    /// As given: `badgateway/nginx:1.30`, `nginx:1.27-alpine`.
    pub image: String,
    /// Version and configure arguments. `path` reads `image NAME:TAG`, for displays: the
    /// container's entrypoint is always `nginx`.
    pub binary: NginxBinary,
}

/// Ask the image's nginx for its version (`nginx -V` in a one-shot container).
pub async fn inspect(image: &str) -> Result<NginxImage, String> {
    docker_api::prepare()?;
    let (_, text) = run_once(image, vec!["-V".into()], &[], &[]).await?;
    let binary = from_banner(PathBuf::from(format!("image {image}")), &text)
        .map_err(|e| format!("image {image}: {e}"))?;
    Ok(NginxImage {
        image: image.to_string(),
        binary,
    })
}

/// `nginx -t` on the phase's config, in a one-shot container of `image`.
pub async fn test_config(
    image: &NginxImage,
    dir: &RunDir,
    mounts: &[PathBuf],
) -> std::io::Result<ConfigTest> {
    let args = nginx_args(dir, "stderr", true);
    let hosts = super::hosts::entries(dir);
    let (code, text) = run_once(&image.image, args, &mounts_with(dir, mounts), &hosts)
        .await
        .map_err(std::io::Error::other)?;
    Ok(if code == 0 {
        ConfigTest::Accepted
    } else {
        rejection(&text)
    })
}

/// A running nginx container; stopped and removed by [`NginxContainer::stop`] or on drop.
pub struct NginxContainer {
    /// Boxed: testcontainers' handle is large.
    container: Option<Box<ContainerAsync<GenericImage>>>,
    id: String,
    port: u16,
    dir: RunDir,
}

impl std::fmt::Debug for NginxContainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NginxContainer")
            .field("id", &self.id)
            .field("port", &self.port)
            .finish()
    }
}

impl NginxContainer {
    /// Start nginx from `image` with the config rendered into `dir` for `port`, and wait until
    /// it answers on its readiness location.
    pub async fn start(
        image: &NginxImage,
        dir: &RunDir,
        port: u16,
        mounts: &[PathBuf],
    ) -> Result<NginxContainer, StartError> {
        let error_log = dir.error_log().display().to_string();
        let args = nginx_args(dir, &error_log, false);
        let container = request(
            &image.image,
            args,
            (&mounts_with(dir, mounts), &super::hosts::entries(dir)),
            WaitFor::Nothing,
        )
        .start()
        .await
        .map_err(|e| StartError::Failed(format!("cannot start image {}: {e}", image.image)))?;
        let id = container.id().to_string();
        guard::register_cleanup(&id, docker_api::force_remove);
        let mut me = NginxContainer {
            container: Some(Box::new(container)),
            id,
            port,
            dir: dir.clone(),
        };
        me.wait_ready(Duration::from_secs(15)).await?;
        Ok(me)
    }

    /// The container's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    async fn wait_ready(&mut self, limit: Duration) -> Result<(), StartError> {
        let deadline = Instant::now() + limit;
        let Some(container) = self.container.as_ref() else {
            return Err(StartError::Failed("container already removed".into()));
        };
        loop {
            if answers_ready(self.port, &self.dir).await {
                return Ok(());
            }
            if let Ok(Some(code)) = container.exit_code().await {
                let log = std::fs::read_to_string(self.dir.error_log()).unwrap_or_default();
                if log.contains("Address already in use") {
                    return Err(StartError::PortInUse(self.port));
                }
                let stderr = container.stderr_to_vec().await.unwrap_or_default();
                return Err(StartError::Failed(format!(
                    "nginx exited ({code}) before answering; error.log:\n{}{}",
                    severe_lines(&log),
                    String::from_utf8_lossy(&stderr)
                )));
            }
            if Instant::now() > deadline {
                return Err(StartError::Failed(format!(
                    "nginx in container {} did not answer on 127.0.0.1:{} within {limit:?}",
                    self.id, self.port
                )));
            }
            // Polling interval while nginx binds its socket; readiness is the answer, not time.
            sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stop (SIGTERM, SIGKILL after `grace`) and remove the container.
    pub async fn stop(mut self, grace: Duration) {
        if let Some(c) = self.container.take() {
            let secs = grace.as_secs().clamp(1, 60) as i32;
            if let Err(e) = c.stop_with_timeout(Some(secs)).await {
                tracing::warn!(id = self.id, "cannot stop nginx container: {e}");
            }
            if let Err(e) = c.rm().await {
                tracing::warn!(id = self.id, "cannot remove nginx container: {e}");
                docker_api::force_remove(&self.id);
            }
        }
        guard::unregister_cleanup(&self.id);
    }
}

impl Drop for NginxContainer {
    fn drop(&mut self) {
        // testcontainers removes a dropped container itself (blocking on the runtime).
        drop(self.container.take());
        guard::unregister_cleanup(&self.id);
    }
}

/// Run `nginx ARGS` in a throwaway container; returns its exit code and stderr + stdout.
async fn run_once(
    image: &str,
    args: Vec<String>,
    mounts: &[PathBuf],
    hosts: &[(String, IpAddr)],
) -> Result<(i64, String), String> {
    let wait = WaitFor::exit(ExitWaitStrategy::new());
    let req = request(image, args, (mounts, hosts), wait);
    let container = timeout(Duration::from_secs(60), req.start())
        .await
        .map_err(|_| format!("image {image}: nginx did not finish within 60s"))?
        .map_err(|e| format!("cannot run image {image}: {e}"))?;
    let id = container.id().to_string();
    guard::register_cleanup(&id, docker_api::force_remove);
    let code = container.exit_code().await.ok().flatten().unwrap_or(-1);
    let stderr = container.stderr_to_vec().await.unwrap_or_default();
    let stdout = container.stdout_to_vec().await.unwrap_or_default();
    if container.rm().await.is_err() {
        docker_api::force_remove(&id);
    }
    guard::unregister_cleanup(&id);
    let text = String::from_utf8_lossy(&stderr).into_owned() + &String::from_utf8_lossy(&stdout);
    Ok((code, text))
}

/// The container for `nginx ARGS` from `image`: host network, labels, bind mounts, and the
/// run dir's hosts entries as the container's extra hosts (a scenario's `dns:` names).
fn request(
    image: &str,
    args: Vec<String>,
    (mounts, hosts): (&[PathBuf], &[(String, IpAddr)]),
    wait: WaitFor,
) -> ContainerRequest<GenericImage> {
    let (name, tag) = split_image(image);
    let mut req = GenericImage::new(name, tag)
        .with_entrypoint("nginx")
        .with_wait_for(wait)
        .with_cmd(args)
        .with_network("host")
        .with_label(LABEL, "1")
        .with_label(PID_LABEL, std::process::id().to_string());
    for m in mounts {
        let p = m.display().to_string();
        req = req.with_mount(Mount::bind_mount(p.clone(), p));
    }
    for (name, ip) in hosts {
        req = req.with_host(name.clone(), Host::Addr(*ip));
    }
    req
}

/// `-e LOG -p ROOT -c CONF` (and `-t`): the same arguments a local nginx gets.
fn nginx_args(dir: &RunDir, error_log: &str, test: bool) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "-e".into(),
        error_log.into(),
        "-p".into(),
        dir.root.display().to_string(),
        "-c".into(),
        dir.conf().display().to_string(),
    ];
    if test {
        args.push("-t".into());
    }
    args
}

fn mounts_with(dir: &RunDir, extra: &[PathBuf]) -> Vec<PathBuf> {
    std::iter::once(dir.root.clone())
        .chain(extra.iter().cloned())
        .collect()
}

/// `repo/name:tag` -> (`repo/name`, `tag`); no tag means `latest`. A `:` before the last `/`
/// belongs to a registry host (`localhost:5000/nginx`).
fn split_image(image: &str) -> (String, String) {
    let slash = image.rfind('/').map_or(0, |i| i + 1);
    match image[slash..].rfind(':') {
        Some(i) => (
            image[..slash + i].to_string(),
            image[slash + i + 1..].to_string(),
        ),
        None => (image.to_string(), "latest".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references_split_into_name_and_tag() {
        let s = |i: &str| split_image(i);
        assert_eq!(
            s("badgateway/nginx:1.30"),
            ("badgateway/nginx".into(), "1.30".into())
        );
        assert_eq!(s("nginx"), ("nginx".into(), "latest".into()));
        assert_eq!(
            s("localhost:5000/nginx"),
            ("localhost:5000/nginx".into(), "latest".into())
        );
        assert_eq!(
            s("localhost:5000/nginx:1.27-alpine"),
            ("localhost:5000/nginx".into(), "1.27-alpine".into())
        );
    }
}
