//! The after-sale endpoints at the byte level: requests signed by the real core (or raw bodies
//! the core would refuse to build), sent over plain `std::net::TcpStream`s, answers checked
//! field by field and decoded by the core.

mod common;

use chinaums::{
    Close, Fen, PaymentQuery, Refund, RefundQuery, RefundState, RefundStatus, SecureCancel,
    SecureComplete, SubOrder, SubOrdersConfirm, TradeStatus,
};
use chinaums_sandbox::{
    DEMO_GUARANTEED_ORDER, DEMO_INST_MID, DEMO_MID, DEMO_PAID_ORDER, DEMO_PARTLY_REFUNDED_ORDER,
    DEMO_PARTLY_REFUNDED_REFUND, DEMO_SPLIT_ORDER, DEMO_SUB_MID, DEMO_TID, DEMO_UNPAID_ORDER,
    Sandbox,
};
use common::*;
use serde_json::{Value, json};

const REFUND: &str = <Refund as chinaums::Operation>::PATH;
const REFUND_QUERY: &str = <RefundQuery as chinaums::Operation>::PATH;
const CLOSE: &str = <Close as chinaums::Operation>::PATH;
const SECURE_COMPLETE: &str = <SecureComplete as chinaums::Operation>::PATH;
const SECURE_CANCEL: &str = <SecureCancel as chinaums::Operation>::PATH;
const SUB_ORDERS_CONFIRM: &str = <SubOrdersConfirm as chinaums::Operation>::PATH;

/// What every answer about an order starts with, in order.
const ECHO: &[&str] = &[
    "errCode",
    "errMsg",
    "responseTimestamp",
    "mid",
    "tid",
    "instMid",
    "msgId",
    "srcReserve",
    "merOrderId",
];

fn with_echo(rest: &[&str]) -> Vec<String> {
    ECHO.iter().chain(rest).map(|k| k.to_string()).collect()
}

fn refund(order: &str, refund_id: &str, fen: u64) -> Refund {
    Refund::new(
        &demo_merchant(),
        order.parse().unwrap(),
        refund_id.parse().unwrap(),
        Fen(fen),
    )
}

fn refund_query(order: &str, refund_id: &str) -> RefundQuery {
    RefundQuery::new(&demo_merchant(), order.parse().unwrap())
        .refund_order_id(refund_id.parse().unwrap())
}

fn confirm() -> SubOrdersConfirm {
    SubOrdersConfirm::new(
        &demo_merchant(),
        DEMO_SPLIT_ORDER.parse().unwrap(),
        Fen(100),
        Fen(10),
        vec![SubOrder::new(DEMO_SUB_MID.parse().unwrap(), Fen(90))],
    )
}

/// Sends `op`, signed by the core, and returns the raw answer.
fn exchange<O: chinaums::Operation>(sandbox: &Sandbox, op: &O) -> Raw {
    let raw = send(sandbox, &client(sandbox).prepare(op).unwrap());
    assert_eq!(raw.status, 200);
    assert_eq!(
        raw.header("content-type"),
        Some("application/json;charset=UTF-8")
    );
    raw
}

