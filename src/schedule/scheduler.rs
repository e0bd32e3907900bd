//! The scheduler: enqueues every due tick of every schedule exactly once, however many scheduler
//! processes run. No leader: each pass claims due schedules with `FOR UPDATE SKIP LOCKED`, and
//! enqueues the ticks (idempotency key `schedule:<id>:<tick>`) and advances the schedule with a
//! compare-and-set on `next_run_at` in one transaction. A process killed mid-pass leaves nothing
//! behind: its transaction rolls back and the schedule is due again for the others.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use deadpool_postgres::Pool;
use messenger_queries::client::Params;
use messenger_queries::queries::schedules::{
    AdvanceScheduleParams, ClaimDueSchedules, advance_schedule, claim_due_schedules,
};
use serde_json::Value;

use super::clock::{Clock, SystemClock};
use super::definition::{MissedTicks, Plan, Recurrence, plan};
use crate::dispatch::{DispatchOptions, dispatch_json_with};
use crate::error::{MessengerError, db_error_text};
use crate::registry::Registry;

/// How a scheduler polls and judges lateness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchedulerOptions {
    /// The pause between two passes (default 1 s).
    pub poll_interval: Duration,
    /// The most schedules one transaction claims (default 32).
    pub batch_size: i64,
    /// A tick more late than this when a scheduler gets to it is *missed*, and the schedule's
    /// missed-tick policy applies (default 10 s).
    pub grace: Duration,
}

impl Default for SchedulerOptions {
    fn default() -> SchedulerOptions {
        SchedulerOptions {
            poll_interval: Duration::from_secs(1),
            batch_size: 32,
            grace: Duration::from_secs(10),
        }
    }
}

/// One enqueued tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fire {
    /// The schedule.
    pub schedule_id: i64,
    /// The tick (the message's `scheduled_at`).
    pub tick: DateTime<Utc>,
    /// The enqueued message.
    pub message_id: i64,
    /// `false` when the idempotency key found the tick already enqueued (which the
    /// compare-and-set makes impossible; reported so tests and logs can prove it).
    pub inserted: bool,
}

/// A pass that refused to fire a schedule; the error is recorded on the schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The schedule.
    pub schedule_id: i64,
    /// The ticks that were not enqueued.
    pub ticks: Vec<DateTime<Utc>>,
    /// Why (as stored in `last_error`).
    pub error: String,
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pass {
    /// Every tick enqueued, by schedule and tick.
    pub fired: Vec<Fire>,
    /// Every refused fire.
    pub refused: Vec<Refusal>,
}

/// Why a pass failed; nothing of the failed transaction was kept, and the next pass retries.
#[derive(Debug, thiserror::Error)]
pub enum SchedulerError {
    /// PostgreSQL failed a statement.
    #[error("database error: {}", db_error_text(.0))]
    Database(#[from] tokio_postgres::Error),
    /// No connection could be taken from the pool.
    #[error("connection pool error: {0}")]
    Pool(String),
    /// The compare-and-set on `next_run_at` failed although the schedule was locked: someone
    /// changed it outside the scheduler's lock. The pass was rolled back.
    #[error("schedule {0} changed during the pass; rolled back")]
    Lost(i64),
}

/// Enqueues the due ticks of every schedule in the database, for the transports and message
/// types of one application's [`Registry`] (bodies are validated with it before every fire).
pub struct Scheduler {
    pool: Pool,
    registry: &'static Registry,
    clock: Arc<dyn Clock>,
    options: SchedulerOptions,
}

impl Scheduler {
    /// A scheduler on `pool` with the system clock and default options.
    pub fn new(pool: Pool, registry: &'static Registry) -> Scheduler {
        Scheduler {
            pool,
            registry,
            clock: Arc::new(SystemClock),
            options: SchedulerOptions::default(),
        }
    }

    /// Uses `clock` instead of the system clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Scheduler {
        self.clock = clock;
        self
    }

    /// Uses `options`.
    pub fn with_options(mut self, options: SchedulerOptions) -> Scheduler {
        self.options = options;
        self
    }

    /// Runs passes until `shutdown` completes, logging what they do (`tracing`: fires at debug,
    /// refusals at warn, failed passes at error; a failed pass is retried after the poll
    /// interval).
    pub async fn run(&self, shutdown: impl Future<Output = ()>) {
        self.run_with(shutdown, |_| {}).await;
    }

    /// [`Scheduler::run`], handing every pass's report to `on_pass`.
    pub async fn run_with(
        &self,
        shutdown: impl Future<Output = ()>,
        mut on_pass: impl FnMut(&Pass),
    ) {
        tokio::pin!(shutdown);
        loop {
            match self.run_once().await {
                Ok(pass) => on_pass(&pass),
                Err(err) => tracing::error!(error = %err, "scheduler pass failed; retrying"),
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(self.options.poll_interval) => {}
            }
        }
    }

