//! The queue's schema (V1 tables, V2 acknowledgements, V3 consuming) against a real PostgreSQL: objects, idempotency, rollback, verification,
//! constraints, views and row level security. Each test gets its own database.

use messenger_test_support::TestDb;
use symphony_messenger::migrate::{self, Migrations};
use tokio_postgres::Client;

/// The queue's tables.
const TABLES: [&str; 4] = [
    "messenger_messages",
    "messenger_failed_messages",
    "messenger_transports",
    "messenger_schedules",
];

async fn migrated() -> (TestDb, Client) {
    let db = TestDb::new().await;
    let mut client = db.client().await;
    let applied = migrate::apply(&mut client).await.expect("migrations apply");
    assert_eq!(
        applied.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [
            "V1__symphony_messenger_schema",
            "V2__acknowledged_checks",
            "V3__consuming",
            "V4__schedules_and_operations"
        ]
    );
    (db, client)
}

/// Names of `messenger_*` objects of one kind, sorted, read from `pg_catalog`.
async fn names(client: &Client, sql: &str) -> Vec<String> {
    let mut names: Vec<String> = client
        .query(sql, &[])
        .await
        .expect("catalog query")
        .iter()
        .map(|row| row.get(0))
        .collect();
    names.sort();
    names
}

async fn tables(c: &Client) -> Vec<String> {
    names(c, "SELECT relname::text FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace AND relname LIKE 'messenger%'").await
}
async fn indexes(c: &Client) -> Vec<String> {
    names(c, "SELECT i.relname::text FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid WHERE t.relname LIKE 'messenger%' AND t.relnamespace = 'public'::regnamespace").await
}
async fn views(c: &Client) -> Vec<String> {
    names(c, "SELECT relname::text FROM pg_class WHERE relkind = 'v' AND relnamespace = 'public'::regnamespace AND relname LIKE 'messenger%'").await
}
async fn triggers(c: &Client) -> Vec<String> {
    names(
        c,
        "SELECT tgname::text FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE '%messenger%'",
    )
    .await
}
async fn functions(c: &Client) -> Vec<String> {
    names(c, "SELECT proname::text FROM pg_proc WHERE pronamespace = 'public'::regnamespace AND proname LIKE 'messenger%'").await
}
async fn types(c: &Client) -> Vec<String> {
    names(c, "SELECT typname::text FROM pg_type WHERE typnamespace = 'public'::regnamespace AND typname LIKE 'messenger%' AND typtype = 'e'").await
}

/// Everything of the schema that a re-run could change, as text.
async fn catalog_fingerprint(c: &Client) -> Vec<String> {
    names(
        c,
        "SELECT 'col ' || attrelid::regclass || '.' || attname || ' ' || format_type(atttypid, atttypmod)
                || ' ' || attnotnull || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
                || ' ' || coalesce(col_description(attrelid, attnum), '')
           FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
          WHERE attrelid::regclass::text LIKE 'messenger%' AND attnum > 0 AND NOT attisdropped
         UNION ALL SELECT 'idx ' || pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid::regclass::text LIKE 'messenger%'
         UNION ALL SELECT 'con ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid::regclass::text LIKE 'messenger%'
         UNION ALL SELECT 'trg ' || pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE '%messenger%'
         UNION ALL SELECT 'view ' || c.relname || ' ' || pg_get_viewdef(c.oid) || coalesce(array_to_string(c.reloptions, ','), '') FROM pg_class c WHERE relkind = 'v' AND relname LIKE 'messenger%'
         UNION ALL SELECT 'fn ' || pg_get_functiondef(p.oid) FROM pg_proc p WHERE proname LIKE 'messenger%'
         UNION ALL SELECT 'rel ' || relname || ' rls=' || relrowsecurity || ' ' || coalesce(obj_description(oid, 'pg_class'), '') FROM pg_class WHERE relname LIKE 'messenger%'
         UNION ALL SELECT 'enum ' || enumlabel FROM pg_enum WHERE enumtypid = 'messenger_message_status'::regtype",
    )
    .await
}

