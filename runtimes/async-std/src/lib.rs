//! # chinaums-async-std
//!
//! An async runtime adapter for the [`chinaums`] SDK that is not tied to one executor: it runs
//! under async-std, under smol, and under any other executor. It only moves bytes: signing,
//! parsing and what an error means are the core's.
//!
//! **async-std is discontinued upstream** (its authors point to smol). This crate keeps its
//! name for users of async-std, but it is built on executor-neutral pieces from the smol family
//! that async-std itself runs on: hyper 1's HTTP/1.1 client over [`async-io`](async_io) sockets,
//! TLS with futures-rustls (rustls, ring provider, Mozilla's roots), and async-io's timer. It
//! spawns nothing and needs no tokio.
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
//! ## What the adapter guarantees
//! - **One deadline** per HTTP exchange ([`TransportConfig::with_timeout`], default 30 s)
//!   covering connect, TLS, sending and reading the whole body.
//! - **Bounded memory**: a response whose `Content-Length` exceeds
//!   [`TransportConfig::with_max_response_bytes`] (default 1 MiB) fails before its body is read,
//!   and a streamed body is cut at the cap; both give [`TransportErrorKind::BodyTooLarge`].
//! - **Honest delivery**: a failure before the first request byte was handed to the connection
//!   (DNS, TCP connect, TLS handshake, a deadline that struck while connecting) is
//!   [`Delivery::NotSent`] (safe to retry); anything after is [`Delivery::MaybeSent`] (query the
//!   order before retrying).
//! - **No redirects**: a 3xx goes back to the core like any other response.
//! - **Connection reuse**: clones of a [`Client`] share one keep-alive pool.
//! - **TLS** is rustls with the ring provider passed explicitly (a process-wide default provider
//!   is neither used nor installed), trusting Mozilla's roots plus any added with
//!   [`TransportConfig::add_root_certificate_pem`].
//! - **No proxy**: connections go straight to the gateway; proxy variables (`HTTPS_PROXY` and
//!   the like) are not read.
//!
//! The settings come in one [`TransportConfig`], shared by every adapter:
//! `Client::builder(core).with_transport(config)`.
//!
//! ## Costs and cancellation
//! - **No thread per call.** A call in flight is a future waiting on its socket or on its
//!   deadline: hundreds of calls in flight cost hundreds of sockets, and no thread. The sockets
//!   and timers are driven by async-io's reactor: by the thread blocked in `smol::block_on` or
//!   async-std's executor, or else by async-io's own `async-io` thread, one per process. Opening
//!   a connection to a host given by name (the platform's gateways) looks the name up with the
//!   system resolver on the [`blocking`](https://docs.rs/blocking) pool for a moment, as every
//!   async runtime does; connections are pooled, so that is once per connection, not per call.
//! - **Validation is eager.** [`Client::execute`] validates and encodes the request when it is
//!   called: an invalid request resolves at once. Nothing is sent until the returned future is
//!   first polled.
//! - **Dropping the future cancels the call.** Its connection is closed at once (HTTP/1.1 has
//!   no way to abandon one exchange and keep the connection) and does not go back to the pool.
//!   If the request had been written, the server may still act on it: the outcome is unknown,
//!   as with any cancelled payment call, so query the order before retrying.
//! - **The pool has no background task** (there is no executor to run one on). An idle
//!   connection the server closed is found out when it is next taken, and a new one is opened;
//!   if the server closed it just as the request went out, before a byte of it was written, the
//!   request is sent once more on a new connection. A close that crosses a request already
//!   (partly) written fails the call as [`Delivery::MaybeSent`], as with any HTTP client. At
//!   most 32 idle connections are kept per host, each for at most 30 s (closed when the pool is
//!   next used for that host).
//!
//! [`TransportErrorKind::BodyTooLarge`]: chinaums::TransportErrorKind::BodyTooLarge
//! [`Delivery::NotSent`]: chinaums::Delivery::NotSent
//! [`Delivery::MaybeSent`]: chinaums::Delivery::MaybeSent
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod connect;
mod pool;
mod send;

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use chinaums::{AsyncTokenStore, Call, ConfigErrorKind, Error, Operation, Reply};
use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;

pub use chinaums;
// The defaults and the adapter-neutral settings live in the core, the same for every adapter.
pub use chinaums::{DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT, MAX_TIMEOUT, TransportConfig};

use crate::pool::Pool;
use crate::send::Transport;

