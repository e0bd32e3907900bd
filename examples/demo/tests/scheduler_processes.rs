//! Five scheduler processes (`symphony-demo schedule`) for 60 seconds on one interval schedule of
//! one second, killed with SIGKILL and restarted at random — sometimes all five at once: every
//! fire time is enqueued exactly once, and no fire time is missing (the outages are shorter than
//! the schedulers' grace period, so the default `skip` policy skips nothing).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use messenger_test_support::TestDb;
use symphony_demo::messages;
use symphony_messenger::chrono::{DateTime, TimeDelta, Utc};
use symphony_messenger::schedule::store;
use symphony_messenger::schedule::{NewSchedule, Recurrence};
use symphony_messenger::serde_json::json;

const PROCESSES: usize = 5;
const RUN_FOR: Duration = Duration::from_secs(60);

/// A small xorshift generator: reproducible from its seed, which the test prints.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn spawn(url: &str, lines: &Arc<Mutex<Vec<String>>>) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_symphony-demo"))
        .arg("schedule")
        .env("DATABASE_URL", url)
        .env("SCHEDULER_POLL_MS", "200")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the demo binary starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let lines = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            lines.lock().unwrap().push(line);
        }
    });
    child
}

fn kill(child: &mut Child) {
    // Child::kill is SIGKILL on Unix: no shutdown code runs, transactions are cut off.
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_schedulers_killed_and_restarted_enqueue_every_second_exactly_once() {
    let db = TestDb::new().await;
    let mut client = db.client().await;
    symphony_messenger::migrate::up(&mut client, Some(&messages::migrations().unwrap()))
        .await
        .unwrap();
    let first_tick = Utc::now() + TimeDelta::seconds(3);
    let schedule = store::create(
        &client,
        messages::registry().validators(),
        &NewSchedule {
            first_run_at: Some(first_tick),
            ..NewSchedule::new(
                "every second",
                "email",
                "send_email",
                json!({
                    "message_id": "6f1c1d7e-8a51-4f61-9a53-2a4f1c2b9e10",
                    "to_address": "ops@example.com",
                    "subject": "tick",
                    "body_text": "tock"
                }),
                Recurrence::interval(1).unwrap(),
            )
        },
        Utc::now(),
    )
    .await
    .unwrap();

    let seed = Utc::now().timestamp_subsec_nanos() as u64 | 1;
    eprintln!("dice seed {seed}");
    let mut dice = Dice(seed);
    let lines = Arc::new(Mutex::new(Vec::new()));
    let mut children: Vec<Child> = (0..PROCESSES).map(|_| spawn(db.url(), &lines)).collect();
    let started = Instant::now();
    let mut kills = 0;
    let mut blackouts = 0;
    while started.elapsed() < RUN_FOR {
        std::thread::sleep(Duration::from_millis(300 + dice.below(1200)));
        if dice.below(12) == 0 {
            // Every scheduler dies at once, for up to 3 s (less than the 10 s grace).
            for child in &mut children {
                kill(child);
            }
            std::thread::sleep(Duration::from_millis(500 + dice.below(2500)));
            for child in &mut children {
                *child = spawn(db.url(), &lines);
            }
            blackouts += 1;
        } else {
            let victim = dice.below(PROCESSES as u64) as usize;
            kill(&mut children[victim]);
            children[victim] = spawn(db.url(), &lines);
        }
        kills += 1;
    }
    let stopped_at = Utc::now();
    for child in &mut children {
        kill(child);
    }
    eprintln!("{kills} kills, {blackouts} of all five at once");
    assert!(kills >= 30, "only {kills} kills");

    let ticks: Vec<DateTime<Utc>> = client
        .query(
            "SELECT scheduled_at FROM messenger_messages WHERE idempotency_key LIKE $1 ORDER BY scheduled_at",
            &[&format!("schedule:{}:%", schedule.id)],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let total: i64 = client
        .query_one("SELECT count(*) FROM messenger_messages", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(total as usize, ticks.len(), "only the schedule's messages");
    // As stored: PostgreSQL keeps microseconds.
    assert_eq!(
        ticks.first().copied(),
        schedule.next_run_at,
        "the first fire time fired"
    );
    let gaps: Vec<(DateTime<Utc>, DateTime<Utc>)> = ticks
        .windows(2)
        .filter(|w| w[1] - w[0] != TimeDelta::seconds(1))
        .map(|w| (w[0], w[1]))
        .collect();
    assert!(
        gaps.is_empty(),
        "duplicates or gaps between fire times: {gaps:?}"
    );
    let last = *ticks.last().unwrap();
    assert!(
        last >= stopped_at - TimeDelta::seconds(10),
        "fired until the end: last tick {last}, stopped at {stopped_at}"
    );
    assert!(ticks.len() >= 50, "{} ticks", ticks.len());

    // No scheduler ever found its tick already enqueued: the compare-and-set, not the
    // idempotency key, kept them apart.
    let lines = lines.lock().unwrap();
    let fired: Vec<&String> = lines.iter().filter(|l| l.starts_with("fired ")).collect();
    assert!(!fired.is_empty());
    assert!(
        fired.iter().all(|l| l.ends_with("inserted=true")),
        "a tick was enqueued twice and deduplicated: {:?}",
        fired.iter().find(|l| !l.ends_with("inserted=true"))
    );
}
