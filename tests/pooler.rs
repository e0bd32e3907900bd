//! Dispatch and consume through PgBouncer in transaction mode (what Supabase's pooler is), where
//! named prepared statements, session state and LISTEN do not work: statements are sent unnamed
//! (`StatementMode::Unnamed`) and the worker polls, also when it is given a listener pointed at
//! the pooler. (Whether that listener's probe notices that notifications do not arrive depends
//! on which server connection PgBouncer lends it: when LISTEN and the probe's NOTIFY share one,
//! the probe comes back. Nothing here relies on the probe: polling carries on either way.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use messenger_test_support::PgBouncer;
use serde_json::json;
use symphony_messenger::dispatch::{BatchItem, DispatchOptions, Messenger};
use symphony_messenger::error::MessengerError;
use symphony_messenger::statements::StatementMode;
use symphony_messenger::worker::{Consumer, HandlerError, Jitter, Listener, RetryPolicy, Worker};
use tokio_postgres::NoTls;
use tokio_util::sync::CancellationToken;

mod consuming;
mod demo;

use consuming::*;
use demo::messages::{self, SendEmail};

/// A pool of `size` connections through the bouncer (no session options: a transaction-mode
/// pooler cannot keep them).
fn pooled(
    bouncer: &PgBouncer,
    db: &messenger_test_support::TestDb,
    size: usize,
) -> deadpool_postgres::Pool {
    let mut config = deadpool_postgres::Config::new();
    config.url = Some(bouncer.url(db.name()));
    config.pool = Some(deadpool_postgres::PoolConfig::new(size));
    config
        .create_pool(Some(deadpool_postgres::Runtime::Tokio1), NoTls)
        .expect("a pool")
}

/// How many named prepared statements the sessions of `pool` hold (asked with the simple query
/// protocol, which prepares nothing itself).
async fn named_statements(pool: &deadpool_postgres::Pool) -> usize {
    let client = pool.get().await.unwrap();
    let messages = client
        .simple_query("SELECT count(*) FROM pg_prepared_statements")
        .await
        .unwrap();
    messages
        .iter()
        .find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
            _ => None,
        })
        .and_then(|n| n.parse().ok())
        .unwrap()
}

