//! Access tokens shared across processes through a store, step by step: what a call asks of
//! the store, in which order, and what it does when the store fails. Several `Client`s stand in
//! for several processes; a `MemoryTokenStore` on a fixed clock stands in for Redis.

mod support;

use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use chinaums::test_response as response;
use chinaums::{
    AccessToken, AuthScheme, Call, Client, Credentials, Environment, ErrorClass, FixedClock,
    FixedNonce, Lease, MemoryTokenStore, Step, StoreAnswer, StoreError, StoreOp, StoredToken,
    TokenStore,
};
use chinaums::{Merchant, PaymentQuery, PaymentQueryResponse};
use http::StatusCode;
use support::*;

const LIMIT: Duration = Duration::from_secs(30);

/// How long a woken call may take to notice: generous, never a timing assertion.
const WAKE_BOUND: Duration = Duration::from_secs(10);

/// One "process": its own client (own cache) on the shared clock, a nonce of its own.
fn process(clock: &Arc<FixedClock>, nonce: &str) -> Client {
    Client::builder(Credentials::new(APP_ID, APP_KEY), Environment::Test)
        .shared_clock(clock.clone())
        .nonce_source(FixedNonce::new(nonce))
        .auth(AuthScheme::AccessToken)
        .token_lease_ttl(Duration::from_secs(2))
        .token_poll_interval(Duration::from_millis(100))
        .build()
}

fn noon() -> Arc<FixedClock> {
    Arc::new(FixedClock::from_unix(NOON_2024_UNIX))
}

fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(NOON_2024_UNIX + secs)
}

fn stored(token: &str, issued: u64, expires: u64) -> StoredToken {
    StoredToken {
        access_token: AccessToken::new(token),
        issued_at: at(issued),
        expires_at: at(expires),
    }
}

fn query() -> PaymentQuery {
    PaymentQuery::new(
        &Merchant::new("898201612345678", "88880001", "YUEDANDEFAULT").unwrap(),
        "31942024010112000000001234".parse().unwrap(),
    )
}

fn call(client: &Client) -> Call<PaymentQueryResponse> {
    client.call(&query()).unwrap().share_tokens(LIMIT)
}

fn token_reply(token: &str) -> http::Response<Vec<u8>> {
    response(
        StatusCode::OK,
        format!(
            r#"{{"errCode":"0000","errInfo":"正常","accessToken":"{token}","expiresIn":3600}}"#
        ),
    )
}

fn paid() -> http::Response<Vec<u8>> {
    response(
        StatusCode::OK,
        r#"{"errCode":"SUCCESS","status":"TRADE_SUCCESS","totalAmount":100}"#,
    )
}

fn store_op<R: std::fmt::Debug>(step: Step<R>) -> StoreOp {
    match step {
        Step::Store(op) => op,
        other => panic!("expected a store step, got {other:?}"),
    }
}

fn sent<R: std::fmt::Debug>(step: Step<R>) -> http::Request<Vec<u8>> {
    match step {
        Step::Send(request) => request,
        other => panic!("expected Send, got {other:?}"),
    }
}

fn authorization(request: &http::Request<Vec<u8>>) -> &str {
    request.headers()["authorization"].to_str().unwrap()
}

/// Runs `call` to the end against `store`, answering token requests with `token` and the
/// business request with `paid()`. Returns what happened, one word per step.
fn drive(
    call: &mut Call<PaymentQueryResponse>,
    store: &MemoryTokenStore,
    token: &str,
) -> Vec<String> {
    let mut log = Vec::new();
    let mut step = call.start();
    loop {
        step = match step {
            Step::Send(request) if request.uri().path() == "/v1/token/access" => {
                log.push("fetch".to_owned());
                call.receive(Ok(token_reply(token)))
            }
            Step::Send(request) => {
                log.push(format!("send {}", authorization(&request)));
                call.receive(Ok(paid()))
            }
            Step::Store(op) => {
                log.push(op_name(&op).to_owned());
                call.stored(op.run_blocking(store))
            }
            Step::Pause(pause) => {
                log.push(format!("pause {pause:?}"));
                call.resume()
            }
            Step::Wait(_) => panic!("one call at a time here"),
            Step::Done(result) => {
                assert!(result.unwrap().is_paid());
                return log;
            }
        }
    }
}