#[tokio::test]
async fn up_creates_exactly_the_expected_objects_and_up_again_changes_nothing() {
    let (_db, mut client) = migrated().await;

    assert_eq!(
        tables(&client).await,
        [
            "messenger_failed_messages",
            "messenger_messages",
            "messenger_schedules",
            "messenger_transports"
        ]
    );
    assert_eq!(
        indexes(&client).await,
        [
            "idx_messenger_failed_messages_created_at",
            "idx_messenger_failed_messages_message_id",
            "idx_messenger_failed_messages_transport_failed_at",
            "idx_messenger_failed_messages_unresolved",
            "idx_messenger_messages_created_at",
            "idx_messenger_messages_dequeue",
            "idx_messenger_messages_lock_expiry",
            "idx_messenger_messages_processed_at",
            "idx_messenger_messages_scheduled_at",
            "idx_messenger_messages_status",
            "idx_messenger_schedules_enabled_next_run_at",
            "idx_messenger_schedules_next_run_at",
            "messenger_failed_messages_pkey",
            "messenger_messages_pkey",
            "messenger_schedules_pkey",
            "messenger_transports_pkey",
            "uq_messenger_messages_idempotency",
            "uq_messenger_transports_name",
        ]
    );
    assert_eq!(
        views(&client).await,
        [
            "messenger_failed_summary",
            "messenger_queue_depth",
            "messenger_schedules_summary"
        ]
    );
    assert_eq!(
        triggers(&client).await,
        [
            "trg_messenger_messages_notify",
            "trg_messenger_messages_updated_at",
            "trg_messenger_schedules_updated_at",
            "trg_messenger_transports_updated_at"
        ]
    );
    assert_eq!(
        functions(&client).await,
        [
            "messenger_notify_consumable",
            "messenger_requeue_dead_letters",
            "messenger_set_updated_at"
        ]
    );
    assert_eq!(types(&client).await, ["messenger_message_status"]);

    // Every table, column and view is documented.
    let undocumented = names(
        &client,
        "SELECT c.relname || coalesce('.' || a.attname, '')
           FROM pg_class c LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
          WHERE c.relkind IN ('r', 'v') AND c.relname LIKE 'messenger%'
            AND (CASE WHEN a.attname IS NULL THEN obj_description(c.oid, 'pg_class')
                      ELSE col_description(c.oid, a.attnum) END) IS NULL",
    )
    .await;
    assert!(
        undocumented.is_empty(),
        "missing COMMENTs: {undocumented:?}"
    );

    let before = catalog_fingerprint(&client).await;
    assert!(before.len() > 80, "fingerprint too small: {}", before.len());
    // refinery does not re-run an applied version ...
    assert!(migrate::apply(&mut client).await.unwrap().is_empty());
    // ... and the SQL itself is idempotent when run again by hand.
    let migrations = Migrations::queue();
    for (id, sql) in migrations.sql() {
        client
            .batch_execute(sql)
            .await
            .unwrap_or_else(|e| panic!("second run of {id}: {e}"));
    }
    assert_eq!(catalog_fingerprint(&client).await, before);
    assert!(migrate::verify(&mut client).await.unwrap().is_complete());
}

#[tokio::test]
async fn up_down_up_leaves_nothing_after_down() {
    let (_db, mut client) = migrated().await;
    let queue = Migrations::queue();
    let rolled = queue.rollback_latest(&mut client).await.unwrap();
    assert_eq!(rolled.map(|id| id.version), Some(4));
    assert!(
        migrate::verify(&mut client).await.unwrap().is_complete(),
        "V4's rollback leaves exactly what V1 to V3 build"
    );
    let rolled = queue.rollback_latest(&mut client).await.unwrap();
    assert_eq!(rolled.map(|id| id.version), Some(3));
    let left = names(
        &client,
        "SELECT 'column ' || attname FROM pg_attribute
          WHERE attrelid = 'messenger_messages'::regclass AND attname = 'lease_token'
         UNION ALL SELECT 'class ' || relname FROM pg_class WHERE relname = 'messenger_lease_token_seq'
         UNION ALL SELECT 'proc ' || proname FROM pg_proc WHERE proname = 'messenger_notify_consumable'
         UNION ALL SELECT 'options ' || array_to_string(reloptions, ',') FROM pg_class
          WHERE relname = 'messenger_messages' AND reloptions IS NOT NULL",
    )
    .await;
    assert!(left.is_empty(), "V3's rollback left {left:?}");
    assert!(
        migrate::verify(&mut client).await.unwrap().is_complete(),
        "V3's rollback leaves exactly what V1 and V2 build"
    );
    let rolled = queue.rollback_latest(&mut client).await.unwrap();
    assert_eq!(rolled.map(|id| id.version), Some(2));
    let acknowledged: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_constraint WHERE obj_description(oid, 'pg_constraint') IS NOT NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(acknowledged, 0, "V2's rollback left its COMMENTs behind");
    assert!(
        migrate::verify(&mut client).await.unwrap().is_complete(),
        "V1 survives V2's rollback"
    );
    let rolled = queue.rollback_latest(&mut client).await.unwrap();
    assert_eq!(rolled.map(|id| id.version), Some(1));

    let leftovers = names(
        &client,
        "SELECT 'class ' || relname FROM pg_class WHERE relname LIKE '%messenger%'
         UNION ALL SELECT 'type ' || typname FROM pg_type WHERE typname LIKE '%messenger%'
         UNION ALL SELECT 'proc ' || proname FROM pg_proc WHERE proname LIKE '%messenger%'
         UNION ALL SELECT 'trigger ' || tgname FROM pg_trigger WHERE tgname LIKE '%messenger%'
         UNION ALL SELECT 'constraint ' || conname FROM pg_constraint WHERE conname LIKE '%messenger%'",
    )
    .await;
    assert!(leftovers.is_empty(), "left behind by down: {leftovers:?}");
    let status = queue.status(&mut client).await.unwrap();
    assert!(status.applied.is_empty());
    assert_eq!(status.pending.len(), 4);
    assert_eq!(queue.rollback_latest(&mut client).await.unwrap(), None);

    assert_eq!(migrate::apply(&mut client).await.unwrap().len(), 4);
    assert!(migrate::verify(&mut client).await.unwrap().is_complete());
}

