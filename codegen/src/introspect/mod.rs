//! Questions asked of the scratch database (besides cornucopia's own PREPAREs): the catalog
//! read into the IR (`catalog.rs`, with `functions.rs` and `relationships.rs`), and where
//! result columns of queries come from.

pub mod catalog;
mod functions;
mod payloads;
mod relationships;
mod types;

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

/// What PostgreSQL says about one prepared query.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedQuery {
    /// Its parameters' types, `$1` first.
    pub params: Vec<tokio_postgres::types::Type>,
    /// Its result columns.
    pub columns: Vec<ResultColumn>,
}

/// Prepares every query (pipelined on the one connection) and reports its parameter types and,
/// for each result column, whether it reads a plain table column that the catalog says may be
/// NULL.
pub async fn prepare_queries(
    client: &Client,
    sqls: &[&str],
) -> Result<Vec<PreparedQuery>, tokio_postgres::Error> {
    let statements =
        futures::future::try_join_all(sqls.iter().map(|sql| client.prepare(sql))).await?;
    let mut oids: Vec<u32> = Vec::new();
    let mut attnums: Vec<i16> = Vec::new();
    for column in statements.iter().flat_map(|s| s.columns()) {
        if let (Some(table), Some(attnum)) = (column.table_oid(), column.column_id()) {
            oids.push(table);
            attnums.push(attnum);
        }
    }
    // One catalog lookup for every column of every query.
    let rows = client
        .query(
            "SELECT t.oid, t.attnum, c.relname::text || '.' || a.attname::text, NOT a.attnotnull
               FROM unnest($1::oid[], $2::int2[]) AS t(oid, attnum)
               JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = t.attnum
               JOIN pg_class c ON c.oid = t.oid
              WHERE c.relkind IN ('r', 'p')",
            &[&oids, &attnums],
        )
        .await?;
    let sources: std::collections::HashMap<(u32, i16), (String, bool)> = rows
        .iter()
        .map(|r| ((r.get(0), r.get(1)), (r.get(2), r.get(3))))
        .collect();
    Ok(statements
        .iter()
        .map(|statement| PreparedQuery {
            params: statement.params().to_vec(),
            columns: statement
                .columns()
                .iter()
                .map(|column| {
                    let source = column
                        .table_oid()
                        .zip(column.column_id())
                        .and_then(|key| sources.get(&key));
                    ResultColumn {
                        name: column.name().to_owned(),
                        source: source.map(|(name, _)| name.clone()),
                        nullable_in_catalog: source.is_some_and(|(_, nullable)| *nullable),
                    }
                })
                .collect(),
        })
        .collect())
}
