//! The worker against a real PostgreSQL: handling, heartbeats, deadlines, retries with back-off,
//! dead letters, validation of claimed bodies, retention, drain, load, spans and counters.
//! Process deaths (SIGKILL, SIGTERM) are tested with the demo binary in examples/demo/tests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use symphony_messenger::dispatch::DispatchOptions;
use symphony_messenger::error::MessengerError;
use symphony_messenger::worker::{
    HandlerError, Jitter, Retention, RetryPolicy, Worker, WorkerBuilder,
};
use tokio_util::sync::CancellationToken;

mod consuming;
mod demo;

use consuming::*;
use demo::messages::{self, SendEmail};

/// A worker of transport `email` on its own pool, polling every 20 ms.
fn email_worker(db: &messenger_test_support::TestDb) -> WorkerBuilder {
    Worker::builder(pool(db, 8), messages::registry(), "email")
        .poll_interval(Duration::from_millis(20))
        .rescue_interval(Duration::from_millis(200))
}

/// Runs `worker` in a task until the returned token is cancelled.
fn start(
    worker: Worker,
) -> (
    CancellationToken,
    tokio::task::JoinHandle<Result<symphony_messenger::worker::DrainReport, MessengerError>>,
) {
    let stop = CancellationToken::new();
    let handle = tokio::spawn(worker.run(stop.clone().cancelled_owned()));
    (stop, handle)
}

/// Records, per message id, every time a handler started on it.
#[derive(Clone, Default)]
struct Starts(Arc<Mutex<HashMap<i64, Vec<Instant>>>>);

impl Starts {
    fn record(&self, id: i64) {
        self.0
            .lock()
            .unwrap()
            .entry(id)
            .or_default()
            .push(Instant::now());
    }

    fn of(&self, id: i64) -> Vec<Instant> {
        self.0.lock().unwrap().get(&id).cloned().unwrap_or_default()
    }

    fn total(&self) -> usize {
        self.0.lock().unwrap().values().map(Vec::len).sum()
    }

    fn distinct(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

#[tokio::test]
async fn a_worker_hands_each_typed_message_to_its_handler_once_and_acks_it() {
    let (db, client) = database().await;
    let ids = dispatch_emails(&messenger(&db), 50, &DispatchOptions::default()).await;
    let starts = Starts::default();
    let subjects = Arc::new(Mutex::new(Vec::new()));
    let worker = email_worker(&db)
        .handle::<SendEmail, _>({
            let (starts, subjects) = (starts.clone(), subjects.clone());
            move |email, ctx| {
                let (starts, subjects) = (starts.clone(), subjects.clone());
                async move {
                    starts.record(ctx.message_id());
                    assert_eq!(ctx.attempt(), 1);
                    assert_eq!(ctx.max_attempts(), 4);
                    assert_eq!(ctx.transport(), "email");
                    assert_eq!(ctx.message_type(), "send_email");
                    assert_eq!(ctx.headers()["message_type"], "send_email");
                    subjects.lock().unwrap().push(email.subject);
                    Ok(())
                }
            }
        })
        .build()
        .unwrap();
    let metrics = worker.metrics();
    let (stop, run) = start(worker);
    wait_until(Duration::from_secs(20), "50 acks", || async {
        metrics.snapshot().acked == 50
    })
    .await;
    stop.cancel();
    let report = run.await.unwrap().unwrap();
    assert_eq!(report.released + report.cancelled + report.still_held, 0);

    assert_eq!((starts.total(), starts.distinct()), (50, 50));
    assert!(ids.iter().all(|id| starts.of(*id).len() == 1));
    let mut subjects = subjects.lock().unwrap().clone();
    subjects.sort();
    assert_eq!(subjects.len(), 50);
    assert!(subjects.contains(&"Message 49".to_owned()));
    assert_eq!(
        count(
            &client,
            "SELECT count(*) FROM messenger_messages WHERE status = 'completed'
               AND processed_at IS NOT NULL AND lease_token IS NULL"
        )
        .await,
        50
    );
    let snapshot = metrics.snapshot();
    assert_eq!((snapshot.claimed, snapshot.acked), (50, 50));
    assert_eq!(
        (
            snapshot.retried,
            snapshot.dead_lettered,
            snapshot.lease_lost,
            snapshot.released
        ),
        (0, 0, 0, 0)
    );
}

#[tokio::test]
async fn raw_json_handlers_receive_the_validated_body() {
    let (db, _client) = database().await;
    dispatch_emails(&messenger(&db), 3, &DispatchOptions::default()).await;
    let bodies = Arc::new(Mutex::new(Vec::<Value>::new()));
    let worker = email_worker(&db)
        .handle_json("send_email", {
            let bodies = bodies.clone();
            move |body, _ctx| {
                let bodies = bodies.clone();
                async move {
                    bodies.lock().unwrap().push(body);
                    Ok(())
                }
            }
        })
        .build()
        .unwrap();
    let metrics = worker.metrics();
    let (stop, run) = start(worker);
    wait_until(Duration::from_secs(10), "3 acks", || async {
        metrics.snapshot().acked == 3
    })
    .await;
    stop.cancel();
    run.await.unwrap().unwrap();
    let bodies = bodies.lock().unwrap();
    assert_eq!(bodies.len(), 3);
    assert!(bodies.iter().all(|b| b["body_text"] == "Hello"));
}

#[tokio::test]
async fn building_refuses_unknown_transports_types_not_accepted_and_bad_settings() {
    let (db, _client) = database().await;
    let noop = |_: Value, _| async { Ok::<(), HandlerError>(()) };
    let err = Worker::builder(pool(&db, 2), messages::registry(), "fax")
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, MessengerError::UnknownTransport { transport, .. } if transport == "fax"),
        "{err}"
    );
    let err = email_worker(&db)
        .handle_json("sms_notification", noop)
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, MessengerError::NotAccepted { message_type, .. } if message_type == "sms_notification"),
        "{err}"
    );
    let err = email_worker(&db)
        .handle_json("no_such_type", noop)
        .build()
        .unwrap_err();
    assert!(
        matches!(err, MessengerError::UnknownMessageType { .. }),
        "{err}"
    );
    for (builder, needle) in [
        (email_worker(&db).concurrency(0), "concurrency"),
        (
            email_worker(&db)
                .lease(Duration::from_secs(1))
                .heartbeat(Duration::from_secs(2)),
            "heartbeat",
        ),
        (email_worker(&db).queues(Vec::<String>::new()), "queue"),
        (
            email_worker(&db).retry_policy(RetryPolicy {
                factor: 0.5,
                ..RetryPolicy::default()
            }),
            "factor",
        ),
        (
            email_worker(&db)
                .handle_json("send_email", noop)
                .handle_json("send_email", noop),
            "two handlers",
        ),
    ] {
        let err = builder.build().unwrap_err();
        assert!(matches!(err, MessengerError::InvalidOption(_)), "{err}");
        assert!(err.to_string().contains(needle), "{err}");
    }
}

