//! The demo's worker as a real process: killed with SIGKILL under load, its leased messages are
//! rescued and completed by another worker, each recorded in the outbox exactly once; drained
//! with SIGTERM, it hands its unstarted messages back at once and leaves nothing in
//! `processing`.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use messenger_test_support::TestDb;
use symphony_demo::messages;
use symphony_messenger::dispatch::{BatchItem, DispatchOptions, Messenger};
use symphony_messenger::serde_json::json;
use symphony_messenger::tokio_postgres::{Client, NoTls};
use symphony_messenger::worker::Consumer;
use symphony_messenger::{deadpool_postgres, migrate};

/// The database URL for the children: commits do not wait for the disk (the tests are about
/// who does what, not durability), which keeps them fast.
fn child_url(db: &TestDb) -> String {
    format!("{}?options=-c%20synchronous_commit%3Doff", db.url())
}

async fn setup(messages_count: usize) -> (TestDb, Client) {
    let db = TestDb::new().await;
    let mut client = db.client().await;
    migrate::up(&mut client, Some(&messages::migrations().unwrap()))
        .await
        .unwrap();
    let mut config = deadpool_postgres::Config::new();
    config.url = Some(child_url(&db));
    let pool = config
        .create_pool(Some(deadpool_postgres::Runtime::Tokio1), NoTls)
        .unwrap();
    let messenger = Messenger::new(pool, messages::registry());
    let items: Vec<BatchItem> = (0..messages_count)
        .map(|n| BatchItem {
            transport: "email".into(),
            message_type: "send_email".into(),
            body: json!({
                "message_id": format!("00000000-0000-4000-8000-{n:012}"),
                "to_address": format!("user{n}@example.com"),
                "subject": format!("Message {n}"),
                "body_text": "Hello"
            }),
            options: DispatchOptions::default(),
        })
        .collect();
    for chunk in items.chunks(1000) {
        messenger.dispatch_batch(chunk).await.unwrap();
    }
    (db, client)
}

/// Starts `symphony-demo worker` with `args`.
fn worker(db: &TestDb, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_symphony-demo"))
        .arg("worker")
        .args(args)
        .env("DATABASE_URL", child_url(db))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("symphony-demo starts")
}