/// An async client: a [`chinaums::Client`] plus a pool of keep-alive connections.
///
/// Cheap to clone; clones share the connection pool and the core's configuration.
#[derive(Clone)]
pub struct Client {
    core: chinaums::Client,
    transport: Transport,
    token_store: Option<Arc<dyn AsyncTokenStore>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The core's `Debug` never shows the appKey.
        f.debug_struct("Client")
            .field("core", &self.core)
            .field("transport", &self.transport.config)
            .finish_non_exhaustive()
    }
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
            core,
            transport: TransportConfig::new(),
            token_store: None,
        }
    }

    /// The core client (credentials, environment, clock).
    pub fn core(&self) -> &chinaums::Client {
        &self.core
    }

    /// The transport settings this client applies (timeout, response cap, extra roots).
    pub fn transport(&self) -> &TransportConfig {
        &self.transport.config
    }

    /// Validates `op` now, and returns a future that sends it and yields the decoded reply.
    ///
    /// An invalid request makes the future resolve to the error at its first poll, without
    /// touching the network. The future borrows neither `self` nor `op`, and is `Send`, so it
    /// can be spawned on any executor. The loop (token fetches, waits bounded by the timeout,
    /// one retry after an auth failure) is the core's.
    pub fn execute<O: Operation>(
        &self,
        op: &O,
    ) -> impl Future<Output = Result<O::Response, Error>> + Send + 'static + use<O>
    where
        O::Response: Send + 'static,
    {
        let call = self.core.call(op);
        let client = self.clone();
        async move { client.run(call?).await }
    }

    /// Drives an already-built call to its end.
    pub fn run<R: Reply + Send + 'static>(
        &self,
        call: Call<R>,
    ) -> impl Future<Output = Result<R, Error>> + Send + 'static + use<R> {
        let transport = self.transport.clone();
        let store = self.token_store.clone();
        async move {
            let timeout = transport.config.timeout();
            let send = |request| transport.send(request);
            let sleep = |wait| async move {
                async_io::Timer::after(wait).await;
            };
            match &store {
                Some(store) => call.run_with_store(timeout, &**store, send, sleep).await,
                None => call.run(timeout, send, sleep).await,
            }
        }
    }
}

/// Configures a [`Client`]; see [`Client::builder`].
pub struct ClientBuilder {
    core: chinaums::Client,
    transport: TransportConfig,
    token_store: Option<Arc<dyn AsyncTokenStore>>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `TransportConfig`'s `Debug` counts the extra roots instead of printing them.
        f.debug_struct("ClientBuilder")
            .field("core", &self.core)
            .field("transport", &self.transport)
            .finish()
    }
}

impl ClientBuilder {
    /// Replaces all the transport settings (timeout, body cap, extra roots) with `config`, so
    /// one [`TransportConfig`] can configure every adapter alike.
    pub fn with_transport(mut self, config: TransportConfig) -> Self {
        self.transport = config;
        self
    }

    /// With OPEN-ACCESS-TOKEN: shares access tokens with the other processes of a fleet
    /// through `store` (e.g. `chinaums-redis`'s `RedisTokenStore`), so that one process fetches
    /// and the others use its token. Each store operation is awaited (never blocking an
    /// executor thread) and bounded by the timeout; a store that fails is logged and skipped.
    ///
    /// ```
    /// use chinaums_async_std::chinaums::{AuthScheme, Credentials, Environment, MemoryTokenStore};
    ///
    /// let core = chinaums_async_std::chinaums::Client::builder(
    ///     Credentials::new("my-app-id", "my-app-key"),
    ///     Environment::Test,
    /// )
    /// .auth(AuthScheme::AccessToken)
    /// .build();
    /// let client = chinaums_async_std::Client::builder(core)
    ///     .token_store(MemoryTokenStore::new())
    ///     .build()?;
    /// # Ok::<(), chinaums_async_std::chinaums::Error>(())
    /// ```
    pub fn token_store(mut self, store: impl AsyncTokenStore) -> Self {
        self.token_store = Some(Arc::new(store));
        self
    }

    /// The client.
    ///
    /// Fails with [`Error::Config`] if [`TransportConfig::validate`] refuses the settings
    /// ([`ConfigErrorKind::Timeout`], [`ConfigErrorKind::ResponseCap`]) or an extra root cannot
    /// serve as a trust anchor ([`ConfigErrorKind::Certificate`]).
    pub fn build(self) -> Result<Client, Error> {
        self.transport.validate()?;
        let mut roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        for der in self.transport.extra_roots() {
            roots.add(CertificateDer::from(der)).map_err(|e| {
                Error::config(
                    ConfigErrorKind::Certificate,
                    format!("unusable root certificate: {e}"),
                )
            })?;
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::config(ConfigErrorKind::Tls, format!("cannot configure TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        Ok(Client {
            core: self.core,
            token_store: self.token_store,
            transport: Transport {
                tls: futures_rustls::TlsConnector::from(Arc::new(tls)),
                pool: Arc::new(Pool::default()),
                config: self.transport,
            },
        })
    }
}

#[cfg(test)]
mod tests;
