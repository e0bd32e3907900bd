//! `messenger-gen migrate up|down|status|verify|new|export`: the queue's migrations (built in)
//! and the application's (`schema` of `messenger-gen.toml`, or `--schema DIR`), each with its
//! own history table (`export` is in `export.rs`).

use std::path::{Path, PathBuf};

use symphony_messenger::migrate::{self, MigrateError, MigrationStatus, Migrations};

use crate::cli::{MigrateAction, MigrateArgs};
use crate::config::Config;
use crate::error::{Error, MigrationError};
use crate::exit_codes;
use crate::output;

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

fn plan(args: &MigrateArgs) -> Result<Plan, Error> {
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
            let migrations =
                Migrations::from_dir(&dir).map_err(|e| MigrationError::new(e, Some(&dir), None))?;
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
pub async fn run(args: MigrateArgs) -> Result<u8, Error> {
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
    let mut client = super::output::connect_to(args.database_url.as_deref()).await?;
    let queue_failed = |e: MigrateError| MigrationError::new(e, None, plan.queue.as_ref());
    fn app_failed(app: &Application) -> impl Fn(MigrateError) -> MigrationError + '_ {
        move |e| MigrationError::new(e, Some(&app.dir), Some(&app.migrations))
    }
    match &args.action {
        MigrateAction::Up => {
            let mut any = false;
            if let Some(queue) = &plan.queue {
                let applied = queue.apply(&mut client).await.map_err(queue_failed)?;
                for id in &applied {
                    output::line(&format!("applied {id} (queue)"))?;
                    any = true;
                }
                // The migrations create what is missing (`IF NOT EXISTS`): a table that was
                // there before, made by hand, stays as it was. Say so now, not at run time.
                if !applied.is_empty() {
                    let report = migrate::verify(&mut client)
                        .await
                        .map_err(|e| MigrationError::new(e, None, None))?;
                    if !report.is_complete() {
                        output::line(&format!(
                            "the queue's schema in `{}` is not what its migrations build \
                             (objects that existed before were kept):",
                            report.schema
                        ))?;
                        for difference in &report.differences {
                            output::line(&format!("  {difference}"))?;
                        }
                        return Ok(exit_codes::DIFFERENCE);
                    }
                }
            }
            if let Some(app) = &plan.application {
                let applied = app
                    .migrations
                    .apply(&mut client)
                    .await
                    .map_err(app_failed(app))?;
                for id in applied {
                    output::line(&format!("applied {id}"))?;
                    any = true;
                }
            }
            if !any {
                output::line("nothing to apply: the database is up to date")?;
            }
        }
        MigrateAction::Down { queue } => {
            let (set, app, label) = if *queue {
                let Some(queue) = &plan.queue else {
                    return Err(Error::Usage(
                        "--queue: this configuration has include-queue = false".into(),
                    ));
                };
                if let Some(app) = &plan.application {
                    let status = app
                        .migrations
                        .status(&mut client)
                        .await
                        .map_err(app_failed(app))?;
                    if let Some(last) = status.applied.last() {
                        return Err(Error::Usage(format!(
                            "the application's migrations are applied (newest: {last}); roll \
                             them back first, the queue's schema is what they build on"
                        )));
                    }
                }
                (queue, None, " (queue)")
            } else {
                let Some(app) = &plan.application else {
                    return Err(Error::Usage(
                        "no application migrations (no messenger-gen.toml, no --schema DIR); \
                         to roll back the queue's own schema, pass --queue"
                            .into(),
                    ));
                };
                (&app.migrations, Some(app), "")
            };
            let rolled_back = set
                .rollback_latest(&mut client)
                .await
                .map_err(|e| match app {
                    Some(app) => app_failed(app)(e),
                    None => queue_failed(e),
                })?;
            match rolled_back {
                Some(id) => output::line(&format!("rolled back {id}{label}"))?,
                None => output::line("nothing to roll back: no migration is applied")?,
            }
        }
        MigrateAction::Status => {
            if let Some(queue) = &plan.queue {
                let status = queue.status(&mut client).await.map_err(queue_failed)?;
                print_status("queue", &status)?;
            }
            if let Some(app) = &plan.application {
                let status = app
                    .migrations
                    .status(&mut client)
                    .await
                    .map_err(app_failed(app))?;
                print_status("application", &status)?;
            }
        }
        MigrateAction::Verify => {
            let report = migrate::verify(&mut client)
                .await
                .map_err(|e| MigrationError::new(e, None, None))?;
            for id in &report.pending {
                output::line(&format!(
                    "note: {id} (queue) is not applied; run `messenger-gen migrate up`"
                ))?;
            }
            if report.is_complete() {
                output::line(&format!(
                    "ok: the queue's schema in `{}` is what its migrations build ({} objects)",
                    report.schema, report.objects
                ))?;
            } else {
                for difference in &report.differences {
                    output::line(&difference.to_string())?;
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

fn print_status(set: &str, status: &MigrationStatus) -> Result<(), Error> {
    for id in &status.applied {
        output::line(&format!("{set:<12} applied  {id}"))?;
    }
    for id in &status.pending {
        output::line(&format!("{set:<12} pending  {id}"))?;
    }
    Ok(())
}

/// `migrate new NAME`: `V<n+1>__NAME.sql` and its rollback script in the application's schema
/// directory, both with a header saying what goes in them.
fn new_migration(args: &MigrateArgs, name: &str) -> Result<u8, Error> {
    let config = Config::load(args.config.as_deref())?;
    let dir = args.schema.clone().unwrap_or(config.schema);
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(Error::Usage(format!(
            "migration name `{name}`: use ASCII letters, digits and underscores (it becomes \
             V<n>__{name}.sql)"
        )));
    }
    let existing = if dir.is_dir() {
        Migrations::from_dir(&dir).map_err(|e| MigrationError::new(e, Some(&dir), None))?
    } else {
        Migrations::from_embedded(&[], &[]).map_err(|e| MigrationError::new(e, None, None))?
    };
    let last = existing.ids().last().map_or(0, |id| id.version);
    let version = last.checked_add(1).ok_or_else(|| {
        Error::Usage(format!(
            "the newest migration has version {last}, the largest there can be"
        ))
    })?;
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
    output::line(&format!("created {}", file.display()))?;
    output::line(&format!("created {}", rollback.display()))?;
    Ok(exit_codes::OK)
}

/// Creates `path` (and its directory) with `text`; never overwrites a file.
fn write_new(path: &Path, text: &str) -> Result<(), Error> {
    let failed = |what: &str, path: &Path, e: std::io::Error| {
        Error::Usage(format!("cannot {what} {}: {e}", path.display()))
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| failed("create", parent, e))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| failed("create", path, e))?;
    std::io::Write::write_all(&mut file, text.as_bytes()).map_err(|e| failed("write", path, e))
}
