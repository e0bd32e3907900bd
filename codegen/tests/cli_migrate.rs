//! `messenger-gen migrate` as a user runs it: the real binary against a real PostgreSQL.

mod common;
use common::{no_panic, text};

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
     applied V3__consuming (queue)\n\
     applied V4__schedules_and_operations (queue)\n";

#[tokio::test]
async fn up_verify_status_down_round_trip() {
    let db = TestDb::new().await;
    let url = Some(db.url());

    let up = messenger_gen(&["migrate", "up"], url);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up.stderr));
    assert_eq!(text(&up.stdout), QUEUE_APPLIED);

    let verify = messenger_gen(&["migrate", "verify"], url);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify.stdout));
    assert!(
        text(&verify.stdout)
            .starts_with("ok: the queue's schema in `public` is what its migrations build ("),
        "{}",
        text(&verify.stdout)
    );

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
         queue        applied  V3__consuming\n\
         queue        applied  V4__schedules_and_operations\n"
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
    assert_eq!(
        text(&down.stdout),
        "rolled back V4__schedules_and_operations (queue)\n"
    );
    let down = messenger_gen(&["migrate", "down", "--queue"], url);
    assert_eq!(down.status.code(), Some(0), "{}", text(&down.stderr));
    assert_eq!(text(&down.stdout), "rolled back V3__consuming (queue)\n");
    let down = messenger_gen(&["migrate", "down", "--queue"], url);
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
         queue        pending  V3__consuming\n\
         queue        pending  V4__schedules_and_operations\n"
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
        "missing index idx_messenger_messages_dequeue on messenger_messages\n\
         missing view messenger_queue_depth\n"
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

// Issue 9, item 4: verify compares types, nullability, defaults, constraints and indexes with
// what the migrations build, and names each difference.
#[tokio::test]
async fn verify_names_a_changed_type_and_a_dropped_column() {
    let db = TestDb::new().await;
    let url = Some(db.url());
    assert_eq!(
        messenger_gen(&["migrate", "up"], url).status.code(),
        Some(0)
    );
    db.client()
        .await
        .batch_execute(
            "ALTER TABLE messenger_messages DROP CONSTRAINT messenger_messages_priority_check,
                                            ALTER priority TYPE text;
             ALTER TABLE messenger_transports DROP COLUMN config;",
        )
        .await
        .unwrap();
    let verify = messenger_gen(&["migrate", "verify"], url);
    assert_eq!(verify.status.code(), Some(1), "{}", text(&verify.stderr));
    let stdout = text(&verify.stdout);
    for line in [
        "column messenger_messages.priority: type text, expected smallint\n",
        "missing constraint messenger_messages.messenger_messages_priority_check\n",
        "missing column messenger_transports.config\n",
    ] {
        assert!(stdout.contains(line), "{line} not in:\n{stdout}");
    }
}

#[tokio::test]
async fn a_hand_made_queue_table_with_the_right_names_fails_up_and_verify() {
    let db = TestDb::new().await;
    let url = Some(db.url());
    // Every column and constraint name of V1, but `body text` instead of jsonb.
    db.client()
        .await
        .batch_execute(
            "CREATE TABLE messenger_messages (
                 id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                 transport_name text NOT NULL, queue_name text NOT NULL DEFAULT 'default',
                 body text NOT NULL, headers jsonb NOT NULL DEFAULT '{}',
                 priority smallint NOT NULL DEFAULT 5
                     CONSTRAINT messenger_messages_priority_check CHECK (priority BETWEEN 1 AND 10),
                 status text NOT NULL DEFAULT 'pending', scheduled_at timestamptz,
                 available_at timestamptz NOT NULL DEFAULT now(),
                 retry_count integer NOT NULL DEFAULT 0
                     CONSTRAINT messenger_messages_retry_count_check CHECK (retry_count >= 0),
                 max_retries integer NOT NULL DEFAULT 3
                     CONSTRAINT messenger_messages_max_retries_check CHECK (max_retries >= 0),
                 last_error text, locked_at timestamptz, locked_by text, lock_expires_at timestamptz,
                 idempotency_key text, metadata jsonb NOT NULL DEFAULT '{}',
                 created_at timestamptz NOT NULL DEFAULT now(),
                 updated_at timestamptz NOT NULL DEFAULT now(), processed_at timestamptz,
                 CONSTRAINT messenger_messages_lease_check CHECK (true))",
        )
        .await
        .unwrap();
    let up = messenger_gen(&["migrate", "up"], url);
    no_panic(&up);
    assert_eq!(up.status.code(), Some(1), "{}", text(&up.stderr));
    let stdout = text(&up.stdout);
    assert!(
        stdout.contains("not what its migrations build")
            && stdout.contains("  column messenger_messages.body: type text, expected jsonb\n"),
        "{stdout}"
    );
    let verify = messenger_gen(&["migrate", "verify"], url);
    assert_eq!(verify.status.code(), Some(1));
    assert!(
        text(&verify.stdout)
            .contains("column messenger_messages.body: type text, expected jsonb\n")
    );
    // Nothing of verify's scratch schema is left.
    let scratch: i64 = db
        .client()
        .await
        .query_one(
            "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'messenger_verify%'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(scratch, 0);
}

