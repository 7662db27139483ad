//! What several commands share: checking configs with one set of `check` settings (for
//! `check` and `compare`), writing their `--report` files, loading the scenario catalogue
//! the advice comes from (for those two and `diagnose`), and refusing scenarios that listen
//! beyond loopback (for `run` and `validate`). Each command file calls these; no
//! command file calls another.

use std::path::{Path, PathBuf};

use tokio_util::sync::CancellationToken;

use crate::cli::checks::CheckSettings;
use crate::confcheck::{CheckError, CheckOptions, CheckReport, check as run_check};
use crate::exit::Exit;
use crate::fixes::Catalogue;
use crate::guard;
use crate::nginx::{NginxBackend, docker_api};
use crate::report::Target;
use crate::report::confcheck::Subject;

/// One config to check, on one nginx.
pub(super) struct Job<'a> {
    pub config: &'a Path,
    /// Names the run in progress lines (`check`, `before`, `after`).
    pub label: &'a str,
    /// Which nginx: an index into `--nginx` then `--nginx-image` (the default nginx when
    /// neither is given).
    pub nginx: usize,
}

/// How many nginx `--nginx` and `--nginx-image` name together.
pub(super) fn nginx_count(s: &CheckSettings) -> usize {
    s.nginx.len() + s.nginx_image.len()
}

