//! `messenger-gen queue` and `messenger-gen schedule` as an operator runs them: the real binary
//! against a real PostgreSQL holding a known data set (the demo application's queue), human and
//! JSON output as snapshots, retries and removals with filters and `--dry-run`, exit codes.
//!
//! The commands' clock is fixed with `MESSENGER_GEN_NOW`; instants the database writes itself
//! (a requeue's `requeued_at`, a schedule's `created_at`) are shown as `[now]`.

mod common;
use common::{repo_root, text};

use std::io::Write;
use std::process::{Command, Output, Stdio};

use messenger_test_support::TestDb;
use tokio_postgres::Client;

const NOW: &str = "2026-05-01T12:00:00Z";
const DEMO_CONFIG: &str = "examples/demo/messenger-gen.toml";

/// Runs messenger-gen from the repository root with the fixed clock, `DATABASE_URL` = `url`.
fn run(url: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_messenger-gen"))
        .args(args)
        .current_dir(repo_root())
        .env("DATABASE_URL", url)
        .env("MESSENGER_GEN_NOW", NOW)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input
        .write_all(stdin.unwrap_or_default().as_bytes())
        .unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

/// Replaces RFC 3339 instants of the real current day (written by the database's `now()`)
/// with `[now]`, so the snapshots do not depend on when they are taken.
fn redact(output: &str) -> String {
    let today = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d"])
        .output()
        .map(|o| text(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    assert!(!today.is_empty() && !today.starts_with("2026-04") && !today.starts_with("2026-05-01"));
    let mut out = String::new();
    let mut rest = output;
    while let Some(at) = rest.find(&today) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail.find(['"', ' ', '\n', ',']).unwrap_or(tail.len());
        out.push_str("[now]");
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// The queue of the demo application with a known data set, at `NOW` = 2026-05-01T12:00Z.
async fn known_data_set() -> (TestDb, Client) {
    let db = TestDb::new().await;
    let up = run(db.url(), &["migrate", "up", "--config", DEMO_CONFIG], None);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up.stderr));
    let client = db.client().await;
    client
        .batch_execute(
            "INSERT INTO messenger_messages
                 (transport_name, queue_name, body, headers, status, available_at, processed_at,
                  locked_by, lock_expires_at, created_at)
             VALUES
             ('email', 'default', '{\"n\": 1}', '{\"message_type\": \"send_email\"}', 'pending',
              '2026-05-01T09:00:00Z', NULL, NULL, NULL, '2026-05-01T09:00:00Z'),
             ('email', 'default', '{\"n\": 2}', '{\"message_type\": \"send_email\"}', 'pending',
              '2026-05-01T10:30:00Z', NULL, NULL, NULL, '2026-05-01T10:30:00Z'),
             ('email', 'default', '{\"n\": 3}', '{\"message_type\": \"send_email\"}', 'processing',
              '2026-05-01T11:00:00Z', NULL, 'worker-1', '2026-05-01T12:00:30Z', '2026-05-01T11:00:00Z'),
             ('email', 'default', '{\"n\": 4}', '{\"message_type\": \"send_email\"}', 'completed',
              '2026-04-01T08:00:00Z', '2026-04-01T08:00:05Z', NULL, NULL, '2026-04-01T08:00:00Z'),
             ('email', 'default', '{\"n\": 5}', '{\"message_type\": \"send_email\"}', 'completed',
              '2026-04-28T08:00:00Z', '2026-04-28T08:00:05Z', NULL, NULL, '2026-04-28T08:00:00Z'),
             ('email', 'default', '{\"n\": 6}', '{\"message_type\": \"send_email\"}', 'failed',
              '2026-04-30T07:00:00Z', '2026-04-30T08:00:00Z', NULL, NULL, '2026-04-30T07:00:00Z'),
             ('notifications', 'sms', '{\"n\": 7}', '{\"message_type\": \"sms_notification\"}', 'pending',
              '2026-05-01T11:59:15Z', NULL, NULL, NULL, '2026-05-01T11:59:15Z'),
             ('webhooks', 'default', '{\"n\": 8}', '{\"message_type\": \"webhook_delivery\"}', 'completed',
              '2026-03-01T08:00:00Z', '2026-03-01T08:00:01Z', NULL, NULL, '2026-03-01T08:00:00Z');
             INSERT INTO messenger_failed_messages
                 (message_id, transport_name, queue_name, body, headers, priority, retry_count,
                  max_retries, idempotency_key, original_created_at, error_message, error_class,
                  error_trace, failed_at)
             VALUES
             (6, 'email', 'default', '{\"n\": 6}', '{\"message_type\": \"send_email\"}', 5, 3, 3,
              'welcome-42', '2026-04-30T07:00:00Z', 'connection refused', 'SmtpError',
              'at smtp::connect\nat mailer::send', '2026-04-30T08:00:00Z'),
             (NULL, 'email', 'default', '{\"n\": 9}', '{\"message_type\": \"send_email\"}', 7, 3, 3,
              NULL, NULL, 'mailbox full', 'SmtpError', NULL, '2026-04-30T09:00:00Z'),
             (NULL, 'notifications', 'sms', '{\"n\": 10}', '{\"message_type\": \"sms_notification\"}',
              5, 2, 2, NULL, NULL, 'gateway timeout', 'GatewayTimeout', NULL, '2026-04-29T10:00:00Z'),
             (NULL, 'webhooks', 'default', '{\"n\": 11}', '{\"message_type\": \"webhook_delivery\"}',
              5, 5, 5, NULL, NULL, 'HTTP 500 from https://example.com/hooks', 'HttpError', NULL,
              '2026-04-20T10:00:00Z');",
        )
        .await
        .unwrap();
    (db, client)
}

const EMAIL: &str = r#"{"message_id": "6f1c1d7e-8a51-4f61-9a53-2a4f1c2b9e10", "to_address": "ops@example.com", "subject": "Nightly report", "body_text": "Attached."}"#;

/// Every command in order, in one format; the transcript of what an operator sees.
async fn transcript(format: &str) -> String {
    let (db, _client) = known_data_set().await;
    let steps: &[(&[&str], Option<&str>)] = &[
        (&["queue", "stats"], None),
        (&["queue", "failed", "list"], None),
        (
            &[
                "queue",
                "failed",
                "list",
                "--transport",
                "email",
                "--limit",
                "1",
            ],
            None,
        ),
        (
            &["queue", "failed", "list", "--type", "sms_notification"],
            None,
        ),
        (&["queue", "failed", "list", "--since", "2d"], None),
        (&["queue", "failed", "show", "1"], None),
        (&["queue", "failed", "retry", "1", "2", "--dry-run"], None),
        (
            &[
                "queue",
                "failed",
                "retry",
                "--all",
                "--transport",
                "email",
                "--dry-run",
            ],
            None,
        ),
        (&["queue", "failed", "retry", "1", "2"], None),
        (&["queue", "failed", "retry", "1", "2"], None),
        (
            &[
                "queue",
                "failed",
                "retry",
                "--all",
                "--type",
                "sms_notification",
            ],
            None,
        ),
        (&["queue", "failed", "list", "--requeued"], None),
        (
            &[
                "queue",
                "failed",
                "remove",
                "--all",
                "--requeued",
                "--dry-run",
            ],
            None,
        ),
        (&["queue", "failed", "remove", "--all", "--requeued"], None),
        (&["queue", "failed", "remove", "4", "--dry-run"], None),
        (&["queue", "stats"], None),
        (
            &[
                "queue",
                "purge",
                "--completed-older-than",
                "7d",
                "--dry-run",
            ],
            None,
        ),
        (&["queue", "purge", "--completed-older-than", "7d"], None),
        (&["queue", "purge", "--completed-older-than", "7d"], None),
        (
            &[
                "schedule",
                "add",
                "--config",
                DEMO_CONFIG,
                "--name",
                "nightly report",
                "--transport",
                "email",
                "--type",
                "send_email",
                "--cron",
                "30 2 * * *",
                "--timezone",
                "America/New_York",
                "-",
            ],
            Some(EMAIL),
        ),
        (
            &[
                "schedule",
                "add",
                "--config",
                DEMO_CONFIG,
                "--name",
                "heartbeat",
                "--transport",
                "notifications",
                "--type",
                "send_email",
                "--every",
                "15m",
                "--missed",
                "catch-up",
                "--catch-up-limit",
                "3",
                "--priority",
                "8",
                "-",
            ],
            Some(EMAIL),
        ),
        (
            &[
                "schedule",
                "add",
                "--config",
                DEMO_CONFIG,
                "--name",
                "launch",
                "--transport",
                "email",
                "--type",
                "send_email",
                "--at",
                "2026-06-01T09:00:00Z",
                "-",
            ],
            Some(EMAIL),
        ),
        (&["schedule", "list"], None),
        (&["schedule", "next", "1", "--count", "3"], None),
        (&["schedule", "next", "2", "--count", "2"], None),
        (&["schedule", "pause", "2"], None),
        (&["schedule", "next", "2", "--count", "2"], None),
        (&["schedule", "resume", "2"], None),
        (&["schedule", "remove", "3"], None),
        (&["schedule", "list"], None),
    ];
    let mut out = String::new();
    for (args, stdin) in steps {
        let mut full: Vec<&str> = args.to_vec();
        full.extend(["--format", format]);
        let output = run(db.url(), &full, *stdin);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}: {}",
            args.join(" "),
            text(&output.stderr)
        );
        let shown: Vec<String> = full
            .iter()
            .map(|a| {
                if a.contains(' ') {
                    format!("'{a}'")
                } else {
                    (*a).to_owned()
                }
            })
            .collect();
        out.push_str(&format!("$ messenger-gen {}\n", shown.join(" ")));
        out.push_str(&redact(&text(&output.stdout)));
        out.push('\n');
    }
    out
}

