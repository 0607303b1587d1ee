//! Notifications on the wire: a started sandbox POSTs them to a merchant's server of the test's
//! own (`common/listener.rs`, hyper on 127.0.0.1), which the core's `chinaums::notify::verify`
//! checks with the demo key. Schedules are compressed to milliseconds; every wait is for an
//! event, with a generous bound, never a measured time.

mod common;
#[path = "common/listener.rs"]
mod listener;

use std::time::Duration;

use chinaums::notify::{self, Notification, NotifyKey, SignType};
use chinaums::time::macros::date;
use chinaums::{
    BillFields, BillsGetQrCode, BillsRefund, Client, Fen, Merchant, Operation, PaymentState,
    Refund, RefundQuery, TradeStatus,
};
use chinaums_sandbox::{
    Channel, DEMO_MID, DEMO_NOTIFY_KEY, DEMO_TID, DeliveryAttempt, NotifyFamily, NotifyFault,
    Order, Sandbox,
};
use common::{demo_merchant, eventually, post, send};
use listener::{BOUND, Listener, Received, Reply, SUCCESS};

/// A short wait between re-deliveries: the tests never measure it.
const QUICK: Duration = Duration::from_millis(5);

fn key() -> NotifyKey {
    NotifyKey::new(DEMO_NOTIFY_KEY)
}

fn quick_sandbox() -> Sandbox {
    Sandbox::builder()
        .notify_schedule(vec![QUICK; 6])
        .start()
        .unwrap()
}

/// An unpaid order of the demo merchant whose notifications go to `url`.
fn unpaid(id: &str, fen: u64, url: &str) -> Order {
    Order {
        notify_url: Some(url.to_owned()),
        attached_data: Some("table=3&note=靠窗 +1".to_owned()),
        ..Order::new(id, Fen(fen), TradeStatus::WaitBuyerPay)
    }
}

/// Verifies a received notification with the demo key, the way a merchant's handler does.
fn verify(received: &Received) -> Notification {
    assert_eq!(received.method, "POST");
    let content_type = received.content_type.as_deref();
    assert!(
        content_type.is_some_and(|c| c.starts_with("application/x-www-form-urlencoded")),
        "{content_type:?}"
    );
    notify::verify(&received.body, content_type, &key())
        .unwrap_or_else(|e| panic!("{e}: {}", received.text()))
}

/// The attempts recorded for `notify_id`, once `done` holds for them (waiting up to the bound).
fn attempts_when(
    sandbox: &Sandbox,
    notify_id: &str,
    done: impl Fn(&[DeliveryAttempt]) -> bool,
) -> Vec<DeliveryAttempt> {
    let of = || -> Vec<DeliveryAttempt> {
        sandbox
            .deliveries()
            .into_iter()
            .filter(|a| a.notify_id == notify_id)
            .collect()
    };
    assert!(
        eventually(|| done(&of())),
        "the delivery log never got there: {:?}",
        of()
    );
    of()
}

fn run<O: Operation>(sandbox: &Sandbox, client: &Client, op: &O) -> O::Response {
    client
        .call(op)
        .unwrap()
        .run_blocking(Duration::from_secs(5), |request| {
            sandbox
                .gateway()
                .handle(request, sandbox.now())
                .into_result()
        })
        .unwrap()
}

