//! The access-token cache shared by every clone of a client: single-flight fetching,
//! refresh a margin before expiry, generations so that a stale result never wins.
//!
//! No I/O: the cache only decides. A call that must fetch gets the job; calls that arrive while
//! a fetch is in flight get a runtime-neutral listener and re-decide when it fires. Sharing
//! across processes (a store) is the fetching call's business, outside this lock.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use event_listener::{Event, EventListener};

use crate::auth::token::AccessToken;
use crate::auth::token_store::StoredToken;
use crate::error::Error;

/// The longest lifetime a token is trusted for, whatever `expiresIn` says (24 hours). The
/// platform issues tokens for about an hour; a larger figure from the network is an error or an
/// attack, and must neither overflow the clock arithmetic nor pin a token for years.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// When a token issued with `expires_in` seconds, asked for at `asked_at`, stops being valid:
/// counted from when the request was made (never later than the server's own expiry), capped
/// at [`MAX_TOKEN_LIFETIME`], and never panicking on a huge `expires_in` or clock.
pub fn expiry(asked_at: SystemTime, expires_in: u64) -> SystemTime {
    let lifetime = Duration::from_secs(expires_in).min(MAX_TOKEN_LIFETIME);
    // A clock so close to the end of time that the lifetime overflows: trust it for no time.
    asked_at.checked_add(lifetime).unwrap_or(asked_at)
}

/// What a call should do to get authorization.
pub(crate) enum Decision {
    /// Use this token (of this generation).
    Use(AccessToken, u64),
    /// Fetch a token and hand the result to [`TokenCache::complete`] with this lease.
    Fetch(FetchLease),
    /// Another call is fetching (this attempt): wait, then decide again.
    Wait {
        attempt: u64,
        listener: EventListener,
    },
}

/// The right to fetch token `attempt`, held by exactly one call. Dropping it, however that
/// happens (completion, the call dropped, a panic while completing), releases the in-flight
/// marker and wakes every waiting call: waiters never depend on the happy path.
pub(crate) struct FetchLease {
    cache: TokenCache,
    attempt: u64,
    replaces: u64,
    /// When the fetch was decided: a token's lifetime counts from here, never later than the
    /// server's own clock started it.
    pub(crate) asked_at: SystemTime,
}

impl fmt::Debug for FetchLease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FetchLease")
            .field("attempt", &self.attempt)
            .field("replaces", &self.replaces)
            .finish()
    }
}

impl Drop for FetchLease {
    fn drop(&mut self) {
        {
            let mut state = self.cache.lock();
            if state.fetching == Some(self.attempt) {
                state.fetching = None;
            }
        }
        self.cache.inner.1.notify(usize::MAX);
    }
}

/// The token in use, its generation, and when it is due for refresh.
struct Current {
    token: StoredToken,
    generation: u64,
    refresh_at: SystemTime,
}

#[derive(Default)]
struct State {
    current: Option<Current>,
    generation: u64,
    next_attempt: u64,
    fetching: Option<u64>,
    last_failure: Option<(u64, Error)>,
    fetches_started: u64,
    store_failures: u64,
}

/// The shared token cache of one client (and all its clones).
#[derive(Clone)]
pub(crate) struct TokenCache {
    inner: Arc<(Mutex<State>, Event)>,
    margin: Duration,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("margin", &self.margin)
            .finish_non_exhaustive()
    }
}