#[tokio::test]
async fn every_command_for_people() {
    insta::assert_snapshot!("human", transcript("human").await);
}

#[tokio::test]
async fn every_command_for_scripts() {
    let transcript = transcript("json").await;
    // Every answer is one JSON document.
    for answer in transcript.split("$ messenger-gen ").skip(1) {
        let (_, json) = answer.split_once('\n').unwrap();
        serde_json::from_str::<serde_json::Value>(json.trim())
            .unwrap_or_else(|e| panic!("{e}: {answer}"));
    }
    insta::assert_snapshot!("json", transcript);
}

async fn count(client: &Client, sql: &str) -> i64 {
    client.query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test]
async fn retrying_the_same_dead_letters_twice_enqueues_each_once_and_filters_choose() {
    let (db, client) = known_data_set().await;
    let url = db.url();
    // --dry-run changes nothing.
    let dry = run(
        url,
        &["queue", "failed", "retry", "--all", "--dry-run"],
        None,
    );
    assert_eq!(text(&dry.stdout), "would retry 4 dead letters\n");
    assert_eq!(
        count(
            &client,
            "SELECT count(*) FROM messenger_failed_messages WHERE requeued_at IS NOT NULL"
        )
        .await,
        0
    );
    // Filters: email's since 2026-04-30T08:30Z is dead letter 2 only.
    let one = run(
        url,
        &[
            "queue",
            "failed",
            "retry",
            "--all",
            "--transport",
            "email",
            "--since",
            "2026-04-30T08:30:00Z",
        ],
        None,
    );
    assert_eq!(
        text(&one.stdout),
        "retried 1 dead letter\n",
        "{}",
        text(&one.stderr)
    );
    for _ in 0..2 {
        let all = run(url, &["queue", "failed", "retry", "--all"], None);
        assert_eq!(all.status.code(), Some(0));
        let again = run(url, &["queue", "failed", "retry", "1", "2", "3", "4"], None);
        assert_eq!(again.status.code(), Some(0));
    }
    for id in 1..=4 {
        assert_eq!(
            count(
                &client,
                &format!(
                    "SELECT count(*) FROM messenger_messages WHERE idempotency_key = 'requeue:{id}'"
                )
            )
            .await,
            1,
            "dead letter {id} enqueued once"
        );
    }
    // Remove with a filter and a dry run.
    let dry = run(
        url,
        &[
            "queue",
            "failed",
            "remove",
            "--all",
            "--requeued",
            "--transport",
            "email",
            "--dry-run",
        ],
        None,
    );
    assert_eq!(text(&dry.stdout), "would remove 2 dead letters\n");
    let removed = run(
        url,
        &[
            "queue",
            "failed",
            "remove",
            "--all",
            "--requeued",
            "--transport",
            "email",
        ],
        None,
    );
    assert_eq!(text(&removed.stdout), "removed 2 dead letters\n");
    assert_eq!(
        count(&client, "SELECT count(*) FROM messenger_failed_messages").await,
        2
    );
}

