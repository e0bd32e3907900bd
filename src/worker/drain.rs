//! Graceful drain: stop claiming, hand claimed-but-unstarted messages back at once (no attempt
//! counted), let running handlers finish until the drain deadline, then cancel them (their
//! attempt counts), write every outcome, and only then stop the heartbeat — so a drained worker
//! leaves nothing in `processing`.

use std::sync::Arc;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::error::MessengerError;
use crate::worker::Shared;
use crate::worker::finish::persistently;
use crate::worker::lease::{Claimed, Lease};
use crate::worker::metrics::Counter;

/// What a drain did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DrainReport {
    /// Claimed messages that had not started, handed back to the queue without an attempt.
    pub released: usize,
    /// Handlers still running at the drain deadline, cancelled (their attempt counted).
    pub cancelled: usize,
    /// Leases still held after the drain (0 unless the database failed during it; those
    /// messages return when their leases expire).
    pub still_held: usize,
}

/// The running parts of a worker, stopped in order by [`drain`].
pub(crate) struct Running {
    pub(crate) fetcher: JoinHandle<Vec<Claimed>>,
    pub(crate) stop_fetching: CancellationToken,
    pub(crate) handlers: TaskTracker,
    pub(crate) cancel_handlers: CancellationToken,
    pub(crate) finisher: JoinHandle<()>,
    pub(crate) background: Vec<JoinHandle<()>>,
    pub(crate) stop_background: CancellationToken,
}

/// Drains the worker.
pub(crate) async fn drain(
    shared: Arc<Shared>,
    running: Running,
) -> Result<DrainReport, MessengerError> {
    let mut report = DrainReport::default();
    // 1 and 2. No new claims, no new starts. A claim in flight completes; what it brought
    // joins the messages that never started.
    running.stop_fetching.cancel();
    let unstarted: Vec<Lease> = running
        .fetcher
        .await
        .map(|claimed| claimed.iter().map(|c| c.lease).collect())
        .unwrap_or_default();
    // 3. Hand back what never started.
    let mut failure = None;
    if !unstarted.is_empty() {
        // With a few tries: a drain should not leave messages waiting for their leases to
        // expire because of one failed statement.
        match persistently("handing back unstarted messages", || {
            shared.consumer.release(&unstarted)
        })
        .await
        {
            Ok(fenced) => {
                report.released = fenced.done.len();
                shared.metrics.add(Counter::Released, fenced.done.len());
                shared.metrics.add(Counter::LeaseLost, fenced.lost.len());
                for lease in fenced.done.iter().chain(&fenced.lost) {
                    shared.leases.remove(*lease);
                }
            }
            Err(err) => failure = Some(err),
        }
    }
    // 4. Let running handlers finish until the deadline, then cancel them.
    running.handlers.close();
    let deadline = shared.config.drain_timeout;
    if tokio::time::timeout(deadline, running.handlers.wait())
        .await
        .is_err()
    {
        report.cancelled = shared.leases.unfinished();
        tracing::warn!(
            transport = %shared.transport,
            cancelled = report.cancelled,
            "drain deadline of {deadline:?} passed; cancelling the running handlers"
        );
        running.cancel_handlers.cancel();
        shared.leases.cancel_all();
        running.handlers.wait().await;
    }
    // 5. Every handler task is done and the fetcher is gone, so every sender of finished
    // attempts is dropped: the finisher writes what is left and ends.
    let _ = running.finisher.await;
    // 6. Only now stop renewing.
    running.stop_background.cancel();
    for task in running.background {
        let _ = task.await;
    }
    shared.hot.release();
    report.still_held = shared.leases.len();
    match failure {
        Some(err) => Err(err),
        None => Ok(report),
    }
}
