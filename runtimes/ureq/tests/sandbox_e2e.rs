//! End to end over real HTTP (and HTTPS) against the local `chinaums-sandbox` on 127.0.0.1.

use std::net::TcpListener;
use std::time::Duration;

use chinaums::netpay::PaymentQuery;
use chinaums::{
    Credentials, Delivery, Error, ErrorClass, PaymentState, TransportError, TransportErrorKind,
};
use chinaums_sandbox::{
    DEMO_INST_MID, DEMO_MID, DEMO_PAID_ORDER, DEMO_TID, DEMO_UNPAID_ORDER, Fault, Sandbox,
};
use chinaums_ureq::{Client, chinaums};

fn query(order: &str) -> PaymentQuery {
    PaymentQuery::new(DEMO_MID, DEMO_TID, DEMO_INST_MID, order)
}

fn core(sandbox: &Sandbox) -> chinaums::Client {
    chinaums::Client::new(sandbox.credentials(), sandbox.environment())
}

fn client(sandbox: &Sandbox) -> Client {
    Client::builder(core(sandbox))
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

fn transport(e: &Error) -> &TransportError {
    match e {
        Error::Transport(t) => t,
        other => panic!("expected a transport error, got {other:?}"),
    }
}

/// The client still works after a failure (no poisoned pooled connection).
fn assert_recovers(client: &Client) {
    let answer = client.execute(&query(DEMO_PAID_ORDER)).unwrap();
    assert_eq!(answer.state(), PaymentState::Paid);
}

#[test]
fn a_paid_order_is_paid_with_its_amount() {
    let sandbox = Sandbox::start_demo().unwrap();
    let answer = client(&sandbox).execute(&query(DEMO_PAID_ORDER)).unwrap();
    assert!(answer.is_paid());
    assert_eq!(answer.state(), PaymentState::Paid);
    assert_eq!(answer.total_amount.map(|f| f.get()), Some(100));
    assert_eq!(answer.mer_order_id.as_deref(), Some(DEMO_PAID_ORDER));
    assert_eq!(sandbox.request_count(), 1);
}

#[test]
fn an_unpaid_order_is_not_paid() {
    let sandbox = Sandbox::start_demo().unwrap();
    let answer = client(&sandbox).execute(&query(DEMO_UNPAID_ORDER)).unwrap();
    assert!(!answer.is_paid());
    assert_eq!(answer.state(), PaymentState::NotPaid);
    assert_eq!(answer.total_amount.map(|f| f.get()), Some(2500));
}

#[test]
fn an_unknown_order_is_not_found() {
    let sandbox = Sandbox::start_demo().unwrap();
    let e = client(&sandbox)
        .execute(&query("3194NOSUCHORDER01"))
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::NotFound, "{e}");
    assert_eq!(e.err_code(), Some("NO_ORDER"));
    assert_eq!(e.status().map(|s| s.as_u16()), Some(200));
}

