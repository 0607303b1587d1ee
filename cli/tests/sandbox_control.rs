//! `chinaums sandbox pay|fail|expire`: against a running sandbox's control API (the order's
//! new state in the sandbox's order book, the summary and `--json`, each refusal's exit code);
//! against a stand-in server that answers once with given bytes (the request sent, chunked
//! answers, lost and broken answers); and what it refuses before calling (a sandbox not on
//! this machine, a bad order number).

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread::JoinHandle;

use chinaums::TradeStatus;
use chinaums_sandbox::{DEMO_MID, DEMO_PAID_ORDER, DEMO_UNPAID_ORDER, Sandbox};
use common::{chinaums, json_error, no_panic};
use predicates::prelude::*;
use serde_json::{Value, json};

/// A summary's line as `name: value`, the alignment spaces taken out.
fn rows(summary: &str) -> Vec<String> {
    summary
        .lines()
        .map(|line| match line.split_once(':') {
            Some((name, value)) => format!("{name}: {}", value.trim_start()),
            None => line.to_owned(),
        })
        .collect()
}

fn status_of(sandbox: &Sandbox, id: &str) -> TradeStatus {
    sandbox.order(DEMO_MID, id).expect("the order").status
}

#[test]
fn pay_fail_and_expire_change_the_order_on_a_running_sandbox() {
    let sandbox = Sandbox::start_demo().unwrap();
    let env = sandbox.base_url();
    // fail: the order stays unpaid.
    let out = chinaums()
        .args(["sandbox", "fail", DEMO_UNPAID_ORDER, "--env", &env])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let summary = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        rows(&summary)[0],
        "status: not paid (WAIT_BUYER_PAY)",
        "{summary}"
    );
    assert_eq!(
        status_of(&sandbox, DEMO_UNPAID_ORDER),
        TradeStatus::WaitBuyerPay
    );

    // pay: paid, the new state first, then the order's fields.
    let out = chinaums()
        .args([
            "sandbox",
            "pay",
            DEMO_UNPAID_ORDER,
            "--env",
            &env,
            "--mid",
            DEMO_MID,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let summary = String::from_utf8(out.stdout).unwrap();
    let rows = rows(&summary);
    assert_eq!(rows[0], "status: paid (TRADE_SUCCESS)", "{summary}");
    for row in [
        format!("merOrderId: {DEMO_UNPAID_ORDER}"),
        format!("mid: {DEMO_MID}"),
        "totalAmount: 25.00 yuan (2500 fen)".to_owned(),
    ] {
        assert!(rows.contains(&row), "{row}: {summary}");
    }
    assert!(
        rows.iter().any(|r| r.starts_with("payTime: 20")),
        "{summary}"
    );
    assert_eq!(
        status_of(&sandbox, DEMO_UNPAID_ORDER),
        TradeStatus::TradeSuccess
    );
    // The payment query, through the SDK, says paid too.
    chinaums()
        .args([
            "query",
            DEMO_UNPAID_ORDER,
            "--env",
            &env,
            "--app-id",
            sandbox.app_id(),
        ])
        .args([
            "--app-key",
            sandbox.app_key(),
            "--mid",
            DEMO_MID,
            "--tid",
            "88880001",
        ])
        .args(["--inst-mid", "YUEDANDEFAULT"])
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("status:"))
        .stdout(predicate::str::contains("paid (TRADE_SUCCESS)"));

    // pay again: refused (exit 3), in text and JSON.
    let again = ["sandbox", "pay", DEMO_UNPAID_ORDER, "--env", &env];
    chinaums()
        .args(again)
        .assert()
        .code(3)
        .stdout("")
        .stderr(predicate::str::contains("ALREADY_PAID"))
        .stderr(predicate::str::contains(format!(
            "chinaums query {DEMO_UNPAID_ORDER}"
        )));
    let (code, json) = json_error(chinaums().args(again).arg("--json"));
    assert_eq!(
        (code, json["class"].as_str()),
        (3, Some("rejected")),
        "{json}"
    );
    assert_eq!(json["errCode"], "ALREADY_PAID");
    assert_eq!(json["httpStatus"], 409);

    // expire: a paid order cannot expire; an unknown one is not found (exit 3).
    chinaums()
        .args(["sandbox", "expire", DEMO_PAID_ORDER, "--env", &env])
        .assert()
        .code(3);
    let (code, json) = json_error(chinaums().args([
        "sandbox",
        "expire",
        "3194NOSUCHORDER",
        "--env",
        &env,
        "--json",
    ]));
    assert_eq!(
        (code, json["class"].as_str()),
        (3, Some("not_found")),
        "{json}"
    );
    assert_eq!(json["errCode"], "NO_ORDER");
    assert!(
        json["hint"]
            .as_str()
            .unwrap()
            .contains("forgets its orders"),
        "{json}"
    );
}

