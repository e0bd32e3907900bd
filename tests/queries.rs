//! Every query of `queries/*.sql`, through the generated crate `messenger-queries`, against a real
//! PostgreSQL with the V1 schema applied. Each test gets its own database.
//!
//! This crate has no `chrono` or `serde_json` dependency, so it cannot name the types the
//! generated API uses for `timestamptz` and `jsonb`:
//! * timestamps are produced by the server ([`db_time`]) and their Rust type is inferred from the
//!   generated signature they are passed to; comparisons against stored values are done in SQL;
//! * jsonb parameters are `Json<BTreeMap<..>>` values (the generated `JsonSql` accepts any
//!   `Json<T: Serialize>`), and returned `serde_json::Value`s are checked by indexing
//!   (`body["n"] == 1`) or compared with each other.

use std::collections::BTreeMap;
use std::time::Duration;

use messenger_test_support::TestDb;
use serde::Serialize;
use symphony_messenger::queries::client::{GenericClient, Params};
use symphony_messenger::queries::queries::{
    consume, dead_letters, dispatch, maintenance, schedules, transports,
};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{FromSqlOwned, Json, ToSql};
use tokio_postgres::{Client, Error};

const TRANSPORT: &str = "orders";
const QUEUE: &str = "default";
const MESSAGE_TYPE: &str = "app.Test";
const LEASE_SECS: f64 = 30.0;

// -------------------------------------------------------------------------------------------------
// Helpers
// -------------------------------------------------------------------------------------------------

/// A fresh database with the schema applied, and a connection to it.
async fn migrated() -> (TestDb, Client) {
    let db = TestDb::new().await;
    let mut client = db.client().await;
    symphony_messenger::migrate::apply(&mut client)
        .await
        .expect("migrations apply");
    (db, client)
}

/// The first column of the single row returned by `sql`.
async fn value<T: FromSqlOwned>(client: &Client, sql: &str, params: &[&(dyn ToSql + Sync)]) -> T {
    client
        .query_one(sql, params)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .get(0)
}

/// Awaits `future`, failing the test instead of hanging when it waits for a row lock held by
/// another connection of the same test (which would never be released).
async fn without_waiting<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), future)
        .await
        .expect("blocked on a lock held by the other transaction")
}

/// A `timestamptz` computed by the server from the SQL expression `expr` (e.g. `now()`,
/// `now() + interval '1 hour'`, `'2020-01-01 00:00+00'`). The Rust type (chrono's
/// `DateTime<FixedOffset>`) is inferred from where the value is used.
async fn db_time<T: FromSqlOwned>(client: &Client, expr: &str) -> T {
    value(client, &format!("SELECT ({expr})::timestamptz"), &[]).await
}

/// A jsonb parameter: a JSON object with the given fields.
fn json<V: Serialize, const N: usize>(
    fields: [(&'static str, V); N],
) -> Json<BTreeMap<&'static str, V>> {
    Json(BTreeMap::from(fields))
}

/// A jsonb parameter: `{}`.
fn empty_object() -> Json<BTreeMap<&'static str, i64>> {
    json([])
}

/// A message to dispatch with `dispatch_message`; the body is `{"n": n}`, which tells messages
/// apart. `Message::new(n)` has the defaults callers own (queue 'default', priority 5,
/// max_retries 3, available now, no idempotency key).
#[derive(Clone, Copy)]
struct Message {
    transport: &'static str,
    queue: &'static str,
    n: i64,
    priority: i16,
    /// SQL expression for available_at, evaluated by the server.
    available_at: &'static str,
    max_retries: i32,
    idempotency_key: Option<&'static str>,
}

