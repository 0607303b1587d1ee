//! `chinaums notify verify` on notifications built with the core's own signer
//! (`chinaums::notify::sign`): each hash, signType absent, each family, a JSON body, `--json`,
//! and every way a body fails, each with its own exit code; the key from a variable or a file,
//! never printed.

mod common;

use chinaums::notify::{self, Fields, NotifyKey, SignType};
use common::{chinaums, json_error, no_panic};
use predicates::prelude::*;
use serde_json::Value;

const KEY: &str = "cli-test-notify-key-7f3a";

fn fields(pairs: &[(&str, &str)]) -> Fields {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// A payment notification as the platform sends it: a random-named field, `signType` when
/// given, amounts as strings of fen.
fn payment(sign_type: Option<&str>) -> Fields {
    let mut f = fields(&[
        ("mid", "898201612345678"),
        ("tid", "88880001"),
        ("instMid", "MINIDEFAULT"),
        ("merOrderId", "3194CLITEST0001"),
        ("status", "TRADE_SUCCESS"),
        ("totalAmount", "2580"),
        ("buyerPayAmount", "2580"),
        ("payTime", "2024-01-01 12:00:05"),
        ("targetSys", "WXPay"),
        ("notifyId", "6f1c3a52-0b8e-4c1e-9d0a-1b2c3d4e5f60"),
        ("msgType", "wx.notify"),
        ("orderDesc", "咖啡 x2"),
        ("Ru", "NcFv"),
    ]);
    if let Some(t) = sign_type {
        f.insert("signType".into(), t.into());
    }
    f
}

fn sign(f: &Fields, sign_type: SignType) -> String {
    notify::sign(f, &NotifyKey::new(KEY), sign_type)
}

/// The form body: the fields, then `sign`.
fn form(f: &Fields, sign_type: SignType) -> String {
    format!("{}&sign={}", notify::encode_form(f), sign(f, sign_type))
}

fn verify() -> assert_cmd::Command {
    let mut cmd = chinaums();
    cmd.args(["notify", "verify"])
        .env("CHINAUMS_NOTIFY_KEY", KEY);
    cmd
}

/// Runs `cmd`, expects exit 0, and returns stdout; neither the key nor a panic anywhere.
fn ok(cmd: &mut assert_cmd::Command) -> String {
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(!stdout.contains(KEY) && !stderr.contains(KEY));
    assert!(no_panic().eval(&stderr), "{stderr}");
    stdout
}

/// The value of the line `name: value` of a summary (values are aligned with spaces).
fn field(text: &str, name: &str) -> String {
    lines(text)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
}

/// `name: value` of each line (values aligned with spaces).
fn lines(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(|l| {
            let (name, value) = l.split_once(':').unwrap();
            (name.to_owned(), value.trim().to_owned())
        })
        .collect()
}

#[test]
fn a_sha256_payment_shows_the_decision_first_then_every_field() {
    let f = payment(Some("SHA256"));
    let body = form(&f, SignType::Sha256);
    let out = ok(verify().write_stdin(body.clone()));
    let l = lines(&out);
    let head: Vec<(&str, &str)> = l[..5]
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        head,
        [
            ("state", "paid (TRADE_SUCCESS)"),
            ("notifyId", "6f1c3a52-0b8e-4c1e-9d0a-1b2c3d4e5f60"),
            ("merOrderId", "3194CLITEST0001"),
            ("family", "payment"),
            ("signType", "SHA256"),
        ],
        "{out}"
    );
    let value = |name: &str| {
        l.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {name} in\n{out}"))
    };
    assert_eq!(value("totalAmount"), "25.80 yuan (2580 fen)");
    assert_eq!(value("buyerPayAmount"), "25.80 yuan (2580 fen)");
    assert_eq!(value("orderDesc"), "咖啡 x2");
    assert_eq!(value("Ru"), "NcFv");
    // Every field once, the sign never.
    assert!(!out.contains(&sign(&f, SignType::Sha256)), "{out}");
    assert!(l.iter().all(|(n, _)| n != "sign"), "{out}");
    let names: Vec<&str> = l.iter().map(|(n, _)| n.as_str()).collect();
    for name in f.keys() {
        assert_eq!(
            names.iter().filter(|n| **n == name.as_str()).count(),
            1,
            "{name}: {out}"
        );
    }
    // The same from a file.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("body");
    std::fs::write(&path, &body).unwrap();
    assert_eq!(ok(verify().arg("--body-file").arg(&path)), out);
}

