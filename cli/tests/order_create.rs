//! `chinaums order create mini|jsapi` against answers the sandbox is told to give (a raw HTTP
//! answer injected as a fault: the request is still recorded), so that every channel's answer,
//! the unknown outcomes and the request sent are checked exactly: the pay request first in the
//! summary, the order number second (generated or not), `--json`, `DUP_ORDER` / a success
//! without a pay request / a lost answer → exit 6 naming the payment query, and bad input →
//! exit 2 naming the flag, with nothing sent.

mod common;

use chinaums_sandbox::{DEMO_MID, DEMO_TID, Fault, Sandbox};
use common::{chinaums, json_error, no_panic};
use predicates::prelude::*;
use serde_json::{Value, json};

const WX_APP: &str = "wx0123456789abcdef";
const OPEN_ID: &str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";

/// `args` aimed at `sandbox` through flags (its credentials, the demo merchant, no instMid).
fn against(sandbox: &Sandbox, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = chinaums();
    cmd.args(args)
        .args(["--env", &sandbox.base_url(), "--app-id", sandbox.app_id()])
        .args(["--app-key", sandbox.app_key(), "--mid", DEMO_MID])
        .args(["--tid", DEMO_TID]);
    cmd
}

/// The next business request gets `body` as its HTTP 200 JSON answer.
fn answer_next(sandbox: &Sandbox, body: &Value) {
    let body = body.to_string();
    let raw = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    sandbox.inject_fault(Fault::Raw(raw.into_bytes()));
}

/// The last request's path and JSON body.
fn sent(sandbox: &Sandbox) -> (String, Value) {
    let request = sandbox.last_request().expect("a request");
    let body = serde_json::from_slice(request.body()).unwrap();
    (request.uri().path().to_owned(), body)
}

fn pay_request() -> Value {
    json!({"appId": WX_APP, "nonceStr": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
           "package": "prepay_id=wx201410272009395522657a690389285100", "paySign": "c2lnbmF0dXJl",
           "signType": "RSA", "timeStamp": 1704081600})
}

fn wechat_created(mer_order_id: Option<&str>) -> Value {
    let mut answer = json!({"errCode": "SUCCESS", "errMsg": "", "responseTimestamp":
        "2024-01-01 12:00:00", "mid": DEMO_MID, "tid": DEMO_TID, "instMid": "MINIDEFAULT",
        "status": "NEW_ORDER", "totalAmount": 2500, "targetSys": "WXPay",
        "miniPayRequest": pay_request(), "connectSys": "UNIONPAY"});
    if let Some(id) = mer_order_id {
        answer["merOrderId"] = id.into();
    }
    answer
}

/// A summary's line as `name: value`, the alignment spaces taken out.
fn row(line: &str) -> String {
    match line.split_once(':') {
        Some((name, value)) => format!("{name}: {}", value.trim_start()),
        None => line.to_owned(),
    }
}

/// The summary's lines, [`row`] by row.
fn rows(summary: &str) -> Vec<String> {
    summary.lines().map(row).collect()
}

fn stdout(cmd: &mut assert_cmd::Command) -> String {
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_wechat_mini_program_order_shows_its_pay_request_first() {
    let sandbox = Sandbox::start_demo().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let goods = dir.path().join("goods.json");
    std::fs::write(
        &goods,
        r#"[{"goodsId":"SKU-1","goodsName":"咖啡","quantity":2,"price":1000},
            {"goodsId":"SKU-2","goodsName":"蛋糕","quantity":1,"price":500,"unit":"块"}]"#,
    )
    .unwrap();
    answer_next(&sandbox, &wechat_created(Some("3194ORDER0001")));
    let summary = stdout(&mut against(
        &sandbox,
        &[
            "order",
            "create",
            "mini",
            "3194ORDER0001",
            "--amount",
            "25.00",
            "--desc",
            "咖啡",
            "--goods",
            goods.to_str().unwrap(),
            "--notify-url",
            "https://shop.example/ums/notify",
            "--sub-app-id",
            WX_APP,
            "--sub-open-id",
            OPEN_ID,
        ],
    ));
    let lines: Vec<&str> = summary.lines().collect();
    let rows = rows(&summary);
    assert_eq!(
        rows[0],
        "miniPayRequest: ready: hand it to wx.requestPayment as it is"
    );
    for (i, key) in [
        "appId",
        "nonceStr",
        "package",
        "paySign",
        "signType",
        "timeStamp",
    ]
    .iter()
    .enumerate()
    {
        let line = lines[1 + i];
        assert!(line.starts_with(&format!("  {key}:")), "{summary}");
    }
    assert!(lines[3].ends_with("prepay_id=wx201410272009395522657a690389285100"));
    assert!(lines[6].ends_with(" 1704081600"), "{summary}");
    assert_eq!(rows[7], "merOrderId: 3194ORDER0001");
    for row in [
        "status: NEW_ORDER",
        "totalAmount: 25.00 yuan (2500 fen)",
        "connectSys: UNIONPAY",
    ] {
        assert!(rows.contains(&row.to_owned()), "{row}: {summary}");
    }

    let (path, body) = sent(&sandbox);
    assert_eq!(path, "/v1/netpay/wx/unified-order");
    for (field, value) in [
        ("merOrderId", "3194ORDER0001"),
        ("mid", DEMO_MID),
        ("tid", DEMO_TID),
        ("instMid", "MINIDEFAULT"),
        ("tradeType", "MINI"),
        ("subAppId", WX_APP),
        ("subOpenId", OPEN_ID),
        ("orderDesc", "咖啡"),
        ("notifyUrl", "https://shop.example/ums/notify"),
    ] {
        assert_eq!(body[field], value, "{field}: {body}");
    }
    assert_eq!(body["totalAmount"], 2500, "{body}");
    assert_eq!(
        body["goods"],
        json!([{"goodsId":"SKU-1","goodsName":"咖啡","quantity":2,"price":1000},
               {"goodsId":"SKU-2","goodsName":"蛋糕","quantity":1,"price":500,"unit":"块"}]),
        "{body}"
    );
}

