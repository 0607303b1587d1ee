//! HTTPS: a freshly generated CA and a server certificate for `127.0.0.1` and `localhost`
//! that it signed, served with rustls and the ring provider.

use std::io;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

/// The generated certificates and the acceptor that serves them.
pub(crate) struct Identity {
    /// The CA certificate (PEM) that clients trust.
    pub ca_pem: String,
    /// The server side of the handshake.
    pub acceptor: TlsAcceptor,
}

fn other(what: &str, e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("{what}: {e}"))
}

impl Identity {
    /// Generates a CA and a leaf certificate for 127.0.0.1 and localhost.
    pub fn generate() -> io::Result<Identity> {
        let cert_error = |e: rcgen::Error| other("cannot generate the TLS certificate", e);
        let ca_key = KeyPair::generate().map_err(cert_error)?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(cert_error)?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let mut ca_name = DistinguishedName::new();
        ca_name.push(DnType::CommonName, "chinaums-sandbox local CA");
        ca_params.distinguished_name = ca_name;
        let ca_cert = ca_params.self_signed(&ca_key).map_err(cert_error)?;
        let ca = Issuer::new(ca_params, ca_key);

        let leaf_key = KeyPair::generate().map_err(cert_error)?;
        let mut leaf_params =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
                .map_err(cert_error)?;
        let mut leaf_name = DistinguishedName::new();
        leaf_name.push(DnType::CommonName, "chinaums-sandbox");
        leaf_params.distinguished_name = leaf_name;
        leaf_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        leaf_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let leaf_cert = leaf_params.signed_by(&leaf_key, &ca).map_err(cert_error)?;

        let chain: Vec<CertificateDer<'static>> =
            vec![leaf_cert.der().clone(), ca_cert.der().clone()];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| other("TLS configuration", e))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| other("TLS certificate", e))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Identity {
            ca_pem: ca_cert.pem(),
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }
}