fn op_name(op: &StoreOp) -> &'static str {
    match op {
        StoreOp::Load { .. } => "load",
        StoreOp::Lease { .. } => "lease",
        StoreOp::Publish { .. } => "publish",
        StoreOp::Release { .. } => "release",
    }
}

#[test]
fn the_first_process_leases_fetches_and_publishes_the_next_one_only_loads() {
    let clock = noon();
    let store = MemoryTokenStore::with_clock(clock.clone());
    let a = process(&clock, "0123456789abcdef0123456789abcdef");
    let log = drive(&mut call(&a), &store, "shared-1");
    assert_eq!(
        log,
        [
            "load",
            "lease",
            "load",
            "fetch",
            "publish",
            "send OPEN-ACCESS-TOKEN AccessToken=shared-1"
        ]
    );
    // Published with the time it was asked for and its expiry, the lease released.
    let published = TokenStore::load(&store, APP_ID).unwrap().unwrap();
    assert_eq!(published, stored("shared-1", 0, 3600));
    let other = Lease {
        owner: "x".into(),
        ttl: Duration::from_secs(1),
    };
    assert!(TokenStore::try_lease(&store, APP_ID, &other).unwrap());
    TokenStore::release(&store, APP_ID, &other).unwrap();

    // Another process: one store read, no fetch.
    let b = process(&clock, "fedcba9876543210fedcba9876543210");
    clock.advance(Duration::from_secs(60));
    let log = drive(&mut call(&b), &store, "unused");
    assert_eq!(log, ["load", "send OPEN-ACCESS-TOKEN AccessToken=shared-1"]);
    assert_eq!(b.token_fetches_started(), 0);
    // And its next call uses its own cache: no store step at all.
    let log = drive(&mut call(&b), &store, "unused");
    assert_eq!(log, ["send OPEN-ACCESS-TOKEN AccessToken=shared-1"]);
    assert_eq!(
        a.token_fetches_started() + b.token_fetches_started(),
        1,
        "one fetch for the fleet"
    );
}

#[test]
fn the_lease_owner_is_the_nonce_and_its_ttl_the_setting() {
    let clock = noon();
    let a = process(&clock, "0123456789abcdef0123456789abcdef");
    let mut call = call(&a);
    assert_eq!(
        store_op(call.start()),
        StoreOp::Load {
            app_id: APP_ID.into()
        }
    );
    assert_eq!(
        store_op(call.stored(Ok(StoreAnswer::Loaded(None)))),
        StoreOp::Lease {
            app_id: APP_ID.into(),
            lease: Lease {
                owner: "0123456789abcdef0123456789abcdef".into(),
                ttl: Duration::from_secs(2)
            }
        }
    );
}

#[test]
fn a_process_waits_for_the_lease_holders_publication() {
    let clock = noon();
    let store = MemoryTokenStore::with_clock(clock.clone());
    let holder = Lease {
        owner: "other-process".into(),
        ttl: Duration::from_secs(2),
    };
    assert!(TokenStore::try_lease(&store, APP_ID, &holder).unwrap());

    let b = process(&clock, "fedcba9876543210fedcba9876543210");
    let mut call = call(&b);
    let op = store_op(call.start());
    let op = store_op(call.stored(op.run_blocking(&store)));
    assert!(matches!(op, StoreOp::Lease { .. }));
    let Step::Pause(pause) = call.stored(op.run_blocking(&store)) else {
        panic!("the lease is taken: pause")
    };
    assert_eq!(pause, Duration::from_millis(100));
    // Still nothing published: look, try the lease, pause again.
    let op = store_op(call.resume());
    let op = store_op(call.stored(op.run_blocking(&store)));
    assert!(matches!(
        call.stored(op.run_blocking(&store)),
        Step::Pause(_)
    ));
    // The holder publishes; the next look finds the token and sends with it.
    TokenStore::publish(&store, APP_ID, &stored("theirs", 0, 3600), &holder).unwrap();
    let op = store_op(call.resume());
    let request = sent(call.stored(op.run_blocking(&store)));
    assert_eq!(
        authorization(&request),
        "OPEN-ACCESS-TOKEN AccessToken=theirs"
    );
    assert_eq!(b.token_fetches_started(), 0);
}

