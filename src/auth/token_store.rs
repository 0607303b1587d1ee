//! Sharing access tokens across processes: what a call asks of a shared store, the two store
//! traits (blocking and async) an adapter performs those requests with, and an in-memory store.
//!
//! The platform allows at most 10 valid tokens per appId and asks merchants to keep them in
//! one central place. A fleet of processes with one appId therefore shares one token: one
//! process takes a short *lease*, fetches, publishes the token with its expiry and releases the
//! lease; the others poll the store until the token appears. The core decides every step; the
//! adapter only performs [`StoreOp`]s with the store it was given, outside every lock.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::auth::token::AccessToken;
use crate::clock::{Clock, SystemClock};

/// A token as shared across processes through a store.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredToken {
    /// The token.
    pub access_token: AccessToken,
    /// When it was asked for: its lifetime counts from here, so every process refreshes it at
    /// the same moment.
    pub issued_at: SystemTime,
    /// When it stops being valid.
    pub expires_at: SystemTime,
}

impl fmt::Debug for StoredToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredToken")
            .field("access_token", &self.access_token)
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl StoredToken {
    /// Whether this token should replace `stored` in a store: it expires no earlier. A
    /// publication that lost a race (an older token published after a newer one) changes
    /// nothing; one as new as the stored token replaces it, so that a token fetched because the
    /// platform rejected the stored one (within the same second) takes its place.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use chinaums::{AccessToken, StoredToken};
    ///
    /// let token = |value: &str, expires: u64| StoredToken {
    ///     access_token: AccessToken::new(value),
    ///     issued_at: UNIX_EPOCH,
    ///     expires_at: UNIX_EPOCH + Duration::from_secs(expires),
    /// };
    /// assert!(token("new", 7200).supersedes(Some(&token("old", 3600))));
    /// assert!(!token("late", 3600).supersedes(Some(&token("newer", 7200))));
    /// assert!(token("first", 3600).supersedes(None));
    /// ```
    pub fn supersedes(&self, stored: Option<&StoredToken>) -> bool {
        stored.is_none_or(|stored| self.expires_at >= stored.expires_at)
    }

    /// The token in one line, `<issued_at ms> <expires_at ms> <token>` (Unix milliseconds), the
    /// form the stores of this project keep: a token is printable ASCII without spaces.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use chinaums::{AccessToken, StoredToken};
    ///
    /// let token = StoredToken {
    ///     access_token: AccessToken::new("30fabba831a447699f5a1fc056dfd4ee"),
    ///     issued_at: UNIX_EPOCH + Duration::from_secs(1_704_081_600),
    ///     expires_at: UNIX_EPOCH + Duration::from_secs(1_704_085_200),
    /// };
    /// let line = token.to_line();
    /// assert_eq!(line, "1704081600000 1704085200000 30fabba831a447699f5a1fc056dfd4ee");
    /// assert_eq!(StoredToken::from_line(&line), Some(token));
    /// assert_eq!(StoredToken::from_line("garbage"), None);
    /// ```
    pub fn to_line(&self) -> String {
        format!(
            "{} {} {}",
            unix_millis(self.issued_at),
            unix_millis(self.expires_at),
            self.access_token.expose()
        )
    }

    /// Reads [`StoredToken::to_line`]'s form; `None` for anything else (a store holding
    /// something unexpected reads as holding no token).
    pub fn from_line(line: &str) -> Option<StoredToken> {
        let mut parts = line.split(' ');
        let issued_at = from_unix_millis(parts.next()?)?;
        let expires_at = from_unix_millis(parts.next()?)?;
        let token = parts.next()?;
        let printable = token.bytes().all(|b| b.is_ascii_graphic() && b != b'"');
        (parts.next().is_none() && !token.is_empty() && printable && issued_at <= expires_at).then(
            || StoredToken {
                access_token: AccessToken::new(token),
                issued_at,
                expires_at,
            },
        )
    }
}

/// Milliseconds since the Unix epoch (0 before it; saturating far in the future).
pub(crate) fn unix_millis(at: SystemTime) -> u64 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn from_unix_millis(text: &str) -> Option<SystemTime> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_millis(text.parse().ok()?))
}

/// The right, in a shared store, to fetch the next token of an appId: whoever holds it fetches,
/// everyone else waits for the publication. It lapses by itself after `ttl`, so a process that
/// dies holding it delays the others by at most that long; only its `owner` may release it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    /// Who holds it: a random value, unique to one fetch.
    pub owner: String,
    /// How long it lasts unless released.
    pub ttl: Duration,
}

