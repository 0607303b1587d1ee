//! The after-sale operations in memory: each of the core's operations (refund, refund query,
//! close, guarantee completion and cancel, split confirmation) sent with `Client::call`, every
//! `Step::Send` answered by `Gateway::handle` at a fixed time, and decided with the core's own
//! answer types and error classes.

use std::time::{Duration, SystemTime};

use chinaums::{
    Client, Close, Environment, Error, ErrorClass, Fen, FixedClock, FollowUp, Merchant, Operation,
    PaymentQuery, PaymentQueryResponse, PaymentState, Refund, RefundQuery, RefundQueryResponse,
    RefundResponse, RefundState, RefundStatus, SecureCancel, SecureComplete, SecureStatus,
    SubOrder, SubOrdersConfirm, TradeStatus,
};
use chinaums_sandbox::{
    DEMO_CLOSED_ORDER, DEMO_GUARANTEED_ORDER, DEMO_INST_MID, DEMO_MID, DEMO_PAID_ORDER,
    DEMO_PARTLY_REFUNDED_ORDER, DEMO_PARTLY_REFUNDED_REFUND, DEMO_SPLIT_ORDER, DEMO_SUB_MID,
    DEMO_TID, DEMO_UNPAID_ORDER, Gateway, Order, Sandbox, SandboxBuilder,
};

/// 2023-11-14 22:13:20 UTC: any fixed instant will do.
fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn gateway_from(builder: SandboxBuilder) -> (Gateway, Client) {
    let gateway = builder.seed_demo(true).build_gateway().unwrap();
    let client = Client::builder(
        gateway.credentials(),
        Environment::custom("http://gateway.test").unwrap(),
    )
    .clock(FixedClock::new(now()))
    .build();
    (gateway, client)
}

fn gateway() -> (Gateway, Client) {
    gateway_from(Sandbox::builder())
}

fn merchant() -> Merchant {
    Merchant::new(DEMO_MID, DEMO_TID, DEMO_INST_MID).unwrap()
}

/// Sends `op` with the core's call state machine, answered by the gateway in memory.
fn run<O: Operation>(client: &Client, gateway: &Gateway, op: &O) -> Result<O::Response, Error> {
    client
        .call(op)?
        .run_blocking(Duration::from_secs(5), |request| {
            gateway.handle(request, now()).into_result()
        })
}

fn refund(order: &str, refund_id: &str, fen: u64) -> Refund {
    Refund::new(
        &merchant(),
        order.parse().unwrap(),
        refund_id.parse().unwrap(),
        Fen(fen),
    )
}

fn payment(client: &Client, gateway: &Gateway, order: &str) -> PaymentQueryResponse {
    run(
        client,
        gateway,
        &PaymentQuery::new(&merchant(), order.parse().unwrap()),
    )
    .unwrap()
}

fn refund_query(order: &str, refund_id: Option<&str>) -> RefundQuery {
    let query = RefundQuery::new(&merchant(), order.parse().unwrap());
    match refund_id {
        Some(id) => query.refund_order_id(id.parse().unwrap()),
        None => query,
    }
}

fn platform_code(error: &Error) -> (Option<&str>, ErrorClass) {
    (error.err_code(), error.class())
}

