//! Response parsing: the documented example, amount shapes, every error class, garbage.

mod support;

use chinaums::netpay::{PaymentQuery, PaymentQueryResponse};
use chinaums::response::response;
use chinaums::{
    Environment, Error, ErrorClass, Fen, PaymentState, RawOperation, Step, TradeStatus,
};
use http::StatusCode;
use support::*;

fn parse(status: u16, body: &str) -> Result<PaymentQueryResponse, Error> {
    let client = fixed_client(Environment::Test);
    client.parse::<PaymentQuery>(&response(StatusCode::from_u16(status).unwrap(), body))
}

#[test]
fn documented_example_response_parses_field_by_field() {
    let r = parse(200, DOCUMENTED_RESPONSE).unwrap();
    assert_eq!(r.err_code.as_deref(), Some("SUCCESS"));
    assert_eq!(
        r.response_timestamp.as_ref().unwrap().as_str(),
        "2022-07-19 16:29:59"
    );
    assert_eq!(r.mid.as_deref(), Some("898310148160568"));
    assert_eq!(r.tid.as_deref(), Some("88880001"));
    assert_eq!(r.inst_mid.as_deref(), Some(""));
    assert_eq!(r.bill_funds_desc.as_deref(), Some("支付"));
    assert_eq!(r.pay_time.as_ref().unwrap().as_str(), "2022-07-19 16:29:59");
    assert_eq!(r.coupon_merchant_contribute, Some(Fen(100)));
    assert_eq!(r.coupon_other_contribute, Some(Fen(100)));
    assert_eq!(r.msg_id.as_deref(), Some("001"));
    assert_eq!(r.src_reserve.as_deref(), Some("保留字段"));
    assert_eq!(r.seq_id.as_deref(), Some("20230719162959"));
    assert_eq!(r.settle_ref_id.as_deref(), Some("35316566855N"));
    assert_eq!(r.ref_id.as_deref(), Some("35316566855N"));
    assert_eq!(r.status, Some(TradeStatus::NewOrder));
    assert_eq!(r.total_amount, Some(Fen(100)));
    assert_eq!(r.mer_name.as_deref(), Some("测试商户"));
    assert_eq!(
        r.mer_order_id.as_deref(),
        Some("13DA002023071900000000003327")
    );
    assert_eq!(r.buyer_id.as_deref(), Some("86833140"));
    assert_eq!(r.target_mid.as_deref(), Some("523693523"));
    assert_eq!(r.buyer_pay_amount, Some(Fen(100)));
    assert_eq!(r.buyer_username.as_deref(), Some("测试用户"));
    assert_eq!(r.coupon_amount, Some(Fen(100)));
    assert_eq!(r.invoice_amount, Some(Fen(0)));
    assert_eq!(r.receipt_amount, Some(Fen(100)));
    assert_eq!(
        r.settle_date
            .as_ref()
            .unwrap()
            .to_date()
            .unwrap()
            .to_string(),
        "2022-07-19"
    );
    assert_eq!(r.yxlm_amount, Some(Fen(1000)));
    assert_eq!(r.auth_id_resp_cd.as_deref(), Some(""));
    assert!(
        r.extra.is_empty(),
        "every documented field is named: {:?}",
        r.extra
    );
    // SUCCESS + NEW_ORDER is not a paid order.
    assert!(!r.is_paid());
    assert_eq!(r.state(), PaymentState::NotPaid);
}

#[test]
fn amounts_as_numbers_and_strings_are_the_same() {
    let as_number = parse(
        200,
        r#"{"errCode":"SUCCESS","status":"TRADE_SUCCESS","totalAmount":100,"refundAmount":5}"#,
    )
    .unwrap();
    let as_string = parse(
        200,
        r#"{"errCode":"SUCCESS","status":"TRADE_SUCCESS","totalAmount":"100","refundAmount":"5"}"#,
    )
    .unwrap();
    assert_eq!(as_number.total_amount, Some(Fen(100)));
    assert_eq!(as_string.total_amount, Some(Fen(100)));
    // refundAmount is money too, typed, not left in `extra`.
    assert_eq!(as_number.refund_amount, Some(Fen(5)));
    assert_eq!(as_string.refund_amount, Some(Fen(5)));
    assert!(as_number.extra.is_empty(), "{:?}", as_number.extra);
    assert!(as_number.is_paid() && as_string.is_paid());
}

