//! # chinaums-ureq
//!
//! A blocking runtime adapter for the [`chinaums`] SDK, on [ureq] 3 with rustls (ring provider).
//! It only moves bytes: the core signs requests, decodes responses and classifies errors; this
//! crate sends what the core built over a pooled connection and hands back what came back.
//!
//! ```no_run
//! use chinaums_ureq::chinaums::{Merchant, PaymentQuery};
//! use chinaums_ureq::chinaums::{self, Credentials, Environment};
//!
//! let client = chinaums_ureq::Client::from_credentials(
//!     Credentials::new("my-app-id", "my-app-key"),
//!     Environment::Test,
//! )?;
//! let merchant = Merchant::new("898201612345678", "88880001", "YUEDANDEFAULT")?;
//! let query = PaymentQuery::new(&merchant, "3194202401011200000001".parse()?);
//! let answer = client.execute(&query)?;
//! if answer.is_paid() {
//!     println!("paid: {} yuan", answer.total_amount.unwrap_or_default());
//! }
//! # Ok::<(), chinaums::Error>(())
//! ```
//!
//! ## What the transport does
//! - 4xx and 5xx responses go back to the core as responses (the core reads the platform's
//!   `errCode` from them); redirects are never followed.
//! - One total timeout per exchange (connect, TLS, send, wait, body), 30 s by default.
//! - The response body is read up to a cap (1 MiB by default); a bigger body fails with
//!   [`TransportErrorKind::BodyTooLarge`](chinaums::TransportErrorKind::BodyTooLarge) without
//!   being buffered.
//! - Failures say honestly whether the request may have reached the server: an error before the
//!   first request byte was handed to the socket (connection refused, DNS, TLS handshake, a
//!   timeout while connecting) is [`Delivery::NotSent`](chinaums::Delivery::NotSent); anything
//!   after is [`Delivery::MaybeSent`](chinaums::Delivery::MaybeSent), which the core reports as
//!   "outcome unknown: query before retrying".
//! - TLS is rustls with the ring provider passed explicitly to ureq (a process-wide default
//!   provider installed by another crate is not used, and none is installed), trusting the
//!   webpki (Mozilla) roots plus any added with
//!   [`TransportConfig::add_root_certificate_pem`].
//! - The settings (timeout, body cap, extra roots) come in one [`TransportConfig`], shared by
//!   every adapter: `Client::builder(core).with_transport(config)`.
//! - ureq reads proxy settings from `ALL_PROXY`/`HTTPS_PROXY`/`HTTP_PROXY` and `NO_PROXY`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::fmt;
use std::sync::Arc;

use chinaums::http;
use chinaums::{Call, ConfigErrorKind, Error, Operation, Reply, TokenStore, TransportError};
use rustls::pki_types::CertificateDer;
use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};
use ureq::unversioned::transport::{Connector as _, DefaultConnector};

mod resolve;
mod transport;

use resolve::{LazyConnector, LazyResolver};
use transport::{Failure, TrackingConnector};

pub use chinaums;
// The defaults and the adapter-neutral settings live in the core, the same for every adapter.
pub use chinaums::{DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT, MAX_TIMEOUT, TransportConfig};

/// The most idle connections kept in the pool (all of the platform's calls go to one host), as
/// in the async-std adapter.
const MAX_IDLE_CONNECTIONS: usize = 32;

/// A blocking client: a [`chinaums::Client`] plus a ureq agent whose connections are reused.
///
/// Cheap to clone; clones share the connection pool and the core's configuration.
#[derive(Clone)]
pub struct Client {
    core: chinaums::Client,
    agent: ureq::Agent,
    config: TransportConfig,
    token_store: Option<Arc<dyn TokenStore>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The core's `Debug` never shows the appKey.
        f.debug_struct("Client")
            .field("core", &self.core)
            .field("transport", &self.config)
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

    /// The transport settings this client applies (timeout, response cap, extra roots).
    pub fn transport(&self) -> &TransportConfig {
        &self.config
    }

    /// The core client.
    pub fn core(&self) -> &chinaums::Client {
        &self.core
    }