/// `--json`: the typed answer, with the merOrderId sent when the answer leaves it out; a
/// generated one starts with the msgSrcId, is told on stderr and second in the summary.
#[test]
fn json_and_a_generated_order_number() {
    let sandbox = Sandbox::start_demo().unwrap();
    answer_next(&sandbox, &wechat_created(None));
    let out = against(
        &sandbox,
        &[
            "order",
            "create",
            "mini",
            "--json",
            "--fen",
            "2500",
            "--sub-app-id",
            WX_APP,
            "--sub-open-id",
            OPEN_ID,
            "--msg-src-id",
            "3194",
        ],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (_, body) = sent(&sandbox);
    let id = body["merOrderId"].as_str().unwrap();
    assert!(id.starts_with("3194") && id.len() == 28, "{id}");
    assert_eq!(json["merOrderId"], id, "filled in: {json}");
    let mut expected = pay_request();
    // Kept as the string wx.requestPayment wants.
    expected["timeStamp"] = "1704081600".into();
    assert_eq!(json["miniPayRequest"], expected, "{json}");
    assert_eq!(json["totalAmount"], 2500);
    assert_eq!(json["connectSys"], "UNIONPAY");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("merOrderId: {id} (generated: keep it)\n")
    );

    // The summary: the generated id, second; from CHINAUMS_MSG_SRC_ID.
    answer_next(&sandbox, &wechat_created(None));
    let summary = stdout(
        against(
            &sandbox,
            &[
                "order",
                "create",
                "mini",
                "--fen",
                "2500",
                "--sub-app-id",
                WX_APP,
                "--sub-open-id",
                OPEN_ID,
            ],
        )
        .env("CHINAUMS_MSG_SRC_ID", "4567"),
    );
    let (_, body) = sent(&sandbox);
    let id = body["merOrderId"].as_str().unwrap();
    assert!(id.starts_with("4567"), "{id}");
    assert_eq!(
        rows(&summary)[7],
        format!("merOrderId: {id} (generated: keep it)"),
        "{summary}"
    );
}

