#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod blocking;
mod nonblocking;
mod resp;
mod target;

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chinaums::{AsyncTokenStore, Lease, StoreError, StoreFuture, StoredToken, TokenStore};
use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;

use crate::resp::Command;
use crate::target::{Address, Target};

/// The in-memory store of the core, re-exported for tests and single-process setups: same
/// semantics as [`RedisTokenStore`], no server, shared only by clones in one process.
///
/// ```
/// use chinaums_redis::MemoryTokenStore;
///
/// let store = MemoryTokenStore::new(); // where a test would otherwise need a redis-server
/// # let _ = store;
/// ```
pub use chinaums::MemoryTokenStore;

/// The default key prefix: keys are `chinaums:<appId>:token` and `chinaums:<appId>:lease`.
///
/// ```
/// use chinaums_redis::{DEFAULT_KEY_PREFIX, RedisTokenStore};
///
/// let store = RedisTokenStore::new("redis://127.0.0.1")?;
/// assert_eq!(store.token_key("app"), format!("{DEFAULT_KEY_PREFIX}app:token"));
/// # Ok::<(), chinaums::StoreError>(())
/// ```
pub const DEFAULT_KEY_PREFIX: &str = "chinaums:";

/// The default bound on opening a connection (TCP, TLS, `AUTH`, `SELECT`): 1 s. A store that
/// cannot be reached must not hold up a payment call; the call then goes on with its own cache.
///
/// ```
/// use std::time::Duration;
///
/// assert_eq!(chinaums_redis::DEFAULT_CONNECT_TIMEOUT, Duration::from_secs(1));
/// ```
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// The default bound on one store operation once connected (sending the command and reading
/// its reply): 1 s.
///
/// ```
/// use std::time::Duration;
///
/// assert_eq!(chinaums_redis::DEFAULT_OPERATION_TIMEOUT, Duration::from_secs(1));
/// ```
pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(1);

/// At most this many idle connections are kept (per flavour: blocking and async).
const MAX_IDLE: usize = 4;

/// An idle connection older than this is closed rather than reused: a store is used about once
/// per token lifetime, and a connection idle that long may have been cut by a firewall
/// without a trace.
const MAX_IDLE_TIME: Duration = Duration::from_secs(60);

/// A shared token store in Redis, for every adapter: [`TokenStore`] (blocking, for
/// `chinaums-ureq`) and [`AsyncTokenStore`] (any executor: `chinaums-tokio`,
/// `chinaums-async-std` under async-std or smol).
///
/// Cheap to clone; clones share their idle connections. A connection is opened when first
/// needed and again after any failure, so the store survives a Redis restart. Each operation
/// is bounded by the connect and operation timeouts, and every error message names the server
/// without its user name or password.
///
/// ```no_run
/// use chinaums_redis::RedisTokenStore;
///
/// let store = RedisTokenStore::new("redis://127.0.0.1:6379/0")?;
/// # Ok::<(), chinaums::StoreError>(())
/// ```
#[derive(Clone)]
pub struct RedisTokenStore {
    inner: Arc<Inner>,
}

struct Inner {
    settings: Settings,
    idle_blocking: Mutex<Vec<blocking::Conn>>,
    idle_async: Mutex<Vec<nonblocking::Conn>>,
}

/// What the connections need to open.
pub(crate) struct Settings {
    pub(crate) target: Target,
    /// For `rediss://`.
    pub(crate) tls: Option<Arc<rustls::ClientConfig>>,
    key_prefix: String,
    connect_timeout: Duration,
    operation_timeout: Duration,
    extra_roots: usize,
}

impl fmt::Debug for RedisTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let settings = &self.inner.settings;
        f.debug_struct("RedisTokenStore")
            .field("url", &settings.target.shown)
            .field("auth", &auth_shown(&settings.target))
            .field("key_prefix", &settings.key_prefix)
            .field("connect_timeout", &settings.connect_timeout)
            .field("operation_timeout", &settings.operation_timeout)
            .field("extra_roots", &settings.extra_roots)
            .finish()
    }
}

/// Whether credentials are set, never what they are.
fn auth_shown(target: &Target) -> &'static str {
    match (&target.username, &target.password) {
        (_, None) => "none",
        (None, Some(_)) => "password",
        (Some(_), Some(_)) => "username and password",
    }
}