#[test]
fn a_payment_is_notified_signed_with_the_demo_key() {
    let shop = Listener::start(vec![SUCCESS]);
    let sandbox = quick_sandbox();
    assert_eq!(sandbox.notify_key(), key());
    sandbox.insert_order(unpaid("3194NOTIFY000001", 250, &shop.url("/notify?shop=1")));
    sandbox.pay("3194NOTIFY000001").unwrap();

    let received = shop.next();
    assert_eq!(
        received.target, "/notify?shop=1",
        "the notifyUrl as given, its own query included"
    );
    let notification = verify(&received);
    assert_eq!(notification.state(), PaymentState::Paid);
    assert_eq!(notification.mer_order_id(), Some("3194NOTIFY000001"));
    let Notification::Payment(paid) = &notification else {
        panic!("{notification:?}")
    };
    assert_eq!(paid.total_amount, Some(Fen(250)));
    assert_eq!(paid.mid.as_deref(), Some(DEMO_MID));
    assert_eq!(paid.sign_type, Some(SignType::Sha256));
    assert_eq!(paid.attached_data.as_deref(), Some("table=3&note=靠窗 +1"));
    assert!(paid.pay_time.is_some() && paid.target_order_id.is_some());
    assert!(
        notify::verify(&received.body, None, &NotifyKey::new("another key")).is_err(),
        "only the notification key verifies it"
    );

    let notify_id = notification.notify_id().unwrap().to_owned();
    let log = attempts_when(&sandbox, &notify_id, |a| a.len() == 1);
    let first = &log[0];
    assert_eq!(first.family, NotifyFamily::Payment);
    assert_eq!((first.attempt, first.status), (1, Some(200)));
    assert!(first.acknowledged && !first.duplicate);
    assert_eq!(
        (first.answer.as_str(), first.next_attempt_in),
        ("SUCCESS", None)
    );
    assert_eq!(first.url, shop.url("/notify?shop=1"));

    // The same, as JSON and on the dashboard; never the signature.
    let sign = notify::parse_form(&received.body).unwrap()["sign"].clone();
    let json = send(
        &sandbox,
        &http::Request::get(format!(
            "{}/sandbox/notifications?merOrderId=3194NOTIFY000001",
            sandbox.base_url()
        ))
        .body(Vec::new())
        .unwrap(),
    );
    assert_eq!(json.status, 200);
    let log = json.json();
    assert_eq!(log["count"], 1);
    assert_eq!(log["deliveries"][0]["notifyId"], notify_id.as_str());
    assert_eq!(log["deliveries"][0]["status"], 200);
    assert_eq!(log["deliveries"][0]["acknowledged"], true);
    assert_eq!(log["deliveries"][0]["family"], "payment");
    let text = String::from_utf8(json.body.clone()).unwrap();
    assert!(!text.contains(&sign) && !text.contains(DEMO_NOTIFY_KEY));
    let other = send(
        &sandbox,
        &http::Request::get(format!(
            "{}/sandbox/notifications?merOrderId=3194NOSUCH",
            sandbox.base_url()
        ))
        .body(Vec::new())
        .unwrap(),
    );
    assert_eq!(other.json()["count"], 0);
    let dashboard = send(
        &sandbox,
        &http::Request::get(format!("{}/sandbox/", sandbox.base_url()))
            .body(Vec::new())
            .unwrap(),
    );
    let html = String::from_utf8(dashboard.body.clone()).unwrap();
    assert!(html.contains(&notify_id), "the dashboard lists the attempt");
    assert!(!html.contains(&sign) && !html.contains(DEMO_NOTIFY_KEY));
}

#[test]
fn a_legacy_order_paid_through_the_control_api_is_signed_with_md5() {
    let shop = Listener::start(vec![SUCCESS]);
    let sandbox = quick_sandbox();
    sandbox.insert_order(unpaid("3194LEGACY000001", 100, &shop.url("/n")).with_md5_notifications());
    let paid = send(
        &sandbox,
        &post(&sandbox, "/sandbox/orders/3194LEGACY000001/pay", Vec::new()),
    );
    assert_eq!(paid.status, 200, "{:?}", paid.body);
    let received = shop.next();
    assert!(
        received.text().contains("signType=MD5"),
        "{}",
        received.text()
    );
    let Notification::Payment(payment) = verify(&received) else {
        panic!()
    };
    assert_eq!(payment.sign_type, Some(SignType::Md5));
    assert_eq!(payment.total_amount, Some(Fen(100)));
    // A key set on the builder signs instead of the demo one.
    let shop = Listener::start(vec![SUCCESS]);
    let own = Sandbox::builder()
        .notify_key("the-shops-own")
        .start()
        .unwrap();
    own.insert_order(unpaid("3194OWNKEY000001", 100, &shop.url("/n")));
    own.pay("3194OWNKEY000001").unwrap();
    let received = shop.next();
    assert!(notify::verify(&received.body, None, &key()).is_err());
    let verified = notify::verify(&received.body, None, &NotifyKey::new("the-shops-own"));
    assert_eq!(verified.unwrap().state(), PaymentState::Paid);
}

