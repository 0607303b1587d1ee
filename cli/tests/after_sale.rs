//! The after-sale commands against the sandbox's demo orders: `--sandbox` for one step, a
//! sandbox of the test's own (through `--env`) where a scenario takes several steps or the
//! test checks the order book afterwards.

mod common;

use chinaums::Fen;
use chinaums_sandbox::{
    DEMO_GUARANTEED_ORDER, DEMO_INST_MID, DEMO_MID, DEMO_PAID_ORDER, DEMO_PARTLY_REFUNDED_ORDER,
    DEMO_PARTLY_REFUNDED_REFUND, DEMO_SPLIT_ORDER, DEMO_SUB_MID, DEMO_TID, DEMO_UNPAID_ORDER,
    Sandbox,
};
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

/// Runs `cmd`, which must succeed, and returns its stdout.
fn stdout(cmd: &mut assert_cmd::Command) -> String {
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(out.stderr.is_empty(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// Runs `cmd` (with `--json`), which must succeed, and returns the answer.
fn answer(cmd: &mut assert_cmd::Command) -> Value {
    serde_json::from_str(&stdout(cmd)).unwrap()
}

/// The summary's lines as `(name, value)`.
fn lines(summary: &str) -> Vec<(String, String)> {
    summary
        .lines()
        .filter(|l| !l.starts_with(' '))
        .map(|l| {
            let (name, value) = l.split_once(':').unwrap();
            (name.to_owned(), value.trim().to_owned())
        })
        .collect()
}

fn refunded(sandbox: &Sandbox, order: &str) -> Option<Fen> {
    sandbox.order(DEMO_MID, order).unwrap().refund_amount
}

/// A refund with a generated refundOrderId prints it right after the state; repeating the
/// refund with that id returns the same refund and refunds nothing again.
#[test]
fn a_repeated_refund_with_the_same_id_is_the_same_refund() {
    let sandbox = Sandbox::start_demo().unwrap();
    let summary = stdout(&mut against(
        &sandbox,
        &["refund", DEMO_PAID_ORDER, "--amount", "0.30"],
    ));
    let rows = lines(&summary);
    assert_eq!(
        (rows[0].0.as_str(), rows[0].1.as_str()),
        ("refundStatus", "refunded (SUCCESS)"),
        "{summary}"
    );
    assert_eq!(rows[1].0, "refundOrderId", "{summary}");
    let id = rows[1].1.clone();
    assert!(id.starts_with("3194") && id.len() == 28, "{id}");
    assert!(
        rows.contains(&("refundAmount".into(), "0.30 yuan (30 fen)".into())),
        "{summary}"
    );
    assert_eq!(refunded(&sandbox, DEMO_PAID_ORDER), Some(Fen(30)));

    // Again with the same id, in JSON: the same refund, nothing refunded twice.
    let json = answer(&mut against(
        &sandbox,
        &[
            "refund",
            DEMO_PAID_ORDER,
            "--fen",
            "30",
            "--refund-order-id",
            &id,
            "--json",
        ],
    ));
    assert_eq!(json["refundOrderId"], id.as_str(), "{json}");
    assert_eq!(json["refundStatus"], "SUCCESS", "{json}");
    assert_eq!(json["refundAmount"], 30, "{json}");
    assert_eq!(refunded(&sandbox, DEMO_PAID_ORDER), Some(Fen(30)));

    // The refund query names the same refund.
    let json = answer(&mut against(
        &sandbox,
        &[
            "refund-query",
            DEMO_PAID_ORDER,
            "--refund-order-id",
            &id,
            "--json",
        ],
    ));
    assert_eq!(
        (
            &json["refundOrderId"],
            &json["refundStatus"],
            &json["refundAmount"]
        ),
        (
            &Value::from(id.as_str()),
            &Value::from("SUCCESS"),
            &Value::from(30)
        ),
        "{json}"
    );
}

/// The remainder of a partly refunded order: refunded, the order `TRADE_REFUND`; the earlier
/// refund is still the one the query finds by its id.
#[test]
fn refund_the_remainder_of_a_partly_refunded_order() {
    let summary = stdout(chinaums().args([
        "refund",
        "--sandbox",
        DEMO_PARTLY_REFUNDED_ORDER,
        "--amount",
        "0.7",
        "--refund-order-id",
        "3194DEMOPARTREF0001R2",
        "--desc",
        "the rest",
    ]));
    let rows = lines(&summary);
    for (name, value) in [
        ("refundStatus", "refunded (SUCCESS)"),
        ("refundOrderId", "3194DEMOPARTREF0001R2"),
        ("refundAmount", "0.70 yuan (70 fen)"),
        ("totalAmount", "1.00 yuan (100 fen)"),
        ("status", "TRADE_REFUND"),
        ("merOrderId", DEMO_PARTLY_REFUNDED_ORDER),
    ] {
        assert!(
            rows.contains(&(name.into(), value.into())),
            "{name}: {value}\n{summary}"
        );
    }
    assert_eq!(rows[0].0, "refundStatus");
    assert_eq!(rows[1].0, "refundOrderId");

    let json = answer(chinaums().args([
        "refund",
        "--sandbox",
        "--json",
        DEMO_PARTLY_REFUNDED_ORDER,
        "--fen",
        "70",
    ]));
    assert_eq!(json["status"], "TRADE_REFUND", "{json}");
    assert_eq!(json["refundStatus"], "SUCCESS", "{json}");
    assert!(
        json["refundOrderId"].as_str().unwrap().starts_with("3194"),
        "{json}"
    );

    let summary = stdout(chinaums().args([
        "refund-query",
        "--sandbox",
        DEMO_PARTLY_REFUNDED_ORDER,
        "--refund-order-id",
        DEMO_PARTLY_REFUNDED_REFUND,
    ]));
    assert!(
        summary.starts_with("refundStatus:"),
        "the decision first: {summary}"
    );
    let rows = lines(&summary);
    assert!(
        rows.contains(&("refundAmount".into(), "0.30 yuan (30 fen)".into())),
        "{summary}"
    );
    assert!(
        rows.contains(&("refundStatus".into(), "refunded (SUCCESS)".into())),
        "{summary}"
    );
}

/// More than what is left to refund: the platform refuses (exit 3), nothing is refunded.
#[test]
fn refunding_more_than_the_remainder_is_a_platform_error() {
    let sandbox = Sandbox::start_demo().unwrap();
    let args = ["refund", DEMO_PARTLY_REFUNDED_ORDER, "--amount", "0.71"];
    against(&sandbox, &args)
        .assert()
        .code(3)
        .stdout("")
        .stderr(predicate::str::contains("70 fen is left to refund"))
        .stderr(no_panic());
    let (code, json) = json_error(against(&sandbox, &args).arg("--json"));
    assert_eq!(code, 3);
    assert_eq!(json["class"], "rejected", "{json}");
    assert_eq!(json["errCode"], "OPERATION_NOT_ALLOWED", "{json}");
    assert_eq!(json["httpStatus"], 200, "{json}");
    assert_eq!(json["followUp"], Value::Null, "{json}");
    assert_eq!(
        refunded(&sandbox, DEMO_PARTLY_REFUNDED_ORDER),
        Some(Fen(30))
    );
    // An order that does not exist: NO_ORDER, exit 3.
    let (code, json) = json_error(&mut against(
        &sandbox,
        &["refund", "3194NOSUCHORDER1", "--fen", "1", "--json"],
    ));
    assert_eq!((code, json["class"].as_str()), (3, Some("not_found")));
}

/// A refund the platform is still processing: exit 0, the state says to ask again, and the
/// refund query settles it.
#[test]
fn a_pending_refund_is_settled_by_the_refund_query() {
    let sandbox = Sandbox::start_demo().unwrap();
    sandbox.set_refunds_pending_first(true);
    let refund = [
        "refund",
        DEMO_PAID_ORDER,
        "--fen",
        "40",
        "--refund-order-id",
        "3194CLIPENDING01",
    ];
    let summary = stdout(&mut against(&sandbox, &refund));
    let rows = lines(&summary);
    assert_eq!(
        rows[..2],
        [
            (
                "refundStatus".into(),
                "pending: ask again with a refund query (PROCESSING)".into()
            ),
            ("refundOrderId".into(), "3194CLIPENDING01".into()),
        ],
        "{summary}"
    );
    assert_eq!(refunded(&sandbox, DEMO_PAID_ORDER), None);
    let json = answer(&mut against(
        &sandbox,
        &[
            "refund-query",
            DEMO_PAID_ORDER,
            "--refund-order-id",
            "3194CLIPENDING01",
            "--json",
        ],
    ));
    assert_eq!(json["refundStatus"], "SUCCESS", "{json}");
    assert_eq!(refunded(&sandbox, DEMO_PAID_ORDER), Some(Fen(40)));
}

/// Closing the unpaid order closes it; closing the paid one is "outcome unknown" (closed
/// already, or paid meanwhile), with the payment query as the follow-up.
#[test]
fn close_the_unpaid_order_and_not_the_paid_one() {
    let summary = stdout(chinaums().args(["close", "--sandbox", DEMO_UNPAID_ORDER]));
    assert!(
        summary.starts_with("closed:"),
        "the decision first: {summary}"
    );
    let rows = lines(&summary);
    assert_eq!(rows[0].1, "yes (TRADE_CLOSED)", "{summary}");
    assert!(
        rows.contains(&("merOrderId".into(), DEMO_UNPAID_ORDER.into())),
        "{summary}"
    );
    let json = answer(chinaums().args(["close", "--sandbox", "--json", DEMO_UNPAID_ORDER]));
    assert_eq!(json["status"], "TRADE_CLOSED", "{json}");
    assert_eq!(json["errCode"], "SUCCESS", "{json}");

    chinaums()
        .args(["close", "--sandbox", DEMO_PAID_ORDER])
        .assert()
        .code(6)
        .stdout("")
        .stderr(predicate::str::contains("OPERATION_NOT_ALLOWED"))
        .stderr(predicate::str::contains("closed already, or paid"))
        .stderr(predicate::str::contains(format!(
            "chinaums query {DEMO_PAID_ORDER}"
        )))
        .stderr(no_panic());
    let (code, json) =
        json_error(chinaums().args(["close", "--sandbox", "--json", DEMO_PAID_ORDER]));
    assert_eq!((code, json["class"].as_str()), (6, Some("outcome_unknown")));
    assert_eq!(json["errCode"], "OPERATION_NOT_ALLOWED", "{json}");
    assert_eq!(json["httpStatus"], 200, "{json}");
    assert_eq!(json["delivery"], Value::Null, "{json}");
    assert_eq!(
        json["followUp"],
        serde_json::json!({
            "operation": "PaymentQuery",
            "merOrderId": DEMO_PAID_ORDER,
            "command": format!("chinaums query {DEMO_PAID_ORDER}"),
        })
    );
}

/// Completing part of the guarantee releases that part (the rest goes back to the payer).
#[test]
fn secure_complete_releases_part_of_the_guaranteed_payment() {
    let summary = stdout(chinaums().args([
        "secure",
        "complete",
        "--sandbox",
        DEMO_GUARANTEED_ORDER,
        "--amount",
        "0.80",
    ]));
    let rows = lines(&summary);
    assert_eq!(
        rows[0],
        (
            "secureStatus".into(),
            "partly released (PARTLY_COMPLETED)".into()
        ),
        "{summary}"
    );
    assert!(
        rows.contains(&("completedAmount".into(), "0.80 yuan (80 fen)".into())),
        "{summary}"
    );
    let json = answer(chinaums().args([
        "--sandbox",
        "secure",
        "complete",
        "--json",
        DEMO_GUARANTEED_ORDER,
        "--fen",
        "100",
    ]));
    assert_eq!(json["secureStatus"], "ALL_COMPLETED", "{json}");
    assert_eq!(json["completedAmount"], 100, "{json}");
}

/// Cancelling the guarantee gives everything back; a second cancel is `HAS_CANCELLED`
/// (exit 3), and completing it afterwards is refused too.
#[test]
fn secure_cancel_then_a_second_cancel_is_has_cancelled() {
    let sandbox = Sandbox::start_demo().unwrap();
    let cancel = ["secure", "cancel", DEMO_GUARANTEED_ORDER];
    let summary = stdout(&mut against(&sandbox, &cancel));
    assert!(
        summary.starts_with("secureStatus:"),
        "the decision first: {summary}"
    );
    assert_eq!(lines(&summary)[0].1, "cancelled (CANCELED)", "{summary}");
    assert_eq!(refunded(&sandbox, DEMO_GUARANTEED_ORDER), Some(Fen(100)));

    against(&sandbox, &cancel)
        .assert()
        .code(3)
        .stdout("")
        .stderr(predicate::str::contains("HAS_CANCELLED"))
        .stderr(no_panic());
    let (code, json) = json_error(against(&sandbox, &cancel).arg("--json"));
    assert_eq!((code, json["class"].as_str()), (3, Some("rejected")));
    assert_eq!(json["errCode"], "HAS_CANCELLED", "{json}");
    assert_eq!(json["followUp"], Value::Null, "{json}");

    let (code, json) = json_error(&mut against(
        &sandbox,
        &[
            "secure",
            "complete",
            DEMO_GUARANTEED_ORDER,
            "--fen",
            "1",
            "--json",
        ],
    ));
    assert_eq!(code, 3, "{json}");

    // A fresh sandbox, in JSON.
    let json = answer(chinaums().args([
        "secure",
        "cancel",
        "--sandbox",
        "--json",
        DEMO_GUARANTEED_ORDER,
    ]));
    assert_eq!(json["secureStatus"], "CANCELED", "{json}");
}

/// The split order's shares confirmed, in yuan and in fen; a second confirmation is refused;
/// shares that do not add up never leave the machine.
#[test]
fn split_confirm_of_the_split_order() {
    let sandbox = Sandbox::start_demo().unwrap();
    let share = format!("{DEMO_SUB_MID}=0.90");
    let confirm = [
        "split",
        "confirm",
        DEMO_SPLIT_ORDER,
        "--order-amount",
        "1.00",
        "--platform-amount",
        "0.10",
        "--sub",
        &share,
    ];
    let summary = stdout(&mut against(&sandbox, &confirm));
    let rows = lines(&summary);
    assert_eq!(rows[0], ("confirmed".into(), "yes".into()), "{summary}");
    assert!(
        rows.contains(&("platformAmount".into(), "0.10 yuan (10 fen)".into())),
        "{summary}"
    );
    assert!(summary.contains(DEMO_SUB_MID), "{summary}");
    let body: Value = serde_json::from_slice(sandbox.last_request().unwrap().body()).unwrap();
    assert_eq!(body["platformAmount"], 10);
    assert_eq!(
        body["subOrders"],
        serde_json::json!([{"mid": DEMO_SUB_MID, "totalAmount": 90}])
    );
    assert!(body.get("orderAmount").is_none(), "not sent: {body}");

    let requests = sandbox.request_count();
    let (code, json) = json_error(against(&sandbox, &confirm).arg("--json"));
    assert_eq!(
        (code, json["class"].as_str()),
        (3, Some("rejected")),
        "{json}"
    );
    assert_eq!(sandbox.request_count(), requests + 1);

    // A wrong sum: exit 2, nothing sent.
    let wrong = format!("{DEMO_SUB_MID}=0.80");
    let (code, json) = json_error(&mut against(
        &sandbox,
        &[
            "split",
            "confirm",
            DEMO_SPLIT_ORDER,
            "--order-amount",
            "1.00",
            "--platform-amount",
            "0.10",
            "--sub",
            &wrong,
            "--json",
        ],
    ));
    assert_eq!((code, json["class"].as_str()), (2, Some("usage")), "{json}");
    assert_eq!(sandbox.request_count(), requests + 1);

    // In fen, on a fresh sandbox, as JSON.
    let share = format!("{DEMO_SUB_MID}=90");
    let json = answer(chinaums().args([
        "split",
        "confirm",
        "--sandbox",
        "--json",
        DEMO_SPLIT_ORDER,
        "--order-fen",
        "100",
        "--platform-fen",
        "10",
        "--sub-fen",
        &share,
    ]));
    assert_eq!(json["errCode"], "SUCCESS", "{json}");
    assert_eq!(json["platformAmount"], 10, "{json}");
    assert_eq!(json["merOrderId"], DEMO_SPLIT_ORDER, "{json}");
}

/// Every after-sale command also runs with OPEN-ACCESS-TOKEN.
#[test]
fn after_sale_commands_with_access_token_auth() {
    let sandbox = Sandbox::start_demo().unwrap();
    let share = format!("{DEMO_SUB_MID}=90");
    for args in [
        &["refund", DEMO_PAID_ORDER, "--fen", "1"][..],
        &["refund-query", DEMO_PAID_ORDER][..],
        &["close", DEMO_UNPAID_ORDER][..],
        &["secure", "complete", DEMO_GUARANTEED_ORDER, "--fen", "100"][..],
        &[
            "split",
            "confirm",
            DEMO_SPLIT_ORDER,
            "--order-fen",
            "100",
            "--platform-fen",
            "10",
            "--sub-fen",
            &share,
        ][..],
    ] {
        against(&sandbox, args)
            .args(["--auth", "token"])
            .assert()
            .success();
    }
    // One token per command (each is a process of its own), and every call went through.
    assert_eq!(sandbox.token_fetch_count(), 5);
    assert_eq!(sandbox.request_count(), 5);
    let last = sandbox.last_request().unwrap();
    let authorization = last.headers()["authorization"].to_str().unwrap();
    assert!(authorization.starts_with("OPEN-ACCESS-TOKEN "));
}
