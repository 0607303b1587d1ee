//! `chinaums sign` against the known-answer vector KAT-5.

mod common;

use chinaums::body_sig;
use common::{chinaums, no_panic};
use predicates::prelude::*;

const APP_ID: &str = "10037e6f6a4e6da4016a670fd4530012";
const APP_KEY: &str = "f7a74b6c02ae4e1e94aaba311c04acf2";
const TS: &str = "20240101120000";
const NONCE: &str = "0123456789abcdef0123456789abcdef";
const BODY: &str = r#"{"requestTimestamp":"2024-01-01 12:00:00","mid":"898201612345678","tid":"88880001","instMid":"YUEDANDEFAULT","merOrderId":"31942024010112000000001234"}"#;
const DIGEST: &str = "fe69e92b6a076f75f6db9e61160b8cc8d3af8006e66094803b2f912faca63e57";
const SIGNATURE: &str = "YaoaLuAj7mznzwLXN4zbWA4ZGyQZNhhUionvH+48t18=";

fn header() -> String {
    format!(
        r#"OPEN-BODY-SIG AppId="{APP_ID}", Timestamp="{TS}", Nonce="{NONCE}", Signature="{SIGNATURE}""#
    )
}

fn kat5_args() -> [&'static str; 9] {
    [
        "sign",
        "--app-id",
        APP_ID,
        "--app-key",
        APP_KEY,
        "--timestamp",
        TS,
        "--nonce",
        NONCE,
    ]
}

#[test]
fn kat5_from_stdin_prints_exactly_the_header() {
    chinaums()
        .args(kat5_args())
        .write_stdin(BODY)
        .assert()
        .success()
        .stdout(format!("{}\n", header()))
        .stderr("");
}

#[test]
fn kat5_from_a_file_gives_the_same_header() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("body.json");
    std::fs::write(&path, BODY).unwrap();
    chinaums()
        .args(kat5_args())
        .arg("--body-file")
        .arg(&path)
        .assert()
        .success()
        .stdout(format!("{}\n", header()));
}

#[test]
fn kat5_verbose_shows_each_step_but_not_the_key() {
    let expected = format!(
        "appId:         {APP_ID}\n\
         timestamp:     {TS}\n\
         nonce:         {NONCE}\n\
         bodyLength:    {} bytes\n\
         bodyDigest:    {DIGEST}\n\
         stringToSign:  {APP_ID}{TS}{NONCE}{DIGEST}\n\
         signature:     {SIGNATURE}\n\
         Authorization: {}\n",
        BODY.len(),
        header()
    );
    chinaums()
        .args(kat5_args())
        .arg("--verbose")
        .write_stdin(BODY)
        .assert()
        .success()
        .stdout(expected)
        .stdout(predicate::str::contains(APP_KEY).not());
}

#[test]
fn the_key_may_come_from_the_environment() {
    chinaums()
        .args([
            "sign",
            "--app-id",
            APP_ID,
            "--timestamp",
            TS,
            "--nonce",
            NONCE,
        ])
        .env("CHINAUMS_APP_KEY", APP_KEY)
        .write_stdin(BODY)
        .assert()
        .success()
        .stdout(format!("{}\n", header()));
}

#[test]
fn the_body_is_signed_exactly_as_read_without_trimming() {
    let with_newline = format!("{BODY}\n");
    let expected = body_sig::sign(APP_ID, APP_KEY, TS, NONCE, with_newline.as_bytes());
    assert_ne!(expected.signature, SIGNATURE);
    chinaums()
        .args(kat5_args())
        .arg("-v")
        .write_stdin(with_newline.clone())
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "bodyLength:    {} bytes\n",
            with_newline.len()
        )))
        .stdout(predicate::str::contains(format!(
            "bodyDigest:    {}\n",
            expected.body_digest
        )))
        .stdout(predicate::str::contains(format!(
            "Authorization: {}\n",
            expected.authorization
        )));
}

