//! The after-sale commands (`refund`, `refund-query`, `close`, `secure complete|cancel`,
//! `split confirm`): what they refuse before sending anything, what an unknown outcome says
//! (the follow-up query, in text and in `--json`), and their help.

mod common;

use chinaums_sandbox::{DEMO_INST_MID, DEMO_MID, DEMO_PAID_ORDER, DEMO_TID, Fault, Sandbox};
use common::{chinaums, json_error, no_panic};
use predicates::prelude::*;
use serde_json::Value;

/// `args` aimed at `sandbox` through flags (credentials and the demo merchant).
fn against(sandbox: &Sandbox, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = chinaums();
    cmd.args(args)
        .args(["--env", &sandbox.base_url(), "--app-id", sandbox.app_id()])
        .args(["--app-key", sandbox.app_key(), "--mid", DEMO_MID])
        .args(["--tid", DEMO_TID, "--inst-mid", DEMO_INST_MID]);
    cmd
}

/// The JSON body of the last request the sandbox received.
fn last_body(sandbox: &Sandbox) -> Value {
    let request = sandbox.last_request().expect("a request");
    serde_json::from_slice(request.body()).unwrap()
}

/// Bad amounts are usage errors naming the flag, before anything is sent: the sandbox sees no
/// request at all.
#[test]
fn bad_amounts_are_usage_errors_naming_the_flag() {
    let sandbox = Sandbox::start_demo().unwrap();
    let cases: [(&[&str], &str); 12] = [
        (&["refund", DEMO_PAID_ORDER, "--amount", "0"], "--amount"),
        (&["refund", DEMO_PAID_ORDER, "--amount", "0.00"], "--amount"),
        (
            &["refund", DEMO_PAID_ORDER, "--amount", "1.234"],
            "--amount",
        ),
        (&["refund", DEMO_PAID_ORDER, "--amount", "1,5"], "--amount"),
        (&["refund", DEMO_PAID_ORDER, "--amount", "abc"], "--amount"),
        (&["refund", DEMO_PAID_ORDER, "--fen", "0"], "--fen"),
        (&["refund", DEMO_PAID_ORDER, "--fen", "1.5"], "--fen"),
        (
            &["refund", DEMO_PAID_ORDER, "--fen", "1", "--amount", "1"],
            "--fen",
        ),
        (&["refund", DEMO_PAID_ORDER], "--amount"),
        (
            &["secure", "complete", DEMO_PAID_ORDER, "--amount", "0"],
            "--amount",
        ),
        (
            &["secure", "complete", DEMO_PAID_ORDER, "--fen", "x"],
            "--fen",
        ),
        (&["secure", "complete", DEMO_PAID_ORDER], "--amount"),
    ];
    for (args, flag) in cases {
        against(&sandbox, args)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(flag))
            .stderr(no_panic());
        let (code, json) = json_error(against(&sandbox, args).arg("--json"));
        assert_eq!(
            (code, json["class"].as_str()),
            (2, Some("usage")),
            "{args:?}"
        );
        assert!(
            json["message"].as_str().unwrap().contains(flag),
            "{args:?}: {json}"
        );
        assert_eq!(json["followUp"], Value::Null);
    }
    assert_eq!(sandbox.request_count(), 0);
}

#[test]
fn bad_ids_are_usage_errors_naming_the_flag() {
    let sandbox = Sandbox::start_demo().unwrap();
    // A refundOrderId the core refuses (too short), a msgSrcId that is not 4 characters, an
    // order number the core refuses.
    for (args, flag) in [
        (
            &[
                "refund",
                DEMO_PAID_ORDER,
                "--fen",
                "1",
                "--refund-order-id",
                "R1",
            ][..],
            "--refund-order-id",
        ),
        (
            &[
                "refund",
                DEMO_PAID_ORDER,
                "--fen",
                "1",
                "--msg-src-id",
                "31",
            ][..],
            "--msg-src-id",
        ),
        (
            &["refund-query", DEMO_PAID_ORDER, "--refund-order-id", "R1"][..],
            "--refund-order-id",
        ),
        (&["close", "X"][..], "<merOrderId>"),
        (
            &[
                "refund",
                DEMO_PAID_ORDER,
                "--fen",
                "1",
                "--desc",
                "two\nlines",
            ][..],
            "--desc",
        ),
        (
            &[
                "refund",
                DEMO_PAID_ORDER,
                "--fen",
                "1",
                "--desc",
                &"x".repeat(256),
            ][..],
            "--desc",
        ),
    ] {
        let (code, json) = json_error(against(&sandbox, args).arg("--json"));
        assert_eq!(
            (code, json["class"].as_str()),
            (2, Some("usage")),
            "{args:?}"
        );
        assert!(
            json["hint"].as_str().unwrap().contains(flag),
            "{args:?}: {json}"
        );
    }
    assert_eq!(sandbox.request_count(), 0);
}