#[test]
fn a_500_twice_gets_a_third_attempt_and_then_no_more() {
    let shop = Listener::start(vec![
        Reply::Answer(500, "oops"),
        Reply::Answer(500, "oops"),
        SUCCESS,
    ]);
    let sandbox = quick_sandbox();
    sandbox.insert_order(unpaid("3194RETRY0000001", 100, &shop.url("/n")));
    sandbox.pay("3194RETRY0000001").unwrap();
    let bodies: Vec<Vec<u8>> = (0..3).map(|_| shop.next().body).collect();
    assert!(
        bodies.iter().all(|b| *b == bodies[0]),
        "the same body each time"
    );
    let notify_id = verify(&shop_received(&bodies[0]))
        .notify_id()
        .unwrap()
        .to_owned();
    let log = attempts_when(&sandbox, &notify_id, |a| {
        a.last().is_some_and(|last| last.acknowledged)
    });
    let seen: Vec<(u32, Option<u16>, bool, Option<Duration>)> = log
        .iter()
        .map(|a| (a.attempt, a.status, a.acknowledged, a.next_attempt_in))
        .collect();
    assert_eq!(
        seen,
        vec![
            (1, Some(500), false, Some(QUICK)),
            (2, Some(500), false, Some(QUICK)),
            (3, Some(200), true, None),
        ]
    );
    assert_eq!(log[0].answer, "oops");
    // Give a wrong retry many schedule lengths to show up, then stop the sandbox: the shop got
    // exactly three.
    std::thread::sleep(QUICK * 40);
    sandbox.shutdown();
    assert!(shop.try_next().is_none(), "no fourth attempt");
}

/// A received body as a [`Received`] (to verify it again).
fn shop_received(body: &[u8]) -> Received {
    Received {
        method: "POST".into(),
        target: "/".into(),
        content_type: Some("application/x-www-form-urlencoded".into()),
        body: body.to_vec(),
        index: 0,
    }
}

#[test]
fn an_answer_other_than_success_is_retried() {
    let shop = Listener::start(vec![
        Reply::Answer(200, "FAILED"),
        Reply::Answer(200, "success"),
        Reply::Answer(200, "{\"code\":\"SUCCESS\"}"),
        Reply::Answer(201, "SUCCESS"),
        Reply::Answer(200, " SUCCESS\r\n"),
    ]);
    let sandbox = quick_sandbox();
    sandbox.insert_order(unpaid("3194RETRY0000002", 100, &shop.url("/n")));
    sandbox.pay("3194RETRY0000002").unwrap();
    let first = shop.next();
    for _ in 1..5 {
        assert_eq!(shop.next().body, first.body);
    }
    let notify_id = verify(&first).notify_id().unwrap().to_owned();
    let log = attempts_when(&sandbox, &notify_id, |a| {
        a.last().is_some_and(|last| last.acknowledged)
    });
    let acknowledged: Vec<bool> = log.iter().map(|a| a.acknowledged).collect();
    assert_eq!(acknowledged, [false, false, false, false, true]);
    assert_eq!(log[3].status, Some(201));
    assert_eq!(log[4].answer, " SUCCESS\r\n");
}

