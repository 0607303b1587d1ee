//! # chinaums-async-std
//!
//! An async runtime adapter for the [`chinaums`] SDK that is not tied to one executor: it runs
//! under async-std, under smol, and under any other executor (it needs no reactor of its own).
//!
//! **async-std is discontinued upstream** (its authors point to smol). This crate keeps its
//! name for users of async-std, but it is built on executor-neutral pieces: each call is driven
//! by [`chinaums_ureq::Client::run`] (blocking HTTP with ureq, rustls + ring, connection reuse,
//! timeout, body cap, honest delivery reporting) on the thread pool of the [`blocking`] crate,
//! the pool async-std and smol themselves use for blocking work.
//!
//! ```no_run
//! use chinaums_async_std::chinaums::{Merchant, PaymentQuery};
//! use chinaums_async_std::chinaums::{self, Credentials, Environment};
//!
//! let client = chinaums_async_std::Client::from_credentials(
//!     Credentials::new("my-app-id", "my-app-key"),
//!     Environment::Test,
//! )?;
//! let merchant = Merchant::new("898201612345678", "88880001", "YUEDANDEFAULT")?;
//! let query = PaymentQuery::new(&merchant, "3194202401011200000001".parse()?);
//! let answer = async_std::task::block_on(client.execute(&query))?; // or smol::block_on, or .await
//! if answer.is_paid() {
//!     println!("paid: {} yuan", answer.total_amount.unwrap_or_default());
//! }
//! # Ok::<(), chinaums::Error>(())
//! ```
//!
//! ## Costs and cancellation
//! - Each call in flight occupies one thread of the `blocking` pool for the whole exchange
//!   (the pool grows on demand, up to `BLOCKING_MAX_THREADS`, 500 by default). Calls are short
//!   and bounded by the timeout (30 s by default), but very high concurrency costs threads.
//! - Validation happens when [`Client::execute`] is called: an invalid request fails without
//!   touching the pool. Nothing is sent until the returned future is first polled.
//! - Dropping the future does **not** abort an exchange already under way on the pool: it runs
//!   to its end and its result is discarded. The outcome of such a call is therefore unknown,
//!   as with any cancelled payment call: query the order before retrying.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::future::Future;

use chinaums::{Call, Error, Operation, Reply};

pub use chinaums;
// The defaults and the adapter-neutral settings live in the core, the same for every adapter.
pub use chinaums::{DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT, MAX_TIMEOUT, TransportConfig};

/// An async client: a [`chinaums_ureq::Client`] whose calls run on the `blocking` thread pool.
///
/// Cheap to clone; clones share the connection pool and the core's configuration.
#[derive(Clone, Debug)]
pub struct Client {
    inner: chinaums_ureq::Client,
}

impl Client {
    /// A client with the default options (30 s timeout, 1 MiB body cap, webpki roots).
    pub fn new(core: chinaums::Client) -> Result<Client, Error> {
        Client::builder(core).build()
    }

    /// A client for `credentials` on `environment`, with the default transport settings, in
    /// one step (`Client::new(chinaums::Client::new(credentials, environment))`).
    pub fn from_credentials(
        credentials: chinaums::Credentials,
        environment: chinaums::Environment,
    ) -> Result<Client, Error> {
        Client::new(chinaums::Client::new(credentials, environment))
    }

    /// A client from the `CHINAUMS_APP_ID`, `CHINAUMS_APP_KEY` and `CHINAUMS_ENV` variables
    /// (`production`, `test` or a base URL), the names the `chinaums` command line reads.
    pub fn from_env() -> Result<Client, Error> {
        Client::from_credentials(
            chinaums::Credentials::from_env()?,
            chinaums::Environment::from_env()?,
        )
    }

    /// A builder, to give the transport settings (timeout, body cap, extra trusted roots) as a
    /// [`TransportConfig`].
    pub fn builder(core: chinaums::Client) -> ClientBuilder {
        ClientBuilder {
            inner: chinaums_ureq::Client::builder(core),
        }
    }

    /// Wraps an already configured blocking client.
    pub fn from_blocking(inner: chinaums_ureq::Client) -> Client {
        Client { inner }
    }

    /// The core client.
    pub fn core(&self) -> &chinaums::Client {
        self.inner.core()
    }

    /// The transport settings this client applies (timeout, response cap, extra roots).
    pub fn transport(&self) -> &TransportConfig {
        self.inner.transport()
    }

    /// The blocking client underneath (for code that is not async).
    pub fn blocking(&self) -> &chinaums_ureq::Client {
        &self.inner
    }

    /// Validates `op` now, and returns a future that sends it and yields the decoded reply.
    ///
    /// An invalid request makes the future resolve to the error at once, without using the
    /// thread pool. The future borrows neither `self` nor `op`, and is `Send`, so it can be
    /// spawned.
    pub fn execute<O: Operation>(
        &self,
        op: &O,
    ) -> impl Future<Output = Result<O::Response, Error>> + Send + 'static + use<O>
    where
        O::Response: Send + 'static,
    {
        let call = self.inner.core().call(op);
        let client = self.clone();
        async move { client.run(call?).await }
    }