#[tokio::test]
async fn unnamed_statements_leave_no_prepared_statement_in_the_session() {
    let (db, _client) = database().await;
    // One connection, direct: what the session holds after each mode is visible.
    for (mode, expect_named) in [
        (StatementMode::Unnamed, false),
        (StatementMode::Prepared, true),
    ] {
        let pool = pool(&db, 1);
        let messenger =
            Messenger::new(pool.clone(), messages::registry()).with_statement_mode(mode);
        dispatch_emails(&messenger, 3, &DispatchOptions::default()).await;
        let consumer = Consumer::new(pool.clone(), "email", "w").with_statement_mode(mode);
        let claimed = consumer
            .claim("default", 3, Duration::from_secs(30))
            .await
            .unwrap();
        consumer
            .ack_many(&claimed.iter().map(|d| d.lease).collect::<Vec<_>>())
            .await
            .unwrap();
        assert_eq!(named_statements(&pool).await > 0, expect_named, "{mode:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bouncer_really_is_in_transaction_mode_named_statements_break_through_it() {
    let bouncer = PgBouncer::start().await;
    let (db, _client) = database().await;
    // The default mode: deadpool's cached named statements, prepared in one round trip and
    // used in the next, which the bouncer may send to another server connection.
    let messenger = Messenger::new(pooled(&bouncer, &db, 8), messages::registry());
    let results = futures::future::join_all((0..200).map(|n| {
        let messenger = messenger.clone();
        async move {
            messenger
                .dispatch_json(
                    "email",
                    "send_email",
                    &email(n),
                    &DispatchOptions::default(),
                )
                .await
        }
    }))
    .await;
    let broken = results
        .iter()
        .filter(|r| {
            r.as_ref()
                .is_err_and(|e| e.to_string().contains("prepared statement"))
        })
        .count();
    assert!(
        broken > 0,
        "no named statement broke: is the bouncer in transaction mode?"
    );
}

#[tokio::test]
async fn dispatch_works_through_a_transaction_mode_pooler() {
    let bouncer = PgBouncer::start().await;
    let (db, client) = database().await;
    let messenger = Messenger::new(pooled(&bouncer, &db, 4), messages::registry())
        .with_statement_mode(StatementMode::Unnamed);
    let options = DispatchOptions::default();
    let one = messenger
        .dispatch_json("email", "send_email", &email(1), &options)
        .await
        .unwrap();
    let keyed = DispatchOptions {
        idempotency_key: Some("once".into()),
        ..DispatchOptions::default()
    };
    let first = messenger
        .dispatch_json("email", "send_email", &email(2), &keyed)
        .await
        .unwrap();
    let again = messenger
        .dispatch_json("email", "send_email", &email(3), &keyed)
        .await
        .unwrap();
    assert!(first.inserted && !again.inserted);
    assert_eq!(first.id, again.id);
    let uniform = dispatch_emails(&messenger, 500, &options).await;
    let mixed: Vec<BatchItem> = (0..10)
        .map(|n| BatchItem {
            transport: "email".into(),
            message_type: "send_email".into(),
            body: email(n),
            options: DispatchOptions {
                priority: 1 + (n % 10) as i16,
                ..DispatchOptions::default()
            },
        })
        .collect();
    let mixed = messenger.dispatch_batch(&mixed).await.unwrap();
    // Many concurrent dispatches share the bouncer's server connections.
    let concurrent = futures::future::join_all((0..50).map(|n| {
        let messenger = messenger.clone();
        async move {
            messenger
                .dispatch_json(
                    "email",
                    "send_email",
                    &email(n),
                    &DispatchOptions::default(),
                )
                .await
                .unwrap()
        }
    }))
    .await;
    assert_eq!(concurrent.len(), 50);
    // Refusals are unchanged behind a pooler.
    let err = messenger
        .dispatch_json("email", "send_email", &json!({"subject": 1}), &options)
        .await
        .unwrap_err();
    assert!(matches!(err, MessengerError::Validation { .. }), "{err}");
    assert_eq!(
        count(&client, "SELECT count(*) FROM messenger_messages").await,
        (2 + uniform.len() + mixed.len() + 50) as i64
    );
    assert!(one.inserted);
}

#[tokio::test]
async fn a_worker_consumes_through_a_transaction_mode_pooler() {
    let bouncer = PgBouncer::start().await;
    let (db, client) = database().await;
    client
        .batch_execute("CREATE TABLE outbox (message_id bigint PRIMARY KEY)")
        .await
        .unwrap();
    let messenger = Messenger::new(pooled(&bouncer, &db, 4), messages::registry())
        .with_statement_mode(StatementMode::Unnamed);
    let ids = dispatch_emails(&messenger, 300, &DispatchOptions::default()).await;
    let handled: Arc<Mutex<HashMap<i64, u32>>> = Arc::default();
    let app_pool = pooled(&bouncer, &db, 4);
    let build = |name: &str| {
        let handled = handled.clone();
        let app_pool = app_pool.clone();
        Worker::builder(pooled(&bouncer, &db, 6), messages::registry(), "email")
            .name(name)
            .statement_mode(StatementMode::Unnamed)
            .batch_size(20)
            .concurrency(10)
            .lease(Duration::from_secs(2))
            .poll_interval(Duration::from_millis(50))
            .rescue_interval(Duration::from_millis(200))
            .retry_policy(RetryPolicy {
                base: Duration::from_millis(20),
                jitter: Jitter::None,
                ..RetryPolicy::default()
            })
            // Pointed at the pooler, LISTEN delivers nothing once PgBouncer lends its server
            // connection to another client; the worker keeps polling.
            .listen(
                Listener::new(bouncer.url(db.name()).parse().unwrap(), NoTls)
                    .with_probe_timeout(Duration::from_millis(500)),
            )
            .handle::<SendEmail, _>(move |email, ctx| {
                let handled = handled.clone();
                let app_pool = app_pool.clone();
                async move {
                    let attempt = {
                        let mut handled = handled.lock().unwrap();
                        let n = handled.entry(ctx.message_id()).or_default();
                        *n += 1;
                        *n
                    };
                    // Every tenth message fails once; message 7 always fails.
                    if email.subject == "Message 7" {
                        return Err(HandlerError::msg("always").permanent());
                    }
                    if ctx.message_id() % 10 == 0 && attempt == 1 {
                        return Err(HandlerError::msg("once"));
                    }
                    // Do the work and ack in one transaction, through the pooler.
                    let mut client = app_pool.get().await.map_err(HandlerError::msg)?;
                    let tx = client.transaction().await?;
                    tx.execute("INSERT INTO outbox VALUES ($1)", &[&ctx.message_id()])
                        .await?;
                    ctx.ack_in(&tx).await.map_err(HandlerError::msg)?;
                    tx.commit().await?;
                    Ok(())
                }
            })
            .build()
            .unwrap()
    };
    let workers = [build("a"), build("b")];
    let metrics: Vec<_> = workers.iter().map(Worker::metrics).collect();
    let mut running = Vec::new();
    for worker in workers {
        let stop = CancellationToken::new();
        running.push((
            stop.clone(),
            tokio::spawn(worker.run(stop.cancelled_owned())),
        ));
    }
    wait_until(
        Duration::from_secs(60),
        "299 acks and a dead letter",
        || async {
            let acked: u64 = metrics.iter().map(|m| m.snapshot().acked).sum();
            let dead: u64 = metrics.iter().map(|m| m.snapshot().dead_lettered).sum();
            acked == 299 && dead == 1
        },
    )
    .await;
    for (stop, run) in running {
        stop.cancel();
        let report = run.await.unwrap().unwrap();
        assert_eq!(report.still_held, 0);
    }
    assert_eq!(count(&client, "SELECT count(*) FROM outbox").await, 299);
    assert_eq!(
        count(
            &client,
            "SELECT count(*) FROM messenger_messages WHERE status = 'completed'"
        )
        .await,
        299
    );
    let retried: u64 = metrics.iter().map(|m| m.snapshot().retried).sum();
    assert_eq!(
        retried,
        ids.iter().filter(|id| *id % 10 == 0).count() as u64
    );
    assert_eq!(
        count(&client, "SELECT count(*) FROM messenger_failed_messages").await,
        1
    );
}

#[tokio::test]
async fn fencing_holds_through_a_transaction_mode_pooler() {
    let bouncer = PgBouncer::start().await;
    let (db, client) = database().await;
    let pool = pooled(&bouncer, &db, 4);
    let messenger = Messenger::new(pool.clone(), messages::registry())
        .with_statement_mode(StatementMode::Unnamed);
    let id = dispatch_emails(&messenger, 1, &DispatchOptions::default()).await[0];
    let a =
        Consumer::new(pool.clone(), "email", "same").with_statement_mode(StatementMode::Unnamed);
    let b =
        Consumer::new(pool.clone(), "email", "same").with_statement_mode(StatementMode::Unnamed);
    let lease_a = a
        .claim("default", 1, Duration::from_secs(30))
        .await
        .unwrap()[0]
        .lease;
    client
        .execute(
            "UPDATE messenger_messages SET lock_expires_at = now() - interval '1 second' WHERE id = $1",
            &[&id],
        )
        .await
        .unwrap();
    assert_eq!(b.rescue_expired(10).await.unwrap().rescued, [id]);
    let lease_b = b
        .claim("default", 1, Duration::from_secs(30))
        .await
        .unwrap()[0]
        .lease;
    assert!(matches!(
        a.ack(lease_a).await,
        Err(MessengerError::LeaseLost { .. })
    ));
    assert!(matches!(
        a.retry(lease_a, Duration::ZERO, "stale").await,
        Err(MessengerError::LeaseLost { .. })
    ));
    assert_eq!(
        a.renew(&[lease_a], Duration::from_secs(30))
            .await
            .unwrap()
            .lost,
        [lease_a]
    );
    b.ack(lease_b).await.unwrap();
    assert_eq!(
        count(
            &client,
            "SELECT count(*) FROM messenger_messages WHERE status = 'completed'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn through_the_pooler_a_polling_worker_starts_within_its_poll_interval() {
    let bouncer = PgBouncer::start().await;
    let (db, _client) = database().await;
    let messenger = Messenger::new(pooled(&bouncer, &db, 2), messages::registry())
        .with_statement_mode(StatementMode::Unnamed);
    let poll = Duration::from_millis(100);
    let (started_tx, mut started) = tokio::sync::mpsc::unbounded_channel::<Instant>();
    let worker = Worker::builder(pooled(&bouncer, &db, 4), messages::registry(), "email")
        .statement_mode(StatementMode::Unnamed)
        .poll_interval(poll)
        .hot_polling(Duration::ZERO, Duration::ZERO)
        .handle::<SendEmail, _>(move |_, _| {
            let started_tx = started_tx.clone();
            async move {
                let _ = started_tx.send(Instant::now());
                Ok(())
            }
        })
        .build()
        .unwrap();
    let metrics = worker.metrics();
    let stop = CancellationToken::new();
    let run = tokio::spawn(worker.run(stop.clone().cancelled_owned()));
    let mut latencies = Vec::new();
    for n in 0..20u64 {
        wait_until(Duration::from_secs(10), "the previous ack", || async {
            metrics.snapshot().acked == n
        })
        .await;
        let sent = Instant::now();
        messenger
            .dispatch_json(
                "email",
                "send_email",
                &email(n as usize),
                &DispatchOptions::default(),
            )
            .await
            .unwrap();
        let handled = tokio::time::timeout(Duration::from_secs(10), started.recv())
            .await
            .unwrap()
            .unwrap();
        latencies.push(handled - sent);
    }
    stop.cancel();
    run.await.unwrap().unwrap();
    latencies.sort();
    let p50 = latencies[latencies.len() / 2];
    eprintln!(
        "through PgBouncer, polling every {poll:?}: p50 {p50:?}, max {:?}",
        latencies[latencies.len() - 1]
    );
    assert!(p50 <= poll + Duration::from_millis(50), "p50 {p50:?}");
}