#[test]
fn refunding_twice_with_one_refund_order_id_is_one_refund() {
    let (gateway, client) = gateway();
    let first: RefundResponse = run(
        &client,
        &gateway,
        &refund(DEMO_PAID_ORDER, "3194REFUNDTWICE01", 40),
    )
    .unwrap();
    assert_eq!(first.state(), RefundState::Refunded);
    assert_eq!(first.refund_amount, Some(Fen(40)));
    assert_eq!(first.total_amount, Some(Fen(100)));
    assert_eq!(first.refund_order_id.as_deref(), Some("3194REFUNDTWICE01"));
    assert_eq!(first.mer_order_id.as_deref(), Some(DEMO_PAID_ORDER));
    assert_eq!(first.status, Some(TradeStatus::TradeRefund));
    // The same refund again (a retry after a timeout): the same answer, nothing refunded twice.
    let again = run(
        &client,
        &gateway,
        &refund(DEMO_PAID_ORDER, "3194REFUNDTWICE01", 40),
    )
    .unwrap();
    assert_eq!(again.state(), RefundState::Refunded);
    assert_eq!(again.refund_amount, Some(Fen(40)));
    assert_eq!(
        again.refund_target_order_id, first.refund_target_order_id,
        "the same refund"
    );
    // Even asking for another amount: the existing refund, its own amount, and a message.
    let other = run(
        &client,
        &gateway,
        &refund(DEMO_PAID_ORDER, "3194REFUNDTWICE01", 60),
    )
    .unwrap();
    assert_eq!(other.refund_amount, Some(Fen(40)), "the existing refund's");
    assert!(
        other
            .envelope
            .message()
            .is_some_and(|m| m.contains("3194REFUNDTWICE01") && m.contains("40 fen")),
        "{other:?}"
    );
    let order = gateway.order(DEMO_MID, DEMO_PAID_ORDER).unwrap();
    assert_eq!(order.refund_amount, Some(Fen(40)));
    assert_eq!(order.refunds.len(), 1);
    assert_eq!(
        payment(&client, &gateway, DEMO_PAID_ORDER).refund_amount,
        Some(Fen(40))
    );
}

#[test]
fn partial_refunds_summing_to_the_total_make_the_order_trade_refund() {
    let (gateway, client) = gateway();
    // Paid 100, refunded 30 already.
    let before = payment(&client, &gateway, DEMO_PARTLY_REFUNDED_ORDER);
    assert_eq!(before.status, Some(TradeStatus::TradeRefund));
    assert_eq!(before.refund_amount, Some(Fen(30)));
    let second = run(
        &client,
        &gateway,
        &refund(DEMO_PARTLY_REFUNDED_ORDER, "3194DEMOPARTREF0001R2", 50),
    )
    .unwrap();
    assert_eq!(second.state(), RefundState::Refunded);
    assert_eq!(
        payment(&client, &gateway, DEMO_PARTLY_REFUNDED_ORDER).refund_amount,
        Some(Fen(80))
    );
    // More than the 20 left: refused, and nothing changes.
    let over = run(
        &client,
        &gateway,
        &refund(DEMO_PARTLY_REFUNDED_ORDER, "3194DEMOPARTREF0001R3", 21),
    )
    .unwrap_err();
    assert_eq!(
        platform_code(&over),
        (Some("OPERATION_NOT_ALLOWED"), ErrorClass::Rejected),
        "{over}"
    );
    assert!(over.to_string().contains("20 fen"), "{over}");
    let last = run(
        &client,
        &gateway,
        &refund(DEMO_PARTLY_REFUNDED_ORDER, "3194DEMOPARTREF0001R3", 20),
    )
    .unwrap();
    assert_eq!(last.status, Some(TradeStatus::TradeRefund));
    let after = payment(&client, &gateway, DEMO_PARTLY_REFUNDED_ORDER);
    assert_eq!(after.state(), PaymentState::Refunded);
    assert_eq!(
        (after.total_amount, after.refund_amount),
        (Some(Fen(100)), Some(Fen(100)))
    );
    // Nothing left at all now.
    let nothing_left = run(
        &client,
        &gateway,
        &refund(DEMO_PARTLY_REFUNDED_ORDER, "3194DEMOPARTREF0001R4", 1),
    )
    .unwrap_err();
    assert_eq!(nothing_left.err_code(), Some("OPERATION_NOT_ALLOWED"));
    assert_eq!(
        gateway
            .order(DEMO_MID, DEMO_PARTLY_REFUNDED_ORDER)
            .unwrap()
            .refunds
            .len(),
        3
    );
}

