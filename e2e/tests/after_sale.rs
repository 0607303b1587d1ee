//! After the sale, end to end on every adapter against the sandbox's order book: refunds
//! (idempotent by refundOrderId, partial up to the total, pending then settled), closing,
//! guarantees and split confirmation. Each scenario starts its own sandbox.

use chinaums::{
    Close, ErrorClass, Fen, MerOrderId, PaymentState, Refund, RefundOrderId, RefundQuery,
    RefundState, SecureCancel, SecureComplete, SecureStatus, SubOrder, SubOrdersConfirm,
    TradeStatus,
};
use chinaums_e2e::{Adapter, core, demo, demo_merchant, on_every_adapter, query};
use chinaums_sandbox::{
    DEMO_GUARANTEED_ORDER, DEMO_PAID_ORDER, DEMO_SPLIT_ORDER, DEMO_SUB_MID, DEMO_UNPAID_ORDER,
};

fn order(id: &str) -> MerOrderId {
    id.parse().unwrap()
}

fn refund_id(id: &str) -> RefundOrderId {
    id.parse().unwrap()
}

fn refund(of: &str, id: &str, fen: u64) -> Refund {
    Refund::new(&demo_merchant(), order(of), refund_id(id), Fen(fen))
}

/// The same refund sent twice (a retry after a timeout, say) refunds once.
fn a_repeated_refund_refunds_once<A: Adapter>() {
    let sandbox = demo();
    let client = A::new(core(&sandbox));
    let first = client
        .run(&refund(DEMO_PAID_ORDER, "3194E2EREFUND0001", 40))
        .unwrap();
    assert_eq!(first.state(), RefundState::Refunded);
    let again = client
        .run(&refund(DEMO_PAID_ORDER, "3194E2EREFUND0001", 40))
        .unwrap();
    assert_eq!(again.state(), RefundState::Refunded);
    assert_eq!(again.refund_order_id.as_deref(), Some("3194E2EREFUND0001"));
    let after = client.run(&query(DEMO_PAID_ORDER)).unwrap();
    assert_eq!(
        after.refund_amount,
        Some(Fen(40)),
        "refunded once, not twice"
    );
}

/// Partial refunds that reach the paid amount leave the order refunded; one more is refused.
fn partial_refunds_up_to_the_total_refund_the_order<A: Adapter>() {
    let sandbox = demo();
    let client = A::new(core(&sandbox));
    let first = client
        .run(&refund(DEMO_PAID_ORDER, "3194E2EREFUND0001", 40))
        .unwrap();
    assert_eq!(first.state(), RefundState::Refunded);
    let rest = client
        .run(&refund(DEMO_PAID_ORDER, "3194E2EREFUND0002", 60))
        .unwrap();
    assert_eq!(rest.state(), RefundState::Refunded);
    let after = client.run(&query(DEMO_PAID_ORDER)).unwrap();
    assert_eq!(after.status, Some(TradeStatus::TradeRefund));
    assert_eq!(after.state(), PaymentState::Refunded);
    assert_eq!(after.refund_amount, Some(Fen(100)));
    let beyond = client
        .run(&refund(DEMO_PAID_ORDER, "3194E2EREFUND0003", 1))
        .unwrap_err();
    assert_eq!(beyond.class(), ErrorClass::Rejected, "{beyond}");
}

/// A refund that answers PROCESSING is pending, never failed; the refund query its ids name
/// settles it.
fn a_pending_refund_is_settled_by_the_refund_query<A: Adapter>() {
    let sandbox = demo();
    sandbox.set_refunds_pending_first(true);
    let client = A::new(core(&sandbox));
    let pending = client
        .run(&refund(DEMO_PAID_ORDER, "3194E2EREFUND0001", 30))
        .unwrap();
    assert_eq!(pending.state(), RefundState::Pending);
    let settled = client
        .run(
            &RefundQuery::new(&demo_merchant(), order(DEMO_PAID_ORDER))
                .refund_order_id(refund_id("3194E2EREFUND0001")),
        )
        .unwrap();
    assert_eq!(settled.state(), RefundState::Refunded);
    assert_eq!(settled.refund_amount, Some(Fen(30)));
}