/// Why a shared store could not do what was asked (unreachable, timed out, refused). The
/// call goes on with this process's own cache; a store must not put secrets (a password in a
/// URL, a token) in the message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("token store: {message}")]
pub struct StoreError {
    /// What went wrong.
    pub message: String,
}

impl StoreError {
    /// An error saying `message`.
    pub fn new(message: impl Into<String>) -> Self {
        StoreError {
            message: message.into(),
        }
    }
}

/// A shared token store for blocking code (the ureq adapter). Each method must return within a
/// bounded time (a store over the network sets its own connect and read timeouts): the call
/// waits for it.
///
/// ```
/// use std::time::Duration;
/// use chinaums::{AccessToken, Lease, MemoryTokenStore, StoredToken, TokenStore};
///
/// let store = MemoryTokenStore::new();
/// let lease = Lease { owner: "me".into(), ttl: Duration::from_secs(10) };
/// assert_eq!(store.load("app")?, None);
/// assert!(store.try_lease("app", &lease)?);
/// assert!(!store.try_lease("app", &Lease { owner: "you".into(), ..lease.clone() })?);
/// let now = std::time::SystemTime::now();
/// let token = StoredToken {
///     access_token: AccessToken::new("t1"),
///     issued_at: now,
///     expires_at: now + Duration::from_secs(3600),
/// };
/// store.publish("app", &token, &lease)?; // and the lease is released
/// assert_eq!(store.load("app")?, Some(token));
/// # Ok::<(), chinaums::StoreError>(())
/// ```
pub trait TokenStore: Send + Sync + 'static {
    /// The token stored for `app_id`, if any (expired or not: the caller judges).
    fn load(&self, app_id: &str) -> Result<Option<StoredToken>, StoreError>;
    /// Takes `lease` for `app_id` if nobody holds a lease (Redis: `SET key owner NX PX ttl`):
    /// `true` if taken.
    fn try_lease(&self, app_id: &str, lease: &Lease) -> Result<bool, StoreError>;
    /// Stores `token` for `app_id` unless the stored one expires later
    /// ([`StoredToken::supersedes`]),
    /// then releases `lease` if its owner still holds it.
    fn publish(&self, app_id: &str, token: &StoredToken, lease: &Lease) -> Result<(), StoreError>;
    /// Releases `lease` if its owner still holds it (a fetch failed; someone else may try).
    fn release(&self, app_id: &str, lease: &Lease) -> Result<(), StoreError>;
}

/// What an [`AsyncTokenStore`] method returns: a boxed future, so the trait works as
/// `dyn AsyncTokenStore` under any executor.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// A shared token store for async code (the tokio and async-std adapters): the same four
/// operations as [`TokenStore`], as futures, so waiting on the store never blocks an executor
/// thread. The adapter bounds each one by its timeout.
///
/// ```
/// use chinaums::{AsyncTokenStore, MemoryTokenStore};
///
/// # async fn example() -> Result<(), chinaums::StoreError> {
/// let store = MemoryTokenStore::new();
/// assert_eq!(AsyncTokenStore::load(&store, "app").await?, None);
/// # Ok(()) }
/// ```
pub trait AsyncTokenStore: Send + Sync + 'static {
    /// See [`TokenStore::load`].
    fn load<'a>(&'a self, app_id: &'a str) -> StoreFuture<'a, Option<StoredToken>>;
    /// See [`TokenStore::try_lease`].
    fn try_lease<'a>(&'a self, app_id: &'a str, lease: &'a Lease) -> StoreFuture<'a, bool>;
    /// See [`TokenStore::publish`].
    fn publish<'a>(
        &'a self,
        app_id: &'a str,
        token: &'a StoredToken,
        lease: &'a Lease,
    ) -> StoreFuture<'a, ()>;
    /// See [`TokenStore::release`].
    fn release<'a>(&'a self, app_id: &'a str, lease: &'a Lease) -> StoreFuture<'a, ()>;
}

/// A shared store behind an `Arc` is a store: one store value can serve several clients.
impl<S: TokenStore + ?Sized> TokenStore for Arc<S> {
    fn load(&self, app_id: &str) -> Result<Option<StoredToken>, StoreError> {
        (**self).load(app_id)
    }
    fn try_lease(&self, app_id: &str, lease: &Lease) -> Result<bool, StoreError> {
        (**self).try_lease(app_id, lease)
    }
    fn publish(&self, app_id: &str, token: &StoredToken, lease: &Lease) -> Result<(), StoreError> {
        (**self).publish(app_id, token, lease)
    }
    fn release(&self, app_id: &str, lease: &Lease) -> Result<(), StoreError> {
        (**self).release(app_id, lease)
    }
}

