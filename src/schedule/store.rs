//! Schedules in the database: creating one (its definition and its body checked first, like a
//! message), reading, pausing, resuming and removing them. Plain SQL on any tokio-postgres
//! client, so `messenger-gen schedule` (built without the generated queries) runs this code.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use tokio_postgres::GenericClient;
use tokio_postgres::Row;

use super::definition::{DefinitionError, MissedTicks, Recurrence};
use crate::error::{MessengerError, db_error_text};
use crate::validate::Validators;

/// The header that carries the message type name (as dispatch sets it).
const MESSAGE_TYPE_HEADER: &str = "message_type";

/// A schedule to create.
#[derive(Debug, Clone)]
pub struct NewSchedule {
    /// A name for people; not unique.
    pub name: String,
    /// The transport every fire is sent through.
    pub transport: String,
    /// The queue within the transport.
    pub queue: String,
    /// The message type of the body.
    pub message_type: String,
    /// The body of every enqueued message, validated against the message type's schema.
    pub body: Value,
    /// Extra headers of every enqueued message (`message_type` is set from `message_type`).
    pub headers: Map<String, Value>,
    /// 1 (lowest) to 10 (highest).
    pub priority: i16,
    /// When it fires.
    pub recurrence: Recurrence,
    /// What happens to ticks missed during downtime.
    pub missed_ticks: MissedTicks,
    /// The first fire time; `None`: [`Recurrence::first_after`] the creation time.
    pub first_run_at: Option<DateTime<Utc>>,
}

impl NewSchedule {
    /// A schedule on queue `default`, priority 5, no extra headers, missed ticks skipped.
    pub fn new(
        name: impl Into<String>,
        transport: impl Into<String>,
        message_type: impl Into<String>,
        body: Value,
        recurrence: Recurrence,
    ) -> NewSchedule {
        NewSchedule {
            name: name.into(),
            transport: transport.into(),
            queue: "default".to_owned(),
            message_type: message_type.into(),
            body,
            headers: Map::new(),
            priority: 5,
            recurrence,
            missed_ticks: MissedTicks::Skip,
            first_run_at: None,
        }
    }
}