#[test]
fn every_answer_carries_the_fields_the_core_reads_in_a_fixed_order() {
    let sandbox = Sandbox::start_demo().unwrap();
    let client = client(&sandbox);

    let raw = exchange(&sandbox, &refund(DEMO_PAID_ORDER, "3194FIELDS000001", 40));
    assert_eq!(
        keys_in_order(&raw.body),
        with_echo(&[
            "refundStatus",
            "refundOrderId",
            "refundTargetOrderId",
            "refundAmount",
            "refundInvoiceAmount",
            "totalAmount",
            "status",
            "targetSys",
            "targetStatus",
            "settleDate",
            "payTime",
        ])
    );
    let json = raw.json();
    assert_eq!(json["errCode"], "SUCCESS");
    assert_eq!(
        (&json["mid"], &json["tid"], &json["instMid"]),
        (&json!(DEMO_MID), &json!(DEMO_TID), &json!(DEMO_INST_MID))
    );
    assert_eq!(json["refundStatus"], "SUCCESS");
    assert_eq!(json["refundAmount"], json!(40));
    assert_eq!(json["totalAmount"], json!(100));
    assert_eq!(json["status"], "TRADE_REFUND");
    assert_eq!(json["targetStatus"], "REFUND|REFUND");
    assert_eq!(json["payTime"], "2024-01-01 12:00:05");
    let answer = client.parse::<Refund>(&raw.to_http()).unwrap();
    assert_eq!(answer.state(), RefundState::Refunded);
    assert!(answer.settle_date.is_some() && answer.refund_target_order_id.is_some());

    let raw = exchange(&sandbox, &refund_query(DEMO_PAID_ORDER, "3194FIELDS000001"));
    assert_eq!(
        keys_in_order(&raw.body),
        with_echo(&[
            "refundStatus",
            "refundOrderId",
            "refundTargetOrderId",
            "refundAmount",
            "totalAmount",
            "status",
            "payTime",
            "settleDate",
            "settleRefId",
            "seqId",
            "targetSys",
            "targetStatus",
            "targetMid",
            "merName",
            "connectSys",
        ])
    );
    let queried = client.parse::<RefundQuery>(&raw.to_http()).unwrap();
    assert_eq!(
        queried.refund_target_order_id, answer.refund_target_order_id,
        "the same refund"
    );
    assert_eq!(queried.refund_amount, Some(Fen(40)));

    let order_fields = [
        "status",
        "totalAmount",
        "targetSys",
        "targetStatus",
        "seqId",
        "merName",
    ];
    let close = Close::new(&demo_merchant(), DEMO_UNPAID_ORDER.parse().unwrap());
    let raw = exchange(&sandbox, &close);
    assert_eq!(keys_in_order(&raw.body), with_echo(&order_fields));
    assert_eq!(raw.json()["status"], "TRADE_CLOSED");
    assert!(client.parse::<Close>(&raw.to_http()).unwrap().is_closed());

    let complete = SecureComplete::new(
        &demo_merchant(),
        DEMO_GUARANTEED_ORDER.parse().unwrap(),
        Fen(100),
    );
    let raw = exchange(&sandbox, &complete);
    let secure: Vec<&str> = order_fields
        .iter()
        .copied()
        .chain(["secureStatus", "completedAmount"])
        .collect();
    assert_eq!(keys_in_order(&raw.body), with_echo(&secure));
    let json = raw.json();
    assert_eq!(
        (&json["secureStatus"], &json["completedAmount"]),
        (&json!("ALL_COMPLETED"), &json!(100))
    );

    let raw = exchange(&sandbox, &confirm());
    let split: Vec<&str> = order_fields
        .iter()
        .copied()
        .chain(["platformAmount", "subOrders"])
        .collect();
    assert_eq!(keys_in_order(&raw.body), with_echo(&split));
    let json = raw.json();
    assert_eq!(json["platformAmount"], json!(10));
    assert_eq!(
        json["subOrders"],
        json!([{"mid": DEMO_SUB_MID, "totalAmount": 90}])
    );
}

#[test]
fn amounts_are_numeric_strings_under_amounts_as_strings() {
    let sandbox = Sandbox::builder()
        .seed_demo(true)
        .amounts_as_strings(true)
        .start()
        .unwrap();
    let json = exchange(&sandbox, &refund(DEMO_PAID_ORDER, "3194STRINGS00001", 40)).json();
    for field in ["refundAmount", "refundInvoiceAmount"] {
        assert_eq!(json[field], "40", "{field}");
    }
    assert_eq!(json["totalAmount"], "100");
    let json = exchange(&sandbox, &refund_query(DEMO_PAID_ORDER, "3194STRINGS00001")).json();
    assert_eq!(
        (&json["refundAmount"], &json["totalAmount"]),
        (&json!("40"), &json!("100"))
    );
    let cancel = SecureCancel::new(&demo_merchant(), DEMO_GUARANTEED_ORDER.parse().unwrap());
    let json = exchange(&sandbox, &cancel).json();
    assert_eq!(
        (&json["completedAmount"], &json["totalAmount"]),
        (&json!("0"), &json!("100"))
    );
    let json = exchange(&sandbox, &confirm()).json();
    assert_eq!(json["platformAmount"], "10");
    assert_eq!(json["subOrders"][0]["totalAmount"], "90");
}

