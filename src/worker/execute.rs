//! Running claimed messages: at most `concurrency` handlers at once, those started together in
//! one task, each attempt with its tracing span; the body is validated against its type's
//! schema before any handler sees it; the hard deadline, panics and cancellation end an
//! attempt; the result becomes an [`Outcome`], which that task writes (`finish.rs`).

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures::FutureExt as _;
use futures::stream::{FuturesUnordered, StreamExt as _};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument as _;

use crate::error::MessengerError;
use crate::worker::handler::{Context, HandlerError, LazyJson};
use crate::worker::lease::{Claimed, Lease};
use crate::worker::{Shared, finish};

/// An attempt's failure as recorded with a retry or a dead letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) message: String,
    pub(crate) class: String,
    pub(crate) trace: Option<String>,
}

impl Failure {
    fn new(class: &str, message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            class: class.to_owned(),
            trace: None,
        }
    }
}

/// What is to be done with a message after its attempt.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    /// Handled: ack it.
    Ack,
    /// Handled and acked in the application's transaction: nothing to do.
    AckedInTransaction,
    /// Failed, attempts left: attempt again after `delay`.
    Retry { delay: Duration, failure: Failure },
    /// Failed for good: to the dead letters.
    DeadLetter { failure: Failure },
    /// The lease was lost: nothing may be written.
    Abandoned,
}

/// A finished attempt, for `finish.rs`.
#[derive(Debug)]
pub(crate) struct Finished {
    pub(crate) lease: Lease,
    pub(crate) outcome: Outcome,
    pub(crate) span: tracing::Span,
    pub(crate) started: Instant,
}

/// Claimed messages waiting for a free handler slot, and how they start: at most `concurrency`
/// run at once; messages that can start together start together, in one task that runs them
/// all (each its own future with its own span, deadline, cancellation and panic guard) and
/// writes their outcomes as they finish — a claimed batch costs one task, not one per message.
/// Driven by the fetcher (`fetch.rs`), so a claim's messages start without a hand-off.
pub(crate) struct Starter {
    slots: Arc<Semaphore>,
    waiting: VecDeque<Claimed>,
    most: usize,
    /// Messages found lost before they started, for the finisher task.
    abandoned: mpsc::UnboundedSender<Vec<Finished>>,
    handlers_cancelled: CancellationToken,
    tracker: TaskTracker,
}

impl Starter {
    pub(crate) fn new(
        shared: &Shared,
        abandoned: mpsc::UnboundedSender<Vec<Finished>>,
        handlers_cancelled: CancellationToken,
        tracker: TaskTracker,
    ) -> Starter {
        Starter {
            slots: Arc::new(Semaphore::new(shared.config.concurrency)),
            waiting: VecDeque::new(),
            most: shared.config.batch_size.max(1),
            abandoned,
            handlers_cancelled,
            tracker,
        }
    }

    /// Adds claimed messages to the waiting ones.
    pub(crate) fn push(&mut self, claimed: Vec<Claimed>) {
        self.waiting.extend(claimed);
    }

    /// Whether messages wait for a slot.
    pub(crate) fn is_waiting(&self) -> bool {
        !self.waiting.is_empty()
    }

    /// Resolves when a slot is free (the permit is given back: [`Starter::start`] takes it).
    pub(crate) async fn slot_free(&self) {
        let _ = self.slots.acquire().await;
    }

    /// What never started, for the drain to hand back.
    pub(crate) fn into_unstarted(self) -> Vec<Claimed> {
        Vec::from(self.waiting)
    }