    /// Drives an already-built call to its end on the `blocking` thread pool.
    pub fn run<R: Reply + Send + 'static>(
        &self,
        call: Call<R>,
    ) -> impl Future<Output = Result<R, Error>> + Send + 'static + use<R> {
        let inner = self.inner.clone();
        // `unblock` starts work as soon as it is called: keep it inside the future so that
        // nothing happens until the future is polled.
        async move { blocking::unblock(move || inner.run(call)).await }
    }
}

/// Builds a [`Client`]; the settings are one [`TransportConfig`], applied by
/// [`chinaums_ureq::ClientBuilder`].
#[derive(Debug)]
pub struct ClientBuilder {
    inner: chinaums_ureq::ClientBuilder,
}

impl ClientBuilder {
    /// Replaces all the transport settings (timeout, body cap, extra roots) with `config`, so
    /// one [`TransportConfig`] can configure every adapter alike.
    pub fn with_transport(self, config: TransportConfig) -> Self {
        ClientBuilder {
            inner: self.inner.with_transport(config),
        }
    }

    /// The client.
    ///
    /// Fails with [`Error::Config`] as [`chinaums_ureq::ClientBuilder::build`] does: settings
    /// that [`TransportConfig::validate`] refuses, or an extra root that cannot serve as a trust
    /// anchor.
    pub fn build(self) -> Result<Client, Error> {
        Ok(Client {
            inner: self.inner.build()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use chinaums::{
        ConfigErrorKind, Credentials, Environment, ErrorClass, Merchant, Mid, PaymentQuery,
    };

    fn core() -> chinaums::Client {
        chinaums::Client::new(Credentials::new("app", "secret-app-key"), Environment::Test)
    }

    fn merchant() -> Merchant {
        Merchant::new("898201612345678", "88880001", "YUEDANDEFAULT").unwrap()
    }

    fn assert_send_static<T: Send + 'static>(_: &T) {}

    /// The kind of a configuration error, or a panic naming what came instead.
    fn config_kind<T: std::fmt::Debug>(result: Result<T, Error>) -> ConfigErrorKind {
        match result {
            Err(Error::Config(e)) => e.kind,
            other => panic!("expected Error::Config, got {other:?}"),
        }
    }

    #[test]
    fn futures_are_send_and_static() {
        let client = Client::new(core()).unwrap();
        let query = PaymentQuery::new(&merchant(), "3194X0001".parse().unwrap());
        let future = client.execute(&query);
        drop(query); // the future does not borrow the operation
        assert_send_static(&future);
    }

    #[test]
    fn invalid_requests_fail_without_the_pool() {
        // A `mid` that breaks its rule cannot even make a query.
        assert_eq!(Mid::new("short").unwrap_err().field, "mid");
        // A field checked when the call is built (`targetOrderId`, at most 64 characters).
        let client = Client::new(core()).unwrap();
        let bad = PaymentQuery::new(&merchant(), "3194X0001".parse().unwrap())
            .target_order_id("x".repeat(65));
        // Ready at the very first poll: no pool task was involved.
        let first = smol::block_on(smol::future::poll_once(client.execute(&bad)));
        match first {
            Some(Err(e)) => assert_eq!(e.class(), ErrorClass::Caller, "{e}"),
            other => panic!("expected an immediate validation error, got {other:?}"),
        }
    }

    #[test]
    fn the_transport_config_reaches_the_blocking_client() {
        let zero = TransportConfig::new().with_timeout(Duration::ZERO);
        let e = Client::builder(core()).with_transport(zero).build();
        assert_eq!(config_kind(e), ConfigErrorKind::Timeout);
        let zero = TransportConfig::new().with_max_response_bytes(0);
        let e = Client::builder(core()).with_transport(zero).build();
        assert_eq!(config_kind(e), ConfigErrorKind::ResponseCap);
        // Readable PEM that is no certificate: the blocking client's build refuses the root.
        let unusable = TransportConfig::new()
            .add_root_certificate_pem(
                b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            )
            .unwrap();
        let e = Client::builder(core()).with_transport(unusable).build();
        assert_eq!(config_kind(e), ConfigErrorKind::Certificate);
        // `with_transport` replaces the whole config given before it, and the client reads it
        // back from the blocking client.
        let config = TransportConfig::new()
            .with_timeout(Duration::from_millis(1500))
            .with_max_response_bytes(2048);
        let client = Client::builder(core())
            .with_transport(TransportConfig::new().with_max_response_bytes(7))
            .with_transport(config.clone())
            .build()
            .unwrap();
        assert_eq!(client.transport(), &config);
        assert_eq!(client.blocking().transport(), &config);
        let shown = format!("{:?}", Client::new(core()).unwrap());
        assert!(!shown.contains("secret-app-key"), "{shown}");
    }
}