#[test]
fn without_timestamp_and_nonce_it_uses_now_and_a_fresh_nonce() {
    let run = || {
        let out = chinaums()
            .args(["sign", "--app-id", APP_ID, "--app-key", APP_KEY])
            .write_stdin("{}")
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        body_sig::parse_header(text.trim_end_matches('\n')).unwrap()
    };
    let (a, b) = (run(), run());
    assert!(
        chinaums::timestamps::is_auth_timestamp(&a.timestamp),
        "{a:?}"
    );
    assert_eq!(a.nonce.len(), 32);
    assert!(a.nonce.bytes().all(|c| c.is_ascii_hexdigit()), "{a:?}");
    assert_ne!(a.nonce, b.nonce);
    // The header is a valid signature of the body under the key.
    assert!(body_sig::verify(&a, APP_KEY, b"{}"));
    assert!(!body_sig::verify(&a, APP_KEY, b"{} "));
}

#[test]
fn a_malformed_timestamp_is_a_usage_error() {
    for bad in ["2024-01-01 12:00:00", "20241301120000", "2024010112000"] {
        chinaums()
            .args([
                "sign",
                "--app-id",
                APP_ID,
                "--app-key",
                APP_KEY,
                "--timestamp",
                bad,
            ])
            .write_stdin(BODY)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains("yyyyMMddHHmmss"))
            .stderr(no_panic());
    }
}

#[test]
fn a_bad_nonce_is_a_usage_error() {
    chinaums()
        .args([
            "sign",
            "--app-id",
            APP_ID,
            "--app-key",
            APP_KEY,
            "--nonce",
            "a,b",
        ])
        .write_stdin(BODY)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--nonce"));
}

/// The appId and the nonce follow the SDK's rules (what an Authorization header can carry).
#[test]
fn a_malformed_app_id_or_nonce_is_a_usage_error() {
    chinaums()
        .args(["sign", "--app-id", "my app", "--app-key", APP_KEY])
        .write_stdin(BODY)
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("invalid field `appId`"))
        .stderr(predicate::str::contains("--app-id"))
        .stderr(predicate::str::contains(APP_KEY).not())
        .stderr(no_panic());
    for bad in ["", "a b", &"x".repeat(129)] {
        chinaums()
            .args(kat5_args())
            .args(["--nonce", bad])
            .write_stdin(BODY)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains("--nonce"))
            .stderr(predicate::str::contains(
                chinaums::Nonce::new(bad).unwrap_err().rule,
            ))
            .stderr(no_panic());
    }
    // The longest nonce the SDK accepts is accepted.
    chinaums()
        .args(kat5_args())
        .args(["--nonce", &"x".repeat(body_sig::MAX_NONCE_LEN)])
        .write_stdin(BODY)
        .assert()
        .success();
}

#[test]
fn missing_credentials_name_the_flag_and_the_variable() {
    chinaums()
        .args(["sign", "--app-id", APP_ID])
        .write_stdin(BODY)
        .assert()
        .code(4)
        .stdout("")
        .stderr(predicate::str::contains("--app-key or CHINAUMS_APP_KEY"))
        .stderr(predicate::str::contains("CHINAUMS_APP_ID").not())
        .stderr(no_panic());
    chinaums()
        .arg("sign")
        .write_stdin(BODY)
        .assert()
        .code(4)
        .stderr(predicate::str::contains("--app-id or CHINAUMS_APP_ID"))
        .stderr(predicate::str::contains("--app-key or CHINAUMS_APP_KEY"));
}

#[test]
fn an_unreadable_body_file_is_a_usage_error() {
    chinaums()
        .args(kat5_args())
        .args(["--body-file", "/nonexistent/body.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cannot read --body-file /nonexistent/body.json",
        ));
}

#[test]
fn api_only_flags_are_refused() {
    chinaums()
        .arg("--sandbox")
        .args(kat5_args())
        .write_stdin(BODY)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("error: --sandbox applies to `"))
        .stderr(predicate::str::contains(
            "`refund-query`, `close`, `secure complete`, `secure cancel` and `split confirm` \
             only, not to `sign`",
        ))
        .stderr(predicate::str::contains(
            "`order create mini`, `order create jsapi`, `order create app`, `order create qr`, \
             `h5-url`, `bill query`, `bill refund`, `bill close`, `bill info`, `query`, `refund`",
        ));
}

#[test]
fn help_has_an_example() {
    chinaums()
        .args(["sign", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Examples:"))
        .stdout(predicate::str::contains("chinaums sign --app-id"));
}
