//! HTTPS on every adapter against the sandbox's TLS listener (a certificate from a CA generated
//! at start): trusted with the extra root, refused before sending without it; and a handshake
//! that never completes, where the adapters legitimately differ in what they can tell.

use std::net::TcpListener;
use std::time::Duration;

use chinaums::{Delivery, ErrorClass, TransportErrorKind};
use chinaums_e2e::{
    Adapter, Kind, Options, assert_connections, assert_transport_error, core, core_at,
    on_every_adapter, query,
};
use chinaums_sandbox::{DEMO_PAID_ORDER, DEMO_UNPAID_ORDER, Sandbox};

fn tls_sandbox() -> Sandbox {
    let sandbox = Sandbox::builder()
        .seed_demo(true)
        .tls(true)
        .start()
        .expect("the TLS sandbox starts");
    assert!(sandbox.base_url().starts_with("https://127.0.0.1:"));
    sandbox
}

fn https_works_with_the_sandbox_root<A: Adapter>() {
    let sandbox = tls_sandbox();
    let pem = sandbox
        .ca_cert_pem()
        .expect("a TLS sandbox has a certificate");
    let client = A::with(core(&sandbox), &Options::new().root_pem(pem));
    let answer = client.run(&query(DEMO_PAID_ORDER)).unwrap();
    assert!(answer.is_paid());
    assert_eq!(answer.total_amount.map(|f| f.get()), Some(100));
    assert!(!client.run(&query(DEMO_UNPAID_ORDER)).unwrap().is_paid());
    assert_eq!(sandbox.request_count(), 2);
    // TLS connections are reused too.
    assert_connections::<A>(sandbox.connection_count(), 1, 1);
}

fn https_without_the_sandbox_root_fails_before_sending<A: Adapter>() {
    let sandbox = tls_sandbox();
    let error = A::new(core(&sandbox))
        .run(&query(DEMO_PAID_ORDER))
        .unwrap_err();
    assert_transport_error(
        &error,
        ErrorClass::Retryable,
        Delivery::NotSent,
        TransportErrorKind::Tls,
    );
    // "Not sent" is the truth: the sandbox accepted the connection but never saw a request.
    assert_eq!(sandbox.connection_count(), 1);
    assert_eq!(sandbox.request_count(), 0);
}

/// A server that accepts TCP (the kernel does, from the backlog) but never answers the TLS
/// ClientHello: the deadline strikes while still connecting.
fn a_stalled_tls_handshake_times_out<A: Adapter>() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let core = core_at(&format!("https://127.0.0.1:{port}"));
    let client = A::with(core, &Options::new().timeout(Duration::from_millis(300)));
    let error = client.run(&query(DEMO_PAID_ORDER)).unwrap_err();
    let (delivery, class) = match A::KIND {
        // One deadline around the pooled hyper client, which does not say how far a request
        // got when it is cancelled: a timeout is always reported as maybe sent.
        Kind::Tokio | Kind::TokioMultiThread => (Delivery::MaybeSent, ErrorClass::OutcomeUnknown),
        // ureq raises a flag when the first request byte is handed to the connection, and
        // the async-std adapter (also under smol) connects before it hands hyper a request:
        // both know the connection was still being opened, so nothing was sent.
        Kind::AsyncStd | Kind::Smol | Kind::Ureq => (Delivery::NotSent, ErrorClass::Retryable),
    };
    assert_transport_error(&error, class, delivery, TransportErrorKind::Timeout);
    drop(listener);
}

on_every_adapter!(
    https_works_with_the_sandbox_root,
    https_without_the_sandbox_root_fails_before_sending,
    a_stalled_tls_handshake_times_out,
);
