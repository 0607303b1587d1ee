//! The keep-alive pool: idle connections per [`Target`], most recently used first.
//!
//! No task runs in the background (there is no executor to spawn one on): an idle connection is
//! not polled while it waits here. A connection the server closed meanwhile is noticed when it is
//! taken out ([`Conn::ready_now`] polls it once) and replaced by a new one; connections idle for
//! longer than [`IDLE_TIMEOUT`] are closed when the pool is next used for their target, and at
//! most [`MAX_IDLE_PER_TARGET`] are kept per target.

use std::collections::HashMap;
use std::future::poll_fn;
use std::sync::Mutex;
use std::task::Poll;
use std::time::{Duration, Instant};

use crate::connect::{Conn, Target};

/// How long an idle connection is kept (the same as the tokio adapter's pool).
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The most idle connections kept per target; a burst of concurrent calls leaves at most this
/// many sockets open behind it.
pub(crate) const MAX_IDLE_PER_TARGET: usize = 32;

/// Idle connections, shared by the clones of a client.
#[derive(Default)]
pub(crate) struct Pool {
    idle: Mutex<HashMap<Target, Vec<Idle>>>,
}

struct Idle {
    conn: Conn,
    since: Instant,
}

impl Pool {
    /// An idle connection to `target` that can take a request right now, if there is one.
    /// Connections found closed (or otherwise not ready) on the way are dropped.
    pub(crate) async fn checkout(&self, target: &Target) -> Option<Conn> {
        loop {
            let mut conn = self.pop(target)?;
            if poll_fn(|cx| Poll::Ready(conn.ready_now(cx))).await {
                return Some(conn);
            }
        }
    }

    /// Puts `conn` back after an exchange that read its whole response.
    pub(crate) fn checkin(&self, target: Target, conn: Conn) {
        let surplus = {
            let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
            let list = idle.entry(target).or_default();
            list.push(Idle { conn, since: now() });
            // The oldest come first.
            let over = list.len().saturating_sub(MAX_IDLE_PER_TARGET);
            list.drain(..over).collect::<Vec<_>>()
        };
        // Closed outside the lock.
        drop(surplus);
    }

    /// How many idle connections the pool holds (for tests).
    #[cfg(test)]
    pub(crate) fn idle_count(&self) -> usize {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        idle.values().map(Vec::len).sum()
    }

    /// The most recently used idle connection to `target`, after closing the expired ones.
    fn pop(&self, target: &Target) -> Option<Conn> {
        let now = now();
        let (conn, expired) = {
            let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
            let list = idle.get_mut(target)?;
            let fresh = list
                .iter()
                .position(|i| now.saturating_duration_since(i.since) < IDLE_TIMEOUT)
                .unwrap_or(list.len());
            let expired: Vec<Idle> = list.drain(..fresh).collect();
            let conn = list.pop().map(|i| i.conn);
            if list.is_empty() {
                idle.remove(target);
            }
            (conn, expired)
        };
        // Closed outside the lock.
        drop(expired);
        conn
    }
}

/// The pool's monotonic clock, for idle expiry only. (The workspace forbids reading the clock
/// so that the sans-IO core takes time from an injected `Clock`; an I/O adapter's connection
/// pool is not what that rule is about, and no test depends on this reading.)
#[allow(clippy::disallowed_methods)]
fn now() -> Instant {
    Instant::now()
}
