//! Wake-up against a real PostgreSQL: an idle worker that LISTENs starts on a new message within
//! milliseconds; without LISTEN (none configured, or the connection fails) it polls.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use symphony_messenger::dispatch::{DispatchOptions, Messenger};
use symphony_messenger::worker::{Listener, Worker};
use tokio::sync::mpsc;
use tokio_postgres::NoTls;
use tokio_util::sync::CancellationToken;

mod consuming;
mod demo;

use consuming::*;
use demo::messages::{self, SendEmail};

/// Dispatches `samples` messages one at a time to an idle worker and returns, sorted, how long
/// each took from the dispatch call to its handler's start.
async fn latencies(
    messenger: &Messenger,
    builder: symphony_messenger::worker::WorkerBuilder,
    samples: usize,
) -> Vec<Duration> {
    let (started_tx, mut started) = mpsc::unbounded_channel::<Instant>();
    let worker = builder
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
    // A first message shows the worker is up (and listening, if it listens).
    messenger
        .dispatch_json(
            "email",
            "send_email",
            &email(0),
            &DispatchOptions::default(),
        )
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(30), started.recv())
        .await
        .expect("the worker starts");
    let mut measured = Vec::with_capacity(samples);
    for n in 1..=samples {
        // Idle again: the previous message is acked and the worker waits.
        wait_until(Duration::from_secs(10), "the previous ack", || async {
            metrics.snapshot().acked == n as u64
        })
        .await;
        tokio::time::sleep(Duration::from_millis(5)).await;
        let sent = Instant::now();
        messenger
            .dispatch_json(
                "email",
                "send_email",
                &email(n),
                &DispatchOptions::default(),
            )
            .await
            .unwrap();
        let handled = tokio::time::timeout(Duration::from_secs(10), started.recv())
            .await
            .expect("the handler starts")
            .unwrap();
        measured.push(handled - sent);
    }
    stop.cancel();
    run.await.unwrap().unwrap();
    measured.sort();
    measured
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

#[tokio::test]
async fn an_idle_listening_worker_starts_a_new_message_within_50_ms() {
    let (db, _client) = database().await;
    let listener = Listener::new(db.url().parse().unwrap(), NoTls);
    let builder = Worker::builder(pool(&db, 4), messages::registry(), "email")
        // Polling alone would take seconds: only the notification can be this fast.
        .poll_interval(Duration::from_secs(10))
        .hot_polling(Duration::ZERO, Duration::ZERO)
        .listen(listener);
    let sorted = latencies(&messenger(&db), builder, 100).await;
    let (p50, p99) = (percentile(&sorted, 0.5), percentile(&sorted, 0.99));
    eprintln!(
        "LISTEN: p50 {p50:?}, p99 {p99:?}, max {:?}",
        sorted[sorted.len() - 1]
    );
    assert!(p50 <= Duration::from_millis(50), "p50 {p50:?}");
}

#[tokio::test]
async fn a_worker_without_listen_starts_a_new_message_within_its_poll_interval() {
    let (db, _client) = database().await;
    let poll = Duration::from_millis(100);
    let builder = Worker::builder(pool(&db, 4), messages::registry(), "email")
        .poll_interval(poll)
        .hot_polling(Duration::ZERO, Duration::ZERO);
    let sorted = latencies(&messenger(&db), builder, 30).await;
    let (p50, max) = (percentile(&sorted, 0.5), sorted[sorted.len() - 1]);
    eprintln!("polling every {poll:?}: p50 {p50:?}, max {max:?}");
    assert!(p50 <= poll + Duration::from_millis(50), "p50 {p50:?}");
}

#[tokio::test]
async fn a_listener_that_cannot_connect_falls_back_to_polling() {
    let (db, _client) = database().await;
    // Nothing listens on port 1.
    let unreachable = "postgres://postgres@127.0.0.1:1/postgres".parse().unwrap();
    let poll = Duration::from_millis(100);
    let builder = Worker::builder(pool(&db, 4), messages::registry(), "email")
        .poll_interval(poll)
        .hot_polling(Duration::ZERO, Duration::ZERO)
        .listen(Listener::new(unreachable, NoTls));
    let sorted = latencies(&messenger(&db), builder, 10).await;
    let p50 = percentile(&sorted, 0.5);
    assert!(p50 <= poll + Duration::from_millis(50), "p50 {p50:?}");
}

