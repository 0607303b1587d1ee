//! Taking payments against the sandbox's own endpoints: every kind of order on `--sandbox`
//! (the pay request or QR code the sandbox makes, read back), `DUP_ORDER` as an unknown outcome
//! whose follow-up query really answers, and a QR bill end to end on a `chinaums sandbox` child
//! process (made, paid by a wallet, queried, refunded, its code closed), with a lost refund
//! answer naming the bill query; and what the bill commands refuse.

mod common;

use std::borrow::BorrowMut;

use chinaums_sandbox::{DEMO_MID, DEMO_TID, Fault, Sandbox};
use common::{chinaums, json_error, no_panic};
use predicates::prelude::*;
use serde_json::Value;

const WX_APP: &str = "wx0123456789abcdef";
const OPEN_ID: &str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";

/// stdout of a command that must succeed, and its stderr.
fn run(mut cmd: impl BorrowMut<assert_cmd::Command>) -> (String, String) {
    let out = cmd.borrow_mut().output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    (String::from_utf8(out.stdout).unwrap(), stderr)
}

fn json(cmd: impl BorrowMut<assert_cmd::Command>) -> Value {
    serde_json::from_str(&run(cmd).0).unwrap()
}

/// The first line of a summary, its alignment spaces taken out.
fn first_line(summary: &str) -> String {
    summary
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every kind of order on `--sandbox`: the sandbox's pay request, read back in the summary
/// (first) and in `--json`.
#[test]
fn every_kind_of_order_on_the_sandbox() {
    let create = |args: &[&str]| {
        let mut cmd = chinaums();
        cmd.args(["order", "create"]).args(args).arg("--sandbox");
        cmd
    };
    let wechat = ["--sub-app-id", WX_APP, "--sub-open-id", OPEN_ID];
    for (kind, args, first) in [
        (
            "mini",
            &["mini", "--fen", "2500"][..],
            "miniPayRequest: ready: hand it to wx.requestPayment as it is",
        ),
        (
            "jsapi",
            &["jsapi", "--fen", "2500"][..],
            "miniPayRequest: ready: hand it to WeixinJSBridge's getBrandWCPayRequest as it is",
        ),
    ] {
        let (summary, stderr) = run(create(args).args(wechat));
        assert_eq!(first_line(&summary), first, "{kind}: {summary}");
        assert!(
            summary.contains("  package:   prepay_id=wx"),
            "{kind}: {summary}"
        );
        assert!(stderr.starts_with("merOrderId: 3194"), "{kind}: {stderr}");
        let answer = json(create(args).args(wechat).arg("--json"));
        assert!(
            answer["miniPayRequest"]["package"]
                .as_str()
                .unwrap()
                .starts_with("prepay_id="),
            "{answer}"
        );
        assert_eq!(answer["status"], "NEW_ORDER");
        assert_eq!(answer["totalAmount"], 2500);
        let inst_mid = if kind == "mini" {
            "MINIDEFAULT"
        } else {
            "YUEDANDEFAULT"
        };
        assert_eq!(answer["instMid"], inst_mid, "{answer}");
    }

    let (summary, _) = run(create(&[
        "mini",
        "--channel",
        "alipay",
        "--fen",
        "100",
        "--sub-open-id",
        "2088102146225135",
    ]));
    let first = first_line(&summary);
    assert!(
        first.starts_with("targetOrderId: ")
            && first.ends_with(" (ready: pass it to my.tradePay as tradeNO)"),
        "{summary}"
    );
    let answer = json(create(&[
        "mini",
        "--channel",
        "unionpay",
        "--fen",
        "100",
        "--sub-open-id",
        "u1",
        "--json",
    ]));
    assert!(answer["miniPayRequest"]["tn"].is_string(), "{answer}");

    let (summary, _) = run(create(&["app", "--fen", "3000", "--sub-app-id", WX_APP]));
    assert_eq!(
        first_line(&summary),
        "appPayRequest: ready: hand it to WeChat OpenSDK's PayReq as it is"
    );
    assert!(summary.contains("  package:   Sign=WXPay\n"), "{summary}");
    assert!(
        summary.contains(&format!("  appid:     {WX_APP}\n")),
        "{summary}"
    );
    let answer = json(create(&[
        "app",
        "--channel",
        "alipay",
        "--fen",
        "3000",
        "--json",
    ]));
    assert_eq!(
        answer["appPayRequest"]["msgType"], "trade.precreate",
        "{answer}"
    );
    assert_eq!(answer["instMid"], "APPDEFAULT");
    let answer = json(create(&[
        "app",
        "--channel",
        "unionpay",
        "--fen",
        "3000",
        "--json",
    ]));
    assert!(answer["appPayRequest"]["tn"].is_string(), "{answer}");

    let out = create(&["qr", "--amount", "36.00", "--desc", "午餐"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let summary = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<String> = summary.lines().map(first_line).collect();
    assert!(
        lines[0].starts_with("billQRCode: http://127.0.0.1:"),
        "{summary}"
    );
    assert!(lines[0].contains("/sandbox/qr/"), "{summary}");
    assert!(lines[1].starts_with("billNo: 3194") && lines[1].ends_with("(generated: keep it)"));
    assert!(lines[2].starts_with("billDate: 20"), "{summary}");
    assert!(lines.contains(&"billDesc: 午餐".to_owned()), "{summary}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("billNo: 3194"), "{stderr}");
    assert!(
        stderr.contains("note: the billQRCode points at an in-process sandbox"),
        "{stderr}"
    );
}

/// The same merOrderId twice: `DUP_ORDER`, exit 6, the payment query named with the business
/// type the command chose; that query, run as named, says the order waits for the payer.
#[test]
fn a_second_order_with_the_same_number_names_the_query_that_settles_it() {
    let sandbox = Sandbox::start_demo().unwrap();
    let settings = [
        "--env",
        &sandbox.base_url(),
        "--app-id",
        sandbox.app_id(),
        "--app-key",
        sandbox.app_key(),
        "--mid",
        DEMO_MID,
        "--tid",
        DEMO_TID,
    ]
    .map(str::to_owned);
    let create = || {
        let mut cmd = chinaums();
        cmd.args(["order", "create", "mini", "3194DUP00001", "--fen", "100"])
            .args(["--sub-app-id", WX_APP, "--sub-open-id", OPEN_ID])
            .args(&settings);
        cmd
    };
    run(&mut create());
    let (code, json) = json_error(create().arg("--json"));
    assert_eq!(
        (code, json["errCode"].as_str()),
        (6, Some("DUP_ORDER")),
        "{json}"
    );
    let command = json["followUp"]["command"].as_str().unwrap();
    assert_eq!(
        command,
        "chinaums query 3194DUP00001 --inst-mid MINIDEFAULT"
    );
    let args: Vec<&str> = command.split_whitespace().skip(1).collect();
    let (summary, _) = run(chinaums().args(&args).args(&settings));
    assert_eq!(first_line(&summary), "status: not paid (NEW_ORDER)");
}

/// A QR bill on a `chinaums sandbox` child process: made (billNo generated, billDate today),
/// paid by a WeChat wallet through the control API, queried, refunded in part with a generated
/// refundOrderId, queried again, its code read and closed.
#[cfg(unix)]
#[test]
fn a_qr_bill_end_to_end_on_a_child_sandbox() {
    let sandbox = common::ChildSandbox::start(&["--port", "0"]);
    let env = [
        ("CHINAUMS_ENV", sandbox.url.as_str()),
        ("CHINAUMS_APP_ID", chinaums_sandbox::DEFAULT_APP_ID),
        ("CHINAUMS_APP_KEY", chinaums_sandbox::DEFAULT_APP_KEY),
        ("CHINAUMS_MID", DEMO_MID),
        ("CHINAUMS_TID", DEMO_TID),
        ("CHINAUMS_MSG_SRC_ID", "3194"),
    ];
    let cmd = |args: &[&str]| {
        let mut cmd = chinaums();
        cmd.args(args).envs(env);
        cmd
    };
    let bill = json(&mut cmd(&[
        "order", "create", "qr", "--fen", "3600", "--json",
    ]));
    let bill_no = bill["billNo"].as_str().unwrap().to_owned();
    let date = bill["billDate"].as_str().unwrap().to_owned();
    let code = bill["qrCodeId"].as_str().unwrap().to_owned();
    assert!(bill_no.starts_with("3194"), "{bill}");
    assert!(
        bill["billQRCode"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}/sandbox/qr/", sandbox.url)),
        "{bill}"
    );
    // The code, opened in a browser, leads to the bill's cashier.
    let head = common::browser_get(bill["billQRCode"].as_str().unwrap());
    assert!(head.starts_with("HTTP/1.1 302"), "{head}");

    let query = [
        "bill",
        "query",
        bill_no.as_str(),
        "--bill-date",
        date.as_str(),
    ];
    let (summary, _) = run(&mut cmd(&query));
    assert_eq!(
        first_line(&summary),
        "billStatus: in progress: not paid (yet), ask again (UNPAID)"
    );
    let (summary, _) = run(&mut cmd(&[
        "sandbox", "pay", &bill_no, "--wallet", "wechat",
    ]));
    assert_eq!(first_line(&summary), "status: paid (TRADE_SUCCESS)");
    let (summary, _) = run(&mut cmd(&query));
    assert_eq!(first_line(&summary), "billStatus: paid (PAID)");
    assert!(summary.contains("billPayment:\n"), "{summary}");
    assert!(summary.contains("  targetSys:"), "{summary}");
    assert!(summary.contains("WXPay"), "{summary}");

    let (summary, stderr) = run(&mut cmd(&[
        "bill",
        "refund",
        &bill_no,
        "--bill-date",
        &date,
        "--amount",
        "10.00",
        "--desc",
        "少一道菜",
    ]));
    let lines: Vec<String> = summary.lines().map(first_line).collect();
    assert_eq!(lines[0], "refundStatus: refunded (SUCCESS)", "{summary}");
    let refund_id = lines[1].strip_prefix("refundOrderId: ").unwrap().to_owned();
    assert!(refund_id.starts_with("3194"), "{refund_id}");
    assert!(
        stderr.contains(&format!("refundOrderId: {refund_id} (generated")),
        "{stderr}"
    );
    assert!(
        lines.contains(&"refundAmount: 10.00 yuan (1000 fen)".to_owned()),
        "{summary}"
    );
    let (summary, _) = run(&mut cmd(&query));
    assert_eq!(
        first_line(&summary),
        "billStatus: paid, then refunded (REFUND)"
    );
    // The same refund again is the same refund.
    let again = json(&mut cmd(&[
        "bill",
        "refund",
        &bill_no,
        "--bill-date",
        &date,
        "--fen",
        "1000",
        "--refund-order-id",
        &refund_id,
        "--json",
    ]));
    assert_eq!(again["refundOrderId"], refund_id.as_str(), "{again}");
    assert_eq!(again["refundStatus"], "SUCCESS", "{again}");

    let (summary, _) = run(&mut cmd(&["bill", "info", &code]));
    assert!(summary.contains(&bill_no), "{summary}");
    let (summary, _) = run(&mut cmd(&["bill", "close", &code]));
    assert!(first_line(&summary).starts_with("closed: yes"), "{summary}");
    assert!(summary.contains(&code), "{summary}");
    // Closing again does no harm.
    run(&mut cmd(&["bill", "close", &code]));
    #[cfg(unix)]
    assert_eq!(sandbox.interrupt().code(), Some(0));
}

/// A bill refund whose answer is lost: exit 6, the bill query with the refund's ids; a bill
/// made twice: exit 6, the bill query.
#[test]
fn lost_bill_answers_name_the_bill_query() {
    let sandbox = Sandbox::start_demo().unwrap();
    let settings = [
        "--env",
        &sandbox.base_url(),
        "--app-id",
        sandbox.app_id(),
        "--app-key",
        sandbox.app_key(),
        "--mid",
        DEMO_MID,
        "--tid",
        DEMO_TID,
    ]
    .map(str::to_owned);
    let cmd = |args: &[&str]| {
        let mut cmd = chinaums();
        cmd.args(args).args(&settings);
        cmd
    };
    let bill = ["order", "create", "qr", "--bill-no", "3194LOSTBILL01"];
    let bill = [&bill[..], &["--bill-date", "2024-01-01", "--fen", "500"]].concat();
    run(&mut cmd(&bill));
    sandbox.pay("3194LOSTBILL01").unwrap();
    sandbox.inject_fault(Fault::DropConnection);
    let refund = [
        "bill",
        "refund",
        "3194LOSTBILL01",
        "--bill-date",
        "2024-01-01",
        "--fen",
        "100",
        "--refund-order-id",
        "3194LOSTREF01",
    ];
    let (code, json) = json_error(cmd(&refund).arg("--json"));
    assert_eq!(
        (code, json["class"].as_str()),
        (6, Some("outcome_unknown")),
        "{json}"
    );
    let command = "chinaums bill query 3194LOSTBILL01 --bill-date 2024-01-01 --inst-mid \
                   QRPAYDEFAULT --refund-order-id 3194LOSTREF01";
    assert_eq!(json["followUp"]["operation"], "BillsQuery");
    assert_eq!(json["followUp"]["billNo"], "3194LOSTBILL01");
    assert_eq!(json["followUp"]["billDate"], "2024-01-01");
    assert_eq!(json["followUp"]["refundOrderId"], "3194LOSTREF01");
    assert_eq!(json["followUp"]["command"], command);
    assert!(
        json["hint"]
            .as_str()
            .unwrap()
            .contains("never send a new refund"),
        "{json}"
    );
    // The query it names answers: the refund went through before the answer was lost.
    let args: Vec<&str> = command.split_whitespace().skip(1).collect();
    let (summary, _) = run(&mut cmd(&args));
    assert_eq!(
        first_line(&summary),
        "billStatus: paid, then refunded (REFUND)"
    );

    let (code, json) = json_error(cmd(&bill).arg("--json"));
    assert_eq!(
        (code, json["errCode"].as_str()),
        (6, Some("DUP_ORDER")),
        "{json}"
    );
    assert_eq!(
        json["followUp"]["command"],
        "chinaums bill query 3194LOSTBILL01 --bill-date 2024-01-01 --inst-mid QRPAYDEFAULT"
    );
}

/// What the bill commands refuse before sending anything: exit 2 naming the flag.
#[test]
fn bad_bill_input_is_a_usage_error_naming_the_flag() {
    let sandbox = Sandbox::start_demo().unwrap();
    let settings = [
        "--env",
        &sandbox.base_url(),
        "--app-id",
        sandbox.app_id(),
        "--app-key",
        sandbox.app_key(),
        "--mid",
        DEMO_MID,
        "--tid",
        DEMO_TID,
    ]
    .map(str::to_owned);
    let cases: [(&[&str], &str); 12] = [
        (&["bill", "query", "3194BILL0001"], "--bill-date"),
        (
            &["bill", "query", "3194BILL0001", "--bill-date", "2024-13-01"],
            "--bill-date",
        ),
        (
            &["bill", "query", "X1", "--bill-date", "2024-01-01"],
            "<billNo>",
        ),
        (
            &[
                "bill",
                "query",
                "3194BILL0001",
                "--bill-date",
                "2024-01-01",
                "--refund-order-id",
                "R",
            ],
            "--refund-order-id",
        ),
        (
            &[
                "bill",
                "refund",
                "3194BILL0001",
                "--bill-date",
                "2024-01-01",
            ],
            "--amount",
        ),
        (
            &[
                "bill",
                "refund",
                "3194BILL0001",
                "--bill-date",
                "2024-01-01",
                "--fen",
                "0",
            ],
            "--fen",
        ),
        (
            &[
                "bill",
                "refund",
                "3194BILL0001",
                "--bill-date",
                "2024-01-01",
                "--fen",
                "1",
                "--msg-src-id",
                "3",
            ],
            "--msg-src-id",
        ),
        (&["bill", "close"], "<qrCodeId>"),
        (&["order", "create", "qr", "--fen", "1"], "--msg-src-id"),
        (
            &["order", "create", "qr", "--fen", "1", "--bill-no", "X"],
            "--bill-no",
        ),
        (
            &[
                "order",
                "create",
                "qr",
                "--fen",
                "1",
                "--bill-no",
                "3194B0001",
                "--bill-date",
                "1/1/2024",
            ],
            "--bill-date",
        ),
        (
            &[
                "order",
                "create",
                "app",
                "--fen",
                "1",
                "--channel",
                "alipay",
                "--sub-app-id",
                "x",
                "3194A0001",
            ],
            "--sub-app-id",
        ),
    ];
    for (args, flag) in cases {
        chinaums()
            .args(args)
            .args(&settings)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(flag))
            .stderr(no_panic());
        let (code, json) = json_error(chinaums().args(args).args(&settings).arg("--json"));
        assert_eq!(
            (code, json["class"].as_str()),
            (2, Some("usage")),
            "{args:?}"
        );
        let text = format!("{} {}", json["message"], json["hint"]);
        assert!(text.contains(flag), "{args:?}: {json}");
    }
    assert_eq!(sandbox.request_count(), 0, "nothing was sent");
}