/// A refund body with the demo merchant, for `DEMO_PAID_ORDER`.
fn refund_body(sandbox: &Sandbox) -> Value {
    json!({
        "requestTimestamp": chinaums::timestamps::request_timestamp(sandbox.now()),
        "mid": DEMO_MID,
        "tid": DEMO_TID,
        "instMid": DEMO_INST_MID,
        "merOrderId": DEMO_PAID_ORDER,
        "refundOrderId": "3194BADREQ000001",
        "refundAmount": 10,
    })
}

fn with(mut body: Value, changes: Value) -> Value {
    for (key, value) in changes.as_object().unwrap() {
        if value.is_null() {
            body.as_object_mut().unwrap().remove(key);
        } else {
            body[key] = value.clone();
        }
    }
    body
}

#[test]
fn bad_fields_are_bad_request_naming_the_field_and_change_nothing() {
    let sandbox = Sandbox::start_demo().unwrap();
    let base = refund_body(&sandbox);
    let not_an_amount = "must be an amount in fen (a non-negative integer or a string of digits)";
    let sub = |v: Value| json!({ "subOrders": v });
    let cases: Vec<(&str, Value, Value, String)> = vec![
        (
            REFUND,
            base.clone(),
            json!({"refundOrderId": null}),
            "refundOrderId: is required".into(),
        ),
        (
            REFUND,
            base.clone(),
            json!({"refundOrderId": "12345"}),
            "refundOrderId: must be 6 to 32 characters, got 5".into(),
        ),
        (
            REFUND,
            base.clone(),
            json!({"refundAmount": null}),
            "refundAmount: is required".into(),
        ),
        (
            REFUND,
            base.clone(),
            json!({"refundAmount": ""}),
            "refundAmount: is required".into(),
        ),
        (
            REFUND,
            base.clone(),
            json!({"refundAmount": -1}),
            format!("refundAmount: {not_an_amount}"),
        ),
        (
            REFUND,
            base.clone(),
            json!({"refundAmount": 1.5}),
            format!("refundAmount: {not_an_amount}"),
        ),
        (
            REFUND,
            base.clone(),
            json!({"refundAmount": "1.50"}),
            format!("refundAmount: {not_an_amount}"),
        ),
        (
            REFUND,
            base.clone(),
            json!({"refundAmount": true}),
            format!("refundAmount: {not_an_amount}"),
        ),
        (
            REFUND,
            base.clone(),
            json!({"refundAmount": "99999999999999999999999"}),
            format!("refundAmount: {not_an_amount}"),
        ),
        (
            REFUND,
            base.clone(),
            json!({"refundAmount": 0}),
            "refundAmount: must be more than zero".into(),
        ),
        (
            REFUND,
            base.clone(),
            json!({"refundDesc": "x".repeat(256)}),
            "refundDesc: must be at most 255 characters, got 256".into(),
        ),
        (
            REFUND,
            base.clone(),
            json!({"targetOrderId": "4".repeat(65)}),
            "targetOrderId: must be at most 64 characters, got 65".into(),
        ),
        (
            REFUND,
            base.clone(),
            sub(json!("x")),
            "subOrders: must be an array".into(),
        ),
        (
            REFUND,
            base.clone(),
            sub(json!([1])),
            "subOrders[0]: must be an object".into(),
        ),
        (
            REFUND,
            base.clone(),
            sub(json!([{"mid": "123", "totalAmount": 10}])),
            "subOrders[0].mid: must be exactly 15 characters, got 3".into(),
        ),
        (
            REFUND,
            base.clone(),
            sub(json!([{"mid": DEMO_SUB_MID}])),
            "subOrders[0].totalAmount: is required".into(),
        ),
        (
            REFUND,
            base.clone(),
            json!({"platformAmount": 2, "subOrders": [{"mid": DEMO_SUB_MID, "totalAmount": 5}]}),
            "subOrders: must add up to refundAmount with platformAmount (10 fen), got 7 fen".into(),
        ),
        (
            REFUND,
            base.clone(),
            json!({"platformAmount": u64::MAX, "subOrders": [{"mid": DEMO_SUB_MID, "totalAmount": 1}]}),
            "subOrders: the amounts overflow".into(),
        ),
        (
            REFUND,
            base.clone(),
            json!({"mid": "8982016"}),
            "mid: must be exactly 15 characters, got 7".into(),
        ),
        (
            REFUND_QUERY,
            base.clone(),
            json!({"refundOrderId": "x"}),
            "refundOrderId: must be 6 to 32 characters, got 1".into(),
        ),
        (
            CLOSE,
            base.clone(),
            json!({"merOrderId": null}),
            "merOrderId: is required".into(),
        ),
        (
            SECURE_COMPLETE,
            base.clone(),
            json!({}),
            "completedAmount: is required".into(),
        ),
        (
            SECURE_COMPLETE,
            base.clone(),
            json!({"completedAmount": 0}),
            "completedAmount: must be more than zero".into(),
        ),
        (
            SECURE_CANCEL,
            base.clone(),
            json!({"tid": "1"}),
            "tid: must be exactly 8 characters, got 1".into(),
        ),
        (
            SUB_ORDERS_CONFIRM,
            base.clone(),
            sub(json!([{"mid": DEMO_SUB_MID, "totalAmount": 90}])),
            "platformAmount: is required".into(),
        ),
        (
            SUB_ORDERS_CONFIRM,
            base.clone(),
            json!({"platformAmount": 10}),
            "subOrders: must name at least one sub-order".into(),
        ),
        (
            SUB_ORDERS_CONFIRM,
            base.clone(),
            json!({"platformAmount": 10, "subOrders": []}),
            "subOrders: must name at least one sub-order".into(),
        ),
    ];
    for (path, base, changes, message) in cases {
        let raw = send(&sandbox, &signed(&sandbox, path, &with(base, changes)));
        assert_eq!(raw.status, 200, "{message}");
        let json = raw.json();
        assert_eq!(json["errCode"], "BAD_REQUEST", "{path} {message}: {json}");
        assert_eq!(json["errMsg"], message, "{path}");
    }
    let paid = sandbox.order(DEMO_MID, DEMO_PAID_ORDER).unwrap();
    assert_eq!(paid.refund_amount, None);
    assert!(paid.refunds.is_empty());
}

