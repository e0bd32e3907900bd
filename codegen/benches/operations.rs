//! How long the operations commands take on a big queue: 1,000,000 messages (90 % completed over
//! 60 days, 8 % pending, 1 % processing, 1 % failed) and 100,000 dead letters (over 30 days),
//! filled with `generate_series`, plus 100 schedules.
//!
//! Each command is timed end to end as an operator runs it (the `messenger-gen` process: start,
//! connect, query, print; median of 5 runs), against its raw baseline in the same run: the same
//! query sent directly with tokio-postgres on an open connection. Destructive commands act on
//! different rows in each run.
//!
//! `cargo bench -p messenger-gen --bench operations` (DATABASE_URL: a server where the user may
//! CREATE DATABASE; default postgres://postgres@127.0.0.1:5432/postgres).

use std::process::Command;
use std::time::{Duration, Instant};

use tokio_postgres::{Client, NoTls};

const FILL: &str = "
INSERT INTO messenger_messages (transport_name, queue_name, body, headers, status, available_at,
    processed_at, locked_by, lock_expires_at, created_at)
SELECT (ARRAY['email','notifications','webhooks'])[1 + i % 3],
       (ARRAY['default','bulk'])[1 + (i / 3) % 2],
       jsonb_build_object('n', i, 'to_address', 'user' || i || '@example.com', 'subject', 'Hello'),
       jsonb_build_object('message_type',
           (ARRAY['send_email','sms_notification','webhook_delivery'])[1 + i % 3]),
       s.status::messenger_message_status,
       now() - ((i * 5) % 5184000) * interval '1 second',
       CASE WHEN s.status IN ('completed', 'failed')
            THEN now() - ((i * 5) % 5184000) * interval '1 second' + interval '1 second' END,
       CASE WHEN s.status = 'processing' THEN 'worker-' || (i % 8) END,
       CASE WHEN s.status = 'processing' THEN now() + interval '30 seconds' END,
       now() - ((i * 5) % 5184000) * interval '1 second'
FROM generate_series(1, 1000000) AS i,
LATERAL (SELECT CASE WHEN i % 100 < 90 THEN 'completed' WHEN i % 100 < 98 THEN 'pending'
                     WHEN i % 100 < 99 THEN 'processing' ELSE 'failed' END AS status) s;
INSERT INTO messenger_failed_messages (transport_name, queue_name, body, headers, retry_count,
    max_retries, error_message, error_class, failed_at)
SELECT (ARRAY['email','notifications','webhooks'])[1 + i % 3],
       (ARRAY['default','bulk'])[1 + (i / 3) % 2],
       jsonb_build_object('n', i),
       jsonb_build_object('message_type',
           (ARRAY['send_email','sms_notification','webhook_delivery'])[1 + i % 3]),
       3, 3, 'error number ' || (i % 17), (ARRAY['SmtpError','Timeout','HttpError','Bug'])[1 + i % 4],
       now() - (i % 2592000) * interval '1 second'
FROM generate_series(1, 100000) AS i;
INSERT INTO messenger_schedules (name, transport_name, message_type, body, schedule_type,
    interval_seconds, next_run_at)
SELECT 'schedule ' || i, 'email', 'send_email', '{}', 'interval', 60 * i,
       now() + i * interval '1 minute'
FROM generate_series(1, 100) AS i;
";

/// One command and its raw baseline; `{n}` in either is replaced by the run's number (1–5),
/// `{cli_days}` by 59 − 2n and `{raw_days}` by 58 − 2n, so destructive runs touch different
/// rows (a purge run deletes a fresh one-day slice, ~15,500 messages).
struct Case {
    args: &'static str,
    raw: &'static str,
}