#[test]
fn md5_and_an_absent_sign_type_say_which_hash_matched() {
    let out = ok(verify().write_stdin(form(&payment(Some("MD5")), SignType::Md5)));
    assert_eq!(field(&out, "signType"), "MD5", "{out}");
    for (sign_type, name) in [(SignType::Md5, "MD5"), (SignType::Sha256, "SHA256")] {
        let out = ok(verify().write_stdin(form(&payment(None), sign_type)));
        assert_eq!(
            field(&out, "signType"),
            format!("{name} (no signType in the body: the signature matched {name})"),
            "{out}"
        );
        let json: Value = serde_json::from_str(&ok(verify()
            .arg("--json")
            .write_stdin(form(&payment(None), sign_type))))
        .unwrap();
        assert_eq!(json["signType"], name);
    }
    // A declared hash is the only one tried: MD5 signed, SHA256 declared, is a mismatch.
    verify()
        .write_stdin(form(&payment(Some("SHA256")), SignType::Md5))
        .assert()
        .code(10);
}

#[test]
fn json_is_the_typed_notification_without_the_sign() {
    let f = payment(Some("SHA256"));
    let out = ok(verify()
        .arg("--json")
        .write_stdin(form(&f, SignType::Sha256)));
    assert!(!out.contains(&sign(&f, SignType::Sha256)), "{out}");
    let json: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["verified"], true);
    assert_eq!(json["family"], "payment");
    assert_eq!(json["state"], "paid");
    assert_eq!(json["signType"], "SHA256");
    assert_eq!(json["notifyId"], "6f1c3a52-0b8e-4c1e-9d0a-1b2c3d4e5f60");
    assert_eq!(json["merOrderId"], "3194CLITEST0001");
    let n = &json["notification"];
    assert_eq!(n["totalAmount"], 2580, "{n}");
    assert_eq!(n["status"], "TRADE_SUCCESS");
    assert_eq!(n["payTime"], "2024-01-01 12:00:05");
    assert_eq!(n["Ru"], "NcFv");
    assert_eq!(n["signType"], "SHA256");
    assert!(n.get("sign").is_none(), "{n}");
}

#[test]
fn refund_and_bill_notifications_have_their_own_decision() {
    let refund = fields(&[
        ("merOrderId", "3194CLITEST0001"),
        ("status", "TRADE_REFUND"),
        ("refundOrderId", "3194CLITEST0001R1"),
        ("refundAmount", "30"),
        ("totalAmount", "2580"),
        ("notifyId", "n-refund"),
        ("signType", "SHA256"),
    ]);
    let out = ok(verify().write_stdin(form(&refund, SignType::Sha256)));
    assert_eq!(
        lines(&out)[0],
        ("state".into(), "paid, then refunded (TRADE_REFUND)".into()),
        "{out}"
    );
    assert_eq!(field(&out, "family"), "refund");
    assert_eq!(field(&out, "refundAmount"), "0.30 yuan (30 fen)");
    assert_eq!(field(&out, "refundOrderId"), "3194CLITEST0001R1");

    let bill = fields(&[
        ("billNo", "3194BILL0001"),
        ("billDate", "2024-01-01"),
        ("billStatus", "PAID"),
        ("totalAmount", "3600"),
        ("notifyId", "n-bill"),
        (
            "billPayment",
            r#"{"merOrderId":"3194BILLPAY0001","totalAmount":3600,"status":"TRADE_SUCCESS"}"#,
        ),
        ("signType", "SHA256"),
    ]);
    let json: Value = serde_json::from_str(&ok(verify()
        .arg("--json")
        .write_stdin(form(&bill, SignType::Sha256))))
    .unwrap();
    assert_eq!(
        (&json["family"], &json["state"], &json["merOrderId"]),
        (
            &Value::from("bill"),
            &Value::from("paid"),
            &Value::from("3194BILLPAY0001")
        ),
        "{json}"
    );
    assert_eq!(json["notification"]["billPayment"]["totalAmount"], 3600);
    let out = ok(verify().write_stdin(form(&bill, SignType::Sha256)));
    assert_eq!(
        lines(&out)[0],
        ("state".into(), "paid (PAID)".into()),
        "{out}"
    );
    assert_eq!(field(&out, "totalAmount"), "36.00 yuan (3600 fen)");
}