#[test]
fn unpaid_closed_and_unknown_orders_are_not_refunded() {
    let (gateway, client) = gateway();
    for order in [DEMO_UNPAID_ORDER, DEMO_CLOSED_ORDER] {
        let error = run(&client, &gateway, &refund(order, "3194NOREFUND001", 1)).unwrap_err();
        assert_eq!(
            platform_code(&error),
            (Some("OPERATION_NOT_ALLOWED"), ErrorClass::Rejected),
            "{order}: {error}"
        );
    }
    let error = run(
        &client,
        &gateway,
        &refund("3194NOSUCHORDER1", "3194NOREFUND001", 1),
    )
    .unwrap_err();
    assert_eq!(
        platform_code(&error),
        (Some("NO_ORDER"), ErrorClass::NotFound)
    );
    // The order exists, but not under this instMid.
    let other_type = Refund {
        merchant: merchant().with_inst_mid("MINIDEFAULT".parse().unwrap()),
        ..refund(DEMO_PAID_ORDER, "3194NOREFUND001", 1)
    };
    let error = run(&client, &gateway, &other_type).unwrap_err();
    assert_eq!(error.err_code(), Some("NO_ORDER"));
    assert_eq!(
        gateway
            .order(DEMO_MID, DEMO_PAID_ORDER)
            .unwrap()
            .refund_amount,
        None
    );
}

#[test]
fn closing_a_paid_order_is_an_unknown_outcome_whose_follow_up_says_paid() {
    let (gateway, client) = gateway();
    let close = Close::new(&merchant(), DEMO_PAID_ORDER.parse().unwrap());
    let error = run(&client, &gateway, &close).unwrap_err();
    assert_eq!(error.class(), ErrorClass::OutcomeUnknown, "{error}");
    assert_eq!(error.err_code(), Some("OPERATION_NOT_ALLOWED"));
    let follow_up = error.follow_up().expect("the query that decides");
    assert_eq!(
        follow_up,
        &FollowUp::QueryPayment {
            merchant: merchant(),
            mer_order_id: DEMO_PAID_ORDER.parse().unwrap(),
        }
    );
    let decided = run(&client, &gateway, &follow_up.payment_query()).unwrap();
    assert!(decided.is_paid());
    assert_eq!(decided.state(), PaymentState::Paid);
    // The close changed nothing.
    assert_eq!(
        gateway.order(DEMO_MID, DEMO_PAID_ORDER).unwrap().status,
        TradeStatus::TradeSuccess
    );
}

#[test]
fn an_unpaid_order_closes_once() {
    let (gateway, client) = gateway();
    let close = Close::new(&merchant(), DEMO_UNPAID_ORDER.parse().unwrap());
    let closed = run(&client, &gateway, &close).unwrap();
    assert!(closed.is_closed());
    assert_eq!(closed.state(), PaymentState::Closed);
    assert_eq!(closed.order.status, Some(TradeStatus::TradeClosed));
    assert_eq!(closed.order.total_amount, Some(Fen(2500)));
    assert_eq!(
        closed.order.mer_order_id.as_deref(),
        Some(DEMO_UNPAID_ORDER)
    );
    assert_eq!(closed.order.mid.as_deref(), Some(DEMO_MID));
    assert_eq!(
        payment(&client, &gateway, DEMO_UNPAID_ORDER).state(),
        PaymentState::Closed
    );
    // Closed already: the same ambiguous refusal, and the query says closed.
    let again = run(&client, &gateway, &close).unwrap_err();
    assert_eq!(again.class(), ErrorClass::OutcomeUnknown);
    let decided = run(
        &client,
        &gateway,
        &again.follow_up().unwrap().payment_query(),
    )
    .unwrap();
    assert_eq!(decided.state(), PaymentState::Closed);
}

