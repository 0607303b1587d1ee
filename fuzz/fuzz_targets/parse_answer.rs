//! Every operation's answer parser, and `RawOperation`'s, on an arbitrary status and body
//! (`NNN\n` then the body; any other input is a body answered with 200).
//!
//! Invariants, checked against the body read as plain JSON here:
//! - a decision is never made up: a paid order (`PaymentState::Paid`, `is_paid()`,
//!   `BillState::Paid`, a bill payment's `Paid`) or a refund (`RefundState::Refunded`,
//!   `PaymentState::Refunded`) is reported only when the body's own decisive field says so,
//!   once, at the top level (`status`, `billStatus`, `refundStatus`, `billPayment.status`);
//!   every decisive field the typed answer holds is the body's, once, and no success comes
//!   from a body that repeats `status`, whatever the answer type;
//! - a success needs a 2xx status and a body that says `errCode: SUCCESS`, once;
//! - an error's excerpt is bounded and is the start of the body (cut back over a character the
//!   limit split, nothing more); a decode error's path and message are bounded too;
//! - the class is consistent: a 2xx body that is not sound JSON, or repeats `errCode` or
//!   `status`, is never a definite class (outcome unknown); a non-2xx status never decodes; a
//!   platform error carries the body's own `errCode`.
#![no_main]

use chinaums::{
    AlipayAppPreOrder, AlipayMiniOrder, BillState, BillsCloseQrCode, BillsGetQrCode, BillsQuery,
    BillsQueryQrCodeInfo, BillsRefund, BillsUpdateQrCode, Client, Close, Credentials,
    EXCERPT_LIMIT, Environment, Error, ErrorClass, Operation, PaymentQuery, PaymentState,
    RawOperation, Refund, RefundQuery, RefundState, SecureCancel, SecureComplete, SubOrdersConfirm,
    UnionPayAppOrder, UnionPayMiniOrder, WxAppPreClose, WxAppPreOrder, WxUnifiedOrder,
};
use std::sync::LazyLock;

use chinaums_fuzz::{RawJson, status_and_body};
use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde_json::Value;

