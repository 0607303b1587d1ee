//! Access tokens shared through a store, end to end on every adapter against the sandbox:
//! several "processes" (clients with caches of their own) fetch one token between them; a store
//! that fails or hangs costs a warning and a fetch per process, never a failed call. The
//! same with a real Redis and real OS processes is in `fleet.rs`.

use std::time::Duration;

use chinaums::{
    AsyncTokenStore, AuthScheme, Lease, MemoryTokenStore, StoreError, StoreFuture, StoredToken,
    TokenStore,
};
use chinaums_e2e::{
    Adapter, Options, alternating_queries, assert_answers, on_every_adapter, run_all_within,
};
use chinaums_sandbox::{Fault, Sandbox};

fn sandbox() -> Sandbox {
    Sandbox::builder().seed_demo(true).start().unwrap()
}

/// A client of its own (its own token cache), as a separate process would have.
fn process(sandbox: &Sandbox) -> chinaums::Client {
    chinaums::Client::builder(sandbox.credentials(), sandbox.environment())
        .auth(AuthScheme::AccessToken)
        .token_poll_interval(Duration::from_millis(20))
        .build()
}

/// Four processes, 25 concurrent queries each, all at once, over one shared store: one token
/// fetch in all, and every query answered.
fn processes_sharing_a_store_fetch_one_token<A: Adapter>() {
    let sandbox = sandbox();
    // A slow token endpoint makes sure the processes really overlap the fetch.
    sandbox.set_token_fault(Some(Fault::Delay(Duration::from_millis(300))));
    let store = MemoryTokenStore::new();
    let cores: Vec<_> = (0..4).map(|_| process(&sandbox)).collect();
    std::thread::scope(|scope| {
        for core in &cores {
            let client = A::with(core.clone(), &Options::new().token_store(store.clone()));
            scope.spawn(move || {
                let queries = alternating_queries(25);
                let results = run_all_within(&client, queries.clone(), Duration::from_secs(20));
                assert_answers(&queries, results);
            });
        }
    });
    assert_eq!(
        sandbox.token_fetch_count(),
        1,
        "one fetch for four processes"
    );
    let started: u64 = cores.iter().map(|c| c.token_fetches_started()).sum();
    assert_eq!(started, 1);
    assert_eq!(sandbox.request_count(), 100);
    let shared = TokenStore::load(&store, sandbox.app_id()).unwrap();
    assert!(shared.is_some(), "the token was published");
}

/// A store that fails every operation: each process fetches for itself, as without a store,
/// and every call succeeds.
fn a_failing_store_degrades_to_one_fetch_per_process<A: Adapter>() {
    let sandbox = sandbox();
    let cores: Vec<_> = (0..2).map(|_| process(&sandbox)).collect();
    for core in &cores {
        let client = A::with(core.clone(), &Options::new().token_store(Broken::Fails));
        let queries = alternating_queries(5);
        let results = run_all_within(&client, queries.clone(), Duration::from_secs(20));
        assert_answers(&queries, results);
        assert_eq!(core.token_fetches_started(), 1);
        assert!(core.token_store_failures() >= 1);
    }
    assert_eq!(sandbox.token_fetch_count(), 2);
}

/// A store that never answers (an async one) or answers only after its own timeout (a blocking
/// one): the call gives up on it within the adapter's timeout and succeeds without it.
fn a_hanging_store_is_bounded_and_skipped<A: Adapter>() {
    let sandbox = sandbox();
    let core = process(&sandbox);
    let options = Options::new()
        .timeout(Duration::from_millis(500))
        .token_store(Broken::Hangs);
    let client = A::with(core.clone(), &options);
    let queries = alternating_queries(3);
    let results = run_all_within(&client, queries.clone(), Duration::from_secs(20));
    assert_answers(&queries, results);
    assert_eq!(
        core.token_store_failures(),
        1,
        "one load gave up, then no store"
    );
    assert_eq!(sandbox.token_fetch_count(), 1);
}

on_every_adapter!(
    processes_sharing_a_store_fetch_one_token,
    a_failing_store_degrades_to_one_fetch_per_process,
    a_hanging_store_is_bounded_and_skipped,
);

/// A store that is down.
#[derive(Clone, Copy)]
enum Broken {
    /// Every operation fails at once.
    Fails,
    /// Async: every operation pends forever. Blocking: it fails after 100 ms (a blocking
    /// store bounds its own time).
    Hangs,
}

impl Broken {
    fn blocking<T>(self) -> Result<T, StoreError> {
        if let Broken::Hangs = self {
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(StoreError::new("connection refused"))
    }

    fn nonblocking<'a, T: Send + 'a>(self) -> StoreFuture<'a, T> {
        match self {
            Broken::Fails => Box::pin(std::future::ready(Err(StoreError::new(
                "connection refused",
            )))),
            Broken::Hangs => Box::pin(std::future::pending()),
        }
    }
}

impl TokenStore for Broken {
    fn load(&self, _: &str) -> Result<Option<StoredToken>, StoreError> {
        self.blocking()
    }
    fn try_lease(&self, _: &str, _: &Lease) -> Result<bool, StoreError> {
        self.blocking()
    }
    fn publish(&self, _: &str, _: &StoredToken, _: &Lease) -> Result<(), StoreError> {
        self.blocking()
    }
    fn release(&self, _: &str, _: &Lease) -> Result<(), StoreError> {
        self.blocking()
    }
}

impl AsyncTokenStore for Broken {
    fn load<'a>(&'a self, _: &'a str) -> StoreFuture<'a, Option<StoredToken>> {
        self.nonblocking()
    }
    fn try_lease<'a>(&'a self, _: &'a str, _: &'a Lease) -> StoreFuture<'a, bool> {
        self.nonblocking()
    }
    fn publish<'a>(&'a self, _: &'a str, _: &'a StoredToken, _: &'a Lease) -> StoreFuture<'a, ()> {
        self.nonblocking()
    }
    fn release<'a>(&'a self, _: &'a str, _: &'a Lease) -> StoreFuture<'a, ()> {
        self.nonblocking()
    }
}
