//! `badgateway load URL`: drive the scenarios' load driver (its workers spread over one
//! single-threaded runtime per CPU, see [`drive_threaded`]) at any loopback URL and print
//! requests per second and latency percentiles. Exit 0 when every request got a complete 2xx,
//! 1 otherwise (the outcomes say what), 130 when interrupted.

use http::Method;
use tokio_util::sync::CancellationToken;

use crate::cli::load::LoadArgs;
use crate::exit::Exit;
use crate::guard;
use crate::load::{ClientProtocol, LoadPlan, LoadShape, drive_threaded};

pub(super) fn load(args: &LoadArgs) -> Exit {
    let plan = plan(args);
    let threads = args.threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, usize::from),
        usize::from,
    );
    let report = super::runtime().block_on(async {
        let cancel = CancellationToken::new();
        guard::cancel_on_signals(cancel.clone());
        tokio::task::spawn_blocking(move || drive_threaded(&plan, cancel, threads)).await
    });
    let report = match report {
        Ok(r) => r,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    };
    if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(json) => crate::outln!("{json}"),
            Err(e) => {
                crate::errln!("error: cannot print the report: {e}");
                return Exit::Infrastructure;
            }
        }
    } else {
        crate::out!(
            "{}",
            crate::report::load_text::load(&args.url.url, args.connections, args.duration, &report)
        );
    }
    if report.cancelled {
        Exit::Interrupted
    } else if report.successes() == report.total && report.total > 0 {
        Exit::Passed
    } else {
        Exit::CheckFailed
    }
}

/// The plan: GETs back to back on `connections` kept-alive connections (HTTP/1.1, or HTTP/2
/// with `--http2`), issued for `duration`; requests in flight at its end may finish within
/// `timeout`.
fn plan(args: &LoadArgs) -> LoadPlan {
    LoadPlan {
        target: args.url.addr,
        host: args.url.host.clone(),
        method: Method::GET,
        path: args.url.path.clone(),
        body_bytes: 0,
        requests: args.requests,
        concurrency: usize::from(args.connections),
        request_timeout: args.timeout,
        max_duration: args.duration + args.timeout,
        shape: LoadShape {
            duration: Some(args.duration),
            protocol: if args.http2 {
                ClientProtocol::Http2
            } else {
                ClientProtocol::Http1
            },
            ..LoadShape::default()
        },
    }
}
