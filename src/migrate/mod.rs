//! Schema migrations: apply (refinery), roll back the newest version, status, and verify.
//!
//! Two sets of migrations live in one database, each with its own history table:
//! - **the queue's** ([`Migrations::queue`]): `schema/` of this crate, embedded at compile time
//!   and recorded in [`QUEUE_HISTORY_TABLE`], so a newer runtime upgrades the queue with
//!   `migrate up` whatever the application's own version numbers are;
//! - **the application's** ([`Migrations::from_dir`], [`Migrations::from_embedded`] — the module
//!   `messenger-gen` generates embeds them): its payload tables, transports and anything else,
//!   recorded in [`APPLICATION_HISTORY_TABLE`].
//!
//! [`up`] applies the queue's migrations, then the application's. Every change runs under one
//! advisory lock, so concurrent `up`/`down` from several processes are serialised, and each
//! reports only what it did itself.
//!
//! Migrations are files `V{n}__{name}.sql`; each has a rollback script with the same file name
//! in `rollback/` beside it (refinery has no down migrations, so rolling back is ours: the script
//! and the removal of its history row run in one transaction).

mod history;
mod verify;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use refinery::{Migration, Runner};
use tokio_postgres::Client;

pub use history::HistoryRow;
pub use verify::{Difference, Object, ObjectKind, VerifyReport, verify};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_migrations.rs"));
}

/// The history table of the queue's own migrations.
pub const QUEUE_HISTORY_TABLE: &str = "symphony_queue_schema_history";

/// The history table of an application's migrations (refinery's default name, so an
/// application that already uses refinery keeps its history).
pub const APPLICATION_HISTORY_TABLE: &str = "refinery_schema_history";

/// The key of the session advisory lock that serialises every migration change in a database
/// (`pg_advisory_lock`); chosen once, never to change: "symphony" in ASCII.
pub const ADVISORY_LOCK_KEY: i64 = 0x7379_6d70_686f_6e79;

/// The largest version refinery can record (its history column is `int4`).
pub const MAX_VERSION: i64 = i32::MAX as i64;

/// Errors from applying, rolling back or inspecting migrations.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// refinery refused or failed to apply a migration (divergent or missing version).
    #[error("migration failed: {0}")]
    Refinery(#[from] refinery::Error),
    /// A statement sent to PostgreSQL failed.
    #[error("database error: {}", crate::error::db_error_text(.0))]
    Database(#[from] tokio_postgres::Error),
    /// A migration's SQL failed; `position` is PostgreSQL's 1-based character offset into the
    /// migration file, when it reported one.
    #[error("{migration}: {message}")]
    Sql {
        /// The failing migration (`V{n}__{name}`).
        migration: String,
        /// PostgreSQL's message.
        message: String,
        /// 1-based character position in the migration's SQL.
        position: Option<u32>,
        /// PostgreSQL's hint, if any.
        hint: Option<String>,
        /// The SQLSTATE (`42P01`), which says whether the SQL or the database failed.
        code: String,
    },
    /// A migration directory could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file or directory that could not be read.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A `.sql` file in the schema directory is not named like a migration.
    #[error("{name}: {reason}")]
    BadFileName {
        /// The offending file (its path, or its name when embedded).
        name: String,
        /// What is wrong with the name.
        reason: String,
    },
    /// Two migrations (or two rollback scripts) have the same version.
    #[error("duplicate version {version}: {first} and {second}")]
    DuplicateVersion {
        /// The version.
        version: i32,
        /// One file.
        first: String,
        /// The other.
        second: String,
    },
    /// A rollback script has no migration of the same version.
    #[error("rollback script {name} has no migration V{version}__*.sql beside it")]
    OrphanRollback {
        /// The rollback script.
        name: String,
        /// Its version.
        version: i32,
    },
    /// The newest applied version has no rollback script.
    #[error("migration V{version}__{name} has no rollback script in rollback/")]
    MissingRollback {
        /// The version that was to be rolled back.
        version: i32,
        /// Its name.
        name: String,
    },
    /// `verify` could not build the expected schema.
    #[error("verify: {0}")]
    Verify(String),
    /// A row of a history table cannot be read (edited by hand, or written by another tool).
    #[error(
        "the migration history table {table} is damaged: {row}: {problem}; repair or delete \
         that row (it records which migrations were applied)"
    )]
    DamagedHistory {
        /// The history table.
        table: String,
        /// Which row (`version 2`).
        row: String,
        /// What is wrong with it.
        problem: String,
    },
}