/// A JSON body (an older delivery format): read as JSON when --content-type says so, or
/// without --content-type when it is an object; verified under the same rule.
#[test]
fn a_json_body_verifies_under_the_same_rule() {
    let f = payment(Some("SHA256"));
    let mut object: serde_json::Map<String, Value> = f
        .iter()
        .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
        .collect();
    object.insert("sign".into(), sign(&f, SignType::Sha256).into());
    let body = Value::Object(object).to_string();
    for content_type in [None, Some("application/json; charset=UTF-8")] {
        let mut cmd = verify();
        if let Some(ct) = content_type {
            cmd.args(["--content-type", ct]);
        }
        let out = ok(cmd.write_stdin(body.clone()));
        assert_eq!(lines(&out)[0].1, "paid (TRADE_SUCCESS)", "{out}");
        assert_eq!(field(&out, "totalAmount"), "25.80 yuan (2580 fen)");
    }
    // The same object declared as a form is not a notification (no `sign` field).
    verify()
        .args(["--content-type", "application/x-www-form-urlencoded"])
        .write_stdin(body)
        .assert()
        .code(11);
}

/// A body that fails: what it is, its bytes, its Content-Type, the exit code, the class and
/// a piece of the message.
type Failure = (
    &'static str,
    Vec<u8>,
    Option<&'static str>,
    i32,
    &'static str,
    &'static str,
);

/// Each failure: its exit code, its class with `--json`, `not verified:` and a hint on stderr,
/// nothing on stdout without `--json`.
#[test]
fn every_failure_has_its_own_exit_code() {
    let good = form(&payment(Some("SHA256")), SignType::Sha256);
    let unsigned = notify::encode_form(&payment(Some("SHA256")));
    let mut sha1 = payment(Some("SHA1"));
    sha1.insert("x".into(), "1".into());
    let cases: Vec<Failure> = vec![
        (
            "a changed amount",
            good.replace("totalAmount=2580", "totalAmount=1")
                .into_bytes(),
            None,
            10,
            "signature_mismatch",
            "does not match",
        ),
        (
            "a newline added (no trimming)",
            format!("{good}\n").into_bytes(),
            None,
            10,
            "signature_mismatch",
            "does not match",
        ),
        (
            "no sign",
            unsigned.clone().into_bytes(),
            None,
            11,
            "missing_sign",
            "no `sign`",
        ),
        (
            "a field twice",
            format!("{good}&status=TRADE_SUCCESS").into_bytes(),
            None,
            12,
            "duplicate_field",
            "`status` appears more than once",
        ),
        (
            "not UTF-8",
            format!("{unsigned}&orderDesc2=%FF%FE&sign=00").into_bytes(),
            None,
            13,
            "not_utf8",
            "not UTF-8",
        ),
        (
            "raw non-UTF-8 bytes in a JSON body",
            b"{\"a\":\"\xff\"}".to_vec(),
            None,
            13,
            "not_utf8",
            "not UTF-8",
        ),
        (
            "signType SHA1",
            form(&sha1, SignType::Sha256).into_bytes(),
            None,
            14,
            "unknown_sign_type",
            "SHA1",
        ),
        (
            "a JSON body cut short",
            b"{\"status\":\"TRADE_SUCCESS\",".to_vec(),
            Some("application/json"),
            15,
            "malformed",
            "neither a form nor a JSON object",
        ),
        (
            "a JSON array",
            b"[1,2]".to_vec(),
            Some("application/json"),
            15,
            "malformed",
            "neither a form nor a JSON object",
        ),
    ];
    for (what, body, content_type, code, class, message) in cases {
        let mut cmd = verify();
        if let Some(ct) = content_type {
            cmd.args(["--content-type", ct]);
        }
        cmd.write_stdin(body.clone())
            .assert()
            .code(code)
            .stdout("")
            .stderr(predicate::str::starts_with("error: not verified: "))
            .stderr(predicate::str::contains(message))
            .stderr(predicate::str::contains("\nhint: "))
            .stderr(predicate::str::contains(KEY).not())
            .stderr(no_panic());
        let mut cmd = verify();
        cmd.arg("--json");
        if let Some(ct) = content_type {
            cmd.args(["--content-type", ct]);
        }
        let (exit, json) = json_error(cmd.write_stdin(body));
        assert_eq!(
            (exit, json["class"].as_str()),
            (code, Some(class)),
            "{what}"
        );
    }
    // The right body under another key: a mismatch too.
    verify()
        .env("CHINAUMS_NOTIFY_KEY", "another-key")
        .write_stdin(good)
        .assert()
        .code(10);
}

