//! `Refund`: the signed request, the rules checked before signing, every decision of its answer,
//! and the follow-up an unknown outcome carries. Data under `tests/data/refund/`.

mod support;

use chinaums::{
    Delivery, Environment, Error, ErrorClass, Fen, Refund, RefundState, RefundStatus,
    RefundSubOrder, Step, TradeStatus, TransportError, TransportErrorKind,
};
use support::*;

fn refund(amount: u64) -> Refund {
    Refund::new(&merchant(), order(), refund_id(), Fen(amount))
}

#[test]
fn snapshot_of_a_signed_refund() {
    let client = fixed_client(Environment::Test);
    snapshot("refund", describe(&client.prepare(&refund(50)).unwrap()));
    let split = refund(100).refund_desc("退货").split(
        Fen(10),
        vec![RefundSubOrder {
            mid: "898201612345679".parse().unwrap(),
            mer_order_id: None,
            refund_order_id: Some("31942024010112000300000002".parse().unwrap()),
            total_amount: Fen(90),
        }],
    );
    snapshot("refund_split", describe(&client.prepare(&split).unwrap()));
}

#[test]
fn amounts_are_checked_before_signing() {
    let client = fixed_client(Environment::Test);
    let field = |refund: Refund| match client.prepare(&refund) {
        Err(Error::InvalidField(e)) => (e.field, e.rule),
        other => panic!("{other:?}"),
    };
    assert_eq!(field(refund(0)).0, "refundAmount");
    let mid: chinaums::Mid = "898201612345679".parse().unwrap();
    let share = |fen| RefundSubOrder {
        mid: mid.clone(),
        mer_order_id: None,
        refund_order_id: None,
        total_amount: Fen(fen),
    };
    let (f, rule) = field(refund(100).split(Fen(10), vec![share(80)]));
    assert_eq!(f, "subOrders");
    assert!(rule.contains("100") && rule.contains("90"), "{rule}");
    let (f, _) = field(refund(100).split(Fen(u64::MAX), vec![share(1)]));
    assert_eq!(f, "subOrders", "an overflowing sum is refused, not wrapped");
    assert_eq!(
        field(refund(5).refund_desc("x".repeat(256))).0,
        "refundDesc"
    );
    // Shares that add up are accepted.
    assert!(
        client
            .prepare(&refund(100).split(Fen(10), vec![share(90)]))
            .is_ok()
    );
}

#[test]
fn every_decision_of_the_answer() {
    let client = fixed_client(Environment::Test);
    let parse = |body: &str| client.parse::<Refund>(&ok(body)).unwrap();
    let done = parse(include_str!("data/refund/refunded.json"));
    assert_eq!(done.state(), RefundState::Refunded);
    assert_eq!(done.refund_amount, Some(Fen(50)));
    assert_eq!(done.refund_invoice_amount, Some(Fen(50)));
    assert_eq!(done.status, Some(TradeStatus::TradeRefund));
    assert_eq!(done.extra["connectSys"], "UNIONPAY");
    let pending = parse(include_str!("data/refund/processing_string_amounts.json"));
    assert_eq!(pending.state(), RefundState::Pending);
    assert_eq!(
        (pending.refund_amount, pending.total_amount),
        (Some(Fen(50)), Some(Fen(100)))
    );
    assert_eq!(pending.settle_date, None, "an empty date is absent");
    let failed = parse(include_str!("data/refund/failed.json"));
    assert_eq!(failed.state(), RefundState::NotRefunded);
    let odd = parse(include_str!("data/refund/unknown_status.json"));
    assert_eq!(
        odd.refund_status,
        Some(RefundStatus::Other("REFUND_HELD".into()))
    );
    assert_eq!(
        odd.state(),
        RefundState::Unknown(Some("REFUND_HELD".into()))
    );
    let bare = parse(r#"{"errCode":"SUCCESS"}"#);
    assert_eq!(bare.state(), RefundState::Unknown(None));
    let unknown = parse(r#"{"errCode":"SUCCESS","refundStatus":"UNKNOWN"}"#);
    assert_eq!(unknown.state(), RefundState::Pending);
}

/// A refund whose outcome is unknown is never a failure: the error says what to ask, and
/// carries the ids to ask it.
#[test]
fn an_unknown_outcome_names_the_refund_query_to_ask() {
    let client = fixed_client(Environment::Test);
    let finish = |outcome| {
        let mut call = client.call(&refund(50)).unwrap();
        let Step::Send(_) = call.start() else {
            panic!()
        };
        match call.receive(outcome) {
            Step::Done(Err(error)) => error,
            other => panic!("{other:?}"),
        }
    };
    let timed_out = finish(Err(TransportError::new(
        Delivery::MaybeSent,
        TransportErrorKind::Timeout,
        "no answer",
    )));
    let unreadable = finish(Ok(ok(r#"{"errCode":"SUCCESS","refundAmount":1.5}"#)));
    let busy_channel = finish(Ok(ok(r#"{"errCode":"TIMEOUT"}"#)));
    for error in [timed_out, unreadable, busy_channel] {
        assert_eq!(error.class(), ErrorClass::OutcomeUnknown, "{error}");
        let follow_up = error.follow_up().expect("a follow-up");
        let query = follow_up.refund_query().expect("a refund query");
        assert_eq!(query.mer_order_id, order());
        assert_eq!(query.refund_order_id, Some(refund_id()));
        let shown = error.to_string();
        assert!(
            shown.contains("outcome unknown")
                && shown.contains("RefundQuery")
                && shown.contains("31942024010112000300000001"),
            "{shown}"
        );
    }
    // A definite failure carries no follow-up: nothing to ask.
    let not_sent = finish(Err(TransportError::new(
        Delivery::NotSent,
        TransportErrorKind::Connect,
        "refused",
    )));
    assert_eq!(not_sent.class(), ErrorClass::Retryable);
    assert!(not_sent.follow_up().is_none());
    let no_order = finish(Ok(ok(r#"{"errCode":"NO_ORDER"}"#)));
    assert_eq!(no_order.class(), ErrorClass::NotFound);
    assert!(no_order.follow_up().is_none());
    assert_eq!(no_order.err_code(), Some("NO_ORDER"));
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// No amounts make the builder or the checks panic; a split is accepted exactly when
        /// its shares add up.
        #[test]
        fn split_amounts_never_panic(refund_amount in any::<u64>(), platform in any::<u64>(), shares in proptest::collection::vec(any::<u64>(), 0..4)) {
            let client = fixed_client(Environment::Test);
            let mid: chinaums::Mid = "898201612345679".parse().unwrap();
            let subs = shares.iter().map(|&fen| RefundSubOrder { mid: mid.clone(), mer_order_id: None, refund_order_id: None, total_amount: Fen(fen) }).collect();
            let result = client.prepare(&refund(refund_amount).split(Fen(platform), subs));
            let sum = shares.iter().try_fold(platform, |a, &b| a.checked_add(b));
            prop_assert_eq!(result.is_ok(), refund_amount > 0 && sum == Some(refund_amount));
        }

        /// No bytes make the answer parser panic.
        #[test]
        fn answers_never_panic(body in proptest::collection::vec(any::<u8>(), 0..256)) {
            let client = fixed_client(Environment::Test);
            let _ = client.parse::<Refund>(&chinaums::test_response(http::StatusCode::OK, body));
        }
    }
}
