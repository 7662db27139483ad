//! nginx in Docker and the compose lab.
//!
//! One test binary for these suites (each a module), since linking a binary per file was a
//! large share of CI time.

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/docker.rs"]
mod docker;

mod badgateway_image;
mod compose_lab;
mod container_backend;