#[test]
fn a_processing_refund_is_pending_until_its_refund_query_settles_it() {
    let (gateway, client) = gateway_from(Sandbox::builder().refunds_pending_first(true));
    let op = refund(DEMO_PAID_ORDER, "3194PENDING00001", 70);
    let pending = run(&client, &gateway, &op).unwrap();
    assert_eq!(pending.refund_status, Some(RefundStatus::Processing));
    assert_eq!(pending.state(), RefundState::Pending);
    assert_eq!(pending.refund_amount, Some(Fen(70)));
    assert_eq!(pending.status, Some(TradeStatus::TradeSuccess), "not yet");
    // Not settled: the order is unchanged, but the 70 is held.
    let order = payment(&client, &gateway, DEMO_PAID_ORDER);
    assert_eq!(
        (order.state(), order.refund_amount),
        (PaymentState::Paid, None)
    );
    let over = run(
        &client,
        &gateway,
        &refund(DEMO_PAID_ORDER, "3194PENDING00002", 31),
    )
    .unwrap_err();
    assert_eq!(over.err_code(), Some("OPERATION_NOT_ALLOWED"));
    // Sent again: still processing, not refunded twice.
    let repeat = run(&client, &gateway, &op).unwrap();
    assert_eq!(repeat.state(), RefundState::Pending);
    // What the core says to do: ask the refund query about this refund.
    let follow_up = op.follow_up().unwrap();
    let query = follow_up.refund_query().expect("a refund query");
    assert_eq!(
        query.refund_order_id.as_ref().map(|id| id.as_str()),
        Some("3194PENDING00001")
    );
    let settled: RefundQueryResponse = run(&client, &gateway, &query).unwrap();
    assert_eq!(settled.state(), RefundState::Refunded);
    assert_eq!(settled.refund_amount, Some(Fen(70)));
    assert_eq!(settled.refund_order_id.as_deref(), Some("3194PENDING00001"));
    assert_eq!(settled.status, Some(TradeStatus::TradeRefund));
    let order = payment(&client, &gateway, DEMO_PAID_ORDER);
    assert_eq!(
        (order.state(), order.refund_amount),
        (PaymentState::Refunded, Some(Fen(70)))
    );
    // Settled once: the refund answers SUCCESS from now on.
    assert_eq!(
        run(&client, &gateway, &op).unwrap().state(),
        RefundState::Refunded
    );
}

#[test]
fn refunds_pending_first_can_be_switched_while_running() {
    let (gateway, client) = gateway();
    let now_refunded = run(
        &client,
        &gateway,
        &refund(DEMO_PAID_ORDER, "3194SWITCH000001", 10),
    )
    .unwrap();
    assert_eq!(now_refunded.state(), RefundState::Refunded);
    gateway.set_refunds_pending_first(true);
    let pending = run(
        &client,
        &gateway,
        &refund(DEMO_PAID_ORDER, "3194SWITCH000002", 10),
    )
    .unwrap();
    assert_eq!(pending.state(), RefundState::Pending);
    gateway.set_refunds_pending_first(false);
    // Switching off does not settle it: its query does.
    let order = gateway.order(DEMO_MID, DEMO_PAID_ORDER).unwrap();
    assert_eq!(
        order.refund("3194SWITCH000002").unwrap().status,
        RefundStatus::Processing
    );
    assert_eq!(order.refund_amount, Some(Fen(10)));
    let latest = run(&client, &gateway, &refund_query(DEMO_PAID_ORDER, None)).unwrap();
    assert_eq!(latest.refund_order_id.as_deref(), Some("3194SWITCH000002"));
    assert_eq!(latest.state(), RefundState::Refunded);
    assert_eq!(
        gateway
            .order(DEMO_MID, DEMO_PAID_ORDER)
            .unwrap()
            .refund_amount,
        Some(Fen(20))
    );
}

