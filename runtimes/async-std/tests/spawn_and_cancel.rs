//! What is particular to this adapter, against the local `chinaums-sandbox` on 127.0.0.1: its
//! futures can be spawned on either executor or driven by one that knows nothing of async-io,
//! and dropping one mid-flight closes its connection. The scenarios every adapter shares
//! (orders, faults, timeout, body cap, connection reuse, HTTPS, tokens) run under both
//! async-std and smol in the `chinaums-e2e` crate.

use std::future::Future;
use std::time::Duration;

use chinaums::{Merchant, PaymentQuery, PaymentState, TransportConfig};
use chinaums_async_std::{Client, chinaums};
use chinaums_sandbox::{
    DEMO_INST_MID, DEMO_MID, DEMO_PAID_ORDER, DEMO_TID, DEMO_UNPAID_ORDER, Fault, Sandbox,
};
use futures_util::future::join_all;

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

/// `futures_lite::future::block_on` only parks its thread: the sockets and timers are then
/// driven by async-io's own thread, and the calls work all the same.
#[test]
fn calls_work_under_an_executor_that_knows_nothing_of_async_io() {
    let sandbox = Sandbox::start_demo().unwrap();
    let client = client(&sandbox);
    let queries: Vec<_> = (0..4)
        .map(|i| query([DEMO_PAID_ORDER, DEMO_UNPAID_ORDER][i % 2]))
        .collect();
    let answers =
        futures_lite::future::block_on(join_all(queries.iter().map(|q| client.execute(q))));
    let paid: Vec<bool> = answers.into_iter().map(|a| a.unwrap().is_paid()).collect();
    assert_eq!(paid, [true, false, true, false]);
    assert_eq!(sandbox.request_count(), 4);
}

#[test]
fn dropping_the_future_closes_its_connection() {
    on_both(|rt| async move {
        let sandbox = Sandbox::start_demo().unwrap();
        let client = client(&sandbox);
        sandbox.inject_fault(Fault::Delay(Duration::from_millis(300)));
        let mut call = Box::pin(client.execute(&query(DEMO_PAID_ORDER)));
        // Drive the call until the server has its request (it then waits 300 ms to answer).
        let reached = futures_lite::future::or(
            async {
                let outcome = (&mut call).await;
                panic!("{rt}: the call ended before the server had its request: {outcome:?}")
            },
            async {
                for _ in 0..500 {
                    if sandbox.request_count() == 1 {
                        return true;
                    }
                    smol::Timer::after(Duration::from_millis(10)).await;
                }
                false
            },
        )
        .await;
        assert!(reached, "{rt}: the request never reached the server");
        drop(call);
        // The cancelled exchange's connection was closed, not pooled: the next call opens a
        // new one (it would have reused a pooled one, as the call after it does).
        let answer = client.execute(&query(DEMO_PAID_ORDER)).await.unwrap();
        assert!(answer.is_paid(), "{rt}");
        assert_eq!(sandbox.request_count(), 2, "{rt}");
        assert_eq!(sandbox.connection_count(), 2, "{rt}");
        // And that one is pooled as usual.
        client.execute(&query(DEMO_UNPAID_ORDER)).await.unwrap();
        assert_eq!(sandbox.connection_count(), 2, "{rt}");
    });
}
