//! Questions asked of the scratch database (besides cornucopia's own PREPAREs): the catalog
//! read into the IR, and where result columns of queries come from.

pub mod catalog;

use tokio_postgres::Client;

/// Where one result column of a prepared query comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultColumn {
    /// The column's name in the result.
    pub name: String,
    /// `table.column` when the value is read straight from a plain table column.
    pub source: Option<String>,
    /// Whether that table column may hold NULL (`NOT NULL` absent in the catalog).
    pub nullable_in_catalog: bool,
}

/// Prepares `sql` and reports, for each result column, whether it is a plain table column that
/// the catalog says may be NULL.
pub async fn result_columns(
    client: &Client,
    sql: &str,
) -> Result<Vec<ResultColumn>, tokio_postgres::Error> {
    let statement = client.prepare(sql).await?;
    let mut out = Vec::new();
    for column in statement.columns() {
        let mut result = ResultColumn {
            name: column.name().to_owned(),
            source: None,
            nullable_in_catalog: false,
        };
        if let (Some(table), Some(attnum)) = (column.table_oid(), column.column_id()) {
            let row = client
                .query_opt(
                    "SELECT c.relname::text || '.' || a.attname::text, NOT a.attnotnull
                       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                      WHERE a.attrelid = $1 AND a.attnum = $2 AND c.relkind IN ('r', 'p')",
                    &[&table, &attnum],
                )
                .await?;
            if let Some(row) = row {
                result.source = Some(row.get(0));
                result.nullable_in_catalog = row.get(1);
            }
        }
        out.push(result);
    }
    Ok(out)
}
