//! The generator's pipeline: load → scratch database → migrate → cornucopia → lints → files.

use symphony_messenger::migrate::Migrations;

use std::path::Path;

use crate::config::Config;
use crate::database::{ScratchDatabase, ServerUrl};
use crate::error::{Error, MigrationError};
use crate::lint;
use crate::load;
use crate::rust_queries;
use crate::rustfmt;
use crate::signals::Signals;
use crate::warnings::Warning;
use crate::write::{self, FileMap};
use crate::{emit, introspect};
use tokio::task::JoinHandle;

/// Everything `generate` would write, and the warnings found on the way.
#[derive(Debug)]
pub struct Generated {
    /// The output tree, relative to the output directory.
    pub files: FileMap,
    /// Warnings about the inputs.
    pub warnings: Vec<Warning>,
}

/// The inputs, read and checked before any database work.
struct Inputs {
    migrations: Migrations,
    queries: Option<Vec<load::queries::QuerySource>>,
}

fn load_inputs(config: &Config) -> Result<Inputs, Error> {
    let migrations = Migrations::from_dir(&config.schema)
        .map_err(|e| MigrationError::new(e, Some(&config.schema), None))?;
    if migrations.ids().is_empty() {
        return Err(Error::Usage(format!(
            "no migrations (V{{n}}__{{name}}.sql) in {}",
            config.schema.display()
        )));
    }
    // `queries/` is optional: without it there is no query crate.
    let queries = if config.queries.exists() {
        let queries = load::queries::read_dir(&config.queries).map_err(|source| {
            rust_queries::QueriesError::Read {
                path: config.queries.clone(),
                source,
            }
        })?;
        rust_queries::check_names(&config.queries, &queries)?;
        Some(queries)
    } else {
        None
    };
    Ok(Inputs {
        migrations,
        queries,
    })
}

/// Runs the whole pipeline against a scratch database (on `server`, or on a throw-away
/// cluster when `None`), which is removed afterwards, also on error and when SIGINT, SIGTERM
/// or SIGHUP arrives (the command then exits with 128 + the signal's number).
pub async fn generate(config: &Config, server: Option<&str>) -> Result<Generated, Error> {
    // Installed before anything is created, so a signal during start-up is also caught (and
    // handled below, once there is something to clean up) instead of killing the process.
    let mut signals =
        Signals::install().map_err(|e| Error::Usage(format!("cannot handle signals: {e}")))?;
    let server = server.map(ServerUrl::parse).transpose()?;
    let inputs = load_inputs(config)?;
    let mut timings = Timings::from_env();
    let scratch = ScratchDatabase::create(server.as_ref()).await;
    // Ctrl-C reaches the whole process group: initdb or the server may have failed because
    // of it, or started just before it arrived.
    let caught = if scratch.is_err() {
        signals.arrived().await
    } else {
        signals.pending()
    };
    if let Some(caught) = caught {
        if let Ok(scratch) = scratch {
            scratch.remove().await;
        }
        return Err(Error::Signal(caught));
    }
    let scratch = scratch?;
    timings.phase("scratch database");
    let mut result = tokio::select! {
        result = generate_in(&scratch, config, &inputs) => result,
        caught = signals.recv() => Err(Error::Signal(caught)),
    };
    if result.is_err()
        && !matches!(result, Err(Error::Signal(_)))
        && let Some(caught) = signals.arrived().await
    {
        result = Err(Error::Signal(caught));
    }
    let mut timings = Timings::from_env();
    scratch.remove().await;
    timings.phase("removing the scratch database");
    result
}

async fn generate_in(
    scratch: &ScratchDatabase,
    config: &Config,
    inputs: &Inputs,
) -> Result<Generated, Error> {
    let mut timings = Timings::from_env();
    let mut client = scratch.connect().await?;
    if config.include_queue {
        // The queue's own schema first, as `migrate up` does: the application builds on it.
        let queue = Migrations::queue();
        queue
            .apply(&mut client)
            .await
            .map_err(|e| MigrationError::new(e, None, Some(&queue)))?;
    }
    inputs
        .migrations
        .apply(&mut client)
        .await
        .map_err(|e| MigrationError::new(e, Some(&config.schema), Some(&inputs.migrations)))?;
    timings.phase("migrations");

    // Two sides at once, each on its own connection: cornucopia on this one; our PREPAREs of
    // the queries and the catalog (introspection, emitters, rustfmt) on another.
    let (queried, described) = tokio::join!(
        queries_side(client, config, inputs),
        catalog_side(scratch, config, inputs)
    );
    // cornucopia's error first: it points into the query file.
    let checking = queried?;
    let described = described?;
    let mut files = FileMap::new();
    files.insert(write::MARKER, write::MARKER_TEXT)?;
    if let Some(checking) = checking {
        let crate_files = checking
            .await
            .map_err(|e| rust_queries::QueriesError::InvalidCrate(e.to_string()))?
            .map_err(rust_queries::QueriesError::InvalidCrate)?;
        files.extend_under(&config.rust.dir, crate_files)?;
    }
    if let Some(sql_module) = described.sql_module {
        let lib_path = config.rust.dir.join("src/lib.rs");
        let lib_rs = files
            .get(&lib_path)
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
            .ok_or_else(|| {
                rust_queries::QueriesError::InvalidCrate(
                    "cornucopia wrote no src/lib.rs".to_owned(),
                )
            })?;
        files.replace(lib_path, rust_queries::with_sql_module(&lib_rs));
        files.insert(config.rust.dir.join("src/sql.rs"), sql_module)?;
    }
    files.extend_under(Path::new(""), described.emitted)?;
    let mut warnings = described.warnings;
    let queries = inputs.queries.as_deref().unwrap_or_default();
    warnings.extend(lint::nullable_columns(
        queries,
        &described.prepared,
        Path::new(""),
    ));
    timings.phase("cornucopia beside the catalog, the lint and the query crate's check");
    Ok(Generated { files, warnings })
}

