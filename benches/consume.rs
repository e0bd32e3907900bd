//! Consuming: claim + ack throughput of the worker with a no-op handler, and the latency from
//! dispatch to handler start on an idle worker, each against its raw baseline in the same run.
//!
//! Run: `cargo bench --bench consume` (needs PostgreSQL at DATABASE_URL, default
//! postgres://postgres@127.0.0.1:5432/postgres). Prints Markdown tables for BENCHMARKS.md.
//!
//! Throughput: 4 workers (each its own pool) against 4 raw tokio-postgres clients that loop over
//! the same claim statement and one batched, fenced ack per claimed batch
//! (`WHERE id = ANY($1) AND lease_token = ANY($2)`), at batch sizes 1, 10 and 100. Each starts
//! from a freshly filled queue. Paired rounds (raw and ours back to back, order alternating):
//! medians of the throughputs and of the per-round ratios are reported, so that load from other
//! processes on the machine shifts both sides of a ratio alike.
//!
//! Wake-up: dispatch → handler start on an idle worker, with LISTEN and with polling, against a
//! raw consumer (the same claim statement on a plain client, woken by the same notification or
//! polling at the same interval), measured the same way. And what the notification costs
//! producers: 16 concurrent dispatchers with the trigger as migrated, without it, and with a
//! NOTIFY in every transaction.

use std::time::{Duration, Instant};

use messenger_test_support::TestDb;
use serde_json::{Value, json};
use symphony_messenger::dispatch::{BatchItem, DispatchOptions, Messenger};
use symphony_messenger::queries::sql::consume::CLAIM_BATCH;
use symphony_messenger::worker::{HandlerError, Listener, Retention, Worker};
use tokio::sync::mpsc;
use tokio_postgres::{Client, NoTls};
use tokio_util::sync::CancellationToken;

/// The demo application's generated module: the runtime compiles in no message type.
#[path = "../examples/demo/generated/rust/messages.rs"]
mod messages;

/// Workers and raw clients.
const CONSUMERS: usize = 4;
/// Connections in each worker's pool (all opened before the clock starts).
const POOL_SIZE: usize = 6;
/// Paired rounds per measurement (medians are reported).
const ROUNDS: usize = 5;
/// The raw ack: the fenced batch ack, without RETURNING (the raw side need not know which
/// messages it lost).
const RAW_ACK: &str = "UPDATE messenger_messages
    SET status = 'completed', processed_at = now(), locked_by = NULL, locked_at = NULL,
        lock_expires_at = NULL, lease_token = NULL
  WHERE id = ANY ($1) AND lease_token = ANY ($2) AND status = 'processing'";

