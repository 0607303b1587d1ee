//! Notifications: the key-append signature from vectors computed independently (Python's hashlib
//! over the rule), every distinct failure, typing, and properties: verifying never panics, and a
//! change to any signed byte fails.

use chinaums::notify::{self, Fields, Notification, NotifyError, NotifyKey, SignType};
use chinaums::{Fen, PaymentState, TradeStatus};
use proptest::prelude::*;

const KEY: &str = "test-notify-key-0123456789";

/// The platform's order: the random key `Ru`, an empty value, `+ % & =` and Chinese in a value,
/// a space encoded as `+`; in the body's own order (not sorted).
const UNSIGNED: &str = "mid=898201612345678&merOrderId=31942024010112000000001234&status=TRADE_SUCCESS&totalAmount=100&attachedData=a%2Bb%25c%26d%3De+%E6%B5%8B%E8%AF%95&billFunds=%E7%8E%B0%E9%87%91%3A100&notifyId=n-0001&Ru=NcFv&couponAmount=&payTime=2024-01-01+12%3A00%3A05";

/// Computed with Python: SHA-256 / MD5 of the sorted `k=v` string (empty values and `sign`
/// dropped, `signType` and `Ru` kept) with the key appended, uppercase hex.
const SHA256_SIGN: &str = "B73F7FA620B06FDFE9FC18197E4A2B2DB80051DD4FBE7553E680A8D16C1154C9";
const MD5_SIGN: &str = "B9EC64126525F759207812E0B6C846F6";
const NO_TYPE_MD5_SIGN: &str = "0A5F23BC3AADE1B9A2B7A750CD89F585";
const NO_TYPE_SHA256_SIGN: &str =
    "8EA27B273F6F1AD321E34F5E1139AD28AB585BAFAF904E9D201F85A8D0B03D85";

fn key() -> NotifyKey {
    NotifyKey::new(KEY)
}

fn form(extra: &str) -> Vec<u8> {
    format!("{UNSIGNED}{extra}").into_bytes()
}

#[test]
fn the_string_to_sign_follows_the_rule() {
    let fields = notify::parse_form(&form("&signType=SHA256")).unwrap();
    assert_eq!(
        notify::string_to_sign(&fields, &key()),
        "Ru=NcFv&attachedData=a+b%c&d=e 测试&billFunds=现金:100&merOrderId=31942024010112000000001234&mid=898201612345678&notifyId=n-0001&payTime=2024-01-01 12:00:05&signType=SHA256&status=TRADE_SUCCESS&totalAmount=100test-notify-key-0123456789"
    );
    assert_eq!(notify::sign(&fields, &key(), SignType::Sha256), SHA256_SIGN);
}

#[test]
fn vectors_verify_under_each_hash() {
    for (body, hash) in [
        (
            form(&format!("&signType=SHA256&sign={SHA256_SIGN}")),
            SignType::Sha256,
        ),
        (
            form(&format!("&signType=MD5&sign={MD5_SIGN}")),
            SignType::Md5,
        ),
        // No signType: either hash is accepted.
        (form(&format!("&sign={NO_TYPE_MD5_SIGN}")), SignType::Md5),
        (
            form(&format!("&sign={NO_TYPE_SHA256_SIGN}")),
            SignType::Sha256,
        ),
        // Hex case does not matter.
        (
            form(&format!(
                "&signType=SHA256&sign={}",
                SHA256_SIGN.to_lowercase()
            )),
            SignType::Sha256,
        ),
    ] {
        let notification = notify::verify(&body, Some("application/x-www-form-urlencoded"), &key())
            .unwrap_or_else(|e| panic!("{}: {e}", String::from_utf8_lossy(&body)));
        let Notification::Payment(paid) = &notification else {
            panic!("{notification:?}")
        };
        assert_eq!(paid.sign_type, Some(hash));
        assert_eq!(paid.status, Some(TradeStatus::TradeSuccess));
        assert_eq!(paid.total_amount, Some(Fen(100)));
        assert_eq!(paid.attached_data.as_deref(), Some("a+b%c&d=e 测试"));
        assert_eq!(paid.extra["Ru"], "NcFv", "the random key is kept");
        assert_eq!(notification.state(), PaymentState::Paid);
        assert_eq!(notification.notify_id(), Some("n-0001"));
    }
}

