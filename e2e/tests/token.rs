//! OPEN-ACCESS-TOKEN end to end, the same scenarios on every adapter (tokio on a current-thread
//! and on a multi-thread runtime, async-std, smol, blocking ureq), over real HTTP against the
//! sandbox on 127.0.0.1. The token flow is where the
//! core's `Step::Wait` comes from: calls that find a fetch under way wait for it.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chinaums::{AuthScheme, Clock, Delivery, ErrorClass, FixedClock, PaymentState};
use chinaums_e2e::{
    Adapter, Options, alternating_queries, assert_answers, assert_connections, on_every_adapter,
    query, run_all_within, transport,
};
use chinaums_sandbox::{DEMO_PAID_ORDER, DEMO_UNPAID_ORDER, Fault, Sandbox};

fn token_core(sandbox: &Sandbox, clock: Arc<dyn Clock>) -> chinaums::Client {
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
fn query_with_token<A: Adapter>() {
    let sandbox = demo_sandbox();
    let client = A::new(token_core(&sandbox, Arc::new(chinaums::SystemClock)));
    let paid = client.run(&query(DEMO_PAID_ORDER)).unwrap();
    assert!(paid.is_paid());
    assert_eq!(paid.total_amount.map(|f| f.get()), Some(100));
    let unpaid = client.run(&query(DEMO_UNPAID_ORDER)).unwrap();
    assert_eq!(unpaid.state(), PaymentState::NotPaid);
    assert_eq!(sandbox.token_fetch_count(), 1);
    assert_eq!(sandbox.request_count(), 2);
}

/// The token expires on the server mid-run (its clock moved past the hour) while the client
/// still holds it: the rejected call refreshes once and retries once.
fn token_expires_on_the_server_mid_run<A: Adapter>() {
    let sandbox = demo_sandbox();
    let core = token_core(&sandbox, Arc::new(FixedClock::new(real_now())));
    let client = A::new(core.clone());
    client.run(&query(DEMO_PAID_ORDER)).unwrap();
    sandbox.advance_clock(Duration::from_secs(61 * 60));
    let again = client.run(&query(DEMO_PAID_ORDER)).unwrap();
    assert!(again.is_paid());
    assert_eq!(sandbox.token_fetch_count(), 2);
    assert_eq!(core.token_fetches_started(), 2);
    // first query, the rejected one, its retry
    assert_eq!(sandbox.request_count(), 3);
}

/// The platform revokes the token: the rejected call refreshes once and is retried once, on the
/// same pooled connection.
fn a_revoked_token_is_refreshed_once_and_the_call_retried<A: Adapter>() {
    let sandbox = demo_sandbox();
    let client = A::new(token_core(&sandbox, Arc::new(chinaums::SystemClock)));
    assert!(client.run(&query(DEMO_PAID_ORDER)).unwrap().is_paid());
    sandbox.revoke_tokens();
    assert!(client.run(&query(DEMO_PAID_ORDER)).unwrap().is_paid());
    assert_eq!(sandbox.token_fetch_count(), 2);
    // First query, the rejected second query, its retry.
    assert_eq!(sandbox.request_count(), 3);
    // Two token fetches and three queries, on one connection.
    assert_connections::<A>(sandbox.connection_count(), 1, 4);
}

/// Both clocks move near the hour: the client refreshes before sending, so no request is
/// rejected.
fn token_refreshed_before_expiry<A: Adapter>() {
    let sandbox = demo_sandbox();
    let clock = Arc::new(FixedClock::new(real_now()));
    let client = A::new(token_core(&sandbox, clock.clone()));
    client.run(&query(DEMO_PAID_ORDER)).unwrap();
    let near_expiry = Duration::from_secs(56 * 60);
    clock.advance(near_expiry);
    sandbox.advance_clock(near_expiry);
    client.run(&query(DEMO_PAID_ORDER)).unwrap();
    assert_eq!(sandbox.token_fetch_count(), 2);
    assert_eq!(
        sandbox.request_count(),
        2,
        "no request was sent with the old token"
    );
}

/// 100 concurrent queries with no token cached cause exactly one token fetch: every call but
/// the first finds the fetch in progress and waits for it.
fn hundred_concurrent_queries_fetch_one_token<A: Adapter>() {
    let sandbox = demo_sandbox();
    // A slow token endpoint makes sure the calls really overlap the fetch.
    sandbox.set_token_fault(Some(Fault::Delay(Duration::from_millis(300))));
    let core = token_core(&sandbox, Arc::new(chinaums::SystemClock));
    let client = A::new(core.clone());
    let queries = alternating_queries(100);
    let results = run_all_within(&client, queries.clone(), Duration::from_secs(10));
    assert_answers(&queries, results);
    assert_eq!(sandbox.token_fetch_count(), 1);
    assert_eq!(core.token_fetches_started(), 1);
    assert_eq!(sandbox.request_count(), 100);
}

/// The token endpoint drops its connections: every call, waiting ones included, fails as not
/// sent (no business request went out), and the client works once the endpoint recovers.
fn a_failing_token_endpoint_fails_every_waiting_call_as_not_sent<A: Adapter>() {
    let sandbox = demo_sandbox();
    sandbox.set_token_fault(Some(Fault::DropConnection));
    let core = token_core(&sandbox, Arc::new(chinaums::SystemClock));
    let client = A::new(core.clone());
    let queries = vec![query(DEMO_PAID_ORDER); 4];
    for result in run_all_within(&client, queries, Duration::from_secs(10)) {
        let error = result.unwrap_err();
        assert_eq!(error.class(), ErrorClass::Retryable, "{error}");
        assert_eq!(transport(&error).delivery, Delivery::NotSent, "{error}");
    }
    assert_eq!(sandbox.request_count(), 0, "no business request went out");
    // Callers that found the fetch in progress shared its failure instead of fetching again.
    // (The sandbox counts a token as issued before the fault drops its answer.)
    let started = core.token_fetches_started();
    assert!((1..=4).contains(&started), "{started} fetches for 4 calls");
    assert_eq!(sandbox.token_fetch_count() as u64, started);

    // Once the endpoint recovers, the same client works.
    sandbox.set_token_fault(None);
    assert!(client.run(&query(DEMO_PAID_ORDER)).unwrap().is_paid());
    assert_eq!(core.token_fetches_started(), started + 1);
    assert_eq!(sandbox.request_count(), 1);
}

/// Another call of the same client took the token fetch and never finishes it: a call that
/// waits for it ends within the adapter's timeout, retryable and saying why, with nothing sent;
/// once the stuck call goes away, the client works.
fn a_stuck_token_fetch_bounds_the_waiting_call<A: Adapter>() {
    let sandbox = demo_sandbox();
    let core = token_core(&sandbox, Arc::new(chinaums::SystemClock));
    let timeout = Duration::from_millis(300);
    let client = A::with(core.clone(), &Options::new().timeout(timeout));
    let mut stuck = core.call(&query(DEMO_PAID_ORDER)).unwrap();
    let chinaums::Step::Send(_) = stuck.start() else {
        panic!("the first call fetches the token")
    };
    // `run_all_within` fails the test if the waiting call is not over within 10 s.
    let results = run_all_within(
        &client,
        vec![query(DEMO_PAID_ORDER)],
        Duration::from_secs(10),
    );
    let error = results.into_iter().next().unwrap().unwrap_err();
    assert_eq!(error.class(), ErrorClass::Retryable, "{error}");
    assert!(error.to_string().contains("access-token fetch"), "{error}");
    assert_eq!(sandbox.token_fetch_count(), 0);
    assert_eq!(sandbox.request_count(), 0);
    drop(stuck);
    assert!(client.run(&query(DEMO_PAID_ORDER)).unwrap().is_paid());
    assert_eq!(sandbox.token_fetch_count(), 1);
}

on_every_adapter!(
    query_with_token,
    a_stuck_token_fetch_bounds_the_waiting_call,
    token_expires_on_the_server_mid_run,
    a_revoked_token_is_refreshed_once_and_the_call_retried,
    token_refreshed_before_expiry,
    hundred_concurrent_queries_fetch_one_token,
    a_failing_token_endpoint_fails_every_waiting_call_as_not_sent,
);