fn email(n: usize) -> Value {
    json!({
        "message_id": format!("00000000-0000-4000-8000-{n:012}"),
        "to_address": format!("user{n}@example.com"),
        "subject": format!("Order {n} shipped"),
        "body_text": "Your order is on its way."
    })
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

async fn connect(url: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

fn pool(url: &str, size: usize) -> deadpool_postgres::Pool {
    let mut config = deadpool_postgres::Config::new();
    config.url = Some(url.to_owned());
    config.pool = Some(deadpool_postgres::PoolConfig::new(size));
    config
        .create_pool(Some(deadpool_postgres::Runtime::Tokio1), NoTls)
        .unwrap()
}

/// Empties the queue and fills it with `count` emails (untimed).
async fn refill(client: &Client, messenger: &Messenger, count: usize) {
    // One statement per call: VACUUM cannot run in the implicit transaction of a multi-statement
    // query.
    for sql in [
        "TRUNCATE messenger_failed_messages, messenger_messages",
        "VACUUM ANALYZE messenger_messages",
    ] {
        client.batch_execute(sql).await.unwrap();
    }
    let items: Vec<BatchItem> = (0..count)
        .map(|n| BatchItem {
            transport: "email".into(),
            message_type: "send_email".into(),
            body: email(n),
            options: DispatchOptions::default(),
        })
        .collect();
    for chunk in items.chunks(1000) {
        messenger.dispatch_batch(chunk).await.unwrap();
    }
    for sql in ["VACUUM ANALYZE messenger_messages", "CHECKPOINT"] {
        client.batch_execute(sql).await.unwrap();
    }
}

/// The raw baseline: `CONSUMERS` clients claiming `batch` at a time and acking each claimed
/// batch with one statement, until the queue is empty. Returns jobs/s.
async fn raw(url: &str, batch: usize, count: usize) -> f64 {
    let mut clients = Vec::new();
    for _ in 0..CONSUMERS {
        let client = connect(url).await;
        let claim = client
            .prepare_typed(
                CLAIM_BATCH.text,
                &CLAIM_BATCH
                    .params
                    .iter()
                    .map(|(_, t)| t.clone())
                    .collect::<Vec<_>>(),
            )
            .await
            .unwrap();
        let ack = client.prepare(RAW_ACK).await.unwrap();
        clients.push((client, claim, ack));
    }
    let start = Instant::now();
    let tasks: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(i, (client, claim, ack))| {
            tokio::spawn(async move {
                let worker = format!("raw-{i}");
                let decode = std::env::var_os("CONSUME_RAW_DECODES").is_some();
                let validators = messages::registry().validators();
                let (size, lease) = (batch as i64, 30.0f64);
                let mut done = 0usize;
                loop {
                    let rows = client
                        .query(&claim, &[&"email", &"default", &size, &worker, &lease])
                        .await
                        .unwrap();
                    if rows.is_empty() {
                        return done;
                    }
                    if decode {
                        // What any validating consumer does with each row (a diagnostic:
                        // `CONSUME_RAW_DECODES=1`).
                        for row in &rows {
                            let body: Value = row.get("body");
                            let headers: Value = row.get("headers");
                            let metadata: Value = row.get("metadata");
                            validators.validate("email", "send_email", &body).unwrap();
                            let email: messages::SendEmail = serde_json::from_value(body).unwrap();
                            std::hint::black_box((email, headers, metadata));
                        }
                    }
                    let ids: Vec<i64> = rows.iter().map(|r| r.get("id")).collect();
                    let tokens: Vec<i64> = rows.iter().map(|r| r.get("lease_token")).collect();
                    done += client.execute(&ack, &[&ids, &tokens]).await.unwrap() as usize;
                }
            })
        })
        .collect();
    let mut done = 0;
    for task in tasks {
        done += task.await.unwrap();
    }
    let elapsed = start.elapsed();
    assert_eq!(done, count);
    count as f64 / elapsed.as_secs_f64()
}

/// Ours: `CONSUMERS` workers with a no-op typed handler, claiming `batch` at a time (as many
/// running, as many waiting), until every message is acked. Returns jobs/s.
async fn ours(url: &str, batch: usize, count: usize, retention: Retention) -> f64 {
    // Connected before the clock starts, as the raw clients are.
    let mut pools = Vec::new();
    for _ in 0..CONSUMERS {
        let pool = pool(url, POOL_SIZE);
        let held = futures::future::join_all((0..POOL_SIZE).map(|_| pool.get())).await;
        assert!(held.iter().all(Result::is_ok), "connecting the pool");
        drop(held);
        pools.push(pool);
    }
    let workers: Vec<Worker> = pools
        .into_iter()
        .map(|pool| {
            Worker::builder(pool, messages::registry(), "email")
                .batch_size(batch)
                .concurrency(batch)
                .prefetch(batch)
                .retention(retention)
                .handle::<messages::SendEmail, _>(|_, _| async { Ok::<(), HandlerError>(()) })
                .build()
                .unwrap()
        })
        .collect();
    let metrics: Vec<_> = workers.iter().map(Worker::metrics).collect();
    let stop = CancellationToken::new();
    let start = Instant::now();
    let running: Vec<_> = workers
        .into_iter()
        .map(|w| tokio::spawn(w.run(stop.clone().cancelled_owned())))
        .collect();
    // Coarse checks until the last 2 %, then fine ones: a check every 0.5 ms throughout would
    // cost the machine as much as a worker's per-message work at batch 1 (the raw side just
    // awaits its tasks).
    loop {
        let acked = metrics.iter().map(|m| m.snapshot().acked).sum::<u64>();
        if acked >= count as u64 {
            break;
        }
        let pause = if acked * 50 < count as u64 * 49 {
            5_000
        } else {
            500
        };
        tokio::time::sleep(Duration::from_micros(pause)).await;
    }
    let elapsed = start.elapsed();
    stop.cancel();
    for run in running {
        run.await.unwrap().unwrap();
    }
    count as f64 / elapsed.as_secs_f64()
}

/// The median of `values`.
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

async fn throughput(url: &str, client: &Client, messenger: &Messenger) {
    let per_core = |jobs: f64| jobs / cores() as f64;
    println!(
        "| batch | ours (jobs/s) | ours per core | raw claim + batched ack (jobs/s) | raw per core | ratio (median of rounds) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    let mut delete_rows = Vec::new();
    // `CONSUME_BATCH=100 cargo bench --bench consume` measures one batch size only.
    let only: Option<usize> = std::env::var("CONSUME_BATCH").ok().map(|v| {
        v.parse()
            .expect("CONSUME_BATCH is a batch size: 1, 10 or 100")
    });
    let mut cpu_rows = Vec::new();
    for (batch, count) in [(1, 5_000), (10, 20_000), (100, 60_000)] {
        if only.is_some_and(|b| b != batch) {
            continue;
        }
        // Paired rounds: raw and ours run back to back (in alternating order), so a burst of
        // load on the machine hits one pair rather than one side; each round's ratio counts.
        let (mut ours_all, mut raw_all, mut delete_all) = (Vec::new(), Vec::new(), Vec::new());
        let (mut ratios, mut delete_ratios) = (Vec::new(), Vec::new());
        let (mut ours_cpu, mut raw_cpu) = (Vec::new(), Vec::new());
        let (mut ours_statements, mut raw_statements) = (Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            let run = |which: usize| async move {
                refill(client, messenger, count).await;
                let statements = committed(client).await;
                let cpu = process_cpu_seconds();
                let rate = match which {
                    0 => raw(url, batch, count).await,
                    1 => ours(url, batch, count, Retention::default()).await,
                    _ => ours(url, batch, count, Retention::Delete).await,
                };
                let cpu = (process_cpu_seconds() - cpu) / count as f64 * 1e6;
                let statements = (committed(client).await - statements) as f64;
                (rate, cpu, statements / count as f64 * 1000.0)
            };
            let order: [usize; 3] = if round % 2 == 0 { [0, 1, 2] } else { [2, 1, 0] };
            let mut measured = [0.0f64; 3];
            for which in order {
                let (rate, cpu, statements) = run(which).await;
                measured[which] = rate;
                match which {
                    0 => {
                        raw_cpu.push(cpu);
                        raw_statements.push(statements);
                    }
                    1 => {
                        ours_cpu.push(cpu);
                        ours_statements.push(statements);
                    }
                    _ => {}
                }
            }
            let [raw_rate, ours_rate, delete_rate] = measured;
            raw_all.push(raw_rate);
            ours_all.push(ours_rate);
            delete_all.push(delete_rate);
            ratios.push(ours_rate / raw_rate);
            delete_ratios.push(delete_rate / raw_rate);
        }
        let (ours, raw) = (median(&mut ours_all), median(&mut raw_all));
        println!(
            "| {batch} | {ours:.0} | {:.0} | {raw:.0} | {:.0} | **{:.2}** (rounds: {}) |",
            per_core(ours),
            per_core(raw),
            median(&mut ratios.clone()),
            ratios
                .iter()
                .map(|r| format!("{r:.2}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        delete_rows.push((batch, median(&mut delete_all), median(&mut delete_ratios)));
        cpu_rows.push((
            batch,
            median(&mut ours_cpu),
            median(&mut raw_cpu),
            median(&mut ours_statements),
            median(&mut raw_statements),
        ));
    }
    println!();
    println!("Acks that delete (`Retention::Delete`) instead of marking completed:");
    println!();
    println!("| batch | ours, deleting (jobs/s) | per core | ratio to the raw (marking), median |");
    println!("|---:|---:|---:|---:|");
    for (batch, ours, ratio) in delete_rows {
        println!(
            "| {batch} | {ours:.0} | {:.0} | {ratio:.2} |",
            per_core(ours)
        );
    }
    println!();
    println!(
        "(diagnostic) CPU time of this process (the consumers' side; PostgreSQL runs on the same cores) per job, medians:"
    );
    println!();
    println!(
        "| batch | ours (marking) | raw | ours: transactions per 1,000 jobs | raw: transactions per 1,000 jobs |"
    );
    println!("|---:|---:|---:|---:|---:|");
    for (batch, ours, raw, ours_statements, raw_statements) in cpu_rows {
        println!(
            "| {batch} | {ours:.1} µs | {raw:.1} µs | {ours_statements:.0} | {raw_statements:.0} |"
        );
    }
}

/// Transactions committed in the bench's database so far (every statement of both sides is a
/// transaction of its own). The server publishes its counters about once a second.
async fn committed(client: &Client) -> i64 {
    tokio::time::sleep(Duration::from_millis(1100)).await;
    client
        .batch_execute("SELECT pg_stat_clear_snapshot()")
        .await
        .unwrap();
    client
        .query_one(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

/// User + system CPU seconds this process has used (Linux: `/proc/self/stat`, in clock ticks
/// of 1/100 s).
fn process_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat (Linux)");
    // The fields after the command name, which is in parentheses and may contain spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| fields[i].parse::<f64>().expect("a tick count");
    // utime and stime are fields 14 and 15 of stat(5), 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// Dispatch → handler start on an idle worker, `samples` times; sorted.
async fn worker_latency(
    url: &str,
    messenger: &Messenger,
    poll: Duration,
    listen: bool,
    samples: usize,
) -> Vec<Duration> {
    let (started_tx, mut started) = mpsc::unbounded_channel::<Instant>();
    // Without hot polling: what the notification or the poll alone achieves (samples come
    // 20 ms apart, within the second of hot polling that would follow each message).
    let mut builder = Worker::builder(pool(url, 4), messages::registry(), "email")
        .poll_interval(poll)
        .hot_polling(Duration::ZERO, Duration::ZERO)
        .handle::<messages::SendEmail, _>(move |_, _| {
            let started_tx = started_tx.clone();
            async move {
                let _ = started_tx.send(Instant::now());
                Ok::<(), HandlerError>(())
            }
        });
    if listen {
        builder = builder.listen(Listener::new(url.parse().unwrap(), NoTls));
    }
    let worker = builder.build().unwrap();
    let metrics = worker.metrics();
    let stop = CancellationToken::new();
    let run = tokio::spawn(worker.run(stop.clone().cancelled_owned()));
    let options = DispatchOptions::default();
    messenger
        .dispatch_json("email", "send_email", &email(0), &options)
        .await
        .unwrap();
    started.recv().await.unwrap();
    let mut latencies = Vec::with_capacity(samples);
    for n in 1..=samples {
        while metrics.snapshot().acked < n as u64 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        // Idle: the worker has found the queue empty and waits.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let sent = Instant::now();
        messenger
            .dispatch_json("email", "send_email", &email(n), &options)
            .await
            .unwrap();
        latencies.push(started.recv().await.unwrap() - sent);
    }
    stop.cancel();
    run.await.unwrap().unwrap();
    latencies.sort();
    latencies
}

/// The raw baseline of wake-up: a plain tokio-postgres consumer that claims one message at a
/// time with the same statement — on every notification of its LISTEN connection when
/// `listen`, else every `poll` — and counts a message as started when its claim returns; the
/// same protocol as [`worker_latency`]; sorted.
async fn raw_latency(
    url: &str,
    messenger: &Messenger,
    poll: Duration,
    listen: bool,
    samples: usize,
) -> Vec<Duration> {
    let (listener, mut connection) = tokio_postgres::connect(url, NoTls).await.unwrap();
    let notified = std::sync::Arc::new(tokio::sync::Notify::new());
    {
        let notified = notified.clone();
        tokio::spawn(async move {
            while let Some(Ok(message)) =
                std::future::poll_fn(|cx| connection.poll_message(cx)).await
            {
                if let tokio_postgres::AsyncMessage::Notification(_) = message {
                    notified.notify_one();
                }
            }
        });
    }
    if listen {
        listener
            .batch_execute("LISTEN symphony_messenger")
            .await
            .unwrap();
    }
    let client = connect(url).await;
    let (started_tx, mut started) = mpsc::unbounded_channel::<Instant>();
    let stop = CancellationToken::new();
    let consumer = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let types: Vec<_> = CLAIM_BATCH.params.iter().map(|(_, t)| t.clone()).collect();
            let claim = client
                .prepare_typed(CLAIM_BATCH.text, &types)
                .await
                .unwrap();
            let ack = client.prepare(RAW_ACK).await.unwrap();
            loop {
                let rows = client
                    .query(&claim, &[&"email", &"default", &1i64, &"raw", &30.0f64])
                    .await
                    .unwrap();
                if let Some(row) = rows.first() {
                    let _ = started_tx.send(Instant::now());
                    let ids = vec![row.get::<_, i64>("id")];
                    let tokens = vec![row.get::<_, i64>("lease_token")];
                    client.execute(&ack, &[&ids, &tokens]).await.unwrap();
                    continue;
                }
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = notified.notified(), if listen => {}
                    () = tokio::time::sleep(poll) => {}
                }
            }
        })
    };
    let options = DispatchOptions::default();
    let mut latencies = Vec::with_capacity(samples);
    for n in 0..samples {
        // Idle: the consumer has found the queue empty and waits.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let sent = Instant::now();
        messenger
            .dispatch_json("email", "send_email", &email(n), &options)
            .await
            .unwrap();
        latencies.push(started.recv().await.unwrap() - sent);
    }
    stop.cancel();
    consumer.await.unwrap();
    latencies.sort();
    latencies
}

async fn latency(url: &str, client: &Client, messenger: &Messenger) {
    let samples = 200;
    // Each measurement starts from an empty queue.
    let empty = || async {
        client
            .batch_execute("TRUNCATE messenger_failed_messages, messenger_messages")
            .await
            .unwrap();
    };
    let poll = Duration::from_millis(100);
    let idle_poll = Duration::from_secs(10);
    empty().await;
    let raw_listen = raw_latency(url, messenger, idle_poll, true, samples).await;
    empty().await;
    let listen = worker_latency(url, messenger, idle_poll, true, samples).await;
    empty().await;
    let raw_polling = raw_latency(url, messenger, poll, false, samples).await;
    empty().await;
    let polling = worker_latency(url, messenger, poll, false, samples).await;
    println!(
        "| wake-up ({samples} samples) | ours p50 | ours p99 | raw p50 | raw p99 | ratio (p50) |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for (what, ours, raw) in [
        ("LISTEN/NOTIFY (polling every 10 s)", &listen, &raw_listen),
        ("polling every 100 ms, no LISTEN", &polling, &raw_polling),
    ] {
        let (p50, raw_p50) = (percentile(ours, 0.5), percentile(raw, 0.5));
        println!(
            "| {what} | {} | {} | {} | {} | {:.2} |",
            ms(p50),
            ms(percentile(ours, 0.99)),
            ms(raw_p50),
            ms(percentile(raw, 0.99)),
            p50.as_secs_f64() / raw_p50.as_secs_f64()
        );
    }
}

/// Single-message dispatches per second from `producers` concurrent tasks for `window`.
async fn dispatch_rate(messenger: &Messenger, producers: usize, window: Duration) -> f64 {
    let deadline = Instant::now() + window;
    let tasks: Vec<_> = (0..producers)
        .map(|p| {
            let messenger = messenger.clone();
            tokio::spawn(async move {
                let mut sent = 0usize;
                while Instant::now() < deadline {
                    messenger
                        .dispatch_json(
                            "email",
                            "send_email",
                            &email(p * 1_000_000 + sent),
                            &DispatchOptions::default(),
                        )
                        .await
                        .unwrap();
                    sent += 1;
                }
                sent
            })
        })
        .collect();
    let mut sent = 0;
    for task in tasks {
        sent += task.await.unwrap();
    }
    sent as f64 / window.as_secs_f64()
}

/// What the wake-up notification costs producers: concurrent single-message dispatch with the
/// trigger as migrated (debounced), without it (the floor), and with a NOTIFY in every
/// transaction (what a plain per-statement trigger does).
async fn producer_cost(url: &str, client: &Client) {
    let producers = 16;
    let messenger = Messenger::new(pool(url, producers), messages::registry());
    let migrated: String = client
        .query_one(
            "SELECT pg_get_functiondef('messenger_notify_consumable()'::regprocedure)",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let every_transaction = "CREATE OR REPLACE FUNCTION messenger_notify_consumable()
        RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('symphony_messenger', q.transport_name || ':' || q.queue_name)
            FROM (SELECT DISTINCT n.transport_name, n.queue_name
                    FROM messenger_inserted_messages n) q;
            RETURN NULL;
        END;
        $$";
    let window = Duration::from_secs(3);
    let (mut ours, mut floor, mut naive) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        for (setup, rates) in [
            (
                "ALTER TABLE messenger_messages DISABLE TRIGGER trg_messenger_messages_notify",
                &mut floor,
            ),
            (migrated.as_str(), &mut ours),
            (every_transaction, &mut naive),
        ] {
            client
                .batch_execute("TRUNCATE messenger_failed_messages, messenger_messages")
                .await
                .unwrap();
            client.batch_execute(setup).await.unwrap();
            rates.push(dispatch_rate(&messenger, producers, window).await);
            client
                .batch_execute(
                    "ALTER TABLE messenger_messages ENABLE TRIGGER trg_messenger_messages_notify",
                )
                .await
                .unwrap();
            client.batch_execute(&migrated).await.unwrap();
        }
    }
    let mut ours_ratio: Vec<f64> = ours.iter().zip(&floor).map(|(o, f)| o / f).collect();
    let mut naive_ratio: Vec<f64> = naive.iter().zip(&floor).map(|(n, f)| n / f).collect();
    println!(
        "| producers | no notification (floor) | ours: debounced notification | ratio | a NOTIFY in every transaction | ratio |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {producers} | {:.0} msg/s | {:.0} msg/s | **{:.2}** | {:.0} msg/s | {:.2} |",
        median(&mut floor),
        median(&mut ours),
        median(&mut ours_ratio),
        median(&mut naive),
        median(&mut naive_ratio)
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let db = TestDb::new().await;
        let mut client = db.client().await;
        symphony_messenger::migrate::up(&mut client, Some(&messages::migrations().unwrap()))
            .await
            .unwrap();
        let url = db.url().to_owned();
        let messenger = Messenger::new(pool(&url, 4), messages::registry());
        println!("{} cores; {CONSUMERS} consumers\n", cores());
        throughput(&url, &client, &messenger).await;
        if std::env::var("CONSUME_BATCH").is_ok() {
            return;
        }
        println!();
        latency(&url, &client, &messenger).await;
        println!();
        producer_cost(&url, &client).await;
    });
}
