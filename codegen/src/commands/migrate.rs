//! `messenger-gen migrate up|down|status|verify`.

use symphony_messenger::migrate::{self, Migrations};

use crate::cli::{MigrateAction, MigrateArgs};
use crate::db;
use crate::diagnostics;
use crate::exit_codes;
use crate::failure::Failure;

/// Runs one migrate action and returns the exit code.
pub async fn run(args: MigrateArgs) -> Result<u8, Failure> {
    let migrations = match &args.schema {
        Some(dir) => Migrations::from_dir(dir).map_err(|e| Failure::input(e.to_string()))?,
        None => Migrations::embedded(),
    };
    let url = args.database_url.as_deref().ok_or_else(|| {
        Failure::input("no database given: pass --database-url URL or set DATABASE_URL")
    })?;
    let mut client = db::connect(url).await?;
    let failed = |e: migrate::MigrateError| Failure::input(e.to_string());
    match args.action {
        MigrateAction::Up => {
            let schema_dir = args.schema.clone().unwrap_or_else(|| "schema".into());
            let applied = migrations
                .apply(&mut client)
                .await
                .map_err(|e| diagnostics::migration_failure(e, &schema_dir, &migrations))?;
            if applied.is_empty() {
                println!("nothing to apply: the database is up to date");
            }
            for id in applied {
                println!("applied {id}");
            }
        }
        MigrateAction::Down => match migrations
            .rollback_latest(&mut client)
            .await
            .map_err(failed)?
        {
            Some(id) => println!("rolled back {id}"),
            None => println!("nothing to roll back: no migration is applied"),
        },
        MigrateAction::Status => {
            let status = migrations.status(&mut client).await.map_err(failed)?;
            for id in &status.applied {
                println!("applied  {id}");
            }
            for id in &status.pending {
                println!("pending  {id}");
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
    }
    Ok(exit_codes::OK)
}