const CASES: &[Case] = &[
    Case {
        args: "queue stats",
        raw: "SELECT d.*, f.dead_letters FROM messenger_queue_depth d FULL JOIN
              (SELECT transport_name, queue_name, count(*) AS dead_letters
                 FROM messenger_failed_messages WHERE requeued_at IS NULL
                GROUP BY transport_name, queue_name) f
              ON f.transport_name = d.transport_name AND f.queue_name = d.queue_name",
    },
    Case {
        args: "queue failed list",
        raw: "SELECT * FROM messenger_failed_messages WHERE requeued_at IS NULL
              ORDER BY failed_at DESC, id DESC LIMIT 50",
    },
    Case {
        args: "queue failed list --transport email --type send_email --since 7d --limit 100",
        raw: "SELECT * FROM messenger_failed_messages WHERE requeued_at IS NULL
                AND transport_name = 'email' AND headers->>'message_type' = 'send_email'
                AND failed_at >= now() - interval '7 days'
              ORDER BY failed_at DESC, id DESC LIMIT 100",
    },
    Case {
        args: "queue failed show {n}",
        raw: "SELECT * FROM messenger_failed_messages WHERE id = 10{n}",
    },
    Case {
        args: "queue failed retry 2{n}",
        raw: "SELECT * FROM messenger_requeue_dead_letters(ARRAY[3{n}]::bigint[])",
    },
    Case {
        args: "queue failed retry --all --transport email --since 6h --dry-run",
        raw: "SELECT count(*) FROM messenger_failed_messages WHERE requeued_at IS NULL
                AND transport_name = 'email' AND failed_at >= now() - interval '6 hours'",
    },
    Case {
        args: "queue failed retry --all --transport email --since {n}0h",
        raw: "SELECT count(*) FROM messenger_requeue_dead_letters(ARRAY(
                SELECT id FROM messenger_failed_messages WHERE requeued_at IS NULL
                   AND transport_name = 'notifications'
                   AND failed_at >= now() - {n}0 * interval '1 hour'))",
    },
    Case {
        args: "queue failed remove 4{n}",
        raw: "DELETE FROM messenger_failed_messages WHERE id = 5{n}",
    },
    Case {
        args: "queue failed remove --all --dry-run",
        raw: "SELECT count(*) FROM messenger_failed_messages WHERE requeued_at IS NULL",
    },
    Case {
        args: "queue purge --completed-older-than 50d --dry-run",
        raw: "SELECT count(*) FROM messenger_messages
               WHERE status = 'completed' AND processed_at < now() - interval '50 days'",
    },
    Case {
        args: "queue purge --completed-older-than {cli_days}d",
        raw: "DELETE FROM messenger_messages WHERE status = 'completed'
               AND processed_at < now() - interval '1 day' * {raw_days}",
    },
    Case {
        args: "schedule list",
        raw: "SELECT * FROM messenger_schedules ORDER BY id",
    },
    Case {
        args: "schedule next {n} --count 10",
        raw: "SELECT * FROM messenger_schedules WHERE id = {n}",
    },
    Case {
        args: "schedule pause 1{n}",
        raw: "UPDATE messenger_schedules SET enabled = false WHERE id = 2{n} RETURNING *",
    },
];

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn connect(url: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
    tokio::spawn(connection);
    client
}

#[tokio::main]
async fn main() {
    let server = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let name = format!("messenger_bench_operations_{}", std::process::id());
    let admin = connect(&server).await;
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let url = match server.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => panic!("DATABASE_URL has no database name: {server}"),
    };
    let mut client = connect(&url).await;
    symphony_messenger::migrate::apply(&mut client)
        .await
        .unwrap();
    let started = Instant::now();
    client.batch_execute(FILL).await.unwrap();
    // One statement each: VACUUM cannot run in the implicit transaction of a batch.
    for table in [
        "messenger_messages",
        "messenger_failed_messages",
        "messenger_schedules",
    ] {
        client
            .batch_execute(&format!("VACUUM ANALYZE {table}"))
            .await
            .unwrap();
    }
    println!(
        "filled 1,000,000 messages, 100,000 dead letters, 100 schedules in {:.1} s\n",
        started.elapsed().as_secs_f64()
    );
    let binary = env!("CARGO_BIN_EXE_messenger-gen");

    println!(
        "{:<78} {:>10} {:>10} {:>7}",
        "command (messenger-gen ...)", "ours ms", "raw ms", "ratio"
    );
    for case in CASES {
        let mut ours = Vec::new();
        let mut raw = Vec::new();
        for n in 1..=5 {
            let fill = |text: &str| {
                text.replace("{n}", &n.to_string())
                    .replace("{cli_days}", &(59 - 2 * n).to_string())
                    .replace("{raw_days}", &(58 - 2 * n).to_string())
            };
            let args = fill(case.args);
            let t = Instant::now();
            let out = Command::new(binary)
                .args(args.split(' '))
                .env("DATABASE_URL", &url)
                .output()
                .unwrap();
            ours.push(t.elapsed());
            assert!(
                out.status.success(),
                "{args}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let sql = fill(case.raw);
            let t = Instant::now();
            client.simple_query(&sql).await.unwrap();
            raw.push(t.elapsed());
        }
        let (ours, raw) = (median(ours), median(raw));
        println!(
            "{:<78} {:>10.1} {:>10.1} {:>7.2}",
            case.args
                .replace("{n}", "N")
                .replace("{cli_days}", "(59-2N)"),
            ms(ours),
            ms(raw),
            ms(ours) / ms(raw)
        );
    }
    drop(client);
    admin
        .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await
        .unwrap();
}