/// A shared store behind an `Arc` is a store: one store value can serve several clients.
impl<S: AsyncTokenStore + ?Sized> AsyncTokenStore for Arc<S> {
    fn load<'a>(&'a self, app_id: &'a str) -> StoreFuture<'a, Option<StoredToken>> {
        (**self).load(app_id)
    }
    fn try_lease<'a>(&'a self, app_id: &'a str, lease: &'a Lease) -> StoreFuture<'a, bool> {
        (**self).try_lease(app_id, lease)
    }
    fn publish<'a>(
        &'a self,
        app_id: &'a str,
        token: &'a StoredToken,
        lease: &'a Lease,
    ) -> StoreFuture<'a, ()> {
        (**self).publish(app_id, token, lease)
    }
    fn release<'a>(&'a self, app_id: &'a str, lease: &'a Lease) -> StoreFuture<'a, ()> {
        (**self).release(app_id, lease)
    }
}

/// What a call needs from the shared store: perform it and hand the outcome to
/// [`Call::stored`](crate::Call::stored).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreOp {
    /// [`TokenStore::load`]: is there a shared token?
    Load {
        /// The appId.
        app_id: String,
    },
    /// [`TokenStore::try_lease`]: may this process fetch?
    Lease {
        /// The appId.
        app_id: String,
        /// The lease to take.
        lease: Lease,
    },
    /// [`TokenStore::publish`]: here is the new token (and the lease is done).
    Publish {
        /// The appId.
        app_id: String,
        /// The token just fetched.
        token: StoredToken,
        /// The lease this process held.
        lease: Lease,
    },
    /// [`TokenStore::release`]: the fetch failed; let someone else try.
    Release {
        /// The appId.
        app_id: String,
        /// The lease this process held.
        lease: Lease,
    },
}

/// The outcome of a [`StoreOp`] that worked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreAnswer {
    /// The answer to [`StoreOp::Load`].
    Loaded(Option<StoredToken>),
    /// The answer to [`StoreOp::Lease`]: `true` if this process holds the lease.
    Leased(bool),
    /// [`StoreOp::Publish`] or [`StoreOp::Release`] was done.
    Done,
}

impl StoreOp {
    /// Performs this operation with a blocking store.
    pub fn run_blocking(&self, store: &dyn TokenStore) -> Result<StoreAnswer, StoreError> {
        match self {
            StoreOp::Load { app_id } => store.load(app_id).map(StoreAnswer::Loaded),
            StoreOp::Lease { app_id, lease } => {
                store.try_lease(app_id, lease).map(StoreAnswer::Leased)
            }
            StoreOp::Publish {
                app_id,
                token,
                lease,
            } => store
                .publish(app_id, token, lease)
                .map(|()| StoreAnswer::Done),
            StoreOp::Release { app_id, lease } => {
                store.release(app_id, lease).map(|()| StoreAnswer::Done)
            }
        }
    }

    /// Performs this operation with an async store.
    pub async fn run(&self, store: &dyn AsyncTokenStore) -> Result<StoreAnswer, StoreError> {
        match self {
            StoreOp::Load { app_id } => store.load(app_id).await.map(StoreAnswer::Loaded),
            StoreOp::Lease { app_id, lease } => store
                .try_lease(app_id, lease)
                .await
                .map(StoreAnswer::Leased),
            StoreOp::Publish {
                app_id,
                token,
                lease,
            } => store
                .publish(app_id, token, lease)
                .await
                .map(|()| StoreAnswer::Done),
            StoreOp::Release { app_id, lease } => store
                .release(app_id, lease)
                .await
                .map(|()| StoreAnswer::Done),
        }
    }
}