#[tokio::test]
async fn a_handler_running_three_leases_long_is_never_reclaimed_and_acks_once() {
    let (db, client) = database().await;
    let ids = dispatch_emails(&messenger(&db), 1, &DispatchOptions::default()).await;
    let starts = Starts::default();
    let lease = Duration::from_secs(1);
    let worker = email_worker(&db)
        .lease(lease)
        .handle::<SendEmail, _>({
            let starts = starts.clone();
            move |_, ctx| {
                let starts = starts.clone();
                async move {
                    starts.record(ctx.message_id());
                    tokio::time::sleep(lease * 3).await;
                    assert!(!ctx.is_cancelled());
                    Ok(())
                }
            }
        })
        .build()
        .unwrap();
    // A second worker of the same transport rescues eagerly the whole time (and would handle
    // the message if it were rescued).
    let rescuer = email_worker(&db)
        .lease(lease)
        .rescue_interval(Duration::from_millis(100))
        .handle::<SendEmail, _>({
            let starts = starts.clone();
            move |_, ctx| {
                let starts = starts.clone();
                async move {
                    starts.record(ctx.message_id());
                    Ok(())
                }
            }
        })
        .build()
        .unwrap();
    let (metrics, rescuer_metrics) = (worker.metrics(), rescuer.metrics());
    let (stop, run) = start(worker);
    wait_until(Duration::from_secs(5), "the handler to start", || async {
        starts.total() == 1
    })
    .await;
    let (stop_rescuer, run_rescuer) = start(rescuer);
    wait_until(Duration::from_secs(10), "the ack", || async {
        metrics.snapshot().acked == 1
    })
    .await;
    stop.cancel();
    stop_rescuer.cancel();
    run.await.unwrap().unwrap();
    run_rescuer.await.unwrap().unwrap();
    assert_eq!(starts.of(ids[0]).len(), 1, "handled once");
    assert_eq!(rescuer_metrics.snapshot().rescued, 0);
    assert_eq!(metrics.snapshot().lease_lost, 0);
    let row = client
        .query_one(
            "SELECT status::text, retry_count FROM messenger_messages WHERE id = $1",
            &[&ids[0]],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "completed");
    assert_eq!(row.get::<_, i32>(1), 0);
}