/// Check each job in turn with the same settings; print any error and return its exit.
pub(super) fn check_configs(jobs: &[Job<'_>], s: &CheckSettings) -> Result<Vec<CheckReport>, Exit> {
    let catalogue = load_catalogue(s.scenarios.clone())?;
    prepare_images(&s.nginx_image)?;
    let runtime = super::runtime();
    let backends = runtime
        .block_on(NginxBackend::resolve(&s.nginx, &s.nginx_image))
        .map_err(|msg| {
            crate::errln!("error: {msg}");
            Exit::Infrastructure
        })?;
    let root = work_root("check");
    let cancel = CancellationToken::new();
    let result = runtime.block_on(async {
        guard::cancel_on_signals(cancel.clone());
        let display = (!s.quiet).then(|| {
            crate::report::progress::spawn(
                crate::report::progress::Mode::detect(),
                Box::new(std::io::stderr()),
            )
        });
        let mut reports = Vec::new();
        for (i, job) in jobs.iter().enumerate() {
            let path = job.config;
            let nginx = &backends[job.nginx.min(backends.len() - 1)];
            let opts = CheckOptions {
                nginx: nginx.clone(),
                work_dir: root.join(format!("config-{i}")),
                upstreams: s.upstream.clone(),
                faults: s.fault.clone(),
                location_paths: s.location_path.iter().cloned().collect(),
                progress: display.as_ref().map(|(tx, _)| tx.clone()),
                label: job.label.to_string(),
            };
            crate::errln!(
                "badgateway: checking {} (nginx {})",
                path.display(),
                nginx.version()
            );
            let checked = run_check(path, &opts, &catalogue, &cancel).await;
            // The display ends once every sender is gone, this config's included.
            drop(opts);
            match checked {
                Ok(report) => reports.push(report),
                Err(e) => {
                    reports.clear();
                    stop_display(display).await;
                    return Err(e);
                }
            }
        }
        stop_display(display).await;
        Ok(reports)
    });
    release_images(&s.nginx_image);
    let keep = s.keep || matches!(result, Err(CheckError::Rejected { .. }));
    guard::unregister_cleanup(&root.display().to_string());
    if keep {
        crate::errln!("run folders kept in {}", root.display());
    } else {
        let _ = std::fs::remove_dir_all(&root);
    }
    result.map_err(|e| {
        crate::errln!("{}", error_text(&e));
        match e {
            CheckError::Input(_) => Exit::BadInput,
            CheckError::Rejected { .. } => Exit::ConfigRejected,
            CheckError::Infrastructure(_) => Exit::Infrastructure,
            CheckError::Interrupted => Exit::Interrupted,
        }
    })
}

/// With `--nginx-image`: make Docker reachable and sweep containers a killed run left. Call it
/// before any runtime thread exists: it may point DOCKER_HOST at an API-version shim.
pub(super) fn prepare_images(images: &[String]) -> Result<(), Exit> {
    if images.is_empty() {
        return Ok(());
    }
    docker_api::prepare().map_err(|msg| {
        crate::errln!("error: --nginx-image needs Docker: {msg}");
        Exit::Infrastructure
    })?;
    docker_api::sweep_stale();
    Ok(())
}

/// Undo [`prepare_images`] once nothing uses Docker any more.
pub(super) fn release_images(images: &[String]) {
    if !images.is_empty() {
        docker_api::remove_shim("docker-api-shim");
        guard::unregister_cleanup("docker-api-shim");
    }
}

/// Let the progress display print what it has and end.
async fn stop_display(
    display: Option<(crate::events::ProgressSender, tokio::task::JoinHandle<()>)>,
) {
    if let Some((tx, task)) = display {
        drop(tx);
        let _ = task.await;
    }
}

/// Write the `--report` files, naming each on stderr; `Some` exit when one cannot be written.
pub(super) fn write_reports(targets: &[Target], subject: Subject<'_>) -> Option<Exit> {
    match crate::report::confcheck::write(targets, subject) {
        Ok(written) => {
            for (format, path) in written {
                crate::errln!("{format}: {}", path.display());
            }
            None
        }
        Err(e) => {
            crate::errln!("error: cannot write the reports: {e}");
            Some(Exit::Infrastructure)
        }
    }
}

/// The catalogue from `--scenarios` or the default folder.
pub(super) fn load_catalogue(dir: Option<PathBuf>) -> Result<Catalogue, Exit> {
    let dir = dir.unwrap_or_else(Catalogue::default_dir);
    Catalogue::load(&[dir]).map_err(|e| {
        crate::errln!("{e}");
        Exit::BadInput
    })
}

fn error_text(e: &CheckError) -> String {
    match e {
        CheckError::Rejected { version, .. } => format!(
            "error: {e}\n  hint: nginx {version} refuses your config as written (badgateway \
             changes only addresses, listens and paths, and strips nothing). If you deploy another \
             nginx version, check with that one: --nginx PATH or --nginx-image IMAGE; otherwise fix the config until \
             `nginx -t` accepts it"
        ),
        CheckError::Infrastructure(m) => format!("error: {m}"),
        other => other.to_string(),
    }
}

/// A fresh folder for the run folders of `check`, `verify` or `handout` (`kind`), which hold
/// copies of the user's config: others may pass through it (nginx's workers reach their temp
/// folders inside) but not list it, and the guard removes it on the exit paths that skip
/// normal teardown (second signal, panic).
pub(super) fn work_root(kind: &str) -> PathBuf {
    use std::os::unix::fs::DirBuilderExt;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let root = std::env::temp_dir().join(format!(
        "badgateway-{kind}-{}-{nanos:x}",
        std::process::id()
    ));
    let _ = std::fs::DirBuilder::new().mode(0o711).create(&root);
    guard::register_cleanup(&root.display().to_string(), |dir| {
        let _ = std::fs::remove_dir_all(dir);
    });
    root
}

/// Print where a scenario listens beyond loopback and return the exit for it, if one does.
pub(super) fn refuse_open_listens(scenarios: &[crate::scenario::LoadedScenario]) -> Option<Exit> {
    for loaded in scenarios {
        let Some(listen) = crate::scenario::first_non_loopback_listen(&loaded.scenario) else {
            continue;
        };
        let source = crate::scenario::bundled::read(&loaded.path).unwrap_or_default();
        let err = crate::input_error::InputError::at_text(
            &loaded.path,
            &source,
            &listen,
            format!("`{listen}` listens beyond loopback"),
        )
        .with_hint(
            "scenarios keep everything on 127.0.0.1; listen on 127.0.0.1:PORT, or pass \
             --allow-any-listen if this scenario really must (scenario files are code)",
        );
        crate::errln!("{err}");
        return Some(Exit::BadInput);
    }
    None
}
