// This file was generated with `cornucopia`. Do not modify.

#[derive(Debug)]
pub struct ClaimBatchParams<T1: crate::StringSql, T2: crate::StringSql, T3: crate::StringSql> {
    pub transport_name: T1,
    pub queue_name: T2,
    pub batch_size: i64,
    pub worker: T3,
    pub lease_secs: f64,
}
#[derive(Debug)]
pub struct AckBatchParams<T1: crate::ArraySql<Item = i64>, T2: crate::ArraySql<Item = i64>> {
    pub ids: T1,
    pub lease_tokens: T2,
}
#[derive(Debug)]
pub struct AckDeleteBatchParams<T1: crate::ArraySql<Item = i64>, T2: crate::ArraySql<Item = i64>> {
    pub ids: T1,
    pub lease_tokens: T2,
}
#[derive(Clone, Copy, Debug)]
pub struct AckMessageParams {
    pub id: i64,
    pub lease_token: i64,
}
#[derive(Debug)]
pub struct RetryMessageParams<T1: crate::StringSql> {
    pub error: T1,
    pub delay_secs: f64,
    pub id: i64,
    pub lease_token: i64,
}
#[derive(Debug)]
pub struct DeadLetterMessageParams<T1: crate::StringSql, T2: crate::StringSql, T3: crate::StringSql>
{
    pub error_message: T1,
    pub id: i64,
    pub lease_token: i64,
    pub error_class: Option<T2>,
    pub error_trace: Option<T3>,
}
#[derive(Debug)]
pub struct RenewLeasesParams<T1: crate::ArraySql<Item = i64>, T2: crate::ArraySql<Item = i64>> {
    pub lease_secs: f64,
    pub ids: T1,
    pub lease_tokens: T2,
}
#[derive(Debug)]
pub struct ReleaseMessagesParams<T1: crate::ArraySql<Item = i64>, T2: crate::ArraySql<Item = i64>> {
    pub ids: T1,
    pub lease_tokens: T2,
}
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimBatch {
    pub id: i64,
    pub transport_name: String,
    pub queue_name: String,
    pub body: serde_json::Value,
    pub headers: serde_json::Value,
    pub priority: i16,
    pub retry_count: i32,
    pub max_retries: i32,
    pub idempotency_key: Option<String>,
    pub metadata: serde_json::Value,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    pub available_at: chrono::DateTime<chrono::FixedOffset>,
    pub locked_at: chrono::DateTime<chrono::FixedOffset>,
    pub lock_expires_at: chrono::DateTime<chrono::FixedOffset>,
    pub lease_token: i64,
    pub scheduled_at: Option<chrono::DateTime<chrono::FixedOffset>>,
}
pub struct ClaimBatchBorrowed<'a> {
    pub id: i64,
    pub transport_name: &'a str,
    pub queue_name: &'a str,
    pub body: postgres_types::Json<&'a serde_json::value::RawValue>,
    pub headers: postgres_types::Json<&'a serde_json::value::RawValue>,
    pub priority: i16,
    pub retry_count: i32,
    pub max_retries: i32,
    pub idempotency_key: Option<&'a str>,
    pub metadata: postgres_types::Json<&'a serde_json::value::RawValue>,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    pub available_at: chrono::DateTime<chrono::FixedOffset>,
    pub locked_at: chrono::DateTime<chrono::FixedOffset>,
    pub lock_expires_at: chrono::DateTime<chrono::FixedOffset>,
    pub lease_token: i64,
    pub scheduled_at: Option<chrono::DateTime<chrono::FixedOffset>>,
}
impl<'a> From<ClaimBatchBorrowed<'a>> for ClaimBatch {
    fn from(
        ClaimBatchBorrowed {
            id,
            transport_name,
            queue_name,
            body,
            headers,
            priority,
            retry_count,
            max_retries,
            idempotency_key,
            metadata,
            created_at,
            available_at,
            locked_at,
            lock_expires_at,
            lease_token,
            scheduled_at,
        }: ClaimBatchBorrowed<'a>,
    ) -> Self {
        Self {
            id,
            transport_name: transport_name.into(),
            queue_name: queue_name.into(),
            body: serde_json::from_str(body.0.get()).unwrap(),
            headers: serde_json::from_str(headers.0.get()).unwrap(),
            priority,
            retry_count,
            max_retries,
            idempotency_key: idempotency_key.map(|v| v.into()),
            metadata: serde_json::from_str(metadata.0.get()).unwrap(),
            created_at,
            available_at,
            locked_at,
            lock_expires_at,
            lease_token,
            scheduled_at,
        }
    }
}
#[derive(Debug, Clone, PartialEq, Copy)]
pub struct RetryMessage {
    pub id: i64,
    pub retry_count: i32,
}
#[derive(Debug, Clone, PartialEq, Copy)]
pub struct RenewLeases {
    pub id: i64,
    pub lock_expires_at: chrono::DateTime<chrono::FixedOffset>,
}
#[derive(Debug, Clone, PartialEq)]
pub struct RescueExpiredLeases {
    pub id: i64,
    pub outcome: String,
}
pub struct RescueExpiredLeasesBorrowed<'a> {
    pub id: i64,
    pub outcome: &'a str,
}
impl<'a> From<RescueExpiredLeasesBorrowed<'a>> for RescueExpiredLeases {
    fn from(RescueExpiredLeasesBorrowed { id, outcome }: RescueExpiredLeasesBorrowed<'a>) -> Self {
        Self {
            id,
            outcome: outcome.into(),
        }
    }
}
use crate::client::async_::GenericClient;
use futures::{self, StreamExt, TryStreamExt};
pub struct ClaimBatchQuery<'c, 'a, 's, C: GenericClient, T, const N: usize> {
    client: &'c C,
    params: [&'a (dyn postgres_types::ToSql + Sync); N],
    query: &'static str,
    cached: Option<&'s tokio_postgres::Statement>,
    extractor: fn(&tokio_postgres::Row) -> Result<ClaimBatchBorrowed, tokio_postgres::Error>,
    mapper: fn(ClaimBatchBorrowed) -> T,
}
impl<'c, 'a, 's, C, T: 'c, const N: usize> ClaimBatchQuery<'c, 'a, 's, C, T, N>
where
    C: GenericClient,
{
    pub fn map<R>(
        self,
        mapper: fn(ClaimBatchBorrowed) -> R,
    ) -> ClaimBatchQuery<'c, 'a, 's, C, R, N> {
        ClaimBatchQuery {
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
pub struct RetryMessageQuery<'c, 'a, 's, C: GenericClient, T, const N: usize> {
    client: &'c C,
    params: [&'a (dyn postgres_types::ToSql + Sync); N],
    query: &'static str,
    cached: Option<&'s tokio_postgres::Statement>,
    extractor: fn(&tokio_postgres::Row) -> Result<RetryMessage, tokio_postgres::Error>,
    mapper: fn(RetryMessage) -> T,
}
impl<'c, 'a, 's, C, T: 'c, const N: usize> RetryMessageQuery<'c, 'a, 's, C, T, N>
where
    C: GenericClient,
{
    pub fn map<R>(self, mapper: fn(RetryMessage) -> R) -> RetryMessageQuery<'c, 'a, 's, C, R, N> {
        RetryMessageQuery {
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
pub struct RenewLeasesQuery<'c, 'a, 's, C: GenericClient, T, const N: usize> {
    client: &'c C,
    params: [&'a (dyn postgres_types::ToSql + Sync); N],
    query: &'static str,
    cached: Option<&'s tokio_postgres::Statement>,
    extractor: fn(&tokio_postgres::Row) -> Result<RenewLeases, tokio_postgres::Error>,
    mapper: fn(RenewLeases) -> T,
}
impl<'c, 'a, 's, C, T: 'c, const N: usize> RenewLeasesQuery<'c, 'a, 's, C, T, N>
where
    C: GenericClient,
{
    pub fn map<R>(self, mapper: fn(RenewLeases) -> R) -> RenewLeasesQuery<'c, 'a, 's, C, R, N> {
        RenewLeasesQuery {
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
pub struct RescueExpiredLeasesQuery<'c, 'a, 's, C: GenericClient, T, const N: usize> {
    client: &'c C,
    params: [&'a (dyn postgres_types::ToSql + Sync); N],
    query: &'static str,
    cached: Option<&'s tokio_postgres::Statement>,
    extractor:
        fn(&tokio_postgres::Row) -> Result<RescueExpiredLeasesBorrowed, tokio_postgres::Error>,
    mapper: fn(RescueExpiredLeasesBorrowed) -> T,
}
impl<'c, 'a, 's, C, T: 'c, const N: usize> RescueExpiredLeasesQuery<'c, 'a, 's, C, T, N>
where
    C: GenericClient,
{
    pub fn map<R>(
        self,
        mapper: fn(RescueExpiredLeasesBorrowed) -> R,
    ) -> RescueExpiredLeasesQuery<'c, 'a, 's, C, R, N> {
        RescueExpiredLeasesQuery {
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
pub struct ClaimBatchStmt(&'static str, Option<tokio_postgres::Statement>);
/// Claims up to `batch_size` consumable messages of one transport/queue for
/// `worker` and returns them.
///
/// Which rows: pending messages with available_at <= now(), highest priority first,
/// then oldest available_at, then lowest id (FIFO), exactly the order of the
/// partial index idx_messenger_messages_dequeue, which serves the scan. Rows locked
/// by a concurrent claimer are skipped (FOR UPDATE SKIP LOCKED), so concurrent
/// workers never block each other and never claim the same message; a row updated
/// concurrently is re-checked against the WHERE clause before it is locked.
///
/// Each claimed message gets status 'processing', locked_by = worker,
/// locked_at = now(), lock_expires_at = now() + lease_secs seconds and a lease
/// token of its own (now() = start of the current transaction: call this in its
/// own transaction).
///
/// retry_count is the number of failed attempts so far, so this is attempt
/// retry_count + 1 of at most max_retries + 1. (rescue_expired_leases dead-letters
/// a message whose last attempt's lease expired, so a claimed message always has an
/// attempt left.)
///
/// UPDATE ... RETURNING itself does not preserve any order, so the claimed rows
/// are re-sorted by the same key (priority DESC, available_at, id) in the final
/// SELECT: the returned rows come in dequeue order.
pub fn claim_batch() -> ClaimBatchStmt {
    ClaimBatchStmt(
        "WITH next AS MATERIALIZED ( SELECT q.id FROM messenger_messages q WHERE q.transport_name = $1::text AND q.queue_name = $2::text AND q.status = 'pending' AND q.available_at <= now() ORDER BY q.priority DESC, q.available_at, q.id LIMIT $3::bigint FOR UPDATE SKIP LOCKED ), claimed AS ( UPDATE messenger_messages m SET status = 'processing', locked_by = $4::text, locked_at = now(), lock_expires_at = now() + make_interval(secs => $5::float8), lease_token = nextval('messenger_lease_token_seq') WHERE m.id = ANY (ARRAY(SELECT next.id FROM next)) RETURNING m.id, m.transport_name, m.queue_name, m.body, m.headers, m.priority, m.retry_count, m.max_retries, m.idempotency_key, m.metadata, m.created_at, m.available_at, m.locked_at, m.lock_expires_at, m.lease_token, m.scheduled_at ) SELECT c.id, c.transport_name, c.queue_name, c.body, c.headers, c.priority, c.retry_count, c.max_retries, c.idempotency_key, c.metadata, c.created_at, c.available_at, c.locked_at, c.lock_expires_at, c.lease_token, c.scheduled_at FROM claimed c ORDER BY c.priority DESC, c.available_at, c.id",
        None,
    )
}
impl ClaimBatchStmt {
    pub async fn prepare<'a, C: GenericClient>(
        mut self,
        client: &'a C,
    ) -> Result<Self, tokio_postgres::Error> {
        self.1 = Some(client.prepare(self.0).await?);
        Ok(self)
    }
    pub fn bind<
        'c,
        'a,
        's,
        C: GenericClient,
        T1: crate::StringSql,
        T2: crate::StringSql,
        T3: crate::StringSql,
    >(
        &'s self,
        client: &'c C,
        transport_name: &'a T1,
        queue_name: &'a T2,
        batch_size: &'a i64,
        worker: &'a T3,
        lease_secs: &'a f64,
    ) -> ClaimBatchQuery<'c, 'a, 's, C, ClaimBatch, 5> {
        ClaimBatchQuery {
            client,
            params: [transport_name, queue_name, batch_size, worker, lease_secs],
            query: self.0,
            cached: self.1.as_ref(),
            extractor:
                |row: &tokio_postgres::Row| -> Result<ClaimBatchBorrowed, tokio_postgres::Error> {
                    Ok(ClaimBatchBorrowed {
                        id: row.try_get(0)?,
                        transport_name: row.try_get(1)?,
                        queue_name: row.try_get(2)?,
                        body: row.try_get(3)?,
                        headers: row.try_get(4)?,
                        priority: row.try_get(5)?,
                        retry_count: row.try_get(6)?,
                        max_retries: row.try_get(7)?,
                        idempotency_key: row.try_get(8)?,
                        metadata: row.try_get(9)?,
                        created_at: row.try_get(10)?,
                        available_at: row.try_get(11)?,
                        locked_at: row.try_get(12)?,
                        lock_expires_at: row.try_get(13)?,
                        lease_token: row.try_get(14)?,
                        scheduled_at: row.try_get(15)?,
                    })
                },
            mapper: |it| ClaimBatch::from(it),
        }
    }
}
impl<'c, 'a, 's, C: GenericClient, T1: crate::StringSql, T2: crate::StringSql, T3: crate::StringSql>
    crate::client::async_::Params<
        'c,
        'a,
        's,
        ClaimBatchParams<T1, T2, T3>,
        ClaimBatchQuery<'c, 'a, 's, C, ClaimBatch, 5>,
        C,
    > for ClaimBatchStmt
{
    fn params(
        &'s self,
        client: &'c C,
        params: &'a ClaimBatchParams<T1, T2, T3>,
    ) -> ClaimBatchQuery<'c, 'a, 's, C, ClaimBatch, 5> {
        self.bind(
            client,
            &params.transport_name,
            &params.queue_name,
            &params.batch_size,
            &params.worker,
            &params.lease_secs,
        )
    }
}
pub struct AckBatchStmt(&'static str, Option<tokio_postgres::Statement>);
/// Marks claimed messages as successfully handled: status 'completed',
/// processed_at = now(), lease cleared. `ids` are the messages, `lease_tokens`
/// the tokens of the leases held on them (see the fencing of batches above);
/// returns the ids that were completed. An id missing from the result had lost
/// its lease (it has been or will be redelivered). An expired lease that was not
/// rescued yet is still held: acking it succeeds.
pub fn ack_batch() -> AckBatchStmt {
    AckBatchStmt(
        "UPDATE messenger_messages m SET status = 'completed', processed_at = now(), locked_by = NULL, locked_at = NULL, lock_expires_at = NULL, lease_token = NULL WHERE m.id = ANY ($1::bigint[]) AND m.lease_token = ANY ($2::bigint[]) AND m.status = 'processing' RETURNING m.id",
        None,
    )
}
impl AckBatchStmt {
    pub async fn prepare<'a, C: GenericClient>(
        mut self,
        client: &'a C,
    ) -> Result<Self, tokio_postgres::Error> {
        self.1 = Some(client.prepare(self.0).await?);
        Ok(self)
    }
    pub fn bind<
        'c,
        'a,
        's,
        C: GenericClient,
        T1: crate::ArraySql<Item = i64>,
        T2: crate::ArraySql<Item = i64>,
    >(
        &'s self,
        client: &'c C,
        ids: &'a T1,
        lease_tokens: &'a T2,
    ) -> I64Query<'c, 'a, 's, C, i64, 2> {
        I64Query {
            client,
            params: [ids, lease_tokens],
            query: self.0,
            cached: self.1.as_ref(),
            extractor: |row| Ok(row.try_get(0)?),
            mapper: |it| it,
        }
    }
}
impl<'c, 'a, 's, C: GenericClient, T1: crate::ArraySql<Item = i64>, T2: crate::ArraySql<Item = i64>>
    crate::client::async_::Params<
        'c,
        'a,
        's,
        AckBatchParams<T1, T2>,
        I64Query<'c, 'a, 's, C, i64, 2>,
        C,
    > for AckBatchStmt
{
    fn params(
        &'s self,
        client: &'c C,
        params: &'a AckBatchParams<T1, T2>,
    ) -> I64Query<'c, 'a, 's, C, i64, 2> {
        self.bind(client, &params.ids, &params.lease_tokens)
    }
}
pub struct AckDeleteBatchStmt(&'static str, Option<tokio_postgres::Statement>);
/// Like ack_batch, but deletes the handled messages instead of keeping them as
/// 'completed' (for workers configured to keep nothing): no row version is left
/// for the purge, and the idempotency keys are free at once. Returns the ids that
/// were deleted; a missing id had lost its lease.
pub fn ack_delete_batch() -> AckDeleteBatchStmt {
    AckDeleteBatchStmt(
        "DELETE FROM messenger_messages m WHERE m.id = ANY ($1::bigint[]) AND m.lease_token = ANY ($2::bigint[]) AND m.status = 'processing' RETURNING m.id",
        None,
    )
}
impl AckDeleteBatchStmt {
    pub async fn prepare<'a, C: GenericClient>(
        mut self,
        client: &'a C,
    ) -> Result<Self, tokio_postgres::Error> {
        self.1 = Some(client.prepare(self.0).await?);
        Ok(self)
    }
    pub fn bind<
        'c,
        'a,
        's,
        C: GenericClient,
        T1: crate::ArraySql<Item = i64>,
        T2: crate::ArraySql<Item = i64>,
    >(
        &'s self,
        client: &'c C,
        ids: &'a T1,
        lease_tokens: &'a T2,
    ) -> I64Query<'c, 'a, 's, C, i64, 2> {
        I64Query {
            client,
            params: [ids, lease_tokens],
            query: self.0,
            cached: self.1.as_ref(),
            extractor: |row| Ok(row.try_get(0)?),
            mapper: |it| it,
        }
    }
}
impl<'c, 'a, 's, C: GenericClient, T1: crate::ArraySql<Item = i64>, T2: crate::ArraySql<Item = i64>>
    crate::client::async_::Params<
        'c,
        'a,
        's,
        AckDeleteBatchParams<T1, T2>,
        I64Query<'c, 'a, 's, C, i64, 2>,
        C,
    > for AckDeleteBatchStmt
{
    fn params(
        &'s self,
        client: &'c C,
        params: &'a AckDeleteBatchParams<T1, T2>,
    ) -> I64Query<'c, 'a, 's, C, i64, 2> {
        self.bind(client, &params.ids, &params.lease_tokens)
    }
}
pub struct AckMessageStmt(&'static str, Option<tokio_postgres::Statement>);
/// Marks one claimed message as successfully handled: status 'completed',
/// processed_at = now(), lease cleared. Returns the id, or no row when the lease
/// `lease_token` on message `id` is no longer held.
pub fn ack_message() -> AckMessageStmt {
    AckMessageStmt(
        "UPDATE messenger_messages SET status = 'completed', processed_at = now(), locked_by = NULL, locked_at = NULL, lock_expires_at = NULL, lease_token = NULL WHERE id = $1::bigint AND lease_token = $2::bigint AND status = 'processing' RETURNING id",
        None,
    )
}
impl AckMessageStmt {
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
        id: &'a i64,
        lease_token: &'a i64,
    ) -> I64Query<'c, 'a, 's, C, i64, 2> {
        I64Query {
            client,
            params: [id, lease_token],
            query: self.0,
            cached: self.1.as_ref(),
            extractor: |row| Ok(row.try_get(0)?),
            mapper: |it| it,
        }
    }
}
impl<'c, 'a, 's, C: GenericClient>
    crate::client::async_::Params<'c, 'a, 's, AckMessageParams, I64Query<'c, 'a, 's, C, i64, 2>, C>
    for AckMessageStmt
{
    fn params(
        &'s self,
        client: &'c C,
        params: &'a AckMessageParams,
    ) -> I64Query<'c, 'a, 's, C, i64, 2> {
        self.bind(client, &params.id, &params.lease_token)
    }
}
pub struct RetryMessageStmt(&'static str, Option<tokio_postgres::Statement>);
/// Puts a claimed message whose handling failed back into the queue for a later
/// attempt: status 'pending', retry_count + 1, last_error = error, available_at =
/// now() + delay_secs seconds (the back-off, chosen by the caller; the server's
/// clock), lease cleared. Returns the id and the new retry_count.
///
/// Fenced: no row when the lease `lease_token` on message `id` is no longer held.
/// Does not check max_retries: the caller decides between retry_message and
/// dead_letter_message (claim_batch returns retry_count and max_retries).
pub fn retry_message() -> RetryMessageStmt {
    RetryMessageStmt(
        "UPDATE messenger_messages SET status = 'pending', retry_count = retry_count + 1, last_error = $1::text, available_at = now() + make_interval(secs => $2::float8), locked_by = NULL, locked_at = NULL, lock_expires_at = NULL, lease_token = NULL WHERE id = $3::bigint AND lease_token = $4::bigint AND status = 'processing' RETURNING id, retry_count",
        None,
    )
}
impl RetryMessageStmt {
    pub async fn prepare<'a, C: GenericClient>(
        mut self,
        client: &'a C,
    ) -> Result<Self, tokio_postgres::Error> {
        self.1 = Some(client.prepare(self.0).await?);
        Ok(self)
    }
    pub fn bind<'c, 'a, 's, C: GenericClient, T1: crate::StringSql>(
        &'s self,
        client: &'c C,
        error: &'a T1,
        delay_secs: &'a f64,
        id: &'a i64,
        lease_token: &'a i64,
    ) -> RetryMessageQuery<'c, 'a, 's, C, RetryMessage, 4> {
        RetryMessageQuery {
            client,
            params: [error, delay_secs, id, lease_token],
            query: self.0,
            cached: self.1.as_ref(),
            extractor: |row: &tokio_postgres::Row| -> Result<RetryMessage, tokio_postgres::Error> {
                Ok(RetryMessage {
                    id: row.try_get(0)?,
                    retry_count: row.try_get(1)?,
                })
            },
            mapper: |it| RetryMessage::from(it),
        }
    }
}
impl<'c, 'a, 's, C: GenericClient, T1: crate::StringSql>
    crate::client::async_::Params<
        'c,
        'a,
        's,
        RetryMessageParams<T1>,
        RetryMessageQuery<'c, 'a, 's, C, RetryMessage, 4>,
        C,
    > for RetryMessageStmt
{
    fn params(
        &'s self,
        client: &'c C,
        params: &'a RetryMessageParams<T1>,
    ) -> RetryMessageQuery<'c, 'a, 's, C, RetryMessage, 4> {
        self.bind(
            client,
            &params.error,
            &params.delay_secs,
            &params.id,
            &params.lease_token,
        )
    }
}
pub struct DeadLetterMessageStmt(&'static str, Option<tokio_postgres::Statement>);
/// Permanently fails a claimed message, in one statement (atomically): the message
/// gets status 'failed', retry_count + 1 (the attempt that just failed counts, as
/// in retry_message: retry_count is the number of failed attempts), last_error =
/// error_message, processed_at = now() and its lease cleared; and a copy with the
/// error details is inserted into messenger_failed_messages (message_id pointing
/// back to it). Returns the id of the new dead-letter row.
///
/// Fenced: when the lease `lease_token` on message `id` is no longer held, nothing
/// is updated, nothing is inserted and no row is returned.
pub fn dead_letter_message() -> DeadLetterMessageStmt {
    DeadLetterMessageStmt(
        "WITH moved AS ( UPDATE messenger_messages SET status = 'failed', retry_count = retry_count + 1, last_error = $1::text, processed_at = now(), locked_by = NULL, locked_at = NULL, lock_expires_at = NULL, lease_token = NULL WHERE id = $2::bigint AND lease_token = $3::bigint AND status = 'processing' RETURNING id, transport_name, queue_name, body, headers, priority, retry_count, max_retries, idempotency_key, metadata, created_at ) INSERT INTO messenger_failed_messages ( message_id, transport_name, queue_name, body, headers, priority, retry_count, max_retries, idempotency_key, metadata, original_created_at, error_message, error_class, error_trace ) SELECT moved.id, moved.transport_name, moved.queue_name, moved.body, moved.headers, moved.priority, moved.retry_count, moved.max_retries, moved.idempotency_key, moved.metadata, moved.created_at, $1::text, $4::text, $5::text FROM moved RETURNING id",
        None,
    )
}
impl DeadLetterMessageStmt {
    pub async fn prepare<'a, C: GenericClient>(
        mut self,
        client: &'a C,
    ) -> Result<Self, tokio_postgres::Error> {
        self.1 = Some(client.prepare(self.0).await?);
        Ok(self)
    }
    pub fn bind<
        'c,
        'a,
        's,
        C: GenericClient,
        T1: crate::StringSql,
        T2: crate::StringSql,
        T3: crate::StringSql,
    >(
        &'s self,
        client: &'c C,
        error_message: &'a T1,
        id: &'a i64,
        lease_token: &'a i64,
        error_class: &'a Option<T2>,
        error_trace: &'a Option<T3>,
    ) -> I64Query<'c, 'a, 's, C, i64, 5> {
        I64Query {
            client,
            params: [error_message, id, lease_token, error_class, error_trace],
            query: self.0,
            cached: self.1.as_ref(),
            extractor: |row| Ok(row.try_get(0)?),
            mapper: |it| it,
        }
    }
}
impl<'c, 'a, 's, C: GenericClient, T1: crate::StringSql, T2: crate::StringSql, T3: crate::StringSql>
    crate::client::async_::Params<
        'c,
        'a,
        's,
        DeadLetterMessageParams<T1, T2, T3>,
        I64Query<'c, 'a, 's, C, i64, 5>,
        C,
    > for DeadLetterMessageStmt
{
    fn params(
        &'s self,
        client: &'c C,
        params: &'a DeadLetterMessageParams<T1, T2, T3>,
    ) -> I64Query<'c, 'a, 's, C, i64, 5> {
        self.bind(
            client,
            &params.error_message,
            &params.id,
            &params.lease_token,
            &params.error_class,
            &params.error_trace,
        )
    }
}
pub struct RenewLeasesStmt(&'static str, Option<tokio_postgres::Statement>);
/// Extends the leases of claimed messages (the heartbeat: one statement for every
/// message a worker holds): lock_expires_at = now() + lease_secs seconds. Fenced
/// like ack_batch; returns the renewed ids and their new expiry. A missing id has
/// lost its lease: abandon that message.
pub fn renew_leases() -> RenewLeasesStmt {
    RenewLeasesStmt(
        "UPDATE messenger_messages m SET lock_expires_at = now() + make_interval(secs => $1::float8) WHERE m.id = ANY ($2::bigint[]) AND m.lease_token = ANY ($3::bigint[]) AND m.status = 'processing' RETURNING m.id, m.lock_expires_at",
        None,
    )
}
impl RenewLeasesStmt {
    pub async fn prepare<'a, C: GenericClient>(
        mut self,
        client: &'a C,
    ) -> Result<Self, tokio_postgres::Error> {
        self.1 = Some(client.prepare(self.0).await?);
        Ok(self)
    }
    pub fn bind<
        'c,
        'a,
        's,
        C: GenericClient,
        T1: crate::ArraySql<Item = i64>,
        T2: crate::ArraySql<Item = i64>,
    >(
        &'s self,
        client: &'c C,
        lease_secs: &'a f64,
        ids: &'a T1,
        lease_tokens: &'a T2,
    ) -> RenewLeasesQuery<'c, 'a, 's, C, RenewLeases, 3> {
        RenewLeasesQuery {
            client,
            params: [lease_secs, ids, lease_tokens],
            query: self.0,
            cached: self.1.as_ref(),
            extractor: |row: &tokio_postgres::Row| -> Result<RenewLeases, tokio_postgres::Error> {
                Ok(RenewLeases {
                    id: row.try_get(0)?,
                    lock_expires_at: row.try_get(1)?,
                })
            },
            mapper: |it| RenewLeases::from(it),
        }
    }
}
impl<'c, 'a, 's, C: GenericClient, T1: crate::ArraySql<Item = i64>, T2: crate::ArraySql<Item = i64>>
    crate::client::async_::Params<
        'c,
        'a,
        's,
        RenewLeasesParams<T1, T2>,
        RenewLeasesQuery<'c, 'a, 's, C, RenewLeases, 3>,
        C,
    > for RenewLeasesStmt
{
    fn params(
        &'s self,
        client: &'c C,
        params: &'a RenewLeasesParams<T1, T2>,
    ) -> RenewLeasesQuery<'c, 'a, 's, C, RenewLeases, 3> {
        self.bind(
            client,
            &params.lease_secs,
            &params.ids,
            &params.lease_tokens,
        )
    }
}
pub struct ReleaseMessagesStmt(&'static str, Option<tokio_postgres::Statement>);
/// Hands claimed messages that were never started back to the queue at once
/// (a draining worker's buffer): status 'pending', lease cleared, retry_count and
/// available_at unchanged (no attempt was made, and each keeps its place in the
/// dequeue order). Fenced like ack_batch; returns the released ids. Notifies channel symphony_messenger once per transport and queue, so idle
/// workers claim them without waiting for their next poll.
pub fn release_messages() -> ReleaseMessagesStmt {
    ReleaseMessagesStmt(
        "WITH released AS ( UPDATE messenger_messages m SET status = 'pending', locked_by = NULL, locked_at = NULL, lock_expires_at = NULL, lease_token = NULL WHERE m.id = ANY ($1::bigint[]) AND m.lease_token = ANY ($2::bigint[]) AND m.status = 'processing' RETURNING m.id, m.transport_name, m.queue_name ), notified AS ( SELECT pg_notify('symphony_messenger', q.transport_name || ':' || q.queue_name) FROM (SELECT DISTINCT r.transport_name, r.queue_name FROM released r) q ) SELECT r.id FROM released r WHERE (SELECT count(*) FROM notified) >= 0",
        None,
    )
}
impl ReleaseMessagesStmt {
    pub async fn prepare<'a, C: GenericClient>(
        mut self,
        client: &'a C,
    ) -> Result<Self, tokio_postgres::Error> {
        self.1 = Some(client.prepare(self.0).await?);
        Ok(self)
    }
    pub fn bind<
        'c,
        'a,
        's,
        C: GenericClient,
        T1: crate::ArraySql<Item = i64>,
        T2: crate::ArraySql<Item = i64>,
    >(
        &'s self,
        client: &'c C,
        ids: &'a T1,
        lease_tokens: &'a T2,
    ) -> I64Query<'c, 'a, 's, C, i64, 2> {
        I64Query {
            client,
            params: [ids, lease_tokens],
            query: self.0,
            cached: self.1.as_ref(),
            extractor: |row| Ok(row.try_get(0)?),
            mapper: |it| it,
        }
    }
}
impl<'c, 'a, 's, C: GenericClient, T1: crate::ArraySql<Item = i64>, T2: crate::ArraySql<Item = i64>>
    crate::client::async_::Params<
        'c,
        'a,
        's,
        ReleaseMessagesParams<T1, T2>,
        I64Query<'c, 'a, 's, C, i64, 2>,
        C,
    > for ReleaseMessagesStmt
{
    fn params(
        &'s self,
        client: &'c C,
        params: &'a ReleaseMessagesParams<T1, T2>,
    ) -> I64Query<'c, 'a, 's, C, i64, 2> {
        self.bind(client, &params.ids, &params.lease_tokens)
    }
}
pub struct RescueExpiredLeasesStmt(&'static str, Option<tokio_postgres::Statement>);
/// Finishes the attempts whose lease expired (status 'processing' and
/// lock_expires_at < now(): the worker died, hung or lost its connection), at most
/// `max_rows` of them, oldest expiry first, and returns each id with its outcome.
///
/// The lost attempt counts as a failed one (retry_count + 1, last_error says whose
/// lease expired when), and the lease is cleared. A message with attempts left
/// goes back to 'pending' (outcome 'rescued'; available_at is kept, so it keeps
/// its place in the dequeue order); one whose last attempt this was (retry_count + 1
/// > max_retries) is dead-lettered in the same statement (outcome 'dead_lettered':
/// status 'failed', processed_at = now(), a copy in messenger_failed_messages with
/// error_class 'LeaseExpired'), so a message that crashes its worker every time
/// cannot circulate forever. Rescued messages are announced on channel
/// symphony_messenger like new ones.
///
/// Safe to run from every worker process at once: rows are locked with FOR UPDATE
/// SKIP LOCKED, so concurrent rescuers skip each other's rows instead of blocking
/// and each expired lease is finished once. A message whose worker is acking it
/// at this very moment is skipped (row locked), and an ack that commits between
/// this statement's snapshot and its row lock is seen by the re-check of the
/// WHERE clause (the row is no longer 'processing'): a completed message is never
/// put back. Served by the partial index idx_messenger_messages_lock_expiry.
pub fn rescue_expired_leases() -> RescueExpiredLeasesStmt {
    RescueExpiredLeasesStmt(
        "WITH expired AS MATERIALIZED ( SELECT e.id FROM messenger_messages e WHERE e.status = 'processing' AND e.lock_expires_at < now() ORDER BY e.lock_expires_at LIMIT $1::bigint FOR UPDATE SKIP LOCKED ), finished AS ( UPDATE messenger_messages m SET status = CASE WHEN m.retry_count + 1 > m.max_retries THEN 'failed' ELSE 'pending' END::messenger_message_status, retry_count = m.retry_count + 1, last_error = format('the lease of worker %s expired at %s', m.locked_by, m.lock_expires_at), processed_at = CASE WHEN m.retry_count + 1 > m.max_retries THEN now() END, locked_by = NULL, locked_at = NULL, lock_expires_at = NULL, lease_token = NULL WHERE m.id = ANY (ARRAY(SELECT expired.id FROM expired)) RETURNING m.id, m.status, m.transport_name, m.queue_name, m.body, m.headers, m.priority, m.retry_count, m.max_retries, m.idempotency_key, m.metadata, m.created_at, m.last_error ), dead AS ( INSERT INTO messenger_failed_messages ( message_id, transport_name, queue_name, body, headers, priority, retry_count, max_retries, idempotency_key, metadata, original_created_at, error_message, error_class ) SELECT f.id, f.transport_name, f.queue_name, f.body, f.headers, f.priority, f.retry_count, f.max_retries, f.idempotency_key, f.metadata, f.created_at, f.last_error, 'LeaseExpired' FROM finished f WHERE f.status = 'failed' ), notified AS ( SELECT pg_notify('symphony_messenger', q.transport_name || ':' || q.queue_name) FROM ( SELECT DISTINCT f.transport_name, f.queue_name FROM finished f WHERE f.status = 'pending' ) q ) SELECT f.id, CASE WHEN f.status = 'failed' THEN 'dead_lettered' ELSE 'rescued' END AS outcome FROM finished f WHERE (SELECT count(*) FROM notified) >= 0 ORDER BY f.id",
        None,
    )
}
impl RescueExpiredLeasesStmt {
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
        max_rows: &'a i64,
    ) -> RescueExpiredLeasesQuery<'c, 'a, 's, C, RescueExpiredLeases, 1> {
        RescueExpiredLeasesQuery {
            client,
            params: [max_rows],
            query: self.0,
            cached: self.1.as_ref(),
            extractor: |
                row: &tokio_postgres::Row,
            | -> Result<RescueExpiredLeasesBorrowed, tokio_postgres::Error> {
                Ok(RescueExpiredLeasesBorrowed {
                    id: row.try_get(0)?,
                    outcome: row.try_get(1)?,
                })
            },
            mapper: |it| RescueExpiredLeases::from(it),
        }
    }
}
