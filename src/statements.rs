//! How the runtime sends its statements: the SQL of `queries/*.sql` (generated into
//! [`crate::queries::sql`] with its parameters' names and types) as cached named prepared
//! statements on a direct connection, or as unnamed statements that leave nothing in the session,
//! for transaction-mode poolers.
//!
//! A transaction-mode pooler (PgBouncer `pool_mode = transaction`, Supabase's pooler on port
//! 6543) hands the client a different server connection for every transaction, so a statement
//! prepared in one round trip may not exist in the next. tokio-postgres' `query_typed` sends
//! parse, bind, describe and execute of an *unnamed* statement in one round trip: nothing
//! outlives it, whichever server connection runs it. Its price is that the server plans the
//! statement every time, which is why a direct connection keeps the prepared statements.

use std::future::Future;

use deadpool_postgres::ClientWrapper;
use messenger_queries::sql::Sql;
use tokio_postgres::Row;
use tokio_postgres::types::{ToSql, Type};

use crate::error::MessengerError;

/// How the runtime sends statements through its pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatementMode {
    /// Named prepared statements, prepared once per pooled connection and cached by
    /// deadpool-postgres. The fastest; needs a session of its own: a direct connection or a
    /// session-mode pooler.
    #[default]
    Prepared,
    /// Unnamed statements (`query_typed`: one round trip, nothing left in the session): for a
    /// transaction-mode pooler, where named prepared statements fail.
    Unnamed,
}

/// A named parameter: the name the query gives it (checked against the generated [`Sql`]) and
/// its value.
pub(crate) type Param<'a> = (&'static str, &'a (dyn ToSql + Sync));

/// A client or transaction of the application's on which the runtime runs a statement, for
/// "do the work and ack" in one transaction ([`crate::worker::Context::ack_in`]) and for the
/// `*_with` dispatch functions. Statements are sent unnamed (one round trip each, nothing left
/// in the session), so this is safe through any pooler.
pub trait Executor: Send + Sync {
    /// Runs `text` as an unnamed statement with typed parameters and returns its rows.
    fn query_unnamed(
        &self,
        text: &str,
        params: &[(&(dyn ToSql + Sync), Type)],
    ) -> impl Future<Output = Result<Vec<Row>, tokio_postgres::Error>> + Send;
}

impl Executor for tokio_postgres::Client {
    async fn query_unnamed(
        &self,
        text: &str,
        params: &[(&(dyn ToSql + Sync), Type)],
    ) -> Result<Vec<Row>, tokio_postgres::Error> {
        self.query_typed(text, params).await
    }
}

impl Executor for tokio_postgres::Transaction<'_> {
    async fn query_unnamed(
        &self,
        text: &str,
        params: &[(&(dyn ToSql + Sync), Type)],
    ) -> Result<Vec<Row>, tokio_postgres::Error> {
        self.query_typed(text, params).await
    }
}

impl Executor for deadpool_postgres::Client {
    async fn query_unnamed(
        &self,
        text: &str,
        params: &[(&(dyn ToSql + Sync), Type)],
    ) -> Result<Vec<Row>, tokio_postgres::Error> {
        self.query_typed(text, params).await
    }
}

impl Executor for deadpool_postgres::Transaction<'_> {
    async fn query_unnamed(
        &self,
        text: &str,
        params: &[(&(dyn ToSql + Sync), Type)],
    ) -> Result<Vec<Row>, tokio_postgres::Error> {
        self.query_typed(text, params).await
    }
}

/// The parameters in `$n` order with their generated types, after checking that they are the
/// ones `sql` names, in its order (a mismatch is a bug of the runtime, reported, not run).
fn typed<'a>(
    sql: &Sql,
    params: &[Param<'a>],
) -> Result<Vec<(&'a (dyn ToSql + Sync), Type)>, MessengerError> {
    let names = || sql.params.iter().map(|(n, _)| *n).collect::<Vec<_>>();
    if params.len() != sql.params.len()
        || params
            .iter()
            .zip(sql.params)
            .any(|((given, _), (expected, _))| given != expected)
    {
        return Err(MessengerError::Internal(format!(
            "statement `{}` takes {:?}, the runtime bound {:?}",
            sql.name,
            names(),
            params.iter().map(|(n, _)| *n).collect::<Vec<_>>()
        )));
    }
    Ok(params
        .iter()
        .zip(sql.params)
        .map(|((_, value), (_, ty))| (*value, ty.clone()))
        .collect())
}

