//! The generator's pipeline: load → scratch database → migrate → cornucopia → lints → files.

use symphony_messenger::migrate::Migrations;

use crate::config::Config;
use crate::database::ScratchDatabase;
use crate::failure::Failure;
use crate::lint::{self, Warning};
use crate::load;
use crate::rust_queries;
use crate::write::FileMap;
use crate::{db, exit_codes};
use crate::{diagnostics, emit, introspect};

/// Everything `generate` would write, and the warnings found on the way.
#[derive(Debug)]
pub struct Generated {
    /// The output tree, relative to the output directory.
    pub files: FileMap,
    /// Warnings about the inputs.
    pub warnings: Vec<Warning>,
}

/// Runs the whole pipeline against a scratch database (on `database_url`, or on a throw-away
/// cluster when `None`), which is removed afterwards, also on error and on Ctrl-C.
pub async fn generate(config: &Config, database_url: Option<&str>) -> Result<Generated, Failure> {
    // Installed before anything is created, so Ctrl-C during start-up is also caught (and
    // handled below, once there is something to clean up) instead of killing the process.
    let mut interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .map_err(|e| Failure::input(format!("cannot handle Ctrl-C: {e}")))?;
    let migrations =
        Migrations::from_dir(&config.schema).map_err(|e| Failure::input(e.to_string()))?;
    if migrations.ids().is_empty() {
        return Err(Failure::input(format!(
            "no migrations (V{{n}}__{{name}}.sql) in {}",
            config.schema.display()
        )));
    }
    let queries = load::queries::read_dir(&config.queries).map_err(|e| {
        Failure::input(format!(
            "cannot read queries in {}: {e}",
            config.queries.display()
        ))
    })?;
    let mut timings = Timings::from_env();
    let scratch = ScratchDatabase::create(database_url).await?;
    timings.phase("scratch database");
    let result = tokio::select! {
        result = generate_in(&scratch, config, &migrations, &queries) => result,
        _ = interrupt.recv() => Err(Failure::new(
            exit_codes::INTERRUPTED,
            "interrupted; the scratch database was removed",
        )),
    };
    let mut timings = Timings::from_env();
    scratch.remove().await;
    timings.phase("removing the scratch database");
    result
}

async fn generate_in(
    scratch: &ScratchDatabase,
    config: &Config,
    migrations: &Migrations,
    queries: &[load::queries::QuerySource],
) -> Result<Generated, Failure> {
    let mut timings = Timings::from_env();
    let mut client = scratch.connect().await?;
    migrations
        .apply(&mut client)
        .await
        .map_err(|e| diagnostics::migration_failure(e, &config.schema, migrations))?;
    timings.phase("migrations");

    let mut files = FileMap::new();
    let settings = config.clone();
    let (client, crate_files) = tokio::task::spawn_blocking(move || {
        let files = rust_queries::generate(&client, &settings);
        (client, files)
    })
    .await
    .map_err(|e| Failure::input(format!("query generation panicked: {e}")))?;
    files.extend_under(&config.rust.dir, crate_files?);
    timings.phase("cornucopia");

    let (catalog, mut warnings) = introspect::catalog::read(&client)
        .await
        .map_err(|e| Failure::input(e.to_string()))?;
    timings.phase("introspection");
    let emitted = emit::emit_all(&catalog).map_err(|e| Failure::input(e.to_string()))?;
    files.extend_under(std::path::Path::new(""), emitted);
    timings.phase("emitters");

    warnings.extend(
        lint::nullable_columns(&client, queries, std::path::Path::new(""))
            .await
            .map_err(|e| Failure::input(format!("lint: {}", db::error_text(&e))))?,
    );
    timings.phase("lint");
    Ok(Generated { files, warnings })
}

/// Phase durations on stderr when `MESSENGER_GEN_TIMINGS` is set (for finding slow inputs).
struct Timings {
    last: Option<std::time::Instant>,
}

impl Timings {
    fn from_env() -> Timings {
        Timings {
            last: std::env::var_os("MESSENGER_GEN_TIMINGS").map(|_| std::time::Instant::now()),
        }
    }

    fn phase(&mut self, name: &str) {
        if let Some(last) = self.last {
            eprintln!(
                "timing: {name}: {:.1} ms",
                last.elapsed().as_secs_f64() * 1e3
            );
            self.last = Some(std::time::Instant::now());
        }
    }
}