#[tokio::test]
async fn verify_names_every_difference_from_what_the_migrations_build() {
    let (_db, mut client) = migrated().await;
    let report = migrate::verify(&mut client).await.unwrap();
    assert!(report.is_complete(), "{:?}", report.differences);
    assert_eq!(report.schema, "public");
    assert!(report.objects > 100, "{} objects", report.objects);

    client
        .batch_execute(
            "DROP INDEX idx_messenger_messages_lock_expiry;
             DROP VIEW messenger_failed_summary;
             ALTER TABLE messenger_schedules DISABLE ROW LEVEL SECURITY;
             ALTER TABLE messenger_messages ALTER queue_name SET DEFAULT 'other', ALTER last_error SET NOT NULL;
             ALTER TABLE messenger_transports ADD COLUMN extra int;
             DROP INDEX uq_messenger_transports_name;
             CREATE INDEX uq_messenger_transports_name ON messenger_transports (name);",
        )
        .await
        .unwrap();
    let report = migrate::verify(&mut client).await.unwrap();
    let shown: Vec<String> = report.differences.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "missing view messenger_failed_summary",
            "column messenger_messages.last_error: not null true, expected false",
            "column messenger_messages.queue_name: default 'other'::text, expected 'default'::text",
            "missing index idx_messenger_messages_lock_expiry on messenger_messages",
            "table messenger_schedules: row level security false, expected true",
            "unexpected column messenger_transports.extra",
            "index uq_messenger_transports_name on messenger_transports: definition \
             `CREATE INDEX uq_messenger_transports_name ON messenger_transports USING btree (name)`, \
             expected `CREATE UNIQUE INDEX uq_messenger_transports_name ON messenger_transports \
             USING btree (name)`",
        ]
    );
    // Nothing of verify's scratch schema is left.
    let scratch: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'messenger_verify%'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(scratch, 0);
}

async fn insert_error(client: &Client, sql: &str) -> String {
    client
        .batch_execute(sql)
        .await
        .expect_err(sql)
        .as_db_error()
        .map(|e| e.message().to_owned())
        .expect("a database error")
}