#[test]
fn the_schedule_ends_and_a_dead_url_is_recorded_as_errors() {
    // A port nothing listens on any more: every attempt is refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/n", closed.local_addr().unwrap());
    drop(closed);
    let sandbox = Sandbox::builder()
        .notify_schedule(vec![QUICK, QUICK])
        .start()
        .unwrap();
    sandbox.insert_order(unpaid("3194DEADURL00001", 100, &url));
    sandbox.pay("3194DEADURL00001").unwrap();
    assert!(eventually(|| sandbox
        .deliveries()
        .iter()
        .any(|a| a.next_attempt_in.is_none())));
    let log = sandbox.deliveries();
    let attempts: Vec<u32> = log.iter().map(|a| a.attempt).collect();
    assert_eq!(
        attempts,
        [1, 2, 3],
        "the first delivery and two re-deliveries"
    );
    assert!(log.iter().all(|a| a.status.is_none() && a.error.is_some()));
    assert!(log.iter().all(|a| a.notify_id == log[0].notify_id));

    // An https:// URL can never be delivered by the sandbox: recorded once, not retried.
    sandbox.insert_order(unpaid("3194HTTPSURL0001", 100, "https://shop.test/n"));
    sandbox.pay("3194HTTPSURL0001").unwrap();
    assert!(eventually(|| sandbox
        .deliveries()
        .iter()
        .any(|a| a.mer_order_id == "3194HTTPSURL0001")));
    let https: Vec<DeliveryAttempt> = sandbox
        .deliveries()
        .into_iter()
        .filter(|a| a.mer_order_id == "3194HTTPSURL0001")
        .collect();
    assert_eq!(https.len(), 1);
    assert_eq!(https[0].next_attempt_in, None);
    assert!(https[0].error.as_deref().unwrap().contains("plain HTTP"));
}

#[test]
fn duplicates_are_delivered_with_the_same_notify_id() {
    let shop = Listener::start(vec![SUCCESS]);
    let sandbox = quick_sandbox();
    sandbox.set_notify_fault(Some(NotifyFault::Duplicate));
    sandbox.insert_order(unpaid("3194DUPLICATE001", 100, &shop.url("/n")));
    sandbox.pay("3194DUPLICATE001").unwrap();
    let (first, second) = (shop.next(), shop.next());
    assert_eq!(first.body, second.body, "byte for byte");
    let (a, b) = (verify(&first), verify(&second));
    assert_eq!(
        a.notify_id(),
        b.notify_id(),
        "a merchant can tell it is the same"
    );
    let log = attempts_when(&sandbox, a.notify_id().unwrap(), |a| a.len() == 2);
    assert_eq!(
        log.iter()
            .map(|a| (a.attempt, a.acknowledged, a.duplicate))
            .collect::<Vec<_>>(),
        [(1, true, false), (2, true, true)]
    );
    // Off again: one delivery.
    sandbox.set_notify_fault(None);
    sandbox.insert_order(unpaid("3194DUPLICATE002", 100, &shop.url("/n")));
    sandbox.pay("3194DUPLICATE002").unwrap();
    let single = verify(&shop.next());
    attempts_when(&sandbox, single.notify_id().unwrap(), |a| a.len() == 1);
    std::thread::sleep(QUICK * 40);
    assert!(shop.try_next().is_none(), "no duplicate without the fault");
}

fn refund(id: &str, refund_id: &str, fen: u64) -> Refund {
    Refund::new(
        &demo_merchant(),
        id.parse().unwrap(),
        refund_id.parse().unwrap(),
        Fen(fen),
    )
}