    /// Validates `op`, sends it and returns the decoded reply or the error.
    ///
    /// Validation errors come back before anything is sent.
    pub fn execute<O: Operation>(&self, op: &O) -> Result<O::Response, Error> {
        self.run(self.core.call(op)?)
    }

    /// Drives an already-built call to its end. The loop (token fetches, the shared token
    /// store's steps, waits bounded by the timeout, one retry after an auth failure) is the
    /// core's.
    pub fn run<R: Reply>(&self, call: Call<R>) -> Result<R, Error> {
        let send = |request| self.send(request);
        match &self.token_store {
            Some(store) => call.run_blocking_with_store(self.config.timeout(), &**store, send),
            None => call.run_blocking(self.config.timeout(), send),
        }
    }

    /// One exchange: the request as the core built it, the response as it came.
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        transport::reset_written();
        self.exchange(request).map_err(|failure| {
            transport::transport_error(failure, transport::request_written(), &self.config)
        })
    }

    fn exchange(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, Failure> {
        let response = self.agent.run(request)?;
        let (parts, body) = response.into_parts();
        // A declared oversize body is refused without being read.
        self.config
            .check_declared_length(&parts.headers)
            .map_err(Failure::Refused)?;
        let limit = self.config.max_response_bytes() as u64;
        let bytes = body.into_with_config().limit(limit).read_to_vec()?;
        Ok(http::Response::from_parts(parts, bytes))
    }
}