/// Runs `n` copies of `messenger-gen args` at once.
fn concurrently(n: usize, args: &[&str], url: &str) -> Vec<Output> {
    let children: Vec<_> = (0..n)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_messenger-gen"))
                .args(args)
                .env("DATABASE_URL", url)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect()
}

// Issue 9, item 5: migrations are serialised by an advisory lock; each process reports only
// what it did.
#[tokio::test]
async fn three_concurrent_ups_on_a_new_database_apply_one_set() {
    let db = TestDb::new().await;
    let outs = concurrently(3, &["migrate", "up"], db.url());
    let mut applied = String::new();
    for out in &outs {
        no_panic(out);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        if stdout != "nothing to apply: the database is up to date\n" {
            applied.push_str(&stdout);
        }
    }
    assert_eq!(
        applied, QUEUE_APPLIED,
        "exactly one process applies the set"
    );
    let rows: i64 = db
        .client()
        .await
        .query_one("SELECT count(*) FROM symphony_queue_schema_history", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, QUEUE_APPLIED.lines().count() as i64);
}

/// A schema directory with `V1__one` .. `V{n}__…`, each with a rollback script.
fn app_schema(n: u32) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rollback")).unwrap();
    for v in 1..=n {
        std::fs::write(
            dir.path().join(format!("V{v}__t{v}.sql")),
            format!("CREATE TABLE t{v} (id int);"),
        )
        .unwrap();
        std::fs::write(
            dir.path().join(format!("rollback/V{v}__t{v}.sql")),
            format!("DROP TABLE t{v};"),
        )
        .unwrap();
    }
    dir
}

#[tokio::test]
async fn three_concurrent_downs_roll_back_three_distinct_versions() {
    let schema = app_schema(3);
    let schema = schema.path().to_str().unwrap();
    let db = TestDb::new().await;
    let up = messenger_gen(&["migrate", "up", "--schema", schema], Some(db.url()));
    assert_eq!(up.status.code(), Some(0), "{}", text(&up.stderr));
    let outs = concurrently(3, &["migrate", "down", "--schema", schema], db.url());
    let mut reported: Vec<String> = outs
        .iter()
        .map(|out| {
            no_panic(out);
            assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
            text(&out.stdout)
        })
        .collect();
    reported.sort();
    assert_eq!(
        reported,
        [
            "rolled back V1__t1\n",
            "rolled back V2__t2\n",
            "rolled back V3__t3\n"
        ]
    );
}

// Issue 9, item 7: a damaged history row is an error naming it (exit 2), for up, status and
// down alike: never a panic in refinery or in our reader.
#[tokio::test]
async fn damaged_history_rows_are_named_not_panicked_on() {
    let schema = app_schema(2);
    let schema = schema.path().to_str().unwrap();
    let damages = [
        (
            "UPDATE refinery_schema_history SET name = NULL WHERE version = 2",
            "version 2: its name is NULL",
        ),
        (
            "UPDATE refinery_schema_history SET applied_on = NULL WHERE version = 2",
            "version 2: its applied_on is NULL",
        ),
        (
            "UPDATE refinery_schema_history SET applied_on = 'yesterday' WHERE version = 2",
            "version 2: its applied_on `yesterday` is not an RFC 3339 time",
        ),
        (
            "UPDATE refinery_schema_history SET applied_on = '2024-01-01 10:00:00+00' WHERE version = 2",
            "is not an RFC 3339 time",
        ),
        (
            "UPDATE refinery_schema_history SET checksum = 'abc' WHERE version = 2",
            "version 2: its checksum `abc` is not an unsigned 64-bit number",
        ),
        (
            "ALTER TABLE refinery_schema_history ALTER checksum TYPE bigint USING 1",
            "column checksum: it has type bigint; refinery reads varchar",
        ),
    ];
    for (damage, named) in damages {
        let db = TestDb::new().await;
        let url = Some(db.url());
        let up = messenger_gen(&["migrate", "up", "--schema", schema], url);
        assert_eq!(up.status.code(), Some(0), "{}", text(&up.stderr));
        db.client().await.batch_execute(damage).await.unwrap();
        for action in ["up", "status", "down"] {
            let out = messenger_gen(&["migrate", action, "--schema", schema], url);
            no_panic(&out);
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{damage}; {action}: {stderr}");
            assert!(
                stderr.contains("refinery_schema_history is damaged") && stderr.contains(named),
                "{damage}; {action}: {stderr}"
            );
        }
    }
    // The queue's own history table is read the same way.
    let db = TestDb::new().await;
    let url = Some(db.url());
    assert_eq!(
        messenger_gen(&["migrate", "up"], url).status.code(),
        Some(0)
    );
    db.client()
        .await
        .batch_execute("UPDATE symphony_queue_schema_history SET name = NULL WHERE version = 1")
        .await
        .unwrap();
    for action in ["up", "status", "verify"] {
        let out = messenger_gen(&["migrate", action], url);
        no_panic(&out);
        assert_eq!(out.status.code(), Some(2), "{action}");
        assert!(
            text(&out.stderr).contains("symphony_queue_schema_history is damaged: version 1"),
            "{action}: {}",
            text(&out.stderr)
        );
    }
}