    /// One pass: fires everything due now, in transactions of up to `batch_size` schedules.
    pub async fn run_once(&self) -> Result<Pass, SchedulerError> {
        let mut client = self
            .pool
            .get()
            .await
            .map_err(|e| SchedulerError::Pool(e.to_string()))?;
        let grace = TimeDelta::from_std(self.options.grace).unwrap_or(TimeDelta::MAX);
        let mut pass = Pass::default();
        loop {
            let now = self.clock.now();
            let tx = client.transaction().await?;
            let due = claim_due_schedules()
                .bind(&tx, &now.fixed_offset(), &self.options.batch_size)
                .all()
                .await?;
            let mut done = Pass::default();
            for schedule in &due {
                self.fire(&tx, schedule, now, grace, &mut done).await?;
            }
            tx.commit().await?;
            // Logged only once committed: a rolled-back pass enqueued nothing.
            for fire in &done.fired {
                tracing::debug!(schedule = fire.schedule_id, tick = %fire.tick, message = fire.message_id, "fired");
            }
            for refusal in &done.refused {
                tracing::warn!(schedule = refusal.schedule_id, error = %refusal.error, "fire refused");
            }
            pass.fired.extend(done.fired);
            pass.refused.extend(done.refused);
            if (due.len() as i64) < self.options.batch_size {
                return Ok(pass);
            }
        }
    }

    async fn fire(
        &self,
        tx: &deadpool_postgres::Transaction<'_>,
        s: &ClaimDueSchedules,
        now: DateTime<Utc>,
        grace: TimeDelta,
        pass: &mut Pass,
    ) -> Result<(), SchedulerError> {
        let due = s.next_run_at.with_timezone(&Utc);
        let planned = Recurrence::from_columns(
            &s.schedule_type,
            s.cron_expression.as_deref(),
            s.interval_seconds,
            s.run_at.map(|t| t.with_timezone(&Utc)),
            &s.timezone,
        )
        .and_then(|r| {
            Ok((
                r,
                MissedTicks::from_columns(&s.missed_ticks, s.catch_up_limit)?,
            ))
        })
        .and_then(|(r, missed)| plan(&r, due, now, missed, grace));
        let Plan { fire, next_run_at } = match planned {
            Ok(plan) => plan,
            Err(err) => {
                // A definition that cannot be evaluated never fires again: disable it, say why.
                let error = format!("cannot evaluate the schedule: {err}");
                self.advance(tx, s, None, None, Some(&error), now).await?;
                pass.refused.push(Refusal {
                    schedule_id: s.id,
                    ticks: vec![due],
                    error,
                });
                return Ok(());
            }
        };
        let mut fired = Vec::with_capacity(fire.len());
        for tick in &fire {
            match self.enqueue(tx, s, *tick).await {
                Ok(f) => fired.push(f),
                Err(MessengerError::Database(err)) => return Err(err.into()),
                Err(err) => {
                    // The body (or transport, or type) no longer fits the application's schemas:
                    // nothing of this pass is enqueued for the schedule, the error is recorded,
                    // and the schedule moves on to its next tick.
                    let error = format!(
                        "refused to fire tick {}: {err}",
                        tick.to_rfc3339_opts(SecondsFormat::AutoSi, true)
                    );
                    self.advance(tx, s, None, next_run_at, Some(&error), now)
                        .await?;
                    pass.refused.push(Refusal {
                        schedule_id: s.id,
                        ticks: fire,
                        error,
                    });
                    return Ok(());
                }
            }
        }
        self.advance(tx, s, fire.last().copied(), next_run_at, None, now)
            .await?;
        pass.fired.extend(fired);
        Ok(())
    }

    async fn enqueue(
        &self,
        tx: &deadpool_postgres::Transaction<'_>,
        s: &ClaimDueSchedules,
        tick: DateTime<Utc>,
    ) -> Result<Fire, MessengerError> {
        let headers = match &s.headers {
            Value::Object(map) => map.clone(),
            other => {
                return Err(MessengerError::InvalidOption(format!(
                    "the schedule's headers are not a JSON object: {other}"
                )));
            }
        };
        let options = DispatchOptions {
            queue: s.queue_name.clone(),
            priority: s.priority,
            available_at: Some(tick.fixed_offset()),
            scheduled_at: Some(tick.fixed_offset()),
            idempotency_key: Some(tick_key(s.id, tick)),
            headers,
            ..DispatchOptions::default()
        };
        // Validates the body with the application's schemas before any SQL, as every dispatch.
        let sent = dispatch_json_with(
            tx,
            self.registry.validators(),
            &s.transport_name,
            &s.message_type,
            &s.body,
            &options,
        )
        .await?;
        Ok(Fire {
            schedule_id: s.id,
            tick,
            message_id: sent.id,
            inserted: sent.inserted,
        })
    }

    async fn advance(
        &self,
        tx: &deadpool_postgres::Transaction<'_>,
        s: &ClaimDueSchedules,
        last_run_at: Option<DateTime<Utc>>,
        next_run_at: Option<DateTime<Utc>>,
        last_error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), SchedulerError> {
        let applied = advance_schedule()
            .params(
                tx,
                &AdvanceScheduleParams {
                    last_run_at: last_run_at.map(|t| t.fixed_offset()),
                    next_run_at: next_run_at.map(|t| t.fixed_offset()),
                    enabled: next_run_at.is_some(),
                    last_error,
                    now: now.fixed_offset(),
                    id: s.id,
                    expected_next_run_at: s.next_run_at,
                },
            )
            .opt()
            .await?;
        match applied {
            Some(_) => Ok(()),
            None => Err(SchedulerError::Lost(s.id)),
        }
    }
}

/// The idempotency key of a schedule's tick: `schedule:<id>:<tick in RFC 3339, UTC>`.
pub fn tick_key(schedule_id: i64, tick: DateTime<Utc>) -> String {
    format!(
        "schedule:{schedule_id}:{}",
        tick.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    )
}