#[test]
fn both_timestamp_spellings_and_message_fields() {
    let lower = parse(
        200,
        r#"{"errCode":"SUCCESS","responseTimestamp":"2024-01-01 12:00:00"}"#,
    )
    .unwrap();
    let upper = parse(
        200,
        r#"{"errCode":"SUCCESS","responseTimeStamp":"2024-01-01 12:00:00"}"#,
    )
    .unwrap();
    assert_eq!(lower.response_timestamp, upper.response_timestamp);
    assert!(lower.response_timestamp.is_some());

    let err = parse(200, r#"{"errCode":"NO_ORDER","errInfo":"订单不存在"}"#).unwrap_err();
    let Error::Platform(p) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(p.message, "订单不存在");
    let err = parse(
        200,
        r#"{"errCode":"NO_ORDER","errMsg":"","errInfo":"from errInfo"}"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("from errInfo"));
}

#[test]
fn unknown_fields_and_statuses_are_kept() {
    let r = parse(
        200,
        r#"{"errCode":"SUCCESS","status":"TRADE_FROZEN","connectSys":"UNIONPAY","chnlCost":{"a":1}}"#,
    )
    .unwrap();
    assert_eq!(r.status, Some(TradeStatus::Other("TRADE_FROZEN".into())));
    assert_eq!(r.state(), PaymentState::Unknown);
    assert_eq!(r.extra["connectSys"], "UNIONPAY");
    assert_eq!(r.extra["chnlCost"]["a"], 1);
}

#[test]
fn missing_status_is_unknown_not_unpaid() {
    let r = parse(200, r#"{"errCode":"SUCCESS"}"#).unwrap();
    assert_eq!(r.state(), PaymentState::Unknown);
    assert!(!r.is_paid());
}

#[test]
fn every_state_answers_is_it_paid() {
    for (status, state) in [
        ("TRADE_SUCCESS", PaymentState::Paid),
        ("TRADE_REFUND", PaymentState::Refunded),
        ("NEW_ORDER", PaymentState::NotPaid),
        ("WAIT_BUYER_PAY", PaymentState::NotPaid),
        ("TRADE_CLOSED", PaymentState::Closed),
        ("UNKNOWN", PaymentState::Unknown),
    ] {
        let r = parse(
            200,
            &format!(r#"{{"errCode":"SUCCESS","status":"{status}"}}"#),
        )
        .unwrap();
        assert_eq!(r.state(), state, "{status}");
        assert_eq!(r.is_paid(), state == PaymentState::Paid, "{status}");
    }
}

#[test]
fn bill_funds_are_split() {
    let r = parse(
        200,
        r#"{"errCode":"SUCCESS","billFunds":"现金:10|零钱:90"}"#,
    )
    .unwrap();
    assert_eq!(
        r.bill_funds_entries(),
        Some(vec![("现金", Fen(10)), ("零钱", Fen(90))])
    );
    let r = parse(200, r#"{"errCode":"SUCCESS","billFunds":"garbage"}"#).unwrap();
    assert_eq!(r.bill_funds_entries(), None);
}

/// Every error class, as the platform and the gateway report them.
#[test]
fn every_error_class() {
    let cases = [
        (
            200,
            r#"{"errCode":"BAD_REQUEST","errMsg":"mid"}"#,
            ErrorClass::Caller,
            "BAD_REQUEST",
        ),
        (
            200,
            r#"{"errCode":"ABNORMAL_REQUEST_TIME"}"#,
            ErrorClass::Caller,
            "ABNORMAL_REQUEST_TIME",
        ),
        (
            412,
            r#"{"errCode":"1000","errInfo":"Timestamp解析失败"}"#,
            ErrorClass::Caller,
            "1000",
        ),
        (
            200,
            r#"{"errCode":"BAD_SIGN","errMsg":"签名错误"}"#,
            ErrorClass::Auth,
            "BAD_SIGN",
        ),
        (
            401,
            r#"{"errCode":"INVALID_TOKEN","errInfo":"认证失败"}"#,
            ErrorClass::Auth,
            "INVALID_TOKEN",
        ),
        (
            200,
            r#"{"errCode":"NO_MERCHANT"}"#,
            ErrorClass::Config,
            "NO_MERCHANT",
        ),
        (
            200,
            r#"{"errCode":"INVLID_MERCHANT_CONFIG"}"#,
            ErrorClass::Config,
            "INVLID_MERCHANT_CONFIG",
        ),
        (
            200,
            r#"{"errCode":"DENIED_IP"}"#,
            ErrorClass::Config,
            "DENIED_IP",
        ),
        (
            200,
            r#"{"errCode":"NO_ORDER","errMsg":"订单不存在"}"#,
            ErrorClass::NotFound,
            "NO_ORDER",
        ),
        (
            200,
            r#"{"errCode":"TARGET_FAIL"}"#,
            ErrorClass::Rejected,
            "TARGET_FAIL",
        ),
        (
            200,
            r#"{"errCode":"SYSTEM_BUSY"}"#,
            ErrorClass::Retryable,
            "SYSTEM_BUSY",
        ),
        (
            200,
            r#"{"errCode":"TIMEOUT"}"#,
            ErrorClass::OutcomeUnknown,
            "TIMEOUT",
        ),
        (
            200,
            r#"{"errCode":"DUP_ORDER"}"#,
            ErrorClass::OutcomeUnknown,
            "DUP_ORDER",
        ),
        (
            200,
            r#"{"errCode":"ORDER_PROCESSING"}"#,
            ErrorClass::OutcomeUnknown,
            "ORDER_PROCESSING",
        ),
        (
            200,
            r#"{"errCode":"SOMETHING_NEW"}"#,
            ErrorClass::OutcomeUnknown,
            "SOMETHING_NEW",
        ),
        (
            500,
            r#"{"errCode":9200,"errInfo":"busy"}"#,
            ErrorClass::Retryable,
            "9200",
        ),
    ];
    for (status, body, class, code) in cases {
        let err = parse(status, body).unwrap_err();
        assert_eq!(err.class(), class, "{body}");
        assert_eq!(err.err_code(), Some(code), "{body}");
        assert_eq!(err.status().map(|s| s.as_u16()), Some(status), "{body}");
    }
}

#[test]
fn error_replies_with_odd_field_types_still_report_their_code() {
    let err = parse(
        200,
        r#"{"errCode":"NO_ORDER","totalAmount":"n/a","status":7}"#,
    )
    .unwrap_err();
    assert_eq!(err.class(), ErrorClass::NotFound);
}

#[test]
fn http_errors_without_err_code_keep_status_and_excerpt() {
    for (status, class) in [
        (404, ErrorClass::Config),
        (401, ErrorClass::Auth),
        (400, ErrorClass::Caller),
        (302, ErrorClass::OutcomeUnknown),
        (408, ErrorClass::Retryable),
        (429, ErrorClass::Retryable),
        (499, ErrorClass::OutcomeUnknown),
        (500, ErrorClass::OutcomeUnknown),
        (503, ErrorClass::OutcomeUnknown),
        (502, ErrorClass::OutcomeUnknown),
    ] {
        let err = parse(status, "<html>nope</html>").unwrap_err();
        let Error::Http(http) = &err else {
            panic!("{status}: {err:?}")
        };
        assert_eq!(http.status.as_u16(), status);
        assert_eq!(http.excerpt, "<html>nope</html>");
        assert_eq!(err.class(), class, "{status}");
    }
}

#[test]
fn decode_errors_name_the_field_path() {
    let err = parse(
        200,
        r#"{"errCode":"SUCCESS","status":"TRADE_SUCCESS","totalAmount":1.5}"#,
    )
    .unwrap_err();
    let Error::Decode(d) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(d.path, "totalAmount");
    assert_eq!(d.status, StatusCode::OK);
    assert!(d.excerpt.contains("1.5"));
    // A successful status with an unreadable body: the outcome is unknown.
    assert_eq!(err.class(), ErrorClass::OutcomeUnknown);

    let err = parse(200, r#"{"errCode":"SUCCESS","payTime":12}"#).unwrap_err();
    let Error::Decode(d) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(d.path, "payTime");
}

#[test]
fn garbage_truncated_and_empty_bodies_are_decode_errors() {
    for body in [
        "",
        "not json",
        r#"{"errCode":"SUCCESS","status":"TRADE_SUC"#,
        "[]",
        "null",
        r#"{"errCode":"SUCCESS"} trailing"#,
    ] {
        let err = parse(200, body).unwrap_err();
        assert!(matches!(err, Error::Decode(_)), "{body:?}: {err:?}");
        assert!(err.is_outcome_unknown());
    }
    let err = parse(200, r#"{"status":"TRADE_SUCCESS"}"#).unwrap_err();
    let Error::Decode(d) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(d.path, "errCode");
}

/// A body that is not valid JSON is never a definite answer, whatever `errCode` it carries.
#[test]
fn unsound_json_is_never_a_definite_answer() {
    let client = fixed_client(Environment::Test);
    let bodies: [&[u8]; 6] = [
        b"{\"errCode\":\"NO_ORDER\",\"x\":\"\xff\"}",
        br#"{"errCode":"TARGET_FAIL","amount":1e400}"#,
        br#"{"errCode":"NO_ORDER","errCode":"SUCCESS"}"#,
        br#"{"errCode":"SUCCESS","errCode":"NO_ORDER"}"#,
        br#"{"errCode":"SUCCESS","status":"TRADE_SUCCESS","status":"TRADE_CLOSED"}"#,
        br#"{"errCode":"SYSTEM_BUSY","status":"A","status":"B"}"#,
    ];
    for body in bodies {
        let shown = String::from_utf8_lossy(body);
        let ok = response(StatusCode::OK, body.to_vec());
        let typed = client.parse::<PaymentQuery>(&ok).unwrap_err();
        assert!(matches!(typed, Error::Decode(_)), "{shown}: {typed:?}");
        assert!(typed.is_outcome_unknown(), "{shown}");
        // The raw escape hatch agrees.
        let raw = client.parse::<RawOperation>(&ok).unwrap_err();
        assert!(matches!(raw, Error::Decode(_)), "{shown}: {raw:?}");
        // On an error status, the status alone decides: never the corrupted errCode.
        let bad = response(StatusCode::BAD_REQUEST, body.to_vec());
        let typed = client.parse::<PaymentQuery>(&bad).unwrap_err();
        assert!(matches!(typed, Error::Http(_)), "{shown}: {typed:?}");
        assert_eq!(typed.class(), ErrorClass::Caller, "{shown}");
    }
    let Error::Decode(d) = client
        .parse::<PaymentQuery>(&response(
            StatusCode::OK,
            r#"{"errCode":"NO_ORDER","errCode":"SUCCESS"}"#,
        ))
        .unwrap_err()
    else {
        unreachable!()
    };
    assert_eq!(d.path, "errCode");
    assert!(d.message.contains("more than once"), "{}", d.message);
    // Sound error replies keep their definite class, raw or typed.
    let sound = response(StatusCode::OK, r#"{"errCode":"NO_ORDER","x":"\u00ff"}"#);
    assert_eq!(
        client.parse::<RawOperation>(&sound).unwrap_err().class(),
        ErrorClass::NotFound
    );
    assert_eq!(
        client.parse::<PaymentQuery>(&sound).unwrap_err().class(),
        ErrorClass::NotFound
    );
}

#[test]
fn huge_bodies_are_excerpted() {
    let body = format!(
        r#"{{"errCode":"SUCCESS","totalAmount":"{}"}}"#,
        "9".repeat(10_000)
    );
    let Error::Decode(d) = parse(200, &body).unwrap_err() else {
        panic!()
    };
    assert!(d.excerpt.len() <= chinaums::error::EXCERPT_LIMIT + "…".len());
}

#[test]
fn call_reports_transport_errors_honestly() {
    use chinaums::{Delivery, TransportError, TransportErrorKind};
    let client = fixed_client(Environment::Test);
    let query = PaymentQuery::new(
        "898201612345678",
        "88880001",
        "YUEDANDEFAULT",
        "31942024010112000000001234",
    );
    for (delivery, class) in [
        (Delivery::NotSent, ErrorClass::Retryable),
        (Delivery::MaybeSent, ErrorClass::OutcomeUnknown),
    ] {
        let mut call = client.call(&query).unwrap();
        let Step::Send(_) = call.start() else {
            panic!()
        };
        let step = call.receive(Err(TransportError::new(
            delivery,
            TransportErrorKind::Io,
            "reset",
        )));
        let Step::Done(Err(err)) = step else {
            panic!("{step:?}")
        };
        assert_eq!(err.class(), class);
    }
    let mut call = client.call(&query).unwrap();
    let _ = call.start();
    let Step::Done(Ok(answer)) = call.receive(Ok(response(
        StatusCode::OK,
        r#"{"errCode":"SUCCESS","status":"TRADE_SUCCESS"}"#,
    ))) else {
        panic!()
    };
    assert!(answer.is_paid());
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// No input bytes make the parser panic, whatever the status.
        #[test]
        fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512), status in 100u16..600) {
            let client = fixed_client(Environment::Test);
            let _ = client.parse::<PaymentQuery>(&response(StatusCode::from_u16(status).unwrap(), body));
        }

        /// JSON-ish inputs built from the response's own vocabulary never panic either, and
        /// either decode or give a typed error.
        #[test]
        fn json_shaped_inputs_never_panic(
            fields in proptest::collection::vec((
                prop::sample::select(vec!["errCode", "errMsg", "status", "totalAmount", "payTime", "responseTimestamp", "responseTimeStamp", "settleDate", "extra"]),
                prop_oneof![
                    Just("\"SUCCESS\"".to_string()),
                    Just("\"\"".to_string()),
                    Just("null".to_string()),
                    any::<i64>().prop_map(|n| n.to_string()),
                    any::<f64>().prop_map(|f| format!("{f:?}")),
                    "\"[0-9]{0,25}\"",
                    "\"[^\"\\\\]{0,12}\"",
                    Just("{}".to_string()),
                    Just("[1,2]".to_string()),
                ],
            ), 0..8),
            cut in any::<prop::sample::Index>(),
        ) {
            let body = format!("{{{}}}", fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect::<Vec<_>>().join(","));
            let client = fixed_client(Environment::Test);
            let full = client.parse::<PaymentQuery>(&response(StatusCode::OK, body.clone()));
            if let Err(e) = &full {
                let _ = e.class();
                let _ = e.to_string();
            }
            let truncated = &body.as_bytes()[..cut.index(body.len() + 1)];
            let _ = client.parse::<PaymentQuery>(&response(StatusCode::OK, truncated.to_vec()));
        }

        /// Amounts survive both JSON shapes for every u64.
        #[test]
        fn amounts_round_trip_as_number_and_string(n in any::<u64>()) {
            let number = parse(200, &format!(r#"{{"errCode":"SUCCESS","totalAmount":{n}}}"#)).unwrap();
            let string = parse(200, &format!(r#"{{"errCode":"SUCCESS","totalAmount":"{n}"}}"#)).unwrap();
            prop_assert_eq!(number.total_amount, Some(Fen(n)));
            prop_assert_eq!(string.total_amount, Some(Fen(n)));
        }
    }
}
