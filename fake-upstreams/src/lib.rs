//! Fake upstream servers that misbehave on purpose, speaking HTTP/1.x, FastCGI or gRPC.
//!
//! badgateway puts real nginx in front of these servers to reproduce each cause of a 502/504
//! and prove its fix. A [`Fault`] says how a server misbehaves; a [`ServerSpec`] wraps it with
//! the settings every fault shares (probability, limits, schedule, TCP or unix socket);
//! [`spawn_spec`] runs one and returns a [`Server`] whose [`endpoint`](Server::endpoint) goes
//! into nginx's config and whose [`counters`](Server::counters) show what it saw.

pub mod body;
pub mod counters;
pub mod dns;
pub mod duration;
pub mod endpoint;
pub mod fastcgi;
pub mod faults;
mod gate;
pub mod grpc;
pub mod headers;
mod listener;
pub mod raw_bytes;
mod request;
mod request_head;
pub mod schema;
pub mod server;
pub mod size;
pub mod spec;
pub mod tls;
mod ws;
pub mod yaml;

pub use counters::{CounterSnapshot, Counters, REQUEST_ID_HEADER, Received};
pub use endpoint::{Endpoint, Listen};
pub use faults::Fault;
pub use server::{Server, SpawnOptions, spawn, spawn_spec};
pub use size::ByteSize;
pub use spec::{Limit, OverLimit, ServerSpec, Step};
pub use tls::{Ca, TlsSpec};
