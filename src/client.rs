//! The client: credentials, environment, clock and nonce source. It turns operations into
//! signed requests and responses into results; it never does I/O.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::auth::form_param;
use crate::auth::token::{self, AccessToken};
use crate::auth::token_cache::TokenCache;
use crate::auth::{AuthScheme, body_sig};
use crate::call::Call;
use crate::clock::{Clock, NonceSource, RandomNonce, SystemClock, check_nonce};
use crate::credentials::Credentials;
use crate::environment::Environment;
use crate::error::{ConfigErrorKind, Error, InvalidField};
use crate::operation::{Operation, Redirect, Reply, encode_enveloped};
use crate::response;
use crate::types::ids::{MerOrderId, MsgSrcId, RefundOrderId};
use crate::types::time::{auth_timestamp, format_datetime, request_timestamp};
use time::PrimitiveDateTime;

struct Inner {
    credentials: Credentials,
    environment: Environment,
    clock: Arc<dyn Clock>,
    nonce: Arc<dyn NonceSource>,
    auth: AuthScheme,
    tokens: TokenCache,
    token_lease_ttl: Duration,
    token_poll_interval: Duration,
    /// The base URL parsed once: each request's URI is built from these parts and its path.
    base: Option<BaseParts>,
    /// Whether the credentials can sign, checked once (they never change).
    credentials_ok: Result<(), Error>,
}

/// The scheme, authority and path prefix of the base URL.
struct BaseParts {
    scheme: http::uri::Scheme,
    authority: http::uri::Authority,
    prefix: String,
}

impl BaseParts {
    fn of(base_url: &str) -> Option<BaseParts> {
        let parts = base_url.parse::<http::Uri>().ok()?.into_parts();
        Some(BaseParts {
            scheme: parts.scheme?,
            authority: parts.authority?,
            prefix: parts
                .path_and_query
                .map(|p| p.path().trim_end_matches('/').to_owned())
                .unwrap_or_default(),
        })
    }
}

/// How long before `expiresIn` a cached access token is refreshed by default.
pub const DEFAULT_TOKEN_REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// How long a process may hold a shared store's lease to fetch a token, by default: long
/// enough for one token request, short enough that a process dying with the lease delays the
/// others' calls by at most this long.
pub const DEFAULT_TOKEN_LEASE_TTL: Duration = Duration::from_secs(10);

/// How often, by default, a process waiting for another process's token fetch looks in the
/// shared store again.
pub const DEFAULT_TOKEN_POLL_INTERVAL: Duration = Duration::from_millis(50);