/// Waits for `child` to exit and returns its status and output.
fn finish(child: Child) -> (std::process::ExitStatus, String) {
    let output = child.wait_with_output().expect("the child's output");
    (
        output.status,
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

async fn number(client: &Client, sql: &str) -> i64 {
    client.query_one(sql, &[]).await.unwrap().get(0)
}

async fn wait_for(
    client: &Client,
    limit: Duration,
    what: &str,
    sql: &str,
    at_least: i64,
) -> Duration {
    let start = Instant::now();
    loop {
        let n = number(client, sql).await;
        if n >= at_least {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what} ({n} of {at_least})"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_worker_killed_under_load_loses_nothing_and_nothing_is_done_twice() {
    const MESSAGES: i64 = 1500;
    let (db, client) = setup(MESSAGES as usize).await;
    let lease = Duration::from_secs(2);
    let rescue = Duration::from_millis(500);
    let common = [
        "--lease-ms",
        "2000",
        "--rescue-ms",
        "500",
        "--poll-ms",
        "100",
    ];
    // The victim holds 100 messages (50 running a second each, 50 waiting); the survivor works
    // beside it, faster.
    let mut a = worker(
        &db,
        &[
            &[
                "--name",
                "victim",
                "--concurrency",
                "50",
                "--batch-size",
                "100",
                "--prefetch",
                "50",
                "--work-ms",
                "1000",
            ][..],
            &common,
        ]
        .concat(),
    );
    let b = worker(
        &db,
        &[
            &[
                "--name",
                "survivor",
                "--concurrency",
                "50",
                "--batch-size",
                "50",
                "--work-ms",
                "150",
            ][..],
            &common,
        ]
        .concat(),
    );
    // Under load: both have sent emails (the victim's first 50 after a second), and the
    // victim holds 100 leases again.
    wait_for(
        &client,
        Duration::from_secs(30),
        "a hundred emails sent",
        "SELECT count(*) FROM demo_outbox",
        100,
    )
    .await;
    wait_for(
        &client,
        Duration::from_secs(30),
        "the victim to hold 100 leases",
        "SELECT count(*) FROM messenger_messages WHERE status = 'processing' AND locked_by = 'victim'",
        100,
    )
    .await;
    a.kill().expect("SIGKILL");
    let killed = Instant::now();
    let (status, _) = finish(a);
    assert!(!status.success(), "the victim was killed");
    let held: Vec<i64> = client
        .query(
            "SELECT id FROM messenger_messages WHERE status = 'processing' AND locked_by = 'victim'",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    // 100, unless the kill fell into the moment its 50 running handlers committed.
    eprintln!("the victim held {} leases when killed", held.len());
    assert!(
        held.len() >= 50,
        "the victim held {} leases when killed",
        held.len()
    );

    // Its leases expire (at most one lease after its last heartbeat) and are rescued by the
    // survivor within one rescue interval (± its 20 % jitter; 0.5 s more for the statements
    // on a busy machine).
    wait_for(
        &client,
        lease + rescue * 2,
        "the victim's leases to be rescued",
        "SELECT (count(*) = 0)::int::bigint FROM messenger_messages
          WHERE status = 'processing' AND locked_by = 'victim'",
        1,
    )
    .await;
    let rescued_after = killed.elapsed();
    assert!(
        rescued_after <= lease + rescue.mul_f64(1.2) + Duration::from_millis(500),
        "rescued after {rescued_after:?}"
    );
    wait_for(
        &client,
        Duration::from_secs(60),
        "every message to be completed",
        "SELECT count(*) FROM messenger_messages WHERE status = 'completed'",
        MESSAGES,
    )
    .await;
    let finished_held = client
        .query_one(
            "SELECT count(*) FROM messenger_messages WHERE id = ANY($1) AND status = 'completed'",
            &[&held],
        )
        .await
        .unwrap()
        .get::<_, i64>(0);
    assert_eq!(finished_held, held.len() as i64);

    // Exactly once: the outbox has one row per message (its primary key would have refused a
    // second, and the survivor would have retried and dead-lettered), nothing was lost.
    assert_eq!(
        number(&client, "SELECT count(*) FROM demo_outbox").await,
        MESSAGES
    );
    assert_eq!(
        number(&client, "SELECT count(*) FROM messenger_failed_messages").await,
        0
    );
    assert_eq!(
        number(
            &client,
            "SELECT count(*) FROM messenger_messages
              WHERE last_error IS NOT NULL AND last_error NOT LIKE 'the lease of worker victim expired at %'"
        )
        .await,
        0,
        "no handler error: no duplicate was attempted"
    );
    // The attempt the victim lost counts; nothing else failed.
    assert_eq!(
        number(
            &client,
            "SELECT count(*) FROM messenger_messages WHERE retry_count > 1"
        )
        .await,
        0
    );

    let pid = b.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let (status, output) = finish(b);
    assert!(status.success(), "{output}");
    assert!(
        output.contains("drained: 0 released, 0 cancelled, 0 still held"),
        "{output}"
    );
}

#[tokio::test]
async fn sigterm_hands_back_unstarted_messages_at_once_and_leaves_nothing_processing() {
    let (db, client) = setup(550).await;
    let child = worker(
        &db,
        &[
            "--name",
            "drained",
            "--concurrency",
            "50",
            "--batch-size",
            "550",
            "--prefetch",
            "500",
            "--work-ms",
            "2000",
            "--drain-ms",
            "10000",
            "--poll-ms",
            "100",
        ],
    );
    wait_for(
        &client,
        Duration::from_secs(30),
        "550 claimed",
        "SELECT count(*) FROM messenger_messages WHERE status = 'processing' AND locked_by = 'drained'",
        550,
    )
    .await;
    // 50 handlers are running (each sleeps 2 s before writing), 500 wait.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let signalled = Instant::now();

    // Another worker can claim the 500 within a second, with their attempt counts unchanged.
    let other = Consumer::new(db.pool(4), "email", "other");
    let mut claimed = Vec::new();
    while claimed.len() < 500 {
        assert!(
            signalled.elapsed() < Duration::from_secs(1),
            "only {} of 500 claimable after 1 s",
            claimed.len()
        );
        claimed.extend(
            other
                .claim("default", 1000, Duration::from_secs(60))
                .await
                .unwrap(),
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let within = signalled.elapsed();
    assert_eq!(claimed.len(), 500);
    assert!(
        claimed.iter().all(|d| d.attempt == 1),
        "no attempt was counted"
    );

    let (status, output) = finish(child);
    assert!(status.success(), "{output}");
    assert!(
        output.contains("drained: 500 released, 0 cancelled, 0 still held"),
        "{output}"
    );
    assert_eq!(
        number(
            &client,
            "SELECT count(*) FROM messenger_messages WHERE status = 'processing' AND locked_by = 'drained'"
        )
        .await,
        0
    );
    assert_eq!(
        number(&client, "SELECT count(*) FROM demo_outbox").await,
        50
    );
    eprintln!("500 claimable {within:?} after SIGTERM");
}
