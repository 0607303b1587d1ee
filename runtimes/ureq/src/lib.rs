//! # chinaums-ureq
//!
//! A blocking runtime adapter for the [`chinaums`] SDK, on [ureq] 3 with rustls (ring provider).
//! It only moves bytes: the core signs requests, decodes responses and classifies errors; this
//! crate sends what the core built over a pooled connection and hands back what came back.
//!
//! ```no_run
//! use chinaums_ureq::chinaums::netpay::PaymentQuery;
//! use chinaums_ureq::chinaums::{self, Credentials, Environment};
//!
//! let client = chinaums_ureq::Client::from_credentials(
//!     Credentials::new("my-app-id", "my-app-key"),
//!     Environment::Test,
//! )?;
//! let query = PaymentQuery::new("898201612345678", "88880001", "YUEDANDEFAULT", "3194202401011200000001");
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
//!   [`ClientBuilder::add_root_certificate_pem`].
//! - ureq reads proxy settings from `ALL_PROXY`/`HTTPS_PROXY`/`HTTP_PROXY` and `NO_PROXY`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chinaums::http;
use chinaums::{Call, Error, Operation, Reply, TransportError};
use rustls::pki_types::CertificateDer;
use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};
use ureq::unversioned::resolver::DefaultResolver;
use ureq::unversioned::transport::{Connector as _, DefaultConnector};

mod transport;

use transport::{Failure, TrackingConnector};

pub use chinaums;
// The defaults and the adapter-neutral settings live in the core, the same for every adapter.
pub use chinaums::transport::{DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT, TransportConfig};

/// A blocking client: a [`chinaums::Client`] plus a ureq agent whose connections are reused.
///
/// Cheap to clone; clones share the connection pool and the core's configuration.
#[derive(Clone)]
pub struct Client {
    core: chinaums::Client,
    agent: ureq::Agent,
    config: TransportConfig,
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

    /// A builder, to set the timeout, the body cap or extra trusted roots.
    pub fn builder(core: chinaums::Client) -> ClientBuilder {
        ClientBuilder {
            core,
            transport: TransportConfig::new(),
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

    /// Drives an already-built call to its end (used by `chinaums-async-std`). The loop
    /// (token fetches, waits bounded by the timeout, one retry after an auth failure) is the
    /// core's.
    pub fn run<R: Reply>(&self, call: Call<R>) -> Result<R, Error> {
        call.run_blocking(self.config.timeout(), |request| self.send(request))
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
    /// The total time one exchange may take, from connecting to the end of the body (default
    /// 30 s). Must not be zero.
    pub fn with_timeout(mut self, total: Duration) -> Self {
        self.transport = self.transport.with_timeout(total);
        self
    }

    /// The largest response body accepted, in bytes (default 1 MiB). Must not be zero.
    pub fn with_max_response_bytes(mut self, n: usize) -> Self {
        self.transport = self.transport.with_max_response_bytes(n);
        self
    }

    /// Trusts the certificates in `pem` as roots, besides the webpki (Mozilla) roots.
    ///
    /// Fails with [`Error::Config`] if `pem` holds no readable certificate; a certificate that
    /// cannot serve as a trust anchor makes [`ClientBuilder::build`] fail with [`Error::Config`].
    pub fn add_root_certificate_pem(mut self, pem: &[u8]) -> Result<Self, Error> {
        self.transport = self.transport.add_root_certificate_pem(pem)?;
        Ok(self)
    }

    /// Replaces all the transport settings (timeout, body cap, extra roots) with `config`, so
    /// one [`TransportConfig`] can configure every adapter alike.
    pub fn with_transport(mut self, config: TransportConfig) -> Self {
        self.transport = config;
        self
    }

    /// The client.
    ///
    /// Fails with [`Error::Config`] if a setting is zero or an extra root cannot serve as a
    /// trust anchor.
    pub fn build(self) -> Result<Client, Error> {
        self.transport.validate()?;
        for der in self.transport.extra_roots() {
            // Check that it parses as a trust anchor: ureq would silently skip it later.
            rustls::RootCertStore::empty()
                .add(CertificateDer::from(der))
                .map_err(|e| Error::Config(format!("unusable root certificate: {e}")))?;
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
            .user_agent(concat!("chinaums-ureq/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls)
            .build();
        let connector = DefaultConnector::new().chain(TrackingConnector);
        let agent = ureq::Agent::with_parts(config, connector, DefaultResolver::default());
        Ok(Client {
            core: self.core,
            agent,
            config: self.transport,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chinaums::{Credentials, Environment};

    fn core() -> chinaums::Client {
        chinaums::Client::new(Credentials::new("app", "secret-app-key"), Environment::Test)
    }

    #[test]
    fn zero_options_are_refused() {
        let e = Client::builder(core()).with_timeout(Duration::ZERO).build();
        assert!(matches!(e, Err(Error::Config(m)) if m.contains("timeout")));
        let e = Client::builder(core()).with_max_response_bytes(0).build();
        assert!(matches!(e, Err(Error::Config(m)) if m.contains("cap")));
    }

    #[test]
    fn pem_without_certificates_is_refused() {
        let e = Client::builder(core()).add_root_certificate_pem(b"not a pem");
        assert!(matches!(e, Err(Error::Config(m)) if m.contains("no `CERTIFICATE`")));
        // Readable PEM, but no certificate inside: refused as a trust anchor at build().
        let garbage = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let e = Client::builder(core())
            .add_root_certificate_pem(garbage)
            .and_then(ClientBuilder::build);
        assert!(
            matches!(e, Err(Error::Config(ref m)) if m.contains("unusable root")),
            "{e:?}"
        );
    }

    #[test]
    fn one_transport_config_sets_every_option() {
        let config = TransportConfig::new()
            .with_timeout(Duration::from_millis(1500))
            .with_max_response_bytes(2048);
        // `transport` replaces what was set before it.
        let client = Client::builder(core())
            .with_max_response_bytes(7)
            .with_transport(config.clone())
            .build()
            .unwrap();
        assert_eq!(client.transport().timeout(), Duration::from_millis(1500));
        assert_eq!(client.transport().max_response_bytes(), 2048);
        let zero = Client::builder(core())
            .with_transport(config.with_max_response_bytes(0))
            .build();
        assert!(
            matches!(zero, Err(Error::Config(ref m)) if m.contains("cap")),
            "{zero:?}"
        );
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
        // Test is an unreachable URL here: an invalid field must fail before any I/O.
        let client = Client::new(core()).unwrap();
        let bad =
            chinaums::netpay::PaymentQuery::new("short", "88880001", "YUEDANDEFAULT", "3194X1");
        let e = client.execute(&bad).unwrap_err();
        assert_eq!(e.class(), chinaums::ErrorClass::Caller, "{e}");
    }
}
