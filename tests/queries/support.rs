//! What the query tests share: a migrated database per test, server-side timestamps, jsonb
//! parameters, and the steps most tests start with (dispatch, claim, ack, dead-letter).

use std::collections::BTreeMap;
use std::time::Duration;

use messenger_test_support::TestDb;
use serde::Serialize;
use symphony_messenger::queries::client::{GenericClient, Params};
use symphony_messenger::queries::queries::{consume, dispatch, schedules, transports};
use tokio_postgres::types::{FromSqlOwned, Json, ToSql};
use tokio_postgres::{Client, Error};

pub(crate) const TRANSPORT: &str = "orders";
pub(crate) const QUEUE: &str = "default";
pub(crate) const MESSAGE_TYPE: &str = "app.Test";
pub(crate) const LEASE_SECS: f64 = 30.0;

/// A fresh database with the schema applied, and a connection to it.
pub(crate) async fn migrated() -> (TestDb, Client) {
    let db = TestDb::new().await;
    let mut client = db.client().await;
    symphony_messenger::migrate::apply(&mut client)
        .await
        .expect("migrations apply");
    (db, client)
}

/// The first column of the single row returned by `sql`.
pub(crate) async fn value<T: FromSqlOwned>(
    client: &Client,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> T {
    client
        .query_one(sql, params)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .get(0)
}

/// Awaits `future`, failing the test instead of hanging when it waits for a row lock held by
/// another connection of the same test (which would never be released).
pub(crate) async fn without_waiting<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), future)
        .await
        .expect("blocked on a lock held by the other transaction")
}

/// A `timestamptz` computed by the server from the SQL expression `expr` (e.g. `now()`,
/// `now() + interval '1 hour'`, `'2020-01-01 00:00+00'`). The Rust type (chrono's
/// `DateTime<FixedOffset>`) is inferred from where the value is used.
pub(crate) async fn db_time<T: FromSqlOwned>(client: &Client, expr: &str) -> T {
    value(client, &format!("SELECT ({expr})::timestamptz"), &[]).await
}

/// A jsonb parameter: a JSON object with the given fields.
pub(crate) fn json<V: Serialize, const N: usize>(
    fields: [(&'static str, V); N],
) -> Json<BTreeMap<&'static str, V>> {
    Json(BTreeMap::from(fields))
}

/// A jsonb parameter: `{}`.
pub(crate) fn empty_object() -> Json<BTreeMap<&'static str, i64>> {
    json([])
}

/// A message to dispatch with `dispatch_message`; the body is `{"n": n}`, which tells messages
/// apart. `Message::new(n)` has the defaults callers own (queue 'default', priority 5,
/// max_retries 3, available now, no idempotency key).
#[derive(Clone, Copy)]
pub(crate) struct Message {
    pub(crate) transport: &'static str,
    pub(crate) queue: &'static str,
    pub(crate) n: i64,
    pub(crate) priority: i16,
    /// SQL expression for available_at, evaluated by the server.
    pub(crate) available_at: &'static str,
    pub(crate) max_retries: i32,
    pub(crate) idempotency_key: Option<&'static str>,
}

impl Message {
    pub(crate) fn new(n: i64) -> Message {
        Message {
            transport: TRANSPORT,
            queue: QUEUE,
            n,
            priority: 5,
            available_at: "now()",
            max_retries: 3,
            idempotency_key: None,
        }
    }

    pub(crate) async fn try_dispatch(self, client: &Client) -> Result<i64, Error> {
        let available_at = db_time(client, self.available_at).await;
        dispatch::dispatch_message()
            .params(
                client,
                &dispatch::DispatchMessageParams {
                    transport_name: self.transport,
                    queue_name: self.queue,
                    body: json([("n", self.n)]),
                    headers: json([("message_type", MESSAGE_TYPE)]),
                    priority: self.priority,
                    available_at,
                    scheduled_at: None,
                    max_retries: self.max_retries,
                    idempotency_key: self.idempotency_key,
                    metadata: empty_object(),
                },
            )
            .one()
            .await
    }

    /// Enqueues the message and returns its id.
    pub(crate) async fn dispatch(self, client: &Client) -> i64 {
        self.try_dispatch(client).await.expect("dispatch_message")
    }
}

/// `claim_batch` on TRANSPORT/QUEUE with a lease of `lease_secs`.
pub(crate) async fn claim_with_lease<C: GenericClient>(
    client: &C,
    worker: &str,
    batch_size: i64,
    lease_secs: f64,
) -> Vec<consume::ClaimBatch> {
    consume::claim_batch()
        .bind(
            client,
            &TRANSPORT,
            &QUEUE,
            &batch_size,
            &worker,
            &lease_secs,
        )
        .all()
        .await
        .expect("claim_batch")
}

