//! A throwaway certificate authority, made at run time: nothing secret is ever committed.
//!
//! The harness makes one [`Ca`] per nginx session and hands it to every fake server with a
//! `tls:` setting; each server gets a leaf for its own name, issued by the CA (or
//! self-signed, when the spec asks for it). nginx trusts the CA through
//! `proxy_ssl_trusted_certificate` pointing at [`Ca::pem`] written to a file. Keys are
//! ECDSA P-256 (rcgen's default), which every OpenSSL nginx links accepts.

use std::fmt;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A certificate authority whose key lives only in memory.
pub struct Ca {
    issuer: Issuer<'static, KeyPair>,
    cert: CertificateDer<'static>,
    pem: String,
}

/// A server certificate chain and its private key, ready for rustls.
pub struct Leaf {
    /// The leaf first, then the CA (empty CA part for a self-signed leaf).
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    /// The leaf's own certificate in PEM (what a client must trust for a self-signed leaf).
    pub pem: String,
}

impl Ca {
    /// A fresh CA, `CN=badgateway test CA`.
    pub fn generate() -> Result<Ca, String> {
        let key = KeyPair::generate().map_err(|e| format!("CA key: {e}"))?;
        let mut params = CertificateParams::default();
        params
            .distinguished_name
            .push(DnType::CommonName, "badgateway test CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params
            .self_signed(&key)
            .map_err(|e| format!("CA certificate: {e}"))?;
        Ok(Ca {
            pem: cert.pem(),
            cert: cert.der().clone(),
            issuer: Issuer::new(params, key),
        })
    }

    /// The CA certificate in PEM, for `proxy_ssl_trusted_certificate`.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// The CA certificate in DER, for a rustls client's root store.
    pub fn der(&self) -> &CertificateDer<'static> {
        &self.cert
    }

    /// A leaf for DNS name (or IP address) `name`, issued by this CA, or self-signed.
    pub fn issue(&self, name: &str, self_signed: bool) -> Result<Leaf, String> {
        let key = KeyPair::generate().map_err(|e| format!("leaf key: {e}"))?;
        let mut params = CertificateParams::new(vec![name.to_string()])
            .map_err(|e| format!("tls: name `{name}`: {e}"))?;
        params.distinguished_name.push(DnType::CommonName, name);
        let cert = if self_signed {
            params.self_signed(&key)
        } else {
            params.signed_by(&key, &self.issuer)
        }
        .map_err(|e| format!("leaf certificate for `{name}`: {e}"))?;
        let mut chain = vec![cert.der().clone()];
        if !self_signed {
            chain.push(self.cert.clone());
        }
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        Ok(Leaf {
            chain,
            key,
            pem: cert.pem(),
        })
    }
}

impl fmt::Debug for Ca {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ca").finish_non_exhaustive()
    }
}

impl PartialEq for Ca {
    fn eq(&self, other: &Self) -> bool {
        self.cert == other.cert
    }
}

impl Eq for Ca {}

/// A CA shared by the servers of one session.
pub type SharedCa = Arc<Ca>;