#[tokio::test]
async fn unknown_ids_exit_2_and_do_nothing() {
    let (db, client) = known_data_set().await;
    let url = db.url();
    for (args, message) in [
        (&["queue", "failed", "show", "99"][..], "no dead letter 99"),
        (
            &["queue", "failed", "retry", "1", "99", "98"],
            "no dead letter 98, 99; nothing was done",
        ),
        (
            &["queue", "failed", "remove", "2", "99"],
            "no dead letter 99; nothing was done",
        ),
        (&["schedule", "pause", "7"], "no schedule 7"),
        (&["schedule", "resume", "7"], "no schedule 7"),
        (&["schedule", "remove", "7"], "no schedule 7"),
        (&["schedule", "next", "7"], "no schedule 7"),
    ] {
        let out = run(url, args, None);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(text(&out.stderr), format!("error: {message}\n"), "{args:?}");
        assert!(out.stdout.is_empty());
    }
    assert_eq!(
        count(
            &client,
            "SELECT count(*) FROM messenger_failed_messages WHERE requeued_at IS NULL"
        )
        .await,
        4
    );
    // Durations longer than history are usage errors, not panics.
    for args in [
        &["queue", "failed", "list", "--since", "300000y"][..],
        &["queue", "purge", "--completed-older-than", "300000y"],
    ] {
        let out = run(url, args, None);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("`300000y` reaches back before the earliest representable instant"),
            "{args:?}: {stderr}"
        );
    }
    // Usage: neither ids nor --all, or both.
    for args in [
        &["queue", "failed", "retry"][..],
        &["queue", "failed", "remove", "1", "--all"],
    ] {
        let out = run(url, args, None);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    // An invalid body is refused before anything is created.
    let bad = run(
        url,
        &[
            "schedule",
            "add",
            "--config",
            DEMO_CONFIG,
            "--name",
            "bad",
            "--transport",
            "email",
            "--type",
            "send_email",
            "--every",
            "1h",
            "-",
        ],
        Some(r#"{"to_address": "nobody"}"#),
    );
    assert_eq!(bad.status.code(), Some(2));
    let stderr = text(&bad.stderr);
    assert!(
        stderr.starts_with("error: -: the body is not a valid `send_email` for transport `email`; nothing was created"),
        "{stderr}"
    );
    assert!(stderr.contains("/to_address"), "{stderr}");
    let bad_cron = run(
        url,
        &[
            "schedule",
            "add",
            "--config",
            DEMO_CONFIG,
            "--name",
            "bad",
            "--transport",
            "email",
            "--type",
            "send_email",
            "--cron",
            "0 25 * * *",
            "-",
        ],
        Some(EMAIL),
    );
    assert_eq!(bad_cron.status.code(), Some(2));
    assert!(text(&bad_cron.stderr).contains("invalid cron expression `0 25 * * *`"));
    // A body is read no further than a payload may be long.
    let huge = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(huge.path(), vec![b' '; 2 << 20]).unwrap();
    let huge_path = huge.path().display().to_string();
    let too_large = run(
        url,
        &[
            "schedule",
            "add",
            "--config",
            DEMO_CONFIG,
            "--name",
            "huge",
            "--transport",
            "email",
            "--type",
            "send_email",
            "--every",
            "1h",
            &huge_path,
        ],
        None,
    );
    assert_eq!(too_large.status.code(), Some(2));
    assert!(
        text(&too_large.stderr).contains("a body is at most 1048576 bytes; nothing was created"),
        "{}",
        text(&too_large.stderr)
    );
    assert_eq!(
        count(&client, "SELECT count(*) FROM messenger_schedules").await,
        0
    );
}

#[test]
fn an_unreachable_server_exits_3_and_no_database_exits_2() {
    for args in [
        &["queue", "stats"][..],
        &["queue", "failed", "list"],
        &["queue", "failed", "retry", "--all"],
        &["queue", "purge", "--completed-older-than", "1d"],
        &["schedule", "list"],
        &["schedule", "next", "1"],
    ] {
        let out = run("postgres://postgres:secret@127.0.0.1:1/nowhere", args, None);
        assert_eq!(
            out.status.code(),
            Some(3),
            "{args:?}: {}",
            text(&out.stderr)
        );
        let stderr = text(&out.stderr);
        assert!(
            stderr.starts_with(
                "error: cannot connect to PostgreSQL at postgres://postgres:***@127.0.0.1:1/nowhere"
            ),
            "{stderr}"
        );
    }
    let out = Command::new(env!("CARGO_BIN_EXE_messenger-gen"))
        .args(["queue", "stats"])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("DATABASE_URL"));
}
