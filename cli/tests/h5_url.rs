//! `chinaums h5-url`: the signed URL alone on stdout (checked with the core's own
//! OPEN-FORM-PARAM verifier), `--json`, the generated order number, the business type of each
//! kind, what it refuses (exit 2 naming the flag), the `--sandbox` note, and `--open` with a
//! stand-in for the browser (never a real one).

mod common;

use chinaums::form_param;
use chinaums_sandbox::{DEMO_MID, DEMO_TID, Sandbox};
use common::{chinaums, json_error, no_panic};
use predicates::prelude::*;
use serde_json::Value;

/// `args` aimed at `sandbox` through flags (its credentials, the demo merchant, no instMid).
fn against(sandbox: &Sandbox, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = chinaums();
    cmd.args(args)
        .args(["--env", &sandbox.base_url(), "--app-id", sandbox.app_id()])
        .args(["--app-key", sandbox.app_key(), "--mid", DEMO_MID])
        .args(["--tid", DEMO_TID]);
    cmd
}

/// The URL printed (all of stdout, one line), its signature checked with `app_key`, and its
/// `content` as JSON.
fn signed_url(stdout: &[u8], app_key: &str) -> (chinaums::http::Uri, Value) {
    let text = std::str::from_utf8(stdout).unwrap();
    assert!(text.ends_with('\n'), "{text:?}");
    let line = text.trim_end_matches('\n');
    assert!(!line.contains('\n'), "one line only: {text:?}");
    let uri: chinaums::http::Uri = line.parse().unwrap();
    let query = form_param::parse_query(uri.query().unwrap()).unwrap();
    assert!(form_param::verify(&query, app_key), "signature of {line}");
    let content: Value = serde_json::from_str(&query.content).unwrap();
    (uri, content)
}

#[test]
fn the_url_alone_on_stdout_signed_with_the_order_in_it() {
    let sandbox = Sandbox::start_demo().unwrap();
    let out = against(
        &sandbox,
        &[
            "h5-url",
            "alipay",
            "3194H5ORDER0001",
            "--amount",
            "25.00",
            "--desc",
            "咖啡",
            "--return-url",
            "https://shop.example/paid?a=1&b=2",
            "--notify-url",
            "https://shop.example/notify",
            "--expire-time",
            "2030-01-01 12:30:00",
        ],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "nothing to say");
    let (uri, content) = signed_url(&out.stdout, sandbox.app_key());
    assert_eq!(
        format!(
            "{}://{}",
            uri.scheme_str().unwrap(),
            uri.authority().unwrap()
        ),
        sandbox.base_url()
    );
    assert_eq!(uri.path(), "/v1/netpay/trade/h5-pay");
    for (field, value) in [
        ("merOrderId", "3194H5ORDER0001"),
        ("mid", DEMO_MID),
        ("tid", DEMO_TID),
        ("instMid", "H5DEFAULT"),
        ("orderDesc", "咖啡"),
        ("returnUrl", "https://shop.example/paid?a=1&b=2"),
        ("notifyUrl", "https://shop.example/notify"),
        ("expireTime", "2030-01-01 12:30:00"),
    ] {
        assert_eq!(content[field], value, "{field}: {content}");
    }
    assert_eq!(content["totalAmount"], 2500, "{content}");
    assert!(content["requestTimestamp"].is_string(), "{content}");
    // Nothing was sent: the URL is for a browser.
    assert_eq!(sandbox.request_count(), 0);
}

