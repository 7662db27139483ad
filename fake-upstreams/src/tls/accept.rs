//! The wire side of `tls:`: the rustls server config a spec asks for, and the handshake that
//! runs between `accept()` and the fault.
//!
//! `stall`, `reset` and `close` never let rustls see the ClientHello; every other failure (no SNI,
//! a version or cipher the client does not offer, the client rejecting the certificate) is a
//! rustls error here. Each completed handshake is counted, resumed ones apart.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::{ConfigBuilder, HandshakeKind, ServerConfig, WantsVerifier};
use tokio::io::AsyncReadExt;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use super::{Ca, Handshake, TlsSpec, TlsVersion};
use crate::listener::{BoxStream, Stream};
use crate::request::ConnCtx;

/// How long `reset` and `close` wait for the ClientHello before ending the connection anyway.
const HELLO_WAIT: Duration = Duration::from_secs(5);

/// A server's TLS side: the acceptor, what to do with handshakes, its certificate.
pub(crate) struct TlsServer {
    acceptor: TlsAcceptor,
    handshake: Handshake,
    misbehaves: bool,
    /// The server's own certificate (PEM).
    cert: String,
}

impl TlsServer {
    /// The TLS side of a server with `spec`, its leaf issued by `ca` (or a CA of its own).
    pub(crate) fn start(spec: &TlsSpec, ca: Option<&Ca>) -> io::Result<Arc<TlsServer>> {
        let own;
        let ca = match ca {
            Some(ca) => ca,
            None => {
                own = Ca::generate().map_err(io::Error::other)?;
                &own
            }
        };
        let server = TlsServer::new(spec, ca).map_err(io::Error::other)?;
        Ok(Arc::new(server))
    }

    /// `stream` after the handshake when `tls` is set, else as it is; `None` when the
    /// handshake did not complete (see [`TlsServer::accept`]).
    pub(crate) async fn wrap(
        tls: Option<&TlsServer>,
        stream: BoxStream,
        ctx: &ConnCtx,
    ) -> Option<BoxStream> {
        match tls {
            Some(tls) => tls.accept(stream, ctx).await,
            None => Some(stream),
        }
    }

    /// The TLS side of a server with `spec`, its leaf issued by `ca`.
    fn new(spec: &TlsSpec, ca: &Ca) -> Result<TlsServer, String> {
        let leaf = ca.issue(&spec.name, spec.self_signed)?;
        let cert = leaf.pem.clone();
        let provider = builder(spec)?.crypto_provider().clone();
        let key = provider
            .key_provider
            .load_private_key(leaf.key)
            .map_err(|e| format!("tls: leaf key: {e}"))?;
        let resolver = Resolver {
            key: Arc::new(CertifiedKey::new(leaf.chain, key)),
            require_sni: spec.require_sni,
        };
        let mut config = builder(spec)?
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(resolver));
        // `grpc_pass grpcs://` offers only `h2`; a client that offers no ALPN (`proxy_pass`)
        // negotiates none, as before.
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(TlsServer {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            handshake: spec.handshake,
            misbehaves: spec.misbehaves(),
            cert,
        })
    }

    /// The server's own certificate (PEM): what a client must trust when it is self-signed.
    pub(crate) fn cert(&self) -> &str {
        &self.cert
    }

    /// Run the handshake on `stream`; `None` when it failed, was spoiled on purpose, or the
    /// server stopped first.
    pub(crate) async fn accept(&self, stream: BoxStream, ctx: &ConnCtx) -> Option<BoxStream> {
        if self.handshake != Handshake::Complete {
            self.spoil(stream, ctx).await;
            return None;
        }
        let done = tokio::select! {
            () = ctx.shutdown.cancelled() => return None,
            done = self.acceptor.accept(stream) => done,
        };
        match done {
            Ok(tls) => {
                let resumed = tls.get_ref().1.handshake_kind() == Some(HandshakeKind::Resumed);
                ctx.counters.handshake(resumed);
                Some(Box::new(tls))
            }
            Err(err) => {
                tracing::debug!(%err, "TLS handshake failed");
                ctx.counters.handshake_failed();
                if self.misbehaves {
                    ctx.counters.fire();
                }
                None
            }
        }
    }

    /// `stall`, `reset`, `close`: the handshake spoiled on purpose, one firing each.
    async fn spoil(&self, mut stream: BoxStream, ctx: &ConnCtx) {
        if self.handshake == Handshake::Stall {
            ctx.counters.fire();
            tokio::select! {
                () = ctx.shutdown.cancelled() => {}
                () = drain(&mut stream) => {}
            }
            return;
        }
        tokio::select! {
            () = ctx.shutdown.cancelled() => return,
            _ = tokio::time::timeout(HELLO_WAIT, read_hello(&mut stream)) => {}
        }
        ctx.counters.fire();
        if self.handshake == Handshake::Reset {
            let _ = stream.abort_on_close();
        }
    }
}

/// Read the client's first TLS record (the ClientHello) whole: closing with unread bytes
/// would make the kernel send a reset instead of a FIN (OpenSSL 3.5's ClientHello, with its
/// post-quantum key share, is over 1 KiB).
async fn read_hello(stream: &mut BoxStream) -> io::Result<()> {
    let mut header = [0u8; 5];
    stream.read_exact(&mut header).await?;
    let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
    let mut record = vec![0u8; len];
    stream.read_exact(&mut record).await.map(|_| ())
}

/// Read and discard until the peer closes (or errs).
async fn drain(stream: &mut BoxStream) {
    let mut buf = [0u8; 4096];
    while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
}

impl Stream for TlsStream<BoxStream> {
    fn abort_on_close(&self) -> io::Result<()> {
        self.get_ref().0.abort_on_close()
    }
}

/// rustls's builder with the spec's versions and cipher suites (ring provider).
pub(super) fn builder(
    spec: &TlsSpec,
) -> Result<ConfigBuilder<ServerConfig, WantsVerifier>, String> {
    let mut provider = rustls::crypto::ring::default_provider();
    if !spec.ciphers.is_empty() {
        let known: Vec<String> = provider
            .cipher_suites
            .iter()
            .map(|s| format!("{:?}", s.suite()))
            .collect();
        if let Some(bad) = spec.ciphers.iter().find(|c| !known.contains(c)) {
            return Err(format!(
                "tls: unknown cipher suite `{bad}`; known: {}",
                known.join(", ")
            ));
        }
        provider
            .cipher_suites
            .retain(|s| spec.ciphers.contains(&format!("{:?}", s.suite())));
    }
    let versions: Vec<&'static rustls::SupportedProtocolVersion> = spec
        .versions
        .iter()
        .map(|v| match v {
            TlsVersion::Tls12 => &rustls::version::TLS12,
            TlsVersion::Tls13 => &rustls::version::TLS13,
        })
        .collect();
    ServerConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&versions)
        .map_err(|e| format!("tls: versions and ciphers do not fit together: {e}"))
}

/// The one certificate, refused to a ClientHello without SNI when `require_sni`.
#[derive(Debug)]
struct Resolver {
    key: Arc<CertifiedKey>,
    require_sni: bool,
}

impl ResolvesServerCert for Resolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        if self.require_sni && hello.server_name().is_none() {
            tracing::debug!("TLS ClientHello without SNI refused");
            return None;
        }
        Some(self.key.clone())
    }
}
