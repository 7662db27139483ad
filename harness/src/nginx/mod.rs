//! Real nginx: finding the binary, rendering the harness-owned nginx.conf, and supervising the
//! process from `nginx -t` to a stop that always happens.

mod binary;
mod process;
mod render;

pub use binary::{NginxBinary, locate};
pub use process::{ConfigTest, Nginx, StartError, test_config};
pub use render::{RunDir, render};