#[test]
fn amounts_may_be_sent_as_numeric_strings() {
    let sandbox = Sandbox::start_demo().unwrap();
    let body = with(
        refund_body(&sandbox),
        json!({
            "refundAmount": "30",
            "platformAmount": "30",
            "subOrders": [],
            "refundDesc": "退货",
        }),
    );
    let json = send(&sandbox, &signed(&sandbox, REFUND, &body)).json();
    assert_eq!(json["errCode"], "SUCCESS", "{json}");
    assert_eq!(json["refundAmount"], json!(30));
    assert_eq!(
        sandbox
            .order(DEMO_MID, DEMO_PAID_ORDER)
            .unwrap()
            .refund_amount,
        Some(Fen(30))
    );
}

#[test]
fn refusals_echo_the_request() {
    let sandbox = Sandbox::start_demo().unwrap();
    let body = with(
        refund_body(&sandbox),
        json!({"merOrderId": "3194NOSUCHORDER1", "msgId": "m-1", "srcReserve": "保留"}),
    );
    let raw = send(&sandbox, &signed(&sandbox, REFUND, &body));
    assert_eq!(keys_in_order(&raw.body), with_echo(&[]), "{:?}", raw.json());
    let json = raw.json();
    assert_eq!(json["errCode"], "NO_ORDER");
    assert_eq!(json["merOrderId"], "3194NOSUCHORDER1");
    assert_eq!(
        (&json["msgId"], &json["srcReserve"]),
        (&json!("m-1"), &json!("保留"))
    );
    // A refusal by the order book says why, in the platform's words and in detail.
    let body = with(
        refund_body(&sandbox),
        json!({"merOrderId": DEMO_UNPAID_ORDER}),
    );
    let json = send(&sandbox, &signed(&sandbox, REFUND, &body)).json();
    assert_eq!(json["errCode"], "OPERATION_NOT_ALLOWED");
    assert!(
        json["errMsg"].as_str().unwrap().contains("WAIT_BUYER_PAY"),
        "{json}"
    );
    assert_eq!(json["merOrderId"], DEMO_UNPAID_ORDER);
}