#[test]
fn a_refund_query_answers_about_the_named_refund_or_the_latest() {
    let (gateway, client) = gateway();
    let demo = run(
        &client,
        &gateway,
        &refund_query(
            DEMO_PARTLY_REFUNDED_ORDER,
            Some(DEMO_PARTLY_REFUNDED_REFUND),
        ),
    )
    .unwrap();
    assert_eq!(demo.state(), RefundState::Refunded);
    assert_eq!(demo.refund_amount, Some(Fen(30)));
    assert_eq!(demo.total_amount, Some(Fen(100)));
    assert_eq!(
        demo.mer_order_id.as_deref(),
        Some(DEMO_PARTLY_REFUNDED_ORDER)
    );
    run(
        &client,
        &gateway,
        &refund(DEMO_PARTLY_REFUNDED_ORDER, "3194DEMOPARTREF0001R2", 5),
    )
    .unwrap();
    let latest = run(
        &client,
        &gateway,
        &refund_query(DEMO_PARTLY_REFUNDED_ORDER, None),
    )
    .unwrap();
    assert_eq!(
        (latest.refund_order_id.as_deref(), latest.refund_amount),
        (Some("3194DEMOPARTREF0001R2"), Some(Fen(5)))
    );
    let named = run(
        &client,
        &gateway,
        &refund_query(
            DEMO_PARTLY_REFUNDED_ORDER,
            Some(DEMO_PARTLY_REFUNDED_REFUND),
        ),
    )
    .unwrap();
    assert_eq!(named.refund_amount, Some(Fen(30)), "the named one");
    for (order, refund_id) in [
        (DEMO_PARTLY_REFUNDED_ORDER, Some("3194NOSUCHREFUND1")),
        (DEMO_PAID_ORDER, None),
        ("3194NOSUCHORDER1", None),
    ] {
        let error = run(&client, &gateway, &refund_query(order, refund_id)).unwrap_err();
        assert_eq!(
            platform_code(&error),
            (Some("NO_ORDER"), ErrorClass::NotFound),
            "{order} {refund_id:?}"
        );
    }
}

fn complete(order: &str, fen: u64) -> SecureComplete {
    SecureComplete::new(&merchant(), order.parse().unwrap(), Fen(fen))
}

fn cancel(order: &str) -> SecureCancel {
    SecureCancel::new(&merchant(), order.parse().unwrap())
}

#[test]
fn a_guarantee_completed_in_part_gives_the_rest_back() {
    let (gateway, client) = gateway();
    // Never refunded directly.
    let error = run(
        &client,
        &gateway,
        &refund(DEMO_GUARANTEED_ORDER, "3194SECUREREF001", 10),
    )
    .unwrap_err();
    assert_eq!(
        platform_code(&error),
        (Some("OPERATION_NOT_ALLOWED"), ErrorClass::Rejected)
    );
    let held = payment(&client, &gateway, DEMO_GUARANTEED_ORDER);
    assert_eq!(held.secure_status.as_deref(), Some("UNCOMPLETED"));
    // More than was paid: refused.
    let over = run(&client, &gateway, &complete(DEMO_GUARANTEED_ORDER, 101)).unwrap_err();
    assert_eq!(over.err_code(), Some("OPERATION_NOT_ALLOWED"));
    let done = run(&client, &gateway, &complete(DEMO_GUARANTEED_ORDER, 80)).unwrap();
    assert_eq!(done.secure_status, Some(SecureStatus::PartlyCompleted));
    assert_eq!(done.completed_amount, Some(Fen(80)));
    assert_eq!(done.order.status, Some(TradeStatus::TradeRefund));
    assert_eq!(done.order.total_amount, Some(Fen(100)));
    let after = payment(&client, &gateway, DEMO_GUARANTEED_ORDER);
    assert_eq!(after.secure_status.as_deref(), Some("PARTLY_COMPLETED"));
    assert_eq!(after.refund_amount, Some(Fen(20)), "the rest went back");
    // Completed once; no cancel after it.
    for error in [
        run(&client, &gateway, &complete(DEMO_GUARANTEED_ORDER, 10)).unwrap_err(),
        run(&client, &gateway, &cancel(DEMO_GUARANTEED_ORDER)).unwrap_err(),
    ] {
        assert_eq!(
            platform_code(&error),
            (Some("OPERATION_NOT_ALLOWED"), ErrorClass::Rejected),
            "{error}"
        );
    }
}

