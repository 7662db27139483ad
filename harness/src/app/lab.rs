//! What `verify` and `handout` share: one nginx, run folders of their own in a private temp
//! folder (removed afterwards unless kept), and the runner's options for one attempt, so both
//! run phases through the runner exactly as `run` does.

use std::future::Future;
use std::path::PathBuf;

use tokio_util::sync::CancellationToken;

use crate::exit::Exit;
use crate::guard;
use crate::nginx::NginxBackend;
use crate::runner::{Attempt, RunOptions};

/// A runtime, the runner's options and the folder the runs go to.
pub(super) struct Lab {
    runtime: tokio::runtime::Runtime,
    pub opts: RunOptions,
    root: PathBuf,
}

impl Lab {
    /// Find nginx (`--nginx` or the default) and make the run folder for `kind`.
    pub fn start(kind: &str, nginx: Option<&PathBuf>, seed: u64) -> Result<Lab, Exit> {
        let runtime = super::runtime();
        let paths: Vec<PathBuf> = nginx.into_iter().cloned().collect();
        let nginx = runtime
            .block_on(NginxBackend::resolve(&paths, &[]))
            .map_err(|msg| {
                crate::errln!("error: {msg}");
                Exit::Infrastructure
            })?;
        let root = super::common::work_root(kind);
        let opts = RunOptions {
            nginx,
            jobs: 1,
            seed,
            keep: false,
            out_dir: root.clone(),
            run_id: kind.to_string(),
            progress: None,
            repeat: 1,
            retry_inconclusive: false,
            shard: None,
        };
        Ok(Lab {
            runtime,
            opts,
            root,
        })
    }

    /// The nginx the runs use.
    pub fn nginx(&self) -> &NginxBackend {
        &self.opts.nginx[0]
    }

    /// The one attempt of scenario `name`.
    pub fn attempt(&self, name: &str) -> Attempt {
        Attempt::new(&self.opts, name, 1, self.nginx())
    }

    /// Run `work` to its end; Ctrl-C or SIGTERM cancel the token it gets.
    pub fn block_on<F: Future>(&self, work: impl FnOnce(CancellationToken) -> F) -> F::Output {
        self.runtime.block_on(async {
            let cancel = CancellationToken::new();
            guard::cancel_on_signals(cancel.clone());
            work(cancel).await
        })
    }

    /// Remove the run folders, or keep them and say where they are.
    pub fn finish(self, keep: bool) {
        guard::unregister_cleanup(&self.root.display().to_string());
        if keep {
            crate::errln!("run folder kept in {}", self.root.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}
