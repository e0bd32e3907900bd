//! Reading a refinery history table defensively: the column types checked, every value read as
//! text, each row checked the way refinery parses it (its `tokio-postgres` driver `unwrap`s the
//! time with the `time` crate's RFC 3339 parser and `expect`s a `u64` checksum), so a damaged
//! table is an error naming the row or column instead of a panic in refinery or here.

use tokio_postgres::Client;

use super::MigrateError;

/// One row of a history table, as refinery wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    /// The migration's version.
    pub version: i32,
    /// The migration's name.
    pub name: String,
    /// When it was applied (RFC 3339).
    pub applied_on: String,
    /// refinery's checksum of name, version and SQL.
    pub checksum: u64,
}

/// The rows of `table`, oldest version first; empty when the table does not exist.
pub async fn read(client: &Client, table: &str) -> Result<Vec<HistoryRow>, MigrateError> {
    let exists: bool = client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])
        .await?
        .get(0);
    if !exists {
        return Ok(Vec::new());
    }
    let damaged = |row: String, problem: String| MigrateError::DamagedHistory {
        table: table.to_owned(),
        row,
        problem,
    };
    // refinery reads `version` as an int4 and the other columns as text: another type makes
    // it panic before it reads a single value.
    let columns = client
        .query(
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod),
                    a.atttypid = 'int4'::regtype,
                    a.atttypid IN ('text'::regtype, 'varchar'::regtype, 'bpchar'::regtype, 'name'::regtype)
               FROM pg_attribute a
              WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped",
            &[&table],
        )
        .await?;
    for (column, wants_int4) in [
        ("version", true),
        ("name", false),
        ("applied_on", false),
        ("checksum", false),
    ] {
        let found = columns
            .iter()
            .find(|row| row.try_get::<_, String>(0).is_ok_and(|n| n == column));
        let Some(found) = found else {
            return Err(damaged(format!("column {column}"), "it is missing".into()));
        };
        let (type_name, is_int4, is_text): (String, bool, bool) =
            (found.try_get(1)?, found.try_get(2)?, found.try_get(3)?);
        if (wants_int4 && !is_int4) || (!wants_int4 && !is_text) {
            return Err(damaged(
                format!("column {column}"),
                format!(
                    "it has type {type_name}; refinery reads {}",
                    if wants_int4 {
                        "integer (int4)"
                    } else {
                        "varchar"
                    }
                ),
            ));
        }
    }
    // Text casts: a column of an unexpected type is reported like a bad value, not a panic.
    let rows = client
        .query(
            &format!(
                "SELECT version::text, name::text, applied_on::text, checksum::text \
                 FROM {table} ORDER BY version"
            ),
            &[],
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let version_text: Option<String> = row.try_get(0)?;
        let Some(version_text) = version_text else {
            return Err(damaged("a row".into(), "its version is NULL".into()));
        };
        let at = format!("version {version_text}");
        let version: i32 = version_text
            .parse()
            .map_err(|_| damaged(at.clone(), "the version is not an int4".into()))?;
        let name: Option<String> = row.try_get(1)?;
        let name = name.ok_or_else(|| damaged(at.clone(), "its name is NULL".into()))?;
        let applied_on: Option<String> = row.try_get(2)?;
        let applied_on =
            applied_on.ok_or_else(|| damaged(at.clone(), "its applied_on is NULL".into()))?;
        let rfc3339 = time::format_description::well_known::Rfc3339;
        if time::OffsetDateTime::parse(&applied_on, &rfc3339).is_err() {
            return Err(damaged(
                at,
                format!("its applied_on `{applied_on}` is not an RFC 3339 time"),
            ));
        }
        let checksum: Option<String> = row.try_get(3)?;
        let checksum =
            checksum.ok_or_else(|| damaged(at.clone(), "its checksum is NULL".into()))?;
        let checksum: u64 = checksum.parse().map_err(|_| {
            damaged(
                at.clone(),
                format!("its checksum `{checksum}` is not an unsigned 64-bit number"),
            )
        })?;
        out.push(HistoryRow {
            version,
            name,
            applied_on,
            checksum,
        });
    }
    Ok(out)
}
