//! Schema migrations: apply (refinery), roll back the newest version, status, and verify.
//!
//! Migrations are refinery files `schema/V{n}__{name}.sql`; each has a rollback script with the
//! same file name in `schema/rollback/` (refinery has no down migrations, so rolling back is ours:
//! the script and the removal of its history row run in one transaction).

mod verify;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use refinery::{Migration, Runner};
use tokio_postgres::Client;

pub use verify::{
    ExpectedObject, ObjectCheck, ObjectKind, TABLES, VerifyReport, expected_objects, verify,
};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_migrations.rs"));
}

/// The table in which refinery records applied migrations.
pub const HISTORY_TABLE: &str = "refinery_schema_history";

/// Errors from applying, rolling back or inspecting migrations.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// refinery refused or failed to apply a migration (SQL error, divergent or missing version).
    #[error("migration failed: {0}")]
    Refinery(#[from] refinery::Error),
    /// A statement sent to PostgreSQL failed.
    #[error("database error: {0}")]
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
    #[error("{} is not named V<version>__<name>.sql", path.display())]
    BadFileName {
        /// The offending file.
        path: PathBuf,
    },
    /// A rollback script has no migration of the same version.
    #[error("rollback script {} has no migration V{version}__*.sql beside it", path.display())]
    OrphanRollback {
        /// The rollback script.
        path: PathBuf,
        /// Its version.
        version: i32,
    },
    /// The newest applied version has no rollback script.
    #[error("migration V{version}__{name} has no rollback script in schema/rollback/")]
    MissingRollback {
        /// The version that was to be rolled back.
        version: i32,
        /// Its name.
        name: String,
    },
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

/// A set of migrations with their rollback scripts.
#[derive(Debug, Clone)]
pub struct Migrations {
    migrations: Vec<Migration>,
    rollbacks: BTreeMap<i32, String>,
}

impl Migrations {
    /// The migrations compiled into this crate from its `schema/` directory.
    pub fn embedded() -> Migrations {
        let migrations = embedded::MIGRATIONS
            .iter()
            .map(|(stem, sql)| {
                Migration::unapplied(stem, sql).expect("build.rs checked the migration names")
            })
            .collect();
        let rollbacks = embedded::ROLLBACKS
            .iter()
            .map(|(stem, sql)| {
                let version = Migration::unapplied(stem, sql)
                    .expect("build.rs checked the rollback names")
                    .version();
                (version, (*sql).to_owned())
            })
            .collect();
        Migrations {
            migrations,
            rollbacks,
        }
    }

    /// Reads `dir/V{n}__{name}.sql` and `dir/rollback/V{n}__{name}.sql` (not recursively).
    pub fn from_dir(dir: &Path) -> Result<Migrations, MigrateError> {
        let mut migrations = Vec::new();
        for (path, stem, sql) in read_sql_files(dir)? {
            let migration = Migration::unapplied(&stem, &sql)
                .map_err(|_| MigrateError::BadFileName { path: path.clone() })?;
            migrations.push(migration);
        }
        migrations.sort_by_key(Migration::version);
        let mut rollbacks = BTreeMap::new();
        let rollback_dir = dir.join("rollback");
        if rollback_dir.is_dir() {
            for (path, stem, sql) in read_sql_files(&rollback_dir)? {
                let version = Migration::unapplied(&stem, &sql)
                    .map_err(|_| MigrateError::BadFileName { path: path.clone() })?
                    .version();
                if !migrations.iter().any(|m| m.version() == version) {
                    return Err(MigrateError::OrphanRollback { path, version });
                }
                rollbacks.insert(version, sql);
            }
        }
        Ok(Migrations {
            migrations,
            rollbacks,
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

    /// Applies every pending migration, each in its own transaction. Returns what was applied.
    pub async fn apply(&self, client: &mut Client) -> Result<Vec<MigrationId>, MigrateError> {
        let report = Runner::new(&self.migrations)
            .run_async(client)
            .await
            .map_err(sql_error)?;
        Ok(report.applied_migrations().iter().map(id_of).collect())
    }

    /// Rolls back the newest applied migration: runs its rollback script and removes its history
    /// row in one transaction. Returns the version rolled back, or `None` when nothing is applied.
    pub async fn rollback_latest(
        &self,
        client: &mut Client,
    ) -> Result<Option<MigrationId>, MigrateError> {
        let Some(latest) = applied(client).await?.pop() else {
            return Ok(None);
        };
        let script =
            self.rollbacks
                .get(&latest.version)
                .ok_or_else(|| MigrateError::MissingRollback {
                    version: latest.version,
                    name: latest.name.clone(),
                })?;
        let tx = client.transaction().await?;
        tx.batch_execute(script).await?;
        tx.execute(
            &format!("DELETE FROM {HISTORY_TABLE} WHERE version = $1"),
            &[&latest.version],
        )
        .await?;
        tx.commit().await?;
        Ok(Some(latest))
    }

    /// Which migrations of this set are applied and which are pending.
    pub async fn status(&self, client: &mut Client) -> Result<MigrationStatus, MigrateError> {
        let applied = applied(client).await?;
        let pending = self
            .ids()
            .into_iter()
            .filter(|id| !applied.iter().any(|a| a.version == id.version))
            .collect();
        Ok(MigrationStatus { applied, pending })
    }
}

/// Applies the embedded migrations (see [`Migrations::embedded`]).
pub async fn apply(client: &mut Client) -> Result<Vec<MigrationId>, MigrateError> {
    Migrations::embedded().apply(client).await
}

/// Rolls back the newest applied embedded migration (see [`Migrations::rollback_latest`]).
pub async fn rollback_latest(client: &mut Client) -> Result<Option<MigrationId>, MigrateError> {
    Migrations::embedded().rollback_latest(client).await
}

/// Status of the embedded migrations (see [`Migrations::status`]).
pub async fn status(client: &mut Client) -> Result<MigrationStatus, MigrateError> {
    Migrations::embedded().status(client).await
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

/// The versions recorded in the history table, oldest first; empty when the table is absent.
async fn applied(client: &Client) -> Result<Vec<MigrationId>, MigrateError> {
    let exists: bool = client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&HISTORY_TABLE])
        .await?
        .get(0);
    if !exists {
        return Ok(Vec::new());
    }
    let rows = client
        .query(
            &format!("SELECT version, name FROM {HISTORY_TABLE} ORDER BY version"),
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| MigrationId {
            version: row.get(0),
            name: row.get(1),
        })
        .collect())
}

/// The `.sql` files directly in `dir`, sorted, as (path, file stem, contents).
fn read_sql_files(dir: &Path) -> Result<Vec<(PathBuf, String, String)>, MigrateError> {
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
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .ok_or_else(|| MigrateError::BadFileName { path: path.clone() })?
            .to_owned();
        let sql = std::fs::read_to_string(&path).map_err(io(&path))?;
        files.push((path, stem, sql));
    }
    files.sort();
    Ok(files)
}