impl Message {
    fn new(n: i64) -> Message {
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

    async fn try_dispatch(self, client: &Client) -> Result<i64, Error> {
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
    async fn dispatch(self, client: &Client) -> i64 {
        self.try_dispatch(client).await.expect("dispatch_message")
    }
}

/// `claim_batch` on TRANSPORT/QUEUE with a lease of `lease_secs`.
async fn claim_with_lease<C: GenericClient>(
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
async fn claim<C: GenericClient>(
    client: &C,
    worker: &str,
    batch_size: i64,
) -> Vec<consume::ClaimBatch> {
    claim_with_lease(client, worker, batch_size, LEASE_SECS).await
}

fn ids(rows: &[consume::ClaimBatch]) -> Vec<i64> {
    rows.iter().map(|m| m.id).collect()
}

/// Dispatches message `n` and claims it for `worker`; returns the claimed row.
async fn claimed(client: &Client, n: i64, worker: &str) -> consume::ClaimBatch {
    let id = Message::new(n).dispatch(client).await;
    let mut rows = claim(client, worker, 1).await;
    assert_eq!(ids(&rows), [id], "claims the message just dispatched");
    rows.remove(0)
}

async fn ack(client: &Client, id: i64, lease_token: i64) -> Option<i64> {
    consume::ack_message()
        .bind(client, &id, &lease_token)
        .opt()
        .await
        .expect("ack_message")
}

async fn dead_letter(client: &Client, id: i64, lease_token: i64, error: &str) -> Option<i64> {
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
async fn expire(client: &Client, id: i64) {
    client
        .execute(
            "UPDATE messenger_messages SET lock_expires_at = now() - interval '1 second' WHERE id = $1",
            &[&id],
        )
        .await
        .unwrap();
}

async fn status(client: &Client, id: i64) -> String {
    value(
        client,
        "SELECT status::text FROM messenger_messages WHERE id = $1",
        &[&id],
    )
    .await
}

async fn count(client: &Client, sql: &str) -> i64 {
    value(client, sql, &[]).await
}

/// Forces message `id` into `status` with plain SQL (lease columns and processed_at consistent
/// with it), for tests that need messages in a given state without going through the queries.
async fn force_status(client: &Client, id: i64, status: &str) {
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
async fn interval_schedule(
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

async fn claim_due<C: GenericClient>(
    client: &C,
    max_rows: i64,
) -> Vec<schedules::ClaimDueSchedules> {
    schedules::claim_due_schedules()
        .bind(client, &max_rows)
        .all()
        .await
        .expect("claim_due_schedules")
}

async fn upsert_transport<V: Serialize + std::fmt::Debug + Sync + Send>(
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

// -------------------------------------------------------------------------------------------------
// dispatch
// -------------------------------------------------------------------------------------------------

#[tokio::test]
async fn dispatch_message_stores_every_field() {
    let (_db, client) = migrated().await;
    let available_at = db_time(&client, "now() - interval '1 second'").await;
    let scheduled_at = db_time(&client, "'2030-01-02 03:04:05.123456+00'").await;

    let id = dispatch::dispatch_message()
        .bind(
            &client,
            &TRANSPORT,
            &"emails",
            &json([("to", "a@example.com")]),
            &json([("message_type", "app.SendEmail")]),
            &7,
            &available_at,
            &Some(scheduled_at),
            &5,
            &Some("key-1"),
            &json([("trace_id", "abc")]),
        )
        .one()
        .await
        .unwrap();

    // Read back with plain SQL.
    let row = client
        .query_one(
            "SELECT transport_name, queue_name, body->>'to' AS to, headers->>'message_type' AS mt,
                    priority, status::text AS status, available_at = $2 AS available_ok,
                    scheduled_at = $3 AS scheduled_ok, retry_count, max_retries, idempotency_key,
                    metadata->>'trace_id' AS trace_id, last_error, locked_by, locked_at,
                    lock_expires_at, processed_at
               FROM messenger_messages WHERE id = $1",
            &[&id, &available_at, &scheduled_at],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>("transport_name"), TRANSPORT);
    assert_eq!(row.get::<_, String>("queue_name"), "emails");
    assert_eq!(row.get::<_, String>("to"), "a@example.com");
    assert_eq!(row.get::<_, String>("mt"), "app.SendEmail");
    assert_eq!(row.get::<_, i16>("priority"), 7);
    assert_eq!(row.get::<_, String>("status"), "pending");
    assert!(row.get::<_, bool>("available_ok"));
    assert!(row.get::<_, bool>("scheduled_ok"));
    assert_eq!(row.get::<_, i32>("retry_count"), 0);
    assert_eq!(row.get::<_, i32>("max_retries"), 5);
    assert_eq!(
        row.get::<_, Option<String>>("idempotency_key").as_deref(),
        Some("key-1")
    );
    assert_eq!(row.get::<_, String>("trace_id"), "abc");
    assert_eq!(row.get::<_, Option<String>>("last_error"), None);
    assert_eq!(row.get::<_, Option<String>>("locked_by"), None);
    for column in ["locked_at", "lock_expires_at", "processed_at"] {
        let is_null: bool = value(
            &client,
            &format!("SELECT {column} IS NULL FROM messenger_messages WHERE id = $1"),
            &[&id],
        )
        .await;
        assert!(is_null, "{column} is NULL");
    }

    // And through the typed API: claim_batch returns the same values.
    let rows = consume::claim_batch()
        .bind(&client, &TRANSPORT, &"emails", &10, &"w", &LEASE_SECS)
        .all()
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let m = &rows[0];
    assert_eq!(m.id, id);
    assert_eq!(m.transport_name, TRANSPORT);
    assert_eq!(m.queue_name, "emails");
    assert_eq!(m.body["to"], "a@example.com");
    assert_eq!(m.headers["message_type"], "app.SendEmail");
    assert_eq!(m.metadata["trace_id"], "abc");
    assert_eq!(m.priority, 7);
    assert_eq!(m.retry_count, 0);
    assert_eq!(m.max_retries, 5);
    assert_eq!(m.idempotency_key.as_deref(), Some("key-1"));
    assert_eq!(m.available_at, available_at);
    assert_eq!(m.scheduled_at, Some(scheduled_at));
}

#[tokio::test]
async fn dispatch_message_rejects_a_duplicate_idempotency_key() {
    let (_db, client) = migrated().await;
    let keyed = Message {
        idempotency_key: Some("once"),
        ..Message::new(1)
    };
    let first = keyed.dispatch(&client).await;

    let err = Message { n: 2, ..keyed }
        .try_dispatch(&client)
        .await
        .expect_err("same transport and key");
    assert_eq!(err.code(), Some(&SqlState::UNIQUE_VIOLATION));

    // The key is unique per transport only; messages without a key never conflict.
    let other_transport = Message {
        transport: "billing",
        ..keyed
    }
    .dispatch(&client)
    .await;
    let unkeyed_a = Message::new(3).dispatch(&client).await;
    let unkeyed_b = Message::new(4).dispatch(&client).await;
    assert!(first < other_transport && other_transport < unkeyed_a && unkeyed_a < unkeyed_b);
    assert_eq!(
        count(&client, "SELECT count(*) FROM messenger_messages").await,
        4
    );
}

#[tokio::test]
async fn dispatch_batch_returns_ids_in_input_order() {
    let (_db, client) = migrated().await;
    // One message already exists, so the batch's ids do not start at 1.
    let existing = Message::new(0).dispatch(&client).await;
    let now = db_time(&client, "now()").await;
    let later = db_time(&client, "now() + interval '1 hour'").await;

    let ids = dispatch::dispatch_batch()
        .bind(
            &client,
            &vec![TRANSPORT, TRANSPORT, "billing"],
            &vec![QUEUE, "emails", QUEUE],
            &vec![json([("n", 30)]), json([("n", 10)]), json([("n", 20)])],
            &vec![empty_object(), empty_object(), empty_object()],
            &vec![1i16, 10, 5],
            &vec![now, later, now],
            &vec![None, Some(later), None],
            &vec![0, 3, 7],
            &vec![Some("k-30"), None, Some("k-20")],
            &vec![empty_object(), empty_object(), empty_object()],
        )
        .all()
        .await
        .unwrap();

    assert_eq!(ids.len(), 3);
    assert!(
        existing < ids[0] && ids[0] < ids[1] && ids[1] < ids[2],
        "{ids:?}"
    );

    // Id i was given to input element i, with every field of element i.
    let stored: Vec<(i64, String)> = client
        .query(
            "SELECT id, format('n=%s %s/%s priority=%s max_retries=%s key=%s scheduled=%s %s',
                               body->>'n', transport_name, queue_name, priority, max_retries,
                               coalesce(idempotency_key, '-'), scheduled_at IS NOT NULL, status)
               FROM messenger_messages WHERE id = ANY($1) ORDER BY id",
            &[&ids],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let expected = [
        "n=30 orders/default priority=1 max_retries=0 key=k-30 scheduled=f pending",
        "n=10 orders/emails priority=10 max_retries=3 key=- scheduled=t pending",
        "n=20 billing/default priority=5 max_retries=7 key=k-20 scheduled=f pending",
    ];
    assert_eq!(
        stored,
        ids.iter()
            .zip(expected)
            .map(|(&id, text)| (id, text.to_owned()))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        count(&client, "SELECT count(*) FROM messenger_messages").await,
        4
    );
}

#[tokio::test]
async fn dispatch_batch_with_ragged_arrays_inserts_nothing() {
    let (_db, client) = migrated().await;
    let now = db_time(&client, "now()").await;

    // Two messages, but only one priority: UNNEST would pad it with NULL.
    let ids = dispatch::dispatch_batch()
        .bind(
            &client,
            &vec![TRANSPORT, TRANSPORT],
            &vec![QUEUE, QUEUE],
            &vec![json([("n", 1)]), json([("n", 2)])],
            &vec![empty_object(), empty_object()],
            &vec![5i16],
            &vec![now, now],
            &vec![None, None],
            &vec![3, 3],
            &vec![None::<&str>, None],
            &vec![empty_object(), empty_object()],
        )
        .all()
        .await
        .unwrap();
    assert_eq!(ids, Vec::<i64>::new());

    // One nullable array (idempotency_keys) too long.
    let ids = dispatch::dispatch_batch()
        .bind(
            &client,
            &vec![TRANSPORT],
            &vec![QUEUE],
            &vec![json([("n", 1)])],
            &vec![empty_object()],
            &vec![5i16],
            &vec![now],
            &vec![None],
            &vec![3],
            &vec![None::<&str>, None],
            &vec![empty_object()],
        )
        .all()
        .await
        .unwrap();
    assert_eq!(ids, Vec::<i64>::new());
    assert_eq!(
        count(&client, "SELECT count(*) FROM messenger_messages").await,
        0
    );
}

#[tokio::test]
async fn dispatch_batch_is_all_or_nothing() {
    let (_db, client) = migrated().await;
    let now = db_time(&client, "now()").await;

    // The third message has an invalid priority: the first two are not inserted either.
    let err = dispatch::dispatch_batch()
        .bind(
            &client,
            &vec![TRANSPORT; 3],
            &vec![QUEUE; 3],
            &vec![json([("n", 1)]), json([("n", 2)]), json([("n", 3)])],
            &vec![empty_object(), empty_object(), empty_object()],
            &vec![5i16, 5, 11],
            &vec![now; 3],
            &vec![None; 3],
            &vec![3; 3],
            &vec![None::<&str>; 3],
            &vec![empty_object(), empty_object(), empty_object()],
        )
        .all()
        .await
        .expect_err("priority 11 violates the check constraint");
    assert_eq!(err.code(), Some(&SqlState::CHECK_VIOLATION));

    // Two messages of one batch with the same idempotency key.
    let err = dispatch::dispatch_batch()
        .bind(
            &client,
            &vec![TRANSPORT; 2],
            &vec![QUEUE; 2],
            &vec![json([("n", 1)]), json([("n", 2)])],
            &vec![empty_object(), empty_object()],
            &vec![5i16; 2],
            &vec![now; 2],
            &vec![None; 2],
            &vec![3; 2],
            &vec![Some("dup"); 2],
            &vec![empty_object(), empty_object()],
        )
        .all()
        .await
        .expect_err("duplicate key within the batch");
    assert_eq!(err.code(), Some(&SqlState::UNIQUE_VIOLATION));
    assert_eq!(
        count(&client, "SELECT count(*) FROM messenger_messages").await,
        0
    );
}

#[tokio::test]
async fn dispatch_idempotent_inserts_once_and_returns_the_existing_id() {
    let (_db, client) = migrated().await;
    let now = db_time(&client, "now()").await;
    let send = |key: &'static str, transport: &'static str, n: i64| {
        let client = &client;
        async move {
            dispatch::dispatch_idempotent()
                .params(
                    client,
                    &dispatch::DispatchIdempotentParams {
                        transport_name: transport,
                        queue_name: QUEUE,
                        body: json([("n", n)]),
                        headers: empty_object(),
                        priority: 5,
                        available_at: now,
                        scheduled_at: None,
                        max_retries: 3,
                        idempotency_key: key,
                        metadata: empty_object(),
                    },
                )
                .one()
                .await
                .expect("dispatch_idempotent")
        }
    };

    let first = send("order-42", TRANSPORT, 1).await;
    assert!(first.inserted);

    // While the first copy is being processed, a duplicate changes nothing about it.
    let claimed = claim(&client, "w1", 10).await;
    assert_eq!(ids(&claimed), [first.id]);
    let again = send("order-42", TRANSPORT, 2).await;
    assert_eq!(again.id, first.id);
    assert!(!again.inserted);
    let row = client
        .query_one(
            "SELECT (body->>'n')::int, status::text, locked_by FROM messenger_messages WHERE id = $1",
            &[&first.id],
        )
        .await
        .unwrap();
    assert_eq!(
        row.get::<_, i32>(0),
        1,
        "the duplicate's payload is discarded"
    );
    assert_eq!(row.get::<_, String>(1), "processing");
    assert_eq!(row.get::<_, Option<String>>(2).as_deref(), Some("w1"));
    assert_eq!(
        count(&client, "SELECT count(*) FROM messenger_messages").await,
        1
    );

    // Another key, or the same key on another transport, is a new message.
    let other_key = send("order-43", TRANSPORT, 3).await;
    let other_transport = send("order-42", "billing", 4).await;
    assert!(other_key.inserted && other_transport.inserted);
    assert!(first.id < other_key.id && other_key.id < other_transport.id);
    assert_eq!(
        count(&client, "SELECT count(*) FROM messenger_messages").await,
        3
    );
}

// -------------------------------------------------------------------------------------------------
// consume
// -------------------------------------------------------------------------------------------------

#[tokio::test]
async fn claim_batch_claims_in_priority_then_available_at_then_id_order() {
    let (_db, client) = migrated().await;
    // Fixed past availability times, so that ties on available_at are exact.
    let m = |n, priority, available_at| Message {
        priority,
        available_at,
        ..Message::new(n)
    };
    let (t0, t1, t2) = (
        "'2020-01-01 00:00+00'",
        "'2020-01-01 00:01+00'",
        "'2020-01-01 00:02+00'",
    );
    let a = m(1, 5, t1).dispatch(&client).await;
    let b = m(2, 9, t2).dispatch(&client).await;
    let c = m(3, 5, t0).dispatch(&client).await;
    let d = m(4, 5, t1).dispatch(&client).await; // same priority and available_at as a
    let e = m(5, 1, t0).dispatch(&client).await;

    let first = claim(&client, "worker-a", 3).await;
    assert_eq!(ids(&first), [b, c, a], "batch_size 3, in dequeue order");
    let second = claim(&client, "worker-b", 10).await;
    assert_eq!(ids(&second), [d, e], "the remaining rows, none twice");
    assert!(claim(&client, "worker-c", 10).await.is_empty());

    let body_ns: Vec<_> = first.iter().map(|m| m.body["n"].clone()).collect();
    assert_eq!(body_ns, [2, 3, 1]);
    assert_eq!(
        first.iter().map(|m| m.priority).collect::<Vec<_>>(),
        [9, 5, 5]
    );

    let locked_by: Vec<(i64, Option<String>)> = client
        .query(
            "SELECT id, locked_by FROM messenger_messages ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let w = |s: &str| Some(s.to_owned());
    assert_eq!(
        locked_by,
        [
            (a, w("worker-a")),
            (b, w("worker-a")),
            (c, w("worker-a")),
            (d, w("worker-b")),
            (e, w("worker-b")),
        ]
    );
}

#[tokio::test]
async fn claim_batch_only_claims_available_pending_messages_of_its_queue() {
    let (_db, client) = migrated().await;
    let claimable = Message::new(1).dispatch(&client).await;
    let _future = Message {
        priority: 10,
        available_at: "now() + interval '1 hour'",
        ..Message::new(2)
    }
    .dispatch(&client)
    .await;
    let _other_queue = Message {
        queue: "emails",
        priority: 10,
        ..Message::new(3)
    }
    .dispatch(&client)
    .await;
    let _other_transport = Message {
        transport: "billing",
        priority: 10,
        ..Message::new(4)
    }
    .dispatch(&client)
    .await;
    for (n, state) in [(5, "processing"), (6, "completed"), (7, "failed")] {
        let id = Message {
            priority: 10,
            ..Message::new(n)
        }
        .dispatch(&client)
        .await;
        force_status(&client, id, state).await;
    }

    let rows = claim(&client, "worker-a", 100).await;
    assert_eq!(ids(&rows), [claimable]);
    assert_eq!(
        count(
            &client,
            "SELECT count(*) FROM messenger_messages WHERE locked_by = 'worker-a'"
        )
        .await,
        1
    );

    // batch_size 0 claims nothing.
    Message::new(8).dispatch(&client).await;
    assert!(claim(&client, "worker-a", 0).await.is_empty());
    assert_eq!(
        count(
            &client,
            "SELECT count(*) FROM messenger_messages WHERE status = 'pending'"
        )
        .await,
        4
    );
}

#[tokio::test]
async fn claim_batch_leases_each_row_to_the_worker() {
    let (_db, client) = migrated().await;
    let id = Message {
        max_retries: 2,
        idempotency_key: Some("k"),
        ..Message::new(1)
    }
    .dispatch(&client)
    .await;

    let rows = claim_with_lease(&client, "worker-a", 10, 45.5).await;
    assert_eq!(ids(&rows), [id]);
    let m = &rows[0];
    assert_eq!((m.retry_count, m.max_retries), (0, 2));
    assert_eq!(m.idempotency_key.as_deref(), Some("k"));
    assert_eq!(m.scheduled_at, None);
    assert_eq!((m.lock_expires_at - m.locked_at).num_milliseconds(), 45_500);
    assert!(m.lease_token > 0);

    let row = client
        .query_one(
            "SELECT status::text, locked_by, locked_at = $2, lock_expires_at = $3,
                    locked_at >= created_at AND locked_at <= now(), lease_token = $4
               FROM messenger_messages WHERE id = $1",
            &[&id, &m.locked_at, &m.lock_expires_at, &m.lease_token],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "processing");
    assert_eq!(row.get::<_, Option<String>>(1).as_deref(), Some("worker-a"));
    assert!(
        row.get::<_, bool>(2),
        "returned locked_at is the stored one"
    );
    assert!(
        row.get::<_, bool>(3),
        "returned lock_expires_at is the stored one"
    );
    assert!(row.get::<_, bool>(4), "locked_at is the claim time");
    assert!(
        row.get::<_, bool>(5),
        "returned lease_token is the stored one"
    );
}

#[tokio::test]
async fn every_claimed_message_draws_a_lease_token_of_its_own() {
    let (_db, client) = migrated().await;
    for n in 1..=5 {
        Message::new(n).dispatch(&client).await;
    }
    let first = claim(&client, "worker-a", 3).await;
    let second = claim(&client, "worker-a", 3).await;
    assert_eq!((first.len(), second.len()), (3, 2));
    let tokens: std::collections::BTreeSet<i64> =
        first.iter().chain(&second).map(|m| m.lease_token).collect();
    assert_eq!(tokens.len(), 5, "no token is shared");
    // A message claimed again gets a new token.
    let m = &first[0];
    assert_eq!(ack(&client, m.id, m.lease_token).await, Some(m.id));
    client
        .execute(
            "UPDATE messenger_messages SET status = 'pending', processed_at = NULL WHERE id = $1",
            &[&m.id],
        )
        .await
        .unwrap();
    let again = claim(&client, "worker-a", 1).await;
    assert_eq!(ids(&again), [m.id]);
    assert!(!tokens.contains(&again[0].lease_token));
}

#[tokio::test]
async fn claim_batch_skips_rows_locked_by_a_concurrent_claimer() {
    let (db, mut first) = migrated().await;
    let second = db.client().await;
    let mut dispatched = Vec::new();
    for n in 1..=4 {
        dispatched.push(Message::new(n).dispatch(&first).await);
    }

    let tx = first.transaction().await.unwrap();
    let in_tx = claim(&tx, "worker-a", 2).await;
    assert_eq!(ids(&in_tx), dispatched[..2]);
    // worker-a has not committed: worker-b neither waits nor takes its rows.
    let concurrent = without_waiting(claim(&second, "worker-b", 10)).await;
    assert_eq!(ids(&concurrent), dispatched[2..]);
    tx.commit().await.unwrap();

    assert_eq!(
        count(
            &second,
            "SELECT count(DISTINCT locked_by) FROM messenger_messages WHERE status = 'processing'"
        )
        .await,
        2
    );
    assert!(claim(&second, "worker-c", 10).await.is_empty());
}

#[tokio::test]
async fn ack_message_completes_the_message_only_for_its_lease_token() {
    let (_db, client) = migrated().await;
    let m = claimed(&client, 1, "worker-a").await;

    assert_eq!(
        ack(&client, m.id, m.lease_token + 1).await,
        None,
        "wrong token"
    );
    assert_eq!(status(&client, m.id).await, "processing");

    assert_eq!(ack(&client, m.id, m.lease_token).await, Some(m.id));
    let row = client
        .query_one(
            "SELECT status::text, processed_at IS NOT NULL AND processed_at >= $2,
                    locked_by IS NULL AND locked_at IS NULL AND lock_expires_at IS NULL
                    AND lease_token IS NULL
               FROM messenger_messages WHERE id = $1",
            &[&m.id, &m.locked_at],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "completed");
    assert!(row.get::<_, bool>(1), "processed_at set");
    assert!(row.get::<_, bool>(2), "lease cleared");

    // Acking twice, or acking an unknown message, returns no row.
    assert_eq!(ack(&client, m.id, m.lease_token).await, None);
    assert_eq!(ack(&client, m.id + 1000, m.lease_token).await, None);
}

#[tokio::test]
async fn a_new_claim_under_the_same_worker_name_fences_off_the_old_one() {
    let (_db, client) = migrated().await;
    let first = claimed(&client, 1, "worker-a").await;
    expire(&client, first.id).await;
    let rescued = consume::rescue_expired_leases()
        .bind(&client, &10)
        .all()
        .await
        .unwrap();
    assert_eq!(rescued.iter().map(|r| r.id).collect::<Vec<_>>(), [first.id]);
    // The same name claims it again (a restarted process reusing its name).
    let second = claim(&client, "worker-a", 1).await.remove(0);
    assert_eq!(second.id, first.id);
    assert_ne!(second.lease_token, first.lease_token);

    assert_eq!(ack(&client, first.id, first.lease_token).await, None);
    assert_eq!(
        dead_letter(&client, first.id, first.lease_token, "stale").await,
        None
    );
    assert_eq!(status(&client, first.id).await, "processing");
    assert_eq!(
        ack(&client, first.id, second.lease_token).await,
        Some(first.id)
    );
}

#[tokio::test]
async fn ack_batch_completes_only_the_messages_whose_current_token_it_presents() {
    let (_db, client) = migrated().await;
    for n in 1..=3 {
        Message::new(n).dispatch(&client).await;
    }
    let rows = claim(&client, "w", 3).await;
    let (a, b, c) = (&rows[0], &rows[1], &rows[2]);
    let ack_batch = |ids: Vec<i64>, tokens: Vec<i64>| {
        let client = &client;
        async move {
            let mut acked = consume::ack_batch()
                .bind(client, &ids, &tokens)
                .all()
                .await
                .expect("ack_batch");
            acked.sort_unstable();
            acked
        }
    };
    // b's token is not presented (a stale one is): a and c are completed, b is left alone.
    assert_eq!(
        ack_batch(
            vec![a.id, b.id, c.id],
            vec![a.lease_token, c.lease_token, 0]
        )
        .await,
        [a.id, c.id]
    );
    assert_eq!(status(&client, a.id).await, "completed");
    assert_eq!(status(&client, b.id).await, "processing");
    assert_eq!(status(&client, c.id).await, "completed");
    // b's token without b's id completes nothing either.
    assert!(ack_batch(vec![a.id], vec![b.lease_token]).await.is_empty());
    assert_eq!(status(&client, b.id).await, "processing");
    assert_eq!(ack_batch(vec![b.id], vec![b.lease_token]).await, [b.id]);
}

#[tokio::test]
async fn a_stale_completion_batched_with_a_current_one_finishes_only_the_current_one() {
    let (_db, client) = migrated().await;
    for n in 1..=2 {
        Message::new(n).dispatch(&client).await;
    }
    // x is claimed, lost (rescued) and claimed again together with y by the same worker.
    let x_first = claim(&client, "w", 1).await.remove(0);
    expire(&client, x_first.id).await;
    consume::rescue_expired_leases()
        .bind(&client, &10)
        .all()
        .await
        .unwrap();
    let again = claim(&client, "w", 2).await;
    let x_now = again.iter().find(|m| m.id == x_first.id).unwrap();
    let y = again.iter().find(|m| m.id != x_first.id).unwrap();
    // The stale completion of x's first claim rides along with y's current one.
    let acked = consume::ack_batch()
        .bind(
            &client,
            &vec![x_first.id, y.id],
            &vec![x_first.lease_token, y.lease_token],
        )
        .all()
        .await
        .unwrap();
    assert_eq!(acked, [y.id]);
    assert_eq!(status(&client, x_now.id).await, "processing");
}

#[tokio::test]
async fn ack_delete_batch_deletes_only_messages_whose_lease_is_held() {
    let (_db, client) = migrated().await;
    for n in 1..=2 {
        Message::new(n).dispatch(&client).await;
    }
    let rows = claim(&client, "w", 2).await;
    let deleted = consume::ack_delete_batch()
        .bind(
            &client,
            &vec![rows[0].id, rows[1].id],
            &vec![rows[0].lease_token, 0],
        )
        .all()
        .await
        .unwrap();
    assert_eq!(deleted, [rows[0].id]);
    assert_eq!(
        count(&client, "SELECT count(*) FROM messenger_messages").await,
        1
    );
    assert_eq!(status(&client, rows[1].id).await, "processing");
}

#[tokio::test]
async fn retry_message_requeues_with_back_off_only_for_its_lease_token() {
    let (_db, client) = migrated().await;
    let m = claimed(&client, 1, "worker-a").await;
    let retry = |lease_token: i64| {
        let client = &client;
        async move {
            consume::retry_message()
                .params(
                    client,
                    &consume::RetryMessageParams {
                        error: "timeout",
                        delay_secs: 600.0,
                        id: m.id,
                        lease_token,
                    },
                )
                .opt()
                .await
                .expect("retry_message")
        }
    };

    assert_eq!(retry(m.lease_token + 1).await, None, "wrong token");
    assert_eq!(status(&client, m.id).await, "processing");

    let retried = retry(m.lease_token).await.expect("lease holder");
    assert_eq!(retried.id, m.id);
    assert_eq!(retried.retry_count, 1);
    let row = client
        .query_one(
            "SELECT status::text, retry_count, last_error,
                    locked_by IS NULL AND locked_at IS NULL AND lock_expires_at IS NULL
                    AND lease_token IS NULL,
                    processed_at IS NULL
               FROM messenger_messages WHERE id = $1",
            &[&m.id],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "pending");
    assert_eq!(row.get::<_, i32>(1), 1);
    assert_eq!(row.get::<_, Option<String>>(2).as_deref(), Some("timeout"));
    // The back-off is added to the server's clock.
    let off: f64 = value(
        &client,
        "SELECT abs(extract(epoch FROM available_at - now()) - 600)::float8
           FROM messenger_messages WHERE id = $1",
        &[&m.id],
    )
    .await;
    assert!(
        off < 5.0,
        "available_at is now() + 600 s on the server's clock ({off} s off)"
    );
    assert!(row.get::<_, bool>(3), "lease cleared");
    assert!(row.get::<_, bool>(4));

    // The lease is gone: retrying again is fenced; the back-off keeps it from being claimed.
    assert_eq!(retry(m.lease_token).await, None);
    assert!(claim(&client, "worker-b", 10).await.is_empty());

    // Once available again it is claimed with its retry_count, and a second retry increments it.
    client
        .execute(
            "UPDATE messenger_messages SET available_at = now() - interval '1 second' WHERE id = $1",
            &[&m.id],
        )
        .await
        .unwrap();
    let again = claim(&client, "worker-a", 10).await;
    assert_eq!(ids(&again), [m.id]);
    assert_eq!(again[0].retry_count, 1);
    assert_eq!(
        retry(again[0].lease_token).await.map(|r| r.retry_count),
        Some(2)
    );
}

#[tokio::test]
async fn dead_letter_message_copies_the_message_and_marks_it_failed() {
    let (_db, client) = migrated().await;
    let id = Message {
        priority: 8,
        max_retries: 1,
        idempotency_key: Some("dl-key"),
        ..Message::new(7)
    }
    .dispatch(&client)
    .await;
    let m = claim(&client, "worker-a", 1).await.remove(0);
    assert_eq!(m.id, id);

    let failed_id = dead_letter(&client, id, m.lease_token, "boom")
        .await
        .expect("holder");

    let original = client
        .query_one(
            "SELECT status::text, retry_count, last_error, processed_at IS NOT NULL,
                    locked_by IS NULL AND locked_at IS NULL AND lock_expires_at IS NULL
                    AND lease_token IS NULL
               FROM messenger_messages WHERE id = $1",
            &[&id],
        )
        .await
        .unwrap();
    assert_eq!(original.get::<_, String>(0), "failed");
    assert_eq!(original.get::<_, i32>(1), 1, "the failed attempt counts");
    assert_eq!(
        original.get::<_, Option<String>>(2).as_deref(),
        Some("boom")
    );
    assert!(original.get::<_, bool>(3), "processed_at set");
    assert!(original.get::<_, bool>(4), "lease cleared");

    let letters = dead_letters::list_dead_letters()
        .bind(&client, &TRANSPORT, &10)
        .all()
        .await
        .unwrap();
    assert_eq!(letters.len(), 1);
    let f = &letters[0];
    assert_eq!(f.id, failed_id);
    assert_eq!(f.message_id, Some(id));
    assert_eq!(f.transport_name, TRANSPORT);
    assert_eq!(f.queue_name, QUEUE);
    assert_eq!(f.body, m.body);
    assert_eq!(f.body["n"], 7);
    assert_eq!(f.headers, m.headers);
    assert_eq!(f.metadata, m.metadata);
    assert_eq!(f.priority, 8);
    assert_eq!(f.retry_count, 1);
    assert_eq!(f.max_retries, 1);
    assert_eq!(f.idempotency_key.as_deref(), Some("dl-key"));
    assert_eq!(f.original_created_at, Some(m.created_at));
    assert_eq!(f.error_message, "boom");
    assert_eq!(f.error_class.as_deref(), Some("app::Boom"));
    assert_eq!(f.error_trace.as_deref(), Some("at handler.rs:1"));

    // One statement, one transaction: failed_at and processed_at are the same now().
    let same_now: bool = value(
        &client,
        "SELECT f.failed_at = m.processed_at FROM messenger_failed_messages f
           JOIN messenger_messages m ON m.id = f.message_id WHERE f.id = $1",
        &[&failed_id],
    )
    .await;
    assert!(same_now);

    // The lease is gone: a second dead-lettering is fenced.
    assert_eq!(dead_letter(&client, id, m.lease_token, "again").await, None);
    assert_eq!(
        count(&client, "SELECT count(*) FROM messenger_failed_messages").await,
        1
    );
}

#[tokio::test]
async fn dead_letter_message_with_a_stale_token_changes_nothing() {
    let (_db, client) = migrated().await;
    let m = claimed(&client, 1, "worker-a").await;

    // Optional error details may be NULL.
    let fenced = consume::dead_letter_message()
        .bind(
            &client,
            &"boom",
            &m.id,
            &(m.lease_token - 1),
            &None::<&str>,
            &None::<&str>,
        )
        .opt()
        .await
        .unwrap();
    assert_eq!(fenced, None);
    assert_eq!(
        count(&client, "SELECT count(*) FROM messenger_failed_messages").await,
        0
    );
    let row = client
        .query_one(
            "SELECT status::text, retry_count, last_error, locked_by FROM messenger_messages WHERE id = $1",
            &[&m.id],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "processing");
    assert_eq!(row.get::<_, i32>(1), 0);
    assert_eq!(row.get::<_, Option<String>>(2), None);
    assert_eq!(row.get::<_, Option<String>>(3).as_deref(), Some("worker-a"));

    let failed_id = consume::dead_letter_message()
        .bind(
            &client,
            &"boom",
            &m.id,
            &m.lease_token,
            &None::<&str>,
            &None::<&str>,
        )
        .opt()
        .await
        .unwrap()
        .expect("lease holder");
    let (class, trace): (Option<String>, Option<String>) = {
        let r = client
            .query_one(
                "SELECT error_class, error_trace FROM messenger_failed_messages WHERE id = $1",
                &[&failed_id],
            )
            .await
            .unwrap();
        (r.get(0), r.get(1))
    };
    assert_eq!((class, trace), (None, None));
}

#[tokio::test]
async fn renew_leases_extends_only_the_leases_still_held() {
    let (_db, client) = migrated().await;
    for n in 1..=2 {
        Message::new(n).dispatch(&client).await;
    }
    let rows = claim_with_lease(&client, "worker-a", 2, 1.0).await;
    let (a, b) = (&rows[0], &rows[1]);
    let renew = |ids: Vec<i64>, tokens: Vec<i64>| {
        let client = &client;
        async move {
            consume::renew_leases()
                .bind(client, &600.0, &ids, &tokens)
                .all()
                .await
                .expect("renew_leases")
        }
    };

    let renewed = renew(vec![a.id, b.id], vec![a.lease_token, 0]).await;
    assert_eq!(renewed.len(), 1, "b's token is wrong");
    assert_eq!(renewed[0].id, a.id);
    assert!(
        (renewed[0].lock_expires_at - a.lock_expires_at).num_seconds() >= 598,
        "{} -> {}",
        a.lock_expires_at,
        renewed[0].lock_expires_at
    );
    let row = client
        .query_one(
            "SELECT (SELECT lock_expires_at > now() + interval '590 seconds' FROM messenger_messages WHERE id = $1),
                    (SELECT lock_expires_at = $3 FROM messenger_messages WHERE id = $2)",
            &[&a.id, &b.id, &b.lock_expires_at],
        )
        .await
        .unwrap();
    assert!(row.get::<_, bool>(0), "a: now() + 600 s");
    assert!(row.get::<_, bool>(1), "b: unchanged");

    // After the ack there is no lease to renew.
    assert_eq!(ack(&client, a.id, a.lease_token).await, Some(a.id));
    assert!(renew(vec![a.id], vec![a.lease_token]).await.is_empty());
}

#[tokio::test]
async fn release_messages_hands_unstarted_messages_back_without_counting_an_attempt() {
    let (_db, client) = migrated().await;
    for n in 1..=2 {
        Message::new(n).dispatch(&client).await;
    }
    let rows = claim(&client, "worker-a", 2).await;
    let before: Vec<String> = client
        .query(
            "SELECT available_at::text FROM messenger_messages ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    client
        .batch_execute("LISTEN symphony_messenger")
        .await
        .unwrap();
    let released = consume::release_messages()
        .bind(
            &client,
            &vec![rows[0].id, rows[1].id],
            &vec![rows[0].lease_token, 0],
        )
        .all()
        .await
        .unwrap();
    assert_eq!(released, [rows[0].id]);
    let row = client
        .query_one(
            "SELECT status::text, retry_count, last_error IS NULL,
                    locked_by IS NULL AND locked_at IS NULL AND lock_expires_at IS NULL
                    AND lease_token IS NULL, available_at::text
               FROM messenger_messages WHERE id = $1",
            &[&rows[0].id],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "pending");
    assert_eq!(row.get::<_, i32>(1), 0, "no attempt counted");
    assert!(row.get::<_, bool>(2));
    assert!(row.get::<_, bool>(3), "lease cleared");
    assert_eq!(row.get::<_, String>(4), before[0], "keeps its place");
    assert_eq!(status(&client, rows[1].id).await, "processing");
    // Claimable again at once.
    assert_eq!(ids(&claim(&client, "worker-b", 10).await), [rows[0].id]);
}

#[tokio::test]
async fn rescue_expired_leases_returns_only_expired_leases_to_the_queue() {
    let (_db, client) = migrated().await;
    let expired = Message::new(1).dispatch(&client).await;
    let lost = claim_with_lease(&client, "worker-a", 1, -60.0).await;
    assert_eq!(ids(&lost), [expired]);
    let live = Message::new(2).dispatch(&client).await;
    assert_eq!(
        ids(&claim_with_lease(&client, "worker-b", 1, 300.0).await),
        [live]
    );

    let rescued = consume::rescue_expired_leases()
        .bind(&client, &10)
        .all()
        .await
        .unwrap();
    assert_eq!(
        rescued
            .iter()
            .map(|r| (r.id, r.outcome.as_str()))
            .collect::<Vec<_>>(),
        [(expired, "rescued")]
    );

    let row = client
        .query_one(
            "SELECT status::text, retry_count, last_error,
                    locked_by IS NULL AND locked_at IS NULL AND lock_expires_at IS NULL
                    AND lease_token IS NULL
               FROM messenger_messages WHERE id = $1",
            &[&expired],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "pending");
    assert_eq!(row.get::<_, i32>(1), 1, "the lost attempt counts");
    let last_error: String = row.get(2);
    assert!(
        last_error.starts_with("the lease of worker worker-a expired at "),
        "{last_error}"
    );
    assert!(row.get::<_, bool>(3), "lease cleared");
    assert_eq!(status(&client, live).await, "processing");

    // The worker that lost the lease is fenced off; the message is claimable again.
    assert_eq!(ack(&client, expired, lost[0].lease_token).await, None);
    let again = claim(&client, "worker-c", 10).await;
    assert_eq!(ids(&again), [expired]);
    assert_eq!(again[0].retry_count, 1);

    // Nothing else is expired.
    let rescued = consume::rescue_expired_leases()
        .bind(&client, &10)
        .all()
        .await
        .unwrap();
    assert!(rescued.is_empty());
}

#[tokio::test]
async fn rescue_expired_leases_dead_letters_a_last_attempt() {
    let (_db, client) = migrated().await;
    let id = Message {
        max_retries: 1,
        ..Message::new(1)
    }
    .dispatch(&client)
    .await;
    // First attempt: lease expires, rescued (1 failed attempt of 2).
    claim_with_lease(&client, "w", 1, -1.0).await;
    let first = consume::rescue_expired_leases()
        .bind(&client, &10)
        .all()
        .await
        .unwrap();
    assert_eq!(first[0].outcome, "rescued");
    // Second and last attempt: lease expires again: dead letter, in the same statement.
    claim_with_lease(&client, "w", 1, -1.0).await;
    let second = consume::rescue_expired_leases()
        .bind(&client, &10)
        .all()
        .await
        .unwrap();
    assert_eq!(
        second
            .iter()
            .map(|r| (r.id, r.outcome.as_str()))
            .collect::<Vec<_>>(),
        [(id, "dead_lettered")]
    );
    let row = client
        .query_one(
            "SELECT m.status::text, m.retry_count, m.processed_at IS NOT NULL,
                    f.error_class, f.error_message = m.last_error, f.retry_count
               FROM messenger_messages m JOIN messenger_failed_messages f ON f.message_id = m.id
              WHERE m.id = $1",
            &[&id],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "failed");
    assert_eq!(row.get::<_, i32>(1), 2);
    assert!(row.get::<_, bool>(2));
    assert_eq!(
        row.get::<_, Option<String>>(3).as_deref(),
        Some("LeaseExpired")
    );
    assert!(row.get::<_, bool>(4));
    assert_eq!(row.get::<_, i32>(5), 2);
    assert!(claim(&client, "w", 10).await.is_empty());
}

#[tokio::test]
async fn rescue_expired_leases_takes_at_most_max_rows_oldest_expiry_first() {
    let (_db, client) = migrated().await;
    let mut by_lease = Vec::new();
    for (n, lease) in [(1, -100.0), (2, -300.0), (3, -200.0)] {
        let id = Message::new(n).dispatch(&client).await;
        assert_eq!(ids(&claim_with_lease(&client, "w", 1, lease).await), [id]);
        by_lease.push(id);
    }
    let rescue = || async {
        let mut ids: Vec<i64> = consume::rescue_expired_leases()
            .bind(&client, &2)
            .all()
            .await
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        ids.sort_unstable();
        ids
    };
    let mut oldest_two = vec![by_lease[1], by_lease[2]];
    oldest_two.sort_unstable();
    assert_eq!(rescue().await, oldest_two);
    assert_eq!(rescue().await, [by_lease[0]]);
    assert_eq!(rescue().await, Vec::<i64>::new());
}

// -------------------------------------------------------------------------------------------------
// dead letters
// -------------------------------------------------------------------------------------------------

#[tokio::test]
async fn requeue_dead_letter_enqueues_a_fresh_pending_copy() {
    let (_db, client) = migrated().await;
    let original = Message {
        queue: "emails",
        priority: 9,
        max_retries: 6,
        idempotency_key: Some("rq"),
        ..Message::new(5)
    }
    .dispatch(&client)
    .await;
    let m = consume::claim_batch()
        .bind(&client, &TRANSPORT, &"emails", &1, &"worker-a", &LEASE_SECS)
        .one()
        .await
        .unwrap();
    assert_eq!(m.id, original);
    let failed_id = dead_letter(&client, original, m.lease_token, "boom")
        .await
        .unwrap();

    let requeue = || async {
        dead_letters::requeue_dead_letter()
            .bind(&client, &failed_id)
            .opt()
            .await
            .expect("requeue_dead_letter")
    };
    let new_id = requeue().await.expect("the dead letter exists");
    assert!(new_id > original);
    assert_eq!(
        count(&client, "SELECT count(*) FROM messenger_failed_messages").await,
        0,
        "the dead letter is deleted"
    );
    assert_eq!(
        status(&client, original).await,
        "failed",
        "the original stays"
    );

    let row = client
        .query_one(
            "SELECT n.status::text, n.retry_count, n.idempotency_key, n.scheduled_at IS NULL,
                    n.available_at <= now(), n.last_error,
                    n.transport_name = o.transport_name AND n.queue_name = o.queue_name
                      AND n.body = o.body AND n.headers = o.headers AND n.priority = o.priority
                      AND n.max_retries = o.max_retries AND n.metadata = o.metadata,
                    n.queue_name, n.priority, n.max_retries, (n.body->>'n')::int
               FROM messenger_messages n, messenger_messages o
              WHERE n.id = $1 AND o.id = $2",
            &[&new_id, &original],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "pending");
    assert_eq!(row.get::<_, i32>(1), 0);
    assert_eq!(
        row.get::<_, Option<String>>(2),
        None,
        "the key stays with the original"
    );
    assert!(row.get::<_, bool>(3));
    assert!(row.get::<_, bool>(4), "available now");
    assert_eq!(row.get::<_, Option<String>>(5), None);
    assert!(
        row.get::<_, bool>(6),
        "same transport, queue, body, headers, priority, ..."
    );
    assert_eq!(row.get::<_, String>(7), "emails");
    assert_eq!(row.get::<_, i16>(8), 9);
    assert_eq!(row.get::<_, i32>(9), 6);
    assert_eq!(row.get::<_, i32>(10), 5);

    // Requeued once only; the copy is consumable.
    assert_eq!(requeue().await, None);
    assert_eq!(
        count(&client, "SELECT count(*) FROM messenger_messages").await,
        2
    );
    let again = consume::claim_batch()
        .bind(
            &client,
            &TRANSPORT,
            &"emails",
            &10,
            &"worker-b",
            &LEASE_SECS,
        )
        .all()
        .await
        .unwrap();
    assert_eq!(ids(&again), [new_id]);
    assert_eq!(again[0].body, m.body);
}

#[tokio::test]
async fn list_dead_letters_lists_one_transport_most_recent_failure_first() {
    let (_db, client) = migrated().await;
    let mut failed = Vec::new();
    for n in 1..=3 {
        let m = claimed(&client, n, "w").await;
        failed.push(
            dead_letter(&client, m.id, m.lease_token, &format!("error {n}"))
                .await
                .unwrap(),
        );
    }
    // Failure times: the second is the most recent, the first and third tie.
    client
        .execute(
            "UPDATE messenger_failed_messages
                SET failed_at = CASE WHEN id = $1 THEN '2024-01-02'::timestamptz ELSE '2024-01-01' END",
            &[&failed[1]],
        )
        .await
        .unwrap();
    // A dead letter of another transport.
    let other = Message {
        transport: "billing",
        ..Message::new(9)
    }
    .dispatch(&client)
    .await;
    let billing = consume::claim_batch()
        .bind(&client, &"billing", &QUEUE, &1, &"w", &LEASE_SECS)
        .one()
        .await
        .unwrap();
    assert_eq!(billing.id, other);
    let billing_failed = dead_letter(&client, other, billing.lease_token, "billing error")
        .await
        .unwrap();

    let list = |transport: &'static str, max_rows: i64| {
        let client = &client;
        async move {
            dead_letters::list_dead_letters()
                .params(
                    client,
                    &dead_letters::ListDeadLettersParams {
                        transport_name: transport,
                        max_rows,
                    },
                )
                .all()
                .await
                .expect("list_dead_letters")
        }
    };

    let all = list(TRANSPORT, 10).await;
    assert_eq!(
        all.iter().map(|f| f.id).collect::<Vec<_>>(),
        [failed[1], failed[2], failed[0]],
        "failed_at DESC, then id DESC"
    );
    assert_eq!(
        all.iter()
            .map(|f| f.error_message.as_str())
            .collect::<Vec<_>>(),
        ["error 2", "error 3", "error 1"]
    );
    assert!(all.iter().all(|f| f.transport_name == TRANSPORT));

    let limited = list(TRANSPORT, 2).await;
    assert_eq!(limited, all[..2]);

    let billing_list = list("billing", 10).await;
    assert_eq!(billing_list.len(), 1);
    assert_eq!(billing_list[0].id, billing_failed);
    assert_eq!(billing_list[0].body["n"], 9);

    assert!(list("nobody", 10).await.is_empty());
}

// -------------------------------------------------------------------------------------------------
// maintenance
// -------------------------------------------------------------------------------------------------

#[tokio::test]
async fn purge_completed_deletes_only_completed_messages_older_than_the_cutoff() {
    let (_db, client) = migrated().await;
    let mut id = BTreeMap::new();
    for (n, name, state, processed_ago) in [
        (1, "old_completed_2d", "completed", Some("2 days")),
        (2, "old_completed_3d", "completed", Some("3 days")),
        (3, "recent_completed", "completed", Some("1 hour")),
        (4, "old_failed", "failed", Some("3 days")),
        (5, "pending", "pending", None),
        (6, "processing", "processing", None),
    ] {
        let message = Message::new(n).dispatch(&client).await;
        force_status(&client, message, state).await;
        if let Some(ago) = processed_ago {
            client
                .execute(
                    "UPDATE messenger_messages SET processed_at = now() - $2::text::interval WHERE id = $1",
                    &[&message, &ago],
                )
                .await
                .unwrap();
        }
        id.insert(name, message);
    }
    let cutoff = db_time(&client, "now() - interval '1 day'").await;
    let purge = |max_rows: i64| {
        let client = &client;
        async move {
            maintenance::purge_completed()
                .params(
                    client,
                    &maintenance::PurgeCompletedParams { cutoff, max_rows },
                )
                .one()
                .await
                .expect("purge_completed")
        }
    };
    let remaining = || async {
        let ids: Vec<i64> = client
            .query("SELECT id FROM messenger_messages ORDER BY id", &[])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        ids
    };

    assert_eq!(purge(1).await, 1, "max_rows");
    assert!(
        !remaining().await.contains(&id["old_completed_3d"]),
        "oldest processed first"
    );
    assert!(remaining().await.contains(&id["old_completed_2d"]));
    assert_eq!(purge(10).await, 1);
    assert_eq!(purge(10).await, 0);
    assert_eq!(
        remaining().await,
        [
            id["recent_completed"],
            id["old_failed"],
            id["pending"],
            id["processing"]
        ]
    );

    // purge_failed takes the failed ones past the cutoff, and nothing else.
    let purged = maintenance::purge_failed()
        .params(
            &client,
            &maintenance::PurgeFailedParams {
                cutoff,
                max_rows: 10,
            },
        )
        .one()
        .await
        .expect("purge_failed");
    assert_eq!(purged, 1);
    assert_eq!(
        remaining().await,
        [id["recent_completed"], id["pending"], id["processing"]]
    );
}

#[tokio::test]
async fn purging_a_message_frees_its_idempotency_key() {
    let (_db, client) = migrated().await;
    let now = db_time(&client, "now()").await;
    let send = || async {
        dispatch::dispatch_idempotent()
            .bind(
                &client,
                &TRANSPORT,
                &QUEUE,
                &json([("n", 1)]),
                &empty_object(),
                &5,
                &now,
                &None,
                &3,
                &"freed",
                &empty_object(),
            )
            .one()
            .await
            .unwrap()
    };
    let first = send().await;
    assert!(first.inserted);
    let claimed_first = claim(&client, "w", 1).await;
    assert_eq!(ids(&claimed_first), [first.id]);
    assert_eq!(
        ack(&client, first.id, claimed_first[0].lease_token).await,
        Some(first.id)
    );
    assert_eq!(
        send().await,
        dispatch::DispatchIdempotent {
            id: first.id,
            inserted: false
        }
    );

    let cutoff = db_time(&client, "now() + interval '1 second'").await;
    let purged = maintenance::purge_completed()
        .bind(&client, &cutoff, &100)
        .one()
        .await
        .unwrap();
    assert_eq!(purged, 1);

    let second = send().await;
    assert!(second.inserted);
    assert!(second.id > first.id);
}

#[tokio::test]
async fn queue_depth_counts_messages_per_transport_and_queue() {
    let (_db, client) = migrated().await;
    assert!(
        maintenance::queue_depth()
            .bind(&client)
            .all()
            .await
            .unwrap()
            .is_empty(),
        "no messages, no rows"
    );

    let oldest = "'2020-01-01 00:00+00'";
    let mut states = vec![];
    for (n, transport, queue, state, available_at) in [
        (1, TRANSPORT, QUEUE, "pending", "now()"),
        (2, TRANSPORT, QUEUE, "pending", oldest),
        (3, TRANSPORT, QUEUE, "processing", "'2019-01-01 00:00+00'"),
        (4, TRANSPORT, QUEUE, "completed", "now()"),
        (5, TRANSPORT, QUEUE, "failed", "now()"),
        (6, TRANSPORT, QUEUE, "failed", "now()"),
        (
            7,
            TRANSPORT,
            "emails",
            "pending",
            "now() + interval '1 hour'",
        ),
        (8, "billing", QUEUE, "completed", "now()"),
    ] {
        let id = Message {
            transport,
            queue,
            available_at,
            ..Message::new(n)
        }
        .dispatch(&client)
        .await;
        states.push((id, state));
    }
    for (id, state) in states {
        if state != "pending" {
            force_status(&client, id, state).await;
        }
    }

    let depth = maintenance::queue_depth()
        .bind(&client)
        .all()
        .await
        .unwrap();
    let counts: Vec<(&str, &str, [i64; 5])> = depth
        .iter()
        .map(|d| {
            (
                d.transport_name.as_str(),
                d.queue_name.as_str(),
                [
                    d.pending_count,
                    d.processing_count,
                    d.completed_count,
                    d.failed_count,
                    d.total_count,
                ],
            )
        })
        .collect();
    assert_eq!(
        counts,
        [
            ("billing", QUEUE, [0, 0, 1, 0, 1]),
            (TRANSPORT, QUEUE, [2, 1, 1, 2, 6]),
            (TRANSPORT, "emails", [1, 0, 0, 0, 1]),
        ]
    );

    assert_eq!(depth[0].oldest_pending_at, None, "nothing pending");
    let expected_oldest = db_time(&client, oldest).await;
    assert_eq!(
        depth[1].oldest_pending_at,
        Some(expected_oldest),
        "pending only: the older processing message does not count"
    );
    let emails_oldest: bool =
        value(&client, "SELECT $1 > now()", &[&depth[2].oldest_pending_at]).await;
    assert!(emails_oldest, "a delayed message counts as pending");
}

// -------------------------------------------------------------------------------------------------
// transports
// -------------------------------------------------------------------------------------------------

#[tokio::test]
async fn upsert_transport_inserts_then_updates_in_place() {
    let (_db, client) = migrated().await;
    let get = || async {
        transports::get_transport()
            .bind(&client, &"orders")
            .opt()
            .await
            .expect("get_transport")
    };

    let id = upsert_transport(
        &client,
        "orders",
        "postgres",
        json([("poll_ms", 100)]),
        true,
    )
    .await
    .unwrap();
    let inserted = get().await.expect("registered");
    assert_eq!(inserted.id, id);
    assert_eq!(inserted.name, "orders");
    assert_eq!(inserted.r#type, "postgres");
    assert_eq!(inserted.config["poll_ms"], 100);
    assert!(inserted.enabled);

    let same_id = upsert_transport(&client, "orders", "redis", json([("poll_ms", 500)]), false)
        .await
        .unwrap();
    assert_eq!(same_id, id);
    let updated = get().await.expect("still registered");
    assert_eq!(updated.id, id);
    assert_eq!(updated.r#type, "redis");
    assert_eq!(updated.config["poll_ms"], 500);
    assert_eq!(updated.config.as_object().map(|o| o.len()), Some(1));
    assert!(!updated.enabled);
    assert_eq!(updated.created_at, inserted.created_at, "created_at kept");
    assert!(
        updated.updated_at > inserted.updated_at,
        "updated_at bumped"
    );
    assert_eq!(
        count(
            &client,
            "SELECT count(*) FROM messenger_transports WHERE name = 'orders'"
        )
        .await,
        1
    );

    // Same values again: still an update of the same row.
    let again = upsert_transport(&client, "orders", "redis", json([("poll_ms", 500)]), false)
        .await
        .unwrap();
    assert_eq!(again, id);

    // The name check constraint applies.
    let err = upsert_transport(&client, "Bad Name", "postgres", empty_object(), true)
        .await
        .expect_err("invalid name");
    assert_eq!(err.code(), Some(&SqlState::CHECK_VIOLATION));
}

#[tokio::test]
async fn get_transport_returns_none_for_an_unknown_name() {
    let (_db, client) = migrated().await;
    upsert_transport(&client, "orders", "postgres", empty_object(), true)
        .await
        .unwrap();
    let missing = transports::get_transport()
        .bind(&client, &"order")
        .opt()
        .await
        .unwrap();
    assert_eq!(missing, None);
}

#[tokio::test]
async fn list_transports_returns_every_transport_ordered_by_name() {
    let (_db, client) = migrated().await;
    let names = |list: &[transports::ListTransports]| {
        list.iter().map(|t| t.name.clone()).collect::<Vec<_>>()
    };
    // Later migrations may seed transports: the test adds its own to whatever is there.
    let seeded = names(
        &transports::list_transports()
            .bind(&client)
            .all()
            .await
            .unwrap(),
    );

    let zeta = upsert_transport(&client, "zeta", "postgres", empty_object(), true)
        .await
        .unwrap();
    let alpha = upsert_transport(&client, "alpha", "sync", json([("x", true)]), false)
        .await
        .unwrap();
    let mid = upsert_transport(&client, "mid.v2", "postgres", empty_object(), true)
        .await
        .unwrap();

    let list = transports::list_transports()
        .bind(&client)
        .all()
        .await
        .unwrap();
    let mut expected_names = seeded.clone();
    expected_names.extend(["zeta", "alpha", "mid.v2"].map(String::from));
    expected_names.sort();
    assert_eq!(
        names(&list),
        expected_names,
        "every transport, ordered by name"
    );

    let mine: Vec<(i64, &str, &str, bool)> = list
        .iter()
        .filter(|t| !seeded.contains(&t.name))
        .map(|t| (t.id, t.name.as_str(), t.r#type.as_str(), t.enabled))
        .collect();
    assert_eq!(
        mine,
        [
            (alpha, "alpha", "sync", false),
            (mid, "mid.v2", "postgres", true),
            (zeta, "zeta", "postgres", true),
        ]
    );
    let alpha_row = list.iter().find(|t| t.id == alpha).unwrap();
    assert_eq!(alpha_row.config["x"], true);
    assert!(list.iter().all(|t| t.created_at <= t.updated_at));
}

// -------------------------------------------------------------------------------------------------
// schedules
// -------------------------------------------------------------------------------------------------

#[tokio::test]
async fn insert_schedule_stores_the_definition() {
    let (_db, client) = migrated().await;
    let next_run_at = db_time(&client, "now() - interval '1 minute'").await;
    let id = schedules::insert_schedule()
        .bind(
            &client,
            &"nightly report",
            &TRANSPORT,
            &"reports",
            &"app.Report",
            &json([("kind", "nightly")]),
            &json([("x-source", "scheduler")]),
            &7,
            &"cron",
            &Some("0 3 * * *"),
            &None,
            &None,
            &"Europe/Paris",
            &Some(next_run_at),
            &true,
        )
        .one()
        .await
        .unwrap();

    let due = claim_due(&client, 10).await;
    assert_eq!(due.len(), 1);
    let s = &due[0];
    assert_eq!(s.id, id);
    assert_eq!(s.name, "nightly report");
    assert_eq!(s.transport_name, TRANSPORT);
    assert_eq!(s.queue_name, "reports");
    assert_eq!(s.message_type, "app.Report");
    assert_eq!(s.body["kind"], "nightly");
    assert_eq!(s.headers["x-source"], "scheduler");
    assert_eq!(s.priority, 7);
    assert_eq!(s.schedule_type, "cron");
    assert_eq!(s.cron_expression.as_deref(), Some("0 3 * * *"));
    assert_eq!(s.interval_seconds, None);
    assert_eq!(s.run_at, None);
    assert_eq!(s.timezone, "Europe/Paris");
    assert_eq!(s.next_run_at, next_run_at);
    assert_eq!(s.last_run_at, None);

    // A one-time schedule, and names are not unique.
    let run_at = db_time(&client, "'2031-05-06 07:08+00'").await;
    let once = schedules::insert_schedule()
        .bind(
            &client,
            &"nightly report",
            &TRANSPORT,
            &QUEUE,
            &MESSAGE_TYPE,
            &empty_object(),
            &empty_object(),
            &5,
            &"once",
            &None::<&str>,
            &None,
            &Some(run_at),
            &"UTC",
            &Some(run_at),
            &true,
        )
        .one()
        .await
        .unwrap();
    assert!(once > id);
    let stored: bool = value(
        &client,
        "SELECT run_at = $2 AND next_run_at = $2 AND schedule_type = 'once'
           FROM messenger_schedules WHERE id = $1",
        &[&once, &run_at],
    )
    .await;
    assert!(stored);

    // An inconsistent definition: 'cron' without a cron expression.
    let err = schedules::insert_schedule()
        .bind(
            &client,
            &"broken",
            &TRANSPORT,
            &QUEUE,
            &MESSAGE_TYPE,
            &empty_object(),
            &empty_object(),
            &5,
            &"cron",
            &None::<&str>,
            &Some(60),
            &None,
            &"UTC",
            &None,
            &true,
        )
        .one()
        .await
        .expect_err("check constraint");
    assert_eq!(err.code(), Some(&SqlState::CHECK_VIOLATION));
    assert_eq!(
        count(&client, "SELECT count(*) FROM messenger_schedules").await,
        2
    );
}

#[tokio::test]
async fn claim_due_schedules_returns_enabled_due_schedules_most_overdue_first() {
    let (_db, client) = migrated().await;
    let due_recently =
        interval_schedule(&client, "due 1m", Some("now() - interval '1 minute'"), true).await;
    let due_long_ago =
        interval_schedule(&client, "due 1h", Some("now() - interval '1 hour'"), true).await;
    interval_schedule(&client, "not due", Some("now() + interval '1 hour'"), true).await;
    interval_schedule(
        &client,
        "disabled",
        Some("now() - interval '2 hours'"),
        false,
    )
    .await;
    interval_schedule(&client, "never", None, true).await;

    let due = claim_due(&client, 10).await;
    assert_eq!(
        due.iter()
            .map(|s| (s.id, s.name.as_str()))
            .collect::<Vec<_>>(),
        [(due_long_ago, "due 1h"), (due_recently, "due 1m")]
    );
    assert_eq!(due[0].schedule_type, "interval");
    assert_eq!(due[0].interval_seconds, Some(60));
    assert_eq!(due[0].cron_expression, None);
    assert!(due[0].next_run_at < due[1].next_run_at);

    let first_only = claim_due(&client, 1).await;
    assert_eq!(first_only.len(), 1);
    assert_eq!(first_only[0].id, due_long_ago);
}

#[tokio::test]
async fn claim_due_schedules_skips_schedules_locked_by_another_scheduler() {
    let (db, mut first) = migrated().await;
    let second = db.client().await;
    let a = interval_schedule(&first, "a", Some("now() - interval '2 minutes'"), true).await;
    let b = interval_schedule(&first, "b", Some("now() - interval '1 minute'"), true).await;

    let tx = first.transaction().await.unwrap();
    let mine = claim_due(&tx, 1).await;
    assert_eq!(mine.iter().map(|s| s.id).collect::<Vec<_>>(), [a]);
    let theirs = without_waiting(claim_due(&second, 10)).await;
    assert_eq!(
        theirs.iter().map(|s| s.id).collect::<Vec<_>>(),
        [b],
        "the schedule locked by the first scheduler is skipped"
    );
    tx.rollback().await.unwrap();

    // Rolled back: both are due again.
    let again = claim_due(&second, 10).await;
    assert_eq!(again.iter().map(|s| s.id).collect::<Vec<_>>(), [a, b]);
}

#[tokio::test]
async fn advance_schedule_is_a_compare_and_set_on_next_run_at() {
    let (_db, client) = migrated().await;
    let id = interval_schedule(
        &client,
        "every minute",
        Some("now() - interval '30 seconds'"),
        true,
    )
    .await;
    let tick = claim_due(&client, 10).await.remove(0);
    assert_eq!(tick.id, id);
    let next = db_time(&client, "now() + interval '30 seconds'").await;
    let advance = |next_run_at, enabled: bool| {
        let client = &client;
        async move {
            schedules::advance_schedule()
                .params(
                    client,
                    &schedules::AdvanceScheduleParams {
                        tick: tick.next_run_at,
                        next_run_at,
                        enabled,
                        id,
                        expected_next_run_at: tick.next_run_at,
                    },
                )
                .opt()
                .await
                .expect("advance_schedule")
        }
    };

    assert_eq!(advance(Some(next), true).await, Some(id));
    let row = client
        .query_one(
            "SELECT last_run_at = $2, next_run_at = $3, enabled FROM messenger_schedules WHERE id = $1",
            &[&id, &tick.next_run_at, &next],
        )
        .await
        .unwrap();
    assert!(row.get::<_, bool>(0), "last_run_at = tick");
    assert!(row.get::<_, bool>(1), "next_run_at advanced");
    assert!(row.get::<_, bool>(2));
    assert!(claim_due(&client, 10).await.is_empty(), "no longer due");

    // A second scheduler with the stale expected value loses, and changes nothing.
    assert_eq!(advance(None, false).await, None);
    let unchanged: bool = value(
        &client,
        "SELECT next_run_at = $2 AND enabled FROM messenger_schedules WHERE id = $1",
        &[&id, &next],
    )
    .await;
    assert!(unchanged);

    // A schedule that will not run again: next_run_at NULL, disabled.
    let once = interval_schedule(
        &client,
        "last run",
        Some("now() - interval '1 second'"),
        true,
    )
    .await;
    let due = claim_due(&client, 10).await.remove(0);
    assert_eq!(due.id, once);
    let done = schedules::advance_schedule()
        .bind(
            &client,
            &due.next_run_at,
            &None,
            &false,
            &once,
            &due.next_run_at,
        )
        .opt()
        .await
        .unwrap();
    assert_eq!(done, Some(once));
    let finished: bool = value(
        &client,
        "SELECT next_run_at IS NULL AND NOT enabled AND last_run_at = $2 FROM messenger_schedules WHERE id = $1",
        &[&once, &due.next_run_at],
    )
    .await;
    assert!(finished);
    assert!(claim_due(&client, 10).await.is_empty());
}

#[tokio::test]
async fn dispatch_batch_uniform_shares_everything_but_bodies_and_keys() {
    let (_db, client) = migrated().await;
    let now = db_time(&client, "now()").await;
    let ids = dispatch::dispatch_batch_uniform()
        .bind(
            &client,
            &TRANSPORT,
            &QUEUE,
            &json([("message_type", "t")]),
            &7i16,
            &now,
            &None,
            &2,
            &empty_object(),
            &vec![json([("n", 1)]), json([("n", 2)]), json([("n", 3)])],
            &vec![None::<&str>, Some("k-2"), None],
        )
        .all()
        .await
        .unwrap();
    assert_eq!(ids.len(), 3);
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ids in input order: {ids:?}"
    );
    let rows = client
        .query(
            "SELECT body->>'n', priority, max_retries, idempotency_key, headers->>'message_type'
               FROM messenger_messages ORDER BY id",
            &[],
        )
        .await
        .unwrap();
    let seen: Vec<(String, i16, i32, Option<String>, String)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect();
    assert_eq!(
        seen,
        [
            ("1".into(), 7, 2, None, "t".into()),
            ("2".into(), 7, 2, Some("k-2".into()), "t".into()),
            ("3".into(), 7, 2, None, "t".into()),
        ]
    );

    // Ragged input inserts nothing; a duplicate key aborts the whole batch.
    let ragged = dispatch::dispatch_batch_uniform()
        .bind(
            &client,
            &TRANSPORT,
            &QUEUE,
            &empty_object(),
            &5i16,
            &now,
            &None,
            &3,
            &empty_object(),
            &vec![json([("n", 4)])],
            &vec![None::<&str>, None],
        )
        .all()
        .await
        .unwrap();
    assert!(ragged.is_empty());
    let duplicate = dispatch::dispatch_batch_uniform()
        .bind(
            &client,
            &TRANSPORT,
            &QUEUE,
            &empty_object(),
            &5i16,
            &now,
            &None,
            &3,
            &empty_object(),
            &vec![json([("n", 5)]), json([("n", 6)])],
            &vec![None::<&str>, Some("k-2")],
        )
        .all()
        .await
        .unwrap_err();
    assert_eq!(duplicate.code(), Some(&SqlState::UNIQUE_VIOLATION));
    assert_eq!(
        count(&client, "SELECT count(*) FROM messenger_messages").await,
        3
    );
}
