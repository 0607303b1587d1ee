//! Every sandbox [`Fault`] on every adapter: each gives a clear error with an honest class,
//! kind and delivery, the request reached the server exactly once, and the same client works
//! again afterwards (no poisoned pooled connection).

use std::time::Duration;

use chinaums::{Delivery, Error, ErrorClass, PaymentState, TransportErrorKind};
use chinaums_e2e::{Adapter, Options, assert_transport_error, core, demo, on_every_adapter, query};
use chinaums_sandbox::{DEMO_PAID_ORDER, Fault};

/// Runs one query with `fault` injected into its answer, checks the sandbox saw it once, then
/// checks the same client recovers; returns the faulted query's error.
fn faulted<A: Adapter>(fault: Fault, options: &Options) -> Error {
    let sandbox = demo();
    let client = A::with(core(&sandbox), options);
    sandbox.inject_fault(fault.clone());
    let error = match client.run(&query(DEMO_PAID_ORDER)) {
        Err(e) => e,
        Ok(answer) => panic!("{fault:?} gave an answer: {answer:?}"),
    };
    assert_eq!(sandbox.request_count(), 1, "{fault:?}: {error}");
    let after = client.run(&query(DEMO_PAID_ORDER)).unwrap();
    assert_eq!(after.state(), PaymentState::Paid, "{fault:?}");
    assert_eq!(sandbox.request_count(), 2, "{fault:?}");
    error
}

/// Asserts `error` is a transport error of `kind`, maybe sent, so the outcome is unknown.
fn assert_maybe_sent(error: &Error, kind: TransportErrorKind) {
    assert_transport_error(error, ErrorClass::OutcomeUnknown, Delivery::MaybeSent, kind);
}

fn a_short_delay_is_just_a_slow_answer<A: Adapter>() {
    let sandbox = demo();
    sandbox.inject_fault(Fault::Delay(Duration::from_millis(100)));
    let answer = A::new(core(&sandbox)).run(&query(DEMO_PAID_ORDER)).unwrap();
    assert!(answer.is_paid());
    assert_eq!(answer.total_amount.map(|f| f.get()), Some(100));
    assert_eq!(sandbox.request_count(), 1);
}

/// The request reached the server (it counted it), so "maybe sent" is the honest answer.
fn a_delay_past_the_timeout_is_outcome_unknown<A: Adapter>() {
    let options = Options::new().timeout(Duration::from_millis(300));
    let error = faulted::<A>(Fault::Delay(Duration::from_secs(2)), &options);
    assert_maybe_sent(&error, TransportErrorKind::Timeout);
}

fn a_dropped_connection_is_outcome_unknown<A: Adapter>() {
    let error = faulted::<A>(Fault::DropConnection, &Options::new());
    assert_maybe_sent(&error, TransportErrorKind::Io);
}

fn a_connection_cut_mid_body_is_outcome_unknown<A: Adapter>() {
    let error = faulted::<A>(Fault::CutConnectionMidBody, &Options::new());
    assert_maybe_sent(&error, TransportErrorKind::Io);
}

fn an_internal_server_error_is_outcome_unknown<A: Adapter>() {
    let error = faulted::<A>(Fault::InternalServerError, &Options::new());
    assert_eq!(error.class(), ErrorClass::OutcomeUnknown, "{error}");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(500));
    assert!(
        matches!(&error, Error::Http(e) if e.excerpt.contains("Internal Server Error")),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("Internal Server Error"),
        "{error}"
    );
}

fn garbage_is_a_decode_error_with_an_unknown_outcome<A: Adapter>() {
    let error = faulted::<A>(Fault::Garbage, &Options::new());
    assert!(matches!(error, Error::Decode(_)), "{error:?}");
    assert_eq!(error.class(), ErrorClass::OutcomeUnknown, "{error}");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(200));
}

fn truncated_json_is_a_decode_error_with_an_unknown_outcome<A: Adapter>() {
    let error = faulted::<A>(Fault::TruncatedJson, &Options::new());
    assert!(matches!(error, Error::Decode(_)), "{error:?}");
    assert_eq!(error.class(), ErrorClass::OutcomeUnknown, "{error}");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(200));
}

fn a_body_over_the_cap_is_refused<A: Adapter>() {
    let options = Options::new().max_response_bytes(16 * 1024);
    let error = faulted::<A>(Fault::HugeBody(64 * 1024), &options);
    assert_maybe_sent(&error, TransportErrorKind::BodyTooLarge);
}

/// The default 1 MiB cap, against a 2 MiB body.
fn the_default_cap_refuses_a_body_over_one_mebibyte<A: Adapter>() {
    let error = faulted::<A>(Fault::HugeBody(2 * 1024 * 1024), &Options::new());
    assert_maybe_sent(&error, TransportErrorKind::BodyTooLarge);
}

fn a_large_body_under_the_cap_is_read<A: Adapter>() {
    let sandbox = demo();
    // Under the default 1 MiB cap.
    sandbox.inject_fault(Fault::HugeBody(200 * 1024));
    let answer = A::new(core(&sandbox)).run(&query(DEMO_PAID_ORDER)).unwrap();
    assert!(answer.is_paid());
    let padding = answer.extra.get("padding").and_then(|v| v.as_str());
    assert!(padding.is_some_and(|p| p.len() > 100 * 1024));

    // Under a configured 16 KiB cap.
    let capped = A::with(
        core(&sandbox),
        &Options::new().max_response_bytes(16 * 1024),
    );
    sandbox.inject_fault(Fault::HugeBody(8 * 1024));
    let answer = capped.run(&query(DEMO_PAID_ORDER)).unwrap();
    assert!(answer.is_paid());
    let padding = answer.extra.get("padding").and_then(|v| v.as_str());
    assert!(padding.is_some_and(|p| p.len() > 4 * 1024 && p.len() <= 16 * 1024));
    assert_eq!(sandbox.request_count(), 2);
}

on_every_adapter!(
    a_short_delay_is_just_a_slow_answer,
    a_delay_past_the_timeout_is_outcome_unknown,
    a_dropped_connection_is_outcome_unknown,
    a_connection_cut_mid_body_is_outcome_unknown,
    an_internal_server_error_is_outcome_unknown,
    garbage_is_a_decode_error_with_an_unknown_outcome,
    truncated_json_is_a_decode_error_with_an_unknown_outcome,
    a_body_over_the_cap_is_refused,
    the_default_cap_refuses_a_body_over_one_mebibyte,
    a_large_body_under_the_cap_is_read,
);