#[tokio::test]
async fn constraints_reject_bad_rows_and_updated_at_moves() {
    let (_db, client) = migrated().await;
    for priority in [0, 11] {
        let err = insert_error(&client, &format!(
            "INSERT INTO messenger_messages (transport_name, body, priority) VALUES ('email', '{{}}', {priority})"
        ))
        .await;
        assert!(err.contains("messenger_messages_priority_check"), "{err}");
    }
    for priority in [1, 10] {
        client
            .batch_execute(&format!(
                "INSERT INTO messenger_messages (transport_name, body, priority) VALUES ('email', '{{}}', {priority})"
            ))
            .await
            .unwrap();
    }
    let err = insert_error(
        &client,
        "INSERT INTO messenger_messages (transport_name, body, status) VALUES ('email', '{}', 'lost')",
    )
    .await;
    assert!(err.contains("invalid input value for enum"), "{err}");

    let keyed = "INSERT INTO messenger_messages (transport_name, body, idempotency_key) VALUES ('email', '{}', 'k-1')";
    client.batch_execute(keyed).await.unwrap();
    let err = insert_error(&client, keyed).await;
    assert!(err.contains("uq_messenger_messages_idempotency"), "{err}");
    // The same key on another transport, and any number of NULL keys, are fine.
    client
        .batch_execute(
            "INSERT INTO messenger_messages (transport_name, body, idempotency_key) VALUES ('sms', '{}', 'k-1');
             INSERT INTO messenger_messages (transport_name, body) VALUES ('email', '{}'), ('email', '{}'), ('email', '{}');",
        )
        .await
        .unwrap();
    let null_keys: i64 = client
        .query_one(
            "SELECT count(*) FROM messenger_messages WHERE idempotency_key IS NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(null_keys, 5);

    let row = client
        .query_one(
            "WITH before AS (SELECT id, updated_at FROM messenger_messages WHERE idempotency_key = 'k-1' AND transport_name = 'email')
             UPDATE messenger_messages m SET queue_name = 'other' FROM before
              WHERE m.id = before.id RETURNING before.updated_at < m.updated_at",
            &[],
        )
        .await
        .unwrap();
    assert!(row.get::<_, bool>(0), "updated_at did not move on UPDATE");
}

#[tokio::test]
async fn views_aggregate_a_known_data_set() {
    let (_db, client) = migrated().await;
    client
        .batch_execute(
            "INSERT INTO messenger_messages (transport_name, queue_name, body, status, available_at, locked_by, lock_expires_at) VALUES
               ('email', 'default', '{}', 'pending',    '2030-01-02T00:00:00Z', NULL, NULL),
               ('email', 'default', '{}', 'pending',    '2030-01-01T00:00:00Z', NULL, NULL),
               ('email', 'default', '{}', 'processing', '2030-01-01T00:00:00Z', 'w1', now() + interval '1 minute'),
               ('email', 'default', '{}', 'completed',  '2030-01-01T00:00:00Z', NULL, NULL),
               ('email', 'bulk',    '{}', 'failed',     '2030-01-01T00:00:00Z', NULL, NULL),
               ('sms',   'default', '{}', 'completed',  '2030-01-01T00:00:00Z', NULL, NULL);
             INSERT INTO messenger_failed_messages (transport_name, body, error_message, error_class, failed_at) VALUES
               ('email', '{}', 'boom', 'Timeout', '2030-01-01T00:00:00Z'),
               ('email', '{}', 'boom', 'Timeout', '2030-01-03T00:00:00Z'),
               ('email', '{}', 'bad',  NULL,      '2030-01-02T00:00:00Z'),
               ('sms',   '{}', 'no',   'Refused', '2030-01-05T00:00:00Z');
             INSERT INTO messenger_schedules (name, transport_name, message_type, schedule_type, interval_seconds, next_run_at, enabled) VALUES
               ('a', 'email', 'digest', 'interval', 60, now() - interval '1 hour', true),
               ('b', 'email', 'digest', 'interval', 60, '2031-01-01T00:00:00Z', true),
               ('c', 'email', 'digest', 'interval', 60, now() - interval '1 hour', false);
             INSERT INTO messenger_schedules (name, transport_name, message_type, schedule_type, cron_expression, next_run_at) VALUES
               ('d', 'sms', 'report', 'cron', '0 * * * *', '2032-01-01T00:00:00Z');",
        )
        .await
        .unwrap();

    let depth: Vec<String> = client
        .query(
            "SELECT concat_ws(' ', transport_name, queue_name, pending_count, processing_count, completed_count,
                    failed_count, total_count, to_char(oldest_pending_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'))
               FROM messenger_queue_depth ORDER BY transport_name, queue_name",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        depth,
        [
            "email bulk 0 0 0 1 1",
            "email default 2 1 1 0 4 2030-01-01",
            "sms default 0 0 1 0 1"
        ]
    );

    let failed: Vec<String> = client
        .query(
            "SELECT concat_ws(' ', transport_name, coalesce(error_class, '-'), failure_count,
                    to_char(first_failed_at AT TIME ZONE 'UTC', 'MM-DD'), to_char(last_failed_at AT TIME ZONE 'UTC', 'MM-DD'))
               FROM messenger_failed_summary ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        failed,
        [
            "email - 1 01-02 01-02",
            "email Timeout 2 01-01 01-03",
            "sms Refused 1 01-05 01-05"
        ]
    );

    let schedules: Vec<String> = client
        .query(
            "SELECT concat_ws(' ', transport_name, schedule_type, schedule_count, enabled_count, overdue_count,
                    CASE WHEN next_run_at < now() THEN 'past' ELSE to_char(next_run_at AT TIME ZONE 'UTC', 'YYYY') END)
               FROM messenger_schedules_summary ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        schedules,
        ["email interval 3 2 1 past", "sms cron 1 1 0 2032"]
    );
}

