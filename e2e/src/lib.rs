//! End-to-end scenarios that must behave the same on every runtime adapter; see `tests/`.
//!
//! A scenario is written once, as a function generic over [`Adapter`], and
//! [`on_every_adapter!`] turns it into one `#[test]` per adapter and executor:
//!
//! | module               | adapter              | how several queries run at once                  |
//! |----------------------|----------------------|--------------------------------------------------|
//! | `tokio_current_thread` | `chinaums-tokio`   | tasks spawned on a current-thread tokio runtime  |
//! | `tokio_multi_thread` | `chinaums-tokio`     | tasks spawned on a 2-worker tokio runtime        |
//! | `async_std_adapter`  | `chinaums-async-std` | futures joined under `async_std::task::block_on` |
//! | `smol_executor`      | `chinaums-async-std` | futures joined under `smol::block_on`            |
//! | `ureq_adapter`       | `chinaums-ureq`      | one OS thread per query (blocking)               |
//!
//! Where the adapters legitimately differ, a scenario says so with a `match` on
//! [`Adapter::KIND`] rather than with a weaker assertion.
#![forbid(unsafe_code)]

mod redis_server;
pub use redis_server::RedisServer;

// Every Rust block of every README compiles (and runs, unless marked `no_run`) as a doctest
// here, the one crate that depends on all the others.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct RootReadme;
#[cfg(doctest)]
#[doc = include_str!("../../runtimes/tokio/README.md")]
pub struct TokioReadme;
#[cfg(doctest)]
#[doc = include_str!("../../runtimes/async-std/README.md")]
pub struct AsyncStdReadme;
#[cfg(doctest)]
#[doc = include_str!("../../runtimes/ureq/README.md")]
pub struct UreqReadme;
#[cfg(doctest)]
#[doc = include_str!("../../sandbox/README.md")]
pub struct SandboxReadme;
#[cfg(doctest)]
#[doc = include_str!("../../cli/README.md")]
pub struct CliReadme;
#[cfg(doctest)]
#[doc = include_str!("../../redis/README.md")]
pub struct RedisReadme;

use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use chinaums::{
    AsyncTokenStore, Credentials, Delivery, Environment, Error, ErrorClass, TokenStore,
    TransportConfig, TransportError, TransportErrorKind,
};
use chinaums::{Merchant, Operation, PaymentQuery, PaymentQueryResponse};
use chinaums_sandbox::{
    DEMO_INST_MID, DEMO_MID, DEMO_PAID_ORDER, DEMO_TID, DEMO_UNPAID_ORDER, Sandbox,
};
use futures_util::future::join_all;

/// Which adapter (and executor) a scenario runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `chinaums-tokio` on a current-thread tokio runtime.
    Tokio,
    /// `chinaums-tokio` on a multi-thread tokio runtime.
    TokioMultiThread,
    /// `chinaums-async-std` under async-std's executor.
    AsyncStd,
    /// `chinaums-async-std` under smol's executor.
    Smol,
    /// `chinaums-ureq`, blocking.
    Ureq,
}

/// How to build an adapter client; `None` keeps the adapter's default.
#[derive(Clone, Default)]
pub struct Options {
    /// The total time allowed for one exchange.
    pub timeout: Option<Duration>,
    /// The cap on a response body, in bytes.
    pub max_response_bytes: Option<usize>,
    /// A PEM certificate to trust besides the built-in roots.
    pub root_pem: Option<String>,
    /// A store to share access tokens through, as each kind of adapter takes it.
    pub token_store: Option<SharedStore>,
}

/// One token store as both a blocking and an async store (a memory or Redis store is both).
#[derive(Clone)]
pub struct SharedStore {
    /// For the blocking adapter.
    pub blocking: Arc<dyn TokenStore>,
    /// For the async adapters.
    pub nonblocking: Arc<dyn AsyncTokenStore>,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("timeout", &self.timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("token_store", &self.token_store.is_some())
            .finish_non_exhaustive()
    }
}

impl Options {
    /// The adapter's defaults.
    pub fn new() -> Options {
        Options::default()
    }

    /// Sets the total timeout of one exchange.
    pub fn timeout(mut self, total: Duration) -> Options {
        self.timeout = Some(total);
        self
    }

    /// Sets the response body cap.
    pub fn max_response_bytes(mut self, n: usize) -> Options {
        self.max_response_bytes = Some(n);
        self
    }

    /// Shares access tokens through `store`.
    pub fn token_store<S: TokenStore + AsyncTokenStore>(mut self, store: S) -> Options {
        let store = Arc::new(store);
        self.token_store = Some(SharedStore {
            blocking: store.clone(),
            nonblocking: store,
        });
        self
    }

