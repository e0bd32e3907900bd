//! Claiming and starting: keeps up to `concurrency + prefetch` messages claimed, in claims of at
//! most `batch_size`, from the worker's queues in the order they are listed, and starts them as
//! handler slots free up (see [`Starter`]); waits for a wake-up or the poll interval when the
//! queues run dry — or only a short while (the hot poll interval, 25 ms by default, for a
//! second after any activity), because the notifications are debounced across transactions
//! (see `messenger_notify_consumable` in `schema/V3__consuming.sql`): a message whose
//! transaction skipped notifying, because another one was notifying that queue, may commit just
//! after the notification woke this worker.
//!
//! One task claims and starts, so a claim's messages start without a hand-off to another task.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::worker::Shared;
use crate::worker::execute::Starter;
use crate::worker::lease::Claimed;
use crate::worker::metrics::Counter;

/// Why a wait ended.
enum Woken {
    /// `stop` was cancelled.
    Stopped,
    /// The awaited event happened (a notification, room to claim).
    Event,
    /// The time passed.
    Timeout,
}

/// Waits until `stop`, `event` or `timeout` (if any), starting waiting messages whenever a
/// handler slot frees up meanwhile.
async fn wait(
    shared: &Arc<Shared>,
    starter: &mut Starter,
    stop: &CancellationToken,
    event: impl Future<Output = ()>,
    timeout: Option<Duration>,
) -> Woken {
    let sleep = tokio::time::sleep(timeout.unwrap_or(Duration::MAX));
    tokio::pin!(sleep, event);
    loop {
        tokio::select! {
            biased;
            () = stop.cancelled() => return Woken::Stopped,
            () = &mut event => return Woken::Event,
            () = &mut sleep, if timeout.is_some() => return Woken::Timeout,
            () = starter.slot_free(), if starter.is_waiting() => starter.start(shared),
        }
    }
}

/// Claims and starts until `stop`, registering every claimed lease first (so the heartbeat
/// covers it from the start); returns the claimed messages that never started, for the drain
/// to hand back.
pub(crate) async fn fetch_loop(
    shared: Arc<Shared>,
    mut starter: Starter,
    stop: CancellationToken,
) -> Vec<Claimed> {
    let config = &shared.config;
    let max_held = config.concurrency + config.prefetch;
    // Claim once at least this much room is free: a claim per finished message would waste
    // round trips, a claim only when empty would starve the handlers.
    let threshold = config.batch_size.min(max_held).div_ceil(2).max(1);
    let mut failures = 0u32;
    let mut last_activity: Option<std::time::Instant> = None;
    loop {
        starter.start(&shared);
        if stop.is_cancelled() {
            return starter.into_unstarted();
        }
        let free = max_held.saturating_sub(shared.leases.len());
        if free < threshold {
            match wait(
                &shared,
                &mut starter,
                &stop,
                shared.capacity.notified(),
                None,
            )
            .await
            {
                Woken::Stopped => return starter.into_unstarted(),
                Woken::Event | Woken::Timeout => continue,
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
                    for delivery in &deliveries {
                        shared.leases.insert(delivery.lease);
                    }
                    starter.push(deliveries);
                    starter.start(&shared);
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
            let never = std::future::pending::<()>();
            if let Woken::Stopped = wait(&shared, &mut starter, &stop, never, Some(pause)).await {
                return starter.into_unstarted();
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
            match wait(
                &shared,
                &mut starter,
                &stop,
                shared.wake.notified(),
                Some(pause),
            )
            .await
            {
                Woken::Stopped => return starter.into_unstarted(),
                Woken::Event => last_activity = Some(std::time::Instant::now()),
                Woken::Timeout => {}
            }
        }
    }
}
