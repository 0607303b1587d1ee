//! HTTPS: the generated CA verifies the server for 127.0.0.1 and localhost, with a blocking
//! rustls client (ring provider) over `std::net::TcpStream`.

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::sync::Arc;

use chinaums_sandbox::{DEMO_PAID_ORDER, Fault, Sandbox};
use common::*;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

fn config(roots: RootCertStore) -> Arc<ClientConfig> {
    Arc::new(
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

fn trusting(sandbox: &Sandbox) -> Arc<ClientConfig> {
    let pem = sandbox.ca_cert_pem().expect("a TLS sandbox has a CA");
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    assert_eq!(roots.len(), 1);
    config(roots)
}

fn tls_connect(
    sandbox: &Sandbox,
    config: Arc<ClientConfig>,
    name: &str,
) -> Conn<StreamOwned<ClientConnection, TcpStream>> {
    let tcp = TcpStream::connect(sandbox.addr()).unwrap();
    tcp.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    tcp.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    let name = ServerName::try_from(name.to_owned()).unwrap();
    Conn::new(StreamOwned::new(
        ClientConnection::new(config, name).unwrap(),
        tcp,
    ))
}

#[test]
fn https_is_served_and_verifies_for_ip_and_localhost() {
    let sandbox = Sandbox::builder()
        .seed_demo(true)
        .tls(true)
        .start()
        .unwrap();
    assert_eq!(
        sandbox.base_url(),
        format!("https://127.0.0.1:{}", sandbox.port())
    );
    assert!(
        sandbox
            .ca_cert_pem()
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
    let config = trusting(&sandbox);
    for name in ["127.0.0.1", "localhost"] {
        let mut stream = tls_connect(&sandbox, Arc::clone(&config), name);
        // Two requests on one TLS connection.
        for _ in 0..2 {
            let raw = stream.exchange(&signed_query(&sandbox, DEMO_PAID_ORDER));
            assert_eq!(raw.status, 200, "{name}");
            assert_eq!(raw.json()["status"], "TRADE_SUCCESS");
        }
        assert_eq!(
            stream.stream.conn.alpn_protocol(),
            None,
            "the client offered no ALPN"
        );
    }
    assert_eq!(sandbox.connection_count(), 2);
    assert_eq!(sandbox.request_count(), 4);
}

#[test]
fn an_untrusting_client_fails_the_handshake() {
    let sandbox = Sandbox::builder().tls(true).start().unwrap();
    let mut stream = tls_connect(&sandbox, config(RootCertStore::empty()), "127.0.0.1");
    let error = stream.write_all(b"POST / HTTP/1.1\r\n\r\n").unwrap_err();
    assert!(error.to_string().contains("UnknownIssuer"), "{error}");
    // Another sandbox's CA is not this one's.
    let other = Sandbox::builder().tls(true).start().unwrap();
    let mut stream = tls_connect(&sandbox, trusting(&other), "127.0.0.1");
    assert!(stream.write_all(b"POST / HTTP/1.1\r\n\r\n").is_err());
    // A name the certificate does not cover.
    let mut stream = tls_connect(&sandbox, trusting(&sandbox), "example.com");
    assert!(stream.write_all(b"POST / HTTP/1.1\r\n\r\n").is_err());
}

#[test]
fn faults_apply_over_tls_too() {
    let sandbox = Sandbox::builder()
        .seed_demo(true)
        .tls(true)
        .start()
        .unwrap();
    let config = trusting(&sandbox);
    sandbox.inject_fault(Fault::CutConnectionMidBody);
    let mut stream = tls_connect(&sandbox, Arc::clone(&config), "localhost");
    stream
        .write_all(&request_bytes(&signed_query(&sandbox, DEMO_PAID_ORDER)))
        .unwrap();
    let error = stream.read_response().unwrap_err();
    // Either the body is short, or rustls reports the missing close_notify.
    assert!(
        error.kind() == std::io::ErrorKind::UnexpectedEof,
        "{error:?}"
    );
    sandbox.inject_fault(Fault::InternalServerError);
    let mut stream = tls_connect(&sandbox, config, "localhost");
    let raw = stream.exchange(&signed_query(&sandbox, DEMO_PAID_ORDER));
    assert_eq!(raw.status, 500);
}

#[test]
fn plain_http_is_not_answered_on_a_tls_port() {
    let sandbox = Sandbox::builder()
        .seed_demo(true)
        .tls(true)
        .start()
        .unwrap();
    let mut stream = connect(&sandbox);
    stream
        .write_all(&request_bytes(&signed_query(&sandbox, DEMO_PAID_ORDER)))
        .unwrap();
    let bytes = stream.read_to_close();
    assert!(!bytes.starts_with(b"HTTP/1.1"), "{bytes:?}");
    assert_eq!(sandbox.request_count(), 0);
}

#[test]
fn connections_over_the_limit_get_a_503_over_tls_too() {
    let sandbox = Sandbox::builder()
        .seed_demo(true)
        .tls(true)
        .max_connections(1)
        .start()
        .unwrap();
    let config = trusting(&sandbox);
    let mut held = tls_connect(&sandbox, Arc::clone(&config), "localhost");
    let raw = held.exchange(&signed_query(&sandbox, DEMO_PAID_ORDER));
    assert_eq!(raw.status, 200);
    // The refusal comes after the handshake, so the client can read it.
    let mut refused = tls_connect(&sandbox, config, "localhost");
    // The sandbox answers without reading the request: a failed write is fine.
    let _ = refused.write_all(&request_bytes(&signed_query(&sandbox, DEMO_PAID_ORDER)));
    let raw = refused.read_response().unwrap();
    assert_eq!(raw.status, 503);
    assert_eq!(raw.err_code(), "SERVICE_UNAVAILABLE");
    assert_eq!(raw.header("connection"), Some("close"));
    assert_eq!(sandbox.request_count(), 1);
}
