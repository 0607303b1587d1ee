//! `Close`: the signed request, its answer, and the ambiguous `OPERATION_NOT_ALLOWED`. Data under
//! `tests/data/close/`.

mod support;

use chinaums::{Close, Environment, ErrorClass, Fen, PaymentState, Step};
use support::*;

#[test]
fn snapshot_of_a_signed_close() {
    let client = fixed_client(Environment::Test);
    let close = Close::new(&merchant(), order());
    snapshot("close", describe(&client.prepare(&close).unwrap()));
}

#[test]
fn a_closed_answer_is_closed() {
    let client = fixed_client(Environment::Test);
    let closed = client
        .parse::<Close>(&ok(include_str!("data/close/closed.json")))
        .unwrap();
    assert!(closed.is_closed());
    assert_eq!(closed.state(), PaymentState::Closed);
    assert_eq!(closed.order.total_amount, Some(Fen(100)));
    // An answer whose status says paid is not a closed order, whatever errCode said.
    let paid = client
        .parse::<Close>(&ok(r#"{"errCode":"SUCCESS","status":"TRADE_SUCCESS"}"#))
        .unwrap();
    assert!(!paid.is_closed());
}

/// Already closed, or paid meanwhile: never "closed", never "rejected"; the payment query
/// decides, and the error says so.
#[test]
fn operation_not_allowed_is_an_unknown_outcome_with_the_query_to_ask() {
    let client = fixed_client(Environment::Test);
    let body = include_str!("data/close/not_allowed.json");
    assert_eq!(
        client.parse::<Close>(&ok(body)).unwrap_err().class(),
        ErrorClass::OutcomeUnknown
    );
    let mut call = client.call(&Close::new(&merchant(), order())).unwrap();
    let Step::Send(_) = call.start() else {
        panic!()
    };
    let Step::Done(Err(error)) = call.receive(Ok(ok(body))) else {
        panic!()
    };
    assert_eq!(error.class(), ErrorClass::OutcomeUnknown);
    assert_eq!(error.err_code(), Some("OPERATION_NOT_ALLOWED"));
    let query = error.follow_up().unwrap().payment_query();
    assert_eq!(query.mer_order_id, order());
    assert!(error.to_string().contains("PaymentQuery"), "{error}");
    // The same code elsewhere keeps its platform-wide meaning.
    assert_eq!(
        client
            .parse::<chinaums::PaymentQuery>(&ok(body))
            .unwrap_err()
            .class(),
        ErrorClass::Rejected
    );
}
