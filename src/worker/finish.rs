//! Finishing attempts: acks are batched — a group of messages started together writes whatever
//! of it finished by the time it looks (all of a claim of quick handlers: one statement), and
//! when idle an ack waits for nobody — while retries and dead letters (rare) are written one by
//! one, concurrently. A statement that fails is tried again; the leases stay held (and renewed)
//! meanwhile. The finisher task (`finish_loop`) writes the outcomes of messages found lost
//! before they started.

use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use tokio::sync::mpsc;

use crate::error::MessengerError;
use crate::worker::Shared;
use crate::worker::execute::{Finished, Outcome};
use crate::worker::lease::Lease;
use crate::worker::metrics::Counter;

/// How often a failing finishing statement is tried before the worker lets go of the leases
/// (the messages then return through the rescue when their leases expire).
const ATTEMPTS: u32 = 6;

/// Finishes attempts as they arrive until every sender is gone.
pub(crate) async fn finish_loop(
    shared: Arc<Shared>,
    mut finished: mpsc::UnboundedReceiver<Vec<Finished>>,
) {
    let max = shared.config.ack_batch;
    while let Some(mut batch) = finished.recv().await {
        while batch.len() < max {
            match finished.try_recv() {
                Ok(more) => batch.extend(more),
                Err(_) => break,
            }
        }
        while batch.len() > max {
            let rest = batch.split_off(max);
            finish(&shared, batch).await;
            batch = rest;
        }
        finish(&shared, batch).await;
    }
}

/// Runs `op` until it succeeds or [`ATTEMPTS`] failed (doubling pauses from 50 ms); a lost
/// lease is final at once. Also the drain's way of handing messages back.
pub(crate) async fn persistently<T, F, Fut>(what: &str, mut op: F) -> Result<T, MessengerError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, MessengerError>>,
{
    let mut pause = Duration::from_millis(50);
    let mut attempt = 1;
    loop {
        match op().await {
            Ok(value) => return Ok(value),
            Err(err @ MessengerError::LeaseLost { .. }) => return Err(err),
            Err(err) if attempt >= ATTEMPTS => return Err(err),
            Err(err) => {
                tracing::warn!(error = %err, attempt, "{what} failed; trying again");
                tokio::time::sleep(pause).await;
                pause *= 2;
                attempt += 1;
            }
        }
    }
}

/// Records the outcome in the message's span and lets go of its lease.
fn close(shared: &Shared, finished: &Finished, outcome: &str) {
    record(finished, outcome);
    shared.leases.remove(finished.lease);
}

/// Records the outcome in the message's span.
fn record(finished: &Finished, outcome: &str) {
    finished.span.record("outcome", outcome);
    finished.span.record(
        "duration_ms",
        finished.started.elapsed().as_secs_f64() * 1e3,
    );
    tracing::debug!(parent: &finished.span, outcome, "message finished");
}

pub(crate) async fn finish(shared: &Shared, batch: Vec<Finished>) {
    let (acks, others): (Vec<Finished>, Vec<Finished>) = batch
        .into_iter()
        .partition(|f| matches!(f.outcome, Outcome::Ack));
    let count = acks.len() + others.len();
    let leases: Vec<Lease> = acks.iter().map(|f| f.lease).collect();
    let acking = async {
        if leases.is_empty() {
            return;
        }
        let ack = || async {
            let client = shared.hot.get().await?;
            shared.consumer.ack_many_on(&client, &leases).await
        };
        match persistently("acking", ack).await {
            Ok(fenced) => {
                shared.metrics.add(Counter::Acked, fenced.done.len());
                shared.metrics.add(Counter::LeaseLost, fenced.lost.len());
                for f in &acks {
                    if fenced.lost.contains(&f.lease) {
                        tracing::warn!(parent: &f.span, "lease lost before the ack; the message will be delivered again");
                        record(f, "lease_lost");
                    } else {
                        record(f, "acked");
                    }
                }
                shared.leases.remove_all(leases.iter().copied());
            }
            Err(err) => {
                tracing::error!(error = %err, messages = acks.len(), "acking failed; the messages return when their leases expire");
                for f in &acks {
                    close(shared, f, "error");
                }
            }
        }
    };
    let others = join_all(others.iter().map(|f| finish_one(shared, f)));
    tokio::join!(acking, others);
    if count > 0 {
        shared.capacity.notify_one();
    }
}

/// Finishes one attempt that is not a plain ack.
async fn finish_one(shared: &Shared, finished: &Finished) {
    let lease = finished.lease;
    let consumer = &shared.consumer;
    let result = match &finished.outcome {
        // Acks are batched by `finish`; one that comes this way is acked alone.
        Outcome::Ack => persistently("acking", || consumer.ack(lease))
            .await
            .map(|()| {
                shared.metrics.add(Counter::Acked, 1);
                "acked"
            }),
        Outcome::AckedInTransaction => {
            shared.metrics.add(Counter::Acked, 1);
            close(shared, finished, "acked");
            return;
        }
        Outcome::Abandoned => {
            shared.metrics.add(Counter::LeaseLost, 1);
            close(shared, finished, "lease_lost");
            return;
        }
        Outcome::Retry { delay, failure } => persistently("retrying", || {
            consumer.retry(lease, *delay, &failure.message)
        })
        .await
        .map(|_| {
            tracing::info!(parent: &finished.span, error = %failure.message, class = %failure.class, delay_ms = delay.as_millis() as u64, "attempt failed; retrying");
            shared.metrics.add(Counter::Retried, 1);
            "retried"
        }),
        Outcome::DeadLetter { failure } => persistently("dead-lettering", || {
            consumer.dead_letter(
                lease,
                &failure.message,
                Some(&failure.class),
                failure.trace.as_deref(),
            )
        })
        .await
        .map(|_| {
            tracing::warn!(parent: &finished.span, error = %failure.message, class = %failure.class, "message dead-lettered");
            shared.metrics.add(Counter::DeadLettered, 1);
            "dead_lettered"
        }),
    };
    match result {
        Ok(outcome) => close(shared, finished, outcome),
        Err(MessengerError::LeaseLost { .. }) => {
            shared.metrics.add(Counter::LeaseLost, 1);
            tracing::warn!(parent: &finished.span, "lease lost before the outcome was written; the message will be delivered again");
            close(shared, finished, "lease_lost");
        }
        Err(err) => {
            tracing::error!(parent: &finished.span, error = %err, "writing the outcome failed; the message returns when its lease expires");
            close(shared, finished, "error");
        }
    }
}