/// What a typed answer claims, to be found in the body.
enum Claim {
    /// The top-level `key` is the string `value`, once.
    Says(&'static str, &'static str),
    /// `outer` (an object, or a string holding one) has `key` = `value`, once.
    Nested(&'static str, &'static str, &'static str),
}

static CLIENT: LazyLock<Client> = LazyLock::new(|| {
    Client::new(
        Credentials::new("fuzz-app-id", "fuzz-app-key"),
        Environment::Test,
    )
});

fuzz_target!(|data: &[u8]| {
    let (status, body) = status_and_body(data);
    let response = chinaums::test_response(status, body.to_vec());
    let client = &*CLIENT;
    let raw = RawJson::of(body);
    let run = Run {
        client,
        response: &response,
        raw: &raw,
        body,
    };

    run.check::<PaymentQuery>(&["status"], |a| {
        assert_eq!(a.is_paid(), a.state() == PaymentState::Paid);
        payment_claims(a.state())
    });
    run.check::<BillsQuery>(&["billStatus"], |a| {
        assert_eq!(a.is_paid(), a.state() == BillState::Paid);
        let mut claims = bill_claims(a.state());
        if let Some(p) = &a.bill_payment {
            claims.extend(nested_payment_claims("billPayment", p.state()));
        }
        if let Some(p) = &a.refund_bill_payment {
            claims.extend(nested_payment_claims("refundBillPayment", p.state()));
        }
        claims
    });
    run.check::<Refund>(&["status", "refundStatus"], |a| refund_claims(&a.state()));
    run.check::<RawOperation>(&["status"], |a| {
        // No schema: every key is one the caller may decide on, so none may repeat.
        assert_eq!(
            a.0.len(),
            run.raw.pairs().len(),
            "a raw answer with a repeated key"
        );
        vec![]
    });
    // The answers above on every input; one of the others, chosen by the body's length (so
    // that a mutation may land on any of them).
    match body.len() % 17 {
        0 => run.check::<Close>(&["status"], |a| {
            if a.is_closed() {
                // Closed: no status, or TRADE_CLOSED; never a paid order read as closed.
                let s = run.raw.once("status");
                assert!(
                    s.is_none_or(|v| v.is_null() || v == "" || v == "TRADE_CLOSED"),
                    "is_closed() with status {s:?}"
                );
            }
            payment_claims(a.state())
        }),
        1 => run.check::<RefundQuery>(&["status", "refundStatus"], |a| refund_claims(&a.state())),
        2 => run.check::<BillsRefund>(&["billStatus", "refundStatus"], |a| {
            let mut claims = refund_claims(&a.state());
            claims.extend(bill_claims(a.bill_state()));
            claims
        }),
        3 => run.check::<SecureComplete>(&["status"], |_| vec![]),
        4 => run.check::<SecureCancel>(&["status"], |_| vec![]),
        5 => run.check::<SubOrdersConfirm>(&["status"], |_| vec![]),
        6 => run.check::<WxUnifiedOrder>(&["status"], |_| vec![]),
        7 => run.check::<AlipayMiniOrder>(&["status"], |_| vec![]),
        8 => run.check::<UnionPayMiniOrder>(&["status"], |_| vec![]),
        9 => run.check::<WxAppPreOrder>(&["status"], |_| vec![]),
        10 => run.check::<AlipayAppPreOrder>(&["status"], |_| vec![]),
        11 => run.check::<UnionPayAppOrder>(&["status"], |_| vec![]),
        12 => run.check::<WxAppPreClose>(&["status"], |_| vec![]),
        13 => run.check::<BillsGetQrCode>(&["billStatus"], |a| {
            assert!(
                a.qr_code().is_some(),
                "a QR code answer without billQRCode is no success"
            );
            vec![]
        }),
        14 => run.check::<BillsUpdateQrCode>(&["billStatus"], |_| vec![]),
        15 => run.check::<BillsCloseQrCode>(&["billStatus"], |_| vec![]),
        _ => run.check::<BillsQueryQrCodeInfo>(&["billStatus"], |_| vec![]),
    }
});

fn payment_claims(state: PaymentState) -> Vec<Claim> {
    match state {
        PaymentState::Paid => vec![Claim::Says("status", "TRADE_SUCCESS")],
        PaymentState::Refunded => vec![Claim::Says("status", "TRADE_REFUND")],
        _ => vec![],
    }
}

fn nested_payment_claims(outer: &'static str, state: PaymentState) -> Vec<Claim> {
    match state {
        PaymentState::Paid => vec![Claim::Nested(outer, "status", "TRADE_SUCCESS")],
        PaymentState::Refunded => vec![Claim::Nested(outer, "status", "TRADE_REFUND")],
        _ => vec![],
    }
}

fn refund_claims(state: &RefundState) -> Vec<Claim> {
    match state {
        RefundState::Refunded => vec![Claim::Says("refundStatus", "SUCCESS")],
        _ => vec![],
    }
}

fn bill_claims(state: BillState) -> Vec<Claim> {
    match state {
        BillState::Paid => vec![Claim::Says("billStatus", "PAID")],
        BillState::Refunded => vec![Claim::Says("billStatus", "REFUND")],
        _ => vec![],
    }
}

struct Run<'a> {
    client: &'a Client,
    response: &'a http::Response<Vec<u8>>,
    raw: &'a RawJson,
    body: &'a [u8],
}

