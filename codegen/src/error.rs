//! The CLI's errors. Each stage has its own error type beside its code (`ConfigError`,
//! `DatabaseError`, `MigrationError` here, `QueriesError`, `CatalogError`, `WriteError`, ...);
//! [`Error`] gathers them, [`Error::exit_code`] is the one place that decides which exit code
//! each leaves with, and [`Error::render`] how it is shown (miette diagnostics for errors that
//! point into a file).

use std::path::{Path, PathBuf};

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, NamedSource, SourceSpan};
use symphony_messenger::migrate::{MigrateError, Migrations};

use crate::commands::validate::ValidateError;
use crate::config::ConfigError;
use crate::database::{self, DatabaseError};
use crate::emit::EmitError;
use crate::exit_codes;
use crate::introspect::catalog::CatalogError;
use crate::output::OutputError;
use crate::rust_queries::QueriesError;
use crate::rustfmt::FormatError;
use crate::signals::Caught;
use crate::write::{DuplicatePath, WriteError};

/// Everything that can end a command early.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line asks for something that cannot be done.
    #[error("{0}")]
    Usage(String),
    /// The configuration file.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Connecting, the scratch database, the throw-away cluster.
    #[error(transparent)]
    Database(#[from] DatabaseError),
    /// Applying, rolling back or inspecting migrations (boxed: it is by far the largest).
    #[error(transparent)]
    Migration(Box<MigrationError>),
    /// The query crate (cornucopia).
    #[error(transparent)]
    Queries(#[from] QueriesError),
    /// Reading the scratch database's catalog into the IR.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// Our own PREPARE of the queries (their parameter types for the query crate's `sql`
    /// module and their result columns for the nullable-column lint).
    #[error("preparing the queries: {}", symphony_messenger::error::db_error_text(.0))]
    Lint(tokio_postgres::Error),
    /// A statement of the operations commands (`queue`, `schedule`, `migrate`) failed;
    /// `message` says what and may carry a hint.
    #[error("{message}")]
    Statement {
        message: String,
        /// The SQLSTATE, when the server sent one (none: the connection was lost).
        code: Option<String>,
    },
    /// An emitter refused the IR.
    #[error(transparent)]
    Emit(#[from] EmitError),
    /// rustfmt.
    #[error(transparent)]
    Format(#[from] FormatError),
    /// A generated transport schema does not compile (a bug in the JSON Schema emitter).
    #[error("a generated transport schema does not compile: {0}")]
    TransportSchema(String),
    /// The output directory.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// Two generated files with one path (e.g. `[rust] dir` naming an emitted directory).
    #[error(transparent)]
    Duplicate(#[from] DuplicatePath),
    /// Standard output.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// `validate`'s schemas and names.
    #[error(transparent)]
    Validate(#[from] ValidateError),
    /// Warnings with `--deny-warnings`.
    #[error(
        "{count} warning(s) and --deny-warnings{}",
        if *wrote_nothing { ": nothing written" } else { "" }
    )]
    DeniedWarnings {
        /// How many.
        count: usize,
        /// Whether the command would have written files (`generate`), so it says it did not.
        wrote_nothing: bool,
    },
    /// SIGINT, SIGTERM or SIGHUP; the scratch database or cluster was removed.
    #[error("interrupted by {}; the scratch database was removed", .0.name())]
    Signal(Caught),
}

impl From<MigrationError> for Error {
    fn from(error: MigrationError) -> Error {
        Error::Migration(Box::new(error))
    }
}

impl Error {
    /// A usage or input error (exit 2) with a sentence saying what is wrong.
    pub fn usage(message: impl Into<String>) -> Error {
        Error::Usage(message.into())
    }

    /// The exit code this error leaves with (see [`crate::exit_codes`]): the one place where
    /// errors are mapped to codes.
    pub fn exit_code(&self) -> u8 {
        use exit_codes::{CLOSED_PIPE, DATABASE, INPUT};
        match self {
            Error::Usage(_)
            | Error::Config(_)
            | Error::Emit(_)
            | Error::Format(_)
            | Error::TransportSchema(_)
            | Error::Write(_)
            | Error::Duplicate(_)
            | Error::Validate(_)
            | Error::DeniedWarnings { .. } => INPUT,
            Error::Database(DatabaseError::InvalidUrl { .. }) => INPUT,
            Error::Database(_) => DATABASE,
            Error::Migration(e) => e.exit_code(),
            Error::Queries(QueriesError::Cornucopia {
                connection_lost: true,
                ..
            }) => DATABASE,
            Error::Queries(_) => INPUT,
            // The catalog queries are ours: when one fails, the database failed, not the input.
            Error::Catalog(CatalogError::Database(_)) => DATABASE,
            Error::Catalog(CatalogError::Invalid(_)) => INPUT,
            Error::Lint(e) if database::is_failure(e) => DATABASE,
            Error::Lint(_) => INPUT,
            Error::Statement { code: None, .. } => DATABASE,
            Error::Statement {
                code: Some(code), ..
            } if database::is_failure_code(code) => DATABASE,
            Error::Statement { .. } => INPUT,
            Error::Output(OutputError::Closed) => CLOSED_PIPE,
            Error::Output(OutputError::Write(_)) => INPUT,
            Error::Signal(caught) => caught.exit_code(),
        }
    }

    /// The text for standard error, ending in a newline; `None` when the error is to end the
    /// command quietly (the reader of standard output went away).
    pub fn render(&self) -> Option<String> {
        let diagnostic: Option<&dyn Diagnostic> = match self {
            Error::Output(OutputError::Closed) => return None,
            // cornucopia renders its own diagnostics.
            Error::Queries(QueriesError::Cornucopia { report, .. }) => {
                return Some(format!("error: {}\n", report.trim_end()));
            }
            Error::Config(e @ ConfigError::Invalid { .. }) => Some(e),
            Error::Migration(e) => e.diagnostic.as_ref().map(|d| d as &dyn Diagnostic),
            Error::Queries(
                e @ (QueriesError::ModuleName { .. } | QueriesError::QueryName { .. }),
            ) => Some(e),
            _ => None,
        };
        Some(match diagnostic {
            Some(diagnostic) => render(diagnostic),
            None => format!("error: {self}\n"),
        })
    }
}

/// Renders a diagnostic as text without colour (so output is stable): `error[code]:`, the
/// message, `file:line:column` with the lines around it, a label and help.
fn render(diagnostic: &dyn Diagnostic) -> String {
    let header = match diagnostic.code() {
        Some(code) => format!("error[{code}]:"),
        None => "error:".to_owned(),
    };
    let mut out = String::new();
    let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor());
    if handler
        .render_report(&mut out, &WithoutCode(diagnostic))
        .is_err()
    {
        return format!("{header} {diagnostic}\n");
    }
    format!("{header} {}\n", out.trim_end())
}

/// A diagnostic without its code (shown in the `error[code]:` header instead of on a line of
/// its own).
struct WithoutCode<'a>(&'a dyn Diagnostic);

impl std::fmt::Debug for WithoutCode<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.0, f)
    }
}