/// Why a schedule operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    /// The recurrence or missed-tick policy cannot be evaluated.
    #[error(transparent)]
    Definition(#[from] DefinitionError),
    /// The body does not match its message type's schema, or the transport or type is unknown.
    #[error(transparent)]
    Message(#[from] MessengerError),
    /// Another option is out of range (priority, headers, name).
    #[error("invalid schedule: {0}")]
    Invalid(String),
    /// There is no schedule with this id.
    #[error("no schedule {0}")]
    NotFound(i64),
    /// A one-time schedule that already fired cannot be resumed.
    #[error("schedule {0} ran once already; a one-time schedule does not run again")]
    AlreadyRan(i64),
    /// PostgreSQL refused or failed the statement.
    #[error("database error: {}", db_error_text(.0))]
    Database(#[from] tokio_postgres::Error),
}

/// A stored schedule (`messenger_schedules`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Schedule {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The transport.
    pub transport: String,
    /// The queue.
    pub queue: String,
    /// The message type.
    pub message_type: String,
    /// The body.
    pub body: Value,
    /// Extra headers.
    pub headers: Value,
    /// The priority.
    pub priority: i16,
    /// `cron`, `interval` or `once`.
    pub schedule_type: String,
    /// The cron expression (cron).
    pub cron_expression: Option<String>,
    /// The interval in seconds (interval).
    pub interval_seconds: Option<i32>,
    /// The instant (once).
    pub run_at: Option<DateTime<Utc>>,
    /// The IANA time zone of the cron expression.
    pub timezone: String,
    /// The next fire time, `None` when it will not run again.
    pub next_run_at: Option<DateTime<Utc>>,
    /// The latest tick that enqueued a message.
    pub last_run_at: Option<DateTime<Utc>>,
    /// Whether schedulers fire it.
    pub enabled: bool,
    /// `skip` or `catch_up`.
    pub missed_ticks: String,
    /// The catch-up limit.
    pub catch_up_limit: i32,
    /// Why the latest fire was refused.
    pub last_error: Option<String>,
    /// When it was refused.
    pub last_error_at: Option<DateTime<Utc>>,
    /// When the schedule was created.
    pub created_at: DateTime<Utc>,
}

impl Schedule {
    /// Its recurrence.
    pub fn recurrence(&self) -> Result<Recurrence, DefinitionError> {
        Recurrence::from_columns(
            &self.schedule_type,
            self.cron_expression.as_deref(),
            self.interval_seconds,
            self.run_at,
            &self.timezone,
        )
    }

    /// The next `count` fire times from `now` on: from `next_run_at` while enabled, else from
    /// when a resume at `now` would start it.
    pub fn upcoming(
        &self,
        now: DateTime<Utc>,
        count: usize,
    ) -> Result<Vec<DateTime<Utc>>, DefinitionError> {
        let recurrence = self.recurrence()?;
        let first = match (self.enabled, self.next_run_at) {
            (true, Some(next)) => next,
            (true, None) => return Ok(Vec::new()),
            (false, _) if self.schedule_type == "once" && self.last_run_at.is_some() => {
                return Ok(Vec::new());
            }
            (false, _) => recurrence.first_after(now)?,
        };
        recurrence.upcoming(first, count)
    }

    /// What the schedule does, in a few words: `cron 30 2 * * * (America/New_York)`,
    /// `every 60 s`, `once at 2026-01-01T00:00:00Z`.
    pub fn describe(&self) -> String {
        match self.schedule_type.as_str() {
            "cron" => format!(
                "cron {} ({})",
                self.cron_expression.as_deref().unwrap_or("?"),
                self.timezone
            ),
            "interval" => format!(
                "every {}",
                seconds_text(self.interval_seconds.unwrap_or_default())
            ),
            _ => format!(
                "once at {}",
                self.run_at
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
                    .unwrap_or_else(|| "?".to_owned())
            ),
        }
    }

    fn from_row(row: &Row) -> Result<Schedule, tokio_postgres::Error> {
        Ok(Schedule {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            transport: row.try_get("transport_name")?,
            queue: row.try_get("queue_name")?,
            message_type: row.try_get("message_type")?,
            body: row.try_get("body")?,
            headers: row.try_get("headers")?,
            priority: row.try_get("priority")?,
            schedule_type: row.try_get("schedule_type")?,
            cron_expression: row.try_get("cron_expression")?,
            interval_seconds: row.try_get("interval_seconds")?,
            run_at: row.try_get("run_at")?,
            timezone: row.try_get("timezone")?,
            next_run_at: row.try_get("next_run_at")?,
            last_run_at: row.try_get("last_run_at")?,
            enabled: row.try_get("enabled")?,
            missed_ticks: row.try_get("missed_ticks")?,
            catch_up_limit: row.try_get("catch_up_limit")?,
            last_error: row.try_get("last_error")?,
            last_error_at: row.try_get("last_error_at")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

/// `90` → `90s`, `900` → `15m`, `7200` → `2h`, `86400` → `1d`: the largest whole unit.
fn seconds_text(seconds: i32) -> String {
    match seconds {
        s if s > 0 && s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s > 0 && s % 3600 == 0 => format!("{}h", s / 3600),
        s if s > 0 && s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

const COLUMNS: &str = "id, name, transport_name, queue_name, message_type, body, headers, priority,
    schedule_type, cron_expression, interval_seconds, run_at, timezone, next_run_at, last_run_at,
    enabled, missed_ticks, catch_up_limit, last_error, last_error_at, created_at";

/// Checks everything about `schedule` that can be checked without the database: the body
/// against its message type's schema for the transport, the headers and the priority.
pub fn check(validators: &Validators, schedule: &NewSchedule) -> Result<(), ScheduleError> {
    if schedule.name.trim().is_empty() {
        return Err(ScheduleError::Invalid("the name is empty".to_owned()));
    }
    if !(1..=10).contains(&schedule.priority) {
        return Err(ScheduleError::Invalid(format!(
            "priority {} is outside 1..=10",
            schedule.priority
        )));
    }
    if let Some(given) = schedule.headers.get(MESSAGE_TYPE_HEADER)
        && given != schedule.message_type.as_str()
    {
        return Err(ScheduleError::Invalid(format!(
            "header `{MESSAGE_TYPE_HEADER}` is {given} but the message type is `{}`",
            schedule.message_type
        )));
    }
    validators.validate(&schedule.transport, &schedule.message_type, &schedule.body)?;
    Ok(())
}

/// Creates a schedule after [`check`]ing it; returns the stored row. Its first fire time is
/// `first_run_at`, or the first after `now`.
pub async fn create<C: GenericClient>(
    client: &C,
    validators: &Validators,
    schedule: &NewSchedule,
    now: DateTime<Utc>,
) -> Result<Schedule, ScheduleError> {
    check(validators, schedule)?;
    let next_run_at = match schedule.first_run_at {
        Some(at) => at,
        None => schedule.recurrence.first_after(now)?,
    };
    let (cron_expression, zone, interval_seconds, run_at) = match &schedule.recurrence {
        Recurrence::Cron {
            expression, zone, ..
        } => (Some(expression.as_str()), zone.name(), None, None),
        Recurrence::Interval { seconds } => (None, "UTC", Some(*seconds), None),
        Recurrence::Once { at } => (None, "UTC", None, Some(*at)),
    };
    let headers = Value::Object(schedule.headers.clone());
    let row = client
        .query_one(
            &format!(
                "INSERT INTO messenger_schedules (name, transport_name, queue_name, message_type,
                     body, headers, priority, schedule_type, cron_expression, interval_seconds,
                     run_at, timezone, next_run_at, enabled, missed_ticks, catch_up_limit)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, true, $14, $15)
                 RETURNING {COLUMNS}"
            ),
            &[
                &schedule.name,
                &schedule.transport,
                &schedule.queue,
                &schedule.message_type,
                &schedule.body,
                &headers,
                &schedule.priority,
                &schedule.recurrence.kind(),
                &cron_expression,
                &interval_seconds,
                &run_at,
                &zone,
                &next_run_at,
                &schedule.missed_ticks.as_str(),
                &schedule.missed_ticks.limit(),
            ],
        )
        .await?;
    Ok(Schedule::from_row(&row)?)
}

/// Every schedule, by id.
pub async fn list<C: GenericClient>(client: &C) -> Result<Vec<Schedule>, ScheduleError> {
    let rows = client
        .query(
            &format!("SELECT {COLUMNS} FROM messenger_schedules ORDER BY id"),
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(Schedule::from_row)
        .collect::<Result<_, _>>()?)
}

/// The schedule `id`.
pub async fn get<C: GenericClient>(client: &C, id: i64) -> Result<Schedule, ScheduleError> {
    let row = client
        .query_opt(
            &format!("SELECT {COLUMNS} FROM messenger_schedules WHERE id = $1"),
            &[&id],
        )
        .await?
        .ok_or(ScheduleError::NotFound(id))?;
    Ok(Schedule::from_row(&row)?)
}

/// Stops schedulers from firing schedule `id` (its next run time stays as it was, for the
/// record; [`resume`] computes a new one). Returns the row.
pub async fn pause<C: GenericClient>(client: &C, id: i64) -> Result<Schedule, ScheduleError> {
    let row = client
        .query_opt(
            &format!(
                "UPDATE messenger_schedules SET enabled = false WHERE id = $1 RETURNING {COLUMNS}"
            ),
            &[&id],
        )
        .await?
        .ok_or(ScheduleError::NotFound(id))?;
    Ok(Schedule::from_row(&row)?)
}

/// Lets schedulers fire schedule `id` again, from its first fire time after `now`: ticks that
/// fell while it was paused are not fired (a one-time schedule that never ran fires at its
/// instant, at once if that is past). An enabled schedule is left as it is. Returns the row.
pub async fn resume<C: GenericClient>(
    client: &C,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Schedule, ScheduleError> {
    let current = get(client, id).await?;
    if current.enabled {
        return Ok(current);
    }
    if current.schedule_type == "once" && current.last_run_at.is_some() {
        return Err(ScheduleError::AlreadyRan(id));
    }
    let next_run_at = current.recurrence()?.first_after(now)?;
    // `NOT enabled` keeps a concurrent resume from moving the next run time twice.
    let row = client
        .query_opt(
            &format!(
                "UPDATE messenger_schedules SET enabled = true, next_run_at = $2,
                     last_error = NULL, last_error_at = NULL
                 WHERE id = $1 AND NOT enabled RETURNING {COLUMNS}"
            ),
            &[&id, &next_run_at],
        )
        .await?;
    match row {
        Some(row) => Ok(Schedule::from_row(&row)?),
        None => get(client, id).await,
    }
}

/// Deletes schedule `id` (the messages it enqueued stay). Returns the deleted row.
pub async fn remove<C: GenericClient>(client: &C, id: i64) -> Result<Schedule, ScheduleError> {
    let row = client
        .query_opt(
            &format!("DELETE FROM messenger_schedules WHERE id = $1 RETURNING {COLUMNS}"),
            &[&id],
        )
        .await?
        .ok_or(ScheduleError::NotFound(id))?;
    Ok(Schedule::from_row(&row)?)
}
