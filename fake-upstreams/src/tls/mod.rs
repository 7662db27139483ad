//! `tls:` on a server: every fault served over TLS, and the ways a TLS upstream goes wrong.
//!
//! After `accept()` the stream is wrapped in a rustls server connection (ring provider) before
//! the fault sees it, so every fault works unchanged over TLS. The certificate is issued at
//! run time by a throwaway [`Ca`] (`ca.rs`); the fields below make the handshake fail the
//! ways real upstreams make nginx fail: no SNI (`require_sni`), a certificate for another
//! name or a self-signed one (seen with `proxy_ssl_verify on`), a version or cipher nginx does
//! not offer, a handshake that stalls, is reset or closed. A handshake that fails on a server
//! whose `tls:` misbehaves counts as a firing; every completed handshake is counted, and
//! resumed ones separately (`proxy_ssl_session_reuse`). See `accept.rs` for the wire side.

mod accept;
mod ca;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub(crate) use accept::TlsServer;
pub use ca::{Ca, Leaf, SharedCa};

/// TLS settings of a server (`tls: {}` for a well-behaved TLS upstream).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TlsSpec {
    /// The DNS name (or IP address) the certificate is issued for: what nginx checks with
    /// `proxy_ssl_verify on` against `proxy_ssl_name` (default: the host in `proxy_pass`).
    /// Default: `localhost`.
    #[serde(default = "default_name")]
    pub name: String,
    /// Present a self-signed certificate instead of one issued by the run's CA (a client must
    /// trust the certificate itself: `{{tls.cert.UPSTREAM.SERVER}}` in a scenario).
    #[serde(default, skip_serializing_if = "is_false")]
    pub self_signed: bool,
    /// Refuse a ClientHello without SNI (nginx sends none unless `proxy_ssl_server_name on`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub require_sni: bool,
    /// Protocol versions the server accepts. Default: both.
    #[serde(default = "default_versions")]
    pub versions: Vec<TlsVersion>,
    /// Cipher suites the server accepts, by rustls name (e.g.
    /// `TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256`, `TLS13_AES_128_GCM_SHA256`).
    /// Default: all that rustls (ring) has.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ciphers: Vec<String>,
    /// What the server does with the client's handshake. Default: `complete`.
    #[serde(default, skip_serializing_if = "is_complete")]
    pub handshake: Handshake,
}

/// A TLS protocol version (rustls has no TLS 1.0 or 1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum TlsVersion {
    #[serde(rename = "TLSv1.2")]
    Tls12,
    #[serde(rename = "TLSv1.3")]
    Tls13,
}

/// What happens to the client's handshake.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Handshake {
    /// Answer it (the handshake can still fail on SNI, versions, ciphers or trust).
    #[default]
    Complete,
    /// Read the ClientHello and never answer, until the client gives up.
    Stall,
    /// Read the ClientHello and reset the connection.
    Reset,
    /// Read the ClientHello and close the connection (a FIN, no alert).
    Close,
}

fn default_name() -> String {
    "localhost".into()
}

fn default_versions() -> Vec<TlsVersion> {
    vec![TlsVersion::Tls12, TlsVersion::Tls13]
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_complete(h: &Handshake) -> bool {
    *h == Handshake::Complete
}

impl Default for TlsSpec {
    fn default() -> Self {
        TlsSpec {
            name: default_name(),
            self_signed: false,
            require_sni: false,
            versions: default_versions(),
            ciphers: Vec::new(),
            handshake: Handshake::Complete,
        }
    }
}

impl TlsSpec {
    /// Reject settings no handshake can be served with (messages start with `tls:`).
    pub fn validate(&self) -> Result<(), String> {
        if self.versions.is_empty() {
            return Err("tls: versions must name at least one of TLSv1.2, TLSv1.3".into());
        }
        if self.name.is_empty() {
            return Err("tls: name must not be empty".into());
        }
        rcgen::CertificateParams::new(vec![self.name.clone()]).map_err(|e| {
            format!(
                "tls: name `{}` is not a DNS name or IP address: {e}",
                self.name
            )
        })?;
        accept::builder(self).map(|_| ())
    }

    /// Whether the settings make handshakes fail on purpose (then a failed handshake is a
    /// firing, and a scenario that never saw one fails with "fault did not fire"). Not the
    /// certificate's name or issuer: nginx checks those after a handshake the server sees
    /// complete.
    pub fn misbehaves(&self) -> bool {
        self.require_sni
            || self.versions != default_versions()
            || !self.ciphers.is_empty()
            || self.handshake != Handshake::Complete
    }
}