impl std::fmt::Display for WithoutCode<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self.0, f)
    }
}

impl std::error::Error for WithoutCode<'_> {}

impl Diagnostic for WithoutCode<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        self.0.severity()
    }
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.0.help()
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.0.source_code()
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        self.0.labels()
    }
}

/// A migration set failed. For an SQL error the diagnostic points into the migration's file.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", self.set())]
pub struct MigrationError {
    /// What went wrong.
    pub source: MigrateError,
    /// The directory of the set's files; `None` for the queue's built-in migrations.
    pub dir: Option<PathBuf>,
    diagnostic: Option<SqlDiagnostic>,
}

/// An SQL error in a migration, at its place in the file.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{message}")]
#[diagnostic(code(migration::sql))]
struct SqlDiagnostic {
    message: String,
    #[source_code]
    source_code: NamedSource<String>,
    #[label("error occurs near this location")]
    span: Option<SourceSpan>,
    #[help]
    help: Option<String>,
}

/// What PostgreSQL says when a migration creates a role that exists: SQLSTATE 42710
/// (duplicate_object) with this message.
const ROLE_EXISTS: &str = "role \"";

impl MigrationError {
    /// `source` from the set `migrations` (when it was read) from `dir` (`None`: the queue's
    /// built-in set).
    pub fn new(
        source: MigrateError,
        dir: Option<&Path>,
        migrations: Option<&Migrations>,
    ) -> MigrationError {
        let diagnostic = match (&source, migrations) {
            (
                MigrateError::Sql {
                    migration,
                    message,
                    position,
                    hint,
                    code,
                },
                Some(migrations),
            ) => migrations
                .sql()
                .find(|(id, _)| id.to_string() == *migration)
                .map(|(_, sql)| {
                    // PostgreSQL reports a 1-based position in characters; miette wants a
                    // byte offset.
                    let span = position.and_then(|p| {
                        let offset = sql
                            .char_indices()
                            .nth(usize::try_from(p).ok()?.checked_sub(1)?)
                            .map_or(sql.len(), |(byte, _)| byte);
                        Some(SourceSpan::from(offset))
                    });
                    let path = match dir {
                        Some(dir) => dir.join(format!("{migration}.sql")).display().to_string(),
                        None => format!("(the queue's built-in) {migration}.sql"),
                    };
                    let role_exists = code == "42710" && message.starts_with(ROLE_EXISTS);
                    SqlDiagnostic {
                        message: format!("migration {migration} failed: {message}"),
                        source_code: NamedSource::new(path, sql.to_owned()),
                        span,
                        help: if role_exists {
                            Some(ROLE_HELP.to_owned())
                        } else {
                            hint.clone()
                        },
                    }
                }),
            _ => None,
        };
        MigrationError {
            source,
            dir: dir.map(Path::to_path_buf),
            diagnostic,
        }
    }

