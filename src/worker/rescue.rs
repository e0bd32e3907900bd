//! Rescue without a leader: every worker process periodically finishes expired leases — of any
//! worker, any transport — with one guarded statement (`rescue_expired_leases`), so a dead
//! worker's messages come back within its lease plus one rescue interval, whoever is alive.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::worker::Shared;
use crate::worker::metrics::Counter;

/// Rescues expired leases at start and then every rescue interval (±20 %, so processes started
/// together spread out), `rescue_batch` rows per statement until a statement finds fewer, until
/// `stop`.
pub(crate) async fn rescue_loop(shared: Arc<Shared>, stop: CancellationToken) {
    let interval = shared.config.rescue_interval;
    let batch = shared.config.rescue_batch;
    loop {
        loop {
            match shared.consumer.rescue_expired(batch).await {
                Ok(rescued) => {
                    let found = rescued.rescued.len() + rescued.dead_lettered.len();
                    shared.metrics.add(Counter::Rescued, rescued.rescued.len());
                    shared
                        .metrics
                        .add(Counter::RescuedToDeadLetters, rescued.dead_lettered.len());
                    if found > 0 {
                        tracing::info!(
                            rescued = rescued.rescued.len(),
                            dead_lettered = rescued.dead_lettered.len(),
                            "finished expired leases"
                        );
                        // Rescued messages may be ours to claim.
                        shared.wake.notify_one();
                    }
                    if found < batch || stop.is_cancelled() {
                        break;
                    }
                }
                Err(err) => {
                    tracing::warn!(error = %err, "rescuing expired leases failed");
                    break;
                }
            }
        }
        // ±20 % so that workers started together do not rescue in step (any interval, even
        // `Duration::MAX`, which `mul_f64` would overflow).
        let pause =
            Duration::try_from_secs_f64(interval.as_secs_f64() * rand::random_range(0.8..=1.2))
                .unwrap_or(interval);
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(pause) => {}
        }
    }
}
