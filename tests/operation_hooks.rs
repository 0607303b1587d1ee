//! The per-operation hooks: an operation's own reading of an `errCode`, and a reply's own check
//! that a success answer is usable.

mod support;

use chinaums::test_response as response;
use chinaums::{Environment, Error, ErrorClass, Operation, Reply, Step};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use support::*;

/// A close-like operation: `OPERATION_NOT_ALLOWED` is ambiguous there (already closed, or paid
/// meanwhile), so it is read as "outcome unknown", not "rejected".
#[derive(Serialize)]
struct CloseLike;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateAnswer {
    err_code: Option<String>,
    pay_request: Option<String>,
}

impl Reply for CreateAnswer {
    fn err_code(&self) -> Option<&str> {
        self.err_code.as_deref()
    }
    fn err_message(&self) -> Option<&str> {
        None
    }
    fn check(&self) -> Result<(), String> {
        match self.pay_request.as_deref() {
            Some(r) if !r.is_empty() => Ok(()),
            _ => Err("no payRequest to hand to the payer".into()),
        }
    }
}

impl Operation for CloseLike {
    const PATH: &'static str = "/v1/netpay/close";
    type Response = CreateAnswer;

    fn classify(err_code: &str, _status: StatusCode) -> Option<ErrorClass> {
        (err_code == "OPERATION_NOT_ALLOWED").then_some(ErrorClass::OutcomeUnknown)
    }
}

#[test]
fn an_operation_reads_its_own_codes_and_leaves_the_others_alone() {
    let client = fixed_client(Environment::Test);
    let ambiguous = response(StatusCode::OK, r#"{"errCode":"OPERATION_NOT_ALLOWED"}"#);
    assert_eq!(
        client.parse::<CloseLike>(&ambiguous).unwrap_err().class(),
        ErrorClass::OutcomeUnknown
    );
    // The same code on an error status, and through the call state machine.
    let mut call = client.call(&CloseLike).unwrap();
    let Step::Send(_) = call.start() else {
        panic!()
    };
    let ambiguous_400 = response(
        StatusCode::BAD_REQUEST,
        r#"{"errCode":"OPERATION_NOT_ALLOWED"}"#,
    );
    let Step::Done(Err(error)) = call.receive(Ok(ambiguous_400)) else {
        panic!()
    };
    assert_eq!(error.class(), ErrorClass::OutcomeUnknown);
    assert_eq!(error.err_code(), Some("OPERATION_NOT_ALLOWED"));
    // Codes it says nothing about keep the platform-wide class.
    let not_found = response(StatusCode::OK, r#"{"errCode":"NO_ORDER"}"#);
    assert_eq!(
        client.parse::<CloseLike>(&not_found).unwrap_err().class(),
        ErrorClass::NotFound
    );
}

#[test]
fn a_success_without_what_the_reply_needs_is_outcome_unknown() {
    let client = fixed_client(Environment::Test);
    for body in [
        r#"{"errCode":"SUCCESS"}"#,
        r#"{"errCode":"SUCCESS","payRequest":""}"#,
    ] {
        let error = client
            .parse::<CloseLike>(&response(StatusCode::OK, body))
            .unwrap_err();
        let Error::Decode(decode) = &error else {
            panic!("{error:?}")
        };
        assert!(
            decode.message.contains("no payRequest"),
            "{}",
            decode.message
        );
        assert_eq!(error.class(), ErrorClass::OutcomeUnknown);
    }
    let usable = response(StatusCode::OK, r#"{"errCode":"SUCCESS","payRequest":"x"}"#);
    assert_eq!(
        client
            .parse::<CloseLike>(&usable)
            .unwrap()
            .pay_request
            .as_deref(),
        Some("x")
    );
}