#[test]
fn expire_then_pay_and_json() {
    let sandbox = Sandbox::start_demo().unwrap();
    let env = sandbox.base_url();
    let out = chinaums()
        .args(["sandbox", "expire", "--json", DEMO_UNPAID_ORDER])
        .env("CHINAUMS_ENV", &env)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["status"], "TRADE_CLOSED", "{json}");
    assert_eq!(json["merOrderId"], DEMO_UNPAID_ORDER);
    assert_eq!(json["totalAmount"], 2500);
    assert_eq!(
        status_of(&sandbox, DEMO_UNPAID_ORDER),
        TradeStatus::TradeClosed
    );
    chinaums()
        .args(["sandbox", "pay", DEMO_UNPAID_ORDER])
        .env("CHINAUMS_ENV", &env)
        .assert()
        .code(3)
        .stderr(predicate::str::contains("ORDER_CLOSED"));
    // Another merchant's order of that number: none.
    chinaums()
        .args([
            "sandbox",
            "pay",
            DEMO_UNPAID_ORDER,
            "--mid",
            "898201612345679",
        ])
        .env("CHINAUMS_ENV", &env)
        .assert()
        .code(3)
        .stderr(predicate::str::contains("NO_ORDER"));
}

/// A server that answers the first connection with `answer` (nothing: the connection is
/// dropped) and hands back the request it read.
fn stand_in(answer: Vec<u8>) -> (String, JoinHandle<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = Vec::new();
        let mut buffer = [0u8; 1024];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => request.extend_from_slice(&buffer[..n]),
            }
        }
        let _ = stream.write_all(&answer);
        request
    });
    (base, handle)
}