#[test]
fn each_failure_is_its_own_error() {
    let signed = form(&format!("&signType=SHA256&sign={SHA256_SIGN}"));
    let check = |body: &[u8], key: &NotifyKey| notify::verify(body, None, key).unwrap_err();
    assert_eq!(
        check(&signed, &NotifyKey::new("another-key")),
        NotifyError::SignatureMismatch
    );
    let tampered = String::from_utf8(signed.clone())
        .unwrap()
        .replace("totalAmount=100", "totalAmount=1");
    assert_eq!(
        check(tampered.as_bytes(), &key()),
        NotifyError::SignatureMismatch
    );
    assert_eq!(
        check(&form("&signType=SHA256"), &key()),
        NotifyError::MissingSign
    );
    assert_eq!(
        check(
            &form(&format!("&signType=SHA256&sign={SHA256_SIGN}&mid=1")),
            &key()
        ),
        NotifyError::DuplicateField("mid".into())
    );
    assert_eq!(
        check(
            &form(&format!("&signType=SHA256&sign={SHA256_SIGN}&x=%FF")),
            &key()
        ),
        NotifyError::NotUtf8("x".into())
    );
    assert_eq!(
        check(&form(&format!("&signType=SHA1&sign={SHA256_SIGN}")), &key()),
        NotifyError::UnknownSignType("SHA1".into())
    );
    assert!(matches!(
        notify::verify(b"{\"a\":", Some("application/json"), &key()),
        Err(NotifyError::Malformed(_))
    ));
    // The notify URL's own query string is never part of it: only the body is verified.
    assert!(
        notify::verify(
            &signed,
            Some("application/x-www-form-urlencoded; charset=UTF-8"),
            &key()
        )
        .is_ok()
    );
}

#[test]
fn a_json_body_is_verified_under_the_same_rule() {
    let fields =
        notify::parse_form(&form(&format!("&signType=SHA256&sign={SHA256_SIGN}"))).unwrap();
    let json = serde_json::to_string(&fields).unwrap();
    let notification = notify::verify(json.as_bytes(), Some("application/json"), &key()).unwrap();
    assert_eq!(notification.state(), PaymentState::Paid);
    // Without a content type, a body that is a JSON object is read as one.
    assert!(notify::verify(json.as_bytes(), None, &key()).is_ok());
    let repeated = r#"{"sign":"A","sign":"B"}"#;
    assert_eq!(
        notify::verify(repeated.as_bytes(), Some("application/json"), &key()).unwrap_err(),
        NotifyError::DuplicateField("sign".into())
    );
}

/// Found by fuzzing: the sign was read pair by pair with `u8::from_str_radix`, which takes a
/// leading `+`, so `+a` passed for `0a` and a sign text that is not the signature verified.
#[test]
fn a_sign_is_hex_digits_only() {
    let mut fields = Fields::new();
    fields.insert("merOrderId".into(), "M1".into());
    fields.insert("status".into(), "TRADE_SUCCESS".into());
    // A nonce chosen so that the sign has a `0` starting a byte.
    let mut sign = String::new();
    for n in 0..64 {
        fields.insert("notifyId".into(), format!("n-{n}"));
        sign = notify::sign(&fields, &key(), SignType::Sha256);
        if sign.as_bytes().chunks(2).any(|pair| pair[0] == b'0') {
            break;
        }
    }
    let at = sign
        .as_bytes()
        .chunks(2)
        .position(|pair| pair[0] == b'0')
        .expect("a sign with a 0 starting a byte");
    let body = format!("{}&sign={sign}", notify::encode_form(&fields));
    notify::verify(body.as_bytes(), None, &key()).unwrap();
    let mut plus = sign.clone();
    plus.replace_range(2 * at..2 * at + 1, "+");
    let body = format!(
        "{}&sign={}",
        notify::encode_form(&fields),
        plus.replace('+', "%2B")
    );
    assert_eq!(
        notify::verify(body.as_bytes(), None, &key()).err(),
        Some(NotifyError::SignatureMismatch),
        "{plus}"
    );
    let mut with_sign = fields.clone();
    with_sign.insert("sign".into(), plus);
    assert_eq!(
        notify::verify_fields(&with_sign, &key()),
        Err(NotifyError::SignatureMismatch)
    );
}

#[test]
fn refunds_and_odd_fields_are_typed() {
    let mut fields = Fields::new();
    for (k, v) in [
        ("merOrderId", "M1"),
        ("status", "TRADE_REFUND"),
        ("refundOrderId", "R1"),
        ("refundAmount", "30"),
        ("notifyId", "n-2"),
        ("signType", "SHA256"),
    ] {
        fields.insert(k.into(), v.into());
    }
    let sign = notify::sign(&fields, &key(), SignType::Sha256);
    let body = format!("{}&sign={sign}", notify::encode_form(&fields));
    let notification = notify::verify(body.as_bytes(), None, &key()).unwrap();
    let Notification::Refund(refund) = &notification else {
        panic!("{notification:?}")
    };
    assert_eq!(
        (refund.refund_amount, refund.refund_order_id.as_deref()),
        (Some(Fen(30)), Some("R1"))
    );
    assert_eq!(notification.state(), PaymentState::Refunded);
    // A verified body with an amount that is not a number is kept, its state unknown.
    fields.insert("refundAmount".into(), "3.5".into());
    let sign = notify::sign(&fields, &key(), SignType::Sha256);
    let body = format!("{}&sign={sign}", notify::encode_form(&fields));
    let odd = notify::verify(body.as_bytes(), None, &key()).unwrap();
    assert!(matches!(odd, Notification::Unrecognized { .. }));
    assert_eq!(odd.state(), PaymentState::Unknown);
    assert_eq!(odd.mer_order_id(), Some("M1"));
}