#[test]
fn refunds_are_notified_when_they_settle() {
    let shop = Listener::start(vec![SUCCESS]);
    let sandbox = quick_sandbox();
    let client = common::client(&sandbox);
    sandbox.insert_order(unpaid("3194REFUND000001", 500, &shop.url("/n")));
    sandbox.pay("3194REFUND000001").unwrap();
    assert!(matches!(verify(&shop.next()), Notification::Payment(_)));

    run(
        &sandbox,
        &client,
        &refund("3194REFUND000001", "3194REFUND000001R1", 200),
    );
    let notification = verify(&shop.next());
    assert_eq!(notification.state(), PaymentState::Refunded);
    let Notification::Refund(r) = &notification else {
        panic!("{notification:?}")
    };
    assert_eq!(r.refund_order_id.as_deref(), Some("3194REFUND000001R1"));
    assert_eq!(r.refund_amount, Some(Fen(200)));
    assert_eq!(r.total_amount, Some(Fen(500)));
    assert_eq!(r.status, Some(TradeStatus::TradeRefund));
    assert!(r.refund_pay_time.is_some() && r.refund_target_order_id.is_some());

    // A repeat of the same refundOrderId refunds nothing, and notifies nothing; a PROCESSING
    // refund is notified when the refund query settles it.
    run(
        &sandbox,
        &client,
        &refund("3194REFUND000001", "3194REFUND000001R1", 200),
    );
    sandbox.set_refunds_pending_first(true);
    run(
        &sandbox,
        &client,
        &refund("3194REFUND000001", "3194REFUND000001R2", 100),
    );
    let query = RefundQuery::new(&demo_merchant(), "3194REFUND000001".parse().unwrap())
        .refund_order_id("3194REFUND000001R2".parse().unwrap());
    run(&sandbox, &client, &query);
    let Notification::Refund(settled) = verify(&shop.next()) else {
        panic!()
    };
    assert_eq!(
        settled.refund_order_id.as_deref(),
        Some("3194REFUND000001R2"),
        "the next notification is the settled refund, not the repeat"
    );
    assert_eq!(settled.extra["refundStatus"], "SUCCESS");
}

#[test]
fn out_of_order_the_refund_arrives_before_the_payment() {
    let shop = Listener::start(vec![SUCCESS]);
    let sandbox = quick_sandbox();
    let client = common::client(&sandbox);
    sandbox.set_notify_fault(Some(NotifyFault::OutOfOrder));
    sandbox.insert_order(unpaid("3194OUTOFORDER01", 300, &shop.url("/n")));
    sandbox.pay("3194OUTOFORDER01").unwrap();
    run(
        &sandbox,
        &client,
        &refund("3194OUTOFORDER01", "3194OUTOFORDER01R", 300),
    );
    let (first, second) = (verify(&shop.next()), verify(&shop.next()));
    assert!(
        matches!(first, Notification::Refund(_)),
        "the newer state first: {first:?}"
    );
    assert_eq!(second.state(), PaymentState::Paid, "then the older one");
    assert_ne!(first.notify_id(), second.notify_id());
}

