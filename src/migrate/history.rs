//! Reading a refinery history table defensively: every column as text, each row checked the way
//! refinery would parse it, so a damaged row is an error naming it instead of a panic.

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
    let damaged = |row: String, problem: String| MigrateError::DamagedHistory {
        table: table.to_owned(),
        row,
        problem,
    };
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
        if chrono::DateTime::parse_from_rfc3339(&applied_on).is_err() {
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
