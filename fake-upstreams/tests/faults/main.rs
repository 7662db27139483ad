//! Each fault against a real loopback socket, checked from the client's side: one module per
//! fault (`slow_headers` keeps its tests in its own source file), and `every_fault` for what
//! holds for all of them.
//!
//! One test binary for these suites, since linking a binary per file was a large share of CI
//! time.

#[path = "../common/mod.rs"]
mod common;

mod big_headers;
mod close_before_response;
mod close_mid_body;
mod every_fault;
mod fastcgi;
mod garbage;
mod healthy;
mod idle_close;
mod invalid_header;
mod refuse;
mod reset;
mod single_worker;
mod slow_accept;
mod stall;
mod stall_body;
