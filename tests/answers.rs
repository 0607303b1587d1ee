//! How any answer is read, whatever the operation (shown with the payment query): the HTTP
//! status, whether the body is sound JSON, the class of each `errCode`, bounded excerpts,
//! transport failures; and that no input makes the parser panic.

mod support;

use chinaums::test_response as response;
use chinaums::{
    Environment, Error, ErrorClass, Fen, Merchant, PaymentQuery, PaymentQueryResponse,
    RawOperation, Step,
};
use http::StatusCode;
use support::*;

fn parse(status: u16, body: &str) -> Result<PaymentQueryResponse, Error> {
    let client = fixed_client(Environment::Test);
    client.parse::<PaymentQuery>(&response(StatusCode::from_u16(status).unwrap(), body))
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

/// An answer type without a `status` field (a bill's) reads a success whose `status` is
/// repeated as corrupted, like every other (found by the `parse_answer` fuzz target); so does
/// a key repeated through an escape.
#[test]
fn a_repeated_status_is_never_a_definite_success_even_where_unread() {
    let client = fixed_client(Environment::Test);
    for body in [
        r#"{"errCode":"SUCCESS","billStatus":"PAID","status":"A","status":"B"}"#,
        r#"{"errCode":"SUCCESS","billStatus":"PAID","status":"A","\u0073tatus":"B"}"#,
    ] {
        let ok = response(StatusCode::OK, body);
        let error = client.parse::<chinaums::BillsQuery>(&ok).unwrap_err();
        let Error::Decode(d) = &error else {
            panic!("{body}: {error:?}")
        };
        assert_eq!(d.path, "status", "{body}");
        assert!(error.is_outcome_unknown(), "{body}");
    }
    // Once, it is kept among the extra fields as before.
    let once = response(
        StatusCode::OK,
        r#"{"errCode":"SUCCESS","billStatus":"PAID","status":"A"}"#,
    );
    assert!(client.parse::<chinaums::BillsQuery>(&once).is_ok());
}

/// A decode error's message and path are bounded like the excerpt: serde quotes the offending
/// value whole (found while writing the `parse_answer` fuzz target's invariants).
#[test]
fn decode_error_messages_are_bounded() {
    let huge = "x".repeat(10_000);
    let body = format!(r#"{{"errCode":"SUCCESS","totalAmount":"{huge}"}}"#);
    let Error::Decode(d) = parse(200, &body).unwrap_err() else {
        panic!()
    };
    let limit = chinaums::EXCERPT_LIMIT + "…".len();
    assert!(d.message.len() <= limit, "{} bytes", d.message.len());
    assert!(d.path.len() <= limit);
    assert!(
        d.to_string().len() < 4 * limit,
        "{} bytes",
        d.to_string().len()
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
    assert!(d.excerpt.len() <= chinaums::EXCERPT_LIMIT + "…".len());
}

#[test]
fn call_reports_transport_errors_honestly() {
    use chinaums::{Delivery, TransportError, TransportErrorKind};
    let client = fixed_client(Environment::Test);
    let query = PaymentQuery::new(
        &Merchant::new("898201612345678", "88880001", "YUEDANDEFAULT").unwrap(),
        "31942024010112000000001234".parse().unwrap(),
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

/// Every operation's answer parser, fed answers built from the after-sale vocabulary: none
/// panics, and each gives its answer or a typed error.
mod every_operation {
    use super::*;
    use chinaums::{Close, RefundQuery, SecureCancel, SecureComplete, SubOrdersConfirm};
    use proptest::prelude::*;

    fn parse_all(status: StatusCode, body: &[u8]) {
        let client = fixed_client(Environment::Test);
        let response = response(status, body.to_vec());
        let _ = client
            .parse::<chinaums::Refund>(&response)
            .map_err(|e| e.class());
        let _ = client
            .parse::<RefundQuery>(&response)
            .map_err(|e| e.class());
        let _ = client.parse::<Close>(&response).map_err(|e| e.class());
        let _ = client
            .parse::<SecureComplete>(&response)
            .map_err(|e| e.class());
        let _ = client
            .parse::<SecureCancel>(&response)
            .map_err(|e| e.class());
        let _ = client
            .parse::<SubOrdersConfirm>(&response)
            .map_err(|e| e.class());
        let _ = client
            .parse::<RawOperation>(&response)
            .map_err(|e| e.class());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..256), status in 100u16..600) {
            parse_all(StatusCode::from_u16(status).unwrap(), &body);
        }

        #[test]
        fn json_shaped_answers_never_panic(
            fields in proptest::collection::vec((
                prop::sample::select(vec!["errCode", "refundStatus", "refundAmount", "status", "totalAmount", "secureStatus", "completedAmount", "platformAmount", "subOrders", "settleDate", "payTime"]),
                prop_oneof![
                    Just("\"SUCCESS\"".to_string()),
                    Just("\"PROCESSING\"".to_string()),
                    Just("\"\"".to_string()),
                    Just("null".to_string()),
                    any::<i64>().prop_map(|n| n.to_string()),
                    any::<f64>().prop_map(|f| format!("{f:?}")),
                    "\"[0-9]{0,25}\"",
                    Just("[{\"mid\":1}]".to_string()),
                ],
            ), 0..8),
        ) {
            let body = format!("{{{}}}", fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect::<Vec<_>>().join(","));
            parse_all(StatusCode::OK, body.as_bytes());
        }
    }
}
