//! The fake upstream as a server: its binary, YAML and CLI config, the generic settings and the server spec.
//!
//! One test binary for these suites (each a module), since linking a binary per file was a
//! large share of CI time.

#[path = "../common/mod.rs"]
mod common;

mod binary;
mod config;
mod settings;
mod spec;
mod tls;