impl RedisTokenStore {
    /// A store at `url` with the default settings (see [`RedisTokenStoreBuilder`] for the URL
    /// forms). Nothing is connected yet.
    ///
    /// ```
    /// use chinaums_redis::RedisTokenStore;
    ///
    /// let store = RedisTokenStore::new("redis://:secret@127.0.0.1:6379/0")?;
    /// assert!(!format!("{store:?}").contains("secret"));
    /// # Ok::<(), chinaums::StoreError>(())
    /// ```
    pub fn new(url: impl AsRef<str>) -> Result<RedisTokenStore, StoreError> {
        RedisTokenStore::builder(url).build()
    }

    /// A builder for a store at `url`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use chinaums_redis::RedisTokenStore;
    ///
    /// let store = RedisTokenStore::builder("redis://redis.internal:6379/2")
    ///     .key_prefix("shop-a:")
    ///     .password("from-a-secret-manager")
    ///     .operation_timeout(Duration::from_millis(500))
    ///     .build()?;
    /// assert_eq!(store.token_key("my-app-id"), "shop-a:my-app-id:token");
    /// # Ok::<(), chinaums::StoreError>(())
    /// ```
    pub fn builder(url: impl AsRef<str>) -> RedisTokenStoreBuilder {
        RedisTokenStoreBuilder {
            target: Target::parse(url.as_ref()),
            key_prefix: DEFAULT_KEY_PREFIX.to_owned(),
            username: None,
            password: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            operation_timeout: DEFAULT_OPERATION_TIMEOUT,
            root_pems: Vec::new(),
        }
    }

    /// The key holding `app_id`'s token: `{prefix}{app_id}:token`, a string
    /// `<issued_at ms> <expires_at ms> <token>` ([`StoredToken::to_line`]) that Redis deletes
    /// when the token expires.
    ///
    /// ```
    /// use chinaums_redis::RedisTokenStore;
    ///
    /// let store = RedisTokenStore::new("redis://127.0.0.1")?;
    /// assert_eq!(store.token_key("my-app-id"), "chinaums:my-app-id:token");
    /// # Ok::<(), chinaums::StoreError>(())
    /// ```
    pub fn token_key(&self, app_id: &str) -> String {
        format!("{}{app_id}:token", self.inner.settings.key_prefix)
    }

    /// The key holding `app_id`'s lease: `{prefix}{app_id}:lease`, the owner of the lease,
    /// which Redis deletes when the lease lapses.
    ///
    /// ```
    /// use chinaums_redis::RedisTokenStore;
    ///
    /// let store = RedisTokenStore::new("redis://127.0.0.1")?;
    /// assert_eq!(store.lease_key("my-app-id"), "chinaums:my-app-id:lease");
    /// # Ok::<(), chinaums::StoreError>(())
    /// ```
    pub fn lease_key(&self, app_id: &str) -> String {
        format!("{}{app_id}:lease", self.inner.settings.key_prefix)
    }

    fn error(&self, message: impl fmt::Display) -> StoreError {
        StoreError::new(self.inner.settings.target.error(message))
    }

    /// One command on an idle or a new blocking connection. The connection goes back to the
    /// idle list only after a complete reply (a server error included).
    fn run_blocking(&self, command: &Command) -> Result<redis::Value, StoreError> {
        let settings = &self.inner.settings;
        let idle = take_idle(&self.inner.idle_blocking, blocking::Conn::reusable, |c| {
            c.idle_since
        });
        let mut conn = match idle {
            Some(conn) => conn,
            None => blocking::Conn::open(settings, now() + settings.connect_timeout)
                .map_err(|e| self.error(e))?,
        };
        let value = conn
            .roundtrip(command, now() + settings.operation_timeout)
            .map_err(|e| self.error(e))?;
        conn.idle_since = now();
        put_idle(&self.inner.idle_blocking, conn);
        Ok(value)
    }