    /// Trusts the certificate(s) in `pem` as well.
    pub fn root_pem(mut self, pem: impl Into<String>) -> Options {
        self.root_pem = Some(pem.into());
        self
    }

    /// The one [`TransportConfig`] every adapter is built with (`ClientBuilder::transport`);
    /// fails if the root certificate PEM cannot be read.
    pub fn transport(&self) -> Result<TransportConfig, Error> {
        let mut config = TransportConfig::new();
        if let Some(timeout) = self.timeout {
            config = config.with_timeout(timeout);
        }
        if let Some(n) = self.max_response_bytes {
            config = config.with_max_response_bytes(n);
        }
        if let Some(pem) = &self.root_pem {
            config = config.add_root_certificate_pem(pem.as_bytes())?;
        }
        Ok(config)
    }
}

/// The result of one payment query.
pub type QueryResult = Result<PaymentQueryResponse, Error>;

/// What a scenario can run on every adapter: any operation that can move between threads
/// (tasks are spawned, blocking calls run on threads).
pub trait Op: Operation + Clone + Send + Sync + 'static {}

impl<O: Operation + Clone + Send + Sync + 'static> Op for O {}

/// One runtime adapter (and executor), driven from a plain blocking `#[test]`.
///
/// A value is one adapter client; clones share its connection pool (and, for tokio, its
/// runtime), so connection reuse can be observed across calls.
pub trait Adapter: Clone + Send + Sync + Sized + 'static {
    /// Which adapter this is.
    const KIND: Kind;

    /// Builds a client around `core` with `options`.
    fn build(core: chinaums::Client, options: &Options) -> Result<Self, Error>;

    /// Runs every operation at the same time (each on its own task or thread) and returns the
    /// results in the order of `ops`.
    fn run_all<O: Op>(&self, ops: &[O]) -> Vec<Result<O::Response, Error>>;

    /// Runs one operation to its end.
    fn run<O: Op>(&self, op: &O) -> Result<O::Response, Error>;

    /// A client with the adapter's defaults.
    fn new(core: chinaums::Client) -> Self {
        Self::with(core, &Options::new())
    }

    /// A client with `options`; panics (the test fails) if the adapter refuses them.
    fn with(core: chinaums::Client, options: &Options) -> Self {
        match Self::build(core, options) {
            Ok(client) => client,
            Err(e) => panic!("{:?}: the client does not build: {e}", Self::KIND),
        }
    }
}

/// `chinaums-tokio`, with the tokio runtime its calls run on: a current-thread runtime when
/// `WORKERS` is 0, else a multi-thread runtime with that many workers.
#[derive(Clone)]
pub struct TokioRuntime<const WORKERS: usize> {
    // Declared first so it is dropped first, while its runtime still runs.
    client: chinaums_tokio::Client,
    runtime: Arc<tokio::runtime::Runtime>,
}

/// `chinaums-tokio` on a current-thread runtime (what `#[tokio::test]` gives).
pub type Tokio = TokioRuntime<0>;

/// `chinaums-tokio` on a multi-thread runtime with 2 workers (what `#[tokio::main]` gives, on
/// a small machine).
pub type TokioMultiThread = TokioRuntime<2>;

impl<const WORKERS: usize> Adapter for TokioRuntime<WORKERS> {
    const KIND: Kind = if WORKERS == 0 {
        Kind::Tokio
    } else {
        Kind::TokioMultiThread
    };

    fn build(core: chinaums::Client, options: &Options) -> Result<Self, Error> {
        let mut runtime = if WORKERS == 0 {
            tokio::runtime::Builder::new_current_thread()
        } else {
            let mut multi = tokio::runtime::Builder::new_multi_thread();
            multi.worker_threads(WORKERS);
            multi
        };
        let runtime = runtime.enable_all().build().map_err(|e| {
            Error::config(
                chinaums::ConfigErrorKind::Request,
                format!("cannot start a tokio runtime: {e}"),
            )
        })?;
        let mut builder =
            chinaums_tokio::Client::builder(core).with_transport(options.transport()?);
        if let Some(store) = &options.token_store {
            builder = builder.token_store(store.nonblocking.clone());
        }
        let client = {
            let _inside = runtime.enter();
            builder.build()?
        };
        Ok(TokioRuntime {
            client,
            runtime: Arc::new(runtime),
        })
    }