/// The refundOrderId is generated from `--msg-src-id`, `CHINAUMS_MSG_SRC_ID`, or the order
/// number's first 4 characters: the request sent carries it.
#[test]
fn a_generated_refund_order_id_starts_with_the_msg_src_id() {
    let sandbox = Sandbox::start_demo().unwrap();
    let refund = ["refund", DEMO_PAID_ORDER, "--fen", "1"];
    for (extra, var, prefix) in [
        (&[][..], None, "3194"),
        (&["--msg-src-id", "4200"][..], None, "4200"),
        (&[][..], Some("5300"), "5300"),
        (&["--msg-src-id", "4200"][..], Some("5300"), "4200"),
    ] {
        // The request is dropped unanswered, so this holds whatever the sandbox would answer.
        sandbox.inject_fault(Fault::DropConnection);
        let mut cmd = against(&sandbox, &refund);
        cmd.args(extra);
        if let Some(var) = var {
            cmd.env("CHINAUMS_MSG_SRC_ID", var);
        }
        cmd.assert().code(6);
        let body = last_body(&sandbox);
        let id = body["refundOrderId"].as_str().unwrap();
        // msgSrcId, yyyyMMddHHmmssSSS, 7 digits.
        assert_eq!(id.len(), 4 + 17 + 7, "{id}");
        assert!(id.starts_with(prefix), "{id} for {extra:?} {var:?}");
        assert!(id[4..].bytes().all(|b| b.is_ascii_digit()), "{id}");
        assert_eq!(body["refundAmount"], 1);
    }
}

/// A refund whose answer is lost: exit 6, and the error names the refund query with the ids
/// the refund was sent with, in text and in `--json` (errCode, httpStatus and delivery from
/// the cause).
#[test]
fn a_lost_refund_answer_names_the_refund_query() {
    let sandbox = Sandbox::start_demo().unwrap();
    sandbox.inject_fault(Fault::DropConnection);
    let args = [
        "refund",
        DEMO_PAID_ORDER,
        "--amount",
        "0.30",
        "--refund-order-id",
        "3194CLIREFUND0001",
        "--desc",
        "damaged",
    ];
    against(&sandbox, &args)
        .assert()
        .code(6)
        .stdout("")
        .stderr(predicate::str::contains("never send a new refund"))
        .stderr(predicate::str::contains(format!(
            "chinaums refund-query {DEMO_PAID_ORDER} --refund-order-id 3194CLIREFUND0001"
        )))
        .stderr(no_panic());
    let body = last_body(&sandbox);
    assert_eq!(
        (
            &body["merOrderId"],
            &body["refundOrderId"],
            &body["refundAmount"],
            &body["refundDesc"]
        ),
        (
            &Value::from(DEMO_PAID_ORDER),
            &Value::from("3194CLIREFUND0001"),
            &Value::from(30),
            &Value::from("damaged")
        )
    );

    sandbox.inject_fault(Fault::DropConnection);
    let (code, json) = json_error(against(&sandbox, &args).arg("--json"));
    assert_eq!((code, json["class"].as_str()), (6, Some("outcome_unknown")));
    assert_eq!(json["delivery"], "maybe_sent");
    assert_eq!(
        (&json["errCode"], &json["httpStatus"]),
        (&Value::Null, &Value::Null)
    );
    assert_eq!(
        json["followUp"],
        serde_json::json!({
            "operation": "RefundQuery",
            "merOrderId": DEMO_PAID_ORDER,
            "refundOrderId": "3194CLIREFUND0001",
            "command": format!(
                "chinaums refund-query {DEMO_PAID_ORDER} --refund-order-id 3194CLIREFUND0001"
            ),
        })
    );
    assert!(
        json["hint"]
            .as_str()
            .unwrap()
            .ends_with("--refund-order-id 3194CLIREFUND0001"),
        "{json}"
    );

    // A generated id is the one named: the follow-up and the request agree.
    sandbox.inject_fault(Fault::InternalServerError);
    let (code, json) = json_error(&mut against(
        &sandbox,
        &["refund", DEMO_PAID_ORDER, "--fen", "5", "--json"],
    ));
    assert_eq!(code, 6);
    assert_eq!(json["httpStatus"], 500);
    assert_eq!(json["delivery"], Value::Null);
    assert_eq!(
        json["followUp"]["refundOrderId"],
        last_body(&sandbox)["refundOrderId"]
    );
}

