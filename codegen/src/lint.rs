//! Lints on the queries, reported as warnings (`--deny-warnings` makes them errors).

use std::path::Path;

use crate::introspect::PreparedQuery;
use crate::load::queries::{NOT_NULL_MARKER, QuerySource};
use crate::warnings::{Warning, WarningCode};

/// Warns about every result column that reads a nullable table column without `?`.
///
/// cornucopia trusts the annotation: an unmarked column that turns out NULL fails at run time
/// while reading the row, after the statement (say, a claim) has already committed.
pub fn nullable_columns(
    queries: &[QuerySource],
    prepared: &[PreparedQuery],
    shown_root: &Path,
) -> Vec<Warning> {
    let mut warnings = Vec::new();
    for (query, prepared) in queries.iter().zip(prepared) {
        for column in &prepared.columns {
            if !column.nullable_in_catalog
                || query.nullable.contains(&column.name)
                || query.not_null.contains(&column.name)
            {
                continue;
            }
            let file = query.file.strip_prefix(shown_root).unwrap_or(&query.file);
            warnings.push(Warning {
                code: WarningCode::NullableWithoutMarker,
                location: format!("{}:{}", file.display(), query.line),
                message: format!(
                    "query `{}` selects `{}` from the nullable column {} without `?`; \
                     mark it `{}?` in the annotation, or, when the query guarantees a value, \
                     add `-- {NOT_NULL_MARKER}{})` to the query",
                    query.name,
                    column.name,
                    column.source.as_deref().unwrap_or("?"),
                    column.name,
                    column.name
                ),
            });
        }
    }
    warnings
}