#[test]
fn each_kind_has_its_path_and_business_type() {
    let sandbox = Sandbox::start_demo().unwrap();
    let wechat = [
        "--scene-type",
        "AND_WAP",
        "--mer-app-name",
        "咖啡商城",
        "--mer-app-id",
        "https://shop.example",
    ];
    for (kind, path, inst_mid, extra) in [
        ("alipay", "/v1/netpay/trade/h5-pay", "H5DEFAULT", &[][..]),
        (
            "wechat",
            "/v1/netpay/wxpay/h5-pay",
            "H5DEFAULT",
            &wechat[..],
        ),
        ("unionpay", "/v1/netpay/uac/order", "H5DEFAULT", &[][..]),
        (
            "wechat-mini",
            "/v1/netpay/wxpay/h5-to-minipay",
            "H5DEFAULT",
            &[][..],
        ),
        ("webpay", "/v1/netpay/webpay/pay", "YUEDANDEFAULT", &[][..]),
    ] {
        let out = against(
            &sandbox,
            &["h5-url", kind, "3194H5KIND0001", "--fen", "100"],
        )
        .args(extra)
        .output()
        .unwrap();
        assert_eq!(out.status.code(), Some(0), "{kind}: {out:?}");
        let (uri, content) = signed_url(&out.stdout, sandbox.app_key());
        assert_eq!(uri.path(), path, "{kind}");
        assert_eq!(content["instMid"], inst_mid, "{kind}: {content}");
        assert_eq!(content["totalAmount"], 100, "{kind}: {content}");
        if kind == "wechat" {
            assert_eq!(content["sceneType"], "AND_WAP", "{content}");
            assert_eq!(content["merAppName"], "咖啡商城", "{content}");
            assert_eq!(content["merAppId"], "https://shop.example", "{content}");
        } else {
            assert!(content.get("sceneType").is_none(), "{kind}: {content}");
        }
    }
    // A business type given (flag or variable) wins over the kind's.
    let out = against(
        &sandbox,
        &["h5-url", "alipay", "3194H5KIND0002", "--fen", "1"],
    )
    .env("CHINAUMS_INST_MID", "MYH5INSTMID")
    .output()
    .unwrap();
    let (_, content) = signed_url(&out.stdout, sandbox.app_key());
    assert_eq!(content["instMid"], "MYH5INSTMID", "{content}");
    assert_eq!(sandbox.request_count(), 0);
}

/// `--json`: exactly `url` and `merOrderId`; a generated merOrderId starts with the msgSrcId
/// (flag or variable), is the one in the URL, and is told on stderr.
#[test]
fn json_and_a_generated_order_number() {
    let sandbox = Sandbox::start_demo().unwrap();
    let out = against(
        &sandbox,
        &["h5-url", "unionpay", "--json", "--amount", "0.01"],
    )
    .env("CHINAUMS_MSG_SRC_ID", "3194")
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["merOrderId", "url"], "{json}");
    let id = json["merOrderId"].as_str().unwrap();
    assert!(id.starts_with("3194") && id.len() == 28, "{id}");
    let url = json["url"].as_str().unwrap();
    let (_, content) = signed_url(format!("{url}\n").as_bytes(), sandbox.app_key());
    assert_eq!(content["merOrderId"], id);
    assert_eq!(content["totalAmount"], 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr, format!("merOrderId: {id} (generated: keep it)\n"));

    let out = against(
        &sandbox,
        &["h5-url", "webpay", "--msg-src-id", "4567", "--fen", "1"],
    )
    .output()
    .unwrap();
    let (_, content) = signed_url(&out.stdout, sandbox.app_key());
    assert!(
        content["merOrderId"].as_str().unwrap().starts_with("4567"),
        "{content}"
    );
    assert_eq!(sandbox.request_count(), 0);
}

/// What is refused before anything is signed, exit 2, naming the flag (or the file).
#[test]
fn bad_input_is_a_usage_error_naming_the_flag() {
    let sandbox = Sandbox::start_demo().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let goods = dir.path().join("goods.json");
    std::fs::write(&goods, r#"[{"goodsId":"A","goodsName":"B","quantity":1}]"#).unwrap();
    let goods = goods.to_str().unwrap();
    let id = "3194H5BAD0001";
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["h5-url", "alipay", id], "--amount"),
        (vec!["h5-url", "alipay", id, "--amount", "0"], "--amount"),
        (vec!["h5-url", "alipay", id, "--fen", "1.5"], "--fen"),
        (vec!["h5-url", "alipay", "--fen", "1"], "--msg-src-id"),
        (
            vec!["h5-url", "alipay", "--fen", "1", "--msg-src-id", "31"],
            "--msg-src-id",
        ),
        (vec!["h5-url", "alipay", "X1", "--fen", "1"], "<merOrderId>"),
        (vec!["h5-url", "paypal", id, "--fen", "1"], "paypal"),
        (
            vec!["h5-url", "alipay", id, "--fen", "1", "--return-url", "shop"],
            "--return-url",
        ),
        (
            vec![
                "h5-url",
                "alipay",
                id,
                "--fen",
                "1",
                "--notify-url",
                "ftp://x/",
            ],
            "--notify-url",
        ),
        (
            vec![
                "h5-url",
                "alipay",
                id,
                "--fen",
                "1",
                "--expire-time",
                "2030-01-01",
            ],
            "--expire-time",
        ),
        (
            vec!["h5-url", "alipay", id, "--fen", "1", "--goods", goods],
            "goods.json: item 1: `price` is missing",
        ),
        (
            vec!["h5-url", "alipay", id, "--fen", "1", "--desc", "a\u{7}b"],
            "--desc",
        ),
        (
            vec![
                "h5-url",
                "wechat",
                id,
                "--fen",
                "1",
                "--scene-type",
                "IOS_WAP",
            ],
            "--mer-app-name, --mer-app-id",
        ),
        (
            vec!["h5-url", "wechat", id, "--fen", "1", "--scene-type", "PC"],
            "--scene-type",
        ),
        (
            vec![
                "h5-url",
                "alipay",
                id,
                "--fen",
                "1",
                "--scene-type",
                "IOS_WAP",
            ],
            "--scene-type applies to `h5-url wechat` only",
        ),
        (
            vec!["h5-url", "alipay", id, "--fen", "1", "--auth", "token"],
            "--auth token",
        ),
    ];
    for (args, expected) in &cases {
        against(&sandbox, args)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(*expected))
            .stderr(no_panic());
        let (code, json) = json_error(against(&sandbox, args).arg("--json"));
        assert_eq!(
            (code, json["class"].as_str()),
            (2, Some("usage")),
            "{args:?}"
        );
        let text = format!("{} {}", json["message"], json["hint"]);
        assert!(text.contains(expected), "{args:?}: {json}");
    }
    // A description too long for WeChat (128 bytes), fine for Alipay (256).
    let long = "咖".repeat(50);
    let wechat = [
        "--scene-type",
        "IOS_WAP",
        "--mer-app-name",
        "n",
        "--mer-app-id",
        "i",
    ];
    against(
        &sandbox,
        &["h5-url", "wechat", id, "--fen", "1", "--desc", &long],
    )
    .args(wechat)
    .assert()
    .code(2)
    .stderr(predicate::str::contains("--desc").and(predicate::str::contains("128 bytes")));
    against(
        &sandbox,
        &["h5-url", "alipay", id, "--fen", "1", "--desc", &long],
    )
    .assert()
    .code(0);
    assert_eq!(sandbox.request_count(), 0);
}