    fn run_all<O: Op>(&self, ops: &[O]) -> Vec<Result<O::Response, Error>> {
        self.runtime.block_on(async {
            let tasks = ops.iter().cloned().map(|op| {
                let client = self.client.clone();
                tokio::spawn(async move { client.execute(&op).await })
            });
            join_all(tasks)
                .await
                .into_iter()
                .map(|joined| joined.expect("the task does not panic"))
                .collect()
        })
    }

    fn run<O: Op>(&self, op: &O) -> Result<O::Response, Error> {
        self.runtime.block_on(self.client.execute(op))
    }
}

/// Defines an adapter that is `chinaums-async-std` driven by an executor's `block_on`: the
/// adapter crate is the same under async-std and smol, only the executor differs.
macro_rules! async_std_crate_on {
    ($(#[$doc:meta])* $name:ident, $kind:expr, $block_on:path) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name(chinaums_async_std::Client);

        impl Adapter for $name {
            const KIND: Kind = $kind;

            fn build(core: chinaums::Client, options: &Options) -> Result<Self, Error> {
                let mut builder =
                    chinaums_async_std::Client::builder(core).with_transport(options.transport()?);
                if let Some(store) = &options.token_store {
                    builder = builder.token_store(store.nonblocking.clone());
                }
                builder.build().map($name)
            }

            fn run_all<O: Op>(&self, ops: &[O]) -> Vec<Result<O::Response, Error>> {
                $block_on(join_all(ops.iter().map(|op| self.0.execute(op))))
            }

            fn run<O: Op>(&self, op: &O) -> Result<O::Response, Error> {
                $block_on(self.0.execute(op))
            }
        }
    };
}

async_std_crate_on!(
    /// `chinaums-async-std` under async-std's executor.
    AsyncStd,
    Kind::AsyncStd,
    async_std::task::block_on
);

async_std_crate_on!(
    /// `chinaums-async-std` under smol's executor.
    Smol,
    Kind::Smol,
    smol::block_on
);

/// `chinaums-ureq`, blocking: one query on the calling thread, several on threads of their own.
#[derive(Clone)]
pub struct Ureq(chinaums_ureq::Client);

impl Adapter for Ureq {
    const KIND: Kind = Kind::Ureq;

    fn build(core: chinaums::Client, options: &Options) -> Result<Self, Error> {
        let mut builder = chinaums_ureq::Client::builder(core).with_transport(options.transport()?);
        if let Some(store) = &options.token_store {
            builder = builder.token_store(store.blocking.clone());
        }
        builder.build().map(Ureq)
    }

    fn run_all<O: Op>(&self, ops: &[O]) -> Vec<Result<O::Response, Error>> {
        std::thread::scope(|scope| {
            let threads: Vec<_> = ops
                .iter()
                .map(|op| scope.spawn(|| self.0.execute(op)))
                .collect();
            threads
                .into_iter()
                .map(|thread| thread.join().expect("the thread does not panic"))
                .collect()
        })
    }

    fn run<O: Op>(&self, op: &O) -> Result<O::Response, Error> {
        self.0.execute(op)
    }
}

/// Runs `ops` at the same time like [`Adapter::run_all`], but fails the test if they are not
/// all done within `limit` (a call left waiting forever for a token fetch, say).
pub fn run_all_within<A: Adapter, O: Op>(
    client: &A,
    ops: Vec<O>,
    limit: Duration,
) -> Vec<Result<O::Response, Error>> {
    let (done, results) = mpsc::channel();
    let client = client.clone();
    // A thread of its own, not a scoped one: a hung batch must not hang the test as well.
    std::thread::spawn(move || {
        let _ = done.send(client.run_all(&ops));
    });
    match results.recv_timeout(limit) {
        Ok(results) => results,
        Err(RecvTimeoutError::Timeout) => {
            panic!("{:?}: calls were still running after {limit:?}", A::KIND)
        }
        Err(RecvTimeoutError::Disconnected) => panic!("{:?}: the batch panicked", A::KIND),
    }
}

/// The sandbox's demo merchant.
pub fn demo_merchant() -> Merchant {
    Merchant::new(DEMO_MID, DEMO_TID, DEMO_INST_MID).expect("the demo merchant is valid")
}

/// A query for one of the sandbox's demo merchant's orders.
pub fn query(mer_order_id: &str) -> PaymentQuery {
    let order = mer_order_id.parse().expect("a valid merOrderId");
    PaymentQuery::new(&demo_merchant(), order)
}

/// `n` queries alternating between the demo paid order (even indices) and the demo unpaid one.
pub fn alternating_queries(n: usize) -> Vec<PaymentQuery> {
    (0..n)
        .map(|i| {
            query(if i % 2 == 0 {
                DEMO_PAID_ORDER
            } else {
                DEMO_UNPAID_ORDER
            })
        })
        .collect()
}

/// Asserts there is one answer per query and each is the demo order's: paid for the paid
/// order, not paid for any other.
pub fn assert_answers(queries: &[PaymentQuery], results: Vec<QueryResult>) {
    assert_eq!(results.len(), queries.len(), "one result per query");
    for (query, result) in queries.iter().zip(results) {
        let order = &query.mer_order_id;
        let answer = result.unwrap_or_else(|e| panic!("{order}: {e}"));
        assert_eq!(answer.mer_order_id.as_deref(), Some(order.as_str()));
        assert_eq!(answer.is_paid(), order == DEMO_PAID_ORDER, "{order}");
    }
}

/// A core client with made-up credentials for `base_url`, where no sandbox listens.
pub fn core_at(base_url: &str) -> chinaums::Client {
    let environment = Environment::custom(base_url).expect("a valid base URL");
    chinaums::Client::new(Credentials::new("app", "key"), environment)
}

/// A sandbox seeded with the demo orders, on HTTP.
pub fn demo() -> Sandbox {
    Sandbox::start_demo().expect("the sandbox starts")
}

/// A core client with the sandbox's credentials and base URL (body-signature auth).
pub fn core(sandbox: &Sandbox) -> chinaums::Client {
    chinaums::Client::new(sandbox.credentials(), sandbox.environment())
}

/// Asserts `error` is a transport error of `kind` with `delivery`, and that the core gives it
/// `class`.
pub fn assert_transport_error(
    error: &Error,
    class: ErrorClass,
    delivery: Delivery,
    kind: TransportErrorKind,
) {
    let t = transport(error);
    assert_eq!((t.delivery, t.kind), (delivery, kind), "{error}");
    assert_eq!(error.class(), class, "{error}");
}

/// Asserts the sandbox accepted `opened` connections where `expected` were needed, when
/// `exchanges` of the client's exchanges each followed another at once (so could have reused a
/// pooled connection).
///
/// Every adapter puts a keep-alive connection back in its pool as soon as the response is read,
/// except tokio on a multi-thread runtime: there hyper-util puts it back from a task it spawns,
/// which another worker may not have run yet when the next request looks in the pool, so each
/// such exchange may open one more connection. (On a current-thread runtime the task has run
/// by then in every run of these tests so far, so there the count is exact.)
pub fn assert_connections<A: Adapter>(opened: usize, expected: usize, exchanges: usize) {
    match A::KIND {
        Kind::TokioMultiThread => assert!(
            (expected..=expected + exchanges).contains(&opened),
            "{opened} connections: {expected} needed, {exchanges} exchanges that could reuse one"
        ),
        Kind::Tokio | Kind::AsyncStd | Kind::Smol | Kind::Ureq => {
            assert_eq!(opened, expected, "{:?}: connections opened", A::KIND)
        }
    }
}

/// The transport error inside `error`; panics (the test fails) if it is another kind.
pub fn transport(error: &Error) -> &TransportError {
    match error {
        Error::Transport(e) => e,
        other => panic!("expected a transport error, got {other:?}"),
    }
}

/// Defines one `#[test]` per adapter and executor for each generic scenario named:
/// `on_every_adapter!(a, b)` in a test file gives `tokio_current_thread::a`,
/// `tokio_multi_thread::a`, `async_std_adapter::a`, `smol_executor::a`, `ureq_adapter::a`, and
/// the same for `b`. Each scenario is a function
/// `fn a<A: Adapter>()` in the calling file.
#[macro_export]
macro_rules! on_every_adapter {
    ($($scenario:ident),* $(,)?) => {
        $crate::on_every_adapter!(@module tokio_current_thread, $crate::Tokio, $($scenario),*);
        $crate::on_every_adapter!(@module tokio_multi_thread, $crate::TokioMultiThread, $($scenario),*);
        $crate::on_every_adapter!(@module async_std_adapter, $crate::AsyncStd, $($scenario),*);
        $crate::on_every_adapter!(@module smol_executor, $crate::Smol, $($scenario),*);
        $crate::on_every_adapter!(@module ureq_adapter, $crate::Ureq, $($scenario),*);
    };
    (@module $module:ident, $adapter:path, $($scenario:ident),*) => {
        mod $module {
            $(
                #[test]
                fn $scenario() {
                    super::$scenario::<$adapter>();
                }
            )*
        }
    };
}