/// cornucopia's crate (none without queries), being checked (`crate_check.rs`: every file
/// parses, every module has its file) on a blocking thread while the pipeline goes on.
async fn queries_side(
    client: tokio_postgres::Client,
    config: &Config,
    inputs: &Inputs,
) -> Result<Option<JoinHandle<Result<FileMap, String>>>, Error> {
    let mut timings = Timings::from_env();
    if inputs.queries.is_none() {
        return Ok(None);
    }
    let settings = config.clone();
    let crate_files =
        tokio::task::spawn_blocking(move || rust_queries::generate(&client, &settings))
            .await
            .map_err(|e| rust_queries::QueriesError::Panicked {
                message: e.to_string(),
                location: None,
            })??;
    timings.phase("cornucopia");
    Ok(Some(tokio::task::spawn_blocking(move || {
        crate::crate_check::check(&crate_files).map(|()| crate_files)
    })))
}

/// What the catalog side finds.
struct Described {
    /// Every file but the query crate's, Rust laid out by rustfmt.
    emitted: FileMap,
    warnings: Vec<Warning>,
    /// Our PREPARE of every query (for the `sql` module and the lint).
    prepared: Vec<introspect::PreparedQuery>,
    /// The query crate's `src/sql.rs`, laid out, when there are queries.
    sql_module: Option<String>,
}

/// Our own PREPARE of every query, as the `sql` module will carry it (compacted: its
/// parameter types for that module, its result columns for the nullability lint, and the
/// proof that the compacted text is still the query), then the catalog, emitted.
async fn catalog_side(
    scratch: &ScratchDatabase,
    config: &Config,
    inputs: &Inputs,
) -> Result<Described, Error> {
    let mut timings = Timings::from_env();
    let client = scratch.connect().await?;
    let queries = inputs.queries.as_deref().unwrap_or_default();
    let compacted: Vec<String> = queries
        .iter()
        .map(|q| load::queries::compact(&q.sql))
        .collect();
    let sqls: Vec<&str> = compacted.iter().map(String::as_str).collect();
    let prepared = introspect::prepare_queries(&client, &sqls)
        .await
        .map_err(Error::Lint)?;
    // Laid out by rustfmt on another thread while the catalog is read (a process each).
    let sql_module = (!queries.is_empty()).then(|| {
        let name = config.rust.dir.join("src/sql.rs").display().to_string();
        let source = rust_queries::sql_module(queries, &compacted, &prepared);
        tokio::task::spawn_blocking(move || rustfmt::format(&name, &source))
    });
    timings.phase("queries' parameter types (beside cornucopia)");
    let (names, explicit) = config.database_schemas();
    let database = introspect::catalog::DatabaseSchemas { names, explicit };
    let (catalog, warnings) = introspect::catalog::read(&client, &database).await?;
    drop(client);
    timings.phase("introspection");
    let sources = sources(config)?;
    let mut emitted = emit::emit_all(&catalog, &sources)?;
    check_transport_schemas(&emitted)?;
    timings.phase("emitters");
    let thread_died =
        |_| rustfmt::FormatError::Missing(std::io::Error::other("the rustfmt task panicked"));
    let emitted =
        tokio::task::spawn_blocking(move || emitted.format_rust(rustfmt::format).map(|()| emitted))
            .await
            .map_err(thread_died)??;
    let sql_module = match sql_module {
        Some(formatting) => Some(formatting.await.map_err(thread_died)??),
        None => None,
    };
    timings.phase("rustfmt");
    Ok(Described {
        emitted,
        warnings,
        prepared,
        sql_module,
    })
}

/// The migration files the generated Rust module embeds, and where they are seen from it.
fn sources(config: &Config) -> Result<emit::Sources, Error> {
    let stems = |dir: &Path| -> Result<Vec<String>, Error> {
        if !dir.is_dir() {
            return Ok(Vec::new());
        }
        let unreadable = |source| {
            MigrationError::new(
                symphony_messenger::migrate::MigrateError::Io {
                    path: dir.to_owned(),
                    source,
                },
                Some(dir),
                None,
            )
        };
        let entries = std::fs::read_dir(dir).map_err(unreadable)?;
        let mut found = Vec::new();
        for entry in entries {
            let path = entry.map_err(unreadable)?.path();
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
fn check_transport_schemas(files: &FileMap) -> Result<(), Error> {
    let mut schemas = Vec::new();
    for (path, bytes) in files.iter() {
        if let Ok(rest) = path.strip_prefix("jsonschema/transports")
            && let Some(name) = rest.to_str().and_then(|n| n.strip_suffix(".schema.json"))
        {
            let schema = serde_json::from_slice(bytes).map_err(|e| {
                Error::TransportSchema(format!("{} is not JSON: {e}", path.display()))
            })?;
            schemas.push((name.to_owned(), schema));
        }
    }
    symphony_messenger::Registry::from_transport_schemas(schemas)
        .map(drop)
        .map_err(|e| Error::TransportSchema(e.to_string()))
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
            crate::output::stderr(&format!(
                "timing: {name}: {:.1} ms\n",
                last.elapsed().as_secs_f64() * 1e3
            ));
            self.last = Some(std::time::Instant::now());
        }
    }
}