#[tokio::test]
async fn supabase_anon_and_authenticated_see_and_write_nothing() {
    let (_db, client) = migrated().await;
    // Roles as Supabase creates them (cluster-wide, so created only when absent; concurrent
    // tests may race to create them, which is harmless).
    for role in ["anon", "authenticated"] {
        let _ = client
            .batch_execute(&format!(
                "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}')
                 THEN CREATE ROLE {role} NOLOGIN NOINHERIT; END IF; END $$"
            ))
            .await;
    }
    // Supabase's default privileges in `public`.
    client
        .batch_execute(
            "GRANT USAGE ON SCHEMA public TO anon, authenticated;
             GRANT ALL ON ALL TABLES IN SCHEMA public TO anon, authenticated;
             GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO anon, authenticated;
             INSERT INTO messenger_messages (transport_name, body) VALUES ('email', '{}');
             INSERT INTO messenger_failed_messages (transport_name, body, error_message) VALUES ('email', '{}', 'x');
             INSERT INTO messenger_transports (name) VALUES ('audit');
             INSERT INTO messenger_schedules (name, transport_name, message_type, schedule_type, run_at)
                  VALUES ('once', 'email', 'x', 'once', now());",
        )
        .await
        .unwrap();

    for role in ["anon", "authenticated"] {
        client
            .batch_execute(&format!("SET ROLE {role}"))
            .await
            .unwrap();
        for relation in TABLES.iter().chain(&[
            "messenger_queue_depth",
            "messenger_failed_summary",
            "messenger_schedules_summary",
        ]) {
            let count: i64 = client
                .query_one(&format!("SELECT count(*) FROM {relation}"), &[])
                .await
                .unwrap()
                .get(0);
            assert_eq!(count, 0, "{role} reads rows of {relation}");
        }
        let err = insert_error(
            &client,
            "INSERT INTO messenger_messages (transport_name, body) VALUES ('email', '{}')",
        )
        .await;
        assert!(err.contains("row-level security"), "{role}: {err}");
        let err = insert_error(
            &client,
            "INSERT INTO messenger_transports (name) VALUES ('evil')",
        )
        .await;
        assert!(err.contains("row-level security"), "{role}: {err}");
        // V4's requeue function is not theirs to call either.
        let err = insert_error(
            &client,
            "SELECT * FROM messenger_requeue_dead_letters(ARRAY[1]::bigint[])",
        )
        .await;
        assert!(
            err.contains("permission denied for function"),
            "{role}: {err}"
        );
        client.batch_execute("RESET ROLE").await.unwrap();
    }
    let total: i64 = client
        .query_one("SELECT count(*) FROM messenger_messages", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(total, 1, "the owner still sees its row");
}

/// The application's migrations in a temp dir: one message type and its transport.
fn application_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rollback")).unwrap();
    std::fs::write(
        dir.path().join("V1__types.sql"),
        "CREATE SCHEMA IF NOT EXISTS messenger_payloads;
         CREATE TABLE IF NOT EXISTS messenger_payloads.ping (n integer NOT NULL);
         INSERT INTO messenger_transports (name, config)
         VALUES ('pings', '{\"message_types\": [\"ping\"]}') ON CONFLICT (name) DO NOTHING;",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("rollback/V1__types.sql"),
        "DELETE FROM messenger_transports WHERE name = 'pings';
         DROP TABLE messenger_payloads.ping; DROP SCHEMA messenger_payloads;",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("V2__more.sql"),
        "CREATE TABLE IF NOT EXISTS messenger_payloads.pong (n integer NOT NULL);",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("rollback/V2__more.sql"),
        "DROP TABLE messenger_payloads.pong;",
    )
    .unwrap();
    dir
}

