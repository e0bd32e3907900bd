//! Reads `queries/*.sql` in cornucopia syntax far enough to know each query's name, where it
//! is, its SQL with `:params` turned into `$n`, and which result columns are marked nullable.
//! cornucopia itself remains the authority on the syntax; this reader only feeds our lints.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The marker that silences the nullable-column lint for named columns of one query, written
/// as an SQL comment inside the query: `-- messenger-gen: not-null(col_a, col_b)`.
pub const NOT_NULL_MARKER: &str = "messenger-gen: not-null(";

/// One annotated query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuerySource {
    /// The file, as given to [`read_dir`] joined with the file name.
    pub file: PathBuf,
    /// The 1-based line of its `--!` annotation.
    pub line: usize,
    /// The query's name.
    pub name: String,
    /// The SQL with named parameters replaced by `$1`, `$2`, ...
    pub sql: String,
    /// The parameters' names in `$n` order (the first is `$1`).
    pub params: Vec<String>,
    /// Result columns marked nullable with `?` (inline or through a `--:` row type).
    pub nullable: BTreeSet<String>,
    /// Result columns declared non-null by the query author with [`NOT_NULL_MARKER`].
    pub not_null: BTreeSet<String>,
}

/// Reads every `.sql` file directly in `dir`, in file name order.
pub fn read_dir(dir: &Path) -> std::io::Result<Vec<QuerySource>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.retain(|p| p.extension().is_some_and(|e| e == "sql") && p.is_file());
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)?;
        out.extend(parse(&file, &text));
    }
    Ok(out)
}

/// Parses one file's text.
pub fn parse(file: &Path, text: &str) -> Vec<QuerySource> {
    let lines: Vec<&str> = text.lines().collect();
    let mut row_types: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in &lines {
        if let Some(decl) = line.trim_start().strip_prefix("--:") {
            let decl = decl.trim();
            let name_end = decl.find(['(', ' ', ':']).unwrap_or(decl.len());
            let (name, fields) = decl.split_at(name_end);
            row_types.insert(name.to_owned(), nullable_idents(fields));
        }
    }
    let mut queries = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(annotation) = lines[i].trim_start().strip_prefix("--!") else {
            i += 1;
            continue;
        };
        let line = i + 1;
        let annotation = annotation.trim();
        let name_end = annotation
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(annotation.len());
        let name = annotation[..name_end].to_owned();
        let nullable = match top_level_colon(&annotation[name_end..]) {
            Some(row) => {
                let row = row.trim();
                let row_name_end = row.find('(').unwrap_or(row.len());
                let row_name = row[..row_name_end].trim();
                let mut set = nullable_idents(&row[row_name_end..]);
                if row_name_end == row.len() {
                    set.extend(row_types.get(row_name).cloned().unwrap_or_default());
                }
                set
            }
            None => BTreeSet::new(),
        };
        let mut body = Vec::new();
        let mut all = Vec::new();
        i += 1;
        while i < lines.len() {
            let trimmed = lines[i].trim_start();
            if trimmed.starts_with("--!") || trimmed.starts_with("--:") {
                break;
            }
            if !(trimmed.starts_with("---") || trimmed.starts_with("--#")) {
                body.push(lines[i]);
            }
            all.push(lines[i]);
            i += 1;
        }
        let raw = body.join("\n");
        // The marker may stand in the doc comment or in an SQL comment of the query.
        let all = all.join("\n");
        let not_null = all
            .match_indices(NOT_NULL_MARKER)
            .flat_map(|(at, _)| {
                let rest = &all[at + NOT_NULL_MARKER.len()..];
                let list = &rest[..rest.find(')').unwrap_or(rest.len())];
                list.split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
            })
            .collect();
        let (sql, params) = number_params(&raw);
        queries.push(QuerySource {
            file: file.to_path_buf(),
            line,
            name,
            sql,
            params,
            nullable,
            not_null,
        });
    }
    queries
}

/// The text after the first `:` that is not inside parentheses.
fn top_level_colon(s: &str) -> Option<&str> {
    let mut depth = 0i32;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ':' if depth == 0 => return Some(&s[i + 1..]),
            _ => {}
        }
    }
    None
}

