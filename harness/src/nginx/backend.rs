//! Which nginx a phase runs on: a local binary (the default) or a container image. A run may
//! name several (`--nginx`, `--nginx-image`, both repeatable); each scenario then runs once per
//! nginx, and every result records which one it ran on.

use std::path::PathBuf;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::container::{self, NginxContainer, NginxImage};
use super::{ConfigTest, Nginx, NginxBinary, RunDir, StartError, locate, test_config};

/// Where nginx comes from.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NginxBackend {
    /// An executable on this machine, run in its own process group.
    Local(NginxBinary),
    /// An image, run with testcontainers on the host network.
    Container(NginxImage),
}

impl From<NginxBinary> for NginxBackend {
    fn from(binary: NginxBinary) -> Self {
        NginxBackend::Local(binary)
    }
}

impl NginxBackend {
    /// The nginx of a run: each `--nginx` path, then each `--nginx-image` (asking the image's
    /// nginx for its version); the nginx on PATH when neither is given.
    pub async fn resolve(
        paths: &[PathBuf],
        images: &[String],
    ) -> Result<Vec<NginxBackend>, String> {
        let mut all: Vec<NginxBackend> = Vec::new();
        for p in paths {
            all.push(locate(Some(p))?.into());
        }
        for image in images {
            all.push(NginxBackend::Container(container::inspect(image).await?));
        }
        if all.is_empty() {
            all.push(locate(None)?.into());
        }
        Ok(all)
    }

    /// What nginx said about itself: version and configure arguments (which the config
    /// skeleton needs to know which modules' temp paths exist).
    pub fn binary(&self) -> &NginxBinary {
        match self {
            NginxBackend::Local(b) => b,
            NginxBackend::Container(i) => &i.binary,
        }
    }

    /// e.g. `1.30.6`.
    pub fn version(&self) -> &str {
        &self.binary().version
    }

    /// Where it comes from: the binary's path, or `image NAME:TAG`.
    pub fn source(&self) -> String {
        match self {
            NginxBackend::Local(b) => b.path.display().to_string(),
            NginxBackend::Container(i) => format!("image {}", i.image),
        }
    }

    /// `nginx 1.30.6 (image badgateway/nginx:1.30)`.
    pub fn describe(&self) -> String {
        format!("nginx {} ({})", self.version(), self.source())
    }

    /// A folder-name-safe label: `1.30.6-local` or `1.30.6-badgateway-nginx-1.30`.
    pub fn slug(&self) -> String {
        let what = match self {
            NginxBackend::Local(_) => "local".to_string(),
            NginxBackend::Container(i) => i.image.clone(),
        };
        format!("{}-{what}", self.version())
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    }

    /// `nginx -t` on the config in `dir`. `mounts` are host folders the config refers to (unix
    /// socket dirs) that a container must see at the same path.
    pub async fn test_config(
        &self,
        dir: &RunDir,
        mounts: &[PathBuf],
    ) -> std::io::Result<ConfigTest> {
        match self {
            NginxBackend::Local(b) => test_config(b, dir).await,
            NginxBackend::Container(i) => container::test_config(i, dir, mounts).await,
        }
    }

    /// Start nginx on the config in `dir` and wait until it answers on 127.0.0.1:`port`.
    pub async fn start(
        &self,
        dir: &RunDir,
        port: u16,
        mounts: &[PathBuf],
    ) -> Result<RunningNginx, StartError> {
        match self {
            NginxBackend::Local(b) => Nginx::start(b, dir, port).await.map(RunningNginx::Process),
            NginxBackend::Container(i) => NginxContainer::start(i, dir, port, mounts)
                .await
                .map(RunningNginx::Container),
        }
    }
}

/// A serving nginx of either backend; dropping it kills and removes it.
#[derive(Debug)]
pub enum RunningNginx {
    Process(Nginx),
    Container(NginxContainer),
}

impl RunningNginx {
    /// The master's process id, for a local nginx (a container's is not ours to signal).
    pub fn master_pid(&self) -> Option<i32> {
        match self {
            RunningNginx::Process(n) => Some(n.pid()),
            RunningNginx::Container(_) => None,
        }
    }

    /// Ask the master to re-read its config (SIGHUP, what `nginx -s reload` sends): it starts
    /// workers with the new config and lets the old ones finish their requests. Local nginx only.
    pub fn reload(&self) -> Result<(), String> {
        match self {
            RunningNginx::Process(n) => n.reload(),
            RunningNginx::Container(_) => {
                Err("reloading is only supported for the local nginx backend".into())
            }
        }
    }

    /// Graceful stop, forced after `grace`.
    pub async fn stop(self, grace: Duration) {
        match self {
            RunningNginx::Process(n) => n.stop(grace).await,
            RunningNginx::Container(c) => c.stop(grace).await,
        }
    }
}