impl MigrateError {
    /// The PostgreSQL client error behind this error, when there is one: a statement of the
    /// migration machinery (history, lock) failed, or the connection did. (An SQL error in a
    /// migration is [`MigrateError::Sql`], with its SQLSTATE.)
    pub fn postgres_error(&self) -> Option<&tokio_postgres::Error> {
        match self {
            MigrateError::Database(e) => Some(e),
            MigrateError::Refinery(e) => match e.kind() {
                refinery::error::Kind::Connection(_, source) => source.downcast_ref(),
                _ => None,
            },
            _ => None,
        }
    }
}

/// One migration known to a [`Migrations`] set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationId {
    /// The version number (`n` in `V{n}__name.sql`).
    pub version: i32,
    /// The name (`name` in `V{n}__name.sql`).
    pub name: String,
}

impl std::fmt::Display for MigrationId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "V{}__{}", self.version, self.name)
    }
}

/// Which migrations are applied to a database and which are still pending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    /// Versions recorded in the history table, oldest first.
    pub applied: Vec<MigrationId>,
    /// Versions in the set that are not applied yet, oldest first.
    pub pending: Vec<MigrationId>,
}

/// What [`up`] applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// The queue's migrations applied by this call, oldest first.
    pub queue: Vec<MigrationId>,
    /// The application's migrations applied by this call, oldest first.
    pub application: Vec<MigrationId>,
}

/// A set of migrations with their rollback scripts and the history table that records them.
#[derive(Debug, Clone)]
pub struct Migrations {
    migrations: Vec<Migration>,
    rollbacks: BTreeMap<i32, String>,
    history_table: String,
}

/// A migration's version and name from its file stem `V{n}__{name}`, with a reason when the
/// stem is not one.
pub fn parse_name(stem: &str) -> Result<(i32, String), String> {
    let rest = match stem.chars().next() {
        Some('V') => &stem[1..],
        Some('U' | 'u') => {
            return Err(
                "refinery's unversioned migrations (U…) are not supported: name it V<version>__<name>.sql"
                    .to_owned(),
            );
        }
        _ => return Err("is not named V<version>__<name>.sql".to_owned()),
    };
    let Some((version, name)) = rest.split_once("__") else {
        return Err(
            "is not named V<version>__<name>.sql (two underscores after the version)".to_owned(),
        );
    };
    if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "is not named V<version>__<name>.sql: `{version}` is not a version number"
        ));
    }
    let trimmed = version.trim_start_matches('0');
    if trimmed.len() > 10 || trimmed.parse::<i64>().map_or(true, |v| v > MAX_VERSION) {
        return Err(format!(
            "version {version} is too large (the largest is {MAX_VERSION})"
        ));
    }
    let number: i32 = trimmed.parse().unwrap_or(0);
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(format!(
            "the name `{name}` must be non-empty ASCII letters, digits and underscores"
        ));
    }
    Ok((number, name.to_owned()))
}

/// The SQL that creates history table `table` as `up` does (idempotent): refinery's own
/// definition, and for the queue's table row level security on, so that on Supabase anon and
/// authenticated cannot read or rewrite it. `messenger-gen migrate export` writes the same.
pub fn history_table_ddl(table: &str) -> String {
    let rls = if table == QUEUE_HISTORY_TABLE {
        format!("ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;\n")
    } else {
        String::new()
    };
    format!(
        "CREATE TABLE IF NOT EXISTS {table} (\n    \
             version int4 PRIMARY KEY,\n    \
             name varchar(255),\n    \
             applied_on varchar(255),\n    \
             checksum varchar(255)\n\
         );\n\
         {rls}"
    )
}

impl Migrations {
    /// The queue's own migrations, compiled into this crate from its `schema/` directory and
    /// recorded in [`QUEUE_HISTORY_TABLE`].
    pub fn queue() -> Migrations {
        Migrations::build(
            embedded::MIGRATIONS
                .iter()
                .map(|(stem, sql)| ((*stem).to_owned(), (*stem).to_owned(), (*sql).to_owned())),
            embedded::ROLLBACKS
                .iter()
                .map(|(stem, sql)| ((*stem).to_owned(), (*stem).to_owned(), (*sql).to_owned())),
            QUEUE_HISTORY_TABLE,
        )
        .unwrap_or_else(|e| unreachable!("build.rs checked the queue's migrations: {e}"))
    }