#[test]
fn a_bill_payment_and_its_refund_are_notified() {
    let shop = Listener::start(vec![SUCCESS]);
    let sandbox = quick_sandbox();
    let client = common::client(&sandbox);
    let qr = Merchant::new(DEMO_MID, DEMO_TID, "QRPAYDEFAULT").unwrap();
    let bill = BillFields::new(
        "3194BILLNOTIFY01".parse().unwrap(),
        date!(2024 - 01 - 01),
        Fen(3600),
    )
    .bill_desc("3 号桌")
    .notify_url(shop.url("/bills").parse().unwrap());
    run(&sandbox, &client, &BillsGetQrCode::new(&qr, bill));
    sandbox
        .pay_with("3194BILLNOTIFY01", Channel::WeChat)
        .unwrap();
    let received = shop.next();
    assert_eq!(received.target, "/bills");
    let notification = verify(&received);
    assert_eq!(notification.state(), PaymentState::Paid);
    let Notification::Bill(paid) = &notification else {
        panic!("{notification:?}")
    };
    assert_eq!(paid.bill_no.as_deref(), Some("3194BILLNOTIFY01"));
    assert_eq!(paid.total_amount, Some(Fen(3600)));
    assert_eq!(paid.bill_desc.as_deref(), Some("3 号桌"));
    let payment = paid.bill_payment.as_ref().expect("billPayment, decoded");
    assert_eq!(payment.target_sys.as_deref(), Some("WXPay"));
    assert_eq!(payment.total_amount, Some(Fen(3600)));

    let refund = BillsRefund::new(
        &qr,
        "3194BILLNOTIFY01".parse().unwrap(),
        date!(2024 - 01 - 01),
        "3194BILLNOTIFYR1".parse().unwrap(),
        Fen(600),
    );
    run(&sandbox, &client, &refund);
    let refunded = verify(&shop.next());
    assert_eq!(refunded.state(), PaymentState::Refunded);
    let Notification::Bill(refunded) = refunded else {
        panic!()
    };
    let refund_payment = refunded.extra["refundBillPayment"].as_str().unwrap();
    let refund_payment: serde_json::Value = serde_json::from_str(refund_payment).unwrap();
    assert_eq!(refund_payment["merOrderId"], "3194BILLNOTIFYR1");
    assert_eq!(refund_payment["totalAmount"], 600);
}

#[test]
fn the_cashier_sends_the_payer_back_with_verified_parameters() {
    let sandbox = quick_sandbox();
    sandbox.insert_order(Order {
        return_url: Some("https://shop.test/paid?cart=42#done".into()),
        ..Order::new("3194RETURNURL001", Fen(990), TradeStatus::WaitBuyerPay)
    });
    let paid = send(
        &sandbox,
        &http::Request::post(format!("{}/sandbox/cashier", sandbox.base_url()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("mid={DEMO_MID}&merOrderId=3194RETURNURL001&action=pay").into_bytes())
            .unwrap(),
    );
    assert_eq!(paid.status, 303);
    let location = paid.header("location").unwrap();
    let rest = location
        .strip_prefix("https://shop.test/paid?")
        .unwrap_or_else(|| panic!("{location}"));
    let (query, fragment) = rest.split_once('#').unwrap();
    assert_eq!(fragment, "done");
    let fields = notify::verify_return_url(query, &key()).unwrap();
    assert_eq!(fields["merOrderId"], "3194RETURNURL001");
    assert_eq!(fields["status"], "TRADE_SUCCESS");
    assert_eq!(fields["totalAmount"], "990");
    assert_eq!(fields["signType"], "SHA256");
    assert_eq!(
        fields["cart"], "42",
        "the shop's own parameter, kept and signed"
    );
    let tampered = query.replace("totalAmount=990", "totalAmount=1");
    assert!(notify::verify_return_url(&tampered, &key()).is_err());
}

#[test]
fn pending_deliveries_do_not_block_shutdown() {
    // One merchant answers 500 (its re-delivery is 15 s away, the default schedule); another
    // never answers (its attempt may wait an hour).
    let failing = Listener::start(vec![Reply::Answer(500, "down")]);
    let hanging = Listener::start(vec![Reply::Hang]);
    let sandbox = Sandbox::builder()
        .notify_timeout(Duration::from_secs(3600))
        .start()
        .unwrap();
    sandbox.insert_order(unpaid("3194SHUTDOWN0001", 100, &failing.url("/n")));
    sandbox.insert_order(unpaid("3194SHUTDOWN0002", 100, &hanging.url("/n")));
    sandbox.pay("3194SHUTDOWN0001").unwrap();
    sandbox.pay("3194SHUTDOWN0002").unwrap();
    failing.next();
    hanging.next();
    assert!(eventually(|| sandbox
        .deliveries()
        .iter()
        .any(|a| a.next_attempt_in.is_some())));
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        sandbox.shutdown();
        let _ = done_tx.send(());
    });
    done_rx
        .recv_timeout(BOUND)
        .expect("shutdown returned with deliveries pending");
}