    /// Starts waiting messages while slots are free.
    pub(crate) fn start(&mut self, shared: &Arc<Shared>) {
        while !self.waiting.is_empty() {
            let mut runs = Vec::with_capacity(self.waiting.len().min(self.most));
            let mut abandoned = Vec::new();
            while runs.len() + abandoned.len() < self.most && !self.waiting.is_empty() {
                let Ok(slot) = self.slots.clone().try_acquire_owned() else {
                    break;
                };
                let Some(delivery) = self.waiting.pop_front() else {
                    break;
                };
                let span = span_of(shared, &delivery);
                let lease = delivery.lease;
                match shared.leases.cancellation_if_held(lease) {
                    Some(cancel) => runs.push(Run {
                        delivery,
                        cancel,
                        span,
                        slot,
                    }),
                    // Lost while it waited: never started.
                    None => abandoned.push(Finished {
                        lease,
                        outcome: Outcome::Abandoned,
                        span,
                        started: Instant::now(),
                    }),
                }
            }
            let stalled = runs.is_empty() && abandoned.is_empty();
            if !abandoned.is_empty() {
                let _ = self.abandoned.send(abandoned);
            }
            if !runs.is_empty() {
                self.tracker.spawn(run_group(
                    shared.clone(),
                    runs,
                    self.handlers_cancelled.clone(),
                ));
            }
            if stalled {
                // No slot is free.
                return;
            }
        }
    }
}

/// A message about to start, with what its attempt needs.
struct Run {
    delivery: Claimed,
    cancel: CancellationToken,
    span: tracing::Span,
    slot: OwnedSemaphorePermit,
}

/// Runs a group of messages concurrently and writes their outcomes as they come (all that are
/// ready at once in one batch: one ack statement for a claim of no-op handlers). Writing
/// here rather than in the finisher task saves a hand-off per batch; the group's other
/// attempts are not polled while an outcome is written (one statement, pipelined on the
/// worker's connection), which delays noticing their end, not their work.
async fn run_group(shared: Arc<Shared>, runs: Vec<Run>, handlers_cancelled: CancellationToken) {
    let shared = &shared;
    let handlers_cancelled = &handlers_cancelled;
    let mut running: FuturesUnordered<_> = runs
        .into_iter()
        .map(|run| async move {
            let Run {
                delivery,
                cancel,
                span,
                slot,
            } = run;
            let started = Instant::now();
            let lease = delivery.lease;
            let outcome = execute(shared, delivery, cancel, handlers_cancelled)
                .instrument(span.clone())
                .await;
            shared.leases.finishing(lease);
            drop(slot);
            Finished {
                lease,
                outcome,
                span,
                started,
            }
        })
        .collect();
    while let Some(first) = running.next().await {
        let mut done = vec![first];
        // Whatever else has finished by now goes with it (polling once does not wait; the
        // next `.await` registers this task's waker again).
        while done.len() < shared.config.ack_batch
            && let Some(Some(next)) = running.next().now_or_never()
        {
            done.push(next);
        }
        finish::finish(shared, done).await;
    }
}

fn span_of(shared: &Shared, delivery: &Claimed) -> tracing::Span {
    tracing::info_span!(
        "symphony_messenger.message",
        message_id = delivery.lease.message_id,
        message_type = delivery.message_type.as_deref().unwrap_or(""),
        transport = %shared.transport,
        queue = %delivery.queue,
        attempt = delivery.attempt,
        outcome = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
    )
}

