//! What happens to finished messages: deleted by the ack, or kept for a while and then purged in
//! bounded batches by any worker (each runs the purge; SKIP LOCKED keeps them out of each
//! other's way).

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::worker::Shared;
use crate::worker::metrics::Counter;

/// What an ack does with a message, and how long finished messages stay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retention {
    /// The ack deletes the message: the cheapest for the table (no row version left behind,
    /// nothing to purge), but an idempotency key can be used again as soon as its message was
    /// handled.
    Delete,
    /// The ack marks the message `completed`; completed and failed messages that finished
    /// longer ago than this are purged (dead-letter copies stay in
    /// `messenger_failed_messages`). Idempotency keys deduplicate for that long.
    Keep(Duration),
}

impl Default for Retention {
    /// Keep finished messages for a day.
    fn default() -> Retention {
        Retention::Keep(Duration::from_secs(24 * 60 * 60))
    }
}

/// Purges finished messages older than the retention every `interval`, in statements of at most
/// `batch` rows, until a round deletes nothing; until `stop`.
pub(crate) async fn purge_loop(shared: Arc<Shared>, stop: CancellationToken) {
    let Retention::Keep(keep) = shared.consumer.retention() else {
        return;
    };
    let interval = shared.config.purge_interval;
    let batch = shared.config.purge_batch;
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(interval) => {}
        }
        loop {
            match shared.consumer.purge(keep, batch).await {
                Ok(deleted) => {
                    shared.metrics.add(
                        Counter::Purged,
                        usize::try_from(deleted).unwrap_or(usize::MAX),
                    );
                    if deleted == 0 || stop.is_cancelled() {
                        break;
                    }
                }
                Err(err) => {
                    tracing::warn!(error = %err, "purging finished messages failed");
                    break;
                }
            }
        }
    }
}
