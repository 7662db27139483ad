//! `sites-enabled`-style snippets: the file most people call "my config" holds `server`,
//! `upstream`, `map`, `log_format`, ... at top level and relies on the distribution's
//! nginx.conf to put it inside `http {}` and to provide `events {}`. nginx itself refuses such a
//! file as a main config (`"map" directive is not allowed here`), so [`wrap`] does what that
//! nginx.conf does and says so in [`Config::notes`].
//!
//! The rule follows nginx's contexts: a file with no `http`, `events`, `stream` or `mail` block
//! is a snippet when one of its top-level directives is not a main-context one (the directives
//! nginx declares `NGX_MAIN_CONF`: `user`, `worker_processes`, `pid`, `load_module`, `env`, ...;
//! `error_log` and `include` are allowed anywhere and decide nothing). Main-context directives
//! stay at top level; everything else goes into `http {}` in its order.

use std::path::{Path, PathBuf};

use super::{Config, Directive, Location, Node};

/// Blocks whose presence makes a file a main config.
const MAIN_BLOCKS: [&str; 4] = ["http", "events", "stream", "mail"];

/// Directives allowed in nginx's main context only (`NGX_MAIN_CONF` in nginx's sources,
/// without the blocks above and `error_log`, which http allows too).
const MAIN_ONLY: [&str; 21] = [
    "daemon",
    "debug_points",
    "env",
    "google_perftools_profiles",
    "load_module",
    "lock_file",
    "master_process",
    "pcre_jit",
    "pid",
    "quic_bpf",
    "ssl_engine",
    "ssl_object_cache_inheritable",
    "thread_pool",
    "timer_resolution",
    "user",
    "worker_cpu_affinity",
    "worker_priority",
    "worker_processes",
    "worker_rlimit_core",
    "worker_rlimit_nofile",
    "worker_shutdown_timeout",
];

/// Directives of a `server {}` or `location {}` only: at top level they mark a server-level
/// snippet, which no wrapping in `http {}` makes valid.
const SERVER_LEVEL: [&str; 3] = ["location", "listen", "server_name"];

fn top_level(nodes: &[Node]) -> impl Iterator<Item = &Directive> {
    nodes.iter().filter_map(|n| match n {
        Node::Directive(d) => Some(d),
        Node::Comment(_) => None,
    })
}

fn is_main_only(name: &str) -> bool {
    MAIN_ONLY.contains(&name) || MAIN_BLOCKS.contains(&name)
}

/// The top-level directives that make `nodes` a snippet (none: a main config, or nothing
/// that says otherwise).
fn http_level(nodes: &[Node]) -> Vec<&str> {
    if top_level(nodes).any(|d| MAIN_BLOCKS.contains(&d.name.as_str())) {
        return Vec::new();
    }
    let mut names: Vec<&str> = Vec::new();
    for d in top_level(nodes) {
        let n = d.name.as_str();
        if !is_main_only(n) && !matches!(n, "include" | "error_log") && !names.contains(&n) {
            names.push(n);
        }
    }
    names
}

/// The conf prefix for `file`: its folder, as nginx's `-c FILE` gives. For a snippet in a
/// folder beside an `nginx.conf` (Debian's `/etc/nginx/sites-enabled/`), the folder of that
/// nginx.conf, which is where nginx resolves the snippet's relative includes; with a note.
pub fn conf_prefix(file: &Path, nodes: &[Node]) -> (PathBuf, Vec<String>) {
    let folder = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let main = folder.parent().map(|p| p.join("nginx.conf"));
    match main {
        Some(main) if main.is_file() && !http_level(nodes).is_empty() && includes(nodes) => {
            let prefix = main.parent().unwrap_or(&folder).to_path_buf();
            let note = format!(
                "{} is a snippet beside {}: its relative includes are read from {}, as nginx \
                 does when that nginx.conf includes it",
                file.display(),
                main.display(),
                prefix.display()
            );
            (prefix, vec![note])
        }
        _ => (folder, Vec::new()),
    }
}

fn includes(nodes: &[Node]) -> bool {
    top_level(nodes).any(|d| d.name == "include" || d.block.as_deref().is_some_and(includes))
}

/// Wrap a snippet in `events {}` and `http {}` (see the module doc), noting it.
pub fn wrap(config: &mut Config) {
    let names = http_level(&config.nodes);
    if names.is_empty() {
        return;
    }
    let shown: Vec<String> = names.iter().take(4).map(|n| format!("`{n}`")).collect();
    if let Some(d) = top_level(&config.nodes).find(|d| SERVER_LEVEL.contains(&d.name.as_str())) {
        config.notes.push(format!(
            "{}: \"{}\" at top level belongs in a server {{}} block: this looks like a \
             server-level snippet; pass the file that includes it",
            d.at, d.name
        ));
    }
    let at = Location {
        file: config.file.clone(),
        line: 0,
        col: 0,
    };
    let (main, http): (Vec<Node>, Vec<Node>) = std::mem::take(&mut config.nodes)
        .into_iter()
        .partition(|n| matches!(n, Node::Directive(d) if is_main_only(&d.name)));
    config.nodes = main;
    for (name, body) in [("events", Vec::new()), ("http", http)] {
        let mut block = Directive::simple(name, &[], &at);
        block.block = Some(body);
        config.nodes.push(Node::Directive(block));
    }
    config.notes.push(format!(
        "{} has {} at top level and no http {{}} block: read as a sites-enabled snippet, \
         wrapped in `events {{}}` and `http {{}}` as the distribution's nginx.conf does",
        config.file.display(),
        shown.join(", ")
    ));
    config.wrapped_snippet = true;
}