/// Another process publishes (and releases its lease) after this one found the store empty but
/// before it asked for the lease: having taken the lease, it looks once more, uses that token
/// and gives the lease back, instead of fetching a second token.
#[test]
fn a_token_published_between_the_look_and_the_lease_is_used_not_fetched_again() {
    let clock = noon();
    let store = MemoryTokenStore::with_clock(clock.clone());
    let b = process(&clock, "fedcba9876543210fedcba9876543210");
    let mut call = call(&b);
    let load = store_op(call.start());
    let lease = store_op(call.stored(load.run_blocking(&store))); // empty
    // Meanwhile process A fetched and published; its lease is gone.
    let a_lease = Lease {
        owner: "a".into(),
        ttl: Duration::from_secs(2),
    };
    TokenStore::publish(&store, APP_ID, &stored("from-a", 0, 3600), &a_lease).unwrap();
    let recheck = store_op(call.stored(lease.run_blocking(&store)));
    assert!(matches!(recheck, StoreOp::Load { .. }), "{recheck:?}");
    let release = store_op(call.stored(recheck.run_blocking(&store)));
    assert!(matches!(release, StoreOp::Release { .. }), "{release:?}");
    let request = sent(call.stored(release.run_blocking(&store)));
    assert!(authorization(&request).ends_with("=from-a"));
    assert_eq!(b.token_fetches_started(), 0, "no second token");
    // And the lease was given back at once.
    let next = Lease {
        owner: "next".into(),
        ttl: Duration::from_secs(1),
    };
    assert!(TokenStore::try_lease(&store, APP_ID, &next).unwrap());
}

#[test]
fn a_dead_lease_holder_delays_the_others_by_at_most_the_lease_time() {
    let clock = noon();
    let store = MemoryTokenStore::with_clock(clock.clone());
    let dead = Lease {
        owner: "died-while-fetching".into(),
        ttl: Duration::from_secs(2),
    };
    assert!(TokenStore::try_lease(&store, APP_ID, &dead).unwrap());

    let b = process(&clock, "fedcba9876543210fedcba9876543210");
    let mut call = call(&b);
    let mut step = call.start();
    let mut paused = Duration::ZERO;
    let request = loop {
        step = match step {
            Step::Store(op) => call.stored(op.run_blocking(&store)),
            Step::Pause(pause) => {
                paused += pause;
                clock.advance(pause); // time passes as the adapter sleeps
                call.resume()
            }
            Step::Send(request) => break request,
            other => panic!("{other:?}"),
        };
    };
    assert_eq!(request.uri().path(), "/v1/token/access");
    assert!(
        paused >= Duration::from_secs(2) && paused <= Duration::from_millis(2100),
        "waited {paused:?} for a 2 s lease"
    );
    let op = store_op(call.receive(Ok(token_reply("mine"))));
    assert!(matches!(&op, StoreOp::Publish { token, .. } if token.access_token.expose() == "mine"));
}