/// Alipay's and UnionPay's mini-program orders and WeChat's JSAPI order: their paths, fields
/// and decisions; a business type given wins over the kind's.
#[test]
fn other_channels_and_jsapi() {
    let sandbox = Sandbox::start_demo().unwrap();
    answer_next(
        &sandbox,
        &json!({"errCode":"SUCCESS","merOrderId":"3194ALI0001","status":"NEW_ORDER",
                "totalAmount":100,"targetOrderId":"2024010122001412345678901234"}),
    );
    let summary = stdout(&mut against(
        &sandbox,
        &[
            "order",
            "create",
            "mini",
            "--channel",
            "alipay",
            "3194ALI0001",
            "--fen",
            "100",
            "--sub-open-id",
            "2088102146225135",
        ],
    ));
    assert_eq!(
        rows(&summary)[..2],
        [
            "targetOrderId: 2024010122001412345678901234 (ready: pass it to my.tradePay as \
             tradeNO)",
            "merOrderId: 3194ALI0001"
        ],
        "{summary}"
    );
    let (path, body) = sent(&sandbox);
    assert_eq!(path, "/v1/netpay/trade/create");
    assert_eq!(body["subOpenId"], "2088102146225135");
    assert_eq!(body["tradeType"], "MINI");
    assert_eq!(body["instMid"], "MINIDEFAULT");
    assert!(body.get("subAppId").is_none(), "{body}");

    answer_next(
        &sandbox,
        &json!({"errCode":"SUCCESS","merOrderId":"3194UAC0001","miniPayRequest":{"tn":"62010"}}),
    );
    let summary = stdout(&mut against(
        &sandbox,
        &[
            "order",
            "create",
            "mini",
            "--channel",
            "unionpay",
            "3194UAC0001",
            "--fen",
            "100",
            "--sub-open-id",
            "u1",
            "--sub-app-id",
            "a1",
        ],
    ));
    assert_eq!(
        rows(&summary)[..3],
        [
            "miniPayRequest: ready: hand it to the UnionPay mini-program's pay call as it is",
            "  tn: 62010",
            "merOrderId: 3194UAC0001"
        ],
        "{summary}"
    );
    let (path, body) = sent(&sandbox);
    assert_eq!(path, "/v1/netpay/uac/mini-order");
    assert_eq!(body["subAppId"], "a1");

    answer_next(&sandbox, &wechat_created(Some("3194JSAPI0001")));
    let summary = stdout(
        against(
            &sandbox,
            &[
                "order",
                "create",
                "jsapi",
                "3194JSAPI0001",
                "--fen",
                "100",
                "--sub-app-id",
                WX_APP,
                "--sub-open-id",
                OPEN_ID,
            ],
        )
        .env("CHINAUMS_INST_MID", "MYJSAPIINST"),
    );
    assert_eq!(
        rows(&summary)[0],
        "miniPayRequest: ready: hand it to WeixinJSBridge's getBrandWCPayRequest as it is",
        "{summary}"
    );
    let (path, body) = sent(&sandbox);
    assert_eq!(path, "/v1/netpay/wx/unified-order");
    assert_eq!(body["tradeType"], "JSAPI");
    assert_eq!(body["instMid"], "MYJSAPIINST");

    answer_next(&sandbox, &wechat_created(Some("3194JSAPI0002")));
    stdout(&mut against(
        &sandbox,
        &[
            "order",
            "create",
            "jsapi",
            "3194JSAPI0002",
            "--fen",
            "100",
            "--sub-app-id",
            WX_APP,
            "--sub-open-id",
            OPEN_ID,
        ],
    ));
    assert_eq!(sent(&sandbox).1["instMid"], "YUEDANDEFAULT");
}

/// `DUP_ORDER`, a success without a pay request, a dropped connection: the order may exist,
/// exit 6, the payment query named with the business type the command chose.
#[test]
fn unknown_outcomes_name_the_payment_query() {
    let sandbox = Sandbox::start_demo().unwrap();
    let args = [
        "order",
        "create",
        "mini",
        "3194ORDER0002",
        "--fen",
        "100",
        "--sub-app-id",
        WX_APP,
        "--sub-open-id",
        OPEN_ID,
    ];
    let dup = json!({"errCode":"DUP_ORDER","errMsg":"订单号重复"});
    let mut without = wechat_created(Some("3194ORDER0002"));
    without.as_object_mut().unwrap().remove("miniPayRequest");
    for (what, fault) in [
        ("DUP_ORDER", None),
        ("no miniPayRequest", None),
        ("dropped", Some(Fault::DropConnection)),
    ] {
        let prepare = |sandbox: &Sandbox| match (&fault, what) {
            (Some(fault), _) => sandbox.inject_fault(fault.clone()),
            (None, "DUP_ORDER") => answer_next(sandbox, &dup),
            _ => answer_next(sandbox, &without),
        };
        prepare(&sandbox);
        against(&sandbox, &args)
            .assert()
            .code(6)
            .stdout("")
            .stderr(predicate::str::contains(
                "hint: the order may or may not have been created",
            ))
            .stderr(predicate::str::contains(
                "chinaums query 3194ORDER0002 --inst-mid MINIDEFAULT",
            ))
            .stderr(no_panic());
        prepare(&sandbox);
        let (code, json) = json_error(against(&sandbox, &args).arg("--json"));
        assert_eq!(code, 6, "{what}: {json}");
        assert_eq!(json["class"], "outcome_unknown", "{what}");
        assert_eq!(
            json["followUp"],
            json!({"operation":"PaymentQuery","merOrderId":"3194ORDER0002",
                   "instMid":"MINIDEFAULT",
                   "command":"chinaums query 3194ORDER0002 --inst-mid MINIDEFAULT"}),
            "{what}"
        );
        if what == "DUP_ORDER" {
            assert_eq!(json["errCode"], "DUP_ORDER");
        }
    }
    // With the business type given, the query needs no --inst-mid.
    answer_next(&sandbox, &dup);
    let (_, json) =
        json_error(against(&sandbox, &args).args(["--json", "--inst-mid", "MINIDEFAULT"]));
    assert_eq!(json["followUp"]["command"], "chinaums query 3194ORDER0002");
}