/// Builds a [`Client`].
pub struct ClientBuilder {
    core: chinaums::Client,
    transport: TransportConfig,
    token_store: Option<Arc<dyn TokenStore>>,
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
    /// and the others use its token. The store's methods must bound their own time (a Redis
    /// store sets connect and read timeouts); a store that fails is logged and skipped.
    ///
    /// ```
    /// use chinaums_ureq::chinaums::{AuthScheme, Credentials, Environment, MemoryTokenStore};
    ///
    /// let core = chinaums_ureq::chinaums::Client::builder(
    ///     Credentials::new("my-app-id", "my-app-key"),
    ///     Environment::Test,
    /// )
    /// .auth(AuthScheme::AccessToken)
    /// .build();
    /// let client = chinaums_ureq::Client::builder(core)
    ///     .token_store(MemoryTokenStore::new())
    ///     .build()?;
    /// # Ok::<(), chinaums_ureq::chinaums::Error>(())
    /// ```
    pub fn token_store(mut self, store: impl TokenStore) -> Self {
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
        for der in self.transport.extra_roots() {
            // Check that it parses as a trust anchor: ureq would silently skip it later.
            rustls::RootCertStore::empty()
                .add(CertificateDer::from(der))
                .map_err(|e| {
                    Error::config(
                        ConfigErrorKind::Certificate,
                        format!("unusable root certificate: {e}"),
                    )
                })?;
        }
        let roots = if self.transport.extra_roots().len() == 0 {
            RootCerts::WebPki
        } else {
            let webpki = webpki_root_certs::TLS_SERVER_ROOT_CERTS
                .iter()
                .map(|c| Certificate::from_der(c.as_ref()));
            let extra = self
                .transport
                .extra_roots()
                .map(|der| Certificate::from_der(der).to_owned());
            RootCerts::from(webpki.chain(extra))
        };
        let tls = TlsConfig::builder()
            .provider(TlsProvider::Rustls)
            // Explicit, so that ureq neither falls back on a process-wide default provider
            // (which it would prefer over ring) nor needs one installed.
            .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .root_certs(roots)
            .build();
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(self.transport.timeout()))
            // ureq keeps 3 idle connections per host by default: with more threads calling at
            // once, most connections were closed after one exchange and reopened. Keep as many
            // as the other adapters do.
            .max_idle_connections(MAX_IDLE_CONNECTIONS)
            .max_idle_connections_per_host(MAX_IDLE_CONNECTIONS)
            .user_agent(concat!("chinaums-ureq/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls)
            .build();
        // Host names are looked up when a connection is opened, not on every request (see
        // `resolve`): ureq's own resolver would start a thread per request to bound the lookup.
        let connector = LazyConnector(DefaultConnector::new()).chain(TrackingConnector);
        let agent = ureq::Agent::with_parts(config, connector, LazyResolver);
        Ok(Client {
            core: self.core,
            agent,
            config: self.transport,
            token_store: self.token_store,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use chinaums::{Credentials, Environment, ErrorClass, Merchant, Mid, PaymentQuery};

    fn core() -> chinaums::Client {
        chinaums::Client::new(Credentials::new("app", "secret-app-key"), Environment::Test)
    }

    /// The kind of a configuration error, or a panic naming what came instead.
    fn config_kind<T: fmt::Debug>(result: Result<T, Error>) -> ConfigErrorKind {
        match result {
            Err(Error::Config(e)) => e.kind,
            other => panic!("expected Error::Config, got {other:?}"),
        }
    }

    #[test]
    fn zero_options_are_refused() {
        let zero_timeout = TransportConfig::new().with_timeout(Duration::ZERO);
        let e = Client::builder(core()).with_transport(zero_timeout).build();
        assert_eq!(config_kind(e), ConfigErrorKind::Timeout);
        let zero_cap = TransportConfig::new().with_max_response_bytes(0);
        let e = Client::builder(core()).with_transport(zero_cap).build();
        assert_eq!(config_kind(e), ConfigErrorKind::ResponseCap);
    }

    #[test]
    fn pem_without_certificates_is_refused() {
        // No certificate block at all: refused when added, before any builder.
        let e = TransportConfig::new().add_root_certificate_pem(b"not a pem");
        assert_eq!(config_kind(e), ConfigErrorKind::Certificate);
        // Readable PEM, but no certificate inside: accepted when added, refused as a trust
        // anchor at build().
        let garbage = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let config = TransportConfig::new()
            .add_root_certificate_pem(garbage)
            .unwrap();
        let e = Client::builder(core()).with_transport(config).build();
        assert_eq!(config_kind(e), ConfigErrorKind::Certificate);
    }

    #[test]
    fn one_transport_config_sets_every_option() {
        let config = TransportConfig::new()
            .with_timeout(Duration::from_millis(1500))
            .with_max_response_bytes(2048);
        // `with_transport` replaces the whole config given before it.
        let client = Client::builder(core())
            .with_transport(TransportConfig::new().with_max_response_bytes(7))
            .with_transport(config.clone())
            .build()
            .unwrap();
        assert_eq!(client.transport().timeout(), Duration::from_millis(1500));
        assert_eq!(client.transport().max_response_bytes(), 2048);
        let zero = Client::builder(core())
            .with_transport(config.with_max_response_bytes(0))
            .build();
        assert_eq!(config_kind(zero), ConfigErrorKind::ResponseCap);
    }

    #[test]
    fn debug_hides_the_app_key() {
        let client = Client::new(core()).unwrap();
        let shown = format!("{client:?}");
        assert!(
            shown.contains("app") && !shown.contains("secret-app-key"),
            "{shown}"
        );
        let builder = Client::builder(core());
        assert!(!format!("{builder:?}").contains("secret-app-key"));
    }

    #[test]
    fn validation_errors_come_back_before_sending() {
        // A `mid` that breaks its rule cannot even make a query.
        assert_eq!(Mid::new("short").unwrap_err().field, "mid");
        assert_eq!(
            Merchant::new("short", "88880001", "YUEDANDEFAULT")
                .unwrap_err()
                .field,
            "mid"
        );
        // A field checked when the call is built (`targetOrderId`, at most 64 characters):
        // Test is an unreachable URL here, so the error must come before any I/O.
        let client = Client::new(core()).unwrap();
        let merchant = Merchant::new("898201612345678", "88880001", "YUEDANDEFAULT").unwrap();
        let bad =
            PaymentQuery::new(&merchant, "3194X1".parse().unwrap()).target_order_id("x".repeat(65));
        let e = client.execute(&bad).unwrap_err();
        assert_eq!(e.class(), ErrorClass::Caller, "{e}");
        assert!(
            matches!(&e, Error::InvalidField(f) if f.field == "targetOrderId"),
            "{e}"
        );
    }
}