/// Identifiers followed by `?` in a `(a?, b, c?)` list.
fn nullable_idents(list: &str) -> BTreeSet<String> {
    let inner = list.trim().trim_start_matches('(');
    let inner = &inner[..inner.find(')').unwrap_or(inner.len())];
    inner
        .split(',')
        .map(str::trim)
        .filter_map(|item| item.strip_suffix('?'))
        .map(|name| name.trim_end_matches("[]").trim_end_matches('?').to_owned())
        .collect()
}

/// Replaces `:name` parameters by `$n` (numbered by first appearance), leaving `::casts`,
/// string literals, quoted identifiers and comments alone; returns the SQL and the names in
/// `$n` order.
pub fn number_params(sql: &str) -> (String, Vec<String>) {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = String::with_capacity(sql.len());
    let mut names: Vec<String> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\'' | '"' => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|&d| d == c)
                    .map_or(chars.len(), |p| i + 1 + p + 1);
                out.extend(&chars[i..end]);
                i = end;
            }
            '-' if chars.get(i + 1) == Some(&'-') => {
                let end = chars[i..]
                    .iter()
                    .position(|&d| d == '\n')
                    .map_or(chars.len(), |p| i + p);
                out.extend(&chars[i..end]);
                i = end;
            }
            ':' if chars.get(i + 1) == Some(&':') => {
                out.push_str("::");
                i += 2;
            }
            ':' if chars
                .get(i + 1)
                .is_some_and(|d| d.is_alphabetic() || *d == '_') =>
            {
                let start = i + 1;
                let end = chars[start..]
                    .iter()
                    .position(|d| !(d.is_alphanumeric() || *d == '_'))
                    .map_or(chars.len(), |p| start + p);
                let name: String = chars[start..end].iter().collect();
                let index = match names.iter().position(|n| *n == name) {
                    Some(index) => index,
                    None => {
                        names.push(name);
                        names.len() - 1
                    }
                };
                out.push_str(&format!("${}", index + 1));
                i = end;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    (out, names)
}

