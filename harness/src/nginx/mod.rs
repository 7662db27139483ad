//! Real nginx: finding the binary (or an image), rendering the harness-owned nginx.conf, and
//! supervising the process or container from `nginx -t` to a stop that always happens.

mod backend;
mod binary;
mod container;
pub mod docker_api;
pub mod front_tls;
mod hosts;
mod process;
mod render;
mod session;

pub use backend::{NginxBackend, RunningNginx};
pub use binary::{NginxBinary, locate};
pub use container::{NginxContainer, NginxImage, inspect as inspect_image};
pub use process::{ConfigTest, Nginx, StartError, test_config};
pub use render::{READY_HEADER, READY_PATH, RunDir, render};
pub use session::{Live, Logs, NGINX_PORTS, Render, STOP_GRACE, Session};
