//! The client passes the ring provider to ureq explicitly: it neither installs a process-wide
//! default provider nor uses one that something else installed. (Its own test binary, because
//! the process-wide default cannot be uninstalled.)

use std::sync::Arc;

use chinaums::{Merchant, PaymentQuery, TransportConfig};
use chinaums_sandbox::{DEMO_INST_MID, DEMO_MID, DEMO_PAID_ORDER, DEMO_TID, Sandbox};
use chinaums_ureq::{Client, chinaums};
use rustls::crypto::CryptoProvider;

#[test]
fn ring_is_passed_explicitly_and_no_process_default_is_used_or_installed() {
    let sandbox = Sandbox::builder()
        .seed_demo(true)
        .tls(true)
        .start()
        .unwrap();
    let ca = sandbox.ca_cert_pem().unwrap();
    let client = || {
        let core = chinaums::Client::new(sandbox.credentials(), sandbox.environment());
        let transport = TransportConfig::new()
            .add_root_certificate_pem(ca.as_bytes())
            .unwrap();
        Client::builder(core)
            .with_transport(transport)
            .build()
            .unwrap()
    };
    let merchant = Merchant::new(DEMO_MID, DEMO_TID, DEMO_INST_MID).unwrap();
    let query = PaymentQuery::new(&merchant, DEMO_PAID_ORDER.parse().unwrap());

    assert!(client().execute(&query).unwrap().is_paid());
    assert!(
        CryptoProvider::get_default().is_none(),
        "the client installed a process-wide provider"
    );

    // A process default that cannot negotiate anything: ureq would prefer it over ring if the
    // client did not pass its provider explicitly.
    let useless = CryptoProvider {
        cipher_suites: Vec::new(),
        kx_groups: Vec::new(),
        ..rustls::crypto::ring::default_provider()
    };
    assert!(useless.install_default().is_ok());
    assert!(CryptoProvider::get_default().is_some());
    let answer = client().execute(&query).unwrap();
    assert!(answer.is_paid());

    // And it really would have failed with that provider.
    let broken = rustls::ClientConfig::builder_with_provider(Arc::clone(
        CryptoProvider::get_default().unwrap(),
    ))
    .with_safe_default_protocol_versions();
    assert!(broken.is_err());
}