/// `sql` as one line for sending: `--` and `/* */` comments removed, runs of whitespace turned
/// into one space, the final `;` dropped. String literals (escapes in `E'...'` included), quoted
/// identifiers and dollar-quoted strings are kept as written. The pipeline PREPAREs the result,
/// so a query this could break fails generation instead of being emitted.
pub fn compact(sql: &str) -> String {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = String::with_capacity(sql.len());
    let mut i = 0;
    let mut space = false;
    while i < chars.len() {
        let c = chars[i];
        if c == '-' && chars.get(i + 1) == Some(&'-') {
            i = chars[i..]
                .iter()
                .position(|&d| d == '\n')
                .map_or(chars.len(), |p| i + p);
            space = true;
            continue;
        }
        if c == '/' && chars.get(i + 1) == Some(&'*') {
            i = block_comment_end(&chars, i);
            space = true;
            continue;
        }
        if c.is_whitespace() {
            space = true;
            i += 1;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        let end = quoted_end(&chars, i).unwrap_or(i + 1);
        out.extend(&chars[i..end]);
        i = end;
    }
    out.trim_end().trim_end_matches(';').trim_end().to_owned()
}

/// The end (exclusive) of the `/* */` comment starting at `i` (PostgreSQL nests them).
fn block_comment_end(chars: &[char], i: usize) -> usize {
    let mut depth = 0;
    let mut j = i;
    while j + 1 < chars.len() {
        match (chars[j], chars[j + 1]) {
            ('/', '*') => {
                depth += 1;
                j += 2;
            }
            ('*', '/') => {
                depth -= 1;
                j += 2;
                if depth == 0 {
                    return j;
                }
            }
            _ => j += 1,
        }
    }
    chars.len()
}

/// The end (exclusive) of the string literal, quoted identifier or dollar-quoted string that
/// starts at `i`, if one does. (`'it''s'` reads as two adjacent literals, which copies the same.)
fn quoted_end(chars: &[char], i: usize) -> Option<usize> {
    match chars[i] {
        '\'' => {
            // Backslash escapes only in E'...' (the E not ending a longer identifier).
            let escapes = i > 0
                && matches!(chars[i - 1], 'E' | 'e')
                && (i < 2 || !(chars[i - 2].is_alphanumeric() || chars[i - 2] == '_'));
            let mut j = i + 1;
            while j < chars.len() {
                match chars[j] {
                    '\\' if escapes => j += 2,
                    '\'' => return Some(j + 1),
                    _ => j += 1,
                }
            }
            Some(chars.len())
        }
        '"' => Some(
            chars[i + 1..]
                .iter()
                .position(|&d| d == '"')
                .map_or(chars.len(), |p| i + 1 + p + 1),
        ),
        '$' => {
            // $tag$ or $$ (a tag does not start with a digit: `$1` is a parameter).
            let tag_len = chars[i + 1..]
                .iter()
                .position(|&d| !(d.is_alphanumeric() || d == '_'))?;
            if chars.get(i + 1 + tag_len) != Some(&'$')
                || chars.get(i + 1).is_some_and(char::is_ascii_digit)
            {
                return None;
            }
            let tag = &chars[i..i + tag_len + 2];
            let body = i + tag.len();
            (body..=chars.len().saturating_sub(tag.len()))
                .find(|&j| chars[j..j + tag.len()] == *tag)
                .map_or(Some(chars.len()), |j| Some(j + tag.len()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_names_nullability_and_params() {
        let text = "--: Row(a?, b)\n\
                    --! first (x?) : (locked_by?, id)\n\
                    --- Docs.\n\
                    SELECT id, locked_by FROM t WHERE id = :x AND y = :y::text AND z = :x;\n\
                    \n\
                    --! second : Row\n\
                    SELECT a, b, c FROM t -- messenger-gen: not-null(c, d)\n;\n\
                    --! third\n\
                    SELECT ':not_a_param', \"col:x\" FROM t;\n";
        let qs = parse(Path::new("q.sql"), text);
        assert_eq!(qs.len(), 3);
        assert_eq!(qs[0].name, "first");
        assert_eq!(qs[0].line, 2);
        assert_eq!(qs[0].nullable, BTreeSet::from(["locked_by".to_owned()]));
        assert_eq!(qs[0].params, ["x", "y"]);
        assert_eq!(
            qs[0].sql.trim(),
            "SELECT id, locked_by FROM t WHERE id = $1 AND y = $2::text AND z = $1;"
        );
        assert_eq!(qs[1].nullable, BTreeSet::from(["a".to_owned()]));
        assert_eq!(
            qs[1].not_null,
            BTreeSet::from(["c".to_owned(), "d".to_owned()])
        );
        assert_eq!(qs[2].sql.trim(), "SELECT ':not_a_param', \"col:x\" FROM t;");
        assert!(qs[2].params.is_empty());
    }

    #[test]
    fn compact_drops_comments_and_folds_whitespace_outside_literals() {
        let sql = "-- leading\nSELECT  a, -- why\n  'x  -- kept'\n  , \"two  words\"\nFROM t\n;\n";
        assert_eq!(
            compact(sql),
            "SELECT a, 'x  -- kept' , \"two  words\" FROM t"
        );
        assert_eq!(compact("SELECT 1"), "SELECT 1");
    }

    #[test]
    fn compact_keeps_dollar_quotes_escaped_strings_and_drops_block_comments() {
        assert_eq!(
            compact("SELECT $$a -- b\n  c$$, $x$ '' $x$ /* one /* nested */ two */ , $1\n"),
            "SELECT $$a -- b\n  c$$, $x$ '' $x$ , $1"
        );
        assert_eq!(
            compact("SELECT E'it\\'s -- not a comment', 'a''b'  -- gone\n"),
            "SELECT E'it\\'s -- not a comment', 'a''b'"
        );
        assert_eq!(compact("SELECT note'x'"), "SELECT note'x'");
    }
}
