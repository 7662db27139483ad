//! A TLS front end: nginx's own `listen ... ssl` for traffic with `tls: true`.
//!
//! Each phase that needs it gets a throwaway CA and a certificate for `badgateway` (the name
//! the load driver and the readiness probe ask for), written into the phase's run dir: nginx
//! serves them (`ssl_certificate`), and the clients trust the CA only. The clients offer ALPN
//! `h2` (and `http/1.1` for the readiness probe), as gRPC clients and browsers do.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::RunDir;

/// The name in the front end's certificate, and the SNI the clients send.
pub const FRONT_NAME: &str = "badgateway";

/// The front end's files in a run dir.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontTls {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// The CA that issued `cert`: what a client trusts.
    pub ca: PathBuf,
}

impl FrontTls {
    /// Where the files of `dir` go (whether or not they were written).
    pub fn of(dir: &RunDir) -> FrontTls {
        FrontTls {
            cert: dir.root.join("front.pem"),
            key: dir.root.join("front.key"),
            ca: dir.root.join("front-ca.pem"),
        }
    }

    /// Make a CA and a certificate for [`FRONT_NAME`] and write them into `dir`.
    pub fn write(dir: &RunDir) -> io::Result<FrontTls> {
        let files = FrontTls::of(dir);
        let ca = fake_upstreams::Ca::generate().map_err(io::Error::other)?;
        let (cert, key) = ca.server_pem(FRONT_NAME).map_err(io::Error::other)?;
        std::fs::write(&files.cert, cert)?;
        std::fs::write(&files.key, key)?;
        std::fs::write(&files.ca, ca.pem())?;
        Ok(files)
    }
}

/// A client trusting the CA in `ca_pem` only, offering `alpn`.
pub fn connector(ca_pem: &Path, alpn: &[&[u8]]) -> io::Result<TlsConnector> {
    let mut roots = rustls::RootCertStore::empty();
    let ca = CertificateDer::from_pem_file(ca_pem).map_err(io::Error::other)?;
    roots.add(ca).map_err(io::Error::other)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(TlsConnector::from(Arc::new(config)))
}

/// The TLS handshake on `tcp` as [`FRONT_NAME`].
pub async fn handshake(
    connector: &TlsConnector,
    tcp: TcpStream,
) -> io::Result<TlsStream<TcpStream>> {
    let name = ServerName::try_from(FRONT_NAME).expect("a valid DNS name");
    connector.connect(name, tcp).await
}
