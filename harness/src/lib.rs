//! badgateway: run real nginx against fake upstreams that misbehave on purpose, and check that
//! the broken config fails the way real nginx fails and that the prescribed fix works.
//!
//! The pieces, in the order a run uses them: [`scenario`] (scenario files), [`runner`] (phases:
//! an [`nginx`] session, the phase's [`upstreams`], the [`load`] driver), [`check`] (expectations),
//! [`result`] (plain data) and [`report`] (terminal and JSON). [`shard`] splits a suite for a CI
//! job matrix and [`merge`] puts the shards' results back together. [`app`] wires them to the
//! CLI.

pub mod accesslog;
pub mod app;
pub mod catalogue;
pub mod check;
pub mod cli;
pub mod confcheck;
pub mod console;
pub mod demo;
pub mod diagnose;
pub mod errorlog;
pub mod events;
pub mod exit;
pub mod fault_table;
pub mod fixes;
pub mod guard;
pub mod hints;
pub mod input_error;
pub mod learner;
pub mod load;
pub mod merge;
pub mod names;
pub mod nginx;
pub mod nginxconf;
pub mod outcome;
pub mod paths;
pub mod report;
pub mod result;
pub mod runner;
pub mod scenario;
pub mod schema;
pub mod shard;
pub mod upstreams;
pub mod witness;