/// Missing settings are reported all at once (exit 4), as for every API command.
#[test]
fn missing_settings_are_named() {
    chinaums()
        .args(["h5-url", "alipay", "3194H5ORDER0001", "--fen", "1"])
        .assert()
        .code(4)
        .stdout("")
        .stderr(predicate::str::contains("--app-id").and(predicate::str::contains("--env")))
        // The business type has the kind's default: not missing.
        .stderr(predicate::str::contains("--inst-mid").not());
}

/// Under `--sandbox` the URL is printed, and stderr says that it points at a sandbox that
/// stops with the command, and how to run one that stays.
#[test]
fn under_sandbox_a_note_says_the_url_dies_with_the_command() {
    let out = chinaums()
        .args(["h5-url", "alipay", "--sandbox", "--fen", "100"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with("http://127.0.0.1:"), "{stdout}");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("stops when this command exits")
            && stderr.contains("chinaums sandbox --port 8080")
            && stderr.contains("--env http://127.0.0.1:8080"),
        "{stderr}"
    );
    // The demo merchant's msgSrcId under --sandbox.
    assert!(stderr.contains("merOrderId: 3194"), "{stderr}");
}

/// `--open` with a program that cannot start: a warning on stderr, the URL still printed,
/// exit 0.
#[test]
fn failing_to_open_a_browser_is_a_warning() {
    let sandbox = Sandbox::start_demo().unwrap();
    let out = against(
        &sandbox,
        &["h5-url", "alipay", "3194H5OPEN0001", "--fen", "1", "--open"],
    )
    .env("CHINAUMS_BROWSER", "/nonexistent/chinaums-test-browser")
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    signed_url(&out.stdout, sandbox.app_key());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("warning: could not open a browser (/nonexistent/chinaums-test-browser"),
        "{stderr}"
    );
}

/// `--open` hands the URL, as one argument, to the browser (here a script that writes it to a
/// file), and prints it all the same.
#[cfg(unix)]
#[test]
fn open_hands_the_url_to_the_browser() {
    use std::os::unix::fs::PermissionsExt;
    let sandbox = Sandbox::start_demo().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let seen = dir.path().join("seen");
    let script = dir.path().join("browser");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s' \"$1\" > '{0}.part' && mv '{0}.part' '{0}'\n",
            seen.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = against(
        &sandbox,
        &["h5-url", "alipay", "3194H5OPEN0002", "--fen", "1", "--open"],
    )
    .env("CHINAUMS_BROWSER", &script)
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    // The browser is not waited for: wait for the file it writes (no time is measured).
    let mut opened = None;
    for _ in 0..600 {
        if let Ok(url) = std::fs::read_to_string(&seen) {
            opened = Some(url);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let opened = opened.expect("the browser stand-in ran");
    assert_eq!(
        format!("{opened}\n"),
        String::from_utf8(out.stdout).unwrap()
    );
}