    /// An application's migrations embedded in its binary, as `(file stem, SQL)` pairs (the
    /// module `messenger-gen` generates provides them), recorded in
    /// [`APPLICATION_HISTORY_TABLE`].
    pub fn from_embedded(
        migrations: &[(&str, &str)],
        rollbacks: &[(&str, &str)],
    ) -> Result<Migrations, MigrateError> {
        let owned = |list: &[(&str, &str)]| -> Vec<(String, String, String)> {
            list.iter()
                .map(|(stem, sql)| (format!("{stem}.sql"), (*stem).to_owned(), (*sql).to_owned()))
                .collect()
        };
        Migrations::build(
            owned(migrations),
            owned(rollbacks),
            APPLICATION_HISTORY_TABLE,
        )
    }

    /// Reads `dir/V{n}__{name}.sql` and `dir/rollback/V{n}__{name}.sql` (not recursively), as
    /// an application's migrations recorded in [`APPLICATION_HISTORY_TABLE`].
    pub fn from_dir(dir: &Path) -> Result<Migrations, MigrateError> {
        let migrations = read_sql_files(dir)?;
        let rollback_dir = dir.join("rollback");
        let rollbacks = if rollback_dir.is_dir() {
            read_sql_files(&rollback_dir)?
        } else {
            Vec::new()
        };
        Migrations::build(migrations, rollbacks, APPLICATION_HISTORY_TABLE)
    }

    /// The same migrations recorded in another history table.
    pub fn with_history_table(mut self, table: &str) -> Migrations {
        table.clone_into(&mut self.history_table);
        self
    }

    /// The table that records which of these migrations are applied.
    pub fn history_table(&self) -> &str {
        &self.history_table
    }

    /// `(shown name, file stem, SQL)` triples into a checked set.
    fn build(
        migrations: impl IntoIterator<Item = (String, String, String)>,
        rollbacks: impl IntoIterator<Item = (String, String, String)>,
        history_table: &str,
    ) -> Result<Migrations, MigrateError> {
        let mut by_version: BTreeMap<i32, (String, Migration)> = BTreeMap::new();
        for (shown, stem, sql) in migrations {
            let (version, _) = parse_name(&stem).map_err(|reason| MigrateError::BadFileName {
                name: shown.clone(),
                reason,
            })?;
            let migration =
                Migration::unapplied(&stem, &sql).map_err(|e| MigrateError::BadFileName {
                    name: shown.clone(),
                    reason: e.to_string(),
                })?;
            if let Some((first, _)) = by_version.get(&version) {
                return Err(MigrateError::DuplicateVersion {
                    version,
                    first: first.clone(),
                    second: shown,
                });
            }
            by_version.insert(version, (shown, migration));
        }
        let mut rollback_scripts: BTreeMap<i32, (String, String)> = BTreeMap::new();
        for (shown, stem, sql) in rollbacks {
            let (version, _) = parse_name(&stem).map_err(|reason| MigrateError::BadFileName {
                name: shown.clone(),
                reason,
            })?;
            if !by_version.contains_key(&version) {
                return Err(MigrateError::OrphanRollback {
                    name: shown,
                    version,
                });
            }
            if let Some((first, _)) = rollback_scripts.get(&version) {
                return Err(MigrateError::DuplicateVersion {
                    version,
                    first: first.clone(),
                    second: shown,
                });
            }
            rollback_scripts.insert(version, (shown, sql));
        }
        Ok(Migrations {
            migrations: by_version.into_values().map(|(_, m)| m).collect(),
            rollbacks: rollback_scripts
                .into_iter()
                .map(|(version, (_, sql))| (version, sql))
                .collect(),
            history_table: history_table.to_owned(),
        })
    }

    /// Every migration in the set, oldest first.
    pub fn ids(&self) -> Vec<MigrationId> {
        self.migrations.iter().map(id_of).collect()
    }

    /// The SQL of every migration in the set, oldest first, as (id, SQL).
    pub fn sql(&self) -> impl Iterator<Item = (MigrationId, &str)> {
        self.migrations
            .iter()
            .map(|m| (id_of(m), m.sql().unwrap_or_default()))
    }

