// This file was generated with `cornucopia`. Do not modify.

#[derive(Clone, Copy, Debug)]
pub struct PurgeCompletedParams {
    pub cutoff: chrono::DateTime<chrono::FixedOffset>,
    pub max_rows: i64,
}
#[derive(Clone, Copy, Debug)]
pub struct PurgeFailedParams {
    pub cutoff: chrono::DateTime<chrono::FixedOffset>,
    pub max_rows: i64,
}
#[derive(Debug, Clone, PartialEq)]
pub struct QueueDepth {
    pub transport_name: String,
    pub queue_name: String,
    pub pending_count: i64,
    pub processing_count: i64,
    pub completed_count: i64,
    pub failed_count: i64,
    pub total_count: i64,
    pub oldest_pending_at: Option<chrono::DateTime<chrono::FixedOffset>>,
}
pub struct QueueDepthBorrowed<'a> {
    pub transport_name: &'a str,
    pub queue_name: &'a str,
    pub pending_count: i64,
    pub processing_count: i64,
    pub completed_count: i64,
    pub failed_count: i64,
    pub total_count: i64,
    pub oldest_pending_at: Option<chrono::DateTime<chrono::FixedOffset>>,
}
impl<'a> From<QueueDepthBorrowed<'a>> for QueueDepth {
    fn from(
        QueueDepthBorrowed {
            transport_name,
            queue_name,
            pending_count,
            processing_count,
            completed_count,
            failed_count,
            total_count,
            oldest_pending_at,
        }: QueueDepthBorrowed<'a>,
    ) -> Self {
        Self {
            transport_name: transport_name.into(),
            queue_name: queue_name.into(),
            pending_count,
            processing_count,
            completed_count,
            failed_count,
            total_count,
            oldest_pending_at,
        }
    }
}
use crate::client::async_::GenericClient;
use futures::{self, StreamExt, TryStreamExt};
pub struct I64Query<'c, 'a, 's, C: GenericClient, T, const N: usize> {
    client: &'c C,
    params: [&'a (dyn postgres_types::ToSql + Sync); N],
    query: &'static str,
    cached: Option<&'s tokio_postgres::Statement>,
    extractor: fn(&tokio_postgres::Row) -> Result<i64, tokio_postgres::Error>,
    mapper: fn(i64) -> T,
}
impl<'c, 'a, 's, C, T: 'c, const N: usize> I64Query<'c, 'a, 's, C, T, N>
where
    C: GenericClient,
{
    pub fn map<R>(self, mapper: fn(i64) -> R) -> I64Query<'c, 'a, 's, C, R, N> {
        I64Query {
            client: self.client,
            params: self.params,
            query: self.query,
            cached: self.cached,
            extractor: self.extractor,
            mapper,
        }
    }
    pub async fn one(self) -> Result<T, tokio_postgres::Error> {
        let row =
            crate::client::async_::one(self.client, self.query, &self.params, self.cached).await?;
        Ok((self.mapper)((self.extractor)(&row)?))
    }
    pub async fn all(self) -> Result<Vec<T>, tokio_postgres::Error> {
        self.iter().await?.try_collect().await
    }
    pub async fn opt(self) -> Result<Option<T>, tokio_postgres::Error> {
        let opt_row =
            crate::client::async_::opt(self.client, self.query, &self.params, self.cached).await?;
        Ok(opt_row
            .map(|row| {
                let extracted = (self.extractor)(&row)?;
                Ok((self.mapper)(extracted))
            })
            .transpose()?)
    }
    pub async fn iter(
        self,
    ) -> Result<
        impl futures::Stream<Item = Result<T, tokio_postgres::Error>> + 'c,
        tokio_postgres::Error,
    > {
        let stream = crate::client::async_::raw(
            self.client,
            self.query,
            crate::slice_iter(&self.params),
            self.cached,
        )
        .await?;
        let mapped = stream
            .map(move |res| {
                res.and_then(|row| {
                    let extracted = (self.extractor)(&row)?;
                    Ok((self.mapper)(extracted))
                })
            })
            .into_stream();
        Ok(mapped)
    }
}
pub struct QueueDepthQuery<'c, 'a, 's, C: GenericClient, T, const N: usize> {
    client: &'c C,
    params: [&'a (dyn postgres_types::ToSql + Sync); N],
    query: &'static str,
    cached: Option<&'s tokio_postgres::Statement>,
    extractor: fn(&tokio_postgres::Row) -> Result<QueueDepthBorrowed, tokio_postgres::Error>,
    mapper: fn(QueueDepthBorrowed) -> T,
}
impl<'c, 'a, 's, C, T: 'c, const N: usize> QueueDepthQuery<'c, 'a, 's, C, T, N>
where
    C: GenericClient,
{
    pub fn map<R>(
        self,
        mapper: fn(QueueDepthBorrowed) -> R,
    ) -> QueueDepthQuery<'c, 'a, 's, C, R, N> {
        QueueDepthQuery {
            client: self.client,
            params: self.params,
            query: self.query,
            cached: self.cached,
            extractor: self.extractor,
            mapper,
        }
    }
    pub async fn one(self) -> Result<T, tokio_postgres::Error> {
        let row =
            crate::client::async_::one(self.client, self.query, &self.params, self.cached).await?;
        Ok((self.mapper)((self.extractor)(&row)?))
    }
    pub async fn all(self) -> Result<Vec<T>, tokio_postgres::Error> {
        self.iter().await?.try_collect().await
    }
    pub async fn opt(self) -> Result<Option<T>, tokio_postgres::Error> {
        let opt_row =
            crate::client::async_::opt(self.client, self.query, &self.params, self.cached).await?;
        Ok(opt_row
            .map(|row| {
                let extracted = (self.extractor)(&row)?;
                Ok((self.mapper)(extracted))
            })
            .transpose()?)
    }
    pub async fn iter(
        self,
    ) -> Result<
        impl futures::Stream<Item = Result<T, tokio_postgres::Error>> + 'c,
        tokio_postgres::Error,
    > {
        let stream = crate::client::async_::raw(
            self.client,
            self.query,
            crate::slice_iter(&self.params),
            self.cached,
        )
        .await?;
        let mapped = stream
            .map(move |res| {
                res.and_then(|row| {
                    let extracted = (self.extractor)(&row)?;
                    Ok((self.mapper)(extracted))
                })
            })
            .into_stream();
        Ok(mapped)
    }
}
pub struct PurgeCompletedStmt(&'static str, Option<tokio_postgres::Statement>);
/// Deletes completed messages processed before `cutoff`, at most `max_rows` of them
/// (oldest first), and returns how many were deleted. Call it in a loop until it
/// returns less than `max_rows`: bounded batches keep transactions, locks and WAL
/// bursts short.
///
/// Rows locked by another transaction are skipped (FOR UPDATE SKIP LOCKED), so
/// several purgers can run concurrently and a purge never waits for workers.
/// Purging a message frees its idempotency key (see dispatch_idempotent); a
/// dead letter still pointing at it gets message_id NULL (ON DELETE SET NULL).
pub fn purge_completed() -> PurgeCompletedStmt {
    PurgeCompletedStmt(
        "WITH doomed AS MATERIALIZED ( SELECT c.id FROM messenger_messages c WHERE c.status = 'completed' AND c.processed_at < $1::timestamptz ORDER BY c.processed_at LIMIT $2::bigint FOR UPDATE SKIP LOCKED ), deleted AS ( DELETE FROM messenger_messages m WHERE m.id = ANY (ARRAY(SELECT doomed.id FROM doomed)) RETURNING m.id ) SELECT count(*) AS deleted_count FROM deleted",
        None,
    )
}
impl PurgeCompletedStmt {
    pub async fn prepare<'a, C: GenericClient>(
        mut self,
        client: &'a C,
    ) -> Result<Self, tokio_postgres::Error> {
        self.1 = Some(client.prepare(self.0).await?);
        Ok(self)
    }
    pub fn bind<'c, 'a, 's, C: GenericClient>(
        &'s self,
        client: &'c C,
        cutoff: &'a chrono::DateTime<chrono::FixedOffset>,
        max_rows: &'a i64,
    ) -> I64Query<'c, 'a, 's, C, i64, 2> {
        I64Query {
            client,
            params: [cutoff, max_rows],
            query: self.0,
            cached: self.1.as_ref(),
            extractor: |row| Ok(row.try_get(0)?),
            mapper: |it| it,
        }
    }
}
impl<'c, 'a, 's, C: GenericClient>
    crate::client::async_::Params<
        'c,
        'a,
        's,
        PurgeCompletedParams,
        I64Query<'c, 'a, 's, C, i64, 2>,
        C,
    > for PurgeCompletedStmt
{
    fn params(
        &'s self,
        client: &'c C,
        params: &'a PurgeCompletedParams,
    ) -> I64Query<'c, 'a, 's, C, i64, 2> {
        self.bind(client, &params.cutoff, &params.max_rows)
    }
}
pub struct PurgeFailedStmt(&'static str, Option<tokio_postgres::Statement>);
/// Deletes failed (dead-lettered) messages processed before `cutoff`, at most `max_rows`
/// of them (oldest first), and returns how many were deleted; loop like purge_completed.
/// Their copies in messenger_failed_messages stay (message_id becomes NULL, ON DELETE SET
/// NULL) until requeued or deleted; purging frees the idempotency keys the failed
/// messages held. Uses idx_messenger_messages_processed_at; SKIP LOCKED as purge_completed.
pub fn purge_failed() -> PurgeFailedStmt {
    PurgeFailedStmt(
        "WITH doomed AS MATERIALIZED ( SELECT f.id FROM messenger_messages f WHERE f.status = 'failed' AND f.processed_at < $1::timestamptz ORDER BY f.processed_at LIMIT $2::bigint FOR UPDATE SKIP LOCKED ), deleted AS ( DELETE FROM messenger_messages m WHERE m.id = ANY (ARRAY(SELECT doomed.id FROM doomed)) RETURNING m.id ) SELECT count(*) AS deleted_count FROM deleted",
        None,
    )
}
impl PurgeFailedStmt {
    pub async fn prepare<'a, C: GenericClient>(
        mut self,
        client: &'a C,
    ) -> Result<Self, tokio_postgres::Error> {
        self.1 = Some(client.prepare(self.0).await?);
        Ok(self)
    }
    pub fn bind<'c, 'a, 's, C: GenericClient>(
        &'s self,
        client: &'c C,
        cutoff: &'a chrono::DateTime<chrono::FixedOffset>,
        max_rows: &'a i64,
    ) -> I64Query<'c, 'a, 's, C, i64, 2> {
        I64Query {
            client,
            params: [cutoff, max_rows],
            query: self.0,
            cached: self.1.as_ref(),
            extractor: |row| Ok(row.try_get(0)?),
            mapper: |it| it,
        }
    }
}
impl<'c, 'a, 's, C: GenericClient>
    crate::client::async_::Params<'c, 'a, 's, PurgeFailedParams, I64Query<'c, 'a, 's, C, i64, 2>, C>
    for PurgeFailedStmt
{
    fn params(
        &'s self,
        client: &'c C,
        params: &'a PurgeFailedParams,
    ) -> I64Query<'c, 'a, 's, C, i64, 2> {
        self.bind(client, &params.cutoff, &params.max_rows)
    }
}
pub struct QueueDepthStmt(&'static str, Option<tokio_postgres::Statement>);
/// Returns, per transport and queue, the number of messages in each status, the
/// total, and the available_at of the oldest pending message (NULL when nothing is
/// pending), ordered by transport and queue. Reads the view messenger_queue_depth
/// (a full aggregate over messenger_messages: a monitoring query, not a hot path).
///
/// Although the catalog reports every view column as nullable, only
/// oldest_pending_at can be NULL: transport_name and queue_name are NOT NULL
/// grouping columns, and count() never returns NULL.
pub fn queue_depth() -> QueueDepthStmt {
    QueueDepthStmt(
        "SELECT d.transport_name, d.queue_name, d.pending_count, d.processing_count, d.completed_count, d.failed_count, d.total_count, d.oldest_pending_at FROM messenger_queue_depth d ORDER BY d.transport_name, d.queue_name",
        None,
    )
}
impl QueueDepthStmt {
    pub async fn prepare<'a, C: GenericClient>(
        mut self,
        client: &'a C,
    ) -> Result<Self, tokio_postgres::Error> {
        self.1 = Some(client.prepare(self.0).await?);
        Ok(self)
    }
    pub fn bind<'c, 'a, 's, C: GenericClient>(
        &'s self,
        client: &'c C,
    ) -> QueueDepthQuery<'c, 'a, 's, C, QueueDepth, 0> {
        QueueDepthQuery {
            client,
            params: [],
            query: self.0,
            cached: self.1.as_ref(),
            extractor:
                |row: &tokio_postgres::Row| -> Result<QueueDepthBorrowed, tokio_postgres::Error> {
                    Ok(QueueDepthBorrowed {
                        transport_name: row.try_get(0)?,
                        queue_name: row.try_get(1)?,
                        pending_count: row.try_get(2)?,
                        processing_count: row.try_get(3)?,
                        completed_count: row.try_get(4)?,
                        failed_count: row.try_get(5)?,
                        total_count: row.try_get(6)?,
                        oldest_pending_at: row.try_get(7)?,
                    })
                },
            mapper: |it| QueueDepth::from(it),
        }
    }
}
