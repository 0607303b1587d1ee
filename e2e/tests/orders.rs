//! Payment queries end to end on every adapter: what the platform answers (paid, not paid, no
//! such order, bad signature) reaches the caller as the right value or the right error class.

use chinaums::{Credentials, ErrorClass, PaymentState};
use chinaums_e2e::{Adapter, core, demo, on_every_adapter, query};
use chinaums_sandbox::{DEMO_PAID_ORDER, DEMO_UNPAID_ORDER};

fn a_paid_order_is_paid_with_its_amount<A: Adapter>() {
    let sandbox = demo();
    let answer = A::new(core(&sandbox)).run(&query(DEMO_PAID_ORDER)).unwrap();
    assert!(answer.is_paid());
    assert_eq!(answer.state(), PaymentState::Paid);
    assert_eq!(answer.total_amount.map(|f| f.get()), Some(100));
    assert_eq!(answer.mer_order_id.as_deref(), Some(DEMO_PAID_ORDER));
    assert_eq!(sandbox.request_count(), 1);
}

fn an_unpaid_order_is_not_paid<A: Adapter>() {
    let sandbox = demo();
    let answer = A::new(core(&sandbox))
        .run(&query(DEMO_UNPAID_ORDER))
        .unwrap();
    assert!(!answer.is_paid());
    assert_eq!(answer.state(), PaymentState::NotPaid);
    assert_eq!(answer.total_amount.map(|f| f.get()), Some(2500));
    assert_eq!(answer.mer_order_id.as_deref(), Some(DEMO_UNPAID_ORDER));
}

fn an_unknown_order_is_not_found<A: Adapter>() {
    let sandbox = demo();
    let error = A::new(core(&sandbox))
        .run(&query("3194NOSUCHORDER0001"))
        .unwrap_err();
    assert_eq!(error.class(), ErrorClass::NotFound, "{error}");
    assert_eq!(error.err_code(), Some("NO_ORDER"));
    assert_eq!(error.status().map(|s| s.as_u16()), Some(200));
}

fn a_wrong_app_key_is_an_auth_error<A: Adapter>() {
    let sandbox = demo();
    let core = chinaums::Client::new(
        Credentials::new(sandbox.app_id(), "not-the-right-app-key"),
        sandbox.environment(),
    );
    let error = A::new(core).run(&query(DEMO_PAID_ORDER)).unwrap_err();
    assert_eq!(error.class(), ErrorClass::Auth, "{error}");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(error.err_code(), Some("BAD_SIGN"));
}

on_every_adapter!(
    a_paid_order_is_paid_with_its_amount,
    an_unpaid_order_is_not_paid,
    an_unknown_order_is_not_found,
    a_wrong_app_key_is_an_auth_error,
);
