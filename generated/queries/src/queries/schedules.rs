// This file was generated with `cornucopia`. Do not modify.

#[derive(Clone, Copy, Debug)]
pub struct ClaimDueSchedulesParams {
    pub now: chrono::DateTime<chrono::FixedOffset>,
    pub max_rows: i64,
}
#[derive(Debug)]
pub struct AdvanceScheduleParams<T1: crate::StringSql> {
    pub last_run_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub next_run_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub enabled: bool,
    pub last_error: Option<T1>,
    pub now: chrono::DateTime<chrono::FixedOffset>,
    pub id: i64,
    pub expected_next_run_at: chrono::DateTime<chrono::FixedOffset>,
}
#[derive(Debug)]
pub struct InsertScheduleParams<
    T1: crate::StringSql,
    T2: crate::StringSql,
    T3: crate::StringSql,
    T4: crate::StringSql,
    T5: crate::JsonSql,
    T6: crate::JsonSql,
    T7: crate::StringSql,
    T8: crate::StringSql,
    T9: crate::StringSql,
> {
    pub name: T1,
    pub transport_name: T2,
    pub queue_name: T3,
    pub message_type: T4,
    pub body: T5,
    pub headers: T6,
    pub priority: i16,
    pub schedule_type: T7,
    pub cron_expression: Option<T8>,
    pub interval_seconds: Option<i32>,
    pub run_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub timezone: T9,
    pub next_run_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub enabled: bool,
}
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimDueSchedules {
    pub id: i64,
    pub name: String,
    pub transport_name: String,
    pub queue_name: String,
    pub message_type: String,
    pub body: serde_json::Value,
    pub headers: serde_json::Value,
    pub priority: i16,
    pub schedule_type: String,
    pub cron_expression: Option<String>,
    pub interval_seconds: Option<i32>,
    pub run_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub timezone: String,
    pub next_run_at: chrono::DateTime<chrono::FixedOffset>,
    pub last_run_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub missed_ticks: String,
    pub catch_up_limit: i32,
}
pub struct ClaimDueSchedulesBorrowed<'a> {
    pub id: i64,
    pub name: &'a str,
    pub transport_name: &'a str,
    pub queue_name: &'a str,
    pub message_type: &'a str,
    pub body: postgres_types::Json<&'a serde_json::value::RawValue>,
    pub headers: postgres_types::Json<&'a serde_json::value::RawValue>,
    pub priority: i16,
    pub schedule_type: &'a str,
    pub cron_expression: Option<&'a str>,
    pub interval_seconds: Option<i32>,
    pub run_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub timezone: &'a str,
    pub next_run_at: chrono::DateTime<chrono::FixedOffset>,
    pub last_run_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub missed_ticks: &'a str,
    pub catch_up_limit: i32,
}
impl<'a> From<ClaimDueSchedulesBorrowed<'a>> for ClaimDueSchedules {
    fn from(
        ClaimDueSchedulesBorrowed {
            id,
            name,
            transport_name,
            queue_name,
            message_type,
            body,
            headers,
            priority,
            schedule_type,
            cron_expression,
            interval_seconds,
            run_at,
            timezone,
            next_run_at,
            last_run_at,
            missed_ticks,
            catch_up_limit,
        }: ClaimDueSchedulesBorrowed<'a>,
    ) -> Self {
        Self {
            id,
            name: name.into(),
            transport_name: transport_name.into(),
            queue_name: queue_name.into(),
            message_type: message_type.into(),
            body: serde_json::from_str(body.0.get()).unwrap(),
            headers: serde_json::from_str(headers.0.get()).unwrap(),
            priority,
            schedule_type: schedule_type.into(),
            cron_expression: cron_expression.map(|v| v.into()),
            interval_seconds,
            run_at,
            timezone: timezone.into(),
            next_run_at,
            last_run_at,
            missed_ticks: missed_ticks.into(),
            catch_up_limit,
        }
    }
}
use crate::client::async_::GenericClient;
use futures::{self, StreamExt, TryStreamExt};
pub struct ClaimDueSchedulesQuery<'c, 'a, 's, C: GenericClient, T, const N: usize> {
    client: &'c C,
    params: [&'a (dyn postgres_types::ToSql + Sync); N],
    query: &'static str,
    cached: Option<&'s tokio_postgres::Statement>,
    extractor: fn(&tokio_postgres::Row) -> Result<ClaimDueSchedulesBorrowed, tokio_postgres::Error>,
    mapper: fn(ClaimDueSchedulesBorrowed) -> T,
}
impl<'c, 'a, 's, C, T: 'c, const N: usize> ClaimDueSchedulesQuery<'c, 'a, 's, C, T, N>
where
    C: GenericClient,
{
    pub fn map<R>(
        self,
        mapper: fn(ClaimDueSchedulesBorrowed) -> R,
    ) -> ClaimDueSchedulesQuery<'c, 'a, 's, C, R, N> {
        ClaimDueSchedulesQuery {
            client: self.client,
            params: self.params,
            query: self.query,
            cached: self.cached,
            extractor: self.extractor,
            mapper,
        }
    }
    pub async fn one(self) -> Result<T, tokio_postgres::Error> {
        let row =
            crate::client::async_::one(self.client, self.query, &self.params, self.cached).await?;
        Ok((self.mapper)((self.extractor)(&row)?))
    }
    pub async fn all(self) -> Result<Vec<T>, tokio_postgres::Error> {
        self.iter().await?.try_collect().await
    }
    pub async fn opt(self) -> Result<Option<T>, tokio_postgres::Error> {
        let opt_row =
            crate::client::async_::opt(self.client, self.query, &self.params, self.cached).await?;
        Ok(opt_row
            .map(|row| {
                let extracted = (self.extractor)(&row)?;
                Ok((self.mapper)(extracted))
            })
            .transpose()?)
    }
    pub async fn iter(
        self,
    ) -> Result<
        impl futures::Stream<Item = Result<T, tokio_postgres::Error>> + 'c,
        tokio_postgres::Error,
    > {
        let stream = crate::client::async_::raw(
            self.client,
            self.query,
            crate::slice_iter(&self.params),
            self.cached,
        )
        .await?;
        let mapped = stream
            .map(move |res| {
                res.and_then(|row| {
                    let extracted = (self.extractor)(&row)?;
                    Ok((self.mapper)(extracted))
                })
            })
            .into_stream();
        Ok(mapped)
    }
}
pub struct I64Query<'c, 'a, 's, C: GenericClient, T, const N: usize> {
    client: &'c C,
    params: [&'a (dyn postgres_types::ToSql + Sync); N],
    query: &'static str,
    cached: Option<&'s tokio_postgres::Statement>,
    extractor: fn(&tokio_postgres::Row) -> Result<i64, tokio_postgres::Error>,
    mapper: fn(i64) -> T,
}
impl<'c, 'a, 's, C, T: 'c, const N: usize> I64Query<'c, 'a, 's, C, T, N>
where
    C: GenericClient,
{
    pub fn map<R>(self, mapper: fn(i64) -> R) -> I64Query<'c, 'a, 's, C, R, N> {
        I64Query {
            client: self.client,
            params: self.params,
            query: self.query,
            cached: self.cached,
            extractor: self.extractor,
            mapper,
        }
    }
    pub async fn one(self) -> Result<T, tokio_postgres::Error> {
        let row =
            crate::client::async_::one(self.client, self.query, &self.params, self.cached).await?;
        Ok((self.mapper)((self.extractor)(&row)?))
    }
    pub async fn all(self) -> Result<Vec<T>, tokio_postgres::Error> {
        self.iter().await?.try_collect().await
    }
    pub async fn opt(self) -> Result<Option<T>, tokio_postgres::Error> {
        let opt_row =
            crate::client::async_::opt(self.client, self.query, &self.params, self.cached).await?;
        Ok(opt_row
            .map(|row| {
                let extracted = (self.extractor)(&row)?;
                Ok((self.mapper)(extracted))
            })
            .transpose()?)
    }
    pub async fn iter(
        self,
    ) -> Result<
        impl futures::Stream<Item = Result<T, tokio_postgres::Error>> + 'c,
        tokio_postgres::Error,
    > {
        let stream = crate::client::async_::raw(
            self.client,
            self.query,
            crate::slice_iter(&self.params),
            self.cached,
        )
        .await?;
        let mapped = stream
            .map(move |res| {
                res.and_then(|row| {
                    let extracted = (self.extractor)(&row)?;
                    Ok((self.mapper)(extracted))
                })
            })
            .into_stream();
        Ok(mapped)
    }
}
pub struct ClaimDueSchedulesStmt(&'static str, Option<tokio_postgres::Statement>);
/// Returns up to `max_rows` enabled schedules that are due (next_run_at <= `now`, the
/// scheduler's clock),
/// most overdue first, and locks them until the end of the current transaction
/// (FOR UPDATE SKIP LOCKED): concurrent schedulers skip each other's schedules
/// instead of blocking, and each due schedule is handed to one scheduler at a time.
/// Enqueue and advance_schedule must run in that same transaction; if it rolls
/// back, the schedules are simply due again.
/// Served by an index on next_run_at (idx_messenger_schedules_next_run_at or
/// idx_messenger_schedules_enabled_next_run_at, at the planner's choice).
pub fn claim_due_schedules() -> ClaimDueSchedulesStmt {
    ClaimDueSchedulesStmt(
        "SELECT s.id, s.name, s.transport_name, s.queue_name, s.message_type, s.body, s.headers, s.priority, s.schedule_type, s.cron_expression, s.interval_seconds, s.run_at, s.timezone, s.next_run_at, s.last_run_at, s.missed_ticks, s.catch_up_limit FROM messenger_schedules s WHERE s.enabled AND s.next_run_at <= $1::timestamptz ORDER BY s.next_run_at, s.id LIMIT $2::bigint FOR UPDATE SKIP LOCKED",
        None,
    )
}
impl ClaimDueSchedulesStmt {
    pub async fn prepare<'a, C: GenericClient>(
        mut self,
        client: &'a C,
    ) -> Result<Self, tokio_postgres::Error> {
        self.1 = Some(client.prepare(self.0).await?);
        Ok(self)
    }
    pub fn bind<'c, 'a, 's, C: GenericClient>(
        &'s self,
        client: &'c C,
        now: &'a chrono::DateTime<chrono::FixedOffset>,
        max_rows: &'a i64,
    ) -> ClaimDueSchedulesQuery<'c, 'a, 's, C, ClaimDueSchedules, 2> {
        ClaimDueSchedulesQuery {
            client,
            params: [now, max_rows],
            query: self.0,
            cached: self.1.as_ref(),
            extractor: |
                row: &tokio_postgres::Row,
            | -> Result<ClaimDueSchedulesBorrowed, tokio_postgres::Error> {
                Ok(ClaimDueSchedulesBorrowed {
                    id: row.try_get(0)?,
                    name: row.try_get(1)?,
                    transport_name: row.try_get(2)?,
                    queue_name: row.try_get(3)?,
                    message_type: row.try_get(4)?,
                    body: row.try_get(5)?,
                    headers: row.try_get(6)?,
                    priority: row.try_get(7)?,
                    schedule_type: row.try_get(8)?,
                    cron_expression: row.try_get(9)?,
                    interval_seconds: row.try_get(10)?,
                    run_at: row.try_get(11)?,
                    timezone: row.try_get(12)?,
                    next_run_at: row.try_get(13)?,
                    last_run_at: row.try_get(14)?,
                    missed_ticks: row.try_get(15)?,
                    catch_up_limit: row.try_get(16)?,
                })
            },
            mapper: |it| ClaimDueSchedules::from(it),
        }
    }
}
impl<'c, 'a, 's, C: GenericClient>
    crate::client::async_::Params<
        'c,
        'a,
        's,
        ClaimDueSchedulesParams,
        ClaimDueSchedulesQuery<'c, 'a, 's, C, ClaimDueSchedules, 2>,
        C,
    > for ClaimDueSchedulesStmt
{
    fn params(
        &'s self,
        client: &'c C,
        params: &'a ClaimDueSchedulesParams,
    ) -> ClaimDueSchedulesQuery<'c, 'a, 's, C, ClaimDueSchedules, 2> {
        self.bind(client, &params.now, &params.max_rows)
    }
}
pub struct AdvanceScheduleStmt(&'static str, Option<tokio_postgres::Statement>);
/// Records a scheduler's pass over schedule `id` and moves it to its next run:
/// last_run_at = `last_run_at` when the pass enqueued a message (the latest tick it
/// fired; NULL keeps the previous value), next_run_at = `next_run_at` (NULL when it
/// will not run again, e.g. a one-time schedule that just ran), enabled = `enabled`,
/// and last_error = `last_error`: why the pass refused to fire (last_error_at = `now`),
/// or NULL after a fire that enqueued its message (both cleared).
///
/// Compare-and-set: it only applies while the schedule's next_run_at still equals
/// `expected_next_run_at` (the value read by claim_due_schedules), and returns the id
/// when applied, no row otherwise. When several schedulers race on the same tick
/// (even without the lock of claim_due_schedules), exactly one advances it: under
/// READ COMMITTED the losers wait for the winner's row lock, re-check the WHERE
/// clause against the winner's committed row, and update nothing. A scheduler that
/// gets no row must roll back its transaction, which also discards the messages it
/// enqueued for that pass (the `'schedule:<id>:<tick>'` idempotency key makes a
/// duplicate enqueue harmless anyway).
pub fn advance_schedule() -> AdvanceScheduleStmt {
    AdvanceScheduleStmt(
        "UPDATE messenger_schedules SET last_run_at = coalesce($1::timestamptz, last_run_at), next_run_at = $2::timestamptz, enabled = $3::boolean, last_error = $4::text, last_error_at = CASE WHEN $4::text IS NULL THEN NULL ELSE $5::timestamptz END WHERE id = $6::bigint AND next_run_at = $7::timestamptz RETURNING id",
        None,
    )
}
impl AdvanceScheduleStmt {
    pub async fn prepare<'a, C: GenericClient>(
        mut self,
        client: &'a C,
    ) -> Result<Self, tokio_postgres::Error> {
        self.1 = Some(client.prepare(self.0).await?);
        Ok(self)
    }
    pub fn bind<'c, 'a, 's, C: GenericClient, T1: crate::StringSql>(
        &'s self,
        client: &'c C,
        last_run_at: &'a Option<chrono::DateTime<chrono::FixedOffset>>,
        next_run_at: &'a Option<chrono::DateTime<chrono::FixedOffset>>,
        enabled: &'a bool,
        last_error: &'a Option<T1>,
        now: &'a chrono::DateTime<chrono::FixedOffset>,
        id: &'a i64,
        expected_next_run_at: &'a chrono::DateTime<chrono::FixedOffset>,
    ) -> I64Query<'c, 'a, 's, C, i64, 7> {
        I64Query {
            client,
            params: [
                last_run_at,
                next_run_at,
                enabled,
                last_error,
                now,
                id,
                expected_next_run_at,
            ],
            query: self.0,
            cached: self.1.as_ref(),
            extractor: |row| Ok(row.try_get(0)?),
            mapper: |it| it,
        }
    }
}
impl<'c, 'a, 's, C: GenericClient, T1: crate::StringSql>
    crate::client::async_::Params<
        'c,
        'a,
        's,
        AdvanceScheduleParams<T1>,
        I64Query<'c, 'a, 's, C, i64, 7>,
        C,
    > for AdvanceScheduleStmt
{
    fn params(
        &'s self,
        client: &'c C,
        params: &'a AdvanceScheduleParams<T1>,
    ) -> I64Query<'c, 'a, 's, C, i64, 7> {
        self.bind(
            client,
            &params.last_run_at,
            &params.next_run_at,
            &params.enabled,
            &params.last_error,
            &params.now,
            &params.id,
            &params.expected_next_run_at,
        )
    }
}
pub struct InsertScheduleStmt(&'static str, Option<tokio_postgres::Statement>);
/// Creates a schedule and returns its id.
///
/// `schedule_type` is 'cron' (needs `cron_expression`, evaluated in `timezone`),
/// 'interval' (needs `interval_seconds` > 0) or 'once' (needs `run_at`); check
/// constraints reject an inconsistent definition. `next_run_at` is the first run
/// time, computed by the caller (for 'once' usually `run_at`); NULL means the
/// schedule never runs. The schedule's name is not unique.
pub fn insert_schedule() -> InsertScheduleStmt {
    InsertScheduleStmt(
        "INSERT INTO messenger_schedules ( name, transport_name, queue_name, message_type, body, headers, priority, schedule_type, cron_expression, interval_seconds, run_at, timezone, next_run_at, enabled ) VALUES ( $1::text, $2::text, $3::text, $4::text, $5::jsonb, $6::jsonb, $7::smallint, $8::text, $9::text, $10::int, $11::timestamptz, $12::text, $13::timestamptz, $14::boolean ) RETURNING id",
        None,
    )
}
impl InsertScheduleStmt {
    pub async fn prepare<'a, C: GenericClient>(
        mut self,
        client: &'a C,
    ) -> Result<Self, tokio_postgres::Error> {
        self.1 = Some(client.prepare(self.0).await?);
        Ok(self)
    }
    pub fn bind<
        'c,
        'a,
        's,
        C: GenericClient,
        T1: crate::StringSql,
        T2: crate::StringSql,
        T3: crate::StringSql,
        T4: crate::StringSql,
        T5: crate::JsonSql,
        T6: crate::JsonSql,
        T7: crate::StringSql,
        T8: crate::StringSql,
        T9: crate::StringSql,
    >(
        &'s self,
        client: &'c C,
        name: &'a T1,
        transport_name: &'a T2,
        queue_name: &'a T3,
        message_type: &'a T4,
        body: &'a T5,
        headers: &'a T6,
        priority: &'a i16,
        schedule_type: &'a T7,
        cron_expression: &'a Option<T8>,
        interval_seconds: &'a Option<i32>,
        run_at: &'a Option<chrono::DateTime<chrono::FixedOffset>>,
        timezone: &'a T9,
        next_run_at: &'a Option<chrono::DateTime<chrono::FixedOffset>>,
        enabled: &'a bool,
    ) -> I64Query<'c, 'a, 's, C, i64, 14> {
        I64Query {
            client,
            params: [
                name,
                transport_name,
                queue_name,
                message_type,
                body,
                headers,
                priority,
                schedule_type,
                cron_expression,
                interval_seconds,
                run_at,
                timezone,
                next_run_at,
                enabled,
            ],
            query: self.0,
            cached: self.1.as_ref(),
            extractor: |row| Ok(row.try_get(0)?),
            mapper: |it| it,
        }
    }
}
impl<
    'c,
    'a,
    's,
    C: GenericClient,
    T1: crate::StringSql,
    T2: crate::StringSql,
    T3: crate::StringSql,
    T4: crate::StringSql,
    T5: crate::JsonSql,
    T6: crate::JsonSql,
    T7: crate::StringSql,
    T8: crate::StringSql,
    T9: crate::StringSql,
>
    crate::client::async_::Params<
        'c,
        'a,
        's,
        InsertScheduleParams<T1, T2, T3, T4, T5, T6, T7, T8, T9>,
        I64Query<'c, 'a, 's, C, i64, 14>,
        C,
    > for InsertScheduleStmt
{
    fn params(
        &'s self,
        client: &'c C,
        params: &'a InsertScheduleParams<T1, T2, T3, T4, T5, T6, T7, T8, T9>,
    ) -> I64Query<'c, 'a, 's, C, i64, 14> {
        self.bind(
            client,
            &params.name,
            &params.transport_name,
            &params.queue_name,
            &params.message_type,
            &params.body,
            &params.headers,
            &params.priority,
            &params.schedule_type,
            &params.cron_expression,
            &params.interval_seconds,
            &params.run_at,
            &params.timezone,
            &params.next_run_at,
            &params.enabled,
        )
    }
}