#[test]
fn a_guarantee_completed_in_full_is_all_completed() {
    let (gateway, client) = gateway();
    let done = run(&client, &gateway, &complete(DEMO_GUARANTEED_ORDER, 100)).unwrap();
    assert_eq!(done.secure_status, Some(SecureStatus::AllCompleted));
    assert_eq!(done.completed_amount, Some(Fen(100)));
    assert_eq!(done.order.status, Some(TradeStatus::TradeSuccess));
    assert_eq!(
        payment(&client, &gateway, DEMO_GUARANTEED_ORDER).refund_amount,
        None
    );
}

#[test]
fn a_cancelled_guarantee_answers_has_cancelled_and_cannot_be_completed() {
    let (gateway, client) = gateway();
    let cancelled = run(&client, &gateway, &cancel(DEMO_GUARANTEED_ORDER)).unwrap();
    assert_eq!(cancelled.secure_status, Some(SecureStatus::Canceled));
    assert_eq!(cancelled.completed_amount, Some(Fen::ZERO));
    assert_eq!(cancelled.order.status, Some(TradeStatus::TradeRefund));
    let again = run(&client, &gateway, &cancel(DEMO_GUARANTEED_ORDER)).unwrap_err();
    assert_eq!(
        platform_code(&again),
        (Some("HAS_CANCELLED"), ErrorClass::Rejected)
    );
    let completion = run(&client, &gateway, &complete(DEMO_GUARANTEED_ORDER, 10)).unwrap_err();
    assert_eq!(completion.err_code(), Some("OPERATION_NOT_ALLOWED"));
    let after = payment(&client, &gateway, DEMO_GUARANTEED_ORDER);
    assert_eq!(after.secure_status.as_deref(), Some("CANCELED"));
    assert_eq!(after.refund_amount, Some(Fen(100)), "everything went back");
    // Guarantee operations on an order that is not guaranteed.
    for error in [
        run(&client, &gateway, &cancel(DEMO_PAID_ORDER)).unwrap_err(),
        run(&client, &gateway, &complete(DEMO_PAID_ORDER, 10)).unwrap_err(),
    ] {
        assert_eq!(error.err_code(), Some("OPERATION_NOT_ALLOWED"), "{error}");
    }
}

fn confirm(
    order: &str,
    order_amount: u64,
    platform: u64,
    shares: &[(&str, u64)],
) -> SubOrdersConfirm {
    SubOrdersConfirm::new(
        &merchant(),
        order.parse().unwrap(),
        Fen(order_amount),
        Fen(platform),
        shares
            .iter()
            .map(|(mid, fen)| SubOrder::new(mid.parse().unwrap(), Fen(*fen)))
            .collect(),
    )
}

#[test]
fn a_split_is_confirmed_once() {
    let (gateway, client) = gateway();
    let confirmed = run(
        &client,
        &gateway,
        &confirm(DEMO_SPLIT_ORDER, 100, 10, &[(DEMO_SUB_MID, 90)]),
    )
    .unwrap();
    assert_eq!(confirmed.platform_amount, Some(Fen(10)));
    assert_eq!(confirmed.order.total_amount, Some(Fen(100)));
    assert_eq!(confirmed.order.status, Some(TradeStatus::TradeSuccess));
    assert_eq!(
        confirmed.extra["subOrders"],
        serde_json::json!([{"mid": DEMO_SUB_MID, "totalAmount": 90}])
    );
    let shares = gateway
        .order(DEMO_MID, DEMO_SPLIT_ORDER)
        .unwrap()
        .split_shares()
        .unwrap()
        .to_vec();
    assert!(shares[0].confirmed);
    let again = run(
        &client,
        &gateway,
        &confirm(DEMO_SPLIT_ORDER, 100, 10, &[(DEMO_SUB_MID, 90)]),
    )
    .unwrap_err();
    assert_eq!(
        platform_code(&again),
        (Some("OPERATION_NOT_ALLOWED"), ErrorClass::Rejected)
    );
}

