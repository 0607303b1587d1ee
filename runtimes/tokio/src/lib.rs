//! # chinaums-tokio
//!
//! A thin [tokio](https://tokio.rs) adapter for the [`chinaums`] sans-IO core: it only moves
//! bytes. Signing, parsing and what an error means are the core's; this crate sends the signed
//! request over a pooled hyper connection (HTTP/1.1, rustls with the ring provider and
//! Mozilla's roots) and hands the response back.
//!
//! ```no_run
//! use chinaums_tokio::chinaums::{self, Credentials, Environment, Merchant, PaymentQuery};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), chinaums::Error> {
//!     let client = chinaums_tokio::Client::from_credentials(
//!         Credentials::new("my-app-id", "my-app-key"),
//!         Environment::Test,
//!     )?;
//!     let merchant = Merchant::new("898201612345678", "88880001", "YUEDANDEFAULT")?;
//!     let query = PaymentQuery::new(&merchant, "3194202401011200000001".parse()?);
//!     let answer = client.execute(&query).await?;
//!     println!("paid: {}", answer.is_paid());
//!     Ok(())
//! }
//! ```
//!
//! ## What the adapter guarantees
//! - **One deadline** per HTTP exchange ([`TransportConfig::with_timeout`], default 30 s)
//!   covering connect, TLS, sending and reading the whole body.
//! - **Bounded memory**: a response whose `Content-Length` exceeds
//!   [`TransportConfig::with_max_response_bytes`] (default 1 MiB) fails before its body is read,
//!   and a streamed body is cut at the cap; both give [`TransportErrorKind::BodyTooLarge`].
//!
//! The settings come in one [`TransportConfig`], shared by every adapter:
//! `Client::builder(core).with_transport(config)`.
//! - **Honest delivery**: a DNS, TCP or TLS-handshake failure is [`Delivery::NotSent`] (safe to
//!   retry); a timeout, a broken connection or an unreadable response after the request may
//!   have been written is [`Delivery::MaybeSent`] (query the order before retrying).
//! - **No redirects**: a 3xx goes back to the core like any other response.
//! - **Connection reuse**: clones of a [`Client`] share one keep-alive pool.
//!
//! The runtime must have tokio's time driver enabled (`#[tokio::main]` does).
//!
//! [`TransportErrorKind::BodyTooLarge`]: chinaums::TransportErrorKind::BodyTooLarge
//! [`Delivery::NotSent`]: chinaums::Delivery::NotSent
//! [`Delivery::MaybeSent`]: chinaums::Delivery::MaybeSent
#![forbid(unsafe_code)]

mod send;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chinaums::{AsyncTokenStore, ConfigErrorKind, Error, Operation};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;

pub use chinaums;
// The defaults and the adapter-neutral settings live in the core, the same for every adapter.
pub use chinaums::{DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT, MAX_TIMEOUT, TransportConfig};

use crate::send::Transport;

/// How long an idle pooled connection is kept before it is closed.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// A [`chinaums::Client`] that sends its requests with tokio. Cloning is cheap and clones share
/// one connection pool.
#[derive(Clone)]
pub struct Client {
    core: chinaums::Client,
    transport: Transport,
    token_store: Option<Arc<dyn AsyncTokenStore>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("core", &self.core)
            .field("transport", &self.transport.config)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Wraps `core` with the defaults: 30 s per exchange, 1 MiB response cap, Mozilla's roots.
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

    /// A builder, to give the transport settings (timeout, response cap, extra trusted roots)
    /// as a [`TransportConfig`].
    pub fn builder(core: chinaums::Client) -> ClientBuilder {
        ClientBuilder {
            core,
            transport: TransportConfig::new(),
            token_store: None,
        }
    }

    /// Runs `op` to completion: signs it, sends it, decodes the answer. The loop (token
    /// fetches, waits bounded by the timeout, one retry after an auth failure) is the core's.
    pub async fn execute<O: Operation>(&self, op: &O) -> Result<O::Response, Error> {
        let call = self.core.call(op)?;
        let timeout = self.transport.config.timeout();
        let send = |request| self.transport.send(request);
        match &self.token_store {
            Some(store) => {
                call.run_with_store(timeout, &**store, send, tokio::time::sleep)
                    .await
            }
            None => call.run(timeout, send, tokio::time::sleep).await,
        }
    }

    /// The transport settings this client applies (timeout, response cap, extra roots).
    pub fn transport(&self) -> &TransportConfig {
        &self.transport.config
    }

    /// The wrapped core client (credentials, environment, clock).
    pub fn core(&self) -> &chinaums::Client {
        &self.core
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
    /// Replaces all the transport settings (timeout, response cap, extra roots) with `config`,
    /// so one [`TransportConfig`] can configure every adapter alike.
    pub fn with_transport(mut self, config: TransportConfig) -> Self {
        self.transport = config;
        self
    }

    /// With OPEN-ACCESS-TOKEN: shares access tokens with the other processes of a fleet
    /// through `store` (e.g. `chinaums-redis`'s `RedisTokenStore`), so that one process fetches
    /// and the others use its token. Each store operation is awaited (never blocking a runtime
    /// thread) and bounded by the timeout; a store that fails is logged and skipped.
    ///
    /// ```
    /// use chinaums_tokio::chinaums::{AuthScheme, Credentials, Environment, MemoryTokenStore};
    ///
    /// let core = chinaums_tokio::chinaums::Client::builder(
    ///     Credentials::new("my-app-id", "my-app-key"),
    ///     Environment::Test,
    /// )
    /// .auth(AuthScheme::AccessToken)
    /// .build();
    /// let client = chinaums_tokio::Client::builder(core)
    ///     .token_store(MemoryTokenStore::new())
    ///     .build()?;
    /// # Ok::<(), chinaums_tokio::chinaums::Error>(())
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

        let mut tcp = HttpConnector::new();
        tcp.enforce_http(false); // the TLS layer above handles https:// URLs
        tcp.set_nodelay(true); // small request/response exchanges: do not wait for Nagle
        // https_or_http: the core's Production/Test URLs are https; a custom base URL such as
        // the local sandbox's may be plain http://127.0.0.1.
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp);
        let http = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .pool_timer(TokioTimer::new())
            .build(connector);
        Ok(Client {
            core: self.core,
            token_store: self.token_store,
            transport: Transport {
                http,
                config: self.transport,
            },
        })
    }
}

#[cfg(test)]
mod tests;