#[test]
fn a_wrong_app_key_is_an_auth_failure() {
    let sandbox = Sandbox::start_demo().unwrap();
    let core = chinaums::Client::new(
        Credentials::new(sandbox.app_id(), "not-the-right-key"),
        sandbox.environment(),
    );
    let e = Client::new(core)
        .unwrap()
        .execute(&query(DEMO_PAID_ORDER))
        .unwrap_err();
    assert_eq!(e.class(), ErrorClass::Auth, "{e}");
    assert_eq!(e.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(e.err_code(), Some("BAD_SIGN"));
}

#[test]
fn a_short_delay_is_only_a_delay() {
    let sandbox = Sandbox::start_demo().unwrap();
    sandbox.inject_fault(Fault::Delay(Duration::from_millis(50)));
    assert_recovers(&client(&sandbox));
}

#[test]
fn a_dropped_connection_has_an_unknown_outcome() {
    let sandbox = Sandbox::start_demo().unwrap();
    let client = client(&sandbox);
    sandbox.inject_fault(Fault::DropConnection);
    let e = client.execute(&query(DEMO_PAID_ORDER)).unwrap_err();
    let t = transport(&e);
    assert_eq!(
        (t.delivery, t.kind),
        (Delivery::MaybeSent, TransportErrorKind::Io),
        "{e}"
    );
    assert_eq!(e.class(), ErrorClass::OutcomeUnknown);
    assert_eq!(sandbox.request_count(), 1);
    assert_recovers(&client);
}

#[test]
fn an_internal_server_error_has_an_unknown_outcome() {
    let sandbox = Sandbox::start_demo().unwrap();
    let client = client(&sandbox);
    sandbox.inject_fault(Fault::InternalServerError);
    let e = client.execute(&query(DEMO_PAID_ORDER)).unwrap_err();
    assert!(matches!(e, Error::Http(_)), "{e:?}");
    assert_eq!(e.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(e.class(), ErrorClass::OutcomeUnknown);
    assert!(e.to_string().contains("Internal Server Error"), "{e}");
    assert_recovers(&client);
}

#[test]
fn garbage_is_a_decode_error_with_an_unknown_outcome() {
    let sandbox = Sandbox::start_demo().unwrap();
    let client = client(&sandbox);
    sandbox.inject_fault(Fault::Garbage);
    let e = client.execute(&query(DEMO_PAID_ORDER)).unwrap_err();
    assert!(matches!(e, Error::Decode(_)), "{e:?}");
    assert_eq!(e.class(), ErrorClass::OutcomeUnknown);
    assert_recovers(&client);
}

#[test]
fn truncated_json_is_a_decode_error_with_an_unknown_outcome() {
    let sandbox = Sandbox::start_demo().unwrap();
    let client = client(&sandbox);
    sandbox.inject_fault(Fault::TruncatedJson);
    let e = client.execute(&query(DEMO_PAID_ORDER)).unwrap_err();
    assert!(matches!(e, Error::Decode(_)), "{e:?}");
    assert_eq!(e.status().map(|s| s.as_u16()), Some(200));
    assert_eq!(e.class(), ErrorClass::OutcomeUnknown);
    assert_recovers(&client);
}

#[test]
fn a_connection_cut_mid_body_has_an_unknown_outcome() {
    let sandbox = Sandbox::start_demo().unwrap();
    let client = client(&sandbox);
    sandbox.inject_fault(Fault::CutConnectionMidBody);
    let e = client.execute(&query(DEMO_PAID_ORDER)).unwrap_err();
    let t = transport(&e);
    assert_eq!(
        (t.delivery, t.kind),
        (Delivery::MaybeSent, TransportErrorKind::Io),
        "{e}"
    );
    assert_eq!(e.class(), ErrorClass::OutcomeUnknown);
    assert_recovers(&client);
}

#[test]
fn a_huge_body_under_the_cap_is_read_and_one_over_it_is_refused() {
    let sandbox = Sandbox::start_demo().unwrap();
    let client = Client::builder(core(&sandbox))
        .max_response_bytes(16 * 1024)
        .build()
        .unwrap();
    sandbox.inject_fault(Fault::HugeBody(8 * 1024));
    assert!(client.execute(&query(DEMO_PAID_ORDER)).unwrap().is_paid());

    sandbox.inject_fault(Fault::HugeBody(64 * 1024));
    let e = client.execute(&query(DEMO_PAID_ORDER)).unwrap_err();
    let t = transport(&e);
    assert_eq!(
        (t.delivery, t.kind),
        (Delivery::MaybeSent, TransportErrorKind::BodyTooLarge),
        "{e}"
    );
    assert_eq!(e.class(), ErrorClass::OutcomeUnknown);
    assert_recovers(&client);
}

#[test]
fn the_default_cap_refuses_a_body_over_one_mebibyte() {
    let sandbox = Sandbox::start_demo().unwrap();
    sandbox.inject_fault(Fault::HugeBody(2 * 1024 * 1024));
    let e = Client::new(core(&sandbox))
        .unwrap()
        .execute(&query(DEMO_PAID_ORDER))
        .unwrap_err();
    assert_eq!(transport(&e).kind, TransportErrorKind::BodyTooLarge, "{e}");
}

#[test]
fn a_delay_longer_than_the_timeout_has_an_unknown_outcome() {
    let sandbox = Sandbox::start_demo().unwrap();
    let client = Client::builder(core(&sandbox))
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    sandbox.inject_fault(Fault::Delay(Duration::from_secs(2)));
    let e = client.execute(&query(DEMO_PAID_ORDER)).unwrap_err();
    let t = transport(&e);
    assert_eq!(
        (t.delivery, t.kind),
        (Delivery::MaybeSent, TransportErrorKind::Timeout),
        "{e}"
    );
    assert_eq!(e.class(), ErrorClass::OutcomeUnknown);
    assert_eq!(sandbox.request_count(), 1);
}

#[test]
fn a_refused_connection_was_not_sent() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let core = chinaums::Client::new(
        Credentials::new("app", "key"),
        chinaums::Environment::custom(&format!("http://127.0.0.1:{port}")).unwrap(),
    );
    let e = Client::new(core)
        .unwrap()
        .execute(&query(DEMO_PAID_ORDER))
        .unwrap_err();
    let t = transport(&e);
    assert_eq!(
        (t.delivery, t.kind),
        (Delivery::NotSent, TransportErrorKind::Connect),
        "{e}"
    );
    assert_eq!(e.class(), ErrorClass::Retryable);
}

#[test]
fn sequential_queries_reuse_one_connection() {
    let sandbox = Sandbox::start_demo().unwrap();
    let client = client(&sandbox);
    for order in [
        DEMO_PAID_ORDER,
        DEMO_UNPAID_ORDER,
        DEMO_PAID_ORDER,
        DEMO_UNPAID_ORDER,
    ] {
        client.execute(&query(order)).unwrap();
    }
    // A clone shares the pool.
    client.clone().execute(&query(DEMO_PAID_ORDER)).unwrap();
    assert_eq!(sandbox.request_count(), 5);
    assert_eq!(sandbox.connection_count(), 1);
}

#[test]
fn https_works_with_the_extra_root_and_fails_not_sent_without_it() {
    let sandbox = Sandbox::builder()
        .seed_demo(true)
        .tls(true)
        .start()
        .unwrap();
    assert!(sandbox.base_url().starts_with("https://"));
    let ca = sandbox.ca_cert_pem().unwrap();

    let trusting = Client::builder(core(&sandbox))
        .add_root_certificate_pem(ca.as_bytes())
        .unwrap()
        .build()
        .unwrap();
    let answer = trusting.execute(&query(DEMO_PAID_ORDER)).unwrap();
    assert!(answer.is_paid());
    trusting.execute(&query(DEMO_UNPAID_ORDER)).unwrap();
    assert_eq!(
        sandbox.connection_count(),
        1,
        "TLS connections are reused too"
    );

    let e = Client::new(core(&sandbox))
        .unwrap()
        .execute(&query(DEMO_PAID_ORDER))
        .unwrap_err();
    let t = transport(&e);
    assert_eq!(
        (t.delivery, t.kind),
        (Delivery::NotSent, TransportErrorKind::Tls),
        "{e}"
    );
    assert_eq!(e.class(), ErrorClass::Retryable);
    assert_eq!(
        sandbox.request_count(),
        2,
        "the untrusted exchange never reached HTTP"
    );
}