fn http(status: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn paid(id: &str) -> String {
    json!({"errCode":"SUCCESS","errInfo":"paid","mid":DEMO_MID,"merOrderId":id,
           "status":"TRADE_SUCCESS","totalAmount":2500,"targetSys":"WXPay",
           "targetOrderId":"4200000001","payTime":"2024-01-01 12:00:05"})
    .to_string()
}

/// The request: `POST` to the order's path with `?mid=` and `?wallet=`, no body, no
/// credentials; a chunked answer is read whole.
#[test]
fn the_request_sent_and_a_chunked_answer() {
    let body = paid("3194CTRL0001");
    let chunked = format!(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
        body.len()
    );
    let (base, request) = stand_in(chunked.into_bytes());
    let out = chinaums()
        .args(["sandbox", "pay", "3194CTRL0001", "--env", &base])
        .args(["--mid", DEMO_MID, "--wallet", "wechat"])
        .env("CHINAUMS_APP_KEY", "never-sent-key")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let summary = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        rows(&summary)[0],
        "status: paid (TRADE_SUCCESS)",
        "{summary}"
    );
    assert!(summary.contains("targetSys:"), "{summary}");
    let request = String::from_utf8(request.join().unwrap()).unwrap();
    let host = base.strip_prefix("http://").unwrap();
    let mut lines = request.split("\r\n");
    assert_eq!(
        lines.next(),
        Some(
            format!("POST /sandbox/orders/3194CTRL0001/pay?mid={DEMO_MID}&wallet=wechat HTTP/1.1")
                .as_str()
        ),
        "{request}"
    );
    let headers: Vec<String> = lines
        .take_while(|l| !l.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    assert!(headers.contains(&format!("host: {host}")), "{request}");
    // No body: an empty POST says so, by a zero length or by no length at all.
    assert!(
        headers
            .iter()
            .all(|h| !h.starts_with("content-length:") || h == "content-length: 0"),
        "{request}"
    );
    assert!(
        !headers.iter().any(|h| h.starts_with("transfer-encoding:")),
        "{request}"
    );
    assert!(
        !request.to_ascii_lowercase().contains("authorization"),
        "{request}"
    );
    assert!(!request.contains("never-sent-key"), "{request}");
}

/// Each failure: its exit code and class, in text and in `--json`.
#[test]
fn refusals_and_failures_have_their_exit_codes() {
    let not_found = r#"{"errCode":"NOT_FOUND","errInfo":"no such service"}"#;
    let conflict = r#"{"errCode":"AMBIGUOUS_ORDER","errInfo":"several merchants"}"#;
    let cut = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"errCode\"".to_vec();
    let cases: Vec<(&str, Vec<u8>, i32, &str, &str)> = vec![
        (
            "an older sandbox",
            http("404 Not Found", not_found),
            4,
            "config",
            "with the control API",
        ),
        (
            "several merchants",
            http("409 Conflict", conflict),
            3,
            "caller",
            "--mid",
        ),
        (
            "HTTP 500",
            http("500 Internal Server Error", "oops"),
            6,
            "outcome_unknown",
            "chinaums query 3194CTRL0003",
        ),
        (
            "garbage",
            http("200 OK", "<html>"),
            6,
            "outcome_unknown",
            "chinaums query 3194CTRL0003",
        ),
        (
            "dropped",
            Vec::new(),
            6,
            "outcome_unknown",
            "the order may or may not have changed",
        ),
        (
            "cut",
            cut,
            6,
            "outcome_unknown",
            "chinaums query 3194CTRL0003",
        ),
        (
            "not HTTP",
            b"SSH-2.0-x\r\n".to_vec(),
            6,
            "outcome_unknown",
            "chinaums query",
        ),
    ];
    for (what, answer, code, class, hint) in &cases {
        let (base, _) = stand_in(answer.clone());
        chinaums()
            .args(["sandbox", "pay", "3194CTRL0003", "--env", &base])
            .assert()
            .code(*code)
            .stdout("")
            .stderr(predicate::str::contains(*hint))
            .stderr(no_panic());
        let (base, _) = stand_in(answer.clone());
        let (exit, json) = json_error(chinaums().args([
            "sandbox",
            "pay",
            "3194CTRL0003",
            "--json",
            "--env",
            &base,
        ]));
        assert_eq!(
            (exit, json["class"].as_str()),
            (*code, Some(*class)),
            "{what}: {json}"
        );
    }
}

#[test]
fn a_sandbox_that_is_not_running_is_exit_5() {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    chinaums()
        .args(["sandbox", "pay", "3194CTRL0004", "--env"])
        .arg(format!("http://127.0.0.1:{port}"))
        .assert()
        .code(5)
        .stderr(predicate::str::contains("cannot reach the sandbox"))
        .stderr(predicate::str::contains("nothing was sent"));
}

/// Only a sandbox on this machine is called; the order number follows the platform's rule;
/// `--env` is required: exit 2, naming what to fix, nothing sent.
#[test]
fn only_a_local_sandbox_is_called() {
    let sandbox = Sandbox::start_demo().unwrap();
    for (env, expected) in [
        ("production", "the platform's production gateway"),
        ("test", "the platform's test gateway"),
        ("https://api-mop.chinaums.com", "not on this machine"),
        ("http://192.168.1.10:8080", "not on this machine"),
        ("https://127.0.0.1:8080", "not http://"),
        ("staging", "invalid --env"),
        ("http://user:SECRET@127.0.0.1:8080", "***@"),
    ] {
        let out = chinaums()
            .args(["sandbox", "pay", "3194CTRL0005", "--env", env])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{env}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{env}: {stderr}");
        assert!(!stderr.contains("SECRET"), "{stderr}");
        assert!(out.stdout.is_empty());
        let (code, json) =
            json_error(chinaums().args(["sandbox", "pay", "3194CTRL0005", "--json", "--env", env]));
        assert_eq!((code, json["class"].as_str()), (2, Some("usage")), "{env}");
    }
    chinaums()
        .args(["sandbox", "expire", "3194CTRL0005"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing --env (or CHINAUMS_ENV)"));
    for (args, expected) in [
        (&["sandbox", "pay", "X1"][..], "<merOrderId>"),
        (&["sandbox", "pay", "3194 CTRL"][..], "<merOrderId>"),
        (
            &["sandbox", "pay", "3194CTRL0005", "--mid", "123"][..],
            "--mid",
        ),
        (
            &["sandbox", "pay", "3194CTRL0005", "--wallet", "paypal"][..],
            "--wallet",
        ),
        (
            &["sandbox", "fail", "3194CTRL0005", "--wallet", "wechat"][..],
            "--wallet",
        ),
        (
            &["sandbox", "pay", "3194CTRL0005", "--timeout", "0s"][..],
            "--timeout",
        ),
    ] {
        chinaums()
            .args(args)
            .args(["--env", &sandbox.base_url()])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(expected))
            .stderr(no_panic());
    }
    // --sandbox is an API command's: refused before `sandbox pay` too.
    chinaums()
        .args([
            "--sandbox",
            "sandbox",
            "pay",
            "3194CTRL0005",
            "--env",
            &sandbox.base_url(),
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--sandbox applies to"));
    assert_eq!(sandbox.request_count(), 0, "nothing was sent");
}

/// `chinaums sandbox` with server flags and a subcommand at once is a usage error; `serve`
/// takes the same flags.
#[test]
fn the_server_flags_and_the_subcommands() {
    chinaums()
        .args(["sandbox", "--port", "0", "pay", "3194CTRL0006"])
        .assert()
        .code(2)
        .stderr(no_panic());
    chinaums()
        .args(["sandbox", "serve", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--port <PORT>"));
    chinaums()
        .args(["sandbox", "pay", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--wallet"))
        .stdout(predicate::str::contains("--env"))
        .stdout(predicate::str::contains("--port <").not());
}