#[tokio::test]
async fn notifications_are_sent_once_per_statement_transport_and_queue() {
    let (db, _client) = database().await;
    let (listener_client, mut connection) = tokio_postgres::connect(db.url(), NoTls).await.unwrap();
    let received = Arc::new(Mutex::new(Vec::<String>::new()));
    {
        let received = received.clone();
        tokio::spawn(async move {
            while let Some(Ok(message)) =
                std::future::poll_fn(|cx| connection.poll_message(cx)).await
            {
                if let tokio_postgres::AsyncMessage::Notification(n) = message {
                    received.lock().unwrap().push(n.payload().to_owned());
                }
            }
        });
    }
    listener_client
        .batch_execute("LISTEN symphony_messenger")
        .await
        .unwrap();
    let messenger = messenger(&db);
    // 300 messages in one statement, to two queues, plus a delayed one: two notifications.
    let mut items = Vec::new();
    for n in 0..300 {
        items.push(symphony_messenger::dispatch::BatchItem {
            transport: "email".into(),
            message_type: "send_email".into(),
            body: email(n),
            options: DispatchOptions {
                queue: if n % 2 == 0 { "a" } else { "b" }.into(),
                ..DispatchOptions::default()
            },
        });
    }
    items.push(symphony_messenger::dispatch::BatchItem {
        transport: "email".into(),
        message_type: "send_email".into(),
        body: email(300),
        options: DispatchOptions {
            delay: Some(Duration::from_secs(3600)),
            ..DispatchOptions::default()
        },
    });
    messenger.dispatch_batch(&items).await.unwrap();
    // A delayed message alone notifies nobody.
    messenger
        .dispatch_json(
            "email",
            "send_email",
            &email(301),
            &DispatchOptions {
                delay: Some(Duration::from_secs(3600)),
                ..DispatchOptions::default()
            },
        )
        .await
        .unwrap();
    wait_until(Duration::from_secs(10), "the two notifications", || async {
        received.lock().unwrap().len() >= 2
    })
    .await;
    // Anything else would arrive right behind them.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut got = received.lock().unwrap().clone();
    got.sort();
    assert_eq!(got, ["email:a", "email:b"]);
}

#[tokio::test]
async fn concurrent_producers_notify_once_and_the_skipped_message_is_still_started_at_once() {
    let (db, _client) = database().await;
    let (listener_client, mut connection) = tokio_postgres::connect(db.url(), NoTls).await.unwrap();
    let received = Arc::new(Mutex::new(Vec::<String>::new()));
    {
        let received = received.clone();
        tokio::spawn(async move {
            while let Some(Ok(message)) =
                std::future::poll_fn(|cx| connection.poll_message(cx)).await
            {
                if let tokio_postgres::AsyncMessage::Notification(n) = message {
                    received.lock().unwrap().push(n.payload().to_owned());
                }
            }
        });
    }
    listener_client
        .batch_execute("LISTEN symphony_messenger")
        .await
        .unwrap();
    let (started_tx, mut started) = mpsc::unbounded_channel::<(i64, Instant)>();
    let worker = Worker::builder(pool(&db, 4), messages::registry(), "email")
        .poll_interval(Duration::from_secs(10))
        .listen(Listener::new(db.url().parse().unwrap(), NoTls))
        .handle::<SendEmail, _>(move |_, ctx| {
            let started_tx = started_tx.clone();
            async move {
                let _ = started_tx.send((ctx.message_id(), Instant::now()));
                Ok(())
            }
        })
        .build()
        .unwrap();
    let stop = CancellationToken::new();
    let run = tokio::spawn(worker.run(stop.clone().cancelled_owned()));
    // Let the worker start listening: its listener's probe (a notification on the same
    // channel) has arrived.
    wait_until(Duration::from_secs(10), "the worker's probe", || async {
        received
            .lock()
            .unwrap()
            .iter()
            .any(|p| p.starts_with("?probe"))
    })
    .await;
    received.lock().unwrap().clear();

    let mut first = db.client().await;
    let mut second = db.client().await;
    let validators = messages::registry().validators();
    let options = DispatchOptions::default();
    let tx1 = first.transaction().await.unwrap();
    let a = symphony_messenger::dispatch::dispatch_json_with(
        &tx1,
        validators,
        "email",
        "send_email",
        &email(1),
        &options,
    )
    .await
    .unwrap();
    let tx2 = second.transaction().await.unwrap();
    let b = symphony_messenger::dispatch::dispatch_json_with(
        &tx2,
        validators,
        "email",
        "send_email",
        &email(2),
        &options,
    )
    .await
    .unwrap();
    tx1.commit().await.unwrap();
    // b commits after a's notification has gone out: it sends none of its own.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let committed = Instant::now();
    tx2.commit().await.unwrap();
    let mut starts = std::collections::HashMap::new();
    while starts.len() < 2 {
        let (id, at) = tokio::time::timeout(Duration::from_secs(5), started.recv())
            .await
            .expect("both messages start")
            .unwrap();
        starts.insert(id, at);
    }
    stop.cancel();
    run.await.unwrap().unwrap();
    assert_eq!(
        received.lock().unwrap().clone(),
        ["email:default"],
        "one notification for two concurrent transactions"
    );
    let waited = starts[&b.id] - committed;
    assert!(
        waited < Duration::from_millis(200),
        "the message without a notification waited {waited:?}"
    );
    assert!(starts.contains_key(&a.id));
}