/// The sans-IO client. Cheap to clone; clones share configuration.
///
/// ```
/// use chinaums::{Client, Credentials, Environment, FixedClock, FixedNonce};
/// use chinaums::{Merchant, PaymentQuery};
///
/// let client = Client::builder(Credentials::new("my-app-id", "my-app-key"), Environment::Test)
///     .clock(FixedClock::from_unix(1_704_081_600)) // 2024-01-01 12:00:00 Beijing
///     .nonce_source(FixedNonce::new("0123456789abcdef0123456789abcdef"))
///     .build();
/// let merchant = Merchant::new("898201612345678", "88880001", "YUEDANDEFAULT")?;
/// let query = PaymentQuery::new(&merchant, "31942024010112000000001234".parse()?);
/// let request = client.prepare(&query)?;
/// assert_eq!(request.uri(), "https://test-api-open.chinaums.com/v1/netpay/query");
/// assert!(request.headers()["authorization"].to_str()?.starts_with("OPEN-BODY-SIG AppId=\"my-app-id\""));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("credentials", &self.inner.credentials)
            .field("environment", &self.inner.environment)
            .field("auth", &self.inner.auth)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Client`] with a custom clock or nonce source.
pub struct ClientBuilder {
    credentials: Credentials,
    environment: Environment,
    clock: Arc<dyn Clock>,
    nonce: Arc<dyn NonceSource>,
    auth: AuthScheme,
    token_margin: Duration,
    token_lease_ttl: Duration,
    token_poll_interval: Duration,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("credentials", &self.credentials)
            .field("environment", &self.environment)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// Uses `clock` for timestamps instead of the system clock.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Uses a shared `clock` (e.g. one a test keeps a handle to).
    pub fn shared_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Uses `nonce` for nonces instead of the OS CSPRNG.
    pub fn nonce_source(mut self, nonce: impl NonceSource) -> Self {
        self.nonce = Arc::new(nonce);
        self
    }

    /// Chooses the authentication scheme (default: OPEN-BODY-SIG).
    pub fn auth(mut self, scheme: AuthScheme) -> Self {
        self.auth = scheme;
        self
    }

    /// With OPEN-ACCESS-TOKEN: refresh a cached token this long before it expires
    /// (default [`DEFAULT_TOKEN_REFRESH_MARGIN`], 5 minutes).
    pub fn token_refresh_margin(mut self, margin: Duration) -> Self {
        self.token_margin = margin;
        self
    }

    /// With a shared token store: how long a process may hold the store's lease to fetch a
    /// token (default [`DEFAULT_TOKEN_LEASE_TTL`], 10 s). If it dies holding the lease, the
    /// other processes fetch after this long; if its fetch takes longer, another process may
    /// fetch as well. A zero is raised to one millisecond.
    ///
    /// The store itself is given to the adapter (`chinaums_tokio::ClientBuilder::token_store`,
    /// say); the calls then share tokens through it.
    pub fn token_lease_ttl(mut self, ttl: Duration) -> Self {
        self.token_lease_ttl = ttl.max(Duration::from_millis(1));
        self
    }

    /// With a shared token store: how often a process waiting for another process's fetch
    /// looks in the store again (default [`DEFAULT_TOKEN_POLL_INTERVAL`], 50 ms). A zero is
    /// raised to one millisecond.
    pub fn token_poll_interval(mut self, interval: Duration) -> Self {
        self.token_poll_interval = interval.max(Duration::from_millis(1));
        self
    }

    /// The client.
    pub fn build(self) -> Client {
        Client {
            inner: Arc::new(Inner {
                credentials_ok: self.credentials.check(),
                credentials: self.credentials,
                clock: self.clock,
                nonce: self.nonce,
                auth: self.auth,
                tokens: TokenCache::new(self.token_margin),
                token_lease_ttl: self.token_lease_ttl,
                token_poll_interval: self.token_poll_interval,
                base: BaseParts::of(self.environment.base_url()),
                environment: self.environment,
            }),
        }
    }
}

impl Client {
    /// A client with the system clock and CSPRNG nonces.
    pub fn new(credentials: Credentials, environment: Environment) -> Client {
        Client::builder(credentials, environment).build()
    }

    /// A builder, to inject a clock or a nonce source.
    pub fn builder(credentials: Credentials, environment: Environment) -> ClientBuilder {
        ClientBuilder {
            credentials,
            environment,
            clock: Arc::new(SystemClock),
            nonce: Arc::new(RandomNonce),
            auth: AuthScheme::BodySig,
            token_margin: DEFAULT_TOKEN_REFRESH_MARGIN,
            token_lease_ttl: DEFAULT_TOKEN_LEASE_TTL,
            token_poll_interval: DEFAULT_TOKEN_POLL_INTERVAL,
        }
    }

    /// The credentials.
    pub fn credentials(&self) -> &Credentials {
        &self.inner.credentials
    }

    /// The environment.
    pub fn environment(&self) -> &Environment {
        &self.inner.environment
    }

    /// "Now" according to the injected clock.
    pub fn now(&self) -> SystemTime {
        self.inner.clock.now()
    }

    /// Validates `op` and serializes its body once, to the bytes that will be signed and sent:
    /// the common envelope, `requestTimestamp` first (from the clock unless the operation
    /// chose one), then the operation's fields.
    pub fn encode<O: Operation>(&self, op: &O) -> Result<Vec<u8>, Error> {
        op.validate()?;
        let request_timestamp = self.request_timestamp_of(op.request_timestamp())?;
        op.encode(&request_timestamp)
    }

    /// The `requestTimestamp` to send: the operation's own, or the clock's (both Beijing).
    fn request_timestamp_of(&self, chosen: Option<PrimitiveDateTime>) -> Result<String, Error> {
        let request_timestamp = match chosen {
            Some(at) => format_datetime(at),
            None => request_timestamp(self.now()),
        };
        if request_timestamp.len() != 19 {
            return Err(InvalidField::new(
                "requestTimestamp",
                "must be a date between years 0000 and 9999",
            )
            .into());
        }
        Ok(request_timestamp)
    }

    /// The authentication scheme.
    pub fn auth_scheme(&self) -> AuthScheme {
        self.inner.auth
    }

    /// Validates `op` and builds the authorized request, ready to send, in one step.
    ///
    /// With OPEN-ACCESS-TOKEN this needs a cached, fresh token (fetched by an earlier
    /// [`Client::call`]); otherwise it fails with [`Error::Config`]. Drive a `call` instead.
    pub fn prepare<O: Operation>(&self, op: &O) -> Result<http::Request<Vec<u8>>, Error> {
        let body = self.encode(op)?;
        match self.inner.auth {
            AuthScheme::BodySig => self.sign_request(op.path(), body),
            AuthScheme::AccessToken => {
                let token = self.inner.tokens.peek(self.now()).ok_or_else(|| {
                    Error::config(
                        ConfigErrorKind::NoToken,
                        "no fresh access token cached: drive a call() to fetch one",
                    )
                })?;
                self.token_authorized_request(op.path(), body, &token)
            }
        }
    }

    /// The signed GET URL of an H5 payment (OPEN-FORM-PARAM): send the payer's browser there;
    /// the platform answers with a `302` to its cashier. `requestTimestamp` comes first in the
    /// `content`, then the operation's fields; the signature covers that JSON unencoded, and
    /// each query value is encoded once, as `java.net.URLEncoder` does.
    pub fn redirect_url<R: Redirect>(&self, op: &R) -> Result<http::Uri, Error> {
        self.inner.credentials_ok.clone()?;
        op.validate()?;
        let request_timestamp = self.request_timestamp_of(op.request_timestamp())?;
        let content = String::from_utf8(encode_enveloped(op, &request_timestamp)?)
            .map_err(|_| Error::config(ConfigErrorKind::Request, "the URL content is not UTF-8"))?;
        // The path must make a URL under the base; the query is built by the form-param module.
        self.uri(R::PATH)?;
        let credentials = &self.inner.credentials;
        let url = form_param::redirect_url(
            self.inner.environment.base_url(),
            R::PATH,
            credentials.app_id(),
            credentials.app_key(),
            &auth_timestamp(self.now()),
            &self.nonce()?,
            &content,
        );
        url.parse().map_err(|_| {
            Error::config(
                ConfigErrorKind::Request,
                "the signed URL is not a valid URI",
            )
        })
    }

    /// The raw escape hatch: signs `body` (exact bytes, sent as they are) for `POST {base}{path}`
    /// with OPEN-BODY-SIG, whatever the client's scheme.
    pub fn sign_request(&self, path: &str, body: Vec<u8>) -> Result<http::Request<Vec<u8>>, Error> {
        self.inner.credentials_ok.clone()?;
        let uri = self.uri(path)?;
        let timestamp = auth_timestamp(self.now());
        let nonce = self.nonce()?;
        let credentials = &self.inner.credentials;
        body_sig::signed_request(uri, credentials, &timestamp, &nonce, body)
    }

    /// `body` for `POST {base}{path}` with `Authorization: OPEN-ACCESS-TOKEN AccessToken=…`.
    pub(crate) fn token_authorized_request(
        &self,
        path: &str,
        body: Vec<u8>,
        token: &AccessToken,
    ) -> Result<http::Request<Vec<u8>>, Error> {
        token::authorized_request(self.uri(path)?, token, body)
    }

    /// The token request (`POST /v1/token/access`) at the clock's current time.
    pub(crate) fn token_request(&self) -> Result<http::Request<Vec<u8>>, Error> {
        self.inner.credentials_ok.clone()?;
        let uri = self.uri(token::PATH)?;
        let timestamp = auth_timestamp(self.now());
        let nonce = self.nonce()?;
        token::token_request(uri, &self.inner.credentials, &timestamp, &nonce)
    }

    /// A fresh `merOrderId` in the layout the platform recommends: the merchant's `msgSrcId`,
    /// the Beijing time to the millisecond, then 7 digits drawn from the nonce source (28
    /// characters). Reproducible with a fixed clock and nonce.
    ///
    /// ```
    /// use chinaums::{Client, Credentials, Environment, FixedClock, FixedNonce};
    ///
    /// let client = Client::builder(Credentials::new("my-app-id", "my-app-key"), Environment::Test)
    ///     .clock(FixedClock::from_unix(1_704_081_600))
    ///     .nonce_source(FixedNonce::new("0123456789abcdef0123456789abcdef"))
    ///     .build();
    /// let id = client.new_mer_order_id(&"3194".parse()?)?;
    /// assert!(id.as_str().starts_with("319420240101120000000"));
    /// assert_eq!(id.as_str().len(), 28);
    /// # Ok::<(), chinaums::Error>(())
    /// ```
    pub fn new_mer_order_id(&self, msg_src_id: &MsgSrcId) -> Result<MerOrderId, Error> {
        Ok(MerOrderId::new(self.fresh_id(msg_src_id)?)?)
    }

    /// A fresh `refundOrderId` for a new refund, in the same layout as
    /// [`Client::new_mer_order_id`]. Keep it with the refund: sending the refund again with it
    /// (after a timeout, say) returns the same refund instead of refunding twice.
    pub fn new_refund_order_id(&self, msg_src_id: &MsgSrcId) -> Result<RefundOrderId, Error> {
        Ok(RefundOrderId::new(self.fresh_id(msg_src_id)?)?)
    }

    /// `{msgSrcId}{yyyyMMddHHmmssSSS}{7 digits}` from the injected clock and nonce source.
    fn fresh_id(&self, msg_src_id: &MsgSrcId) -> Result<String, Error> {
        use sha2::{Digest as _, Sha256};
        let at = crate::types::time::beijing(self.now());
        let stamp = crate::types::time::order_id_timestamp(at);
        // Any nonce source will do: its nonce is hashed down to the 7 digits.
        let digest = Sha256::digest(self.nonce()?.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        let digits = u64::from_be_bytes(first) % 10_000_000;
        Ok(format!("{msg_src_id}{stamp}{digits:07}"))
    }

    /// How many access-token fetches this client (and its clones) has started (for tests of
    /// the single-flight rule).
    #[doc(hidden)]
    pub fn token_fetches_started(&self) -> u64 {
        self.inner.tokens.fetches_started()
    }

    /// How many times a shared token store failed this client's calls (each time the call
    /// went on with the process's own cache), for tests of the degraded path.
    #[doc(hidden)]
    pub fn token_store_failures(&self) -> u64 {
        self.inner.tokens.store_failures()
    }

    pub(crate) fn tokens(&self) -> &TokenCache {
        &self.inner.tokens
    }

    pub(crate) fn token_lease_ttl(&self) -> Duration {
        self.inner.token_lease_ttl
    }

    pub(crate) fn token_poll_interval(&self) -> Duration {
        self.inner.token_poll_interval
    }

    /// A fresh nonce from the injected source (also a shared lease's owner).
    pub(crate) fn fresh_nonce(&self) -> Result<String, Error> {
        self.nonce()
    }

    fn nonce(&self) -> Result<String, Error> {
        let nonce = self.inner.nonce.nonce()?;
        check_nonce(&nonce)?;
        Ok(nonce)
    }

    /// Decodes the response to an operation built by this client.
    pub fn parse<O: Operation>(
        &self,
        response: &http::Response<Vec<u8>>,
    ) -> Result<O::Response, Error> {
        response::parse::<O::Response>(response, O::classify)
    }

    /// Validates `op` and returns the call's state machine; no I/O happens here.
    pub fn call<O: Operation>(&self, op: &O) -> Result<Call<O::Response>, Error>
    where
        O::Response: Reply,
    {
        let body = self.encode(op)?;
        // Check the path now so that a bad one fails before anything is sent.
        self.uri(op.path())?;
        Ok(Call::new(
            self.clone(),
            op.path().to_owned(),
            body,
            O::classify,
            op.follow_up(),
        ))
    }

    pub(crate) fn uri(&self, path: &str) -> Result<http::Uri, Error> {
        if !path.starts_with('/') || path.contains(['?', '#']) {
            return Err(Error::config(
                ConfigErrorKind::Path,
                format!("path {path:?} must start with `/` and have no query or fragment"),
            ));
        }
        let invalid = || {
            Error::config(
                ConfigErrorKind::Path,
                format!("path {path:?} does not make a valid URL"),
            )
        };
        let Some(base) = &self.inner.base else {
            return format!("{}{}", self.inner.environment.base_url(), path)
                .parse()
                .map_err(|_| invalid());
        };
        let path_and_query = if base.prefix.is_empty() {
            http::uri::PathAndQuery::try_from(path)
        } else {
            http::uri::PathAndQuery::try_from(format!("{}{path}", base.prefix))
        }
        .map_err(|_| invalid())?;
        let mut parts = http::uri::Parts::default();
        parts.scheme = Some(base.scheme.clone());
        parts.authority = Some(base.authority.clone());
        parts.path_and_query = Some(path_and_query);
        http::Uri::from_parts(parts).map_err(|_| invalid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_app_key() {
        let credentials = Credentials::new("app", "super-secret-key");
        let client = Client::new(credentials.clone(), Environment::Test);
        assert!(!format!("{credentials:?}").contains("super-secret-key"));
        assert!(!format!("{client:?}").contains("super-secret-key"));
        assert!(format!("{client:?}").contains("app"));
    }

    #[test]
    fn bad_credentials_and_paths_fail_before_signing() {
        let kind = |result: Result<http::Request<Vec<u8>>, Error>| match result {
            Err(Error::Config(e)) => e.kind,
            other => panic!("{other:?}"),
        };
        let client = Client::new(Credentials::new("a\"b", "k"), Environment::Test);
        assert_eq!(
            kind(client.sign_request("/v1/x", vec![])),
            ConfigErrorKind::Credentials
        );
        let client = Client::new(Credentials::new("app", ""), Environment::Test);
        assert_eq!(
            kind(client.sign_request("/v1/x", vec![])),
            ConfigErrorKind::Credentials
        );
        let client = Client::new(Credentials::new("app", "key"), Environment::Test);
        assert_eq!(
            kind(client.sign_request("v1/x", vec![])),
            ConfigErrorKind::Path
        );
        assert_eq!(
            kind(client.sign_request("/v1/x?a", vec![])),
            ConfigErrorKind::Path
        );
    }

    #[test]
    fn request_uris_keep_the_base_path_prefix() {
        for (base, expected) in [
            (
                "https://proxy.example/ums",
                "https://proxy.example/ums/v1/x",
            ),
            (
                "https://proxy.example/ums/",
                "https://proxy.example/ums/v1/x",
            ),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080/v1/x"),
        ] {
            let client = Client::new(
                Credentials::new("app", "key"),
                Environment::custom(base).unwrap(),
            );
            let request = client.sign_request("/v1/x", b"{}".to_vec()).unwrap();
            assert_eq!(request.uri(), expected, "{base}");
        }
    }

    #[test]
    fn authorization_is_marked_sensitive() {
        let client = Client::new(Credentials::new("app", "key"), Environment::Test);
        let request = client.sign_request("/v1/x", b"{}".to_vec()).unwrap();
        assert!(request.headers()[http::header::AUTHORIZATION].is_sensitive());
        assert!(!format!("{request:?}").contains("Signature="));
    }
}
