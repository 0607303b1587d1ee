//! The sandbox at the byte level: requests signed by the real core, sent over plain
//! `std::net::TcpStream`s, answers read and checked byte for byte.

mod common;

use std::io::Write;
use std::time::Duration;

use chinaums::{
    Credentials, Error, Fen, InstMid, Merchant, PaymentQuery, PaymentState, TradeStatus,
};
use chinaums::{access_token as token, body_sig};
use chinaums_sandbox::{
    DEMO_CLOSED_ORDER, DEMO_INST_MID, DEMO_MID, DEMO_PAID_ORDER, DEMO_REFUNDED_ORDER, DEMO_TID,
    DEMO_UNPAID_ORDER, Fault, Order, Sandbox,
};
use common::*;
use serde_json::{Value, json};

/// The official documentation's example response fields, in its order (it spells
/// `responseTimeStamp`; real responses and the sandbox use `responseTimestamp`), then the
/// sandbox's extra `connectSys`.
const EXAMPLE_FIELDS: &[&str] = &[
    "errCode",
    "errMsg",
    "responseTimestamp",
    "mid",
    "tid",
    "instMid",
    "billFunds",
    "billFundsDesc",
    "payTime",
    "couponMerchantContribute",
    "couponOtherContribute",
    "msgId",
    "srcReserve",
    "attachedData",
    "seqId",
    "settleRefId",
    "refId",
    "status",
    "totalAmount",
    "merName",
    "merOrderId",
    "targetOrderId",
    "targetSys",
    "targetStatus",
    "buyerId",
    "targetMid",
    "bankCardNo",
    "bankInfo",
    "buyerPayAmount",
    "buyerUsername",
    "couponAmount",
    "invoiceAmount",
    "receiptAmount",
    "settleDate",
    "subBuyerId",
    "activityIds",
    "yxlmAmount",
    "secureStatus",
    "authIdRespCd",
    "connectSys",
];

#[test]
fn demo_orders_answer_with_status_amounts_and_the_documented_field_set() {
    let sandbox = Sandbox::start_demo().unwrap();
    let cases = [
        (
            DEMO_PAID_ORDER,
            "TRADE_SUCCESS",
            json!(100),
            PaymentState::Paid,
        ),
        (
            DEMO_UNPAID_ORDER,
            "WAIT_BUYER_PAY",
            json!(2500),
            PaymentState::NotPaid,
        ),
        (
            DEMO_REFUNDED_ORDER,
            "TRADE_REFUND",
            json!(880),
            PaymentState::Refunded,
        ),
        (
            DEMO_CLOSED_ORDER,
            "TRADE_CLOSED",
            json!(1200),
            PaymentState::Closed,
        ),
    ];
    for (id, status, total, state) in cases {
        let query = query(id)
            .msg_id("msg-42".parse().unwrap())
            .src_reserve("保留".parse().unwrap());
        let client = client(&sandbox);
        let raw = send(&sandbox, &client.prepare(&query).unwrap());
        assert_eq!(raw.status, 200, "{id}");
        assert_eq!(
            raw.header("content-type"),
            Some("application/json;charset=UTF-8")
        );
        let json = raw.json();
        assert_eq!(json["errCode"], "SUCCESS", "{id}: {json}");
        assert_eq!(json["status"], status, "{id}");
        assert_eq!(json["totalAmount"], total, "{id}");
        assert_eq!(json["merOrderId"], id);
        assert_eq!(json["mid"], DEMO_MID);
        assert_eq!(json["tid"], DEMO_TID);
        assert_eq!(json["instMid"], DEMO_INST_MID);
        assert_eq!(json["msgId"], "msg-42");
        assert_eq!(json["srcReserve"], "保留");
        let keys = keys_in_order(&raw.body);
        let expected: Vec<&str> = if id == DEMO_REFUNDED_ORDER {
            EXAMPLE_FIELDS
                .iter()
                .copied()
                .chain(["refundAmount"])
                .collect()
        } else {
            EXAMPLE_FIELDS.to_vec()
        };
        assert_eq!(keys, expected, "{id}");
        // The real core decodes it.
        let answer = client.parse::<PaymentQuery>(&raw.to_http()).unwrap();
        assert_eq!(answer.state(), state, "{id}");
        assert_eq!(answer.status, Some(TradeStatus::from_wire(status)));
        let fen = total
            .as_u64()
            .or_else(|| total.as_str().and_then(|s| s.parse().ok()))
            .unwrap();
        assert_eq!(answer.total_amount, Some(Fen(fen)));
        let refunded = (id == DEMO_REFUNDED_ORDER).then_some(Fen(880));
        assert_eq!(answer.refund_amount, refunded, "{id}");
        assert_eq!(
            answer.envelope.response_timestamp.unwrap().as_str().len(),
            "2024-01-01 12:00:00".len()
        );
    }
}

#[test]
fn amounts_are_numbers_by_default() {
    let sandbox = Sandbox::start_demo().unwrap();
    let paid = send(&sandbox, &signed_query(&sandbox, DEMO_PAID_ORDER)).json();
    for field in [
        "totalAmount",
        "buyerPayAmount",
        "receiptAmount",
        "invoiceAmount",
        "couponAmount",
    ] {
        assert!(paid[field].is_u64(), "{field}: {paid}");
    }
    assert_eq!(paid["totalAmount"], json!(100));
    assert_eq!(paid["payTime"], "2024-01-01 12:00:05");
    assert_eq!(paid["settleDate"], "2024-01-01");
    assert_eq!(paid["targetSys"], "WXPay");
    assert_eq!(paid["billFunds"], "现金:100");
    let unpaid = send(&sandbox, &signed_query(&sandbox, DEMO_UNPAID_ORDER)).json();
    assert_eq!(unpaid["buyerPayAmount"], json!(0));
    assert_eq!(unpaid["payTime"], "");
    let refunded = send(&sandbox, &signed_query(&sandbox, DEMO_REFUNDED_ORDER)).json();
    assert_eq!(refunded["refundAmount"], json!(880));
    assert_eq!(refunded["targetSys"], "Alipay 2.0");
}

/// With `amounts_as_strings`, every amount is a numeric string, like the official
/// documentation's example, except `invoiceAmount`, which that example sends as a number; the
/// core reads both.
#[test]
fn amounts_as_strings_like_the_documentation_example() {
    let sandbox = Sandbox::builder()
        .seed_demo(true)
        .amounts_as_strings(true)
        .start()
        .unwrap();
    let raw = send(&sandbox, &signed_query(&sandbox, DEMO_PAID_ORDER));
    let paid = raw.json();
    for field in [
        "totalAmount",
        "buyerPayAmount",
        "receiptAmount",
        "couponAmount",
        "couponMerchantContribute",
        "couponOtherContribute",
        "yxlmAmount",
    ] {
        assert!(paid[field].is_string(), "{field}: {paid}");
    }
    assert_eq!(paid["totalAmount"], "100");
    assert_eq!(paid["invoiceAmount"], json!(100));
    let answer = client(&sandbox)
        .parse::<PaymentQuery>(&raw.to_http())
        .unwrap();
    assert_eq!(answer.total_amount, Some(Fen(100)));
    let refunded = send(&sandbox, &signed_query(&sandbox, DEMO_REFUNDED_ORDER)).json();
    assert_eq!(refunded["refundAmount"], "880");
    // One order can ask for strings on its own, too.
    let plain = Sandbox::start_demo().unwrap();
    plain.insert_order(Order {
        amounts_as_strings: true,
        ..Order::new("3194STRINGS00001", Fen(7), TradeStatus::TradeSuccess)
    });
    let json = send(&plain, &signed_query(&plain, "3194STRINGS00001")).json();
    assert_eq!(json["totalAmount"], "7");
    let json = send(&plain, &signed_query(&plain, DEMO_PAID_ORDER)).json();
    assert_eq!(json["totalAmount"], json!(100));
}