    /// [`RedisTokenStore::run_blocking`] for async code. Each phase is raced against its
    /// timeout on async-io's timer, which works under any executor; a connection whose phase
    /// timed out (or whose future was dropped) is closed, never reused.
    async fn run_async(&self, command: &Command) -> Result<redis::Value, StoreError> {
        let settings = &self.inner.settings;
        let idle = take_idle(&self.inner.idle_async, nonblocking::Conn::reusable, |c| {
            c.idle_since
        });
        let mut conn = match idle {
            Some(conn) => conn,
            None => within(
                settings.connect_timeout,
                "connecting",
                nonblocking::Conn::open(settings),
            )
            .await
            .map_err(|e| self.error(e))?,
        };
        let value = within(
            settings.operation_timeout,
            command.name,
            conn.roundtrip(command),
        )
        .await
        .map_err(|e| self.error(e))?;
        conn.idle_since = now();
        put_idle(&self.inner.idle_async, conn);
        Ok(value)
    }

    fn load_command(&self, app_id: &str) -> Command {
        resp::get(&self.token_key(app_id))
    }

    fn lease_command(&self, app_id: &str, lease: &Lease) -> Command {
        resp::set_lease(&self.lease_key(app_id), &lease.owner, lease.ttl.as_millis())
    }

    fn publish_command(&self, app_id: &str, token: &StoredToken, lease: &Lease) -> Command {
        resp::publish(
            &self.token_key(app_id),
            &self.lease_key(app_id),
            token,
            &lease.owner,
        )
    }

    fn release_command(&self, app_id: &str, lease: &Lease) -> Command {
        resp::release(&self.lease_key(app_id), &lease.owner)
    }
}

/// The most recently used idle connection that is still open and not too old; the others met
/// on the way are closed (outside the lock).
fn take_idle<C>(
    idle: &Mutex<Vec<C>>,
    reusable: impl Fn(&C) -> bool,
    idle_since: impl Fn(&C) -> Instant,
) -> Option<C> {
    let mut closed = Vec::new();
    let found = {
        // Every statement leaves the list consistent: a poisoned lock is still usable.
        let mut idle = idle.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            match idle.pop() {
                None => break None,
                Some(conn)
                    if now().saturating_duration_since(idle_since(&conn)) < MAX_IDLE_TIME
                        && reusable(&conn) =>
                {
                    break Some(conn);
                }
                Some(conn) => closed.push(conn),
            }
        }
    };
    drop(closed);
    found
}

fn put_idle<C>(idle: &Mutex<Vec<C>>, conn: C) {
    let mut idle = idle.lock().unwrap_or_else(|p| p.into_inner());
    if idle.len() < MAX_IDLE {
        idle.push(conn);
    }
}

/// `future`, or an error saying `what` timed out once `limit` has passed: async-io's timer, so
/// it works under any executor (under tokio, async-io's own thread drives it).
async fn within<T>(
    limit: Duration,
    what: &str,
    future: impl Future<Output = Result<T, String>>,
) -> Result<T, String> {
    futures_lite::future::or(future, async {
        async_io::Timer::after(limit).await;
        Err(format!("{what} timed out after {limit:?}"))
    })
    .await
}

/// The store's monotonic clock, for its deadlines and idle connections only. (The workspace
/// forbids reading the clock so that the sans-IO core takes time from an injected `Clock`; a
/// store's socket deadlines are not what that rule is about.)
#[allow(clippy::disallowed_methods)]
pub(crate) fn now() -> Instant {
    Instant::now()
}

impl TokenStore for RedisTokenStore {
    fn load(&self, app_id: &str) -> Result<Option<StoredToken>, StoreError> {
        let value = self.run_blocking(&self.load_command(app_id))?;
        resp::loaded(value).map_err(|e| self.error(e))
    }

    fn try_lease(&self, app_id: &str, lease: &Lease) -> Result<bool, StoreError> {
        let value = self.run_blocking(&self.lease_command(app_id, lease))?;
        resp::leased(value).map_err(|e| self.error(e))
    }

    fn publish(&self, app_id: &str, token: &StoredToken, lease: &Lease) -> Result<(), StoreError> {
        let command = self.publish_command(app_id, token, lease);
        let value = self.run_blocking(&command)?;
        resp::done(command.name, value).map_err(|e| self.error(e))
    }

    fn release(&self, app_id: &str, lease: &Lease) -> Result<(), StoreError> {
        let command = self.release_command(app_id, lease);
        let value = self.run_blocking(&command)?;
        resp::done(command.name, value).map_err(|e| self.error(e))
    }
}