/// Runs `sql` on a pooled connection in `mode`.
pub(crate) async fn query(
    client: &ClientWrapper,
    mode: StatementMode,
    sql: &Sql,
    params: &[Param<'_>],
) -> Result<Vec<Row>, MessengerError> {
    let typed = typed(sql, params)?;
    match mode {
        StatementMode::Prepared => {
            let types: Vec<Type> = sql.params.iter().map(|(_, ty)| ty.clone()).collect();
            let statement = client.prepare_typed_cached(sql.text, &types).await?;
            let values: Vec<&(dyn ToSql + Sync)> = typed.iter().map(|(v, _)| *v).collect();
            Ok(client.query(&statement, &values).await?)
        }
        StatementMode::Unnamed => Ok(client.query_typed(sql.text, &typed).await?),
    }
}

/// Runs `sql` on the application's client or transaction, unnamed.
pub(crate) async fn query_on<E: Executor + ?Sized>(
    executor: &E,
    sql: &Sql,
    params: &[Param<'_>],
) -> Result<Vec<Row>, MessengerError> {
    let typed = typed(sql, params)?;
    Ok(executor.query_unnamed(sql.text, &typed).await?)
}

/// Where the runtime runs a statement: its own pooled connection in a [`StatementMode`], or
/// the application's client or transaction (unnamed).
pub(crate) trait Target: Send + Sync {
    /// Runs `sql` with `params` there.
    fn run(
        &self,
        sql: &Sql,
        params: &[Param<'_>],
    ) -> impl Future<Output = Result<Vec<Row>, MessengerError>> + Send;
}

/// A pooled connection of the runtime's, with the mode its statements are sent in.
pub(crate) struct Pooled<'a>(pub &'a ClientWrapper, pub StatementMode);

impl Target for Pooled<'_> {
    async fn run(&self, sql: &Sql, params: &[Param<'_>]) -> Result<Vec<Row>, MessengerError> {
        query(self.0, self.1, sql, params).await
    }
}

/// The application's client or transaction.
pub(crate) struct Application<'a, E: ?Sized>(pub &'a E);

impl<E: Executor + ?Sized> Target for Application<'_, E> {
    async fn run(&self, sql: &Sql, params: &[Param<'_>]) -> Result<Vec<Row>, MessengerError> {
        query_on(self.0, sql, params).await
    }
}

/// Where each expected column is in a result, looked up once per result set rather than by name
/// for every row.
pub(crate) struct Columns<const N: usize> {
    index: [usize; N],
}

impl<const N: usize> Columns<N> {
    /// The positions of `names` in the columns of `row`; an absent column is a bug of the
    /// runtime (the query and its reader disagree), reported as such.
    pub(crate) fn of(row: &Row, statement: &str, names: [&str; N]) -> Result<Self, MessengerError> {
        let mut index = [0; N];
        for (slot, name) in index.iter_mut().zip(names) {
            *slot = row
                .columns()
                .iter()
                .position(|c| c.name() == name)
                .ok_or_else(|| {
                    MessengerError::Internal(format!(
                        "statement `{statement}` returns no column `{name}`"
                    ))
                })?;
        }
        Ok(Columns { index })
    }

    /// The position of the `i`th expected column.
    pub(crate) fn at(&self, i: usize) -> usize {
        self.index[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_must_be_bound_by_name_in_order() {
        let sql = &messenger_queries::sql::consume::ACK_MESSAGE;
        let (id, token) = (1i64, 2i64);
        assert_eq!(
            typed(sql, &[("id", &id), ("lease_token", &token)])
                .unwrap()
                .iter()
                .map(|(_, t)| t.clone())
                .collect::<Vec<_>>(),
            [Type::INT8, Type::INT8]
        );
        let swapped = typed(sql, &[("lease_token", &token), ("id", &id)]).unwrap_err();
        assert!(swapped.to_string().contains("ack_message"), "{swapped}");
        assert!(typed(sql, &[("id", &id)]).is_err());
    }
}