#[test]
fn split_shares_must_add_up_to_the_order_and_only_split_orders_are_confirmed() {
    let (gateway, client) = gateway();
    // A client that believes the order is of 90: its shares pass the core's own check, the
    // platform knows better.
    let short = run(
        &client,
        &gateway,
        &confirm(DEMO_SPLIT_ORDER, 90, 10, &[(DEMO_SUB_MID, 80)]),
    )
    .unwrap_err();
    assert_eq!(
        platform_code(&short),
        (Some("BAD_REQUEST"), ErrorClass::Caller)
    );
    assert!(short.to_string().contains("subOrders: "), "{short}");
    let stranger = run(
        &client,
        &gateway,
        &confirm(DEMO_SPLIT_ORDER, 100, 10, &[("898201600000000", 90)]),
    )
    .unwrap_err();
    assert_eq!(stranger.err_code(), Some("BAD_REQUEST"));
    let not_split = run(
        &client,
        &gateway,
        &confirm(DEMO_PAID_ORDER, 100, 10, &[(DEMO_SUB_MID, 90)]),
    )
    .unwrap_err();
    assert_eq!(
        platform_code(&not_split),
        (Some("OPERATION_NOT_ALLOWED"), ErrorClass::Rejected)
    );
    // The refusals confirmed nothing: the right shares still go through.
    run(
        &client,
        &gateway,
        &confirm(DEMO_SPLIT_ORDER, 100, 10, &[(DEMO_SUB_MID, 90)]),
    )
    .unwrap();
}

#[test]
fn amounts_as_strings_decode_the_same() {
    let (gateway, client) = gateway_from(Sandbox::builder().amounts_as_strings(true));
    let refunded = run(
        &client,
        &gateway,
        &refund(DEMO_PAID_ORDER, "3194STRINGS00001", 25),
    )
    .unwrap();
    assert_eq!(
        (refunded.refund_amount, refunded.total_amount),
        (Some(Fen(25)), Some(Fen(100)))
    );
    let done = run(&client, &gateway, &complete(DEMO_GUARANTEED_ORDER, 60)).unwrap();
    assert_eq!(done.completed_amount, Some(Fen(60)));
    let confirmed = run(
        &client,
        &gateway,
        &confirm(DEMO_SPLIT_ORDER, 100, 10, &[(DEMO_SUB_MID, 90)]),
    )
    .unwrap();
    assert_eq!(confirmed.platform_amount, Some(Fen(10)));
    assert_eq!(confirmed.extra["subOrders"][0]["totalAmount"], "90");
}

#[test]
fn orders_built_by_a_test_behave_like_the_demo_ones() {
    let gateway = Sandbox::builder().build_gateway().unwrap();
    let client = Client::builder(
        gateway.credentials(),
        Environment::custom("http://gateway.test").unwrap(),
    )
    .clock(FixedClock::new(now()))
    .build();
    gateway.insert_order(
        Order::new("3194MYHELD000001", Fen(500), TradeStatus::TradeSuccess).guaranteed(),
    );
    let cancelled = run(&client, &gateway, &cancel("3194MYHELD000001")).unwrap();
    assert_eq!(cancelled.secure_status, Some(SecureStatus::Canceled));
    assert_eq!(cancelled.order.total_amount, Some(Fen(500)));
    gateway.insert_order(
        Order::new("3194MYREFUND0001", Fen(100), TradeStatus::TradeSuccess)
            .with_refund("3194MYREFUND0001R1", Fen(100)),
    );
    let nothing_left = run(
        &client,
        &gateway,
        &refund("3194MYREFUND0001", "3194MYREFUND0001R2", 1),
    )
    .unwrap_err();
    assert_eq!(nothing_left.err_code(), Some("OPERATION_NOT_ALLOWED"));
    let repeat = run(
        &client,
        &gateway,
        &refund("3194MYREFUND0001", "3194MYREFUND0001R1", 100),
    )
    .unwrap();
    assert_eq!(repeat.state(), RefundState::Refunded);
}

