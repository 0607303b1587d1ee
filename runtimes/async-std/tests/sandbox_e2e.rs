//! End to end over real HTTP (and HTTPS) against the local `chinaums-sandbox` on 127.0.0.1.
//! Every scenario runs twice: under `async_std::task::block_on` and under `smol::block_on`.

use std::future::Future;
use std::net::TcpListener;
use std::time::Duration;

use chinaums::netpay::PaymentQuery;
use chinaums::{
    Credentials, Delivery, Error, ErrorClass, PaymentState, TransportError, TransportErrorKind,
};
use chinaums_async_std::{Client, chinaums};
use chinaums_sandbox::{
    DEMO_INST_MID, DEMO_MID, DEMO_PAID_ORDER, DEMO_TID, DEMO_UNPAID_ORDER, Fault, Sandbox,
};

/// Runs the same async test body under async-std's and smol's `block_on`; the body gets the
/// runtime's name for its messages.
fn on_both<F, Fut>(body: F)
where
    F: Fn(&'static str) -> Fut,
    Fut: Future<Output = ()>,
{
    async_std::task::block_on(body("async-std"));
    smol::block_on(body("smol"));
}

fn query(order: &str) -> PaymentQuery {
    PaymentQuery::new(DEMO_MID, DEMO_TID, DEMO_INST_MID, order)
}

fn core(sandbox: &Sandbox) -> chinaums::Client {
    chinaums::Client::new(sandbox.credentials(), sandbox.environment())
}

fn client(sandbox: &Sandbox) -> Client {
    Client::builder(core(sandbox))
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

fn transport(e: &Error) -> &TransportError {
    match e {
        Error::Transport(t) => t,
        other => panic!("expected a transport error, got {other:?}"),
    }
}

/// Runs one faulted query and checks the client still works afterwards.
async fn faulted(sandbox: &Sandbox, client: &Client, fault: Fault) -> Error {
    sandbox.inject_fault(fault);
    let e = client.execute(&query(DEMO_PAID_ORDER)).await.unwrap_err();
    let after = client.execute(&query(DEMO_PAID_ORDER)).await.unwrap();
    assert_eq!(after.state(), PaymentState::Paid);
    e
}

#[test]
fn a_paid_order_is_paid_with_its_amount() {
    on_both(|rt| async move {
        let sandbox = Sandbox::start_demo().unwrap();
        let answer = client(&sandbox)
            .execute(&query(DEMO_PAID_ORDER))
            .await
            .unwrap();
        assert!(answer.is_paid(), "{rt}");
        assert_eq!(answer.state(), PaymentState::Paid, "{rt}");
        assert_eq!(answer.total_amount.map(|f| f.get()), Some(100), "{rt}");
        assert_eq!(sandbox.request_count(), 1, "{rt}");
    });
}

#[test]
fn an_unpaid_order_is_not_paid() {
    on_both(|rt| async move {
        let sandbox = Sandbox::start_demo().unwrap();
        let answer = client(&sandbox)
            .execute(&query(DEMO_UNPAID_ORDER))
            .await
            .unwrap();
        assert!(!answer.is_paid(), "{rt}");
        assert_eq!(answer.state(), PaymentState::NotPaid, "{rt}");
        assert_eq!(answer.total_amount.map(|f| f.get()), Some(2500), "{rt}");
    });
}

#[test]
fn an_unknown_order_is_not_found() {
    on_both(|rt| async move {
        let sandbox = Sandbox::start_demo().unwrap();
        let e = client(&sandbox)
            .execute(&query("3194NOSUCHORDER01"))
            .await
            .unwrap_err();
        assert_eq!(e.class(), ErrorClass::NotFound, "{rt}: {e}");
        assert_eq!(e.err_code(), Some("NO_ORDER"), "{rt}");
    });
}

#[test]
fn a_wrong_app_key_is_an_auth_failure() {
    on_both(|rt| async move {
        let sandbox = Sandbox::start_demo().unwrap();
        let core = chinaums::Client::new(
            Credentials::new(sandbox.app_id(), "not-the-right-key"),
            sandbox.environment(),
        );
        let e = Client::new(core)
            .unwrap()
            .execute(&query(DEMO_PAID_ORDER))
            .await
            .unwrap_err();
        assert_eq!(e.class(), ErrorClass::Auth, "{rt}: {e}");
        assert_eq!(e.status().map(|s| s.as_u16()), Some(401), "{rt}");
    });
}

#[test]
fn every_fault_gives_a_clear_error_and_the_client_recovers() {
    on_both(|rt| async move {
        let sandbox = Sandbox::start_demo().unwrap();
        let client = Client::builder(core(&sandbox))
            .max_response_bytes(16 * 1024)
            .build()
            .unwrap();

        sandbox.inject_fault(Fault::Delay(Duration::from_millis(50)));
        assert!(
            client
                .execute(&query(DEMO_PAID_ORDER))
                .await
                .unwrap()
                .is_paid()
        );
        sandbox.inject_fault(Fault::HugeBody(8 * 1024));
        assert!(
            client
                .execute(&query(DEMO_PAID_ORDER))
                .await
                .unwrap()
                .is_paid()
        );

        let e = faulted(&sandbox, &client, Fault::DropConnection).await;
        let t = transport(&e);
        assert_eq!(
            (t.delivery, t.kind),
            (Delivery::MaybeSent, TransportErrorKind::Io),
            "{rt}: {e}"
        );
        assert_eq!(e.class(), ErrorClass::OutcomeUnknown, "{rt}");

        let e = faulted(&sandbox, &client, Fault::InternalServerError).await;
        assert!(matches!(e, Error::Http(_)), "{rt}: {e:?}");
        assert_eq!(e.status().map(|s| s.as_u16()), Some(500), "{rt}");
        assert_eq!(e.class(), ErrorClass::OutcomeUnknown, "{rt}");

        let e = faulted(&sandbox, &client, Fault::Garbage).await;
        assert!(matches!(e, Error::Decode(_)), "{rt}: {e:?}");
        assert_eq!(e.class(), ErrorClass::OutcomeUnknown, "{rt}");

        let e = faulted(&sandbox, &client, Fault::TruncatedJson).await;
        assert!(matches!(e, Error::Decode(_)), "{rt}: {e:?}");
        assert_eq!(e.class(), ErrorClass::OutcomeUnknown, "{rt}");

        let e = faulted(&sandbox, &client, Fault::CutConnectionMidBody).await;
        let t = transport(&e);
        assert_eq!(
            (t.delivery, t.kind),
            (Delivery::MaybeSent, TransportErrorKind::Io),
            "{rt}: {e}"
        );
        assert_eq!(e.class(), ErrorClass::OutcomeUnknown, "{rt}");

        let e = faulted(&sandbox, &client, Fault::HugeBody(64 * 1024)).await;
        let t = transport(&e);
        assert_eq!(
            (t.delivery, t.kind),
            (Delivery::MaybeSent, TransportErrorKind::BodyTooLarge),
            "{rt}: {e}"
        );
        assert_eq!(e.class(), ErrorClass::OutcomeUnknown, "{rt}");
    });
}

#[test]
fn a_delay_longer_than_the_timeout_has_an_unknown_outcome() {
    on_both(|rt| async move {
        let sandbox = Sandbox::start_demo().unwrap();
        let client = Client::builder(core(&sandbox))
            .timeout(Duration::from_millis(300))
            .build()
            .unwrap();
        sandbox.inject_fault(Fault::Delay(Duration::from_secs(2)));
        let e = client.execute(&query(DEMO_PAID_ORDER)).await.unwrap_err();
        let t = transport(&e);
        assert_eq!(
            (t.delivery, t.kind),
            (Delivery::MaybeSent, TransportErrorKind::Timeout),
            "{rt}: {e}"
        );
        assert_eq!(e.class(), ErrorClass::OutcomeUnknown, "{rt}");
    });
}

#[test]
fn a_refused_connection_was_not_sent() {
    on_both(|rt| async move {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let core = chinaums::Client::new(
            Credentials::new("app", "key"),
            chinaums::Environment::custom(&format!("http://127.0.0.1:{port}")).unwrap(),
        );
        let e = Client::new(core)
            .unwrap()
            .execute(&query(DEMO_PAID_ORDER))
            .await
            .unwrap_err();
        let t = transport(&e);
        assert_eq!(
            (t.delivery, t.kind),
            (Delivery::NotSent, TransportErrorKind::Connect),
            "{rt}: {e}"
        );
        assert_eq!(e.class(), ErrorClass::Retryable, "{rt}");
    });
}

#[test]
fn sequential_queries_reuse_one_connection() {
    on_both(|rt| async move {
        let sandbox = Sandbox::start_demo().unwrap();
        let client = client(&sandbox);
        for order in [
            DEMO_PAID_ORDER,
            DEMO_UNPAID_ORDER,
            DEMO_PAID_ORDER,
            DEMO_UNPAID_ORDER,
        ] {
            client.execute(&query(order)).await.unwrap();
        }
        client
            .clone()
            .execute(&query(DEMO_PAID_ORDER))
            .await
            .unwrap();
        assert_eq!(sandbox.request_count(), 5, "{rt}");
        assert_eq!(sandbox.connection_count(), 1, "{rt}");
    });
}

#[test]
fn https_works_with_the_extra_root_and_fails_not_sent_without_it() {
    on_both(|rt| async move {
        let sandbox = Sandbox::builder()
            .seed_demo(true)
            .tls(true)
            .start()
            .unwrap();
        let ca = sandbox.ca_cert_pem().unwrap();
        let trusting = Client::builder(core(&sandbox))
            .add_root_certificate_pem(ca.as_bytes())
            .unwrap()
            .build()
            .unwrap();
        assert!(
            trusting
                .execute(&query(DEMO_PAID_ORDER))
                .await
                .unwrap()
                .is_paid(),
            "{rt}"
        );

        let e = Client::new(core(&sandbox))
            .unwrap()
            .execute(&query(DEMO_PAID_ORDER))
            .await
            .unwrap_err();
        let t = transport(&e);
        assert_eq!(
            (t.delivery, t.kind),
            (Delivery::NotSent, TransportErrorKind::Tls),
            "{rt}: {e}"
        );
        assert_eq!(sandbox.request_count(), 1, "{rt}");
    });
}

#[test]
fn concurrent_calls_run_side_by_side() {
    on_both(|rt| async move {
        let sandbox = Sandbox::start_demo().unwrap();
        let client = client(&sandbox);
        // Every answer takes 300 ms, so calls that overlap need connections of their own.
        sandbox.set_fault(Some(Fault::Delay(Duration::from_millis(300))));
        let (q1, q2, q3, q4) = (
            query(DEMO_PAID_ORDER),
            query(DEMO_UNPAID_ORDER),
            query(DEMO_PAID_ORDER),
            query(DEMO_UNPAID_ORDER),
        );
        let ((a, b), (c, d)) = smol::future::zip(
            smol::future::zip(client.execute(&q1), client.execute(&q2)),
            smol::future::zip(client.execute(&q3), client.execute(&q4)),
        )
        .await;
        let paid = [a, b, c, d].map(|r| r.unwrap().is_paid());
        assert_eq!(paid, [true, false, true, false], "{rt}");
        assert_eq!(sandbox.request_count(), 4, "{rt}");
        let opened = sandbox.connection_count();
        assert!(
            opened >= 2,
            "{rt}: the calls did not overlap ({opened} connection)"
        );

        // Afterwards the pooled connections are reused.
        sandbox.set_fault(None);
        client.execute(&q1).await.unwrap();
        assert_eq!(sandbox.connection_count(), opened, "{rt}");
    });
}

#[test]
fn spawned_calls_work_on_each_executor() {
    let sandbox = Sandbox::start_demo().unwrap();
    let client = client(&sandbox);
    let on_async_std = async_std::task::block_on(async_std::task::spawn(
        client.execute(&query(DEMO_PAID_ORDER)),
    ));
    assert!(on_async_std.unwrap().is_paid());
    let on_smol = smol::block_on(smol::spawn(client.execute(&query(DEMO_UNPAID_ORDER))));
    assert_eq!(on_smol.unwrap().state(), PaymentState::NotPaid);
    assert_eq!(sandbox.connection_count(), 1);
}

#[test]
fn dropping_the_future_does_not_abort_an_exchange_under_way() {
    on_both(|rt| async move {
        let sandbox = Sandbox::start_demo().unwrap();
        let client = client(&sandbox);
        sandbox.inject_fault(Fault::Delay(Duration::from_millis(200)));
        let mut call = Box::pin(client.execute(&query(DEMO_PAID_ORDER)));
        // One poll starts the exchange on the pool; wait until the server has the request.
        assert!(smol::future::poll_once(&mut call).await.is_none(), "{rt}");
        for _ in 0..200 {
            if sandbox.request_count() == 1 {
                break;
            }
            async_io_sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(sandbox.request_count(), 1, "{rt}");
        drop(call);
        // The exchange still runs to its end: its connection goes back to the pool and the
        // next call reuses it (an aborted exchange would have closed it).
        async_io_sleep(Duration::from_millis(1200)).await;
        client.execute(&query(DEMO_PAID_ORDER)).await.unwrap();
        assert_eq!(sandbox.request_count(), 2, "{rt}");
        assert_eq!(sandbox.connection_count(), 1, "{rt}");
    });
}

/// An executor-neutral sleep (smol's timer runs under any executor).
async fn async_io_sleep(d: Duration) {
    smol::Timer::after(d).await;
}