/// One attempt of one message.
async fn execute(
    shared: &Shared,
    delivery: Claimed,
    cancel: CancellationToken,
    handlers_cancelled: &CancellationToken,
) -> Outcome {
    let Some(message_type) = delivery.message_type.clone() else {
        return Outcome::DeadLetter {
            failure: Failure::new(
                "UnknownMessageType",
                "the message has no string headers.message_type, so no schema and no handler apply",
            ),
        };
    };
    // The body is checked against its type's schema before any handler sees it: a body that
    // no longer matches (edited in the table, or from a sender that skipped validation) is a
    // permanent failure, not a retry.
    // Read in place from the text PostgreSQL sent: no `Value` is built for a valid body.
    let validators = shared.registry.validators();
    if let Err(err) = validators.validate_bytes(
        &shared.transport,
        &message_type,
        delivery.body.as_bytes(),
        usize::MAX,
    ) {
        let failure = match err {
            MessengerError::Validation { errors, .. } => Failure::new(
                "InvalidPayload",
                format!(
                    "the body does not match the `{message_type}` schema of transport `{}`: {}",
                    shared.transport,
                    errors
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            ),
            other => Failure::new("UnknownMessageType", other.to_string()),
        };
        return Outcome::DeadLetter { failure };
    }
    let policy = shared.policy(&message_type);
    let max_attempts = policy.attempts_allowed(delivery.max_retries);
    // Attempts can be used up before this one starts: a lost attempt counts (the rescuer
    // dead-letters the last one itself, but a policy may allow fewer than the message).
    if delivery.attempt > max_attempts {
        return Outcome::DeadLetter {
            failure: Failure::new(
                "AttemptsExhausted",
                format!(
                    "no attempt left: this would be attempt {} of {max_attempts}",
                    delivery.attempt
                ),
            ),
        };
    }
    let Some(handler) = shared.handlers.get(&message_type) else {
        return failed(
            delivery.attempt,
            max_attempts,
            policy,
            HandlerError::msg(format!(
                "this worker has no handler for `{message_type}` (transport `{}`)",
                shared.transport
            ))
            .with_class("NoHandler"),
        );
    };
    let acked = Arc::new(AtomicBool::new(false));
    let Claimed {
        lease,
        attempt,
        queue,
        body,
        headers,
        metadata,
        created_at,
        ..
    } = delivery;
    let context = Context {
        lease,
        attempt,
        max_attempts,
        transport: shared.transport.clone(),
        queue,
        message_type,
        headers: LazyJson::new(headers),
        metadata: LazyJson::new(metadata),
        created_at,
        cancel: cancel.clone(),
        retention: shared.consumer.retention(),
        acked: acked.clone(),
    };
    let fail = |error: HandlerError| failed(attempt, max_attempts, policy, error);
    // The call itself (the closure up to the future it returns) may panic too: that is the
    // attempt's failure, not the end of the task (whose lease would then never be finished).
    let future = match std::panic::catch_unwind(AssertUnwindSafe(|| handler.call(&body, context))) {
        Ok(Ok(future)) => future,
        Ok(Err(error)) => return fail(error),
        Err(panic) => return fail(panicked(panic.as_ref())),
    };
    let deadline = shared.config.handler_timeout;
    let attempt = async {
        match deadline {
            Some(deadline) => {
                tokio::time::timeout(deadline, AssertUnwindSafe(future).catch_unwind())
                    .await
                    .ok()
            }
            None => Some(AssertUnwindSafe(future).catch_unwind().await),
        }
    };
    let result = tokio::select! {
        biased;
        () = cancel.cancelled() => {
            if shared.leases.is_lost(lease) || !handlers_cancelled.is_cancelled() {
                return Outcome::Abandoned;
            }
            return fail(
                HandlerError::msg("cancelled: the worker's drain deadline passed while the handler ran")
                    .with_class("DrainTimeout"),
            );
        }
        result = attempt => result,
    };
    match result {
        None => fail(
            HandlerError::msg(format!(
                "the handler ran longer than its deadline of {:?}",
                deadline.unwrap_or_default()
            ))
            .with_class("HandlerTimeout"),
        ),
        Some(Err(panic)) => fail(panicked(panic.as_ref())),
        Some(Ok(Ok(()))) if acked.load(Ordering::Acquire) => Outcome::AckedInTransaction,
        Some(Ok(Ok(()))) => Outcome::Ack,
        Some(Ok(Err(error))) => fail(error),
    }
}

/// The failure of a handler that panicked.
fn panicked(panic: &(dyn std::any::Any + Send)) -> HandlerError {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-string payload".to_owned());
    HandlerError::msg(format!("the handler panicked: {what}")).with_class("HandlerPanic")
}

/// The outcome of a failed attempt: the dead letters when the error is permanent or this was
/// the last attempt, else a retry after the back-off.
fn failed(
    attempt: u32,
    max_attempts: u32,
    policy: &crate::worker::RetryPolicy,
    error: HandlerError,
) -> Outcome {
    let failure = Failure {
        message: error.message().to_owned(),
        class: error.class().to_owned(),
        trace: error.trace().map(str::to_owned),
    };
    if error.is_permanent() {
        return Outcome::DeadLetter { failure };
    }
    if attempt >= max_attempts {
        return Outcome::DeadLetter {
            failure: Failure {
                message: format!("{} (attempt {attempt} of {max_attempts})", failure.message),
                ..failure
            },
        };
    }
    Outcome::Retry {
        delay: error
            .requested_delay()
            .unwrap_or_else(|| policy.delay(attempt)),
        failure,
    }
}