    /// refinery's checksum of every migration in the set (what its history row records),
    /// oldest first: `messenger-gen migrate export` writes history rows that `apply` accepts.
    pub fn checksums(&self) -> impl Iterator<Item = (MigrationId, u64)> {
        self.migrations.iter().map(|m| (id_of(m), m.checksum()))
    }

    /// The rollback script of `version`, if there is one.
    pub fn rollback_sql(&self, version: i32) -> Option<&str> {
        self.rollbacks.get(&version).map(String::as_str)
    }

    /// Applies every pending migration, each in its own transaction, under the migration lock.
    /// Returns what this call applied (nothing when another process got there first).
    pub async fn apply(&self, client: &mut Client) -> Result<Vec<MigrationId>, MigrateError> {
        with_lock(client, async |client| self.apply_locked(client).await).await
    }

    async fn apply_locked(&self, client: &mut Client) -> Result<Vec<MigrationId>, MigrateError> {
        if self.history_table == QUEUE_HISTORY_TABLE {
            // refinery's own definition, created first so that row level security is on: on
            // Supabase, anon and authenticated may otherwise read and rewrite the history.
            client
                .batch_execute(&history_table_ddl(QUEUE_HISTORY_TABLE))
                .await?;
        }
        // refinery panics on a history row it cannot parse; read them first and say which.
        history::read(client, &self.history_table).await?;
        let report = Runner::new(&self.migrations)
            .set_migration_table_name(&self.history_table)
            .run_async(client)
            .await
            .map_err(sql_error)?;
        Ok(report.applied_migrations().iter().map(id_of).collect())
    }

    /// Rolls back the newest applied migration of this set: runs its rollback script and removes
    /// its history row in one transaction, under the migration lock. Returns the version this
    /// call rolled back, or `None` when nothing is applied.
    pub async fn rollback_latest(
        &self,
        client: &mut Client,
    ) -> Result<Option<MigrationId>, MigrateError> {
        with_lock(client, async |client| {
            let Some(latest) = self.applied(client).await?.pop() else {
                return Ok(None);
            };
            let script = self.rollbacks.get(&latest.version).ok_or_else(|| {
                MigrateError::MissingRollback {
                    version: latest.version,
                    name: latest.name.clone(),
                }
            })?;
            let tx = client.transaction().await?;
            tx.batch_execute(script)
                .await
                .map_err(|e| match e.as_db_error() {
                    Some(db) => MigrateError::Sql {
                        migration: format!("rollback/{latest}.sql"),
                        message: db.message().to_owned(),
                        position: match db.position() {
                            Some(tokio_postgres::error::ErrorPosition::Original(p)) => Some(*p),
                            _ => None,
                        },
                        hint: db.hint().map(str::to_owned),
                        code: db.code().code().to_owned(),
                    },
                    None => MigrateError::Database(e),
                })?;
            tx.execute(
                &format!("DELETE FROM {} WHERE version = $1", self.history_table),
                &[&latest.version],
            )
            .await?;
            tx.commit().await?;
            Ok(Some(latest))
        })
        .await
    }

    /// Which migrations of this set are applied and which are pending.
    pub async fn status(&self, client: &mut Client) -> Result<MigrationStatus, MigrateError> {
        let applied = self.applied(client).await?;
        let pending = self
            .ids()
            .into_iter()
            .filter(|id| !applied.iter().any(|a| a.version == id.version))
            .collect();
        Ok(MigrationStatus { applied, pending })
    }

    /// The versions recorded in this set's history table, oldest first.
    async fn applied(&self, client: &Client) -> Result<Vec<MigrationId>, MigrateError> {
        Ok(history::read(client, &self.history_table)
            .await?
            .into_iter()
            .map(|row| MigrationId {
                version: row.version,
                name: row.name,
            })
            .collect())
    }
}

/// Applies the queue's pending migrations, then the application's (when given), under one
/// advisory lock. Returns what this call applied.
pub async fn up(
    client: &mut Client,
    application: Option<&Migrations>,
) -> Result<Applied, MigrateError> {
    with_lock(client, async |client| {
        let queue = Migrations::queue().apply_locked(client).await?;
        let application = match application {
            Some(app) => app.apply_locked(client).await?,
            None => Vec::new(),
        };
        Ok(Applied { queue, application })
    })
    .await
}

/// Applies the queue's pending migrations (see [`Migrations::queue`]).
pub async fn apply(client: &mut Client) -> Result<Vec<MigrationId>, MigrateError> {
    Migrations::queue().apply(client).await
}

