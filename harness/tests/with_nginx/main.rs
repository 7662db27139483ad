//! The harness against real nginx: the CLI contract, scenarios end to end, reports, seeds, process cleanup, check/compare, diagnose and the demo (in a terminal and in a browser).
//!
//! One test binary for these suites (each a module), since linking a binary per file was a
//! large share of CI time.

#[path = "../common/mod.rs"]
mod common;

mod ci_templates;
mod cli_exit_codes;
mod config_check;
mod config_check_dns;
mod config_check_fastcgi;
mod config_check_grpc;
mod config_check_tls;
mod config_check_websocket;
mod config_corpus;
mod demo;
mod demo_web;
mod diagnose_logs;
mod dns;
mod installed;
mod lab;
mod process_cleanup;
mod reports_e2e;
mod scenarios_e2e;
mod seeds_and_firing;
mod shards_e2e;
mod stages_e2e;
