//! `RefundQuery`: the signed request and every decision of its answer. Data under
//! `tests/data/refund_query/`.

mod support;

use chinaums::{Environment, Fen, RefundQuery, RefundState, TradeStatus};
use support::*;

#[test]
fn snapshot_of_a_signed_refund_query() {
    let client = fixed_client(Environment::Test);
    let all = RefundQuery::new(&merchant(), order());
    snapshot("refund_query", describe(&client.prepare(&all).unwrap()));
    let one = all.refund_order_id(refund_id());
    snapshot(
        "refund_query_one_refund",
        describe(&client.prepare(&one).unwrap()),
    );
}

#[test]
fn every_decision_of_the_answer() {
    let client = fixed_client(Environment::Test);
    let parse = |body: &str| client.parse::<RefundQuery>(&ok(body)).unwrap();
    let done = parse(include_str!("data/refund_query/refunded.json"));
    assert_eq!(done.state(), RefundState::Refunded);
    assert_eq!(
        (done.refund_amount, done.total_amount),
        (Some(Fen(50)), Some(Fen(100)))
    );
    assert_eq!(done.status, Some(TradeStatus::TradeRefund));
    assert_eq!(done.mer_name.as_deref(), Some("测试商户"));
    assert_eq!(done.extra["connectSys"], "UNIONPAY");
    let unknown = parse(include_str!("data/refund_query/unknown.json"));
    assert_eq!(unknown.state(), RefundState::Pending);
    let odd = parse(r#"{"errCode":"SUCCESS","refundStatus":"PARTIAL"}"#);
    assert_eq!(odd.state(), RefundState::Unknown(Some("PARTIAL".into())));
}

#[test]
fn a_refund_query_is_safe_to_repeat_so_it_carries_no_follow_up() {
    use chinaums::{Delivery, ErrorClass, Step, TransportError, TransportErrorKind};
    let client = fixed_client(Environment::Test);
    let mut call = client
        .call(&RefundQuery::new(&merchant(), order()))
        .unwrap();
    let Step::Send(_) = call.start() else {
        panic!()
    };
    let Step::Done(Err(error)) = call.receive(Err(TransportError::new(
        Delivery::MaybeSent,
        TransportErrorKind::Timeout,
        "slow",
    ))) else {
        panic!()
    };
    assert_eq!(error.class(), ErrorClass::OutcomeUnknown);
    assert!(error.follow_up().is_none());
}