/// Runs `f` holding the session advisory lock [`ADVISORY_LOCK_KEY`], released afterwards also
/// when `f` fails. (A session lock: run migrations on a direct connection, not through a
/// transaction-mode pooler.)
async fn with_lock<T>(
    client: &mut Client,
    f: impl AsyncFnOnce(&mut Client) -> Result<T, MigrateError>,
) -> Result<T, MigrateError> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&ADVISORY_LOCK_KEY])
        .await?;
    let result = f(client).await;
    let unlocked = client
        .execute("SELECT pg_advisory_unlock($1)", &[&ADVISORY_LOCK_KEY])
        .await;
    match (result, unlocked) {
        (Err(e), _) => Err(e),
        (Ok(_), Err(e)) => Err(e.into()),
        (Ok(value), Ok(_)) => Ok(value),
    }
}

/// Turns refinery's "error applying migration X" into [`MigrateError::Sql`] with PostgreSQL's
/// message and position, so callers can point into the file.
fn sql_error(err: refinery::Error) -> MigrateError {
    if let refinery::error::Kind::Connection(context, source) = err.kind()
        && let Some(migration) = context.strip_prefix("error applying migration ")
        && let Some(db) = source
            .downcast_ref::<tokio_postgres::Error>()
            .and_then(tokio_postgres::Error::as_db_error)
    {
        return MigrateError::Sql {
            migration: migration.to_owned(),
            message: db.message().to_owned(),
            position: match db.position() {
                Some(tokio_postgres::error::ErrorPosition::Original(p)) => Some(*p),
                _ => None,
            },
            hint: db.hint().map(str::to_owned),
            code: db.code().code().to_owned(),
        };
    }
    MigrateError::Refinery(err)
}

fn id_of(migration: &Migration) -> MigrationId {
    MigrationId {
        version: migration.version(),
        name: migration.name().to_owned(),
    }
}

/// The `.sql` files directly in `dir`, sorted, as (path shown, file stem, contents).
fn read_sql_files(dir: &Path) -> Result<Vec<(String, String, String)>, MigrateError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| MigrateError::Io { path, source }
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let path = entry.map_err(io(dir))?.path();
        if !path.is_file() || path.extension().is_none_or(|ext| ext != "sql") {
            continue;
        }
        let shown = path.display().to_string();
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .ok_or_else(|| MigrateError::BadFileName {
                name: shown.clone(),
                reason: "the file name is not UTF-8".to_owned(),
            })?
            .to_owned();
        let sql = std::fs::read_to_string(&path).map_err(io(&path))?;
        files.push((shown, stem, sql));
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_parsed_or_refused_with_the_reason() {
        assert_eq!(parse_name("V1__init"), Ok((1, "init".to_owned())));
        assert_eq!(parse_name("V007__x_2"), Ok((7, "x_2".to_owned())));
        assert_eq!(parse_name("V2147483647__max").map(|v| v.0), Ok(i32::MAX));
        assert!(
            parse_name("V2147483648__big")
                .unwrap_err()
                .contains("too large")
        );
        assert!(
            parse_name("V99999999999999999999__big")
                .unwrap_err()
                .contains("too large")
        );
        assert!(parse_name("U1__x").unwrap_err().contains("unversioned"));
        assert!(parse_name("V1_x").unwrap_err().contains("two underscores"));
        assert!(parse_name("Vx__y").unwrap_err().contains("not a version"));
        assert!(parse_name("V1__a-b").unwrap_err().contains("name"));
        assert!(parse_name("init").unwrap_err().contains("V<version>"));
    }

    #[test]
    fn duplicate_versions_and_orphan_rollbacks_are_refused() {
        let err = Migrations::from_embedded(&[("V2__a", ""), ("V02__b", "")], &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "duplicate version 2: V2__a.sql and V02__b.sql"
        );
        let err = Migrations::from_embedded(&[("V1__a", "")], &[("V3__c", "")]).unwrap_err();
        assert!(matches!(
            err,
            MigrateError::OrphanRollback { version: 3, .. }
        ));
    }

    #[test]
    fn the_queue_set_has_a_rollback_for_every_migration() {
        let queue = Migrations::queue();
        assert_eq!(queue.history_table(), QUEUE_HISTORY_TABLE);
        assert!(!queue.ids().is_empty());
        for id in queue.ids() {
            assert!(queue.rollback_sql(id.version).is_some(), "{id}");
        }
    }
}
