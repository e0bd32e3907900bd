//! Lints on the queries, reported as warnings (`--deny-warnings` makes them errors).

use std::path::Path;

use crate::introspect::PreparedQuery;
use crate::load::queries::{NOT_NULL_MARKER, QuerySource};

/// What a warning is about. The code (`untranslated-check`) is what a schema acknowledges in
/// SQL, next to the thing warned about: `@messenger-gen allow(<code>) <reason>` in the COMMENT
/// of the constraint (for CHECKs) or of the column (for types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WarningCode {
    /// A CHECK that only PostgreSQL enforces (not translated into the other targets).
    UntranslatedCheck,
    /// A column type with no mapping, emitted as any JSON value.
    UnmappedType,
    /// A query selects a nullable table column without `?`.
    NullableWithoutMarker,
    /// An acknowledgement tag that cannot be used (no reason, unknown code).
    BadAcknowledgement,
}

impl WarningCode {
    /// Every code.
    pub const ALL: [WarningCode; 4] = [
        WarningCode::UntranslatedCheck,
        WarningCode::UnmappedType,
        WarningCode::NullableWithoutMarker,
        WarningCode::BadAcknowledgement,
    ];

    /// The code as users write it.
    pub fn as_str(self) -> &'static str {
        match self {
            WarningCode::UntranslatedCheck => "untranslated-check",
            WarningCode::UnmappedType => "unmapped-type",
            WarningCode::NullableWithoutMarker => "nullable-without-marker",
            WarningCode::BadAcknowledgement => "bad-acknowledgement",
        }
    }
}

impl std::fmt::Display for WarningCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A warning about the inputs, with the place it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// What kind of warning.
    pub code: WarningCode,
    /// `file:line` or the SQL object the warning is about.
    pub location: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "warning[{}]: {}: {}",
            self.code, self.location, self.message
        )
    }
}

/// The tag that acknowledges a warning in a COMMENT.
pub const ACKNOWLEDGE_TAG: &str = "@messenger-gen allow(";

/// Whether `comment` acknowledges `code` (`@messenger-gen allow(<code>) <reason>` on a line of
/// its own). `Err` says why a tag present in the comment cannot count (no reason, unknown code).
pub fn acknowledged(comment: Option<&str>, code: WarningCode) -> Result<bool, String> {
    let Some(comment) = comment else {
        return Ok(false);
    };
    let mut found = false;
    for line in comment.lines() {
        let Some(rest) = line.trim().strip_prefix(ACKNOWLEDGE_TAG) else {
            continue;
        };
        let Some((named, reason)) = rest.split_once(')') else {
            return Err(format!("`{}` lacks its closing `)`", line.trim()));
        };
        let named = named.trim();
        if !WarningCode::ALL.iter().any(|c| c.as_str() == named) {
            return Err(format!(
                "`{ACKNOWLEDGE_TAG}{named})` names no warning code; the codes are {}",
                WarningCode::ALL.map(WarningCode::as_str).join(", ")
            ));
        }
        if named == code.as_str() {
            if reason.trim().is_empty() {
                return Err(format!(
                    "`{ACKNOWLEDGE_TAG}{named})` needs a reason after it, saying why the \
                     warning does not apply"
                ));
            }
            found = true;
        }
    }
    Ok(found)
}

/// The comment without acknowledgement lines (they are not documentation).
pub fn without_acknowledgements(comment: Option<String>) -> Option<String> {
    let comment = comment?;
    if !comment.contains(ACKNOWLEDGE_TAG) {
        return Some(comment);
    }
    let kept: Vec<&str> = comment
        .lines()
        .filter(|line| !line.trim().starts_with(ACKNOWLEDGE_TAG))
        .collect();
    let text = kept.join("\n").trim().to_owned();
    (!text.is_empty()).then_some(text)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acknowledgements_need_the_code_and_a_reason() {
        let code = WarningCode::UntranslatedCheck;
        assert_eq!(acknowledged(None, code), Ok(false));
        assert_eq!(acknowledged(Some("just docs"), code), Ok(false));
        let ok = "Docs.\n@messenger-gen allow(untranslated-check) rows are written by the runtime";
        assert_eq!(acknowledged(Some(ok), code), Ok(true));
        assert_eq!(acknowledged(Some(ok), WarningCode::UnmappedType), Ok(false));
        assert!(
            acknowledged(Some("@messenger-gen allow(untranslated-check)"), code)
                .unwrap_err()
                .contains("needs a reason")
        );
        assert!(
            acknowledged(Some("@messenger-gen allow(typo) because"), code)
                .unwrap_err()
                .contains("names no warning code")
        );
        assert_eq!(
            without_acknowledgements(Some(ok.to_owned())).as_deref(),
            Some("Docs.")
        );
        assert_eq!(
            without_acknowledgements(Some("@messenger-gen allow(unmapped-type) x".into())),
            None
        );
    }
}