#[test]
fn waiting_longer_than_the_limit_fails_retryable_and_unsent_and_so_do_local_waiters() {
    let clock = noon();
    let store = MemoryTokenStore::with_clock(clock.clone());
    let holder = Lease {
        owner: "slow".into(),
        ttl: Duration::from_secs(3600),
    };
    assert!(TokenStore::try_lease(&store, APP_ID, &holder).unwrap());
    let b = process(&clock, "fedcba9876543210fedcba9876543210");
    let mut call = b
        .call(&query())
        .unwrap()
        .share_tokens(Duration::from_millis(350));
    // A second call of the same process waits for the first, not for the store.
    let mut local = b.call(&query()).unwrap().share_tokens(LIMIT);
    let mut step = call.start();
    let Step::Wait(wait) = local.start() else {
        panic!("the second call of the process waits locally")
    };
    let mut pauses = 0;
    let error = loop {
        step = match step {
            Step::Store(op) => call.stored(op.run_blocking(&store)),
            Step::Pause(_) => {
                pauses += 1;
                call.resume()
            }
            Step::Done(Err(error)) => break error,
            other => panic!("{other:?}"),
        };
    };
    assert_eq!(pauses, 3, "three 100 ms pauses fit in 350 ms");
    assert_eq!(error.class(), ErrorClass::Retryable);
    assert!(
        error
            .to_string()
            .contains("another process's access-token fetch"),
        "{error}"
    );
    assert!(wait.wait_timeout(WAKE_BOUND), "the local waiter is woken");
    let Step::Done(Err(local_error)) = local.resume() else {
        panic!("the local waiter learns of the failure")
    };
    assert_eq!(local_error.to_string(), error.to_string());
}

#[test]
fn a_token_due_for_refresh_in_the_store_is_not_taken() {
    let clock = noon();
    let store = MemoryTokenStore::with_clock(clock.clone());
    let lease = Lease {
        owner: "earlier".into(),
        ttl: Duration::from_secs(1),
    };
    TokenStore::publish(&store, APP_ID, &stored("old", 0, 3600), &lease).unwrap();
    clock.advance(Duration::from_secs(3300)); // within the 5-minute refresh margin
    let a = process(&clock, "0123456789abcdef0123456789abcdef");
    let log = drive(&mut call(&a), &store, "renewed");
    assert_eq!(
        log,
        [
            "load",
            "lease",
            "load",
            "fetch",
            "publish",
            "send OPEN-ACCESS-TOKEN AccessToken=renewed"
        ]
    );
    let now_stored = TokenStore::load(&store, APP_ID).unwrap().unwrap();
    assert_eq!(now_stored, stored("renewed", 3300, 6900));
}

#[test]
fn a_token_the_platform_rejected_is_not_taken_from_the_store_again() {
    let clock = noon();
    let store = MemoryTokenStore::with_clock(clock.clone());
    let lease = Lease {
        owner: "earlier".into(),
        ttl: Duration::from_secs(1),
    };
    TokenStore::publish(&store, APP_ID, &stored("revoked", 0, 3600), &lease).unwrap();
    let a = process(&clock, "0123456789abcdef0123456789abcdef");
    let mut call = call(&a);
    let op = store_op(call.start());
    let request = sent(call.stored(op.run_blocking(&store)));
    assert!(authorization(&request).ends_with("=revoked"));
    let rejected = response(
        StatusCode::UNAUTHORIZED,
        r#"{"errCode":"INVALID_TOKEN","errInfo":"认证失败"}"#,
    );
    // Look again: the store still holds the revoked token, which is passed over.
    let op = store_op(call.receive(Ok(rejected)));
    assert!(matches!(op, StoreOp::Load { .. }));
    let op = store_op(call.stored(op.run_blocking(&store)));
    assert!(matches!(op, StoreOp::Lease { .. }), "{op:?}");
    // With the lease, one more look (the revoked token is passed over again), then the fetch.
    let op = store_op(call.stored(op.run_blocking(&store)));
    assert!(matches!(op, StoreOp::Load { .. }), "{op:?}");
    let fetch = sent(call.stored(op.run_blocking(&store)));
    assert_eq!(fetch.uri().path(), "/v1/token/access");
    let op = store_op(call.receive(Ok(token_reply("fresh"))));
    let request = sent(call.stored(op.run_blocking(&store)));
    assert!(authorization(&request).ends_with("=fresh"));
    // The fresh token replaced the revoked one for everyone.
    let shared = TokenStore::load(&store, APP_ID).unwrap().unwrap();
    assert_eq!(shared.access_token.expose(), "fresh");
}

