//! Injected time and nonces: the core never reads the clock or draws randomness by itself.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use crate::auth::body_sig::lower_hex;
use crate::error::Error;

/// Where the client gets "now" from.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The operating system's clock (the default).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one sanctioned clock read of the core
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that shows a set time until it is moved; for tests and reproducible requests.
#[derive(Debug)]
pub struct FixedClock(Mutex<SystemTime>);

impl FixedClock {
    /// A clock stopped at `at`.
    pub fn new(at: SystemTime) -> Self {
        FixedClock(Mutex::new(at))
    }

    /// A clock stopped at `secs` seconds after the Unix epoch.
    pub fn from_unix(secs: u64) -> Self {
        FixedClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
    }

    /// Moves the clock to `at`.
    pub fn set(&self, at: SystemTime) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = at;
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *now += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Where the client gets the `Nonce` of each signature from.
pub trait NonceSource: Send + Sync + 'static {
    /// A fresh nonce: at most 128 printable ASCII characters, without `"` or `,`.
    fn nonce(&self) -> Result<String, Error>;
}

/// 32 lowercase hex characters (16 random bytes) from a cryptographically secure generator
/// seeded by the operating system: `rand`'s thread-local generator, which reseeds itself
/// periodically (the default).
#[derive(Clone, Copy, Debug, Default)]
pub struct RandomNonce;

impl NonceSource for RandomNonce {
    fn nonce(&self) -> Result<String, Error> {
        use rand::RngCore as _;
        let mut bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        Ok(lower_hex(&bytes))
    }
}

/// Always the same nonce; for tests and reproducible requests only.
#[derive(Clone)]
pub struct FixedNonce(String);

impl FixedNonce {
    /// A source that always answers `nonce`.
    pub fn new(nonce: impl Into<String>) -> Self {
        FixedNonce(nonce.into())
    }
}

impl fmt::Debug for FixedNonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("FixedNonce").field(&self.0).finish()
    }
}

impl NonceSource for FixedNonce {
    fn nonce(&self) -> Result<String, Error> {
        Ok(self.0.clone())
    }
}

/// Checks a nonce before it goes into a header: the [`Nonce`](crate::Nonce) rule.
pub(crate) fn check_nonce(nonce: &str) -> Result<(), Error> {
    // The `Nonce` rule, checked in place (no copy: this runs on every signature).
    crate::types::ids::header_token("nonce", nonce, 1, crate::auth::body_sig::MAX_NONCE_LEN)
        .map_err(|e| Error::Nonce(format!("the nonce source gave {nonce:?}: {}", e.rule)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_nonces_are_32_lowercase_hex_and_differ() {
        let a = RandomNonce.nonce().unwrap();
        let b = RandomNonce.nonce().unwrap();
        assert_eq!(a.len(), 32);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
        );
        assert_ne!(a, b);
        check_nonce(&a).unwrap();
    }

    #[test]
    fn fixed_clock_moves_only_when_told() {
        let clock = FixedClock::from_unix(100);
        assert_eq!(
            clock.now(),
            SystemTime::UNIX_EPOCH + Duration::from_secs(100)
        );
        clock.advance(Duration::from_secs(5));
        assert_eq!(
            clock.now(),
            SystemTime::UNIX_EPOCH + Duration::from_secs(105)
        );
    }

    #[test]
    fn bad_nonces_are_rejected() {
        for bad in ["", "a\"b", "a,b", "a b", &"x".repeat(129)] {
            assert!(check_nonce(bad).is_err(), "{bad:?}");
        }
    }
}