/// A shared store in this process's memory: for tests, and for several clients of one process
/// that should share one token. Clones share the same contents. Leases lapse by the injected
/// clock ([`MemoryTokenStore::with_clock`]), the system clock by default.
///
/// ```
/// use chinaums::{AuthScheme, Client, Credentials, Environment, MemoryTokenStore};
///
/// let store = MemoryTokenStore::new();
/// // Give `store.clone()` to every adapter client that should share tokens, e.g.
/// // `chinaums_tokio::Client::builder(core).token_store(store.clone())`.
/// let core = Client::builder(Credentials::new("my-app-id", "my-app-key"), Environment::Test)
///     .auth(AuthScheme::AccessToken)
///     .build();
/// # let _ = (store, core);
/// ```
#[derive(Clone)]
pub struct MemoryTokenStore {
    inner: Arc<Mutex<HashMap<String, Entry>>>,
    clock: Arc<dyn Clock>,
}

#[derive(Default)]
struct Entry {
    token: Option<StoredToken>,
    lease: Option<(String, SystemTime)>,
}

impl fmt::Debug for MemoryTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryTokenStore").finish_non_exhaustive()
    }
}

impl Default for MemoryTokenStore {
    fn default() -> Self {
        MemoryTokenStore::new()
    }
}

impl MemoryTokenStore {
    /// An empty store whose leases lapse by the system clock.
    pub fn new() -> Self {
        MemoryTokenStore::with_clock(Arc::new(SystemClock))
    }

    /// An empty store whose leases lapse by `clock`.
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        MemoryTokenStore {
            inner: Arc::default(),
            clock,
        }
    }

    fn entry<T>(&self, app_id: &str, f: impl FnOnce(&mut Entry, SystemTime) -> T) -> T {
        let now = self.clock.now();
        // Every statement leaves the map consistent: a poisoned lock is still usable.
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let entry = map.entry(app_id.to_owned()).or_default();
        if entry.lease.as_ref().is_some_and(|(_, until)| *until <= now) {
            entry.lease = None;
        }
        f(entry, now)
    }

    fn release_if_owner(entry: &mut Entry, lease: &Lease) {
        if entry
            .lease
            .as_ref()
            .is_some_and(|(owner, _)| *owner == lease.owner)
        {
            entry.lease = None;
        }
    }
}

impl TokenStore for MemoryTokenStore {
    fn load(&self, app_id: &str) -> Result<Option<StoredToken>, StoreError> {
        Ok(self.entry(app_id, |entry, _| entry.token.clone()))
    }

    fn try_lease(&self, app_id: &str, lease: &Lease) -> Result<bool, StoreError> {
        Ok(self.entry(app_id, |entry, now| {
            if entry.lease.is_some() {
                return false;
            }
            let until = now.checked_add(lease.ttl).unwrap_or(now);
            entry.lease = Some((lease.owner.clone(), until));
            true
        }))
    }

    fn publish(&self, app_id: &str, token: &StoredToken, lease: &Lease) -> Result<(), StoreError> {
        self.entry(app_id, |entry, _| {
            if token.supersedes(entry.token.as_ref()) {
                entry.token = Some(token.clone());
            }
            Self::release_if_owner(entry, lease);
        });
        Ok(())
    }

    fn release(&self, app_id: &str, lease: &Lease) -> Result<(), StoreError> {
        self.entry(app_id, |entry, _| Self::release_if_owner(entry, lease));
        Ok(())
    }
}

impl AsyncTokenStore for MemoryTokenStore {
    fn load<'a>(&'a self, app_id: &'a str) -> StoreFuture<'a, Option<StoredToken>> {
        Box::pin(std::future::ready(TokenStore::load(self, app_id)))
    }