#[test]
fn a_failing_store_degrades_to_this_processs_own_cache() {
    let clock = noon();
    let failed = || Err(StoreError::new("connection refused"));
    // Failing to load: fetch locally, publish nothing.
    let a = process(&clock, "0123456789abcdef0123456789abcdef");
    let mut call = call(&a);
    let _load = store_op(call.start());
    let fetch = sent(call.stored(failed()));
    assert_eq!(fetch.uri().path(), "/v1/token/access");
    let business = sent(call.receive(Ok(token_reply("local"))));
    assert!(authorization(&business).ends_with("=local"));
    let Step::Done(Ok(answer)) = call.receive(Ok(paid())) else {
        panic!()
    };
    assert!(answer.is_paid());
    assert_eq!(a.token_store_failures(), 1);

    // Failing to take the lease: the same.
    let b = process(&clock, "fedcba9876543210fedcba9876543210");
    let mut call = self::call(&b);
    let _load = store_op(call.start());
    let _lease = store_op(call.stored(Ok(StoreAnswer::Loaded(None))));
    assert_eq!(sent(call.stored(failed())).uri().path(), "/v1/token/access");

    // Failing to publish: the business request still goes out with the new token.
    let c = process(&clock, "00000000000000000000000000000000");
    let mut call = self::call(&c);
    let _load = store_op(call.start());
    let _lease = store_op(call.stored(Ok(StoreAnswer::Loaded(None))));
    let _recheck = store_op(call.stored(Ok(StoreAnswer::Leased(true))));
    let _fetch = sent(call.stored(Ok(StoreAnswer::Loaded(None))));
    let _publish = store_op(call.receive(Ok(token_reply("unpublished"))));
    let business = sent(call.stored(failed()));
    assert!(authorization(&business).ends_with("=unpublished"));
    assert_eq!(c.token_store_failures(), 1);
}

#[test]
fn a_failed_fetch_releases_the_lease_then_reports_the_error() {
    let clock = noon();
    let store = MemoryTokenStore::with_clock(clock.clone());
    let a = process(&clock, "0123456789abcdef0123456789abcdef");
    let mut call = call(&a);
    let op = store_op(call.start());
    let op = store_op(call.stored(op.run_blocking(&store)));
    let op = store_op(call.stored(op.run_blocking(&store)));
    let _fetch = sent(call.stored(op.run_blocking(&store)));
    let refused = response(
        StatusCode::OK,
        r#"{"errCode":"1002","errInfo":"AppId不存在"}"#,
    );
    let release = store_op(call.receive(Ok(refused)));
    assert!(matches!(release, StoreOp::Release { .. }));
    let Step::Done(Err(error)) = call.stored(release.run_blocking(&store)) else {
        panic!()
    };
    assert_eq!(error.class(), ErrorClass::Auth);
    // Released: another process may try at once.
    let next = Lease {
        owner: "next".into(),
        ttl: Duration::from_secs(1),
    };
    assert!(TokenStore::try_lease(&store, APP_ID, &next).unwrap());
}

#[test]
fn a_store_step_never_shows_the_token() {
    let op = StoreOp::Publish {
        app_id: APP_ID.into(),
        token: stored("30fabba831a447699f5a1fc056dfd4ee", 0, 3600),
        lease: Lease {
            owner: "o".into(),
            ttl: Duration::from_secs(1),
        },
    };
    let step: Step<PaymentQueryResponse> = Step::Store(op);
    let shown = format!("{step:?}");
    assert!(
        shown.contains("Publish") && !shown.contains("30fabba8"),
        "{shown}"
    );
}