impl AsyncTokenStore for RedisTokenStore {
    fn load<'a>(&'a self, app_id: &'a str) -> StoreFuture<'a, Option<StoredToken>> {
        Box::pin(async move {
            let value = self.run_async(&self.load_command(app_id)).await?;
            resp::loaded(value).map_err(|e| self.error(e))
        })
    }

    fn try_lease<'a>(&'a self, app_id: &'a str, lease: &'a Lease) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let value = self.run_async(&self.lease_command(app_id, lease)).await?;
            resp::leased(value).map_err(|e| self.error(e))
        })
    }

    fn publish<'a>(
        &'a self,
        app_id: &'a str,
        token: &'a StoredToken,
        lease: &'a Lease,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let command = self.publish_command(app_id, token, lease);
            let value = self.run_async(&command).await?;
            resp::done(command.name, value).map_err(|e| self.error(e))
        })
    }

    fn release<'a>(&'a self, app_id: &'a str, lease: &'a Lease) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let command = self.release_command(app_id, lease);
            let value = self.run_async(&command).await?;
            resp::done(command.name, value).map_err(|e| self.error(e))
        })
    }
}

/// Settings for a [`RedisTokenStore`], from [`RedisTokenStore::builder`].
///
/// The URL is one of
/// - `redis://[user[:password]@]host[:port][/db]` (port 6379 and db 0 by default),
/// - `rediss://…` the same over TLS: the server's certificate is verified against Mozilla's
///   roots and any added with [`add_root_certificate_pem`](Self::add_root_certificate_pem),
/// - `redis+unix:///path/to/redis.sock[?db=N&user=U&pass=P]` (or `unix://…`).
///
/// User names and passwords in the URL are percent-decoded; [`username`](Self::username) and
/// [`password`](Self::password) replace them (e.g. with a password from a secret manager, so
/// the URL can live in plain configuration).
///
/// ```
/// use std::time::Duration;
/// use chinaums_redis::RedisTokenStore;
///
/// let builder = RedisTokenStore::builder("rediss://cache.internal:6380/0")
///     .username("payments")
///     .password("s3cret")
///     .connect_timeout(Duration::from_millis(300));
/// assert!(!format!("{builder:?}").contains("s3cret"));
/// let store = builder.build()?;
/// # Ok::<(), chinaums::StoreError>(())
/// ```
pub struct RedisTokenStoreBuilder {
    target: Result<Target, String>,
    key_prefix: String,
    username: Option<String>,
    password: Option<String>,
    connect_timeout: Duration,
    operation_timeout: Duration,
    root_pems: Vec<Vec<u8>>,
}

impl fmt::Debug for RedisTokenStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = match &self.target {
            Ok(target) => target.shown.as_str(),
            Err(_) => "<invalid>",
        };
        f.debug_struct("RedisTokenStoreBuilder")
            .field("url", &url)
            .field("username_set", &self.username.is_some())
            .field("password_set", &self.password.is_some())
            .field("key_prefix", &self.key_prefix)
            .field("connect_timeout", &self.connect_timeout)
            .field("operation_timeout", &self.operation_timeout)
            .field("extra_roots", &self.root_pems.len())
            .finish()
    }
}