/// What is refused before anything is sent: exit 2 naming the flag or the file.
#[test]
fn bad_input_is_a_usage_error_naming_the_flag() {
    let sandbox = Sandbox::start_demo().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bad_goods = dir.path().join("goods.json");
    std::fs::write(
        &bad_goods,
        r#"[{"goodsId":"A","goodsName":"B","quantity":1,"price":1.5}]"#,
    )
    .unwrap();
    let bad_goods = bad_goods.to_str().unwrap();
    let missing = dir.path().join("missing.json");
    let missing = missing.to_str().unwrap();
    let long_name = format!(
        r#"[{{"goodsId":"A","goodsName":"{}","quantity":1,"price":1}}]"#,
        "x".repeat(129)
    );
    let long_goods = dir.path().join("long.json");
    std::fs::write(&long_goods, long_name).unwrap();
    let long_goods = long_goods.to_str().unwrap();
    let long_desc = "咖".repeat(43);
    let long_data = "x".repeat(256);
    let id = "3194BAD00001";
    let mini = ["order", "create", "mini"];
    let who = ["--sub-app-id", WX_APP, "--sub-open-id", OPEN_ID];
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![id, "--fen", "1", "--sub-app-id", WX_APP],
            "--sub-open-id",
        ),
        (
            vec![id, "--fen", "1", "--sub-open-id", OPEN_ID],
            "--sub-app-id",
        ),
        (
            vec![
                id,
                "--fen",
                "1",
                "--sub-app-id",
                WX_APP,
                "--sub-open-id",
                "",
            ],
            "--sub-open-id",
        ),
        (vec![id], "--amount"),
        (vec![id, "--amount", "1.001"], "--amount"),
        (vec![id, "--fen", "0"], "--fen"),
        (vec!["--fen", "1"], "--msg-src-id"),
        (vec!["X", "--fen", "1"], "<merOrderId>"),
        (
            vec![id, "--fen", "1", "--goods", bad_goods],
            "goods.json: item 1: `price`",
        ),
        (vec![id, "--fen", "1", "--goods", missing], "--goods"),
        (vec![id, "--fen", "1", "--goods", long_goods], "--goods"),
        (vec![id, "--fen", "1", "--desc", &long_desc], "--desc"),
        (
            vec![id, "--fen", "1", "--attached-data", &long_data],
            "--attached-data",
        ),
        (
            vec![id, "--fen", "1", "--client-ip", "300.1.1.1"],
            "--client-ip",
        ),
        (vec![id, "--fen", "1", "--channel", "paypal"], "--channel"),
        (
            vec![id, "--fen", "1", "--expire-time", "tomorrow"],
            "--expire-time",
        ),
    ];
    for (rest, expected) in &cases {
        let mut args: Vec<&str> = mini.to_vec();
        args.extend(rest);
        if !rest.iter().any(|a| a.starts_with("--sub-")) {
            args.extend(who);
        }
        against(&sandbox, &args)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(*expected))
            .stderr(no_panic());
        let (code, json) = json_error(against(&sandbox, &args).arg("--json"));
        assert_eq!(
            (code, json["class"].as_str()),
            (2, Some("usage")),
            "{args:?}"
        );
        let text = format!("{} {}", json["message"], json["hint"]);
        assert!(text.contains(expected), "{args:?}: {json}");
    }
    // The file's name and the problem.
    against(
        &sandbox,
        &[
            "order", "create", "mini", id, "--fen", "1", "--goods", missing,
        ],
    )
    .args(who)
    .assert()
    .code(2)
    .stderr(predicate::str::contains(format!(
        "error: --goods {missing}: cannot read it"
    )));
    // jsapi needs both ids.
    against(
        &sandbox,
        &[
            "order",
            "create",
            "jsapi",
            id,
            "--fen",
            "1",
            "--sub-open-id",
            "o",
        ],
    )
    .assert()
    .code(2)
    .stderr(predicate::str::contains("--sub-app-id"));
    assert_eq!(sandbox.request_count(), 0, "nothing was sent");
}