    fn set(&self) -> String {
        match &self.dir {
            Some(dir) => dir.display().to_string(),
            None => "the queue's migrations".to_owned(),
        }
    }

    fn exit_code(&self) -> u8 {
        let failed = match &self.source {
            MigrateError::Sql { code, .. } => database::is_failure_code(code),
            other => other.postgres_error().is_some_and(database::is_failure),
        };
        if failed {
            exit_codes::DATABASE
        } else {
            exit_codes::INPUT
        }
    }
}

/// Why a role can exist already, and what to do about it.
const ROLE_HELP: &str = "roles belong to the whole PostgreSQL server, not to one database: \
    dropping a database (messenger-gen's scratch database included) does not drop the roles its \
    migrations created, so an earlier run — or anyone — may have created this one. Make the \
    migration tolerate an existing role (`DO $$ BEGIN CREATE ROLE ...; EXCEPTION WHEN \
    duplicate_object THEN NULL; END $$;`), or generate without --database-url, on a throw-away \
    cluster where nothing is left behind.";

#[cfg(test)]
mod tests {
    use super::*;

    /// A database failure while the catalog is read leaves with exit 3 (not 2), whatever the
    /// error says: the catalog queries are messenger-gen's own.
    #[tokio::test]
    async fn a_lost_connection_while_reading_the_catalog_exits_3() {
        let db = messenger_test_support::TestDb::new().await;
        let client = db.client().await;
        let pid: i32 = client
            .query_one("SELECT pg_backend_pid()", &[])
            .await
            .unwrap()
            .get(0);
        db.client()
            .await
            .execute("SELECT pg_terminate_backend($1)", &[&pid])
            .await
            .unwrap();
        let err = Error::from(
            crate::introspect::catalog::read(&client, &Default::default())
                .await
                .unwrap_err(),
        );
        assert_eq!(err.exit_code(), exit_codes::DATABASE, "{err}");
        let lint = crate::introspect::prepare_queries(&client, &["SELECT 1"])
            .await
            .unwrap_err();
        assert_eq!(Error::Lint(lint).exit_code(), exit_codes::DATABASE);
        // The operations commands' statements likewise.
        let statement = client.query("SELECT 1", &[]).await.unwrap_err();
        let err = crate::commands::output::database_failure(&statement);
        assert_eq!(err.exit_code(), exit_codes::DATABASE, "{err}");
    }

    #[tokio::test]
    async fn a_statement_the_server_refuses_exits_2() {
        let db = messenger_test_support::TestDb::new().await;
        let client = db.client().await;
        let refused = client
            .query("SELECT * FROM messenger_messages", &[])
            .await
            .unwrap_err();
        let err = crate::commands::output::database_failure(&refused);
        assert_eq!(err.exit_code(), exit_codes::INPUT, "{err}");
        assert!(
            err.to_string().contains("messenger-gen migrate up"),
            "{err}"
        );
    }

    #[test]
    fn sql_errors_are_input_and_server_failures_are_database_failures() {
        let migrations = Migrations::from_embedded(&[("V1__a", "SELEC 1;")], &[]).unwrap();
        let sql = |code: &str| MigrateError::Sql {
            migration: "V1__a".into(),
            message: "boom".into(),
            position: Some(1),
            hint: None,
            code: code.into(),
        };
        let input = MigrationError::new(sql("42601"), Some(Path::new("schema")), Some(&migrations));
        assert_eq!(Error::from(input).exit_code(), exit_codes::INPUT);
        let shutdown =
            MigrationError::new(sql("57P01"), Some(Path::new("schema")), Some(&migrations));
        assert_eq!(Error::from(shutdown).exit_code(), exit_codes::DATABASE);
        let quiet = Error::Output(OutputError::Closed);
        assert_eq!(quiet.exit_code(), exit_codes::CLOSED_PIPE);
        assert_eq!(quiet.render(), None);
    }
}
