//! Counters a program can read while its worker runs (and export to its own metrics system).

use std::sync::atomic::{AtomicU64, Ordering};

/// What one worker did since it was built. Shared (`Arc`) between the worker's tasks and the
/// program: [`crate::worker::Worker::metrics`].
#[derive(Debug, Default)]
pub struct Metrics {
    claimed: AtomicU64,
    acked: AtomicU64,
    retried: AtomicU64,
    dead_lettered: AtomicU64,
    lease_lost: AtomicU64,
    rescued: AtomicU64,
    rescued_to_dead_letters: AtomicU64,
    released: AtomicU64,
    purged: AtomicU64,
}

/// The counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MetricsSnapshot {
    /// Messages this worker claimed.
    pub claimed: u64,
    /// Messages it completed (its own acks and acks inside the application's transaction).
    pub acked: u64,
    /// Failed attempts it put back for a later attempt.
    pub retried: u64,
    /// Messages it moved to the dead letters (a permanent error, attempts used up, a body that
    /// does not match its schema).
    pub dead_lettered: u64,
    /// Messages whose lease it had lost when it came to finish or renew them (the outcome was
    /// dropped; the message is delivered again).
    pub lease_lost: u64,
    /// Expired leases (of any worker) its rescuer put back into the queue.
    pub rescued: u64,
    /// Expired leases (of any worker) its rescuer dead-lettered because they were the last
    /// attempt.
    pub rescued_to_dead_letters: u64,
    /// Claimed but unstarted messages it handed back when draining.
    pub released: u64,
    /// Finished messages it deleted under the retention policy.
    pub purged: u64,
}

/// One counter, for the worker's tasks to add to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Counter {
    Claimed,
    Acked,
    Retried,
    DeadLettered,
    LeaseLost,
    Rescued,
    RescuedToDeadLetters,
    Released,
    Purged,
}

impl Metrics {
    /// The counters now.
    pub fn snapshot(&self) -> MetricsSnapshot {
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        MetricsSnapshot {
            claimed: get(&self.claimed),
            acked: get(&self.acked),
            retried: get(&self.retried),
            dead_lettered: get(&self.dead_lettered),
            lease_lost: get(&self.lease_lost),
            rescued: get(&self.rescued),
            rescued_to_dead_letters: get(&self.rescued_to_dead_letters),
            released: get(&self.released),
            purged: get(&self.purged),
        }
    }

    /// Adds `n` to `counter`.
    pub(crate) fn add(&self, counter: Counter, n: usize) {
        let cell = match counter {
            Counter::Claimed => &self.claimed,
            Counter::Acked => &self.acked,
            Counter::Retried => &self.retried,
            Counter::DeadLettered => &self.dead_lettered,
            Counter::LeaseLost => &self.lease_lost,
            Counter::Rescued => &self.rescued,
            Counter::RescuedToDeadLetters => &self.rescued_to_dead_letters,
            Counter::Released => &self.released,
            Counter::Purged => &self.purged,
        };
        cell.fetch_add(n as u64, Ordering::Relaxed);
    }
}