impl TokenCache {
    pub(crate) fn new(margin: Duration) -> Self {
        TokenCache {
            inner: Arc::default(),
            margin,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing runs user code under this lock, but a poisoned lock must not wedge the
        // client either: the state is consistent after every statement.
        self.inner.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// When a token that expires at `expires_at`, valid since `since`, is due for refresh: the
    /// margin before expiry, but never more than half its lifetime, so that a token issued for
    /// less than the margin is still reused instead of being fetched again on every call (which
    /// would soon pass the platform's limit of valid tokens per appId).
    fn refresh_at(&self, expires_at: SystemTime, since: SystemTime) -> SystemTime {
        let lifetime = expires_at.duration_since(since).unwrap_or(Duration::ZERO);
        let margin = self.margin.min(lifetime / 2);
        expires_at.checked_sub(margin).unwrap_or(since)
    }

    /// Whether a token (from a shared store, say) is still good to use at `now`, by the same
    /// rule as the cached one: not yet due for refresh.
    pub(crate) fn is_fresh(&self, token: &StoredToken, now: SystemTime) -> bool {
        now < self.refresh_at(token.expires_at, token.issued_at)
    }

    /// Installs `token` as a new generation.
    fn install(&self, state: &mut State, token: StoredToken) -> (AccessToken, u64) {
        state.generation += 1;
        let access_token = token.access_token.clone();
        let refresh_at = self.refresh_at(token.expires_at, token.issued_at);
        state.current = Some(Current {
            token,
            generation: state.generation,
            refresh_at,
        });
        (access_token, state.generation)
    }

    /// The current token and its generation, if it is not yet due for refresh at `now`.
    fn fresh_current(state: &State, now: SystemTime) -> Option<(AccessToken, u64)> {
        state
            .current
            .as_ref()
            .filter(|current| now < current.refresh_at)
            .map(|current| (current.token.access_token.clone(), current.generation))
    }

    /// Decides how a call gets authorization at `now`.
    pub(crate) fn decide(&self, now: SystemTime) -> Decision {
        let mut state = self.lock();
        if let Some((token, generation)) = Self::fresh_current(&state, now) {
            return Decision::Use(token, generation);
        }
        if let Some(attempt) = state.fetching {
            // Registered under the lock: a release after this point wakes it.
            let listener = self.inner.1.listen();
            return Decision::Wait { attempt, listener };
        }
        state.next_attempt += 1;
        let attempt = state.next_attempt;
        state.fetching = Some(attempt);
        Decision::Fetch(FetchLease {
            cache: self.clone(),
            attempt,
            replaces: state.generation,
            asked_at: now,
        })
    }

    /// Counts a token request about to be sent (for the single-flight tests).
    pub(crate) fn count_fetch(&self) {
        self.lock().fetches_started += 1;
    }

    /// Records the result of the fetch `lease` was for (a token fetched, or found in a shared
    /// store) and wakes every waiting call. Returns the token the fetching call should use: the
    /// new one, or a newer one if this result is stale.
    pub(crate) fn complete(
        &self,
        lease: FetchLease,
        result: Result<StoredToken, Error>,
    ) -> Result<(AccessToken, u64), Error> {
        let outcome = {
            let mut state = self.lock();
            match result {
                Ok(token) => match &state.current {
                    // Someone installed a newer token while this fetch was under way: keep it.
                    Some(newer) if state.generation > lease.replaces => {
                        Ok((newer.token.access_token.clone(), newer.generation))
                    }
                    _ => Ok(self.install(&mut state, token)),
                },
                Err(error) => {
                    state.last_failure = Some((lease.attempt, error.clone()));
                    Err(error)
                }
            }
        };
        drop(lease);
        outcome
    }

    /// The error of fetch `attempt`, if that fetch failed (for the calls that waited on it).
    pub(crate) fn failure_of(&self, attempt: u64) -> Option<Error> {
        match &self.lock().last_failure {
            Some((failed, error)) if *failed == attempt => Some(error.clone()),
            _ => None,
        }
    }

    /// The platform rejected token `generation`: drop it, unless a newer one replaced it.
    pub(crate) fn invalidate(&self, generation: u64) {
        let mut state = self.lock();
        if matches!(&state.current, Some(current) if current.generation == generation) {
            state.current = None;
        }
    }

    /// The currently cached token, if it is fresh at `now` (for one-shot `prepare`).
    pub(crate) fn peek(&self, now: SystemTime) -> Option<AccessToken> {
        Self::fresh_current(&self.lock(), now).map(|(token, _)| token)
    }

    /// Counts a shared store's failure (the call went on without the store).
    pub(crate) fn count_store_failure(&self) {
        self.lock().store_failures += 1;
    }

    /// How many times a shared store failed.
    pub(crate) fn store_failures(&self) -> u64 {
        self.lock().store_failures
    }

    /// How many token fetches this cache has started.
    pub(crate) fn fetches_started(&self) -> u64 {
        self.lock().fetches_started
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Delivery, TransportError, TransportErrorKind};

    const T0: Duration = Duration::from_secs(1_704_081_600);

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + T0 + Duration::from_secs(secs)
    }

    fn token(value: &str, expires: u64) -> StoredToken {
        StoredToken {
            access_token: AccessToken::new(value),
            issued_at: at(0),
            expires_at: at(expires),
        }
    }

    fn cache() -> TokenCache {
        TokenCache::new(Duration::from_secs(300))
    }

    fn fetch(cache: &TokenCache, now: u64) -> FetchLease {
        match cache.decide(at(now)) {
            Decision::Fetch(lease) => {
                cache.count_fetch();
                lease
            }
            _ => panic!("expected a fetch"),
        }
    }

    #[test]
    fn expiry_is_capped_at_a_day_and_never_panics() {
        assert_eq!(expiry(at(0), 3600), at(3600));
        assert_eq!(expiry(at(0), u64::MAX), at(0) + MAX_TOKEN_LIFETIME);
        assert_eq!(expiry(at(0), 1 << 63), at(0) + MAX_TOKEN_LIFETIME);
        // A clock at the end of representable time: the token is trusted for no time at all.
        let end = SystemTime::UNIX_EPOCH + Duration::from_secs(i64::MAX as u64);
        assert_eq!(expiry(end, 3600), end);
        let cache = cache();
        assert_eq!(cache.refresh_at(end, end), end);
    }

    #[test]
    fn a_token_shorter_than_the_margin_is_reused_for_half_its_life() {
        let cache = cache(); // margin: 5 minutes
        let lease = fetch(&cache, 0);
        cache.complete(lease, Ok(token("short", 60))).unwrap();
        assert!(matches!(cache.decide(at(29)), Decision::Use(t, 1) if t.expose() == "short"));
        let _lease = fetch(&cache, 30);
        assert_eq!(cache.fetches_started(), 2);
    }

    #[test]
    fn fresh_token_is_reused_until_the_margin() {
        let cache = cache();
        let lease = fetch(&cache, 0);
        let (tok, generation) = cache.complete(lease, Ok(token("t1", 3600))).unwrap();
        assert_eq!((tok.expose(), generation), ("t1", 1));
        // Fresh: used as is, no fetch.
        assert!(matches!(cache.decide(at(3299)), Decision::Use(t, 1) if t.expose() == "t1"));
        // Within the 5-minute margin: refresh.
        let lease = fetch(&cache, 3300);
        assert_eq!(lease.replaces, 1);
        assert_eq!(cache.fetches_started(), 2);
    }

    #[test]
    fn expired_token_is_fetched_again() {
        let cache = cache();
        let lease = fetch(&cache, 0);
        cache.complete(lease, Ok(token("t1", 3600))).unwrap();
        let _lease = fetch(&cache, 7200);
        assert!(cache.peek(at(7200)).is_none());
    }

    #[test]
    fn concurrent_deciders_wait_for_the_single_fetch() {
        let cache = cache();
        let lease = fetch(&cache, 0);
        let attempt = lease.attempt;
        let waiters: Vec<_> = (0..99)
            .map(|_| match cache.decide(at(0)) {
                Decision::Wait {
                    attempt: a,
                    listener,
                } => {
                    assert_eq!(a, attempt);
                    listener
                }
                _ => panic!("expected to wait"),
            })
            .collect();
        cache.complete(lease, Ok(token("t1", 3600))).unwrap();
        for listener in waiters {
            use event_listener::Listener as _;
            assert!(
                listener.wait_timeout(Duration::from_secs(1)).is_some(),
                "woken"
            );
        }
        assert!(matches!(cache.decide(at(1)), Decision::Use(..)));
        assert_eq!(cache.fetches_started(), 1);
    }

    #[test]
    fn one_lease_at_a_time_and_a_dropped_lease_wakes_the_waiters() {
        use event_listener::Listener as _;
        let cache = cache();
        let lease = fetch(&cache, 0);
        let Decision::Wait { listener, .. } = cache.decide(at(0)) else {
            panic!("a second caller must wait while the lease is held")
        };
        // The fetching call vanishes (dropped, or panicked while completing).
        drop(lease);
        assert!(listener.wait_timeout(Duration::from_secs(5)).is_some());
        // The next caller fetches.
        let lease = fetch(&cache, 1);
        assert_eq!(lease.attempt, 2);
    }

    #[test]
    fn a_stale_result_never_overwrites_a_newer_token() {
        let cache = cache();
        let old = fetch(&cache, 0);
        // A newer token arrives by another path (the store, here by hand) during the fetch.
        install_newer(&cache, token("new", 3600));
        let (tok, generation) = cache.complete(old, Ok(token("stale", 3000))).unwrap();
        assert_eq!((tok.expose(), generation), ("new", 1));
        assert_eq!(cache.peek(at(2)).unwrap().expose(), "new");
    }

    fn install_newer(cache: &TokenCache, stored: StoredToken) {
        cache.install(&mut cache.lock(), stored);
    }

    #[test]
    fn invalidation_only_drops_the_rejected_generation() {
        let cache = cache();
        let lease = fetch(&cache, 0);
        cache.complete(lease, Ok(token("t1", 3600))).unwrap();
        let lease = fetch(&cache, 3400);
        cache.complete(lease, Ok(token("t2", 7000))).unwrap();
        cache.invalidate(1); // a late rejection of t1
        assert_eq!(cache.peek(at(3400)).unwrap().expose(), "t2");
        cache.invalidate(2);
        assert!(cache.peek(at(3400)).is_none());
    }

    #[test]
    fn waiters_learn_that_the_fetch_failed() {
        let cache = cache();
        let lease = fetch(&cache, 0);
        let Decision::Wait {
            attempt: waited, ..
        } = cache.decide(at(0))
        else {
            panic!()
        };
        let error = Error::Transport(TransportError::new(
            Delivery::NotSent,
            TransportErrorKind::Connect,
            "refused",
        ));
        assert!(cache.complete(lease, Err(error)).is_err());
        assert!(matches!(
            cache.failure_of(waited),
            Some(Error::Transport(_))
        ));
        // The next decision starts a new fetch.
        let _lease = fetch(&cache, 1);
    }
}