/// The operations that settle with the payment query name it when their answer is lost.
#[test]
fn lost_answers_of_close_secure_and_split_name_the_payment_query() {
    let sandbox = Sandbox::start_demo().unwrap();
    let order = "3194CLIORDER0001";
    for args in [
        &["close", order][..],
        &["secure", "complete", order, "--fen", "80"][..],
        &["secure", "cancel", order][..],
        &[
            "split",
            "confirm",
            order,
            "--order-fen",
            "100",
            "--platform-fen",
            "10",
            "--sub-fen",
            "898201612345679=90",
        ][..],
    ] {
        sandbox.inject_fault(Fault::Garbage);
        let (code, json) = json_error(against(&sandbox, args).arg("--json"));
        assert_eq!(
            (code, json["class"].as_str()),
            (6, Some("outcome_unknown")),
            "{args:?}"
        );
        assert_eq!(json["httpStatus"], 200, "{args:?}");
        assert_eq!(
            json["followUp"],
            serde_json::json!({
                "operation": "PaymentQuery",
                "merOrderId": order,
                "command": format!("chinaums query {order}"),
            }),
            "{args:?}"
        );
        sandbox.inject_fault(Fault::Garbage);
        against(&sandbox, args)
            .assert()
            .code(6)
            .stderr(predicate::str::contains(format!(
                "ask the payment query before doing anything else (same settings): \
                 chinaums query {order}"
            )));
    }
}