impl RedisTokenStoreBuilder {
    /// The prefix of every key ([`DEFAULT_KEY_PREFIX`] by default): stores with different
    /// prefixes share nothing, e.g. two environments in one Redis database.
    ///
    /// ```
    /// let store = chinaums_redis::RedisTokenStore::builder("redis://127.0.0.1")
    ///     .key_prefix("staging:chinaums:")
    ///     .build()?;
    /// assert_eq!(store.lease_key("app"), "staging:chinaums:app:lease");
    /// # Ok::<(), chinaums::StoreError>(())
    /// ```
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = prefix.into();
        self
    }

    /// The ACL user name (Redis 6 and later), instead of the URL's. Used only with a password.
    ///
    /// ```
    /// # let builder = chinaums_redis::RedisTokenStore::builder("redis://127.0.0.1");
    /// let builder = builder.username("payments").password("s3cret");
    /// ```
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// The password (`AUTH`), instead of the URL's. Never shown in `Debug` or in an error.
    ///
    /// ```
    /// # let builder = chinaums_redis::RedisTokenStore::builder("redis://127.0.0.1");
    /// let builder = builder.password(std::env::var("REDIS_PASSWORD").unwrap_or_default());
    /// ```
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(password.into());
        self
    }

    /// The bound on opening a connection: TCP connect, TLS handshake, `AUTH` and `SELECT`
    /// ([`DEFAULT_CONNECT_TIMEOUT`] by default). The blocking store looks a host name up
    /// before that, with the system resolver and its own timeouts; give an IP address to
    /// avoid the lookup.
    ///
    /// ```
    /// # let builder = chinaums_redis::RedisTokenStore::builder("redis://127.0.0.1");
    /// let builder = builder.connect_timeout(std::time::Duration::from_millis(250));
    /// ```
    pub fn connect_timeout(mut self, limit: Duration) -> Self {
        self.connect_timeout = limit;
        self
    }

    /// The bound on one operation once connected: sending the command and reading its reply
    /// ([`DEFAULT_OPERATION_TIMEOUT`] by default).
    ///
    /// ```
    /// # let builder = chinaums_redis::RedisTokenStore::builder("redis://127.0.0.1");
    /// let builder = builder.operation_timeout(std::time::Duration::from_millis(250));
    /// ```
    pub fn operation_timeout(mut self, limit: Duration) -> Self {
        self.operation_timeout = limit;
        self
    }

    /// Trusts the `CERTIFICATE` blocks of `pem` besides Mozilla's roots, for a `rediss://`
    /// server whose certificate a private CA issued. Read when the store is built.
    ///
    /// ```no_run
    /// let store = chinaums_redis::RedisTokenStore::builder("rediss://cache.internal:6380")
    ///     .add_root_certificate_pem(&std::fs::read("/etc/redis/ca.pem")?)
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_root_certificate_pem(mut self, pem: &[u8]) -> Self {
        self.root_pems.push(pem.to_vec());
        self
    }

    /// The store. Fails on an unreadable URL, a zero timeout, an unreadable or unusable root
    /// certificate, or root certificates for a URL without TLS. Connects to nothing.
    ///
    /// ```
    /// let error = chinaums_redis::RedisTokenStore::builder("http://127.0.0.1").build().unwrap_err();
    /// assert!(error.message.contains("scheme"));
    /// ```
    pub fn build(self) -> Result<RedisTokenStore, StoreError> {
        let mut target = self.target.map_err(StoreError::new)?;
        if let Some(username) = self.username {
            target.username = Some(username);
        }
        if let Some(password) = self.password {
            target.password = Some(password);
        }
        let fail = |message: String| StoreError::new(target.error(message));
        if self.connect_timeout.is_zero() || self.operation_timeout.is_zero() {
            return Err(fail(
                "the connect and operation timeouts must not be zero".into(),
            ));
        }
        let tls = matches!(target.address, Address::Tcp { tls: true, .. });
        if !tls && !self.root_pems.is_empty() {
            return Err(fail(
                "root certificates were added but the URL is not rediss:// (no TLS)".into(),
            ));
        }
        // The core's PEM reader, shared with the HTTP adapters.
        let mut extra = chinaums::TransportConfig::new();
        for pem in &self.root_pems {
            extra = extra
                .add_root_certificate_pem(pem)
                .map_err(|e| fail(e.to_string()))?;
        }
        let extra_roots = extra.extra_roots().len();
        let tls = if tls {
            Some(Arc::new(tls_config(&extra).map_err(fail)?))
        } else {
            None
        };
        Ok(RedisTokenStore {
            inner: Arc::new(Inner {
                settings: Settings {
                    target,
                    tls,
                    key_prefix: self.key_prefix,
                    connect_timeout: self.connect_timeout,
                    operation_timeout: self.operation_timeout,
                    extra_roots,
                },
                idle_blocking: Mutex::default(),
                idle_async: Mutex::default(),
            }),
        })
    }
}

/// rustls with the ring provider passed explicitly (a process-wide default provider is neither
/// used nor installed), Mozilla's roots and the extra ones.
fn tls_config(extra: &chinaums::TransportConfig) -> Result<rustls::ClientConfig, String> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for der in extra.extra_roots() {
        roots
            .add(CertificateDer::from(der.to_vec()))
            .map_err(|e| format!("unusable root certificate: {e}"))?;
    }
    Ok(rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("cannot configure TLS: {e}"))?
    .with_root_certificates(roots)
    .with_no_client_auth())
}

#[cfg(test)]
mod tests;
