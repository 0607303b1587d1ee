//! Hearing about payments end to end on every adapter: an order created through the adapter
//! with a `notifyUrl`, paid at the sandbox; the merchant's listener (a small hyper server here)
//! receives the signed form, the SDK verifies it, and the retries and duplicates a real
//! merchant meets are seen as such.

use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use chinaums::notify::{self, Notification};
use chinaums::{Fen, Merchant, OrderFields, PaymentState, WxUnifiedOrder};
use chinaums_e2e::{Adapter, core, on_every_adapter};
use chinaums_sandbox::{DEMO_MID, DEMO_TID, NotifyFault, Sandbox};
use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};

/// A notification as received: the content type and the raw body.
type Received = (Option<String>, Vec<u8>);

/// The merchant's notifyUrl: answers each request with the next of `answers` (then `SUCCESS`)
/// and hands every request it read to the test.
fn listener(answers: Vec<(u16, &'static str)>) -> (String, Receiver<Received>) {
    let (sent, received) = mpsc::channel();
    let (url_tx, url_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the listener");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let _ = url_tx.send(format!(
                "http://{}/ums/notify",
                listener.local_addr().unwrap()
            ));
            let answers = std::sync::Arc::new(std::sync::Mutex::new(answers.into_iter()));
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (sent, answers) = (sent.clone(), answers.clone());
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                        let (sent, answers) = (sent.clone(), answers.clone());
                        async move {
                            let content_type = request
                                .headers()
                                .get(hyper::header::CONTENT_TYPE)
                                .and_then(|v| v.to_str().ok())
                                .map(str::to_owned);
                            let body = request
                                .into_body()
                                .collect()
                                .await
                                .map(|b| b.to_bytes())
                                .unwrap_or_default();
                            let _ = sent.send((content_type, body.to_vec()));
                            let (status, text) =
                                answers.lock().unwrap().next().unwrap_or((200, "SUCCESS"));
                            let mut response =
                                Response::new(Full::new(Bytes::from_static(text.as_bytes())));
                            *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                            Ok::<_, Infallible>(response)
                        }
                    });
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, service)
                        .await;
                });
            }
        });
    });
    (
        url_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the listener starts"),
        received,
    )
}

/// A sandbox that re-delivers within milliseconds instead of seconds.
fn quick_sandbox() -> Sandbox {
    Sandbox::builder()
        .seed_demo(true)
        .notify_schedule(vec![Duration::from_millis(20); 5])
        .start()
        .expect("the sandbox starts")
}

fn next(received: &Receiver<Received>) -> Received {
    received
        .recv_timeout(Duration::from_secs(10))
        .expect("a notification within 10 s")
}

/// Creates an order through the adapter with `notify_url`, and pays it at the sandbox.
fn create_and_pay<A: Adapter>(sandbox: &Sandbox, notify_url: &str, order_id: &str) {
    let merchant = Merchant::new(DEMO_MID, DEMO_TID, "MINIDEFAULT").unwrap();
    let order = OrderFields::new(Fen(2500)).notify_url(notify_url.parse().unwrap());
    let create = WxUnifiedOrder::mini(
        &merchant,
        order_id.parse().unwrap(),
        order,
        "wx0123456789abcdef",
        "o-payer",
    );
    A::new(core(sandbox)).run(&create).unwrap();
    sandbox.pay(order_id).unwrap();
}

/// The listener answers 500 twice: the third delivery is acknowledged, and every delivery is
/// the same verified notification (one `notifyId`).
fn a_paid_order_is_notified_and_retried_until_acknowledged<A: Adapter>() {
    let sandbox = quick_sandbox();
    let (url, received) = listener(vec![(500, "oops"), (500, "oops")]);
    create_and_pay::<A>(&sandbox, &url, "3194E2ENOTIFY0001");
    let mut ids = HashSet::new();
    for _ in 0..3 {
        let (content_type, body) = next(&received);
        let notification = notify::verify(&body, content_type.as_deref(), &sandbox.notify_key())
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&body)));
        let Notification::Payment(paid) = &notification else {
            panic!("{notification:?}")
        };
        assert_eq!(paid.total_amount, Some(Fen(2500)));
        assert_eq!(notification.state(), PaymentState::Paid);
        assert_eq!(notification.mer_order_id(), Some("3194E2ENOTIFY0001"));
        ids.insert(notification.notify_id().unwrap().to_owned());
    }
    assert_eq!(ids.len(), 1, "re-deliveries keep their notifyId");
    // The sandbox saw two failures and then the acknowledgement.
    let acknowledged = wait_for(|| {
        let attempts: Vec<_> = sandbox
            .deliveries()
            .into_iter()
            .filter(|d| d.mer_order_id == "3194E2ENOTIFY0001")
            .collect();
        attempts.iter().any(|d| d.acknowledged).then_some(attempts)
    });
    assert_eq!(acknowledged.len(), 3, "{acknowledged:?}");
    assert_eq!(
        acknowledged
            .iter()
            .filter(|d| d.status == Some(500))
            .count(),
        2
    );
}

/// Duplicates happen: the same notification twice, detectable by its `notifyId`.
fn duplicates_are_detectable_by_notify_id<A: Adapter>() {
    let sandbox = quick_sandbox();
    sandbox.set_notify_fault(Some(NotifyFault::Duplicate));
    let (url, received) = listener(vec![]);
    create_and_pay::<A>(&sandbox, &url, "3194E2ENOTIFY0002");
    let key = sandbox.notify_key();
    let first = notify::verify(&next(&received).1, None, &key).unwrap();
    let second = notify::verify(&next(&received).1, None, &key).unwrap();
    assert_eq!(first.notify_id(), second.notify_id());
    assert_eq!(first.state(), PaymentState::Paid);
}

/// Polls `check` until it gives a value, for at most 10 s (a bound, not a timing assertion).
fn wait_for<T>(mut check: impl FnMut() -> Option<T>) -> T {
    for _ in 0..1000 {
        if let Some(value) = check() {
            return value;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("not within 10 s")
}

on_every_adapter!(
    a_paid_order_is_notified_and_retried_until_acknowledged,
    duplicates_are_detectable_by_notify_id,
);
