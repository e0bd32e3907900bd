//! `messenger-gen migrate export --supabase DIR` as a Supabase user runs it: the files are
//! named and ordered for the Supabase CLI, the same on every export, and applying them in order
//! with `psql` (one transaction per file, as `supabase db push` runs them) to an empty database
//! builds exactly the schema `messenger-gen migrate up` builds — compared by a fingerprint of
//! the catalog (every relation, column, constraint, index, view, function, trigger, type,
//! policy, comment and grant outside the system schemas; the history tables left out).
//! Afterwards `migrate up` finds nothing to apply.

mod common;
use common::text;

use std::path::Path;
use std::process::{Command, Output};

use messenger_test_support::TestDb;

const DEMO_CONFIG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../examples/demo/messenger-gen.toml"
);

fn messenger_gen(args: &[&str], database_url: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_messenger-gen"));
    cmd.args(args).env_remove("DATABASE_URL");
    if let Some(url) = database_url {
        cmd.env("DATABASE_URL", url);
    }
    cmd.output().expect("messenger-gen runs")
}

/// The files of `dir` with their contents, by name.
fn exported(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            (
                path.file_name().unwrap().to_str().unwrap().to_owned(),
                std::fs::read_to_string(&path).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// One line per catalog object outside the system schemas, sorted: what it is, its name and
/// its definition as PostgreSQL prints it. The history tables (and what belongs to them) are
/// left out: `migrate up` and the exported files fill them at different times.
const FINGERPRINT: &str = r#"
WITH rels AS (
  SELECT c.oid, n.nspname, c.relname, c.relkind
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
     AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast_temp%'
     AND c.relname NOT IN ('symphony_queue_schema_history', 'refinery_schema_history',
                           'symphony_queue_schema_history_pkey', 'refinery_schema_history_pkey')
), user_schemas AS (
  SELECT oid, nspname FROM pg_namespace
   WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
     AND nspname NOT LIKE 'pg_temp%' AND nspname NOT LIKE 'pg_toast_temp%'
)
SELECT line FROM (
  SELECT format('schema %s owner=%s acl=%s comment=%s', nspname,
                pg_get_userbyid(n.nspowner), n.nspacl, obj_description(n.oid, 'pg_namespace')) AS line
    FROM pg_namespace n JOIN user_schemas USING (nspname)
  UNION ALL
  SELECT format('relation %s.%s kind=%s rls=%s force=%s options=%s acl=%s comment=%s',
                r.nspname, r.relname, r.relkind, c.relrowsecurity, c.relforcerowsecurity,
                c.reloptions, c.relacl, obj_description(r.oid, 'pg_class'))
    FROM rels r JOIN pg_class c ON c.oid = r.oid
  UNION ALL
  SELECT format('column %s.%s.%s %s notnull=%s default=%s identity=%s generated=%s acl=%s comment=%s',
                r.nspname, r.relname, a.attname, format_type(a.atttypid, a.atttypmod),
                a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated,
                a.attacl, col_description(r.oid, a.attnum))
    FROM rels r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  UNION ALL
  SELECT format('constraint %s.%s.%s %s comment=%s', r.nspname, r.relname, con.conname,
                pg_get_constraintdef(con.oid), obj_description(con.oid, 'pg_constraint'))
    FROM pg_constraint con JOIN rels r ON r.oid = con.conrelid
  UNION ALL
  SELECT format('domain-or-type constraint %s.%s %s', t.typname, con.conname, pg_get_constraintdef(con.oid))
    FROM pg_constraint con JOIN pg_type t ON t.oid = con.contypid
  UNION ALL
  SELECT format('index %s', pg_get_indexdef(i.indexrelid))
    FROM pg_index i JOIN rels r ON r.oid = i.indrelid
  UNION ALL
  SELECT format('view %s.%s %s', r.nspname, r.relname, pg_get_viewdef(r.oid))
    FROM rels r WHERE r.relkind IN ('v', 'm')
  UNION ALL
  SELECT format('function %s acl=%s comment=%s', pg_get_functiondef(p.oid), p.proacl,
                obj_description(p.oid, 'pg_proc'))
    FROM pg_proc p JOIN user_schemas s ON s.oid = p.pronamespace WHERE p.prokind IN ('f', 'p')
  UNION ALL
  SELECT format('trigger %s', pg_get_triggerdef(t.oid))
    FROM pg_trigger t JOIN rels r ON r.oid = t.tgrelid WHERE NOT t.tgisinternal
  UNION ALL
  SELECT format('type %s.%s kind=%s labels=%s comment=%s', s.nspname, t.typname, t.typtype,
                (SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid),
                obj_description(t.oid, 'pg_type'))
    FROM pg_type t JOIN user_schemas s ON s.oid = t.typnamespace
   WHERE t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
  UNION ALL
  SELECT format('policy %s.%s %s %s roles=%s using=%s check=%s', p.schemaname, p.tablename,
                p.policyname, p.cmd, p.roles, p.qual, p.with_check)
    FROM pg_policies p WHERE p.schemaname NOT IN ('pg_catalog', 'information_schema')
  UNION ALL
  SELECT format('extension %s', extname) FROM pg_extension
) lines ORDER BY line
"#;

async fn fingerprint(db: &TestDb) -> Vec<String> {
    let client = db.client().await;
    client
        .query(FINGERPRINT, &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test]
async fn exported_files_applied_with_psql_build_the_schema_migrate_up_builds() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("supabase/migrations");
    let dir_arg = dir.to_str().unwrap();
    let export = messenger_gen(
        &[
            "migrate",
            "export",
            "--supabase",
            dir_arg,
            "--config",
            DEMO_CONFIG,
        ],
        None,
    );
    assert_eq!(export.status.code(), Some(0), "{}", text(&export.stderr));
    let files = exported(&dir);
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    // The queue's first (2000-01-01), then the demo application's (2000-01-02), each named after
    // its own version: what `supabase db push` applies in order.
    assert_eq!(
        names,
        [
            "20000101000001_queue_symphony_messenger_schema.sql",
            "20000101000002_queue_acknowledged_checks.sql",
            "20000101000003_queue_consuming.sql",
            "20000101000004_queue_schedules_and_operations.sql",
            "20000102000001_message_types.sql",
            "20000102000002_orders.sql",
            "20000102000003_outbox.sql",
        ],
        "{}",
        text(&export.stdout)
    );
    for (name, sql) in &files {
        assert!(
            sql.starts_with("-- Generated by `messenger-gen migrate export --supabase`"),
            "{name}"
        );
    }
    // Exporting again writes the same names with the same bytes.
    let again = messenger_gen(
        &[
            "migrate",
            "export",
            "--supabase",
            dir_arg,
            "--config",
            DEMO_CONFIG,
        ],
        None,
    );
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert_eq!(exported(&dir), files, "a second export differs");

    let by_migrate = TestDb::new().await;
    let up = messenger_gen(
        &["migrate", "up", "--config", DEMO_CONFIG],
        Some(by_migrate.url()),
    );
    assert_eq!(up.status.code(), Some(0), "{}", text(&up.stderr));

    let by_psql = TestDb::new().await;
    for (name, _) in &files {
        let path = dir.join(name);
        let psql = Command::new("psql")
            .args([
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "--single-transaction",
                "-d",
                by_psql.url(),
                "-f",
                path.to_str().unwrap(),
            ])
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run psql ({e}); it comes with PostgreSQL's client \
                     (apt-get install postgresql-client)"
                )
            });
        assert!(
            psql.status.success(),
            "psql -f {name} failed:\n{}{}",
            text(&psql.stdout),
            text(&psql.stderr)
        );
    }

    let expected = fingerprint(&by_migrate).await;
    let actual = fingerprint(&by_psql).await;
    let missing: Vec<&String> = expected.iter().filter(|l| !actual.contains(l)).collect();
    let extra: Vec<&String> = actual.iter().filter(|l| !expected.contains(l)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "the exported migrations build another schema than `migrate up`:\nonly after migrate \
         up:\n{missing:#?}\nonly after psql:\n{extra:#?}"
    );
    assert!(
        expected.len() > 100,
        "a fingerprint of {} lines",
        expected.len()
    );
    println!(
        "exported {} files; psql -v ON_ERROR_STOP=1 --single-transaction -f each, in order: \
         catalog fingerprint equal to migrate up's ({} lines)",
        files.len(),
        expected.len()
    );

    // The files recorded themselves where `migrate up` looks: nothing left to apply.
    let up = messenger_gen(
        &["migrate", "up", "--config", DEMO_CONFIG],
        Some(by_psql.url()),
    );
    assert_eq!(up.status.code(), Some(0), "{}", text(&up.stderr));
    assert_eq!(
        text(&up.stdout),
        "nothing to apply: the database is up to date\n"
    );
}

#[test]
fn export_without_migrations_is_an_input_error() {
    let out = tempfile::tempdir().unwrap();
    std::fs::write(
        out.path().join("messenger-gen.toml"),
        "include-queue = false\nschema = \"missing\"\n",
    )
    .unwrap();
    let config = out.path().join("messenger-gen.toml");
    let target = out.path().join("migrations");
    let export = messenger_gen(
        &[
            "migrate",
            "export",
            "--supabase",
            target.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(export.status.code(), Some(2), "{}", text(&export.stdout));
    assert!(!target.exists(), "nothing is written");
}
