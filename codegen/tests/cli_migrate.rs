//! `messenger-gen migrate` as a user runs it: the real binary against a real PostgreSQL.

mod common;
use common::text;

use std::process::{Command, Output};

use messenger_test_support::TestDb;

fn messenger_gen(args: &[&str], database_url: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_messenger-gen"));
    cmd.args(args).env_remove("DATABASE_URL");
    if let Some(url) = database_url {
        cmd.env("DATABASE_URL", url);
    }
    cmd.output().expect("messenger-gen runs")
}

const QUEUE_APPLIED: &str = "applied V1__symphony_messenger_schema (queue)\n\
     applied V2__acknowledged_checks (queue)\n\
     applied V3__consuming (queue)\n";

#[tokio::test]
async fn up_verify_status_down_round_trip() {
    let db = TestDb::new().await;
    let url = Some(db.url());

    let up = messenger_gen(&["migrate", "up"], url);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up.stderr));
    assert_eq!(text(&up.stdout), QUEUE_APPLIED);

    let verify = messenger_gen(&["migrate", "verify"], url);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify.stdout));
    assert!(text(&verify.stdout).starts_with("ok: all 33 schema objects are present"));

    let again = messenger_gen(&["migrate", "up", "--database-url", db.url()], None);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(
        text(&again.stdout),
        "nothing to apply: the database is up to date\n"
    );

    let status = messenger_gen(&["migrate", "status"], url);
    assert_eq!(
        text(&status.stdout),
        "queue        applied  V1__symphony_messenger_schema\n\
         queue        applied  V2__acknowledged_checks\n\
         queue        applied  V3__consuming\n"
    );

    // Without application migrations, `down` does not touch the queue's schema by accident.
    let down = messenger_gen(&["migrate", "down"], url);
    assert_eq!(down.status.code(), Some(2));
    assert!(
        text(&down.stderr).contains("--queue"),
        "{}",
        text(&down.stderr)
    );

    let down = messenger_gen(&["migrate", "down", "--queue"], url);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down.stderr));
    assert_eq!(text(&down.stdout), "rolled back V3__consuming (queue)\n");
    let down = messenger_gen(&["migrate", "down", "--queue"], url);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down.stderr));
    assert_eq!(
        text(&down.stdout),
        "rolled back V2__acknowledged_checks (queue)\n"
    );
    let down = messenger_gen(&["migrate", "down", "--queue"], url);
    assert_eq!(
        text(&down.stdout),
        "rolled back V1__symphony_messenger_schema (queue)\n"
    );
    let status = messenger_gen(&["migrate", "status"], url);
    assert_eq!(
        text(&status.stdout),
        "queue        pending  V1__symphony_messenger_schema\n\
         queue        pending  V2__acknowledged_checks\n\
         queue        pending  V3__consuming\n"
    );

    let client = db.client().await;
    let left: i64 = client
        .query_one(
            "SELECT (SELECT count(*) FROM pg_class WHERE relname LIKE '%messenger%')
                  + (SELECT count(*) FROM pg_type WHERE typname LIKE '%messenger%')
                  + (SELECT count(*) FROM pg_proc WHERE proname LIKE '%messenger%')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "down left messenger objects behind");

    // After down everything is missing, and verify says so by name.
    let verify = messenger_gen(&["migrate", "verify"], url);
    assert_eq!(verify.status.code(), Some(1));
    assert!(text(&verify.stdout).contains("missing table messenger_messages\n"));
}

#[tokio::test]
async fn verify_exits_1_listing_each_missing_object() {
    let db = TestDb::new().await;
    assert_eq!(
        messenger_gen(&["migrate", "up"], Some(db.url()))
            .status
            .code(),
        Some(0)
    );
    db.client()
        .await
        .batch_execute(
            "DROP INDEX idx_messenger_messages_dequeue; DROP VIEW messenger_queue_depth;",
        )
        .await
        .unwrap();
    let verify = messenger_gen(&["migrate", "verify"], Some(db.url()));
    assert_eq!(verify.status.code(), Some(1));
    assert_eq!(
        text(&verify.stdout),
        "missing index idx_messenger_messages_dequeue\nmissing view messenger_queue_depth\n"
    );
}

#[test]
fn unreachable_database_exits_3_naming_the_url() {
    // Port 1 on loopback: nothing listens there.
    let out = messenger_gen(
        &[
            "migrate",
            "up",
            "--database-url",
            "postgres://someone:hunter2@127.0.0.1:1/app",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(3));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("postgres://someone:***@127.0.0.1:1/app"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "password leaked: {stderr}");
}

#[test]
fn usage_errors_exit_2() {
    let no_url = messenger_gen(&["migrate", "up"], None);
    assert_eq!(no_url.status.code(), Some(2));
    assert!(text(&no_url.stderr).contains("--database-url"));

    let bad_action = messenger_gen(&["migrate", "sideways"], None);
    assert_eq!(bad_action.status.code(), Some(2));

    let missing_dir = messenger_gen(
        &[
            "migrate",
            "up",
            "--schema",
            "/nonexistent/schema",
            "--database-url",
            "postgres://x@127.0.0.1:1/x",
        ],
        None,
    );
    assert_eq!(missing_dir.status.code(), Some(2));
    assert!(text(&missing_dir.stderr).contains("/nonexistent/schema"));
}

#[tokio::test]
async fn schema_dir_migrations_apply_and_roll_back() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rollback")).unwrap();
    std::fs::write(dir.path().join("V1__one.sql"), "CREATE TABLE one (id int);").unwrap();
    std::fs::write(dir.path().join("V2__two.sql"), "CREATE TABLE two (id int);").unwrap();
    std::fs::write(dir.path().join("rollback/V2__two.sql"), "DROP TABLE two;").unwrap();
    let schema = dir.path().to_str().unwrap();
    let db = TestDb::new().await;
    let url = Some(db.url());

    let up = messenger_gen(&["migrate", "up", "--schema", schema], url);
    assert_eq!(
        text(&up.stdout),
        format!("{QUEUE_APPLIED}applied V1__one\napplied V2__two\n")
    );
    let down = messenger_gen(&["migrate", "down", "--schema", schema], url);
    assert_eq!(text(&down.stdout), "rolled back V2__two\n");
    // V1 has no rollback script: refuse, exit 2, say which file is missing.
    let down = messenger_gen(&["migrate", "down", "--schema", schema], url);
    assert_eq!(down.status.code(), Some(2));
    assert!(text(&down.stderr).contains("V1__one has no rollback script"));
    let tables: i64 = db
        .client()
        .await
        .query_one(
            "SELECT count(*) FROM pg_class WHERE relname IN ('one', 'two')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(tables, 1);
}