/// Closing an unpaid order closes it; closing a paid one is never "closed": the error names
/// the payment query, which then says paid.
fn close_closes_only_unpaid_orders<A: Adapter>() {
    let sandbox = demo();
    let client = A::new(core(&sandbox));
    let closed = client
        .run(&Close::new(&demo_merchant(), order(DEMO_UNPAID_ORDER)))
        .unwrap();
    assert!(closed.is_closed());
    assert_eq!(
        client.run(&query(DEMO_UNPAID_ORDER)).unwrap().state(),
        PaymentState::Closed
    );
    let refused = client
        .run(&Close::new(&demo_merchant(), order(DEMO_PAID_ORDER)))
        .unwrap_err();
    assert_eq!(refused.class(), ErrorClass::OutcomeUnknown, "{refused}");
    assert_eq!(refused.err_code(), Some("OPERATION_NOT_ALLOWED"));
    let decide = refused.follow_up().expect("a follow-up").payment_query();
    assert!(client.run(&decide).unwrap().is_paid());
}

/// A guaranteed payment is completed in part, or cancelled once: a second cancel says so.
fn guarantees_complete_and_cancel<A: Adapter>() {
    let sandbox = demo();
    let client = A::new(core(&sandbox));
    let guaranteed = order(DEMO_GUARANTEED_ORDER);
    let direct = client
        .run(&refund(DEMO_GUARANTEED_ORDER, "3194E2EREFUND0001", 10))
        .unwrap_err();
    assert_eq!(
        direct.class(),
        ErrorClass::Rejected,
        "a guarantee is not refunded directly"
    );
    let completed = client
        .run(&SecureComplete::new(
            &demo_merchant(),
            guaranteed.clone(),
            Fen(80),
        ))
        .unwrap();
    assert_eq!(completed.secure_status, Some(SecureStatus::PartlyCompleted));

    let sandbox = demo();
    let client = A::new(core(&sandbox));
    let cancel = SecureCancel::new(&demo_merchant(), guaranteed);
    let cancelled = client.run(&cancel).unwrap();
    assert_eq!(cancelled.secure_status, Some(SecureStatus::Canceled));
    let twice = client.run(&cancel).unwrap_err();
    assert_eq!(twice.err_code(), Some("HAS_CANCELLED"));
    assert_eq!(twice.class(), ErrorClass::Rejected);
}

/// A split order's shares are confirmed once; shares that do not add up never leave the SDK.
fn split_shares_are_confirmed_once<A: Adapter>() {
    let sandbox = demo();
    let client = A::new(core(&sandbox));
    let shares = |sub: u64| vec![SubOrder::new(DEMO_SUB_MID.parse().unwrap(), Fen(sub))];
    let wrong = SubOrdersConfirm::new(
        &demo_merchant(),
        order(DEMO_SPLIT_ORDER),
        Fen(100),
        Fen(10),
        shares(80),
    );
    let refused = client.run(&wrong).unwrap_err();
    assert_eq!(refused.class(), ErrorClass::Caller);
    assert_eq!(sandbox.request_count(), 0, "refused before sending");
    let confirm = SubOrdersConfirm::new(
        &demo_merchant(),
        order(DEMO_SPLIT_ORDER),
        Fen(100),
        Fen(10),
        shares(90),
    );
    let confirmed = client.run(&confirm).unwrap();
    assert_eq!(confirmed.platform_amount, Some(Fen(10)));
    let again = client.run(&confirm).unwrap_err();
    assert_eq!(again.class(), ErrorClass::Rejected, "{again}");
}

on_every_adapter!(
    a_repeated_refund_refunds_once,
    partial_refunds_up_to_the_total_refund_the_order,
    a_pending_refund_is_settled_by_the_refund_query,
    close_closes_only_unpaid_orders,
    guarantees_complete_and_cancel,
    split_shares_are_confirmed_once,
);
