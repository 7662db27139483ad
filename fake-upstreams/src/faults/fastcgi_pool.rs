//! `fastcgi_pool`: a PHP-FPM pool at `pm.max_children`, every child busy for `hold`.
//!
//! Each child takes one connection and spends `hold` on its request before answering like
//! `fastcgi_healthy`. With all children busy, further connections wait unaccepted in the
//! listen queue (the generic `backlog:` is php-fpm's `listen.backlog`), the way php-fpm's
//! children only `accept()` when idle. nginx's connect succeeds (the kernel queued it) and
//! its `fastcgi_read_timeout` runs from the request sent: shorter than the wait, it answers
//! 504 `upstream timed out (110: Connection timed out) while reading response header from
//! upstream`. On a unix socket a full queue refuses the connect at once: 502 `connect() to
//! unix:… failed (11: Resource temporarily unavailable)`. The pool is the accept loop's
//! worker pool ([`Workers`](super::Workers), shared with `single_worker`); `fired` counts the
//! connections that had to queue.

use std::io;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::fastcgi_healthy::ok_answer;
use super::{Behavior, Probe, Traffic, Protocol};
use crate::fastcgi::conn::{Answer, FcgiConn};
use crate::request::RawConn;
use crate::size::ByteSize;

/// A PHP-FPM pool of `max_children` children, each busy `hold` per request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct FastcgiPool {
    /// Children (`pm.max_children`): connections served at once; at least 1.
    #[serde(default = "default_max_children")]
    #[arg(long, default_value_t = default_max_children())]
    pub max_children: u32,
    /// Time a child spends on each request before answering, e.g. `2s` (a slow script).
    #[serde(default = "default_hold", with = "humantime_serde")]
    #[schemars(schema_with = "crate::schema::duration")]
    #[arg(long, default_value = "2s", value_parser = humantime_serde::re::humantime::parse_duration)]
    pub hold: Duration,
    /// Size of the pattern body of each answer.
    #[serde(default = "default_body_size")]
    #[arg(long, default_value_t = default_body_size())]
    pub body_size: ByteSize,
}

impl Default for FastcgiPool {
    fn default() -> Self {
        Self {
            max_children: default_max_children(),
            hold: default_hold(),
            body_size: default_body_size(),
        }
    }
}

fn default_max_children() -> u32 {
    2
}

fn default_hold() -> Duration {
    Duration::from_secs(2)
}

fn default_body_size() -> ByteSize {
    ByteSize::kib(1)
}

impl Behavior for FastcgiPool {
    const NGINX: &str = "requests beyond `max_children` queue: **504** `upstream timed out (110: …) \
        while reading response header` once `fastcgi_read_timeout` passes; a full backlog on a \
        unix socket: 502 `(11: Resource temporarily unavailable)`";
    const PROTOCOL: Protocol = Protocol::FastCgi;

    /// One child busy 1.5 s per request, 4 requests 2 at a time: they queue up to 3 s, a
    /// 504 only where `fastcgi_read_timeout` is shorter.
    fn probe() -> Option<Probe<Self>> {
        Some(Probe {
            config: FastcgiPool {
                max_children: 1,
                hold: Duration::from_millis(1500),
                ..FastcgiPool::default()
            },
            traffic: Traffic {
                requests: 4,
                concurrency: 2,
                ..Traffic::default()
            },
        })
    }

    fn validate(&self) -> Result<(), String> {
        if self.max_children == 0 {
            return Err("fastcgi_pool: max_children must be at least 1".into());
        }
        Ok(())
    }

    fn workers(&self) -> Option<u32> {
        Some(self.max_children)
    }

    async fn serve(&self, conn: RawConn) -> io::Result<()> {
        let answer = Answer {
            delay: Some(self.hold),
            ..ok_answer(self.body_size.as_usize(), &[])
        };
        FcgiConn::new(conn)
            .serve_answers(|_| answer.clone())
            .await
    }
}