/// The key from `--key-env VAR` or `--key-file` (one trailing newline ignored); a missing key
/// names the variable (exit 4) before any body is read; the key never appears.
#[test]
fn the_key_comes_from_a_variable_or_a_file_and_is_never_printed() {
    let body = form(&payment(Some("SHA256")), SignType::Sha256);
    ok(chinaums()
        .args(["notify", "verify", "--key-env", "MY_SHOP_NOTIFY_KEY"])
        .env("MY_SHOP_NOTIFY_KEY", KEY)
        .write_stdin(body.clone()));
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in [("plain", KEY.to_owned()), ("newline", format!("{KEY}\n"))] {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        ok(chinaums()
            .args(["notify", "verify", "--key-file"])
            .arg(&path)
            .write_stdin(body.clone()));
    }
    // Two newlines: the second is part of the key, which then does not match.
    let path = dir.path().join("two");
    std::fs::write(&path, format!("{KEY}\n\n")).unwrap();
    chinaums()
        .args(["notify", "verify", "--key-file"])
        .arg(&path)
        .write_stdin(body.clone())
        .assert()
        .code(10);

    // Missing: exit 4, the variable named, whether default or chosen; stdin is not read.
    for (args, var) in [
        (&[][..], "CHINAUMS_NOTIFY_KEY"),
        (
            &["--key-env", "MY_SHOP_NOTIFY_KEY"][..],
            "MY_SHOP_NOTIFY_KEY",
        ),
    ] {
        chinaums()
            .args(["notify", "verify"])
            .args(args)
            .assert()
            .code(4)
            .stdout("")
            .stderr(predicate::str::contains(format!(
                "missing notification key: {var} is not set"
            )))
            .stderr(no_panic());
        let (code, json) = json_error(
            chinaums()
                .args(["notify", "verify", "--json"])
                .args(args)
                .env(var, ""),
        );
        assert_eq!((code, json["class"].as_str()), (4, Some("config")));
        assert!(json["message"].as_str().unwrap().contains(var), "{json}");
    }
    // An empty key file is no key; an unreadable one, or both sources, a usage error.
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "\n").unwrap();
    chinaums()
        .args(["notify", "verify", "--key-file"])
        .arg(&empty)
        .assert()
        .code(4);
    chinaums()
        .args(["notify", "verify", "--key-file"])
        .arg(dir.path().join("absent"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read --key-file"));
    chinaums()
        .args(["notify", "verify", "--key-env", "A", "--key-file"])
        .arg(&path)
        .assert()
        .code(2);
    // There is no flag that takes the key itself.
    chinaums()
        .args(["notify", "verify", "--key", KEY])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unexpected argument"));
}

#[test]
fn an_unreadable_body_file_is_a_usage_error() {
    let (code, json) =
        json_error(verify().args(["--json", "--body-file", "/nonexistent/notification.txt"]));
    assert_eq!((code, json["class"].as_str()), (2, Some("usage")));
    assert!(
        json["message"]
            .as_str()
            .unwrap()
            .contains("cannot read --body-file /nonexistent/notification.txt"),
        "{json}"
    );
}

#[test]
fn help_lists_the_options_and_the_exit_codes() {
    let out = chinaums()
        .args(["notify", "verify", "--help"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--body-file",
        "--content-type",
        "--key-env",
        "--key-file",
        "--json",
    ] {
        assert!(text.contains(flag), "{flag}:\n{text}");
    }
    for code in [
        "10  the signature does not match",
        "15  the body is neither",
    ] {
        assert!(text.contains(code), "{code}:\n{text}");
    }
    for other in ["--sandbox", "--env", "--app-key", "--key "] {
        assert!(!text.contains(other), "{other}:\n{text}");
    }
}