/// A later toolkit version brings queue migration N+1: `up` applies exactly that, the
/// application's history is untouched, and rolling back the application never reaches the
/// queue's schema.
#[tokio::test]
async fn a_new_queue_migration_upgrades_an_application_database() {
    let db = TestDb::new().await;
    let mut client = db.client().await;
    let app_dir = application_dir();
    let app = Migrations::from_dir(app_dir.path()).unwrap();

    // The queue at version N: today's queue migrations, read from a copy of schema/.
    let queue_dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(queue_dir.path().join("rollback")).unwrap();
    let schema = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema");
    for (id, sql) in Migrations::queue().sql() {
        std::fs::write(queue_dir.path().join(format!("{id}.sql")), sql).unwrap();
        std::fs::copy(
            schema.join(format!("rollback/{id}.sql")),
            queue_dir.path().join(format!("rollback/{id}.sql")),
        )
        .unwrap();
    }
    let queue_n = Migrations::from_dir(queue_dir.path())
        .unwrap()
        .with_history_table(migrate::QUEUE_HISTORY_TABLE);
    let n = queue_n.ids().last().unwrap().version;
    // Version numbers may have gaps (a branch's migration merged later).
    assert_eq!(
        queue_n.apply(&mut client).await.unwrap().len(),
        queue_n.ids().len()
    );
    assert_eq!(app.apply(&mut client).await.unwrap().len(), 2);

    // Version N+1 of the queue.
    let next = format!("V{}__upgrade", n + 1);
    std::fs::write(
        queue_dir.path().join(format!("{next}.sql")),
        "CREATE TABLE IF NOT EXISTS messenger_upgrade_marker (id int);",
    )
    .unwrap();
    std::fs::write(
        queue_dir.path().join(format!("rollback/{next}.sql")),
        "DROP TABLE messenger_upgrade_marker;",
    )
    .unwrap();
    let queue_n1 = Migrations::from_dir(queue_dir.path())
        .unwrap()
        .with_history_table(migrate::QUEUE_HISTORY_TABLE);
    let applied = queue_n1.apply(&mut client).await.unwrap();
    assert_eq!(
        applied.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [next.as_str()]
    );
    assert!(app.apply(&mut client).await.unwrap().is_empty());
    let status = app.status(&mut client).await.unwrap();
    assert_eq!(status.applied.len(), 2);
    assert!(status.pending.is_empty());

    // The application's down takes its own newest migration, twice, then nothing — the queue
    // stays whole.
    let rolled = app.rollback_latest(&mut client).await.unwrap();
    assert_eq!(rolled.map(|id| id.to_string()).as_deref(), Some("V2__more"));
    let rolled = app.rollback_latest(&mut client).await.unwrap();
    assert_eq!(
        rolled.map(|id| id.to_string()).as_deref(),
        Some("V1__types")
    );
    assert_eq!(app.rollback_latest(&mut client).await.unwrap(), None);
    assert!(migrate::verify(&mut client).await.unwrap().is_complete());
    let queue_status = queue_n1.status(&mut client).await.unwrap();
    assert_eq!(queue_status.applied.len(), queue_n.ids().len() + 1);
}

/// Three processes' worth of concurrent `up` on a new database: all succeed, the migrations are
/// applied once, and each call reports only what it applied itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 3)]
async fn three_concurrent_ups_apply_one_set() {
    let db = TestDb::new().await;
    let app_dir = application_dir();
    let mut tasks = Vec::new();
    for _ in 0..3 {
        let url = db.url().to_owned();
        let dir = app_dir.path().to_path_buf();
        tasks.push(tokio::spawn(async move {
            let mut client = messenger_test_support::connect(&url).await;
            let app = Migrations::from_dir(&dir).unwrap();
            migrate::up(&mut client, Some(&app)).await
        }));
    }
    let mut queue = Vec::new();
    let mut application = Vec::new();
    for task in tasks {
        let applied = task.await.unwrap().expect("every concurrent up succeeds");
        queue.extend(applied.queue);
        application.extend(applied.application);
    }
    assert_eq!(
        queue,
        Migrations::queue().ids(),
        "queue applied once in all"
    );
    assert_eq!(application.len(), 2, "application applied once in all");
    let client = db.client().await;
    let rows: i64 = client
        .query_one("SELECT count(*) FROM refinery_schema_history", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, 2);
}