#[test]
fn inserted_orders_are_served_and_replaced() {
    let sandbox = Sandbox::builder().start().unwrap();
    assert_eq!(sandbox.order(DEMO_MID, DEMO_PAID_ORDER), None, "not seeded");
    let order = Order {
        amounts_as_strings: true,
        ..Order::new("3194CUSTOM000001", Fen(12_345), TradeStatus::NewOrder)
    };
    sandbox.insert_order(order.clone());
    assert_eq!(
        sandbox.order(DEMO_MID, "3194CUSTOM000001"),
        Some(order.clone())
    );
    let json = send(&sandbox, &signed_query(&sandbox, "3194CUSTOM000001")).json();
    assert_eq!(json["status"], "NEW_ORDER");
    assert_eq!(json["totalAmount"], "12345");
    sandbox.insert_order(Order {
        status: TradeStatus::TradeSuccess,
        ..order
    });
    let json = send(&sandbox, &signed_query(&sandbox, "3194CUSTOM000001")).json();
    assert_eq!(json["status"], "TRADE_SUCCESS");
    assert!(sandbox.remove_order(DEMO_MID, "3194CUSTOM000001").is_some());
    let json = send(&sandbox, &signed_query(&sandbox, "3194CUSTOM000001")).json();
    assert_eq!(json["errCode"], "NO_ORDER");
}

#[test]
fn unknown_orders_and_wrong_inst_mid_are_no_order() {
    let sandbox = Sandbox::start_demo().unwrap();
    let client = client(&sandbox);
    let raw = send(&sandbox, &signed_query(&sandbox, "3194NOSUCHORDER1"));
    assert_eq!(raw.status, 200);
    let json = raw.json();
    assert_eq!(json["errCode"], "NO_ORDER");
    assert_eq!(json["errMsg"], "订单不存在");
    assert_eq!(json["merOrderId"], "3194NOSUCHORDER1");
    match client.parse::<PaymentQuery>(&raw.to_http()) {
        Err(Error::Platform(e)) => assert_eq!(e.err_code, "NO_ORDER"),
        other => panic!("{other:?}"),
    }
    // The order exists, but under another business type.
    let mini = demo_merchant().with_inst_mid(InstMid::new("MINIDEFAULT").unwrap());
    let wrong = PaymentQuery::new(&mini, DEMO_PAID_ORDER.parse().unwrap());
    let json = send(&sandbox, &client.prepare(&wrong).unwrap()).json();
    assert_eq!(json["errCode"], "NO_ORDER");
    // Another merchant.
    let stranger = Merchant::new("898201600000000", DEMO_TID, DEMO_INST_MID).unwrap();
    let other = PaymentQuery::new(&stranger, DEMO_PAID_ORDER.parse().unwrap());
    let json = send(&sandbox, &client.prepare(&other).unwrap()).json();
    assert_eq!(json["errCode"], "NO_ORDER");
}

