//! A throwaway certificate authority, made at run time: nothing secret is ever committed.
//!
//! The harness makes one [`Ca`] per nginx session and hands it to every fake server with a
//! `tls:` setting; each server gets a leaf for its own name, issued by the CA (or
//! self-signed, when the spec asks for it). nginx trusts the CA through
//! `proxy_ssl_trusted_certificate` pointing at [`Ca::pem`] written to a file. The same CA
//! issues a client certificate (`proxy_ssl_certificate`) and an empty CRL (`proxy_ssl_crl`)
//! for `check`. Keys are ECDSA P-256 (rcgen's default), which every OpenSSL nginx links
//! accepts.

use std::fmt;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose, SerialNumber,
};
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

impl Ca {
    /// A client certificate and its unencrypted key, both PEM, issued by this CA for `name`:
    /// what a proxy presents to an upstream that asks for one (`proxy_ssl_certificate`).
    pub fn client_pem(&self, name: &str) -> Result<(String, String), String> {
        let key = KeyPair::generate().map_err(|e| format!("client key: {e}"))?;
        let mut params = CertificateParams::new(vec![name.to_string()])
            .map_err(|e| format!("client name `{name}`: {e}"))?;
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(|e| format!("client certificate for `{name}`: {e}"))?;
        Ok((cert.pem(), key.serialize_pem()))
    }

    /// A server certificate for `name` and its unencrypted key, both PEM, issued by this CA:
    /// what a TLS front end (nginx's `ssl_certificate`) presents to a client that trusts it.
    pub fn server_pem(&self, name: &str) -> Result<(String, String), String> {
        let key = KeyPair::generate().map_err(|e| format!("server key: {e}"))?;
        let mut params = CertificateParams::new(vec![name.to_string()])
            .map_err(|e| format!("server name `{name}`: {e}"))?;
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(|e| format!("server certificate for `{name}`: {e}"))?;
        Ok((cert.pem(), key.serialize_pem()))
    }

    /// An empty certificate revocation list signed by this CA, in PEM
    /// (`proxy_ssl_crl`: nothing it issued is revoked).
    pub fn crl_pem(&self) -> Result<String, String> {
        let params = CertificateRevocationListParams {
            this_update: rcgen::date_time_ymd(2020, 1, 1),
            next_update: rcgen::date_time_ymd(2099, 1, 1),
            crl_number: SerialNumber::from(1u64),
            issuing_distribution_point: None,
            revoked_certs: Vec::new(),
            key_identifier_method: KeyIdMethod::Sha256,
        };
        params
            .signed_by(&self.issuer)
            .and_then(|crl| crl.pem())
            .map_err(|e| format!("CRL: {e}"))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ca_issues_a_client_pair_and_an_empty_crl_in_pem() {
        let ca = Ca::generate().unwrap();
        let (cert, key) = ca.client_pem("badgateway-client").unwrap();
        assert!(cert.starts_with("-----BEGIN CERTIFICATE-----"), "{cert}");
        assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"), "{key}");
        let crl = ca.crl_pem().unwrap();
        assert!(crl.starts_with("-----BEGIN X509 CRL-----"), "{crl}");
    }
}
