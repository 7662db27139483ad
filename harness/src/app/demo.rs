//! `badgateway demo NAME`: find the scenario and the local nginx, make a run folder, put the
//! terminal in key-at-a-time mode when there is one (else pace the phases with `--auto`), and
//! hold the scenario open with the screen (and, with `--web`, the web view) subscribed to its
//! live view.

use std::io::IsTerminal;

use tokio_util::sync::CancellationToken;

use crate::cli::demo::{DEFAULT_PACE, DemoArgs};
use crate::demo::{self, DemoOptions, Ending, Mode, RawMode, View};
use crate::exit::Exit;
use crate::guard;
use crate::nginx::{NginxBackend, locate};

pub(super) fn demo(args: &DemoArgs) -> Exit {
    let loaded = match super::load_named(&args.paths, &args.name) {
        Ok(l) => l,
        Err(exit) => return exit,
    };
    if let Some(exit) = super::common::refuse_open_listens(std::slice::from_ref(&loaded)) {
        return exit;
    }
    let backend: NginxBackend = match locate(args.nginx.as_deref()) {
        Ok(b) => b.into(),
        Err(msg) => {
            crate::errln!("error: {msg}");
            return Exit::Infrastructure;
        }
    };
    // Bound before the run folder is made, so a taken port leaves nothing behind.
    let web = match (args.web || args.web_port.is_some())
        .then(|| demo::web::bind(args.web_port.unwrap_or(0)))
    {
        None => None,
        Some(Ok(bound)) => Some(bound),
        Some(Err(e)) => {
            let port = args.web_port.unwrap_or(0);
            crate::errln!("error: cannot listen on 127.0.0.1:{port} for --web: {e}");
            return Exit::Infrastructure;
        }
    };
    let dir = match super::run::create_run_dir(&args.out.join("demo")) {
        Ok((_, dir)) => dir,
        Err(e) => {
            crate::errln!(
                "error: cannot create a folder in {}: {e}",
                args.out.display()
            );
            return Exit::Infrastructure;
        }
    };
    // Keys need a terminal on stdin that takes key-at-a-time mode; without one, --auto paces.
    let raw = match std::io::stdin().is_terminal() {
        true => RawMode::enter().ok(),
        false => None,
    };
    let interactive = raw.is_some();
    let opts = DemoOptions {
        backend,
        dir: dir.join(&loaded.scenario.name),
        seed: args.seed.unwrap_or_else(rand::random),
        rate: args.rate,
        // Without keys, the web view's buttons move the demo; else the pace does.
        auto: (args.auto).or((!interactive && web.is_none()).then_some(DEFAULT_PACE)),
        max_time: args.max_time,
        keys: interactive,
        web: web.as_ref().map(|(_, url)| url.clone()),
    };
    let ending = super::runtime().block_on(async {
        let cancel = CancellationToken::new();
        guard::cancel_on_signals(cancel.clone());
        end_on_hangup(cancel.clone());
        let (keys_tx, keys) = tokio::sync::mpsc::unbounded_channel();
        let (feed, views) = tokio::sync::watch::channel(View::default());
        // The page's buttons send into the same channel as the keys.
        let page = web.map(|(listener, _)| {
            tokio::spawn(demo::web::serve(listener, views.clone(), keys_tx.clone()))
        });
        if interactive {
            demo::spawn_reader(keys_tx);
        }
        let screen = tokio::spawn(demo::show(views, Mode::detect()));
        let ending = demo::hold(&loaded.scenario, &opts, keys, &feed, &cancel).await;
        drop(feed);
        let _ = screen.await;
        if let Some(page) = page {
            let _ = page.await;
        }
        ending
    });
    drop(raw);
    match ending {
        Ok(Ending::Interrupted) => Exit::Interrupted,
        Ok(_) => Exit::Passed,
        Err(msg) => {
            crate::errln!("error: {msg}");
            Exit::Infrastructure
        }
    }
}

/// A closed terminal (SIGHUP) ends the demo like `q`: nginx and the upstreams are stopped
/// rather than left to the kernel's parent-death signal.
fn end_on_hangup(cancel: CancellationToken) {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut hangup) = signal(SignalKind::hangup()) else {
        return;
    };
    tokio::spawn(async move {
        if hangup.recv().await.is_some() {
            cancel.cancel();
        }
    });
}