#[tokio::test]
async fn the_hard_deadline_cancels_a_handler_and_counts_the_attempt() {
    let (db, client) = database().await;
    let ids = dispatch_emails(&messenger(&db), 1, &DispatchOptions::default()).await;
    let saw_cancellation = Arc::new(Mutex::new(false));
    let worker = email_worker(&db)
        .handler_timeout(Some(Duration::from_millis(300)))
        .retry_policy(RetryPolicy {
            base: Duration::from_secs(60),
            ..RetryPolicy::default()
        })
        .handle::<SendEmail, _>({
            let saw = saw_cancellation.clone();
            move |_, ctx| {
                let saw = saw.clone();
                async move {
                    // Dropped at the deadline: the guard tells us the future did not run on.
                    struct Dropped(Arc<Mutex<bool>>);
                    impl Drop for Dropped {
                        fn drop(&mut self) {
                            *self.0.lock().unwrap() = true;
                        }
                    }
                    let _guard = Dropped(saw);
                    ctx.cancelled().await;
                    Ok(())
                }
            }
        })
        .build()
        .unwrap();
    let metrics = worker.metrics();
    let started = Instant::now();
    let (stop, run) = start(worker);
    wait_until(Duration::from_secs(5), "the retry", || async {
        metrics.snapshot().retried == 1
    })
    .await;
    let elapsed = started.elapsed();
    stop.cancel();
    run.await.unwrap().unwrap();
    assert!(*saw_cancellation.lock().unwrap(), "the handler was dropped");
    assert!(
        elapsed >= Duration::from_millis(300) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
    let row = client
        .query_one(
            "SELECT status::text, retry_count, last_error, available_at > now() + interval '1 second'
               FROM messenger_messages WHERE id = $1",
            &[&ids[0]],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "pending");
    assert_eq!(row.get::<_, i32>(1), 1, "the attempt counts");
    let error: String = row.get(2);
    assert!(error.contains("deadline of 300ms"), "{error}");
    assert!(row.get::<_, bool>(3), "retried with back-off");
}

/// A handler that fails every attempt, recording when each started.
fn failing_worker(
    db: &messenger_test_support::TestDb,
    starts: &Starts,
    policy: RetryPolicy,
    permanent: bool,
) -> Worker {
    let starts = starts.clone();
    email_worker(db)
        .retry_policy(policy)
        .handle::<SendEmail, _>(move |_, ctx| {
            let starts = starts.clone();
            async move {
                starts.record(ctx.message_id());
                let error = HandlerError::msg(format!("smtp said no (attempt {})", ctx.attempt()))
                    .with_class("SmtpRefused")
                    .with_trace("at smtp.rs:42");
                Err(if permanent { error.permanent() } else { error })
            }
        })
        .build()
        .unwrap()
}

#[tokio::test]
async fn failed_attempts_follow_the_back_off_then_go_to_the_dead_letters_and_requeue_brings_them_back()
 {
    let (db, client) = database().await;
    let ids = dispatch_emails(&messenger(&db), 1, &DispatchOptions::default()).await;
    let starts = Starts::default();
    let policy = RetryPolicy {
        base: Duration::from_millis(200),
        factor: 2.0,
        cap: Duration::from_secs(10),
        max_attempts: None,
        jitter: Jitter::None,
    };
    let worker = failing_worker(&db, &starts, policy, false);
    let metrics = worker.metrics();
    let (stop, run) = start(worker);
    wait_until(Duration::from_secs(10), "the dead letter", || async {
        metrics.snapshot().dead_lettered == 1
    })
    .await;
    stop.cancel();
    run.await.unwrap().unwrap();

    // max_retries 3 (the default): 4 attempts, 200, 400 and 800 ms apart (no jitter), each
    // found by a poll of 20 ms.
    let times = starts.of(ids[0]);
    assert_eq!(times.len(), 4);
    for (i, expected) in [200u64, 400, 800].into_iter().enumerate() {
        let gap = times[i + 1] - times[i];
        let expected = Duration::from_millis(expected);
        assert!(
            gap >= expected && gap < expected + Duration::from_millis(250),
            "gap {i}: {gap:?}, expected {expected:?}"
        );
    }
    assert_eq!(metrics.snapshot().retried, 3);
    let row = client
        .query_one(
            "SELECT m.status::text, m.retry_count, f.error_message, f.error_class, f.error_trace,
                    f.retry_count, f.id
               FROM messenger_messages m JOIN messenger_failed_messages f ON f.message_id = m.id
              WHERE m.id = $1",
            &[&ids[0]],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "failed");
    assert_eq!(row.get::<_, i32>(1), 4);
    assert_eq!(
        row.get::<_, String>(2),
        "smtp said no (attempt 4) (attempt 4 of 4)"
    );
    assert_eq!(
        row.get::<_, Option<String>>(3).as_deref(),
        Some("SmtpRefused")
    );
    assert_eq!(
        row.get::<_, Option<String>>(4).as_deref(),
        Some("at smtp.rs:42")
    );
    assert_eq!(row.get::<_, i32>(5), 4);
    let dead_letter: i64 = row.get(6);

    // Requeued, the message comes back as a new one and is handled by a healthy worker.
    let requeued: i64 = symphony_messenger::queries::queries::dead_letters::requeue_dead_letter()
        .bind(&client, &dead_letter)
        .opt()
        .await
        .unwrap()
        .expect("the dead letter exists");
    let healed = Starts::default();
    let worker = email_worker(&db)
        .handle::<SendEmail, _>({
            let healed = healed.clone();
            move |_, ctx| {
                let healed = healed.clone();
                async move {
                    healed.record(ctx.message_id());
                    Ok(())
                }
            }
        })
        .build()
        .unwrap();
    let metrics = worker.metrics();
    let (stop, run) = start(worker);
    wait_until(
        Duration::from_secs(10),
        "the requeued message's ack",
        || async { metrics.snapshot().acked == 1 },
    )
    .await;
    stop.cancel();
    run.await.unwrap().unwrap();
    assert_eq!(healed.of(requeued).len(), 1);
}

#[tokio::test]
async fn a_permanent_error_skips_the_retries() {
    let (db, client) = database().await;
    let ids = dispatch_emails(&messenger(&db), 1, &DispatchOptions::default()).await;
    let starts = Starts::default();
    let worker = failing_worker(&db, &starts, RetryPolicy::default(), true);
    let metrics = worker.metrics();
    let (stop, run) = start(worker);
    wait_until(Duration::from_secs(10), "the dead letter", || async {
        metrics.snapshot().dead_lettered == 1
    })
    .await;
    stop.cancel();
    run.await.unwrap().unwrap();
    assert_eq!(starts.of(ids[0]).len(), 1);
    assert_eq!(metrics.snapshot().retried, 0);
    let (message, retry_count): (String, i32) = {
        let row = client
            .query_one(
                "SELECT error_message, retry_count FROM messenger_failed_messages WHERE message_id = $1",
                &[&ids[0]],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!(message, "smtp said no (attempt 1)");
    assert_eq!(retry_count, 1);
}

#[tokio::test]
async fn a_policy_per_message_type_overrides_the_transports_and_can_lower_the_attempts() {
    let (db, _client) = database().await;
    let ids = dispatch_emails(&messenger(&db), 1, &DispatchOptions::default()).await;
    let starts = Starts::default();
    // What the handlers saw, asserted after the run (an assertion inside a handler would only
    // fail its attempt, which this test expects anyway).
    let max_attempts_seen = Arc::new(Mutex::new(Vec::new()));
    let worker = {
        let (starts, seen) = (starts.clone(), max_attempts_seen.clone());
        email_worker(&db)
            .retry_policy(RetryPolicy {
                base: Duration::from_secs(600),
                ..RetryPolicy::default()
            })
            .retry_policy_for::<SendEmail>(RetryPolicy {
                base: Duration::from_millis(10),
                max_attempts: Some(2),
                jitter: Jitter::None,
                ..RetryPolicy::default()
            })
            .handle::<SendEmail, _>(move |_, ctx| {
                let (starts, seen) = (starts.clone(), seen.clone());
                async move {
                    starts.record(ctx.message_id());
                    seen.lock().unwrap().push(ctx.max_attempts());
                    Err(HandlerError::msg("no"))
                }
            })
            .build()
            .unwrap()
    };
    let metrics = worker.metrics();
    let (stop, run) = start(worker);
    wait_until(Duration::from_secs(10), "the dead letter", || async {
        metrics.snapshot().dead_lettered == 1
    })
    .await;
    stop.cancel();
    run.await.unwrap().unwrap();
    assert_eq!(starts.of(ids[0]).len(), 2);
    assert_eq!(*max_attempts_seen.lock().unwrap(), [2, 2]);
}

#[tokio::test]
async fn a_body_that_no_longer_matches_its_schema_goes_to_the_dead_letters_not_to_a_handler() {
    let (db, client) = database().await;
    let ids = dispatch_emails(&messenger(&db), 2, &DispatchOptions::default()).await;
    client
        .execute(
            "UPDATE messenger_messages SET body = body || '{\"to_address\": \"not an address\"}'
              WHERE id = $1",
            &[&ids[0]],
        )
        .await
        .unwrap();
    client
        .execute(
            "UPDATE messenger_messages SET headers = '{\"message_type\": \"fax\"}' WHERE id = $1",
            &[&ids[1]],
        )
        .await
        .unwrap();
    let starts = Starts::default();
    let worker = {
        let starts = starts.clone();
        email_worker(&db)
            .handle::<SendEmail, _>(move |_, ctx| {
                let starts = starts.clone();
                async move {
                    starts.record(ctx.message_id());
                    Ok(())
                }
            })
            .build()
            .unwrap()
    };
    let metrics = worker.metrics();
    let (stop, run) = start(worker);
    wait_until(Duration::from_secs(10), "two dead letters", || async {
        metrics.snapshot().dead_lettered == 2
    })
    .await;
    stop.cancel();
    run.await.unwrap().unwrap();
    assert_eq!(starts.total(), 0, "no handler saw them");
    let rows = client
        .query(
            "SELECT message_id, error_class, error_message FROM messenger_failed_messages ORDER BY message_id",
            &[],
        )
        .await
        .unwrap();
    let invalid: (Option<String>, String) = (rows[0].get(1), rows[0].get(2));
    assert_eq!(invalid.0.as_deref(), Some("InvalidPayload"));
    assert!(
        invalid.1.starts_with(
            "the body does not match the `send_email` schema of transport `email`: at /to_address:"
        ),
        "{}",
        invalid.1
    );
    let unknown: (Option<String>, String) = (rows[1].get(1), rows[1].get(2));
    assert_eq!(unknown.0.as_deref(), Some("UnknownMessageType"));
    assert!(unknown.1.contains("fax"), "{}", unknown.1);
}

#[tokio::test]
async fn acking_inside_the_applications_transaction_commits_the_work_and_the_ack_together() {
    let (db, client) = database().await;
    client
        .batch_execute("CREATE TABLE outbox (message_id bigint PRIMARY KEY, subject text NOT NULL)")
        .await
        .unwrap();
    let ids = dispatch_emails(&messenger(&db), 2, &DispatchOptions::default()).await;
    let app_pool = pool(&db, 4);
    let worker = email_worker(&db)
        .retry_policy(RetryPolicy {
            base: Duration::from_secs(600),
            ..RetryPolicy::default()
        })
        .handle::<SendEmail, _>(move |email, ctx| {
            let app_pool = app_pool.clone();
            async move {
                let mut client = app_pool.get().await.map_err(HandlerError::msg)?;
                let tx = client.transaction().await?;
                tx.execute(
                    "INSERT INTO outbox VALUES ($1, $2)",
                    &[&ctx.message_id(), &email.subject],
                )
                .await?;
                ctx.ack_in(&tx).await.map_err(HandlerError::msg)?;
                if email.subject == "Message 1" {
                    // The work and the ack roll back together.
                    tx.rollback().await?;
                    return Err(HandlerError::msg("changed my mind"));
                }
                tx.commit().await?;
                Ok(())
            }
        })
        .build()
        .unwrap();
    let metrics = worker.metrics();
    let (stop, run) = start(worker);
    wait_until(Duration::from_secs(10), "one ack and one retry", || async {
        let m = metrics.snapshot();
        m.acked == 1 && m.retried == 1
    })
    .await;
    stop.cancel();
    run.await.unwrap().unwrap();
    let rows = client
        .query(
            "SELECT m.id, m.status::text, o.message_id IS NOT NULL
               FROM messenger_messages m LEFT JOIN outbox o ON o.message_id = m.id ORDER BY m.id",
            &[],
        )
        .await
        .unwrap();
    let states: Vec<(i64, String, bool)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(
        states,
        [
            (ids[0], "completed".to_owned(), true),
            (ids[1], "pending".to_owned(), false)
        ]
    );
}

#[tokio::test]
async fn retention_delete_removes_acked_messages_and_keep_purges_them_later() {
    let (db, client) = database().await;
    dispatch_emails(&messenger(&db), 5, &DispatchOptions::default()).await;
    let noop = |_: SendEmail, _| async { Ok::<(), HandlerError>(()) };
    let worker = email_worker(&db)
        .retention(Retention::Delete)
        .handle::<SendEmail, _>(noop)
        .build()
        .unwrap();
    let metrics = worker.metrics();
    let (stop, run) = start(worker);
    wait_until(Duration::from_secs(10), "5 acks", || async {
        metrics.snapshot().acked == 5
    })
    .await;
    stop.cancel();
    run.await.unwrap().unwrap();
    assert_eq!(
        count(&client, "SELECT count(*) FROM messenger_messages").await,
        0
    );

    dispatch_emails(&messenger(&db), 5, &DispatchOptions::default()).await;
    let worker = email_worker(&db)
        .retention(Retention::Keep(Duration::from_millis(300)))
        .purge(Duration::from_millis(100), 2)
        .handle::<SendEmail, _>(noop)
        .build()
        .unwrap();
    let metrics = worker.metrics();
    let (stop, run) = start(worker);
    wait_until(Duration::from_secs(10), "5 acks", || async {
        metrics.snapshot().acked == 5
    })
    .await;
    assert_eq!(
        count(
            &client,
            "SELECT count(*) FROM messenger_messages WHERE status = 'completed'"
        )
        .await,
        5,
        "kept at first"
    );
    wait_until(Duration::from_secs(10), "the purge", || async {
        metrics.snapshot().purged == 5
    })
    .await;
    stop.cancel();
    run.await.unwrap().unwrap();
    assert_eq!(
        count(&client, "SELECT count(*) FROM messenger_messages").await,
        0
    );
}

#[tokio::test]
async fn a_drain_hands_back_unstarted_messages_at_once_and_lets_running_ones_finish() {
    let (db, client) = database().await;
    let ids = dispatch_emails(&messenger(&db), 25, &DispatchOptions::default()).await;
    let starts = Starts::default();
    let worker = {
        let starts = starts.clone();
        email_worker(&db)
            .concurrency(5)
            .batch_size(25)
            .prefetch(20)
            .handle::<SendEmail, _>(move |_, ctx| {
                let starts = starts.clone();
                async move {
                    starts.record(ctx.message_id());
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    Ok(())
                }
            })
            .build()
            .unwrap()
    };
    let metrics = worker.metrics();
    let (stop, run) = start(worker);
    wait_until(Duration::from_secs(10), "5 running, 20 waiting", || async {
        starts.total() == 5 && metrics.snapshot().claimed == 25
    })
    .await;
    let draining = Instant::now();
    stop.cancel();
    // The 20 unstarted are claimable again long before the running handlers end.
    wait_until(Duration::from_secs(1), "20 pending again", || async {
        count(
            &client,
            "SELECT count(*) FROM messenger_messages WHERE status = 'pending' AND retry_count = 0",
        )
        .await
            == 20
    })
    .await;
    assert!(
        draining.elapsed() < Duration::from_millis(700),
        "{:?}",
        draining.elapsed()
    );
    let report = run.await.unwrap().unwrap();
    assert_eq!(report.released, 20);
    assert_eq!(report.cancelled, 0);
    assert_eq!(report.still_held, 0);
    assert_eq!(metrics.snapshot().acked, 5);
    assert_eq!(metrics.snapshot().released, 20);
    assert_eq!(
        count(
            &client,
            "SELECT count(*) FROM messenger_messages WHERE status = 'processing'"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &client,
            "SELECT count(*) FROM messenger_messages WHERE status = 'completed'"
        )
        .await,
        5
    );
    assert!(ids.iter().all(|id| starts.of(*id).len() <= 1));
}

#[tokio::test]
async fn a_drain_cancels_handlers_still_running_at_its_deadline_and_counts_their_attempt() {
    let (db, client) = database().await;
    dispatch_emails(&messenger(&db), 3, &DispatchOptions::default()).await;
    let starts = Starts::default();
    let worker = {
        let starts = starts.clone();
        email_worker(&db)
            .concurrency(3)
            .drain_timeout(Duration::from_millis(200))
            .handle::<SendEmail, _>(move |_, ctx| {
                let starts = starts.clone();
                async move {
                    starts.record(ctx.message_id());
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    Ok(())
                }
            })
            .build()
            .unwrap()
    };
    let metrics = worker.metrics();
    let (stop, run) = start(worker);
    wait_until(Duration::from_secs(10), "3 running", || async {
        starts.total() == 3
    })
    .await;
    let draining = Instant::now();
    stop.cancel();
    let report = run.await.unwrap().unwrap();
    assert!(
        draining.elapsed() < Duration::from_secs(3),
        "{:?}",
        draining.elapsed()
    );
    assert_eq!(
        (report.released, report.cancelled, report.still_held),
        (0, 3, 0)
    );
    assert_eq!(metrics.snapshot().retried, 3);
    let rows = client
        .query(
            "SELECT status::text, retry_count, last_error FROM messenger_messages",
            &[],
        )
        .await
        .unwrap();
    for row in rows {
        assert_eq!(row.get::<_, String>(0), "pending");
        assert_eq!(row.get::<_, i32>(1), 1, "the cancelled attempt counts");
        let error: String = row.get(2);
        assert!(error.contains("drain deadline"), "{error}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_workers_complete_ten_thousand_messages_exactly_once() {
    let (db, client) = database().await;
    let ids = dispatch_emails(&messenger(&db), 10_000, &DispatchOptions::default()).await;
    let starts = Starts::default();
    let workers: Vec<Worker> = (0..4)
        .map(|_| {
            let starts = starts.clone();
            email_worker(&db)
                .batch_size(100)
                .concurrency(50)
                .handle::<SendEmail, _>(move |_, ctx| {
                    let starts = starts.clone();
                    async move {
                        starts.record(ctx.message_id());
                        Ok(())
                    }
                })
                .build()
                .unwrap()
        })
        .collect();
    let metrics: Vec<_> = workers.iter().map(Worker::metrics).collect();
    let running: Vec<_> = workers.into_iter().map(start).collect();
    wait_until(Duration::from_secs(120), "10,000 acks", || async {
        metrics.iter().map(|m| m.snapshot().acked).sum::<u64>() == 10_000
    })
    .await;
    for (stop, run) in running {
        stop.cancel();
        run.await.unwrap().unwrap();
    }
    assert_eq!(starts.distinct(), 10_000);
    assert_eq!(starts.total(), 10_000, "no message was handled twice");
    assert!(ids.iter().all(|id| starts.of(*id).len() == 1));
    assert_eq!(
        count(
            &client,
            "SELECT count(*) FROM messenger_messages WHERE status = 'completed'"
        )
        .await,
        10_000
    );
    let claimed: Vec<u64> = metrics.iter().map(|m| m.snapshot().claimed).collect();
    assert_eq!(claimed.iter().sum::<u64>(), 10_000);
    assert!(
        claimed.iter().filter(|c| **c > 0).count() >= 2,
        "the work was shared: {claimed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_whose_connections_are_killed_reconnects_and_completes_everything() {
    // The worker keeps one pooled connection for its claims and acks: when the server ends it
    // (a restart, a failover, an idle timeout), the next statement takes a new one.
    let (db, client) = database().await;
    let ids = dispatch_emails(&messenger(&db), 600, &DispatchOptions::default()).await;
    let starts = Starts::default();
    let worker = email_worker(&db)
        .batch_size(20)
        .concurrency(10)
        // A claim whose reply was lost with its connection comes back within seconds.
        .lease(Duration::from_secs(2))
        .handle::<SendEmail, _>({
            let starts = starts.clone();
            move |_, ctx| {
                let starts = starts.clone();
                async move {
                    starts.record(ctx.message_id());
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    Ok(())
                }
            }
        })
        .build()
        .unwrap();
    let metrics = worker.metrics();
    let (stop, run) = start(worker);
    let kill = "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                WHERE datname = current_database() AND pid <> pg_backend_pid() \
                AND backend_type = 'client backend'";
    let mut killed = 0;
    for round in 1..=3 {
        wait_until(
            Duration::from_secs(30),
            "progress before a kill",
            || async { metrics.snapshot().acked >= 150 * round },
        )
        .await;
        killed += count(&client, kill).await;
    }
    assert!(
        killed >= 3,
        "the worker's connections were killed ({killed})"
    );
    wait_until(
        Duration::from_secs(60),
        "every message completed",
        || async {
            count(
                &client,
                "SELECT count(*) FROM messenger_messages WHERE status = 'completed'",
            )
            .await
                == 600
        },
    )
    .await;
    stop.cancel();
    let report = run.await.unwrap().unwrap();
    assert_eq!(report.still_held, 0);
    assert!(ids.iter().all(|id| !starts.of(*id).is_empty()));
    assert_eq!(
        count(
            &client,
            "SELECT count(*) FROM messenger_messages WHERE status <> 'completed'"
        )
        .await,
        0
    );
}

/// A tracing subscriber that keeps the fields of every span named
/// `symphony_messenger.message`.
#[derive(Default)]
struct SpanCapture {
    next: std::sync::atomic::AtomicU64,
    spans: Mutex<HashMap<u64, HashMap<String, String>>>,
}

struct Fields<'a>(&'a mut HashMap<String, String>);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl tracing::Subscriber for SpanCapture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, attributes: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let id = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if attributes.metadata().name() == "symphony_messenger.message" {
            let mut fields = HashMap::new();
            attributes.record(&mut Fields(&mut fields));
            self.spans.lock().unwrap().insert(id, fields);
        }
        tracing::span::Id::from_u64(id)
    }

    fn record(&self, span: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        if let Some(fields) = self.spans.lock().unwrap().get_mut(&span.into_u64()) {
            values.record(&mut Fields(fields));
        }
    }

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, _: &tracing::Event<'_>) {}
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test]
async fn every_message_gets_a_span_with_its_id_type_transport_attempt_outcome_and_duration() {
    let (db, _client) = database().await;
    let capture = Arc::new(SpanCapture::default());
    let _guard = tracing::subscriber::set_default(capture.clone());
    let ids = dispatch_emails(&messenger(&db), 2, &DispatchOptions::default()).await;
    let worker = email_worker(&db)
        .retry_policy(RetryPolicy {
            base: Duration::from_secs(600),
            ..RetryPolicy::default()
        })
        .handle::<SendEmail, _>(|email, _| async move {
            if email.subject == "Message 1" {
                return Err(HandlerError::msg("no"));
            }
            Ok(())
        })
        .build()
        .unwrap();
    let metrics = worker.metrics();
    let (stop, run) = start(worker);
    wait_until(Duration::from_secs(10), "an ack and a retry", || async {
        let m = metrics.snapshot();
        m.acked == 1 && m.retried == 1
    })
    .await;
    stop.cancel();
    run.await.unwrap().unwrap();
    let spans = capture.spans.lock().unwrap();
    let mut seen: Vec<(String, String, String, String, String)> = spans
        .values()
        .map(|f| {
            assert!(
                f["duration_ms"].parse::<f64>().is_ok_and(|ms| ms >= 0.0),
                "{f:?}"
            );
            (
                f["message_id"].clone(),
                f["message_type"].clone(),
                f["transport"].clone(),
                f["attempt"].clone(),
                f["outcome"].clone(),
            )
        })
        .collect();
    seen.sort();
    let row = |id: i64, outcome: &str| {
        (
            id.to_string(),
            "send_email".to_owned(),
            "email".to_owned(),
            "1".to_owned(),
            outcome.to_owned(),
        )
    };
    assert_eq!(seen, [row(ids[0], "acked"), row(ids[1], "retried")]);
}

#[tokio::test]
async fn acking_in_a_transaction_follows_the_retention() {
    let (db, client) = database().await;
    dispatch_emails(&messenger(&db), 3, &DispatchOptions::default()).await;
    let app_pool = pool(&db, 2);
    let worker = email_worker(&db)
        .retention(Retention::Delete)
        .handle::<SendEmail, _>(move |_, ctx| {
            let app_pool = app_pool.clone();
            async move {
                let mut client = app_pool.get().await.map_err(HandlerError::msg)?;
                let tx = client.transaction().await?;
                ctx.ack_in(&tx).await.map_err(HandlerError::msg)?;
                // A second ack of the same lease is fenced: it is gone.
                let again = ctx.ack_in(&tx).await;
                assert!(
                    matches!(again, Err(MessengerError::LeaseLost { .. })),
                    "{again:?}"
                );
                tx.commit().await?;
                Ok(())
            }
        })
        .build()
        .unwrap();
    let metrics = worker.metrics();
    let (stop, run) = start(worker);
    wait_until(Duration::from_secs(10), "3 acks", || async {
        metrics.snapshot().acked == 3
    })
    .await;
    stop.cancel();
    run.await.unwrap().unwrap();
    assert_eq!(
        count(&client, "SELECT count(*) FROM messenger_messages").await,
        0
    );
}

#[tokio::test]
async fn a_message_with_no_attempt_left_under_the_policy_is_dead_lettered_unhandled() {
    let (db, client) = database().await;
    let ids = dispatch_emails(&messenger(&db), 1, &DispatchOptions::default()).await;
    // Two attempts were lost already (their leases expired); the policy allows two.
    client
        .execute(
            "UPDATE messenger_messages SET retry_count = 2 WHERE id = $1",
            &[&ids[0]],
        )
        .await
        .unwrap();
    let starts = Starts::default();
    let worker = {
        let starts = starts.clone();
        email_worker(&db)
            .retry_policy(RetryPolicy {
                max_attempts: Some(2),
                ..RetryPolicy::default()
            })
            .handle::<SendEmail, _>(move |_, ctx| {
                let starts = starts.clone();
                async move {
                    starts.record(ctx.message_id());
                    Ok(())
                }
            })
            .build()
            .unwrap()
    };
    let metrics = worker.metrics();
    let (stop, run) = start(worker);
    wait_until(Duration::from_secs(10), "the dead letter", || async {
        metrics.snapshot().dead_lettered == 1
    })
    .await;
    stop.cancel();
    run.await.unwrap().unwrap();
    assert_eq!(starts.total(), 0);
    let (class, message): (Option<String>, String) = {
        let row = client
            .query_one(
                "SELECT error_class, error_message FROM messenger_failed_messages",
                &[],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!(class.as_deref(), Some("AttemptsExhausted"));
    assert_eq!(message, "no attempt left: this would be attempt 3 of 2");
}

#[tokio::test]
async fn a_panicking_handler_fails_its_attempt_and_the_worker_carries_on() {
    let (db, client) = database().await;
    let ids = dispatch_emails(&messenger(&db), 2, &DispatchOptions::default()).await;
    let worker = email_worker(&db)
        .retry_policy(RetryPolicy {
            base: Duration::from_secs(600),
            ..RetryPolicy::default()
        })
        .handle::<SendEmail, _>(|email, _| async move {
            if email.subject == "Message 0" {
                panic!("the template is missing");
            }
            Ok(())
        })
        .build()
        .unwrap();
    let metrics = worker.metrics();
    let (stop, run) = start(worker);
    wait_until(Duration::from_secs(10), "an ack and a retry", || async {
        let m = metrics.snapshot();
        m.acked == 1 && m.retried == 1
    })
    .await;
    stop.cancel();
    run.await.unwrap().unwrap();
    let error: String = client
        .query_one(
            "SELECT last_error FROM messenger_messages WHERE id = $1",
            &[&ids[0]],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(error, "the handler panicked: the template is missing");
}

/// A handler closure that panics before it returns its future (in the call itself, not in the
/// future) fails its attempt the same way: the task must not die holding a lease that the
/// heartbeat would then renew forever.
#[tokio::test]
async fn a_handler_that_panics_before_its_future_fails_its_attempt_too() {
    let (db, client) = database().await;
    let ids = dispatch_emails(&messenger(&db), 2, &DispatchOptions::default()).await;
    let worker = email_worker(&db)
        .retry_policy(RetryPolicy {
            base: Duration::from_secs(600),
            ..RetryPolicy::default()
        })
        .handle::<SendEmail, _>(|email, _| {
            assert_ne!(email.subject, "Message 0", "no future for this one");
            async move { Ok(()) }
        })
        .build()
        .unwrap();
    let metrics = worker.metrics();
    let (stop, run) = start(worker);
    wait_until(Duration::from_secs(10), "an ack and a retry", || async {
        let m = metrics.snapshot();
        m.acked == 1 && m.retried == 1
    })
    .await;
    stop.cancel();
    let report = run.await.unwrap().unwrap();
    assert_eq!(report.still_held, 0);
    let (status, error): (String, String) = client
        .query_one(
            "SELECT status::text, last_error FROM messenger_messages WHERE id = $1",
            &[&ids[0]],
        )
        .await
        .map(|row| (row.get(0), row.get(1)))
        .unwrap();
    assert_eq!(status, "pending");
    assert!(
        error.starts_with(
            "the handler panicked: assertion `left != right` failed: no future for this one"
        ),
        "{error}"
    );
}
