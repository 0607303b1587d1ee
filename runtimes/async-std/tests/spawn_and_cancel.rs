//! What is particular to this adapter, against the local `chinaums-sandbox` on 127.0.0.1:
//! its futures can be spawned on either executor, and dropping one does not abort the exchange
//! already under way on the `blocking` pool. The scenarios every adapter shares (orders,
//! faults, timeout, body cap, connection reuse, HTTPS, tokens) run under both async-std and
//! smol in the `chinaums-e2e` crate.

use std::future::Future;
use std::time::Duration;

use chinaums::{Merchant, PaymentQuery, PaymentState, TransportConfig};
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

/// The query for one of the demo merchant's orders.
fn query(order: &str) -> PaymentQuery {
    let merchant = Merchant::new(DEMO_MID, DEMO_TID, DEMO_INST_MID).unwrap();
    PaymentQuery::new(&merchant, order.parse().unwrap())
}

fn client(sandbox: &Sandbox) -> Client {
    let core = chinaums::Client::new(sandbox.credentials(), sandbox.environment());
    Client::builder(core)
        .with_transport(TransportConfig::new().with_timeout(Duration::from_secs(5)))
        .build()
        .unwrap()
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
