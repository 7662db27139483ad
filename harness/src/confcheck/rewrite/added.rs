//! What the rewrite adds to every test config: the harness's JSON request log (its
//! `log_format` and `access_log`, see [`accesslog`]) and the readiness server the supervisor
//! polls. None of it changes what the user's directives do.

use crate::accesslog;
use crate::nginx::{READY_HEADER, READY_PATH, RunDir};
use crate::nginxconf::{Arg, Directive, Location, Node};

use super::path;

/// The harness's `log_format` (see [`accesslog`]).
pub(super) fn requests_log_format(at: &Location) -> Directive {
    Directive {
        name: "log_format".into(),
        args: vec![
            Arg::new(accesslog::FORMAT_NAME),
            Arg::new("escape=json"),
            Arg {
                raw: accesslog::LOG_FORMAT.to_string(),
            },
        ],
        block: None,
        at: at.clone(),
    }
}

/// The harness's JSON request log, in the run dir.
pub(super) fn requests_log(dir: &RunDir, at: &Location) -> Directive {
    Directive::simple(
        "access_log",
        &[&path(&dir.requests_log()), accesslog::FORMAT_NAME],
        at,
    )
}

pub(super) fn ready_server(port: u16, token: &str, at: &Location) -> Directive {
    let ready = Directive {
        name: "location".into(),
        args: vec![Arg::new("="), Arg::new(READY_PATH)],
        block: Some(vec![
            Node::Directive(Directive::simple("access_log", &["off"], at)),
            Node::Directive(Directive::simple(
                "add_header",
                &[READY_HEADER, token, "always"],
                at,
            )),
            Node::Directive(Directive::simple("return", &["204"], at)),
        ]),
        at: at.clone(),
    };
    Directive {
        name: "server".into(),
        args: Vec::new(),
        block: Some(vec![
            Node::Comment("# badgateway: readiness probe".into()),
            Node::Directive(Directive::simple(
                "listen",
                &[&format!("127.0.0.1:{port}")],
                at,
            )),
            Node::Directive(Directive::simple("server_name", &["badgateway"], at)),
            Node::Directive(ready),
        ]),
        at: at.clone(),
    }
}
