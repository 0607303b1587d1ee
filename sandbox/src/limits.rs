//! What clients can make the server hold: the body cap, and the body budget that every
//! connection shares.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// What one request may take: the body cap, and the body budget all connections share.
#[derive(Debug)]
pub(crate) struct Limits {
    /// The largest body; a larger one gets 413.
    pub max_body: usize,
    /// The budget of buffered body bytes, shared by every connection.
    pub budget: Arc<BodyBudget>,
}

impl Limits {
    /// A body cap of `max_body` (no more than the whole budget: a larger body could never be
    /// read) and a fresh budget of `budget` bytes.
    pub fn new(max_body: usize, budget: usize) -> Self {
        Limits {
            max_body: max_body.min(budget),
            budget: Arc::new(BodyBudget {
                limit: budget,
                used: AtomicUsize::new(0),
            }),
        }
    }
}

/// How many request-body bytes are held across connections, against a limit.
#[derive(Debug)]
pub(crate) struct BodyBudget {
    pub limit: usize,
    used: AtomicUsize,
}

/// Body bytes held against the budget until dropped.
#[derive(Debug)]
pub(crate) struct Reservation {
    budget: Arc<BodyBudget>,
    bytes: usize,
}

impl Reservation {
    pub fn new(budget: &Arc<BodyBudget>) -> Self {
        Reservation {
            budget: Arc::clone(budget),
            bytes: 0,
        }
    }

    /// Holds `n` more bytes; false (holding nothing more) if the budget cannot spare them.
    pub fn grow(&mut self, n: usize) -> bool {
        let limit = self.budget.limit;
        let taken = self
            .budget
            .used
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| {
                used.checked_add(n).filter(|total| *total <= limit)
            });
        if taken.is_ok() {
            self.bytes += n;
        }
        taken.is_ok()
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.budget.used.fetch_sub(self.bytes, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_shared_and_given_back() {
        let limits = Limits::new(100, 10);
        assert_eq!(limits.max_body, 10, "no body larger than the whole budget");
        let mut a = Reservation::new(&limits.budget);
        let mut b = Reservation::new(&limits.budget);
        assert!(a.grow(6));
        assert!(!b.grow(5));
        assert!(b.grow(4));
        assert!(!a.grow(1));
        assert!(!a.grow(usize::MAX), "no overflow");
        drop(a);
        assert!(b.grow(6));
        drop(b);
        assert_eq!(limits.budget.used.load(Ordering::SeqCst), 0);
    }
}