#[test]
fn store_steps_out_of_order_are_refused_not_panicked() {
    let clock = noon();
    let a = process(&clock, "0123456789abcdef0123456789abcdef");
    let mut call = call(&a);
    let Step::Done(Err(error)) = call.stored(Ok(StoreAnswer::Done)) else {
        panic!()
    };
    assert!(error.to_string().contains("out of order"), "{error}");
    // The answer to the wrong question is refused as well.
    let mut call = self::call(&a);
    let _load = store_op(call.start());
    let Step::Done(Err(error)) = call.stored(Ok(StoreAnswer::Leased(true))) else {
        panic!()
    };
    assert!(error.to_string().contains("out of order"), "{error}");
    // ...and the process's lease was given back: the next call may fetch.
    let mut next = self::call(&a);
    assert!(matches!(store_op(next.start()), StoreOp::Load { .. }));
}

#[test]
fn without_sharing_or_with_body_sig_there_are_no_store_steps() {
    let clock = noon();
    let a = process(&clock, "0123456789abcdef0123456789abcdef");
    let mut plain = a.call(&query()).unwrap();
    assert_eq!(sent(plain.start()).uri().path(), "/v1/token/access");
    let body_sig = Client::builder(Credentials::new(APP_ID, APP_KEY), Environment::Test)
        .shared_clock(clock)
        .nonce_source(FixedNonce::new(NONCE))
        .build();
    let mut call = body_sig.call(&query()).unwrap().share_tokens(LIMIT);
    assert!(authorization(&sent(call.start())).starts_with("OPEN-BODY-SIG"));
}

/// A store that panics in the middle of a blocking run: the panic reaches that call only; a
/// call of the same process waiting for it is woken and fetches by itself.
#[test]
fn a_panicking_store_strands_nobody() {
    struct Panics(mpsc::SyncSender<()>);
    impl TokenStore for Panics {
        fn load(&self, _: &str) -> Result<Option<StoredToken>, StoreError> {
            let _ = self.0.send(());
            std::thread::sleep(Duration::from_millis(20));
            panic!("the store is down");
        }
        fn try_lease(&self, _: &str, _: &Lease) -> Result<bool, StoreError> {
            unreachable!()
        }
        fn publish(&self, _: &str, _: &StoredToken, _: &Lease) -> Result<(), StoreError> {
            unreachable!()
        }
        fn release(&self, _: &str, _: &Lease) -> Result<(), StoreError> {
            unreachable!()
        }
    }
    let clock = noon();
    let a = process(&clock, "0123456789abcdef0123456789abcdef");
    let (entered_tx, entered) = mpsc::sync_channel(1);
    let first = {
        let a = a.clone();
        std::thread::spawn(move || {
            let store = Panics(entered_tx);
            let _ = a
                .call(&query())
                .unwrap()
                .run_blocking_with_store(LIMIT, &store, |_| {
                    unreachable!("nothing is sent before the store answers")
                });
        })
    };
    entered
        .recv_timeout(WAKE_BOUND)
        .expect("the store was asked");
    let mut waiter = a.call(&query()).unwrap();
    match waiter.start() {
        Step::Wait(wait) => {
            assert!(wait.wait_timeout(WAKE_BOUND), "the waiter was stranded");
            assert!(first.join().is_err(), "the store's panic reached its call");
            assert_eq!(sent(waiter.resume()).uri().path(), "/v1/token/access");
        }
        // The first call had already unwound: this one fetches straight away.
        Step::Send(request) => {
            assert!(first.join().is_err());
            assert_eq!(request.uri().path(), "/v1/token/access");
        }
        other => panic!("{other:?}"),
    }
}
