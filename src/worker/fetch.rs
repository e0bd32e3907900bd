//! Claiming: keeps up to `concurrency + prefetch` messages claimed, in claims of at most
//! `batch_size`, from the worker's queues in the order they are listed; waits for a wake-up or
//! the poll interval when the queues run dry — or only a short while (the hot poll interval, 25 ms
//! by default, for a second after any activity), because the notifications are debounced across transactions (see
//! `messenger_notify_consumable` in `schema/V3__consuming.sql`): a message whose transaction
//! skipped notifying, because another one was notifying that queue, may commit just after the
//! notification woke this worker.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::worker::Shared;
use crate::worker::lease::Claimed;
use crate::worker::metrics::Counter;

/// Claims until `stop`, sending every claim's messages to `buffer` (and registering their
/// leases first, so the heartbeat covers them from the start).
pub(crate) async fn fetch_loop(
    shared: Arc<Shared>,
    buffer: mpsc::UnboundedSender<Vec<Claimed>>,
    stop: CancellationToken,
) {
    let config = &shared.config;
    let max_held = config.concurrency + config.prefetch;
    // Claim once at least this much room is free: a claim per finished message would waste
    // round trips, a claim only when empty would starve the handlers.
    let threshold = config.batch_size.min(max_held).div_ceil(2).max(1);
    let mut failures = 0u32;
    let mut last_activity: Option<std::time::Instant> = None;
    loop {
        if stop.is_cancelled() {
            return;
        }
        let free = max_held.saturating_sub(shared.leases.len());
        if free < threshold {
            tokio::select! {
                () = stop.cancelled() => return,
                () = shared.capacity.notified() => continue,
            }
        }
        let want = config.batch_size.min(free);
        let mut got = 0;
        let mut failed = false;
        for queue in &config.queues {
            if got >= want {
                break;
            }
            let claimed = match shared.hot.get().await {
                Ok(client) => {
                    shared
                        .consumer
                        .claim_raw(&client, queue, want - got, config.lease)
                        .await
                }
                Err(err) => Err(err),
            };
            match claimed {
                Ok(deliveries) => {
                    got += deliveries.len();
                    shared.metrics.add(Counter::Claimed, deliveries.len());
                    if deliveries.is_empty() {
                        continue;
                    }
                    for delivery in &deliveries {
                        shared.leases.insert(delivery.lease);
                    }
                    // One send per claim: the runner starts what arrives together together.
                    if let Err(mpsc::error::SendError(orphans)) = buffer.send(deliveries) {
                        // The runner is gone (never during a drain, which keeps the buffer
                        // until it has handed back what is in it): hand these back too.
                        let orphans: Vec<_> = orphans.iter().map(|d| d.lease).collect();
                        if let Err(err) = shared.consumer.release(&orphans).await {
                            tracing::warn!(error = %err, "handing back claimed messages failed; they return when their leases expire");
                        }
                        shared.leases.remove_all(orphans);
                        return;
                    }
                }
                Err(err) => {
                    tracing::warn!(
                        transport = %shared.transport,
                        queue = %queue,
                        error = %err,
                        "claiming failed"
                    );
                    failed = true;
                    break;
                }
            }
        }
        if failed {
            failures = failures.saturating_add(1);
            let pause = config
                .poll_interval
                .saturating_mul(failures)
                .min(Duration::from_secs(30));
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(pause) => {}
            }
            continue;
        }
        failures = 0;
        if got > 0 {
            last_activity = Some(std::time::Instant::now());
        }
        if got < want {
            // The queues ran dry: wait for a notification or the next poll.
            let hot = last_activity.is_some_and(|at| at.elapsed() < config.hot_period);
            let pause = if hot {
                config.hot_poll.min(config.poll_interval)
            } else {
                config.poll_interval
            };
            tokio::select! {
                () = stop.cancelled() => return,
                () = shared.wake.notified() => {
                    last_activity = Some(std::time::Instant::now());
                }
                () = tokio::time::sleep(pause) => {}
            }
        }
    }
}
