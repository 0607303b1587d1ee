//! OPEN-ACCESS-TOKEN end to end, the same scenarios on every adapter (tokio, async-std, smol,
//! blocking ureq), over real HTTP against the sandbox on 127.0.0.1.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chinaums::netpay::{PaymentQuery, PaymentQueryResponse};
use chinaums::{AuthScheme, Clock, Error, FixedClock, PaymentState};
use chinaums_sandbox::{
    DEMO_INST_MID, DEMO_MID, DEMO_PAID_ORDER, DEMO_TID, DEMO_UNPAID_ORDER, Fault, Sandbox,
};
use futures_util::future::join_all;

/// Runs a batch of queries concurrently through one adapter client built from `core`.
type Runner = fn(&chinaums::Client, Vec<PaymentQuery>) -> Vec<Result<PaymentQueryResponse, Error>>;

fn tokio_runner(
    core: &chinaums::Client,
    queries: Vec<PaymentQuery>,
) -> Vec<Result<PaymentQueryResponse, Error>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let client = chinaums_tokio::Client::new(core.clone()).unwrap();
    runtime.block_on(async {
        let tasks: Vec<_> = queries
            .into_iter()
            .map(|query| {
                let client = client.clone();
                tokio::spawn(async move { client.execute(&query).await })
            })
            .collect();
        join_all(tasks)
            .await
            .into_iter()
            .map(|joined| joined.unwrap())
            .collect()
    })
}

fn async_std_runner(
    core: &chinaums::Client,
    queries: Vec<PaymentQuery>,
) -> Vec<Result<PaymentQueryResponse, Error>> {
    let client = chinaums_async_std::Client::new(core.clone()).unwrap();
    async_std::task::block_on(join_all(queries.iter().map(|query| client.execute(query))))
}

fn smol_runner(
    core: &chinaums::Client,
    queries: Vec<PaymentQuery>,
) -> Vec<Result<PaymentQueryResponse, Error>> {
    let client = chinaums_async_std::Client::new(core.clone()).unwrap();
    smol::block_on(join_all(queries.iter().map(|query| client.execute(query))))
}

fn ureq_runner(
    core: &chinaums::Client,
    queries: Vec<PaymentQuery>,
) -> Vec<Result<PaymentQueryResponse, Error>> {
    let client = chinaums_ureq::Client::new(core.clone()).unwrap();
    std::thread::scope(|scope| {
        let threads: Vec<_> = queries
            .iter()
            .map(|query| scope.spawn(|| client.execute(query)))
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    })
}

fn query(order: &str) -> PaymentQuery {
    PaymentQuery::new(DEMO_MID, DEMO_TID, DEMO_INST_MID, order)
}

fn token_client(sandbox: &Sandbox, clock: Arc<dyn Clock>) -> chinaums::Client {
    chinaums::Client::builder(sandbox.credentials(), sandbox.environment())
        .shared_clock(clock)
        .auth(AuthScheme::AccessToken)
        .build()
}

#[allow(clippy::disallowed_methods)] // the tests' clock starts at the real time, like the sandbox's
fn real_now() -> SystemTime {
    SystemTime::now()
}

fn demo_sandbox() -> Sandbox {
    Sandbox::builder()
        .seed_demo(true)
        // The sandbox's clock is moved an hour ahead below; its freshness check must not be
        // what fails then.
        .max_skew(Duration::from_secs(3 * 3600))
        .start()
        .unwrap()
}

/// A query with token auth: one token fetch, then reused.
fn query_with_token(run: Runner) {
    let sandbox = demo_sandbox();
    let core = token_client(&sandbox, Arc::new(chinaums::SystemClock));
    let paid = run(&core, vec![query(DEMO_PAID_ORDER)])
        .pop()
        .unwrap()
        .unwrap();
    assert!(paid.is_paid());
    assert_eq!(paid.total_amount.map(|f| f.get()), Some(100));
    let unpaid = run(&core, vec![query(DEMO_UNPAID_ORDER)])
        .pop()
        .unwrap()
        .unwrap();
    assert_eq!(unpaid.state(), PaymentState::NotPaid);
    assert_eq!(sandbox.token_fetch_count(), 1);
    assert_eq!(sandbox.request_count(), 2);
}

/// The token expires on the server mid-run (its clock moved past the hour) while the client
/// still holds it: the rejected call refreshes once and retries once.
fn token_expires_on_the_server_mid_run(run: Runner) {
    let sandbox = demo_sandbox();
    let core = token_client(&sandbox, Arc::new(FixedClock::new(real_now())));
    run(&core, vec![query(DEMO_PAID_ORDER)])
        .pop()
        .unwrap()
        .unwrap();
    sandbox.advance_clock(Duration::from_secs(61 * 60));
    let again = run(&core, vec![query(DEMO_PAID_ORDER)])
        .pop()
        .unwrap()
        .unwrap();
    assert!(again.is_paid());
    assert_eq!(sandbox.token_fetch_count(), 2);
    assert_eq!(core.token_fetches_started(), 2);
    // first query, the rejected one, its retry
    assert_eq!(sandbox.request_count(), 3);
}

/// Both clocks move near the hour: the client refreshes before sending, so no request is
/// rejected.
fn token_refreshed_before_expiry(run: Runner) {
    let sandbox = demo_sandbox();
    let clock = Arc::new(FixedClock::new(real_now()));
    let core = token_client(&sandbox, clock.clone());
    run(&core, vec![query(DEMO_PAID_ORDER)])
        .pop()
        .unwrap()
        .unwrap();
    let near_expiry = Duration::from_secs(56 * 60);
    clock.advance(near_expiry);
    sandbox.advance_clock(near_expiry);
    run(&core, vec![query(DEMO_PAID_ORDER)])
        .pop()
        .unwrap()
        .unwrap();
    assert_eq!(sandbox.token_fetch_count(), 2);
    assert_eq!(
        sandbox.request_count(),
        2,
        "no request was sent with the old token"
    );
}

/// 100 concurrent queries with no token cached cause exactly one token fetch.
fn hundred_concurrent_queries_fetch_one_token(run: Runner) {
    let sandbox = demo_sandbox();
    // A slow token endpoint makes sure the calls really overlap the fetch.
    sandbox.set_token_fault(Some(Fault::Delay(Duration::from_millis(300))));
    let core = token_client(&sandbox, Arc::new(chinaums::SystemClock));
    let results = run(&core, (0..100).map(|_| query(DEMO_PAID_ORDER)).collect());
    assert_eq!(results.len(), 100);
    for result in results {
        assert!(result.unwrap().is_paid());
    }
    assert_eq!(sandbox.token_fetch_count(), 1);
    assert_eq!(core.token_fetches_started(), 1);
    assert_eq!(sandbox.request_count(), 100);
}

macro_rules! on_every_adapter {
    ($($adapter:ident => $runner:path),* $(,)?) => {$(
        mod $adapter {
            #[test]
            fn query_with_token() {
                super::query_with_token($runner);
            }
            #[test]
            fn token_expires_on_the_server_mid_run() {
                super::token_expires_on_the_server_mid_run($runner);
            }
            #[test]
            fn token_refreshed_before_expiry() {
                super::token_refreshed_before_expiry($runner);
            }
            #[test]
            fn hundred_concurrent_queries_fetch_one_token() {
                super::hundred_concurrent_queries_fetch_one_token($runner);
            }
        }
    )*};
}

on_every_adapter! {
    tokio_adapter => super::tokio_runner,
    async_std_adapter => super::async_std_runner,
    smol_executor => super::smol_runner,
    ureq_adapter => super::ureq_runner,
}
