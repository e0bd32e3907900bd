//! Diagnostics that point into SQL files (miette, rendered without colour so output is stable).

use std::path::Path;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, NamedSource, SourceSpan};
use symphony_messenger::migrate::{MigrateError, Migrations};

use crate::failure::Failure;

/// An SQL error at a place in a file.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{message}")]
pub struct SqlError {
    message: String,
    #[source_code]
    source_code: NamedSource<String>,
    #[label("error occurs near this location")]
    span: Option<SourceSpan>,
    #[help]
    help: Option<String>,
}

/// Renders a diagnostic as text: file:line:column, the lines around it, a label.
pub fn render(diagnostic: &dyn Diagnostic) -> String {
    let mut out = String::new();
    let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor());
    if handler.render_report(&mut out, diagnostic).is_err() {
        return diagnostic.to_string();
    }
    out
}

/// The failure for a migration error: an SQL error points at `schema_dir/<migration>.sql`,
/// line and column; anything else is its message.
pub fn migration_failure(err: MigrateError, schema_dir: &Path, migrations: &Migrations) -> Failure {
    let MigrateError::Sql {
        migration,
        message,
        position,
        hint,
    } = err
    else {
        return Failure::input(format!("{}: {err}", schema_dir.display()));
    };
    let Some((_, sql)) = migrations.sql().find(|(id, _)| id.to_string() == migration) else {
        return Failure::input(format!("{migration}: {message}"));
    };
    // PostgreSQL reports a 1-based position in characters; miette wants a byte offset.
    let span = position.and_then(|p| {
        let offset = sql
            .char_indices()
            .nth(usize::try_from(p).ok()?.checked_sub(1)?)
            .map_or(sql.len(), |(byte, _)| byte);
        Some(SourceSpan::from(offset))
    });
    let path = schema_dir.join(format!("{migration}.sql"));
    Failure::input(render(&SqlError {
        message: format!("migration {migration} failed: {message}"),
        source_code: NamedSource::new(path.display().to_string(), sql.to_owned()),
        span,
        help: hint,
    }))
}
