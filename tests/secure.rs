//! `SecureComplete` and `SecureCancel`: the signed requests, their answers, and a second
//! cancel. Data under `tests/data/secure/`.

mod support;

use chinaums::{Environment, Error, ErrorClass, Fen, SecureCancel, SecureComplete, SecureStatus};
use support::*;

#[test]
fn snapshots_of_signed_guarantee_operations() {
    let client = fixed_client(Environment::Test);
    let complete = SecureComplete::new(&merchant(), order(), Fen(80));
    snapshot(
        "secure_complete",
        describe(&client.prepare(&complete).unwrap()),
    );
    let cancel = SecureCancel::new(&merchant(), order());
    snapshot("secure_cancel", describe(&client.prepare(&cancel).unwrap()));
}

#[test]
fn a_zero_completion_is_refused_before_signing() {
    let client = fixed_client(Environment::Test);
    let Err(Error::InvalidField(e)) =
        client.prepare(&SecureComplete::new(&merchant(), order(), Fen(0)))
    else {
        panic!()
    };
    assert_eq!(e.field, "completedAmount");
}

#[test]
fn answers_say_where_the_guarantee_stands() {
    let client = fixed_client(Environment::Test);
    let partly = client
        .parse::<SecureComplete>(&ok(include_str!("data/secure/partly_completed.json")))
        .unwrap();
    assert_eq!(partly.secure_status, Some(SecureStatus::PartlyCompleted));
    assert_eq!(partly.completed_amount, Some(Fen(80)));
    assert_eq!(partly.order.total_amount, Some(Fen(100)));
    let cancelled = client
        .parse::<SecureCancel>(&ok(include_str!("data/secure/cancelled.json")))
        .unwrap();
    assert_eq!(cancelled.secure_status, Some(SecureStatus::Canceled));
    let odd = client
        .parse::<SecureCancel>(&ok(r#"{"errCode":"SUCCESS","secureStatus":"FROZEN"}"#))
        .unwrap();
    assert_eq!(
        odd.secure_status,
        Some(SecureStatus::Other("FROZEN".into()))
    );
}

#[test]
fn a_second_cancel_says_has_cancelled() {
    let client = fixed_client(Environment::Test);
    let error = client
        .parse::<SecureCancel>(&ok(include_str!("data/secure/has_cancelled.json")))
        .unwrap_err();
    assert_eq!(error.err_code(), Some("HAS_CANCELLED"));
    assert_eq!(error.class(), ErrorClass::Rejected);
}
