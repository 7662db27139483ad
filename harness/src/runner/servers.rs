//! The fake upstream servers of one phase: started before nginx (their addresses go into its
//! config), counted and stopped after it.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use fake_upstreams::counters::CounterSnapshot;
use fake_upstreams::server::{Server, spawn};
use tokio_util::sync::CancellationToken;

use crate::spec::{Addresses, Scenario};

/// Running fake servers keyed (upstream, server).
pub struct Servers {
    running: BTreeMap<(String, String), Server>,
}

impl Servers {
    /// Start every server of the scenario on a fresh loopback port.
    pub async fn start(s: &Scenario, cancel: &CancellationToken) -> std::io::Result<Servers> {
        let mut running = BTreeMap::new();
        let loopback: SocketAddr = ([127, 0, 0, 1], 0).into();
        for (upstream, servers) in &s.upstreams {
            for (name, fault) in servers {
                let server = spawn(fault.clone(), loopback, cancel.child_token()).await?;
                running.insert((upstream.clone(), name.clone()), server);
            }
        }
        Ok(Servers { running })
    }

    /// What the config placeholders expand to.
    pub fn addresses(&self) -> Addresses {
        Addresses(
            self.running
                .iter()
                .map(|(key, server)| (key.clone(), server.addr().to_string()))
                .collect(),
        )
    }

    /// Stop every server and return its counters, keyed `upstream.server`.
    pub async fn stop(self) -> BTreeMap<String, CounterSnapshot> {
        let mut counters = BTreeMap::new();
        for ((upstream, name), server) in self.running {
            counters.insert(format!("{upstream}.{name}"), server.counters());
            server.stop().await;
        }
        counters
    }
}