/// Shares that do not add up, a malformed share, a sub-merchant named twice: exit 2, nothing
/// sent.
#[test]
fn split_shares_are_checked_before_anything_is_sent() {
    let sandbox = Sandbox::start_demo().unwrap();
    let confirm = ["split", "confirm", "3194CLIORDER0001"];
    let sub = "898201612345679";
    let cases: [(&[&str], &str); 7] = [
        (
            &[
                "--order-amount",
                "1.00",
                "--platform-amount",
                "0.10",
                "--sub",
                "898201612345679=0.80",
            ],
            "must add up",
        ),
        (
            &[
                "--order-fen",
                "100",
                "--platform-fen",
                "0",
                "--sub-fen",
                "898201612345679=99",
            ],
            "must add up",
        ),
        (
            &[
                "--order-fen",
                "100",
                "--platform-fen",
                "10",
                "--sub",
                "898201612345679",
            ],
            "--sub",
        ),
        (
            &[
                "--order-fen",
                "100",
                "--platform-fen",
                "10",
                "--sub",
                "12345=0.90",
            ],
            "merchant number",
        ),
        (&["--order-fen", "100", "--platform-fen", "10"], "--sub"),
        (
            &[
                "--order-fen",
                "100",
                "--platform-amount",
                "0.10",
                "--sub-fen",
                "898201612345679=40",
                "--sub",
                "898201612345679=0.50",
            ],
            "named twice",
        ),
        (
            &["--platform-fen", "10", "--sub-fen", "898201612345679=90"],
            "--order-amount",
        ),
    ];
    for (args, says) in cases {
        let (code, json) = json_error(against(&sandbox, &confirm).args(args).arg("--json"));
        assert_eq!(
            (code, json["class"].as_str()),
            (2, Some("usage")),
            "{args:?}"
        );
        let text = format!("{} {}", json["message"], json["hint"]);
        assert!(text.contains(says), "{args:?}: {json}");
    }
    // The sum's error names the flags to fix.
    against(&sandbox, &confirm)
        .args(["--order-fen", "100", "--platform-fen", "10"])
        .args(["--sub-fen", &format!("{sub}=80")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("got 90 fen"))
        .stderr(predicate::str::contains("--platform-amount"));
    assert_eq!(sandbox.request_count(), 0);
}

#[test]
fn after_sale_help_lists_the_shared_and_own_options() {
    let option = |flag: &str| predicate::str::is_match(format!(r"(?m)^\s+{flag}\b")).unwrap();
    let shared = [
        "--sandbox",
        "--auth",
        "--json",
        "--env",
        "--timeout",
        "--app-id",
        "--app-key",
        "--mid",
        "--tid",
        "--inst-mid",
    ];
    let cases: [(&[&str], &[&str]); 6] = [
        (
            &["refund"],
            &[
                "--amount",
                "--fen",
                "--refund-order-id",
                "--msg-src-id",
                "--desc",
            ],
        ),
        (&["refund-query"], &["--refund-order-id"]),
        (&["close"], &[]),
        (&["secure", "complete"], &["--amount", "--fen"]),
        (&["secure", "cancel"], &[]),
        (
            &["split", "confirm"],
            &[
                "--order-amount",
                "--order-fen",
                "--platform-amount",
                "--platform-fen",
                "--sub",
                "--sub-fen",
            ],
        ),
    ];
    let all_own = [
        "--amount",
        "--fen",
        "--refund-order-id",
        "--msg-src-id",
        "--desc",
        "--order-amount",
        "--sub",
        "--msg-id",
        "--body-file",
        "--port",
    ];
    for (command, own) in cases {
        let out = chinaums().args(command).arg("--help").output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{command:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        for flag in shared.iter().chain(own) {
            assert!(
                option(flag).eval(&text),
                "{command:?}: {flag} missing:\n{text}"
            );
        }
        for flag in all_own.iter().filter(|f| !own.contains(f)) {
            assert!(
                !option(flag).eval(&text),
                "{command:?}: {flag} listed:\n{text}"
            );
        }
        assert!(text.contains("Exit codes:"), "{command:?}");
    }
    // Why reusing a refundOrderId is safe.
    let out = chinaums().args(["refund", "--help"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("returns the existing refund instead of refunding twice"),
        "{text}"
    );
    // `secure` and `split` without their subcommand: a usage error listing them.
    for (group, sub) in [("secure", "complete"), ("split", "confirm")] {
        chinaums()
            .arg(group)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(sub));
    }
}

/// `--sandbox` and `--auth` before the command reach nested commands too; `sign` refuses them
/// naming every API command.
#[test]
fn sandbox_before_a_nested_command_and_refused_by_sign() {
    let sandbox = Sandbox::start_demo().unwrap();
    let cancel = ["secure", "cancel", "3194CLIORDER0001", "--json"];
    // Without --sandbox the command goes to the gateway named by --env ...
    sandbox.inject_fault(Fault::DropConnection);
    against(&sandbox, &cancel).assert().code(6);
    assert_eq!(sandbox.request_count(), 1);
    // ... with --sandbox before the nested command (and --auth), to an in-process sandbox:
    // the gateway named by --env sees nothing.
    let out = against(&sandbox, &cancel)
        .args(["--auth", "token"])
        .args(["--sandbox"])
        .output()
        .unwrap();
    let mut before = chinaums();
    before.args(["--sandbox", "--auth", "token"]).args(cancel);
    before.args(["--env", &sandbox.base_url()]);
    let out_before = before.output().unwrap();
    // The in-process sandbox has no such order.
    for out in [out, out_before] {
        assert_eq!(out.status.code(), Some(3), "{out:?}");
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["errCode"], "NO_ORDER", "{json}");
    }
    assert_eq!(sandbox.request_count(), 1);
    assert_eq!(sandbox.token_fetch_count(), 0);
    chinaums()
        .args(["--sandbox", "sign"])
        .write_stdin("{}")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "`refund`, `refund-query`, `close`, `secure complete`, `secure cancel` and `split confirm` only",
        ));
}