#[test]
fn a_stale_request_timestamp_is_refused_before_anything_changes() {
    let sandbox = Sandbox::start_demo().unwrap();
    let old = time::macros::datetime!(2020-01-01 12:00:00);
    let stale = refund(DEMO_PAID_ORDER, "3194STALE0000001", 10).request_timestamp(old);
    let raw = send(&sandbox, &client(&sandbox).prepare(&stale).unwrap());
    assert_eq!(raw.err_code(), "ABNORMAL_REQUEST_TIME");
    assert!(
        sandbox
            .order(DEMO_MID, DEMO_PAID_ORDER)
            .unwrap()
            .refunds
            .is_empty()
    );
}

#[test]
fn refunds_pending_first_over_the_wire() {
    let sandbox = Sandbox::builder()
        .seed_demo(true)
        .refunds_pending_first(true)
        .start()
        .unwrap();
    let client = client(&sandbox);
    let raw = exchange(
        &sandbox,
        &refund(DEMO_PARTLY_REFUNDED_ORDER, "3194DEMOPARTREF0001R2", 70),
    );
    assert_eq!(raw.json()["refundStatus"], "PROCESSING");
    let pending = client.parse::<Refund>(&raw.to_http()).unwrap();
    assert_eq!(pending.state(), RefundState::Pending);
    // The order does not show it yet.
    let order = client
        .parse::<PaymentQuery>(
            &send(
                &sandbox,
                &signed_query(&sandbox, DEMO_PARTLY_REFUNDED_ORDER),
            )
            .to_http(),
        )
        .unwrap();
    assert_eq!(order.refund_amount, Some(Fen(30)));
    // Its refund query settles it.
    let raw = exchange(
        &sandbox,
        &refund_query(DEMO_PARTLY_REFUNDED_ORDER, "3194DEMOPARTREF0001R2"),
    );
    assert_eq!(raw.json()["refundStatus"], "SUCCESS");
    let settled = client.parse::<RefundQuery>(&raw.to_http()).unwrap();
    assert_eq!(settled.state(), RefundState::Refunded);
    assert_eq!(settled.status, Some(TradeStatus::TradeRefund));
    assert_eq!(
        sandbox
            .order(DEMO_MID, DEMO_PARTLY_REFUNDED_ORDER)
            .unwrap()
            .refund_amount,
        Some(Fen(100))
    );
    // The refund made before stays SUCCESS; switched off, new refunds are SUCCESS at once.
    let raw = exchange(
        &sandbox,
        &refund_query(DEMO_PARTLY_REFUNDED_ORDER, DEMO_PARTLY_REFUNDED_REFUND),
    );
    assert_eq!(raw.json()["refundAmount"], json!(30));
    sandbox.set_refunds_pending_first(false);
    let raw = exchange(&sandbox, &refund(DEMO_PAID_ORDER, "3194SETTLED00001", 10));
    assert_eq!(raw.json()["refundStatus"], "SUCCESS");
    sandbox.set_refunds_pending_first(true);
    let raw = exchange(&sandbox, &refund(DEMO_PAID_ORDER, "3194PENDING00002", 10));
    assert_eq!(raw.json()["refundStatus"], "PROCESSING");
    assert_eq!(
        sandbox
            .order(DEMO_MID, DEMO_PAID_ORDER)
            .unwrap()
            .refund("3194PENDING00002")
            .map(|r| r.status.clone()),
        Some(RefundStatus::Processing)
    );
}

#[test]
fn every_after_sale_endpoint_is_a_business_endpoint() {
    let sandbox = Sandbox::start_demo().unwrap();
    for path in [
        REFUND,
        REFUND_QUERY,
        CLOSE,
        SECURE_COMPLETE,
        SECURE_CANCEL,
        SUB_ORDERS_CONFIRM,
    ] {
        // No Authorization: refused before the order book is touched.
        let body = serde_json::to_vec(&refund_body(&sandbox)).unwrap();
        let raw = send(&sandbox, &post(&sandbox, path, body));
        assert_eq!((raw.status, raw.err_code()), (401, "1001".into()), "{path}");
        let get = chinaums::http::Request::get(format!("{}{path}", sandbox.base_url()))
            .body(Vec::new())
            .unwrap();
        let raw = send(&sandbox, &get);
        assert_eq!(raw.status, 405, "{path}");
    }
    assert_eq!(sandbox.request_count(), 12, "business requests are counted");
    assert_eq!(
        sandbox
            .order(DEMO_MID, DEMO_PAID_ORDER)
            .unwrap()
            .refund_amount,
        None
    );
}
