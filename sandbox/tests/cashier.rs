//! The H5 redirects, the cashier, the control API, QR codes and the dashboard at the byte level:
//! URLs built by the core's `Client::redirect_url`, requests over plain `std::net::TcpStream`s
//! as a browser (that does not follow redirects) would send them.

mod common;

use std::time::Duration;

use chinaums::time::macros::date;
use chinaums::{
    AlipayH5Pay, BillFields, BillsGetQrCode, Fen, Goods, Merchant, OrderFields, SceneType,
    TradeStatus, UnionPayH5Pay, WebPay, WxH5Pay, WxH5ToMiniPay,
};
use chinaums_sandbox::{DEMO_MID, DEMO_TID, Sandbox};
use common::*;

fn h5() -> Merchant {
    Merchant::new(DEMO_MID, DEMO_TID, "H5DEFAULT").unwrap()
}

fn get(sandbox: &Sandbox, path_and_query: &str) -> Raw {
    let request = http::Request::get(format!("{}{path_and_query}", sandbox.base_url()))
        .body(Vec::new())
        .unwrap();
    send(sandbox, &request)
}

fn post_form(sandbox: &Sandbox, path: &str, form: &str) -> Raw {
    let request = http::Request::post(format!("{}{path}", sandbox.base_url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.as_bytes().to_vec())
        .unwrap();
    send(sandbox, &request)
}

fn post_empty(sandbox: &Sandbox, path: &str) -> Raw {
    send(sandbox, &post(sandbox, path, Vec::new()))
}

/// The path and query of an absolute URL on the sandbox.
fn local(sandbox: &Sandbox, url: &str) -> String {
    url.strip_prefix(&sandbox.base_url())
        .unwrap_or_else(|| panic!("{url} is not on the sandbox"))
        .to_owned()
}

fn text(raw: &Raw) -> String {
    String::from_utf8(raw.body.clone()).unwrap()
}

fn alipay(id: &str, order: OrderFields) -> AlipayH5Pay {
    AlipayH5Pay::new(&h5(), id.parse().unwrap(), order)
}

/// Opens the H5 URL of `op`; the sandbox's answer.
fn open<R: chinaums::Redirect>(sandbox: &Sandbox, op: &R) -> Raw {
    let url = client(sandbox).redirect_url(op).unwrap().to_string();
    get(sandbox, &local(sandbox, &url))
}

#[test]
fn an_h5_url_creates_the_order_and_redirects_to_its_cashier() {
    let sandbox = Sandbox::builder().start().unwrap();
    let order = OrderFields::new(Fen(1234))
        .order_desc("<b>咖啡</b> & 茶")
        .return_url("https://shop.example/paid".parse().unwrap())
        .goods(vec![Goods::new("SKU-1", "咖啡 <i>", 2, Fen(617))]);
    let raw = open(&sandbox, &alipay("3194H5ALI00001", order));
    assert_eq!(raw.status, 302, "{}", text(&raw));
    let location = raw.header("location").unwrap().to_owned();
    assert!(
        location.starts_with(&format!(
            "{}/sandbox/cashier?merOrderId=3194H5ALI00001&mid={DEMO_MID}&msgType=trade.h5Pay&sign=",
            sandbox.base_url()
        )),
        "{location}"
    );
    let created = sandbox.order(DEMO_MID, "3194H5ALI00001").unwrap();
    assert_eq!(created.status, TradeStatus::NewOrder);
    assert_eq!(created.inst_mid, "H5DEFAULT");
    assert_eq!(created.target_sys.as_deref(), Some("Alipay 2.0"));
    assert_eq!(
        created.return_url.as_deref(),
        Some("https://shop.example/paid")
    );
    assert_eq!(
        sandbox.request_count(),
        1,
        "an H5 URL is a business request"
    );

    let page = get(&sandbox, &local(&sandbox, &location));
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    let html = text(&page);
    assert!(html.contains("¥12.34"), "{html}");
    assert!(html.contains("3194H5ALI00001"));
    assert!(
        html.contains("&lt;b&gt;咖啡&lt;/b&gt; &amp; 茶"),
        "escaped: {html}"
    );
    assert!(html.contains("咖啡 &lt;i&gt; × 2 @ ¥6.17"), "{html}");
    assert!(!html.contains("<b>") && !html.contains("<i>"));
    assert!(!html.contains("<script"), "no script needed");
    let sign = location.rsplit_once("sign=").unwrap().1;
    assert!(!html.contains(sign), "the sign is not on the page");
    assert!(!html.contains(sandbox.app_key()));
    for button in [
        "value=\"pay\">Pay<",
        "value=\"decline\">Decline<",
        "value=\"expire\">Let it expire<",
    ] {
        assert!(html.contains(button), "{button}");
    }
    assert_eq!(sandbox.request_count(), 1, "cashier pages are not counted");

    let paid = post_form(
        &sandbox,
        "/sandbox/cashier",
        &format!("mid={DEMO_MID}&merOrderId=3194H5ALI00001&action=pay"),
    );
    assert_eq!(paid.status, 303);
    // The returnUrl, with the result parameters signed with the notification key.
    let back = paid.header("location").unwrap();
    let query = back
        .strip_prefix("https://shop.example/paid?")
        .unwrap_or_else(|| panic!("{back}"));
    let result = chinaums::notify::verify_return_url(query, &sandbox.notify_key()).unwrap();
    assert_eq!(result["merOrderId"], "3194H5ALI00001");
    assert_eq!(result["status"], "TRADE_SUCCESS");
    assert_eq!(result["signType"], "SHA256");
    let order = sandbox.order(DEMO_MID, "3194H5ALI00001").unwrap();
    assert_eq!(order.status, TradeStatus::TradeSuccess);
    assert_eq!(order.target_sys.as_deref(), Some("Alipay 2.0"));
    // The page now says paid, without buttons.
    let again = text(&get(&sandbox, &local(&sandbox, &location)));
    assert!(again.contains("This order is paid") && !again.contains("value=\"pay\""));
}

#[test]
fn every_h5_path_redirects_with_its_channel() {
    let sandbox = Sandbox::builder().start().unwrap();
    let fields = || OrderFields::new(Fen(100));
    let cases: Vec<(Raw, &str, &str, &str)> = vec![
        (
            open(
                &sandbox,
                &WxH5Pay::new(
                    &h5(),
                    "3194H5WX000001".parse().unwrap(),
                    fields(),
                    SceneType::IosWap,
                    "商城",
                    "https://shop.example",
                ),
            ),
            "3194H5WX000001",
            "wx.h5Pay",
            "WXPay",
        ),
        (
            open(
                &sandbox,
                &UnionPayH5Pay::new(&h5(), "3194H5UAC00001".parse().unwrap(), fields()),
            ),
            "3194H5UAC00001",
            "uac.order",
            "UAC",
        ),
        (
            open(
                &sandbox,
                &WxH5ToMiniPay::new(&h5(), "3194H5MINI0001".parse().unwrap(), fields()),
            ),
            "3194H5MINI0001",
            "wx.h5ToMiniPay",
            "WXPay",
        ),
        (
            open(
                &sandbox,
                &WebPay::new(
                    &Merchant::new(DEMO_MID, DEMO_TID, "YUEDANDEFAULT").unwrap(),
                    "3194WEBPAY0001".parse().unwrap(),
                    fields(),
                ),
            ),
            "3194WEBPAY0001",
            "WXPay.jsPay",
            "WXPay",
        ),
    ];
    for (raw, id, msg_type, target_sys) in cases {
        assert_eq!(raw.status, 302, "{id}: {}", text(&raw));
        let location = raw.header("location").unwrap();
        assert!(
            location.contains(&format!("msgType={msg_type}&")),
            "{location}"
        );
        let page = get(&sandbox, &local(&sandbox, location));
        assert_eq!(page.status, 200, "{id}");
        let paid = post_empty(&sandbox, &format!("/sandbox/orders/{id}/pay"));
        assert_eq!(paid.json()["targetSys"], target_sys, "{id}");
    }
}

#[test]
fn a_refused_h5_url_answers_json_4xx_and_creates_nothing() {
    let sandbox = Sandbox::builder().start().unwrap();
    let url = client(&sandbox)
        .redirect_url(&alipay("3194H5BAD00001", OrderFields::new(Fen(100))))
        .unwrap()
        .to_string();
    let path = local(&sandbox, &url);
    let tampered = path.replace("totalAmount%22%3A100", "totalAmount%22%3A1");
    assert_ne!(tampered, path);
    let cases = [
        (tampered, 401, "BAD_SIGN"),
        (path.replace("appId=", "appId=x"), 401, "1002"),
        (
            path.replace(
                "authorization=OPEN-FORM-PARAM",
                "authorization=OPEN-BODY-SIG",
            ),
            401,
            "1001",
        ),
        (
            path.split("&signature=").next().unwrap().to_owned(),
            401,
            "1001",
        ),
        (
            {
                let stamp = path
                    .split("timestamp=")
                    .nth(1)
                    .unwrap()
                    .split('&')
                    .next()
                    .unwrap();
                path.replace(
                    &format!("timestamp={stamp}"),
                    "timestamp=2024-01-01+12%3A00%3A00",
                )
            },
            412,
            "1000",
        ),
    ];
    for (bad, status, code) in cases {
        let raw = get(&sandbox, &bad);
        assert_eq!(
            (raw.status, raw.err_code()),
            (status, code.to_owned()),
            "{bad}"
        );
        assert!(
            raw.json()["errInfo"]
                .as_str()
                .is_some_and(|s| !s.is_empty())
        );
        assert!(raw.header("location").is_none());
    }
    // A stale timestamp (the sandbox's clock moved on).
    sandbox.advance_clock(Duration::from_secs(3600));
    let stale = get(&sandbox, &path);
    assert_eq!(
        (stale.status, stale.err_code()),
        (401, "ABNORMAL_REQUEST_TIME".to_owned())
    );
    assert!(
        sandbox.order(DEMO_MID, "3194H5BAD00001").is_none(),
        "nothing created"
    );

    // A field the sandbox refuses, signed correctly: 400 BAD_REQUEST naming it.
    let sandbox = Sandbox::builder().start().unwrap();
    let wx = WxH5Pay::new(
        &h5(),
        "3194H5BAD00002".parse().unwrap(),
        OrderFields::new(Fen(100)),
        SceneType::IosWap,
        "商城",
        "https://shop.example",
    );
    let url = client(&sandbox).redirect_url(&wx).unwrap().to_string();
    let mut parsed = chinaums::form_param::parse_query(url.split_once('?').unwrap().1).unwrap();
    parsed.content = parsed.content.replace("IOS_WAP", "TV");
    let resigned = chinaums::form_param::redirect_url(
        &sandbox.base_url(),
        <WxH5Pay as chinaums::Redirect>::PATH,
        sandbox.app_id(),
        sandbox.app_key(),
        &parsed.timestamp,
        &parsed.nonce,
        &parsed.content,
    );
    let raw = get(&sandbox, &local(&sandbox, &resigned));
    assert_eq!(
        (raw.status, raw.err_code()),
        (400, "BAD_REQUEST".to_owned())
    );
    assert!(
        raw.json()["errInfo"]
            .as_str()
            .unwrap()
            .starts_with("sceneType: ")
    );
    assert!(sandbox.order(DEMO_MID, "3194H5BAD00002").is_none());
}

#[test]
fn the_same_h5_order_twice_is_dup_order() {
    let sandbox = Sandbox::builder().start().unwrap();
    let op = alipay("3194H5DUP00001", OrderFields::new(Fen(100)));
    assert_eq!(open(&sandbox, &op).status, 302);
    let again = open(
        &sandbox,
        &alipay("3194H5DUP00001", OrderFields::new(Fen(200))),
    );
    assert_eq!(
        (again.status, again.err_code()),
        (409, "DUP_ORDER".to_owned())
    );
    assert_eq!(
        sandbox
            .order(DEMO_MID, "3194H5DUP00001")
            .unwrap()
            .total_amount,
        Fen(100)
    );
}

#[test]
fn a_cashier_link_with_a_wrong_sign_is_refused() {
    let sandbox = Sandbox::builder().start().unwrap();
    let raw = open(
        &sandbox,
        &alipay("3194H5SIGN0001", OrderFields::new(Fen(100))),
    );
    let location = local(&sandbox, raw.header("location").unwrap());
    let other = location.replace("3194H5SIGN0001", "3194H5SIGN0002");
    let forged = get(&sandbox, &other);
    assert_eq!(forged.status, 403);
    assert!(text(&forged).contains("Wrong cashier link"));
    let (without_sign, _) = location.split_once("&sign=").unwrap();
    assert_eq!(get(&sandbox, without_sign).status, 400);
}

#[test]
fn declining_and_letting_it_expire_at_the_cashier() {
    let sandbox = Sandbox::builder().start().unwrap();
    for id in ["3194H5DECL0001", "3194H5EXP00001"] {
        assert_eq!(
            open(&sandbox, &alipay(id, OrderFields::new(Fen(100)))).status,
            302
        );
    }
    let declined = post_form(
        &sandbox,
        "/sandbox/cashier",
        &format!("mid={DEMO_MID}&merOrderId=3194H5DECL0001&action=decline"),
    );
    assert_eq!(declined.status, 200);
    assert!(text(&declined).contains("still unpaid"));
    assert_eq!(
        sandbox.order(DEMO_MID, "3194H5DECL0001").unwrap().status,
        TradeStatus::WaitBuyerPay
    );
    let expired = post_form(
        &sandbox,
        "/sandbox/cashier",
        &format!("mid={DEMO_MID}&merOrderId=3194H5EXP00001&action=expire"),
    );
    assert_eq!(expired.status, 200);
    assert_eq!(
        sandbox.order(DEMO_MID, "3194H5EXP00001").unwrap().status,
        TradeStatus::TradeClosed
    );
    let too_late = post_form(
        &sandbox,
        "/sandbox/cashier",
        &format!("mid={DEMO_MID}&merOrderId=3194H5EXP00001&action=pay"),
    );
    assert_eq!(too_late.status, 409);
    assert!(text(&too_late).contains("ORDER_CLOSED"));
    // Without a returnUrl, paying shows a page.
    let paid = post_form(
        &sandbox,
        "/sandbox/cashier",
        &format!("mid={DEMO_MID}&merOrderId=3194H5DECL0001&action=pay"),
    );
    assert_eq!(paid.status, 200);
    assert!(text(&paid).contains("Paid."));
    let unknown = post_form(
        &sandbox,
        "/sandbox/cashier",
        "mid=x&merOrderId=y&action=steal",
    );
    assert_eq!(unknown.status, 400);
}

#[test]
fn the_control_api_pays_fails_and_expires_with_json_answers() {
    let sandbox = Sandbox::start_demo().unwrap();
    let paid = post_empty(&sandbox, "/sandbox/orders/3194DEMOUNPAID0001/pay");
    assert_eq!(paid.status, 200);
    let json = paid.json();
    assert_eq!(json["errCode"], "SUCCESS");
    assert_eq!(json["status"], "TRADE_SUCCESS");
    assert_eq!(json["totalAmount"], 2500);
    assert_eq!(json["targetSys"], "Alipay 2.0", "no channel named: Alipay");
    assert!(json["payTime"].as_str().is_some_and(|t| t.len() == 19));
    let again = post_empty(&sandbox, "/sandbox/orders/3194DEMOUNPAID0001/pay");
    assert_eq!(
        (again.status, again.err_code()),
        (409, "ALREADY_PAID".to_owned())
    );
    assert!(
        again.json()["errInfo"]
            .as_str()
            .unwrap()
            .contains("paid already")
    );
    let closed = post_empty(&sandbox, "/sandbox/orders/3194DEMOCLOSED0001/pay");
    assert_eq!(
        (closed.status, closed.err_code()),
        (409, "ORDER_CLOSED".to_owned())
    );
    let unknown = post_empty(&sandbox, "/sandbox/orders/3194NOSUCHORDER1/fail");
    assert_eq!(
        (unknown.status, unknown.err_code()),
        (404, "NO_ORDER".to_owned())
    );
    let wrong_mid = post_empty(
        &sandbox,
        "/sandbox/orders/3194DEMOPAID0001/expire?mid=898201600000000",
    );
    assert_eq!(wrong_mid.status, 404);
    let get_pay = get(&sandbox, "/sandbox/orders/3194DEMOPAID0001/pay");
    assert_eq!(get_pay.status, 405);
    assert_eq!(get_pay.header("allow"), Some("POST"));
    let bad_wallet = post_empty(&sandbox, "/sandbox/orders/3194DEMOPAID0001/pay?wallet=cash");
    assert_eq!(bad_wallet.status, 400);
    assert_eq!(sandbox.request_count(), 0, "the control API is not counted");
}

#[test]
fn orders_expire_when_the_sandbox_clock_passes_their_expire_time() {
    let sandbox = Sandbox::builder().start().unwrap();
    assert_eq!(
        open(
            &sandbox,
            &alipay("3194H5LATE0001", OrderFields::new(Fen(100)))
        )
        .status,
        302
    );
    sandbox.advance_clock(chinaums_sandbox::DEFAULT_ORDER_LIFETIME - Duration::from_secs(60));
    assert_eq!(
        sandbox.order(DEMO_MID, "3194H5LATE0001").unwrap().status,
        TradeStatus::NewOrder
    );
    sandbox.advance_clock(Duration::from_secs(60));
    assert_eq!(
        sandbox.order(DEMO_MID, "3194H5LATE0001").unwrap().status,
        TradeStatus::TradeClosed
    );
    let raw = post_empty(&sandbox, "/sandbox/orders/3194H5LATE0001/pay");
    assert_eq!(raw.err_code(), "ORDER_CLOSED");
}

#[test]
fn a_bill_s_qr_code_opens_its_cashier_until_the_code_is_closed() {
    let sandbox = Sandbox::builder().start().unwrap();
    let qr = Merchant::new(DEMO_MID, DEMO_TID, "QRPAYDEFAULT").unwrap();
    let bill = BillFields::new(
        "3194QRBILL0001".parse().unwrap(),
        date!(2024 - 01 - 01),
        Fen(880),
    );
    let request = client(&sandbox)
        .prepare(&BillsGetQrCode::new(&qr, bill))
        .unwrap();
    let made = send(&sandbox, &request).json();
    let url = made["billQRCode"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/sandbox/qr/", sandbox.base_url())),
        "{url}"
    );
    let to_cashier = get(&sandbox, &local(&sandbox, url));
    assert_eq!(to_cashier.status, 302);
    let page = text(&get(
        &sandbox,
        &local(&sandbox, to_cashier.header("location").unwrap()),
    ));
    assert!(
        page.contains("¥8.80") && page.contains("Bill number"),
        "{page}"
    );
    assert!(
        page.contains("name=\"wallet\""),
        "a bill's payer picks a wallet"
    );
    let paid = post_form(
        &sandbox,
        "/sandbox/cashier",
        &format!("mid={DEMO_MID}&merOrderId=3194QRBILL0001&action=pay&wallet=unionpay"),
    );
    assert_eq!(paid.status, 200);
    assert_eq!(
        sandbox
            .order(DEMO_MID, "3194QRBILL0001")
            .unwrap()
            .target_sys
            .as_deref(),
        Some("UAC")
    );

    let code = made["qrCodeId"].as_str().unwrap();
    let close = client(&sandbox)
        .prepare(&chinaums::BillsCloseQrCode::new(&qr, code.parse().unwrap()))
        .unwrap();
    assert_eq!(send(&sandbox, &close).err_code(), "SUCCESS");
    assert_eq!(get(&sandbox, &local(&sandbox, url)).status, 410);
    assert_eq!(get(&sandbox, "/sandbox/qr/NOSUCHCODE").status, 404);
}

#[test]
fn the_dashboard_lists_orders_and_refunds_escaped() {
    let sandbox = Sandbox::start_demo().unwrap();
    let order = OrderFields::new(Fen(100)).order_desc("<script>alert(1)</script>");
    assert_eq!(open(&sandbox, &alipay("3194H5DASH0001", order)).status, 302);
    let page = get(&sandbox, "/sandbox/");
    assert_eq!(page.status, 200);
    let html = text(&page);
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<script"));
    for needle in [
        "3194DEMOPAID0001",
        "3194DEMOREFUND0001R1",
        "TRADE_REFUND",
        "3194H5DASH0001",
        "/v1/netpay/trade/h5-pay",
        "/sandbox/orders/3194H5DASH0001/cashier?mid=",
    ] {
        assert!(html.contains(needle), "{needle}");
    }
    assert!(!html.contains(sandbox.app_key()));
    // Its link to the cashier.
    let to = get(
        &sandbox,
        &format!("/sandbox/orders/3194H5DASH0001/cashier?mid={DEMO_MID}"),
    );
    assert_eq!(to.status, 302);
    assert_eq!(
        get(&sandbox, &local(&sandbox, to.header("location").unwrap())).status,
        200
    );
    assert_eq!(get(&sandbox, "/sandbox/nothing-here").status, 404);
    assert_eq!(sandbox.request_count(), 1, "only the H5 URL counted");
}