#[test]
fn the_acknowledgement_and_the_return_url() {
    assert_eq!(notify::acknowledgement(true), "SUCCESS");
    assert_eq!(notify::acknowledgement(false), "FAILED");
    let mut fields = Fields::new();
    fields.insert("merOrderId".into(), "M1".into());
    fields.insert("status".into(), "TRADE_SUCCESS".into());
    let sign = notify::sign(&fields, &key(), SignType::Sha256);
    let query = format!("{}&sign={sign}", notify::encode_form(&fields));
    assert_eq!(
        notify::verify_return_url(&query, &key()).unwrap()["merOrderId"],
        "M1"
    );
    assert!(notify::verify_return_url(&query.replace("M1", "M2"), &key()).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn verifying_never_panics(body in proptest::collection::vec(any::<u8>(), 0..300), json in any::<bool>()) {
        let content_type = if json { Some("application/json") } else { None };
        let _ = notify::verify(&body, content_type, &key());
    }

    /// Changing any byte of any signed value makes verification fail.
    #[test]
    fn any_change_to_a_signed_value_fails(
        values in proptest::collection::vec("[a-zA-Z0-9 +%&=测试:]{1,12}", 1..6),
        which in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        replacement in any::<char>(),
    ) {
        let mut fields = Fields::new();
        for (i, value) in values.iter().enumerate() {
            fields.insert(format!("f{i}"), value.clone());
        }
        fields.insert("signType".into(), "SHA256".into());
        let sign = notify::sign(&fields, &key(), SignType::Sha256);
        let mut tampered = fields.clone();
        let name = format!("f{}", which.index(values.len()));
        let mut chars: Vec<char> = tampered[&name].chars().collect();
        let i = at.index(chars.len());
        prop_assume!(chars[i] != replacement && replacement != '\0');
        chars[i] = replacement;
        tampered.insert(name, chars.into_iter().collect());
        let body = format!("{}&sign={sign}", notify::encode_form(&tampered));
        prop_assert_eq!(notify::verify(body.as_bytes(), None, &key()).unwrap_err(), NotifyError::SignatureMismatch);
        let body = format!("{}&sign={sign}", notify::encode_form(&fields));
        prop_assert!(notify::verify(body.as_bytes(), None, &key()).is_ok());
    }
}

/// A QR bill's notification: `billPayment` is a JSON string inside the form, verified as sent
/// and decoded after; only `PAID` is paid.
#[test]
fn bill_notifications_decode_their_payment() {
    let payment = r#"{"payTime":"2024-01-01 12:00:05","merOrderId":"3194BILLPAY0001","totalAmount":100,"status":"TRADE_SUCCESS","targetSys":"WXPay"}"#;
    let build = |status: &str| {
        let mut fields = Fields::new();
        for (k, v) in [
            ("billNo", "31942024010112000000009999"),
            ("billDate", "2024-01-01"),
            ("billStatus", status),
            ("totalAmount", "100"),
            ("billPayment", payment),
            ("notifyId", "n-3"),
            ("qrCodeType", "BILLPAY"),
            ("signType", "SHA256"),
            ("gY", "Snwz"),
        ] {
            fields.insert(k.into(), v.into());
        }
        let sign = notify::sign(&fields, &key(), SignType::Sha256);
        format!("{}&sign={sign}", notify::encode_form(&fields))
    };
    let paid = notify::verify(build("PAID").as_bytes(), None, &key()).unwrap();
    let Notification::Bill(bill) = &paid else {
        panic!("{paid:?}")
    };
    assert_eq!(bill.total_amount, Some(Fen(100)));
    let payment = bill.bill_payment.as_ref().unwrap();
    assert_eq!(payment.total_amount, Some(Fen(100)));
    assert_eq!(paid.mer_order_id(), Some("3194BILLPAY0001"));
    assert_eq!(paid.state(), PaymentState::Paid);
    for (status, state) in [
        ("REFUND", PaymentState::Refunded),
        ("CLOSED", PaymentState::Closed),
        ("UNPAID", PaymentState::Unknown),
        ("SOMETHING_NEW", PaymentState::Unknown),
    ] {
        assert_eq!(
            notify::verify(build(status).as_bytes(), None, &key())
                .unwrap()
                .state(),
            state,
            "{status}"
        );
    }
}
