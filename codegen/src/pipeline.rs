//! The generator's pipeline: load → scratch database → migrate → cornucopia → lints → files.

use symphony_messenger::migrate::Migrations;

use std::path::Path;

use crate::config::Config;
use crate::database::ScratchDatabase;
use crate::failure::Failure;
use crate::lint::{self, Warning};
use crate::load;
use crate::rust_queries;
use crate::rustfmt;
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
    // `queries/` is optional: without it there is no query crate.
    let queries = if config.queries.exists() {
        Some(load::queries::read_dir(&config.queries).map_err(|e| {
            Failure::input(format!(
                "cannot read queries in {}: {e}",
                config.queries.display()
            ))
        })?)
    } else {
        None
    };
    let mut timings = Timings::from_env();
    let scratch = ScratchDatabase::create(database_url).await?;
    timings.phase("scratch database");
    let result = tokio::select! {
        result = generate_in(&scratch, config, &migrations, queries.as_deref()) => result,
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
    queries: Option<&[load::queries::QuerySource]>,
) -> Result<Generated, Failure> {
    let mut timings = Timings::from_env();
    let mut client = scratch.connect().await?;
    if config.include_queue {
        // The queue's own schema first, as `migrate up` does: the application builds on it.
        Migrations::queue()
            .apply(&mut client)
            .await
            .map_err(|e| Failure::input(format!("the queue's migrations: {e}")))?;
    }
    migrations
        .apply(&mut client)
        .await
        .map_err(|e| diagnostics::migration_failure(e, &config.schema, migrations))?;
    timings.phase("migrations");

    let mut files = FileMap::new();
    let client = match queries {
        Some(_) => {
            let settings = config.clone();
            let (client, crate_files) = tokio::task::spawn_blocking(move || {
                let files = rust_queries::generate(&client, &settings);
                (client, files)
            })
            .await
            .map_err(|e| Failure::input(format!("query generation panicked: {e}")))?;
            files.extend_under(&config.rust.dir, crate_files?);
            timings.phase("cornucopia");
            client
        }
        None => client,
    };
    // Our own PREPARE of every query, as the `sql` module will carry it (compacted): its
    // parameter types for that module, its result columns for the nullability lint, and the
    // proof that the compacted text is still the query.
    let queries = queries.unwrap_or_default();
    let compacted: Vec<String> = queries
        .iter()
        .map(|q| load::queries::compact(&q.sql))
        .collect();
    let sqls: Vec<&str> = compacted.iter().map(String::as_str).collect();
    let prepared = introspect::prepare_queries(&client, &sqls)
        .await
        .map_err(|e| Failure::input(format!("preparing the queries: {}", db::error_text(&e))))?;
    if !queries.is_empty() {
        let lib_path = config.rust.dir.join("src/lib.rs");
        let lib_rs = files
            .get(&lib_path)
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
            .ok_or_else(|| Failure::input("cornucopia wrote no src/lib.rs".to_owned()))?;
        files.insert(lib_path, rust_queries::with_sql_module(&lib_rs));
        let sql_path = config.rust.dir.join("src/sql.rs");
        let module = rustfmt::format(
            &sql_path.display().to_string(),
            &rust_queries::sql_module(queries, &prepared),
        )
        .map_err(|e| Failure::input(e.to_string()))?;
        files.insert(sql_path, module);
    }
    timings.phase("queries' parameter types");

    let (catalog, mut warnings) = introspect::catalog::read(&client)
        .await
        .map_err(|e| Failure::input(e.to_string()))?;
    timings.phase("introspection");
    let sources = sources(config)?;
    let mut emitted =
        emit::emit_all(&catalog, &sources).map_err(|e| Failure::input(e.to_string()))?;
    timings.phase("emitters");
    check_transport_schemas(&emitted)?;
    emitted
        .format_rust(rustfmt::format)
        .map_err(|e| Failure::input(e.to_string()))?;
    timings.phase("rustfmt");
    files.extend_under(std::path::Path::new(""), emitted);

    warnings.extend(lint::nullable_columns(
        queries,
        &prepared,
        std::path::Path::new(""),
    ));
    timings.phase("lint");
    Ok(Generated { files, warnings })
}

/// The migration files the generated Rust module embeds, and where they are seen from it.
fn sources(config: &Config) -> Result<emit::Sources, Failure> {
    let stems = |dir: &Path| -> Result<Vec<String>, Failure> {
        if !dir.is_dir() {
            return Ok(Vec::new());
        }
        let entries = std::fs::read_dir(dir)
            .map_err(|e| Failure::input(format!("cannot read {}: {e}", dir.display())))?;
        let mut found = Vec::new();
        for entry in entries {
            let path = entry
                .map_err(|e| Failure::input(format!("cannot read {}: {e}", dir.display())))?
                .path();
            if path.is_file()
                && path.extension().is_some_and(|ext| ext == "sql")
                && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
                && let Ok((version, _)) = symphony_messenger::migrate::parse_name(stem)
            {
                found.push((version, stem.to_owned()));
            }
        }
        found.sort();
        Ok(found.into_iter().map(|(_, stem)| stem).collect())
    };
    Ok(emit::Sources {
        schema_dir: relative_path(&config.output.join("rust"), &config.schema),
        migrations: stems(&config.schema)?,
        rollbacks: stems(&config.schema.join("rollback"))?,
    })
}

/// The path of `to` seen from the directory `from`, with `/` separators, worked out lexically
/// (neither needs to exist).
pub fn relative_path(from: &Path, to: &Path) -> String {
    fn normal(path: &Path) -> Vec<std::ffi::OsString> {
        let absolute = if path.is_absolute() {
            path.to_path_buf()
        } else {
            std::env::current_dir().unwrap_or_default().join(path)
        };
        let mut parts: Vec<std::ffi::OsString> = Vec::new();
        for component in absolute.components() {
            match component {
                std::path::Component::ParentDir => {
                    parts.pop();
                }
                std::path::Component::Normal(part) => parts.push(part.to_owned()),
                _ => {}
            }
        }
        parts
    }
    let (from, to) = (normal(from), normal(to));
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_owned(); from.len() - common];
    parts.extend(
        to[common..]
            .iter()
            .map(|p| p.to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    }
}

/// The generated module panics if a transport schema does not compile; compiling them here,
/// before anything is written, makes sure it cannot.
fn check_transport_schemas(files: &FileMap) -> Result<(), Failure> {
    let mut schemas = Vec::new();
    for (path, bytes) in files.iter() {
        if let Ok(rest) = path.strip_prefix("jsonschema/transports")
            && let Some(name) = rest.to_str().and_then(|n| n.strip_suffix(".schema.json"))
        {
            let schema = serde_json::from_slice(bytes).map_err(|e| {
                Failure::input(format!("generated {} is not JSON: {e}", path.display()))
            })?;
            schemas.push((name.to_owned(), schema));
        }
    }
    symphony_messenger::Registry::from_transport_schemas(schemas)
        .map(drop)
        .map_err(|e| {
            Failure::input(format!(
                "a generated transport schema does not compile: {e}"
            ))
        })
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
