//! The harness without nginx: the nginx.conf model, the JSON Schemas, the load driver and its traffic shapes, `diagnose` on pasted logs, shards and merges.
//!
//! One test binary for these suites (each a module), since linking a binary per file was a
//! large share of CI time.

#[path = "../common/mod.rs"]
mod common;
#[path = "../load_support/mod.rs"]
mod load_support;

mod config_corpus;
mod config_model;
mod diagnose_shapes;
mod fuzz;
mod init_catalogue;
mod lenient_client;
mod load_driver;
mod load_grpc;
mod load_shapes;
mod load_stages;
mod load_threaded;
mod load_websocket;
mod malformed;
mod schemas;
mod shards;
mod verify_input;
