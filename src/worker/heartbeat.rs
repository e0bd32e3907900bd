//! The leases a worker holds, and the heartbeat that keeps them: one statement per interval
//! renews every lease of the worker (claimed-but-unstarted, running and finishing messages
//! alike), so a long handler is never reclaimed while its worker is alive, and a lease the
//! worker lost is noticed within one interval and its handler cancelled.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio_util::sync::CancellationToken;

use crate::worker::Shared;
use crate::worker::lease::Lease;

/// One held lease: its token, the cancellation of its handler, and whether the heartbeat found
/// it lost.
#[derive(Debug)]
struct Held {
    token: i64,
    cancel: CancellationToken,
    lost: bool,
    /// Its handler is done and its outcome is being written: a renewal that no longer finds
    /// it processing has most likely met that write, not a rescue (the write itself is fenced
    /// and reports a real loss).
    finishing: bool,
}

/// The leases a worker holds, by message id.
#[derive(Debug, Default)]
pub(crate) struct Leases {
    held: Mutex<HashMap<i64, Held>>,
    /// Every handler was cancelled ([`Leases::cancel_all`]): a lease inserted since starts
    /// cancelled.
    all_cancelled: AtomicBool,
}

impl Leases {
    fn lock(&self) -> MutexGuard<'_, HashMap<i64, Held>> {
        // A panic while holding this lock leaves the map consistent (every operation is a
        // single insert, remove or flag), so a poisoned lock is still usable.
        self.held
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records a new claim, with a cancellation for its handler (a token of its own, not a
    /// child of a worker-wide one: children cost a shared lock to make and to drop). A claim of
    /// a message this worker still holds under an older lease (which expired and was rescued
    /// before the heartbeat noticed) means that lease is lost: its handler is cancelled here,
    /// since the entry that would let the heartbeat cancel it is replaced.
    pub(crate) fn insert(&self, lease: Lease) {
        let cancel = CancellationToken::new();
        let mut held = self.lock();
        if self.all_cancelled.load(Ordering::Acquire) {
            cancel.cancel();
        }
        let replaced = held.insert(
            lease.message_id,
            Held {
                token: lease.token,
                cancel,
                lost: false,
                finishing: false,
            },
        );
        drop(held);
        if let Some(old) = replaced.filter(|old| old.token != lease.token) {
            old.cancel.cancel();
        }
    }

    /// Cancels every handler, and those of leases inserted from now on (the drain deadline
    /// passed, or the worker was dropped).
    pub(crate) fn cancel_all(&self) {
        self.all_cancelled.store(true, Ordering::Release);
        for held in self.lock().values() {
            held.cancel.cancel();
        }
    }

    /// Forgets a lease (its message was finished or handed back).
    pub(crate) fn remove(&self, lease: Lease) {
        let mut held = self.lock();
        if held
            .get(&lease.message_id)
            .is_some_and(|h| h.token == lease.token)
        {
            held.remove(&lease.message_id);
        }
    }

    /// How many leases are held.
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    /// Every held lease that is not known to be lost.
    pub(crate) fn snapshot(&self) -> Vec<Lease> {
        self.lock()
            .iter()
            .filter(|(_, h)| !h.lost)
            .map(|(id, h)| Lease {
                message_id: *id,
                token: h.token,
            })
            .collect()
    }

    /// The cancellation of a held lease's handler, if the lease is held and not known to be
    /// lost.
    pub(crate) fn cancellation_if_held(&self, lease: Lease) -> Option<CancellationToken> {
        self.lock()
            .get(&lease.message_id)
            .filter(|h| h.token == lease.token && !h.lost)
            .map(|h| h.cancel.clone())
    }

    /// Forgets many leases at once (see [`Leases::remove`]).
    pub(crate) fn remove_all(&self, leases: impl IntoIterator<Item = Lease>) {
        let mut held = self.lock();
        for lease in leases {
            if held
                .get(&lease.message_id)
                .is_some_and(|h| h.token == lease.token)
            {
                held.remove(&lease.message_id);
            }
        }
    }

    /// How many held leases have a handler that has not finished.
    pub(crate) fn unfinished(&self) -> usize {
        self.lock().values().filter(|h| !h.finishing).count()
    }

    /// Whether the heartbeat found the lease lost (or it is no longer held at all).
    pub(crate) fn is_lost(&self, lease: Lease) -> bool {
        self.lock()
            .get(&lease.message_id)
            .is_none_or(|h| h.token != lease.token || h.lost)
    }

    /// Notes that a lease's handler is done and its outcome is being written.
    pub(crate) fn finishing(&self, lease: Lease) {
        if let Some(h) = self.lock().get_mut(&lease.message_id)
            && h.token == lease.token
        {
            h.finishing = true;
        }
    }

    /// Marks leases lost and cancels their handlers; returns how many were held, running,
    /// until now (not those being finished: their write decides).
    pub(crate) fn mark_lost(&self, lost: &[Lease]) -> usize {
        let mut held = self.lock();
        let mut marked = 0;
        for lease in lost {
            if let Some(h) = held.get_mut(&lease.message_id)
                && h.token == lease.token
                && !h.lost
                && !h.finishing
            {
                h.lost = true;
                h.cancel.cancel();
                marked += 1;
            }
        }
        marked
    }
}

/// Renews every held lease each heartbeat interval until `stop`.
pub(crate) async fn heartbeat_loop(shared: Arc<Shared>, stop: CancellationToken) {
    let mut tick = tokio::time::interval(shared.config.heartbeat);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick of an interval is immediate; the leases were just taken.
    tick.tick().await;
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let leases = shared.leases.snapshot();
        if leases.is_empty() {
            continue;
        }
        match shared.consumer.renew(&leases, shared.config.lease).await {
            Ok(fenced) if !fenced.lost.is_empty() => {
                // Some of these were finished by this worker between the snapshot and the
                // renewal (no longer held, or being finished: ignored); the rest were lost:
                // their handlers stop.
                let cancelled = shared.leases.mark_lost(&fenced.lost);
                if cancelled > 0 {
                    tracing::warn!(
                        transport = %shared.transport,
                        lost = cancelled,
                        "leases lost (expired and rescued); their handlers are cancelled"
                    );
                }
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(
                transport = %shared.transport,
                error = %err,
                "renewing leases failed; retrying at the next heartbeat"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Lease, Leases};

    #[test]
    fn a_new_claim_of_a_held_message_cancels_the_old_leases_handler() {
        let leases = Leases::default();
        let (old, new) = (
            Lease {
                message_id: 7,
                token: 1,
            },
            Lease {
                message_id: 7,
                token: 2,
            },
        );
        leases.insert(old);
        let old_cancel = leases.cancellation_if_held(old).unwrap();
        assert!(!old_cancel.is_cancelled());
        leases.insert(new);
        assert!(old_cancel.is_cancelled(), "the old handler is cancelled");
        assert!(leases.is_lost(old), "the old lease counts as lost");
        assert!(!leases.is_lost(new));
        // The old attempt's end does not forget the new lease.
        leases.remove(old);
        assert_eq!(leases.len(), 1);
        assert!(leases.cancellation_if_held(new).is_some());
        assert!(leases.cancellation_if_held(old).is_none());
    }

    #[test]
    fn a_renewal_that_meets_a_lease_being_finished_does_not_count_it_lost() {
        let leases = Leases::default();
        let (running, finishing) = (
            Lease {
                message_id: 1,
                token: 1,
            },
            Lease {
                message_id: 2,
                token: 2,
            },
        );
        leases.insert(running);
        leases.insert(finishing);
        let running_cancel = leases.cancellation_if_held(running).unwrap();
        let finishing_cancel = leases.cancellation_if_held(finishing).unwrap();
        leases.finishing(finishing);
        assert_eq!(leases.mark_lost(&[running, finishing]), 1);
        assert!(running_cancel.is_cancelled());
        assert!(!finishing_cancel.is_cancelled());
    }

    #[test]
    fn cancel_all_cancels_held_leases_and_those_claimed_after() {
        let leases = Leases::default();
        let lease = |id| Lease {
            message_id: id,
            token: id,
        };
        leases.insert(lease(1));
        let first = leases.cancellation_if_held(lease(1)).unwrap();
        assert!(!first.is_cancelled());
        leases.cancel_all();
        assert!(first.is_cancelled());
        leases.insert(lease(2));
        assert!(
            leases
                .cancellation_if_held(lease(2))
                .unwrap()
                .is_cancelled()
        );
    }
}