/// Hostile values in every field of every after-sale request: always an HTTP 200 business
/// answer with an `errCode`, never a panic, and amounts that could overflow are refused.
#[test]
fn no_field_value_makes_an_after_sale_endpoint_misbehave() {
    let (gateway, client) = gateway();
    let paths = [
        <Refund as Operation>::PATH,
        <RefundQuery as Operation>::PATH,
        <Close as Operation>::PATH,
        <SecureComplete as Operation>::PATH,
        <SecureCancel as Operation>::PATH,
        <SubOrdersConfirm as Operation>::PATH,
    ];
    let base = serde_json::json!({
        "requestTimestamp": chinaums::timestamps::request_timestamp(now()),
        "mid": DEMO_MID,
        "tid": DEMO_TID,
        "instMid": DEMO_INST_MID,
        "merOrderId": DEMO_SPLIT_ORDER,
        "refundOrderId": "3194HOSTILE00001",
        "refundAmount": 1,
        "completedAmount": 1,
        "platformAmount": 10,
        "subOrders": [{"mid": DEMO_SUB_MID, "totalAmount": 90}],
    });
    let hostile = [
        serde_json::json!(null),
        serde_json::json!(""),
        serde_json::json!("0"),
        serde_json::json!("-1"),
        serde_json::json!("18446744073709551615"),
        serde_json::json!("18446744073709551616"),
        serde_json::json!(u64::MAX),
        serde_json::json!(-1),
        serde_json::json!(1e300),
        serde_json::json!(true),
        serde_json::json!("订单\u{0}\n"),
        serde_json::json!("x".repeat(10_000)),
        serde_json::json!([]),
        serde_json::json!([null, 1, "a", {}]),
        serde_json::json!([{"mid": DEMO_SUB_MID, "totalAmount": u64::MAX}, {"mid": DEMO_SUB_MID, "totalAmount": u64::MAX}]),
        serde_json::json!({"nested": {"deeper": [1, 2, 3]}}),
    ];
    let fields: Vec<String> = base.as_object().unwrap().keys().cloned().collect();
    let mut answered = 0;
    for path in paths {
        for field in &fields {
            for value in &hostile {
                let mut body = base.clone();
                body[field.as_str()] = value.clone();
                let request = client
                    .sign_request(path, serde_json::to_vec(&body).unwrap())
                    .unwrap();
                let response = gateway.handle(request, now()).into_result().unwrap();
                assert_eq!(response.status(), 200, "{path} {field}={value}");
                let json: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
                let code = json["errCode"].as_str().unwrap_or_default();
                assert!(
                    [
                        "SUCCESS",
                        "BAD_REQUEST",
                        "NO_ORDER",
                        "OPERATION_NOT_ALLOWED",
                        "ABNORMAL_REQUEST_TIME",
                    ]
                    .contains(&code),
                    "{path} {field}={value}: {json}"
                );
                answered += 1;
            }
        }
    }
    assert_eq!(answered, paths.len() * fields.len() * hostile.len());
    // Whatever went through, the book's sums still hold.
    for order in Order::demo_orders() {
        let now = gateway.order(DEMO_MID, &order.mer_order_id).unwrap();
        assert!(
            now.refund_amount.unwrap_or(Fen::ZERO) <= now.total_amount,
            "{now:?}"
        );
    }
}
