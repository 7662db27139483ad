//! Command-line arguments of the commands that work on the user's own nginx config and logs:
//! `check`, `compare` and `diagnose` (clap derive; parsing only, `app` acts on them).

use std::path::PathBuf;

use crate::confcheck::FaultKind;

/// Settings shared by `check` and `compare`.
#[derive(Debug, Clone, clap::Args)]
pub struct CheckSettings {
    /// Only this upstream (repeatable; a literal `proxy_pass` address is named by itself).
    #[arg(long, value_name = "NAME")]
    pub upstream: Vec<String>,
    /// Only this fault (repeatable).
    #[arg(long, value_name = "KIND", value_parser = crate::confcheck::parse_played_fault)]
    pub fault: Vec<FaultKind>,
    /// The request path for a location check cannot derive one for, as `LOCATION=PATH` with
    /// the location's arguments as written: `--location-path '~ ^/(a|b)=/a'` (repeatable).
    #[arg(long, value_name = "LOCATION=PATH", value_parser = parse_location_path)]
    pub location_path: Vec<(String, String)>,
    /// The nginx binary (default: `nginx` on PATH, then /usr/sbin). `compare --config X`
    /// takes two: the nginx before and after an upgrade.
    #[arg(long, value_name = "PATH")]
    pub nginx: Vec<PathBuf>,
    /// nginx from a container image instead (e.g. `badgateway/nginx:1.30`); counts as one
    /// `--nginx` (after the `--nginx` paths).
    #[arg(long, value_name = "IMAGE")]
    pub nginx_image: Vec<String>,
    /// The scenario catalogue the advice comes from (default: `./scenarios/` when present, else
    /// the copy embedded in the binary).
    #[arg(long, value_name = "DIR")]
    pub scenarios: Option<PathBuf>,
    /// Keep the run folders (rewritten nginx.conf, error.log per fault) and print where.
    #[arg(long)]
    pub keep: bool,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Exit 0 even when the config does not survive a fault (for exploring; by default a
    /// failing fault exits 1).
    #[arg(long)]
    pub no_fail: bool,
    /// No progress lines or bars on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// Write a report: md=PATH, junit=PATH or json=PATH (repeatable).
    #[arg(long, value_name = "FORMAT=PATH", value_parser = crate::report::confcheck::parse_target)]
    pub report: Vec<crate::report::Target>,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Your complete nginx.conf (includes are read relative to its folder).
    #[arg(long, value_name = "PATH")]
    pub config: PathBuf,
    #[command(flatten)]
    pub settings: CheckSettings,
}

#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// The config as it is.
    #[arg(
        long,
        value_name = "PATH",
        requires = "after",
        conflicts_with = "config"
    )]
    pub before: Option<PathBuf>,
    /// The config as it would be after the change.
    #[arg(
        long,
        value_name = "PATH",
        requires = "before",
        conflicts_with = "config"
    )]
    pub after: Option<PathBuf>,
    /// One config on two nginx versions (give `--nginx OLD --nginx NEW`): an upgrade's
    /// regressions.
    #[arg(long, value_name = "PATH", required_unless_present = "before")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub settings: CheckSettings,
}

#[derive(Debug, clap::Args)]
pub struct DiagnoseArgs {
    /// error.log files (`.gz` too); standard input when none is given or for `-`.
    #[arg(value_name = "LOG")]
    pub logs: Vec<PathBuf>,
    /// The scenario catalogue the advice comes from (default: `./scenarios/` when present, else
    /// the copy embedded in the binary).
    #[arg(long, value_name = "DIR")]
    pub scenarios: Option<PathBuf>,
    /// Print the diagnosis as JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `~ \.php$=/index.php` → (`~ \.php$`, `/index.php`): split at the last `=/`, since the
/// location's regex may hold a `=` but the path starts with `/`.
fn parse_location_path(text: &str) -> Result<(String, String), String> {
    match text.rfind("=/") {
        Some(at) if at > 0 => Ok((text[..at].trim().to_string(), text[at + 1..].to_string())),
        _ => Err(format!(
            "{text:?}: expected LOCATION=PATH with a path starting with /, e.g. '~ \\.php$=/index.php'"
        )),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn location_paths_split_at_the_path() {
        assert_eq!(
            super::parse_location_path(r"~ ^/a=b/=/a=b/x").unwrap(),
            (r"~ ^/a=b/".to_string(), "/a=b/x".to_string())
        );
        assert!(super::parse_location_path("/x").is_err());
    }
}
