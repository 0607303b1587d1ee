//! The sandbox's shared state: configuration, order book, tokens, faults, clock, counters.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use crate::http::Limits;
use crate::{
    DEFAULT_MAX_BUFFERED_BODY_BYTES, DEFAULT_MAX_CONNECTIONS, Fault, MAX_BODY_BYTES,
    MAX_TOKENS_PER_APP, Order, TOKEN_LIFETIME,
};

/// The mutable part, behind one lock (never held across an `.await`).
#[derive(Default)]
pub(crate) struct State {
    /// Orders by (`mid`, `merOrderId`).
    pub orders: HashMap<(String, String), Order>,
    /// Valid-until-expiry tokens per appId, oldest first.
    pub tokens: HashMap<String, VecDeque<Token>>,
    /// How far the sandbox clock is ahead of the system clock.
    pub clock_offset: Duration,
    /// One-shot and persistent faults for business requests.
    pub next_fault: Option<Fault>,
    pub fault: Option<Fault>,
    /// One-shot and persistent faults for the token endpoint.
    pub next_token_fault: Option<Fault>,
    pub token_fault: Option<Fault>,
}

/// An issued access token.
pub(crate) struct Token {
    pub value: String,
    pub expires_at: SystemTime,
}

/// Everything the server tasks and the [`crate::Sandbox`] handle share.
pub(crate) struct Shared {
    pub app_id: String,
    pub app_key: String,
    pub max_skew: Duration,
    pub log_requests: bool,
    /// How many connections are served at once; more get 503.
    pub max_connections: usize,
    /// The body cap and the body budget every connection reads under.
    pub limits: Arc<Limits>,
    state: Mutex<State>,
    pub requests: AtomicUsize,
    pub token_fetches: AtomicUsize,
    pub connections: AtomicUsize,
}

impl Shared {
    pub fn new(app_id: String, app_key: String, max_skew: Duration, log_requests: bool) -> Self {
        Shared {
            app_id,
            app_key,
            max_skew,
            log_requests,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            limits: Arc::new(Limits::new(MAX_BODY_BYTES, DEFAULT_MAX_BUFFERED_BODY_BYTES)),
            state: Mutex::new(State::default()),
            requests: AtomicUsize::new(0),
            token_fetches: AtomicUsize::new(0),
            connections: AtomicUsize::new(0),
        }
    }

    /// The same, with these connection and body limits.
    pub fn with_limits(mut self, max_connections: usize, limits: Limits) -> Self {
        self.max_connections = max_connections;
        self.limits = Arc::new(limits);
        self
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state half-updated in a way that
        // matters to a test server; keep serving.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` with the state locked.
    pub fn with_state<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.lock())
    }

    /// The sandbox clock: the system clock plus the offset.
    pub fn now(&self) -> SystemTime {
        system_now() + self.lock().clock_offset
    }

    pub fn insert_order(&self, order: Order) {
        let key = (order.mid.clone(), order.mer_order_id.clone());
        self.lock().orders.insert(key, order);
    }

    pub fn order(&self, mid: &str, mer_order_id: &str) -> Option<Order> {
        self.lock()
            .orders
            .get(&(mid.to_owned(), mer_order_id.to_owned()))
            .cloned()
    }

    pub fn remove_order(&self, mid: &str, mer_order_id: &str) -> Option<Order> {
        self.lock()
            .orders
            .remove(&(mid.to_owned(), mer_order_id.to_owned()))
    }

    /// The fault for this request: the one-shot one (consumed) or the persistent one.
    pub fn take_fault(&self, token_endpoint: bool) -> Option<Fault> {
        let mut state = self.lock();
        if token_endpoint {
            state
                .next_token_fault
                .take()
                .or_else(|| state.token_fault.clone())
        } else {
            state.next_fault.take().or_else(|| state.fault.clone())
        }
    }

    /// Stores a new token for `app_id`, evicting expired ones and, past the limit, the oldest.
    pub fn add_token(&self, app_id: &str, value: String) {
        let now = self.now();
        let mut state = self.lock();
        let tokens = state.tokens.entry(app_id.to_owned()).or_default();
        tokens.retain(|t| t.expires_at > now);
        while tokens.len() >= MAX_TOKENS_PER_APP {
            tokens.pop_front();
        }
        tokens.push_back(Token {
            value,
            expires_at: now + TOKEN_LIFETIME,
        });
    }

    /// Whether `value` is a valid (issued, unexpired, not evicted) token of `app_id`.
    pub fn token_is_valid(&self, app_id: &str, value: &str) -> bool {
        let now = self.now();
        self.lock().tokens.get(app_id).is_some_and(|tokens| {
            tokens.iter().any(|t| {
                t.expires_at > now && constant_time_eq(t.value.as_bytes(), value.as_bytes())
            })
        })
    }

    /// Valid tokens of the configured appId.
    pub fn valid_token_count(&self) -> usize {
        let now = self.now();
        self.lock().tokens.get(&self.app_id).map_or(0, |tokens| {
            tokens.iter().filter(|t| t.expires_at > now).count()
        })
    }
}

/// Compares two secrets without an early exit on the first differing byte.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq as _;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// The one place the sandbox reads the system clock: it is a server, and its clock is the
/// reference that clients' timestamps are checked against (tests move it with an offset).
#[allow(clippy::disallowed_methods)]
fn system_now() -> SystemTime {
    SystemTime::now()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared() -> Shared {
        Shared::new("app".into(), "key".into(), Duration::from_secs(600), false)
    }

    #[test]
    fn tokens_expire_and_the_eleventh_evicts_the_oldest() {
        let s = shared();
        for i in 0..MAX_TOKENS_PER_APP {
            s.add_token("app", format!("t{i}"));
        }
        assert!(s.token_is_valid("app", "t0"));
        assert!(!s.token_is_valid("other", "t0"));
        s.add_token("app", "t10".into());
        assert!(!s.token_is_valid("app", "t0"));
        assert!(s.token_is_valid("app", "t1"));
        assert!(s.token_is_valid("app", "t10"));
        assert_eq!(s.valid_token_count(), MAX_TOKENS_PER_APP);
        s.with_state(|st| st.clock_offset += TOKEN_LIFETIME);
        assert!(!s.token_is_valid("app", "t10"));
        assert_eq!(s.valid_token_count(), 0);
    }

    #[test]
    fn one_shot_faults_come_first_and_are_consumed() {
        let s = shared();
        s.with_state(|st| {
            st.fault = Some(Fault::Garbage);
            st.next_fault = Some(Fault::DropConnection);
        });
        assert_eq!(s.take_fault(false), Some(Fault::DropConnection));
        assert_eq!(s.take_fault(false), Some(Fault::Garbage));
        assert_eq!(s.take_fault(true), None);
    }

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
