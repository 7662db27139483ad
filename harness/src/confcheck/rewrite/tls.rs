//! TLS to the upstreams in the test config, by paths only: `proxy_ssl_trusted_certificate`
//! points at the run's CA (yours did not issue the fakes' certificates) and `proxy_ssl_crl` at
//! an empty CRL that CA signed; `proxy_ssl_certificate`, `_certificate_key` and
//! `_password_file` that name files this machine does not have (or paths with variables, or
//! relative ones, which nginx would look for in the run dir) point at a client certificate, its
//! key and a passphrase file the harness made. Every other `proxy_ssl_*` setting (protocols,
//! ciphers, verify, verify depth, name, server_name, session reuse) stays as written, and so
//! does a client certificate you have here. The `grpc_ssl_*` twins of these directives (for
//! `grpc_pass grpcs://`) are read and re-pointed the same way. [`write_files`] puts the files in the run dir.

use std::path::{Path, PathBuf};

use fake_upstreams::Ca;

use super::{Edits, arg0, path};
use crate::nginx::RunDir;
use crate::nginxconf::{Arg, Config, Directive};

/// Upstream TLS directives naming files (`grpc_ssl_*` twins below), and the harness file
/// that stands for each.
const FILES: [(&str, &str); 5] = [
    ("proxy_ssl_trusted_certificate", "ca.pem"),
    ("proxy_ssl_crl", "crl.pem"),
    ("proxy_ssl_certificate", "client.pem"),
    ("proxy_ssl_certificate_key", "client.key"),
    ("proxy_ssl_password_file", "client.pass"),
];

/// `grpc_ssl_X` read as its twin `proxy_ssl_X` (same meaning, same harness file).
fn as_proxy(name: &str) -> std::borrow::Cow<'_, str> {
    match name.strip_prefix("grpc_ssl_") {
        Some(rest) => format!("proxy_ssl_{rest}").into(),
        None => name.into(),
    }
}

/// Whether `name` is an upstream TLS directive that names a file.
pub(super) fn names_file(name: &str) -> bool {
    let name = as_proxy(name);
    FILES.iter().any(|(n, _)| *n == name)
}

/// Point `d` (one of [`FILES`]) at the harness's file where it must, and list the change.
pub(super) fn repoint(d: &mut Directive, dir: &RunDir, edits: &mut Edits) {
    let twin = as_proxy(&d.name);
    let Some((_, file)) = FILES.iter().find(|(n, _)| *n == twin) else {
        return;
    };
    let name = d.name.clone();
    let yours = arg0(d);
    let why = match twin.as_ref() {
        "proxy_ssl_trusted_certificate" => {
            "the run's CA, which issued the fake upstreams' certificates"
        }
        "proxy_ssl_crl" => "an empty CRL signed by the run's CA",
        _ if usable_here(&yours) => return,
        "proxy_ssl_certificate" => "a client certificate from the run's CA (yours is not here)",
        "proxy_ssl_certificate_key" => "the harness client certificate's key (yours is not here)",
        _ => "a passphrase file (the harness client key has no passphrase; yours is not here)",
    };
    edits.note(
        d,
        &format!("{name} {yours} → {file} in the run folder: {why}"),
    );
    d.args[0] = Arg::new(&path(&dir.root.join(file)));
}

/// A file nginx can read as written: an absolute path without variables that exists.
fn usable_here(p: &str) -> bool {
    !p.contains('$') && Path::new(p).is_absolute() && Path::new(p).exists()
}

/// Whether the config names any upstream TLS file (then every run needs the harness's files,
/// even with no upstream used over `https://`).
pub fn uses_files(config: &Config) -> bool {
    fn any(d: &Directive) -> bool {
        names_file(&d.name) || d.children().any(any)
    }
    config.directives().any(any)
}

/// Write the CA, its empty CRL, a client certificate, key and passphrase into `dir`, where
/// the rewrite points the config.
pub fn write_files(dir: &RunDir, ca: &Ca) -> Result<(), String> {
    let (cert, key) = ca.client_pem("badgateway-client")?;
    let contents = [
        ca.pem().to_string(),
        ca.crl_pem()?,
        cert,
        key,
        "badgateway\n".to_string(),
    ];
    for ((_, file), text) in FILES.iter().zip(contents) {
        let p: PathBuf = dir.root.join(file);
        std::fs::write(&p, text).map_err(|e| format!("cannot write {}: {e}", p.display()))?;
    }
    Ok(())
}