#[test]
fn a_wrong_app_key_is_bad_sign() {
    let sandbox = Sandbox::start_demo().unwrap();
    let wrong = client_with(
        &sandbox,
        Credentials::new(sandbox.app_id(), "not-the-key"),
        sandbox.now(),
    );
    let raw = send(&sandbox, &wrong.prepare(&query(DEMO_PAID_ORDER)).unwrap());
    assert_eq!(raw.status, 401);
    assert_eq!(raw.err_code(), "BAD_SIGN");
    assert!(raw.json()["errInfo"].is_string());
    match wrong.parse::<PaymentQuery>(&raw.to_http()) {
        Err(Error::Platform(e)) => assert_eq!(e.err_code, "BAD_SIGN"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_tampered_body_is_bad_sign() {
    let sandbox = Sandbox::start_demo().unwrap();
    let mut request = signed_query(&sandbox, DEMO_UNPAID_ORDER);
    // Same length, another (existing) order: only the digest can tell.
    let body = String::from_utf8(request.body().clone()).unwrap();
    let tampered = body.replace("3194DEMOUNPAID0001", "3194DEMOREFUND0001");
    assert_ne!(body, tampered);
    *request.body_mut() = tampered.into_bytes();
    let raw = send(&sandbox, &request);
    assert_eq!(raw.status, 401);
    assert_eq!(raw.err_code(), "BAD_SIGN");
    // Even one added space breaks it.
    let mut request = signed_query(&sandbox, DEMO_UNPAID_ORDER);
    request.body_mut().push(b' ');
    assert_eq!(send(&sandbox, &request).err_code(), "BAD_SIGN");
    // The untouched request passes.
    let request = signed_query(&sandbox, DEMO_UNPAID_ORDER);
    assert_eq!(send(&sandbox, &request).err_code(), "SUCCESS");
}

#[test]
fn an_unknown_app_id_is_1002() {
    let sandbox = Sandbox::start_demo().unwrap();
    let stranger = client_with(
        &sandbox,
        Credentials::new("someone-else", sandbox.app_key()),
        sandbox.now(),
    );
    let raw = send(
        &sandbox,
        &stranger.prepare(&query(DEMO_PAID_ORDER)).unwrap(),
    );
    assert_eq!(raw.status, 401);
    assert_eq!(raw.err_code(), "1002");
}

#[test]
fn custom_credentials_are_the_ones_accepted() {
    let sandbox = Sandbox::builder()
        .app_id("10037e6f6a4e6da4016a670fd4530012")
        .app_key("f7a74b6c02ae4e1e94aaba311c04acf2")
        .seed_demo(true)
        .start()
        .unwrap();
    assert_eq!(sandbox.app_id(), "10037e6f6a4e6da4016a670fd4530012");
    assert_eq!(
        sandbox.credentials().app_key(),
        "f7a74b6c02ae4e1e94aaba311c04acf2"
    );
    let raw = send(&sandbox, &signed_query(&sandbox, DEMO_PAID_ORDER));
    assert_eq!(raw.err_code(), "SUCCESS");
    let default = client_with(
        &sandbox,
        Credentials::new(
            chinaums_sandbox::DEFAULT_APP_ID,
            chinaums_sandbox::DEFAULT_APP_KEY,
        ),
        sandbox.now(),
    );
    let raw = send(&sandbox, &default.prepare(&query(DEMO_PAID_ORDER)).unwrap());
    assert_eq!(raw.err_code(), "1002");
    assert!(!format!("{sandbox:?}").contains("f7a74b6c02ae4e1e94aaba311c04acf2"));
    assert!(!format!("{:?}", Sandbox::builder().app_key("sekrit-key")).contains("sekrit-key"));
}

#[test]
fn bad_builder_credentials_are_refused() {
    assert!(Sandbox::builder().app_id("").start().is_err());
    assert!(Sandbox::builder().app_id("a\"b").start().is_err());
    assert!(Sandbox::builder().app_key("").start().is_err());
}

#[test]
fn stale_timestamps_are_rejected_against_the_sandbox_clock() {
    let sandbox = Sandbox::start_demo().unwrap();
    // Signed now; the sandbox clock then runs 11 minutes ahead.
    let request = signed_query(&sandbox, DEMO_PAID_ORDER);
    sandbox.advance_clock(Duration::from_secs(11 * 60));
    let raw = send(&sandbox, &request);
    assert_eq!(raw.status, 401);
    assert_eq!(raw.err_code(), "ABNORMAL_REQUEST_TIME");
    // A client whose clock matches the sandbox's is fine.
    let synced = client_at_sandbox_time(&sandbox);
    let raw = send(&sandbox, &synced.prepare(&query(DEMO_PAID_ORDER)).unwrap());
    assert_eq!(raw.err_code(), "SUCCESS");
    // A client in the past (a UTC clock looks 8 hours off) is refused.
    let past = client_with(
        &sandbox,
        sandbox.credentials(),
        sandbox.now() - Duration::from_secs(8 * 3600),
    );
    let raw = send(&sandbox, &past.prepare(&query(DEMO_PAID_ORDER)).unwrap());
    assert_eq!(raw.err_code(), "ABNORMAL_REQUEST_TIME");
    // Within the 10 minutes, both ways.
    for offset in [-9 * 60i64, 9 * 60] {
        let at = if offset < 0 {
            sandbox.now() - Duration::from_secs(offset.unsigned_abs())
        } else {
            sandbox.now() + Duration::from_secs(offset as u64)
        };
        let near = client_with(&sandbox, sandbox.credentials(), at);
        let raw = send(&sandbox, &near.prepare(&query(DEMO_PAID_ORDER)).unwrap());
        assert_eq!(raw.err_code(), "SUCCESS", "{offset}");
    }
}

#[test]
fn max_skew_is_configurable() {
    let sandbox = Sandbox::builder()
        .seed_demo(true)
        .max_skew(Duration::from_secs(5))
        .start()
        .unwrap();
    let late = client_with(
        &sandbox,
        sandbox.credentials(),
        sandbox.now() - Duration::from_secs(60),
    );
    let raw = send(&sandbox, &late.prepare(&query(DEMO_PAID_ORDER)).unwrap());
    assert_eq!(raw.err_code(), "ABNORMAL_REQUEST_TIME");
    let raw = send(&sandbox, &signed_query(&sandbox, DEMO_PAID_ORDER));
    assert_eq!(raw.err_code(), "SUCCESS");
}

#[test]
fn a_stale_request_timestamp_in_the_body_is_a_business_error() {
    let sandbox = Sandbox::start_demo().unwrap();
    let old = time::macros::datetime!(2020-01-01 12:00:00);
    let query = query(DEMO_PAID_ORDER).request_timestamp(old);
    let raw = send(&sandbox, &client(&sandbox).prepare(&query).unwrap());
    assert_eq!(raw.status, 200);
    assert_eq!(raw.err_code(), "ABNORMAL_REQUEST_TIME");
}

/// Signs `body` and swaps in `authorization`.
fn with_authorization(sandbox: &Sandbox, authorization: &str) -> chinaums::http::Request<Vec<u8>> {
    let mut request = signed_query(sandbox, DEMO_PAID_ORDER);
    request
        .headers_mut()
        .insert("authorization", authorization.parse().unwrap());
    request
}

#[test]
fn malformed_authorization_headers_are_1001() {
    let sandbox = Sandbox::start_demo().unwrap();
    let mut missing = signed_query(&sandbox, DEMO_PAID_ORDER);
    missing.headers_mut().remove("authorization");
    let raw = send(&sandbox, &missing);
    assert_eq!(raw.status, 401);
    assert_eq!(raw.err_code(), "1001");
    assert!(raw.json()["errInfo"].as_str().unwrap().contains("missing"));
    for bad in [
        "OPEN-BODY-SIG",
        "Bearer abc",
        r#"OPEN-BODY-SIG AppId="a", Timestamp="t", Nonce="n""#,
        r#"OPEN-BODY-SIG appid="a", Timestamp="t", Nonce="n", Signature="s""#,
        "OPEN-ACCESS-TOKEN AccessToken=",
    ] {
        let raw = send(&sandbox, &with_authorization(&sandbox, bad));
        assert_eq!(raw.status, 401, "{bad}");
        assert_eq!(raw.err_code(), "1001", "{bad}");
    }
    // Two Authorization headers.
    let mut twice = signed_query(&sandbox, DEMO_PAID_ORDER);
    let value = twice.headers()["authorization"].clone();
    twice.headers_mut().append("authorization", value);
    assert_eq!(send(&sandbox, &twice).err_code(), "1001");
}

#[test]
fn the_compact_separator_of_the_official_example_is_accepted() {
    let sandbox = Sandbox::start_demo().unwrap();
    let request = signed_query(&sandbox, DEMO_PAID_ORDER);
    let compact = request.headers()["authorization"]
        .to_str()
        .unwrap()
        .replace("\", ", "\",");
    let mut request = request;
    request
        .headers_mut()
        .insert("authorization", compact.parse().unwrap());
    assert_eq!(send(&sandbox, &request).err_code(), "SUCCESS");
}

#[test]
fn a_timestamp_that_does_not_parse_is_412_1000() {
    let sandbox = Sandbox::start_demo().unwrap();
    let request = signed_query(&sandbox, DEMO_PAID_ORDER);
    for timestamp in ["2024-01-01 12:00:00", "2024010112000", "20241301120000"] {
        let signed = body_sig::sign(
            sandbox.app_id(),
            sandbox.app_key(),
            timestamp,
            "nonce",
            request.body(),
        );
        let raw = send(
            &sandbox,
            &with_authorization(&sandbox, &signed.authorization),
        );
        assert_eq!(raw.status, 412, "{timestamp}");
        assert_eq!(
            raw.json(),
            json!({"errCode": "1000", "errInfo": "Timestamp解析失败"})
        );
    }
}

#[test]
fn field_rule_violations_are_bad_request() {
    let sandbox = Sandbox::start_demo().unwrap();
    let client = client(&sandbox);
    let now = chinaums::timestamps::request_timestamp(sandbox.now());
    let cases = [
        (
            json!({"requestTimestamp": now, "mid": "89820161234567", "tid": DEMO_TID, "instMid": DEMO_INST_MID, "merOrderId": DEMO_PAID_ORDER}),
            "mid: must be exactly 15 characters, got 14",
        ),
        (
            json!({"requestTimestamp": now, "mid": DEMO_MID, "tid": DEMO_TID, "instMid": DEMO_INST_MID, "merOrderId": "12345"}),
            "merOrderId: must be 6 to 32 characters, got 5",
        ),
        (
            json!({"requestTimestamp": now, "mid": DEMO_MID, "tid": DEMO_TID, "instMid": DEMO_INST_MID}),
            "merOrderId: is required",
        ),
        (
            json!({"requestTimestamp": "2024/01/01 12:00:00", "mid": DEMO_MID, "tid": DEMO_TID, "instMid": DEMO_INST_MID, "merOrderId": DEMO_PAID_ORDER}),
            "requestTimestamp: must be yyyy-MM-dd HH:mm:ss (or yyyyMMddHHmmss)",
        ),
        (
            json!({"requestTimestamp": now, "mid": DEMO_MID, "tid": 88880001, "instMid": DEMO_INST_MID, "merOrderId": DEMO_PAID_ORDER}),
            "tid: must be a string",
        ),
        (
            json!({"requestTimestamp": now, "mid": DEMO_MID, "tid": DEMO_TID, "instMid": DEMO_INST_MID, "merOrderId": DEMO_PAID_ORDER, "msgId": "x".repeat(65)}),
            "msgId: must be at most 64 characters, got 65",
        ),
    ];
    for (body, message) in cases {
        let request = client
            .sign_request(PATH, serde_json::to_vec(&body).unwrap())
            .unwrap();
        let raw = send(&sandbox, &request);
        assert_eq!(raw.status, 200, "{message}");
        let json = raw.json();
        assert_eq!(json["errCode"], "BAD_REQUEST", "{message}");
        assert_eq!(json["errMsg"], message);
    }
}

/// Some maintained clients send `requestTimestamp` in the compact `yyyyMMddHHmmss`; the
/// platform takes it, so the sandbox does, with the same freshness check.
#[test]
fn a_compact_request_timestamp_is_accepted() {
    let sandbox = Sandbox::start_demo().unwrap();
    let client = client(&sandbox);
    let body = |stamp: String| {
        let body = json!({"requestTimestamp": stamp, "mid": DEMO_MID, "tid": DEMO_TID,
            "instMid": DEMO_INST_MID, "merOrderId": DEMO_PAID_ORDER});
        client
            .sign_request(PATH, serde_json::to_vec(&body).unwrap())
            .unwrap()
    };
    let now = chinaums::timestamps::auth_timestamp(sandbox.now());
    assert_eq!(now.len(), 14);
    let json = send(&sandbox, &body(now)).json();
    assert_eq!(json["errCode"], "SUCCESS", "{json}");
    assert_eq!(json["status"], "TRADE_SUCCESS");
    let stale = chinaums::timestamps::auth_timestamp(sandbox.now() - Duration::from_secs(3600));
    assert_eq!(
        send(&sandbox, &body(stale)).err_code(),
        "ABNORMAL_REQUEST_TIME"
    );
}

#[test]
fn a_body_that_is_not_a_json_object_is_400() {
    let sandbox = Sandbox::start_demo().unwrap();
    let client = client(&sandbox);
    for body in [&b"[1,2]"[..], b"not json", b""] {
        let request = client.sign_request(PATH, body.to_vec()).unwrap();
        let raw = send(&sandbox, &request);
        assert_eq!(raw.status, 400, "{body:?}");
        assert_eq!(raw.err_code(), "BAD_REQUEST");
        assert!(raw.json()["errInfo"].is_string());
    }
}

#[test]
fn unknown_paths_are_404_and_other_methods_405() {
    let sandbox = Sandbox::start_demo().unwrap();
    let raw = send_raw(
        &sandbox,
        b"POST /v1/netpay/nope HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
    );
    assert_eq!(raw.status, 404);
    assert!(raw.json()["errInfo"].is_string());
    for method in ["GET", "PUT", "DELETE"] {
        let raw = send_raw(
            &sandbox,
            format!("{method} /v1/netpay/query HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes(),
        );
        assert_eq!(raw.status, 405, "{method}");
        assert_eq!(raw.header("allow"), Some("POST"));
        assert!(raw.json()["errCode"].is_string());
    }
    let raw = send_raw(
        &sandbox,
        b"GET /v1/token/access HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    assert_eq!(raw.status, 405);
}

#[test]
fn a_body_over_1_mib_is_413_and_the_client_sees_it() {
    let sandbox = Sandbox::start_demo().unwrap();
    // Announced only: refused before the body is read.
    let raw = send_raw(
        &sandbox,
        b"POST /v1/netpay/query HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n",
    );
    assert_eq!(raw.status, 413);
    assert_eq!(raw.header("connection"), Some("close"));
    // Sent in full: the client still reads the 413 rather than a reset.
    let mut stream = connect(&sandbox);
    let body = vec![b' '; 2 * 1024 * 1024];
    stream
        .write_all(
            format!(
                "POST /v1/netpay/query HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        )
        .unwrap();
    let _ = stream.write_all(&body);
    let raw = stream.read_response().unwrap();
    assert_eq!(raw.status, 413);
    // Exactly 1 MiB is accepted (and then fails authentication).
    let raw = send_raw(
        &sandbox,
        &[
            &b"POST /v1/netpay/query HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n"[..],
            &vec![b' '; 1024 * 1024],
        ]
        .concat(),
    );
    assert_eq!(raw.status, 401);
}

#[test]
fn chunked_bodies_expect_continue_and_pipelining_work() {
    let sandbox = Sandbox::start_demo().unwrap();
    let request = signed_query(&sandbox, DEMO_PAID_ORDER);
    let body = request.body();
    let (a, b) = body.split_at(body.len() / 2);
    let mut head = format!("POST {PATH} HTTP/1.1\r\nHost: x\r\n");
    head.push_str(&format!(
        "Authorization: {}\r\n",
        request.headers()["authorization"].to_str().unwrap()
    ));
    let mut chunked = head.clone().into_bytes();
    chunked.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
    for part in [a, b] {
        chunked.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        chunked.extend_from_slice(part);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    assert_eq!(send_raw(&sandbox, &chunked).err_code(), "SUCCESS");

    // Expect: 100-continue: the interim answer comes before the body is sent.
    let mut stream = connect(&sandbox);
    stream
        .write_all(
            format!(
                "{head}Expect: 100-continue\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        )
        .unwrap();
    let interim = stream.read_message(false).unwrap();
    assert_eq!(interim.head, b"HTTP/1.1 100 Continue\r\n\r\n");
    assert!(interim.body.is_empty());
    stream.write_all(body).unwrap();
    assert_eq!(stream.read_response().unwrap().err_code(), "SUCCESS");

    // Two requests in one write: two answers, in order, on one connection.
    let first = request_bytes(&signed_query(&sandbox, DEMO_PAID_ORDER));
    let second = request_bytes(&signed_query(&sandbox, DEMO_CLOSED_ORDER));
    let connections = sandbox.connection_count();
    let mut stream = connect(&sandbox);
    stream.write_all(&[first, second].concat()).unwrap();
    assert_eq!(
        stream.read_response().unwrap().json()["status"],
        "TRADE_SUCCESS"
    );
    assert_eq!(
        stream.read_response().unwrap().json()["status"],
        "TRADE_CLOSED"
    );
    assert_eq!(sandbox.connection_count(), connections + 1);
}

/// Answers as several messages arrive in one read (pipelining) or a byte at a time.
const ANSWERS: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n\
    HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}\
    HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n[1,\r\n2;x=y\r\n2]\r\n0\r\nT: v\r\n\r\n\
    HTTP/1.1 204 No Content\r\n\r\n\
    HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 5\r\n\r\n\
    HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end";

/// The test client splits answers by their HTTP framing, never one per read: pipelined
/// answers can arrive together.
#[test]
fn the_test_client_frames_answers_however_they_arrive() {
    /// One byte per read.
    struct Trickle<'a>(&'a [u8]);
    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(buf.len()).min(1);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }
    fn check<R: std::io::Read>(mut conn: Conn<R>) {
        let interim = conn.read_message(false).unwrap();
        assert_eq!(interim.status, 100);
        assert_eq!(interim.head, b"HTTP/1.1 100 Continue\r\n\r\n");
        let first = conn.read_response().unwrap();
        assert_eq!((first.status, first.body.as_slice()), (200, &b"{}"[..]));
        let chunked = conn.read_response().unwrap();
        assert_eq!(chunked.body, b"[1,2]");
        let empty = conn.read_response().unwrap();
        assert_eq!((empty.status, empty.body.len()), (204, 0));
        // The answer to a HEAD: Content-Length announces a body that is not sent.
        let head = conn.read_head_response().unwrap();
        assert_eq!((head.status, head.body.len()), (405, 0));
        assert_eq!(head.header("content-length"), Some("5"));
        let last = conn.read_response().unwrap();
        assert_eq!(last.body, b"until the end");
        assert!(conn.read_to_close().is_empty());
    }
    check(Conn::new(ANSWERS));
    check(Conn::new(Trickle(ANSWERS)));
    // A short body or a broken head is an error, not a panic.
    let cut = parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc").unwrap_err();
    assert_eq!(cut.kind(), std::io::ErrorKind::UnexpectedEof);
    let bad = parse_response(b"HTTP/1.1 2xx OK\r\n\r\n").unwrap_err();
    assert_eq!(bad.kind(), std::io::ErrorKind::InvalidData);
}

#[test]
fn garbage_on_the_wire_is_400_and_closes() {
    let sandbox = Sandbox::start_demo().unwrap();
    let mut stream = connect(&sandbox);
    stream.write_all(b"HELLO\x01 WORLD\r\n\r\n").unwrap();
    let raw = stream.read_response().unwrap();
    assert_eq!(raw.status, 400);
    assert!(stream.read_to_close().is_empty());
}

#[test]
fn keep_alive_reuses_one_connection_and_close_is_honoured() {
    let sandbox = Sandbox::start_demo().unwrap();
    assert_eq!(sandbox.connection_count(), 0);
    let mut stream = connect(&sandbox);
    for id in [DEMO_PAID_ORDER, DEMO_UNPAID_ORDER, DEMO_CLOSED_ORDER] {
        let raw = stream.exchange(&signed_query(&sandbox, id));
        assert_eq!(raw.err_code(), "SUCCESS");
        assert_eq!(raw.header("connection"), Some("keep-alive"));
    }
    assert_eq!(sandbox.request_count(), 3);
    assert_eq!(sandbox.connection_count(), 1);
    // `Connection: close`: answered, then closed by the server.
    let mut request = signed_query(&sandbox, DEMO_PAID_ORDER);
    request
        .headers_mut()
        .insert("connection", "close".parse().unwrap());
    let raw = stream.exchange(&request);
    assert_eq!(raw.err_code(), "SUCCESS");
    assert_eq!(raw.header("connection"), Some("close"));
    assert!(stream.read_to_close().is_empty());
    // HTTP/1.0 closes by default.
    let bytes = request_bytes(&signed_query(&sandbox, DEMO_PAID_ORDER));
    let bytes = String::from_utf8(bytes)
        .unwrap()
        .replacen("HTTP/1.1", "HTTP/1.0", 1);
    let mut stream = connect(&sandbox);
    stream.write_all(bytes.as_bytes()).unwrap();
    assert_eq!(stream.read_response().unwrap().err_code(), "SUCCESS");
    assert!(stream.read_to_close().is_empty());
    assert_eq!(sandbox.connection_count(), 2);
    assert_eq!(sandbox.request_count(), 5);
}

#[test]
fn counters_count_requests_tokens_and_connections() {
    let sandbox = Sandbox::start_demo().unwrap();
    send(&sandbox, &signed_query(&sandbox, DEMO_PAID_ORDER));
    let mut bad = signed_query(&sandbox, DEMO_PAID_ORDER);
    bad.headers_mut().remove("authorization");
    send(&sandbox, &bad); // rejected, still a business request
    send_raw(&sandbox, b"GET /v1/nope HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(sandbox.request_count(), 3);
    assert_eq!(sandbox.token_fetch_count(), 0);
    fetch_token(&sandbox);
    // A refused token request is not a fetch, nor a business request.
    let raw = send(
        &sandbox,
        &post(
            &sandbox,
            token::PATH,
            token_body(sandbox.app_id(), "wrong", sandbox.now(), "n"),
        ),
    );
    assert_eq!(raw.err_code(), "BAD_SIGN");
    assert_eq!(sandbox.token_fetch_count(), 1);
    assert_eq!(sandbox.request_count(), 3);
    assert_eq!(sandbox.connection_count(), 5);
}

// ---------------------------------------------------------------------------------------
// Access tokens

#[test]
fn tokens_are_issued_used_and_expire_after_an_hour() {
    let sandbox = Sandbox::start_demo().unwrap();
    let body = token_body(sandbox.app_id(), sandbox.app_key(), sandbox.now(), "abc123");
    let raw = send(&sandbox, &post(&sandbox, token::PATH, body));
    assert_eq!(raw.status, 200);
    assert_eq!(
        raw.header("content-type"),
        Some("application/json;charset=UTF-8")
    );
    let json = raw.json();
    assert_eq!(json["errCode"], "0000");
    assert_eq!(json["errInfo"], "正常");
    assert_eq!(json["expiresIn"], json!(3600));
    let access = json["accessToken"].as_str().unwrap().to_owned();
    assert_eq!(access.len(), 32);
    assert!(
        access
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    assert_eq!(sandbox.token_fetch_count(), 1);
    assert_eq!(sandbox.valid_token_count(), 1);

    // Used on a business call, canonical and quoted forms.
    let raw = send(&sandbox, &token_query(&sandbox, &access, DEMO_PAID_ORDER));
    assert_eq!(raw.status, 200);
    assert_eq!(raw.json()["status"], "TRADE_SUCCESS");
    let mut quoted = token_query(&sandbox, &access, DEMO_PAID_ORDER);
    quoted.headers_mut().insert(
        "authorization",
        format!("OPEN-ACCESS-TOKEN AccessToken=\"{access}\"")
            .parse()
            .unwrap(),
    );
    assert_eq!(send(&sandbox, &quoted).err_code(), "SUCCESS");

    // 59 minutes later it still works; at one hour it is gone.
    sandbox.advance_clock(Duration::from_secs(59 * 60));
    assert_eq!(
        send(&sandbox, &token_query(&sandbox, &access, DEMO_PAID_ORDER)).err_code(),
        "SUCCESS"
    );
    sandbox.advance_clock(Duration::from_secs(60));
    let raw = send(&sandbox, &token_query(&sandbox, &access, DEMO_PAID_ORDER));
    assert_eq!(raw.status, 401);
    assert_eq!(
        raw.json(),
        json!({"errCode": "INVALID_TOKEN", "errInfo": "认证失败: AccessToken无效或已过期"})
    );
    assert_eq!(sandbox.valid_token_count(), 0);
    // A new token works again.
    let fresh = fetch_token(&sandbox);
    assert_ne!(fresh, access);
    assert_eq!(
        send(&sandbox, &token_query(&sandbox, &fresh, DEMO_PAID_ORDER)).err_code(),
        "SUCCESS"
    );
}

#[test]
fn unknown_tokens_are_invalid_and_revocation_works() {
    let sandbox = Sandbox::start_demo().unwrap();
    let raw = send(
        &sandbox,
        &token_query(
            &sandbox,
            "00000000000000000000000000000000",
            DEMO_PAID_ORDER,
        ),
    );
    assert_eq!(raw.status, 401);
    assert_eq!(raw.err_code(), "INVALID_TOKEN");
    let access = fetch_token(&sandbox);
    sandbox.revoke_tokens();
    let raw = send(&sandbox, &token_query(&sandbox, &access, DEMO_PAID_ORDER));
    assert_eq!(raw.err_code(), "INVALID_TOKEN");
}

#[test]
fn the_eleventh_token_evicts_the_oldest() {
    let sandbox = Sandbox::start_demo().unwrap();
    let tokens: Vec<String> = (0..11).map(|_| fetch_token(&sandbox)).collect();
    assert_eq!(sandbox.token_fetch_count(), 11);
    assert_eq!(sandbox.valid_token_count(), 10);
    let raw = send(
        &sandbox,
        &token_query(&sandbox, &tokens[0], DEMO_PAID_ORDER),
    );
    assert_eq!(raw.err_code(), "INVALID_TOKEN");
    for t in &tokens[1..] {
        let raw = send(&sandbox, &token_query(&sandbox, t, DEMO_PAID_ORDER));
        assert_eq!(raw.err_code(), "SUCCESS");
    }
}

#[test]
fn bad_token_requests_are_refused_with_http_200() {
    let sandbox = Sandbox::start_demo().unwrap();
    let now = sandbox.now();
    let nonce = "0123456789abcdef";
    let mut missing = serde_json::from_slice::<Value>(&token_body(
        sandbox.app_id(),
        sandbox.app_key(),
        now,
        nonce,
    ))
    .unwrap();
    missing.as_object_mut().unwrap().remove("nonce");
    let mut sha1 = missing.clone();
    sha1["nonce"] = json!(nonce);
    sha1["signMethod"] = json!("SHA1");
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            token_body(sandbox.app_id(), "wrong-key", now, nonce),
            "BAD_SIGN",
        ),
        (
            token_body("other-app", sandbox.app_key(), now, nonce),
            "1002",
        ),
        (
            token_body(
                sandbox.app_id(),
                sandbox.app_key(),
                now - Duration::from_secs(3600),
                nonce,
            ),
            "ABNORMAL_REQUEST_TIME",
        ),
        (serde_json::to_vec(&missing).unwrap(), "BAD_REQUEST"),
        (serde_json::to_vec(&sha1).unwrap(), "BAD_REQUEST"),
    ];
    for (body, code) in cases {
        let raw = send(&sandbox, &post(&sandbox, token::PATH, body));
        assert_eq!(raw.status, 200, "{code}");
        let json = raw.json();
        assert_eq!(json["errCode"], code, "{json}");
        assert!(json["errInfo"].as_str().is_some_and(|s| !s.is_empty()));
        assert!(json.get("accessToken").is_none());
    }
    let raw = send(&sandbox, &post(&sandbox, token::PATH, b"nope".to_vec()));
    assert_eq!(raw.status, 400);
    assert_eq!(sandbox.token_fetch_count(), 0);
    assert_eq!(sandbox.valid_token_count(), 0);
}

/// A token request without `signMethod` is signed the legacy way: lowercase hex of
/// SHA-1(appId ‖ timestamp ‖ nonce ‖ appKey). This one is computed here by hand, with the
/// values of a known answer (Python's `hashlib.sha1`).
#[test]
fn a_token_request_without_sign_method_is_checked_as_legacy_sha1() {
    let app_id = "10037e6f6a4e6da4016a670fd4530012";
    let app_key = "f7a74b6c02ae4e1e94aaba311c04acf2";
    let sandbox = Sandbox::builder()
        .app_id(app_id)
        .app_key(app_key)
        .seed_demo(true)
        .start()
        .unwrap();
    // The known answer is signed at 2024-01-01 12:00:00 Beijing time, long past: a sandbox
    // that accepts a very wide skew takes it.
    let skewed = Sandbox::builder()
        .app_id(app_id)
        .app_key(app_key)
        .max_skew(Duration::from_secs(100 * 365 * 24 * 3600))
        .start()
        .unwrap();
    let body = |sign_method: Option<&str>, signature: &str| {
        let mut body = json!({
            "appId": app_id,
            "timestamp": "20240101120000",
            "nonce": "0123456789abcdef0123456789abcdef",
            "signature": signature,
        });
        if let Some(method) = sign_method {
            body["signMethod"] = json!(method);
        }
        post(&skewed, token::PATH, serde_json::to_vec(&body).unwrap())
    };
    let legacy = "88965ee683ba2b93d2fd9573d6e7624c6736fb55";
    let sha256 = token::signature(
        app_id,
        "20240101120000",
        "0123456789abcdef0123456789abcdef",
        app_key,
    );
    let json = send(&skewed, &body(None, legacy)).json();
    assert_eq!(json["errCode"], "0000", "{json}");
    assert!(json["accessToken"].is_string());
    // Each signature only under its own method.
    assert_eq!(send(&skewed, &body(None, &sha256)).err_code(), "BAD_SIGN");
    assert_eq!(
        send(&skewed, &body(Some("SHA256"), legacy)).err_code(),
        "BAD_SIGN"
    );
    assert_eq!(
        send(&skewed, &body(Some("SHA256"), &sha256)).err_code(),
        "0000"
    );
    assert_eq!(skewed.token_fetch_count(), 2);
    // At the sandbox's own time, a legacy-signed request gets a token that business calls
    // accept.
    let timestamp = chinaums::timestamps::auth_timestamp(sandbox.now());
    let nonce = "legacy-client-nonce";
    let signature = sha1_hex(&format!("{app_id}{timestamp}{nonce}{app_key}"));
    let body =
        json!({"appId": app_id, "timestamp": timestamp, "nonce": nonce, "signature": signature});
    let json = send(
        &sandbox,
        &post(&sandbox, token::PATH, serde_json::to_vec(&body).unwrap()),
    )
    .json();
    assert_eq!(json["errCode"], "0000", "{json}");
    let access = json["accessToken"].as_str().unwrap();
    let raw = send(&sandbox, &token_query(&sandbox, access, DEMO_PAID_ORDER));
    assert_eq!(raw.err_code(), "SUCCESS");
}

/// SHA-1 (FIPS 180-4) in a few lines, so that the test does not check the sandbox's legacy
/// signature with the sandbox's own code.
fn sha1_hex(message: &str) -> String {
    let mut h: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    let mut data = message.as_bytes().to_vec();
    let bits = (data.len() as u64) * 8;
    data.push(0x80);
    while data.len() % 64 != 56 {
        data.push(0);
    }
    data.extend_from_slice(&bits.to_be_bytes());
    for block in data.chunks(64) {
        let mut w = [0u32; 80];
        for (i, word) in block.chunks(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A827999),
                20..=39 => (b ^ c ^ d, 0x6ED9EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
                _ => (b ^ c ^ d, 0xCA62C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            (e, d, c, b, a) = (d, c, b.rotate_left(30), a, t);
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    h.iter().map(|x| format!("{x:08x}")).collect()
}

#[test]
fn the_test_sha1_matches_the_known_answer() {
    assert_eq!(
        sha1_hex(
            "10037e6f6a4e6da4016a670fd4530012202401011200000123456789abcdef0123456789abcdeff7a74b6c02ae4e1e94aaba311c04acf2"
        ),
        "88965ee683ba2b93d2fd9573d6e7624c6736fb55"
    );
    assert_eq!(sha1_hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

// ---------------------------------------------------------------------------------------
// Faults

/// That the answer is held back is checked, without measuring time, by
/// `a_delayed_request_does_not_block_others`; here, that it is the normal answer once it comes.
#[test]
fn delay_then_a_normal_answer() {
    let sandbox = Sandbox::start_demo().unwrap();
    sandbox.inject_fault(Fault::Delay(Duration::from_millis(50)));
    let raw = send(&sandbox, &signed_query(&sandbox, DEMO_PAID_ORDER));
    assert_eq!(raw.status, 200);
    assert_eq!(raw.err_code(), "SUCCESS");
    assert_eq!(raw.json()["status"], "TRADE_SUCCESS");
    assert_eq!(sandbox.request_count(), 1);
}

#[test]
fn drop_connection_closes_without_a_byte() {
    let sandbox = Sandbox::start_demo().unwrap();
    sandbox.inject_fault(Fault::DropConnection);
    let mut stream = connect(&sandbox);
    stream
        .write_all(&request_bytes(&signed_query(&sandbox, DEMO_PAID_ORDER)))
        .unwrap();
    assert!(stream.read_to_close().is_empty());
    assert_eq!(sandbox.request_count(), 1);
    // One-shot: the next request is answered.
    let raw = send(&sandbox, &signed_query(&sandbox, DEMO_PAID_ORDER));
    assert_eq!(raw.err_code(), "SUCCESS");
    assert_eq!(sandbox.request_count(), 2);
}

#[test]
fn internal_server_error_is_plain_text_500() {
    let sandbox = Sandbox::start_demo().unwrap();
    sandbox.inject_fault(Fault::InternalServerError);
    let raw = send(&sandbox, &signed_query(&sandbox, DEMO_PAID_ORDER));
    assert_eq!(raw.status, 500);
    assert!(
        raw.header("content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(raw.body, b"Internal Server Error");
}

#[test]
fn garbage_is_200_json_that_is_not_json() {
    let sandbox = Sandbox::start_demo().unwrap();
    sandbox.inject_fault(Fault::Garbage);
    let raw = send(&sandbox, &signed_query(&sandbox, DEMO_PAID_ORDER));
    assert_eq!(raw.status, 200);
    assert!(
        raw.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    assert!(!raw.body.is_empty());
    assert!(serde_json::from_slice::<Value>(&raw.body).is_err());
}

#[test]
fn truncated_json_is_a_complete_message_with_half_a_body() {
    let sandbox = Sandbox::start_demo().unwrap();
    let whole = send(&sandbox, &signed_query(&sandbox, DEMO_PAID_ORDER));
    sandbox.inject_fault(Fault::TruncatedJson);
    let mut stream = connect(&sandbox);
    let cut = stream.exchange(&signed_query(&sandbox, DEMO_PAID_ORDER));
    assert_eq!(cut.status, 200);
    assert!(cut.body.len() <= whole.body.len() / 2);
    assert!(cut.body.len() + 4 > whole.body.len() / 2);
    let error = serde_json::from_slice::<Value>(&cut.body).unwrap_err();
    assert!(error.is_eof(), "{error}");
    // The connection stays usable: the message itself was well framed.
    let raw = stream.exchange(&signed_query(&sandbox, DEMO_PAID_ORDER));
    assert_eq!(raw.err_code(), "SUCCESS");
}

#[test]
fn cut_connection_mid_body_announces_more_than_it_sends() {
    let sandbox = Sandbox::start_demo().unwrap();
    sandbox.inject_fault(Fault::CutConnectionMidBody);
    let mut stream = connect(&sandbox);
    stream
        .write_all(&request_bytes(&signed_query(&sandbox, DEMO_PAID_ORDER)))
        .unwrap();
    let bytes = stream.read_to_close();
    // The whole message does not parse: its body is short.
    let error = parse_response(&bytes).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::UnexpectedEof, "{error}");
    // Its head does; what follows it is the half body.
    let mut rest = Conn::new(bytes.as_slice());
    let head = rest.read_head_response().unwrap();
    assert!(head.head.starts_with(b"HTTP/1.1 200 OK\r\n"));
    let length: usize = head.header("content-length").unwrap().parse().unwrap();
    let body = rest.buffered();
    assert!(length > 100);
    assert_eq!(body.len(), length / 2);
    assert!(body.starts_with(b"{\"errCode\":\"SUCCESS\""));
}

#[test]
fn huge_body_is_valid_json_of_the_requested_size() {
    let sandbox = Sandbox::start_demo().unwrap();
    sandbox.inject_fault(Fault::HugeBody(3 * 1024 * 1024));
    let raw = send(&sandbox, &signed_query(&sandbox, DEMO_PAID_ORDER));
    assert_eq!(raw.status, 200);
    assert_eq!(raw.body.len(), 3 * 1024 * 1024);
    let json = raw.json();
    assert_eq!(json["errCode"], "SUCCESS");
    assert_eq!(json["status"], "TRADE_SUCCESS");
}

#[test]
fn raw_bytes_replace_the_answer_then_the_connection_closes() {
    let sandbox = Sandbox::start_demo().unwrap();
    let bytes = b"HTTP/1.1 200 OK\r\ncontent-length: 10000000\r\n\r\nnot all".to_vec();
    sandbox.inject_fault(Fault::Raw(bytes.clone()));
    let mut stream = connect(&sandbox);
    stream
        .write_all(&request_bytes(&signed_query(&sandbox, DEMO_PAID_ORDER)))
        .unwrap();
    assert_eq!(
        stream.read_to_close(),
        bytes,
        "exactly these bytes, then the close"
    );
    // Not HTTP at all.
    sandbox.inject_fault(Fault::Raw(b"SSH-2.0-OpenSSH_9.6\r\n".to_vec()));
    let mut stream = connect(&sandbox);
    stream
        .write_all(&request_bytes(&signed_query(&sandbox, DEMO_PAID_ORDER)))
        .unwrap();
    assert_eq!(stream.read_to_close(), b"SSH-2.0-OpenSSH_9.6\r\n");
    assert_eq!(sandbox.request_count(), 2);
    // One-shot.
    assert_eq!(
        send(&sandbox, &signed_query(&sandbox, DEMO_PAID_ORDER)).err_code(),
        "SUCCESS"
    );
}

#[test]
fn redirects_name_their_location_and_keep_the_connection() {
    let sandbox = Sandbox::start_demo().unwrap();
    sandbox.inject_fault(Fault::Redirect {
        status: 302,
        location: "/elsewhere?from=query".into(),
    });
    let mut stream = connect(&sandbox);
    let raw = stream.exchange(&signed_query(&sandbox, DEMO_PAID_ORDER));
    assert_eq!(raw.status, 302);
    assert_eq!(raw.header("location"), Some("/elsewhere?from=query"));
    assert!(raw.body.is_empty());
    // A well-formed message: the connection goes on.
    let raw = stream.exchange(&signed_query(&sandbox, DEMO_PAID_ORDER));
    assert_eq!(raw.err_code(), "SUCCESS");
    assert_eq!(sandbox.connection_count(), 1);
}

/// The gateway sees the request target's query string (H5 redirect endpoints will need it) and
/// every header, as the client sent them.
#[test]
fn the_gateway_sees_the_query_string_headers_and_body() {
    let sandbox = Sandbox::start_demo().unwrap();
    let mut request = signed_query(&sandbox, DEMO_PAID_ORDER);
    *request.uri_mut() = format!("{}{PATH}?a=1&b=%E6%B5%8B", sandbox.base_url())
        .parse()
        .unwrap();
    request
        .headers_mut()
        .insert("x-trace", "abc".parse().unwrap());
    let raw = send(&sandbox, &request);
    assert_eq!(raw.err_code(), "SUCCESS", "routed by path alone");
    let seen = sandbox.last_request().unwrap();
    assert_eq!(seen.method(), "POST");
    assert_eq!(seen.uri().path(), PATH);
    assert_eq!(seen.uri().query(), Some("a=1&b=%E6%B5%8B"));
    assert_eq!(seen.headers()["x-trace"], "abc");
    assert_eq!(
        seen.headers()["authorization"],
        request.headers()["authorization"]
    );
    assert_eq!(seen.body(), request.body());
}

#[test]
fn set_fault_persists_until_cleared_and_spares_the_token_endpoint() {
    let sandbox = Sandbox::start_demo().unwrap();
    sandbox.set_fault(Some(Fault::InternalServerError));
    for _ in 0..3 {
        assert_eq!(
            send(&sandbox, &signed_query(&sandbox, DEMO_PAID_ORDER)).status,
            500
        );
    }
    fetch_token(&sandbox); // the token endpoint answers normally
    // A one-shot fault wins for one request.
    sandbox.inject_fault(Fault::Garbage);
    let raw = send(&sandbox, &signed_query(&sandbox, DEMO_PAID_ORDER));
    assert_eq!(raw.status, 200);
    assert!(serde_json::from_slice::<Value>(&raw.body).is_err());
    assert_eq!(
        send(&sandbox, &signed_query(&sandbox, DEMO_PAID_ORDER)).status,
        500
    );
    sandbox.set_fault(None);
    assert_eq!(
        send(&sandbox, &signed_query(&sandbox, DEMO_PAID_ORDER)).err_code(),
        "SUCCESS"
    );
    assert_eq!(sandbox.request_count(), 6);
}

#[test]
fn token_faults_hit_only_the_token_endpoint() {
    let sandbox = Sandbox::start_demo().unwrap();
    sandbox.inject_token_fault(Fault::InternalServerError);
    assert_eq!(
        send(&sandbox, &signed_query(&sandbox, DEMO_PAID_ORDER)).err_code(),
        "SUCCESS"
    );
    let body = token_body(sandbox.app_id(), sandbox.app_key(), sandbox.now(), "n1");
    let raw = send(&sandbox, &post(&sandbox, token::PATH, body));
    assert_eq!(raw.status, 500);
    fetch_token(&sandbox);
    sandbox.set_token_fault(Some(Fault::DropConnection));
    let body = token_body(sandbox.app_id(), sandbox.app_key(), sandbox.now(), "n2");
    let mut stream = connect(&sandbox);
    stream
        .write_all(&request_bytes(&post(&sandbox, token::PATH, body)))
        .unwrap();
    assert!(stream.read_to_close().is_empty());
    sandbox.set_token_fault(None);
    fetch_token(&sandbox);
}

#[test]
fn a_delayed_request_does_not_block_others() {
    let sandbox = Sandbox::start_demo().unwrap();
    // Far longer than the test runs, so the answer is certainly still held back when checked;
    // dropping the sandbox ends the wait.
    sandbox.inject_fault(Fault::Delay(Duration::from_secs(600)));
    let mut slow = connect(&sandbox);
    slow.write_all(&request_bytes(&signed_query(&sandbox, DEMO_PAID_ORDER)))
        .unwrap();
    assert!(eventually(|| sandbox.request_count() == 1));
    // Another connection is served meanwhile (a token request, so that it cannot be the one
    // to take the one-shot business fault).
    fetch_token(&sandbox);
    assert_eq!(sandbox.token_fetch_count(), 1);
    assert!(slow.nothing_received_yet(), "the delayed answer came early");
}

// ---------------------------------------------------------------------------------------
// Lifecycle

#[test]
fn shutdown_closes_connections_and_the_port() {
    let sandbox = Sandbox::start_demo().unwrap();
    let addr = sandbox.addr();
    assert!(addr.ip().is_loopback());
    assert_eq!(
        sandbox.base_url(),
        format!("http://127.0.0.1:{}", addr.port())
    );
    assert_eq!(sandbox.environment().base_url(), sandbox.base_url());
    let mut stream = connect(&sandbox);
    stream.exchange(&signed_query(&sandbox, DEMO_PAID_ORDER));
    sandbox.shutdown();
    assert!(stream.read_to_close().is_empty());
    assert!(std::net::TcpStream::connect(addr).is_err());
}

#[test]
fn a_fixed_port_is_honoured() {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = probe.local_addr().unwrap().port();
    drop(probe);
    let sandbox = Sandbox::builder().port(port).start().unwrap();
    assert_eq!(sandbox.port(), port);
    // The port is taken now.
    assert!(Sandbox::builder().port(port).start().is_err());
}

#[tokio::test]
async fn usable_from_inside_a_tokio_runtime() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let sandbox = Sandbox::start_demo().unwrap();
    let request = request_bytes(&signed_query(&sandbox, DEMO_PAID_ORDER));
    let mut stream = tokio::net::TcpStream::connect(sandbox.addr())
        .await
        .unwrap();
    let mut request = request;
    // Close after the answer so that read_to_end ends.
    let text = String::from_utf8(request.clone()).unwrap();
    request = text
        .replacen("\r\n", "\r\nConnection: close\r\n", 1)
        .into_bytes();
    stream.write_all(&request).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let raw = parse_response(&answer).unwrap();
    assert_eq!(raw.json()["status"], "TRADE_SUCCESS");
    drop(sandbox); // dropping inside an async context must not panic
}