// Issue 9, item 9: the password is hidden in every form tokio-postgres accepts; one test per
// form, through the CLI (port 1: nothing listens, so the connection fails and is reported).
fn assert_hidden(url: &str, shown: &str) {
    let out = messenger_gen(&["migrate", "status", "--database-url", url], None);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("S3cret"), "password leaked: {stderr}");
    assert!(stderr.contains(shown), "{stderr}");
}

#[test]
fn a_key_value_password_is_hidden() {
    assert_hidden(
        "host=127.0.0.1 port=1 user=postgres password=S3cretPW",
        "host=127.0.0.1 port=1 user=postgres password=***",
    );
}

#[test]
fn a_quoted_key_value_password_is_hidden() {
    assert_hidden(
        "host=127.0.0.1 port=1 password='S3cret PW' user=postgres",
        "host=127.0.0.1 port=1 password=*** user=postgres",
    );
}

#[test]
fn a_query_parameter_password_is_hidden() {
    assert_hidden(
        "postgres://postgres@127.0.0.1:1/app?password=S3cretPW",
        "postgres://postgres@127.0.0.1:1/app?password=***",
    );
}

#[test]
fn a_user_info_password_with_slash_or_question_mark_is_hidden() {
    for password in ["S3cret/PW", "S3cret?PW", "S3cret/?:PW"] {
        assert_hidden(
            &format!("postgres://someone:{password}@127.0.0.1:1/app"),
            "postgres://someone:***@127.0.0.1:1/app",
        );
    }
}

#[test]
fn an_invalid_url_does_not_show_its_password() {
    let out = messenger_gen(
        &[
            "migrate",
            "status",
            "--database-url",
            "host=127.0.0.1 password='S3cretPW",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        !text(&out.stderr).contains("S3cret"),
        "{}",
        text(&out.stderr)
    );
}

// Issue 9, item 17: connection failures say why.
#[test]
fn connection_failures_name_the_cause() {
    for (url, cause) in [
        ("postgres://postgres@127.0.0.1:1/app", "Connection refused"),
        (
            "postgres://postgres@no-such-host.invalid:5432/app",
            "failed to lookup address",
        ),
        (
            "postgres://postgres@127.0.0.1:5432/postgres?sslmode=require",
            "TLS",
        ),
    ] {
        let out = messenger_gen(&["migrate", "status", "--database-url", url], None);
        assert_eq!(out.status.code(), Some(3), "{url}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains(cause), "{url}: {stderr}");
    }
}

#[test]
fn duplicate_and_too_large_versions_are_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("V2__a.sql"), "SELECT 1;").unwrap();
    std::fs::write(dir.path().join("V02__b.sql"), "SELECT 1;").unwrap();
    let schema = dir.path().to_str().unwrap();
    let out = messenger_gen(
        &[
            "migrate",
            "up",
            "--schema",
            schema,
            "--database-url",
            "postgres://x@127.0.0.1:1/x",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("duplicate version 2: "),
        "{}",
        text(&out.stderr)
    );

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("V2147483648__big.sql"), "SELECT 1;").unwrap();
    let schema = dir.path().to_str().unwrap();
    let out = messenger_gen(
        &[
            "migrate",
            "up",
            "--schema",
            schema,
            "--database-url",
            "postgres://x@127.0.0.1:1/x",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("version 2147483648 is too large (the largest is 2147483647)"),
        "{}",
        text(&out.stderr)
    );
}

// Issue 12, item 3: which stage failed decides the exit code, not the wording: the server
// ending the session in the middle of a migration is a database failure (3), in `migrate up`
// and in `generate` alike; an SQL error in a migration is an input error (2).
#[tokio::test]
async fn a_session_the_server_ends_exits_3_and_an_sql_error_exits_2() {
    let db = TestDb::new().await;
    for (sql, code) in [
        ("SELECT pg_terminate_backend(pg_backend_pid());", 3),
        ("SELEC 1;", 2),
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("schema")).unwrap();
        std::fs::write(dir.path().join("schema/V1__x.sql"), sql).unwrap();
        let schema = dir.path().join("schema");
        let up = messenger_gen(
            &["migrate", "up", "--schema", schema.to_str().unwrap()],
            Some(db.url()),
        );
        no_panic(&up);
        assert_eq!(up.status.code(), Some(code), "{sql}: {}", text(&up.stderr));

        std::fs::write(
            dir.path().join("messenger-gen.toml"),
            "include-queue = false\n",
        )
        .unwrap();
        let generate = Command::new(env!("CARGO_BIN_EXE_messenger-gen"))
            .arg("generate")
            .current_dir(dir.path())
            .env("DATABASE_URL", messenger_test_support::server_url())
            .output()
            .unwrap();
        no_panic(&generate);
        assert_eq!(
            generate.status.code(),
            Some(code),
            "{sql}: {}",
            text(&generate.stderr)
        );
        assert!(!dir.path().join("generated").exists());
    }
}