impl Run<'_> {
    /// Parses as `O`'s answer; `decides`: the top-level keys (besides `errCode`) its typed
    /// answer holds and decides on.
    fn check<O: Operation>(&self, decides: &[&str], claims: impl FnOnce(&O::Response) -> Vec<Claim>)
    where
        O::Response: Serialize,
    {
        let status = self.response.status();
        match self.client.parse::<O>(self.response) {
            Ok(answer) => {
                assert!(
                    status.is_success(),
                    "{}: a success on HTTP {status}",
                    O::PATH
                );
                assert!(
                    self.raw.says("errCode", "SUCCESS"),
                    "{}: a success without one errCode SUCCESS",
                    O::PATH
                );
                // A repeated verdict or order state is corruption, whatever the answer type
                // (also one that keeps `status` among its extras).
                assert!(
                    self.raw.count("status") <= 1,
                    "{}: a success from a body that repeats `status`",
                    O::PATH
                );
                // Every decisive value the typed answer holds is the body's, once.
                let typed = serde_json::to_value(&answer).expect("answers serialize");
                for &key in decides {
                    assert!(
                        self.raw.count(key) <= 1,
                        "{}: a success from a body that repeats `{key}`",
                        O::PATH
                    );
                    if let Some(Value::String(s)) = typed.get(key) {
                        assert!(
                            self.raw.says(key, s),
                            "{}: `{key}` = {s:?} is not what the body says once",
                            O::PATH
                        );
                    }
                }
                for claim in claims(&answer) {
                    match claim {
                        Claim::Says(key, value) => assert!(
                            self.raw.says(key, value),
                            "{}: claims {key} = {value}, the body does not say so once",
                            O::PATH
                        ),
                        Claim::Nested(outer, key, value) => {
                            let inner = match self.raw.once(outer) {
                                Some(Value::String(s)) => RawJson::of(s.as_bytes()),
                                Some(v @ Value::Object(_)) => {
                                    RawJson::of(&serde_json::to_vec(v).expect("a value"))
                                }
                                other => panic!("{}: {outer} is {other:?}", O::PATH),
                            };
                            assert!(
                                inner.says(key, value),
                                "{}: claims {outer}.{key} = {value}, the body does not say so",
                                O::PATH
                            );
                        }
                    }
                }
            }
            Err(error) => self.check_error::<O>(&error),
        }
    }

    fn check_error<O: Operation>(&self, error: &Error) {
        let status = self.response.status();
        // Displaying never panics.
        let _ = error.to_string();
        let cause = error.cause();
        if let Error::Http(chinaums::HttpError { excerpt, .. })
        | Error::Decode(chinaums::DecodeError { excerpt, .. }) = cause
        {
            check_excerpt(excerpt, self.body);
        }
        // A decode error is as small as its excerpt, whatever serde quotes.
        if let Error::Decode(d) = cause {
            for part in [&d.path, &d.message] {
                assert!(
                    part.len() <= EXCERPT_LIMIT + '…'.len_utf8(),
                    "{}: a decode error part of {} bytes",
                    O::PATH,
                    part.len()
                );
            }
        }
        if status.is_success() {
            let repeated = self.raw.count("errCode") > 1 || self.raw.count("status") > 1;
            if !self.raw.is_sound() || repeated {
                assert!(
                    matches!(cause, Error::Decode(_)),
                    "{}: unsound 2xx body read as {cause:?}",
                    O::PATH
                );
                assert_eq!(error.class(), ErrorClass::OutcomeUnknown, "{}", O::PATH);
            }
            assert!(
                !matches!(cause, Error::Http(_)),
                "{}: HttpError on 2xx",
                O::PATH
            );
        } else {
            assert!(
                !matches!(cause, Error::Decode(_)),
                "{}: a non-2xx answer decoded: {cause:?}",
                O::PATH
            );
            if !self.raw.is_sound() || self.raw.text("errCode").is_none() {
                assert!(
                    matches!(cause, Error::Http(_)),
                    "{}: HTTP {status} without a sound errCode read as {cause:?}",
                    O::PATH
                );
            }
        }
        if let Error::Platform(p) = cause {
            assert!(
                self.raw.is_sound(),
                "{}: a platform error from unsound JSON",
                O::PATH
            );
            assert_eq!(
                self.raw.count("errCode"),
                1,
                "{}: a platform error without exactly one errCode",
                O::PATH
            );
            assert_eq!(
                self.raw.text("errCode").as_deref(),
                Some(p.err_code.as_str()),
                "{}: the errCode is not the body's",
                O::PATH
            );
            if status.is_success() {
                assert_ne!(p.err_code, "SUCCESS", "{}: SUCCESS as an error", O::PATH);
            }
            assert_eq!(p.status, status);
        }
    }
}

/// At most [`EXCERPT_LIMIT`] bytes of the body, lossily decoded, and `…` when cut: never more
/// than the limit's characters plus one, and always the start of the body.
fn check_excerpt(excerpt: &str, body: &[u8]) {
    let chars = excerpt.chars().count();
    assert!(
        chars <= EXCERPT_LIMIT + 1,
        "an excerpt of {chars} characters"
    );
    let whole = String::from_utf8_lossy(body);
    let cut = body.len() > EXCERPT_LIMIT;
    let shown = match excerpt.strip_suffix('…') {
        Some(shown) if cut => shown,
        _ => {
            assert!(!cut, "a cut excerpt without `…`");
            excerpt
        }
    };
    if cut {
        // The body's first bytes, cut back over a character the limit split (at most three
        // bytes), and a prefix of the whole body's decoding.
        let cut_at = (EXCERPT_LIMIT - 3..=EXCERPT_LIMIT)
            .any(|k| String::from_utf8_lossy(&body[..k]) == shown);
        assert!(cut_at, "the excerpt is not the body cut at the limit");
        assert!(
            whole.starts_with(shown),
            "the excerpt is not the start of the body"
        );
    } else {
        assert_eq!(shown, whole, "a body under the limit is not shown whole");
    }
}
