//! Fake upstream servers that misbehave on purpose.
//!
//! badgateway puts real nginx in front of these servers to reproduce each cause of a 502/504
//! and prove its fix. A [`Fault`] says how a server misbehaves; [`spawn`] runs one on a
//! socket and returns a [`Server`] whose [`counters`](Server::counters) show what it saw.

pub mod body;
pub mod counters;
pub mod faults;
mod request;
pub mod server;
pub mod size;
pub mod yaml;

pub use counters::{CounterSnapshot, Counters};
pub use faults::Fault;
pub use server::{Server, spawn};
pub use size::ByteSize;