    fn try_lease<'a>(&'a self, app_id: &'a str, lease: &'a Lease) -> StoreFuture<'a, bool> {
        Box::pin(std::future::ready(TokenStore::try_lease(
            self, app_id, lease,
        )))
    }

    fn publish<'a>(
        &'a self,
        app_id: &'a str,
        token: &'a StoredToken,
        lease: &'a Lease,
    ) -> StoreFuture<'a, ()> {
        Box::pin(std::future::ready(TokenStore::publish(
            self, app_id, token, lease,
        )))
    }

    fn release<'a>(&'a self, app_id: &'a str, lease: &'a Lease) -> StoreFuture<'a, ()> {
        Box::pin(std::future::ready(TokenStore::release(self, app_id, lease)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;

    fn token(value: &str, expires: u64) -> StoredToken {
        StoredToken {
            access_token: AccessToken::new(value),
            issued_at: SystemTime::UNIX_EPOCH,
            expires_at: SystemTime::UNIX_EPOCH + Duration::from_secs(expires),
        }
    }

    fn lease(owner: &str) -> Lease {
        Lease {
            owner: owner.into(),
            ttl: Duration::from_secs(10),
        }
    }

    #[test]
    fn a_lease_is_exclusive_until_released_by_its_owner_or_lapsed() {
        let clock = Arc::new(FixedClock::from_unix(1_000));
        let store = MemoryTokenStore::with_clock(clock.clone());
        assert!(TokenStore::try_lease(&store, "app", &lease("a")).unwrap());
        assert!(!TokenStore::try_lease(&store, "app", &lease("b")).unwrap());
        // Another appId has its own lease.
        assert!(TokenStore::try_lease(&store, "other", &lease("b")).unwrap());
        // Only the owner releases it.
        TokenStore::release(&store, "app", &lease("b")).unwrap();
        assert!(!TokenStore::try_lease(&store, "app", &lease("b")).unwrap());
        TokenStore::release(&store, "app", &lease("a")).unwrap();
        assert!(TokenStore::try_lease(&store, "app", &lease("b")).unwrap());
        // A lease whose owner died lapses after its ttl, and not before.
        clock.advance(Duration::from_millis(9_999));
        assert!(!TokenStore::try_lease(&store, "app", &lease("c")).unwrap());
        clock.advance(Duration::from_millis(1));
        assert!(TokenStore::try_lease(&store, "app", &lease("c")).unwrap());
        // The lapsed owner's late release does not free the new owner's lease.
        TokenStore::release(&store, "app", &lease("b")).unwrap();
        assert!(!TokenStore::try_lease(&store, "app", &lease("d")).unwrap());
    }

    #[test]
    fn a_stale_publication_never_replaces_a_newer_token() {
        let store = MemoryTokenStore::new();
        TokenStore::publish(&store, "app", &token("newer", 7200), &lease("a")).unwrap();
        TokenStore::publish(&store, "app", &token("older", 3600), &lease("b")).unwrap();
        let loaded = TokenStore::load(&store, "app").unwrap().unwrap();
        assert_eq!(loaded.access_token.expose(), "newer");
        TokenStore::publish(&store, "app", &token("newest", 7201), &lease("c")).unwrap();
        let loaded = TokenStore::load(&store, "app").unwrap().unwrap();
        assert_eq!(loaded.access_token.expose(), "newest");
    }

    #[test]
    fn publishing_releases_only_the_publishers_lease() {
        let store = MemoryTokenStore::new();
        assert!(TokenStore::try_lease(&store, "app", &lease("a")).unwrap());
        TokenStore::publish(&store, "app", &token("t", 10), &lease("b")).unwrap();
        assert!(!TokenStore::try_lease(&store, "app", &lease("b")).unwrap());
        TokenStore::publish(&store, "app", &token("t", 10), &lease("a")).unwrap();
        assert!(TokenStore::try_lease(&store, "app", &lease("b")).unwrap());
    }

    #[test]
    fn lines_round_trip_and_refuse_anything_else() {
        let t = token("abc", 3600);
        assert_eq!(StoredToken::from_line(&t.to_line()), Some(t));
        for bad in [
            "",
            "1 2",
            "1 2 ",
            "1 2 a b",
            "x 2 a",
            "-1 2 a",
            "2 1 a",
            "1 2 a\"",
            "99999999999999999999999 1 a",
        ] {
            assert_eq!(StoredToken::from_line(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn store_ops_run_against_both_traits_alike() {
        let store = MemoryTokenStore::new();
        let op = StoreOp::Lease {
            app_id: "app".into(),
            lease: lease("a"),
        };
        assert_eq!(op.run_blocking(&store), Ok(StoreAnswer::Leased(true)));
        let again = futures_lite_block_on(op.run(&store));
        assert_eq!(again, Ok(StoreAnswer::Leased(false)));
        let publish = StoreOp::Publish {
            app_id: "app".into(),
            token: token("t", 10),
            lease: lease("a"),
        };
        assert_eq!(
            futures_lite_block_on(publish.run(&store)),
            Ok(StoreAnswer::Done)
        );
        let load = StoreOp::Load {
            app_id: "app".into(),
        };
        assert_eq!(
            load.run_blocking(&store),
            Ok(StoreAnswer::Loaded(Some(token("t", 10))))
        );
    }

    /// Polls a future that is ready at once (the memory store never waits).
    fn futures_lite_block_on<T>(future: impl Future<Output = T>) -> T {
        let mut future = std::pin::pin!(future);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match future.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(value) => value,
            std::task::Poll::Pending => panic!("the memory store never waits"),
        }
    }
}
