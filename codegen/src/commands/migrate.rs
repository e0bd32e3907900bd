//! `messenger-gen migrate up|down|status|verify|new|export`: the queue's migrations (built in)
//! and the application's (`schema` of `messenger-gen.toml`, or `--schema DIR`), each with its
//! own history table (`export` is in `export.rs`).

use std::path::{Path, PathBuf};

use symphony_messenger::migrate::{self, MigrateError, MigrationStatus, Migrations};

use crate::cli::{MigrateAction, MigrateArgs};
use crate::config::Config;
use crate::db;
use crate::diagnostics;
use crate::exit_codes;
use crate::failure::Failure;

/// The application's migrations and where they come from, or `None` without any.
struct Application {
    dir: PathBuf,
    migrations: Migrations,
}

/// What `migrate` works on: the queue (unless the config says the schema is standalone) and the
/// application's migrations, if there are any.
struct Plan {
    queue: Option<Migrations>,
    application: Option<Application>,
}

fn plan(args: &MigrateArgs) -> Result<Plan, Failure> {
    let config = Config::load(args.config.as_deref())?;
    let dir = match (&args.schema, &config.file) {
        (Some(dir), _) => Some(dir.clone()),
        (None, Some(_)) => Some(config.schema.clone()),
        (None, None) if config.schema.is_dir() && args.config.is_none() => {
            // A `schema/` in the working directory without a configuration file: an
            // application that relies on the defaults.
            Some(config.schema.clone())
        }
        (None, None) => None,
    };
    let application = match dir {
        Some(dir) => {
            let migrations = Migrations::from_dir(&dir)
                .map_err(|e| Failure::input(format!("{}: {e}", dir.display())))?;
            Some(Application { dir, migrations })
        }
        None => None,
    };
    Ok(Plan {
        queue: config.include_queue.then(Migrations::queue),
        application,
    })
}

/// Runs one migrate action and returns the exit code.
pub async fn run(args: MigrateArgs) -> Result<u8, Failure> {
    if let MigrateAction::New { name } = &args.action {
        return new_migration(&args, name);
    }
    let plan = plan(&args)?;
    if let MigrateAction::Export { supabase } = &args.action {
        return super::export::supabase(
            plan.queue.as_ref(),
            plan.application.as_ref().map(|app| &app.migrations),
            supabase,
        );
    }
    let url = args.database_url.as_deref().ok_or_else(|| {
        Failure::input("no database given: pass --database-url URL or set DATABASE_URL")
    })?;
    let mut client = db::connect(url).await?;
    let failed = |e: MigrateError| match &e {
        MigrateError::Database(db_err) if db_err.as_db_error().is_none() => Failure::new(
            exit_codes::DATABASE_UNREACHABLE,
            format!("lost the connection to {}: {e}", db::redact(url)),
        ),
        _ => Failure::input(e.to_string()),
    };
    match &args.action {
        MigrateAction::Up => {
            let mut any = false;
            if let Some(queue) = &plan.queue {
                let applied = queue.apply(&mut client).await.map_err(failed)?;
                for id in applied {
                    println!("applied {id} (queue)");
                    any = true;
                }
            }
            if let Some(app) = &plan.application {
                let applied =
                    app.migrations.apply(&mut client).await.map_err(|e| {
                        diagnostics::migration_failure(e, &app.dir, &app.migrations)
                    })?;
                for id in applied {
                    println!("applied {id}");
                    any = true;
                }
            }
            if !any {
                println!("nothing to apply: the database is up to date");
            }
        }
        MigrateAction::Down { queue } => {
            let (set, label) = if *queue {
                let Some(queue) = &plan.queue else {
                    return Err(Failure::input(
                        "--queue: this configuration has include-queue = false",
                    ));
                };
                if let Some(app) = &plan.application {
                    let status = app.migrations.status(&mut client).await.map_err(failed)?;
                    if let Some(last) = status.applied.last() {
                        return Err(Failure::input(format!(
                            "the application's migrations are applied (newest: {last}); roll \
                             them back first, the queue's schema is what they build on"
                        )));
                    }
                }
                (queue, " (queue)")
            } else {
                let Some(app) = &plan.application else {
                    return Err(Failure::input(
                        "no application migrations (no messenger-gen.toml, no --schema DIR); \
                         to roll back the queue's own schema, pass --queue",
                    ));
                };
                (&app.migrations, "")
            };
            match set.rollback_latest(&mut client).await.map_err(failed)? {
                Some(id) => println!("rolled back {id}{label}"),
                None => println!("nothing to roll back: no migration is applied"),
            }
        }
        MigrateAction::Status => {
            if let Some(queue) = &plan.queue {
                let status = queue.status(&mut client).await.map_err(failed)?;
                print_status("queue", &status);
            }
            if let Some(app) = &plan.application {
                let status = app.migrations.status(&mut client).await.map_err(failed)?;
                print_status("application", &status);
            }
        }
        MigrateAction::Verify => {
            let report = migrate::verify(&client)
                .await
                .map_err(|e| Failure::input(format!("verification query failed: {e}")))?;
            if report.is_complete() {
                println!("ok: all {} schema objects are present", report.checks.len());
            } else {
                for object in report.missing() {
                    println!("missing {} {}", object.kind, object.name);
                }
                return Ok(exit_codes::DIFFERENCE);
            }
        }
        MigrateAction::New { .. } | MigrateAction::Export { .. } => {
            unreachable!("handled before connecting")
        }
    }
    Ok(exit_codes::OK)
}

fn print_status(set: &str, status: &MigrationStatus) {
    for id in &status.applied {
        println!("{set:<12} applied  {id}");
    }
    for id in &status.pending {
        println!("{set:<12} pending  {id}");
    }
}

/// `migrate new NAME`: `V<n+1>__NAME.sql` and its rollback script in the application's schema
/// directory, both with a header saying what goes in them.
fn new_migration(args: &MigrateArgs, name: &str) -> Result<u8, Failure> {
    let config = Config::load(args.config.as_deref())?;
    let dir = args.schema.clone().unwrap_or(config.schema);
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(Failure::input(format!(
            "migration name `{name}`: use ASCII letters, digits and underscores (it becomes \
             V<n>__{name}.sql)"
        )));
    }
    let existing = if dir.is_dir() {
        Migrations::from_dir(&dir).map_err(|e| Failure::input(format!("{}: {e}", dir.display())))?
    } else {
        Migrations::from_embedded(&[], &[]).map_err(|e| Failure::input(e.to_string()))?
    };
    let version = existing.ids().last().map_or(1, |id| id.version + 1);
    let stem = format!("V{version}__{name}");
    let file = dir.join(format!("{stem}.sql"));
    let rollback = dir.join("rollback").join(format!("{stem}.sql"));
    write_new(
        &file,
        &format!(
            "-- {stem}: describe what this migration does.\n\
             -- It runs in one transaction; `messenger-gen migrate down` runs rollback/{stem}.sql.\n"
        ),
    )?;
    write_new(
        &rollback,
        &format!("-- Undoes {stem}.sql, dropping what it created in reverse order.\n"),
    )?;
    println!("created {}", file.display());
    println!("created {}", rollback.display());
    Ok(exit_codes::OK)
}

/// Creates `path` (and its directory) with `text`; never overwrites a file.
fn write_new(path: &Path, text: &str) -> Result<(), Failure> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| Failure::input(format!("cannot create {}: {e}", parent.display())))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| Failure::input(format!("cannot create {}: {e}", path.display())))?;
    std::io::Write::write_all(&mut file, text.as_bytes())
        .map_err(|e| Failure::input(format!("cannot write {}: {e}", path.display())))
}