/// `claim_batch` on TRANSPORT/QUEUE with the default lease.
pub(crate) async fn claim<C: GenericClient>(
    client: &C,
    worker: &str,
    batch_size: i64,
) -> Vec<consume::ClaimBatch> {
    claim_with_lease(client, worker, batch_size, LEASE_SECS).await
}

pub(crate) fn ids(rows: &[consume::ClaimBatch]) -> Vec<i64> {
    rows.iter().map(|m| m.id).collect()
}

/// Dispatches message `n` and claims it for `worker`; returns the claimed row.
pub(crate) async fn claimed(client: &Client, n: i64, worker: &str) -> consume::ClaimBatch {
    let id = Message::new(n).dispatch(client).await;
    let mut rows = claim(client, worker, 1).await;
    assert_eq!(ids(&rows), [id], "claims the message just dispatched");
    rows.remove(0)
}

pub(crate) async fn ack(client: &Client, id: i64, lease_token: i64) -> Option<i64> {
    consume::ack_message()
        .bind(client, &id, &lease_token)
        .opt()
        .await
        .expect("ack_message")
}

pub(crate) async fn dead_letter(
    client: &Client,
    id: i64,
    lease_token: i64,
    error: &str,
) -> Option<i64> {
    consume::dead_letter_message()
        .bind(
            client,
            &error,
            &id,
            &lease_token,
            &Some("app::Boom"),
            &Some("at handler.rs:1"),
        )
        .opt()
        .await
        .expect("dead_letter_message")
}

/// Makes the lease of message `id` expire now (as if its worker had stopped renewing it).
pub(crate) async fn expire(client: &Client, id: i64) {
    client
        .execute(
            "UPDATE messenger_messages SET lock_expires_at = now() - interval '1 second' WHERE id = $1",
            &[&id],
        )
        .await
        .unwrap();
}

pub(crate) async fn status(client: &Client, id: i64) -> String {
    value(
        client,
        "SELECT status::text FROM messenger_messages WHERE id = $1",
        &[&id],
    )
    .await
}

pub(crate) async fn count(client: &Client, sql: &str) -> i64 {
    value(client, sql, &[]).await
}

/// Forces message `id` into `status` with plain SQL (lease columns and processed_at consistent
/// with it), for tests that need messages in a given state without going through the queries.
pub(crate) async fn force_status(client: &Client, id: i64, status: &str) {
    let updated = client
        .execute(
            "UPDATE messenger_messages
                SET status = $2::text::messenger_message_status,
                    locked_by = CASE WHEN $2 = 'processing' THEN 'someone' END,
                    locked_at = CASE WHEN $2 = 'processing' THEN now() END,
                    lock_expires_at = CASE WHEN $2 = 'processing' THEN now() + interval '1 minute' END,
                    processed_at = CASE WHEN $2 IN ('completed', 'failed') THEN now() END
              WHERE id = $1",
            &[&id, &status],
        )
        .await
        .expect("force status");
    assert_eq!(updated, 1);
}

/// An 'interval' schedule (every 60 s) named `name` on TRANSPORT; `next_run_at` is a SQL
/// expression or None.
pub(crate) async fn interval_schedule(
    client: &Client,
    name: &str,
    next_run_at: Option<&str>,
    enabled: bool,
) -> i64 {
    let next_run_at = match next_run_at {
        Some(expr) => Some(db_time(client, expr).await),
        None => None,
    };
    schedules::insert_schedule()
        .params(
            client,
            &schedules::InsertScheduleParams {
                name,
                transport_name: TRANSPORT,
                queue_name: QUEUE,
                message_type: MESSAGE_TYPE,
                body: empty_object(),
                headers: empty_object(),
                priority: 5,
                schedule_type: "interval",
                cron_expression: None::<&str>,
                interval_seconds: Some(60),
                run_at: None,
                timezone: "UTC",
                next_run_at,
                enabled,
            },
        )
        .one()
        .await
        .expect("insert_schedule")
}

pub(crate) async fn claim_due<C: GenericClient>(
    client: &C,
    max_rows: i64,
) -> Vec<schedules::ClaimDueSchedules> {
    // The scheduler's clock (the same host's as the database's).
    let now = symphony_messenger::chrono::Utc::now().fixed_offset();
    schedules::claim_due_schedules()
        .bind(client, &now, &max_rows)
        .all()
        .await
        .expect("claim_due_schedules")
}

pub(crate) async fn upsert_transport<V: Serialize + std::fmt::Debug + Sync + Send>(
    client: &Client,
    name: &str,
    kind: &str,
    config: Json<V>,
    enabled: bool,
) -> Result<i64, Error> {
    transports::upsert_transport()
        .bind(client, &name, &kind, &config, &enabled)
        .one()
        .await
}
