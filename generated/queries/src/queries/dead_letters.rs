// This file was generated with `cornucopia`. Do not modify.

#[derive(Debug)]
pub struct ListDeadLettersParams<T1: crate::StringSql> {
    pub transport_name: T1,
    pub max_rows: i64,
}
#[derive(Debug, Clone, PartialEq, Copy)]
pub struct RequeueDeadLetters {
    pub dead_letter_id: i64,
    pub message_id: i64,
}
#[derive(Debug, Clone, PartialEq)]
pub struct ListDeadLetters {
    pub id: i64,
    pub message_id: Option<i64>,
    pub transport_name: String,
    pub queue_name: String,
    pub body: serde_json::Value,
    pub headers: serde_json::Value,
    pub priority: i16,
    pub retry_count: i32,
    pub max_retries: i32,
    pub idempotency_key: Option<String>,
    pub metadata: serde_json::Value,
    pub original_created_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub error_message: String,
    pub error_class: Option<String>,
    pub error_trace: Option<String>,
    pub failed_at: chrono::DateTime<chrono::FixedOffset>,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
}
pub struct ListDeadLettersBorrowed<'a> {
    pub id: i64,
    pub message_id: Option<i64>,
    pub transport_name: &'a str,
    pub queue_name: &'a str,
    pub body: postgres_types::Json<&'a serde_json::value::RawValue>,
    pub headers: postgres_types::Json<&'a serde_json::value::RawValue>,
    pub priority: i16,
    pub retry_count: i32,
    pub max_retries: i32,
    pub idempotency_key: Option<&'a str>,
    pub metadata: postgres_types::Json<&'a serde_json::value::RawValue>,
    pub original_created_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub error_message: &'a str,
    pub error_class: Option<&'a str>,
    pub error_trace: Option<&'a str>,
    pub failed_at: chrono::DateTime<chrono::FixedOffset>,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
}
impl<'a> From<ListDeadLettersBorrowed<'a>> for ListDeadLetters {
    fn from(
        ListDeadLettersBorrowed {
            id,
            message_id,
            transport_name,
            queue_name,
            body,
            headers,
            priority,
            retry_count,
            max_retries,
            idempotency_key,
            metadata,
            original_created_at,
            error_message,
            error_class,
            error_trace,
            failed_at,
            created_at,
        }: ListDeadLettersBorrowed<'a>,
    ) -> Self {
        Self {
            id,
            message_id,
            transport_name: transport_name.into(),
            queue_name: queue_name.into(),
            body: serde_json::from_str(body.0.get()).unwrap(),
            headers: serde_json::from_str(headers.0.get()).unwrap(),
            priority,
            retry_count,
            max_retries,
            idempotency_key: idempotency_key.map(|v| v.into()),
            metadata: serde_json::from_str(metadata.0.get()).unwrap(),
            original_created_at,
            error_message: error_message.into(),
            error_class: error_class.map(|v| v.into()),
            error_trace: error_trace.map(|v| v.into()),
            failed_at,
            created_at,
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
pub struct RequeueDeadLettersQuery<'c, 'a, 's, C: GenericClient, T, const N: usize> {
    client: &'c C,
    params: [&'a (dyn postgres_types::ToSql + Sync); N],
    query: &'static str,
    cached: Option<&'s tokio_postgres::Statement>,
    extractor: fn(&tokio_postgres::Row) -> Result<RequeueDeadLetters, tokio_postgres::Error>,
    mapper: fn(RequeueDeadLetters) -> T,
}
impl<'c, 'a, 's, C, T: 'c, const N: usize> RequeueDeadLettersQuery<'c, 'a, 's, C, T, N>
where
    C: GenericClient,
{
    pub fn map<R>(
        self,
        mapper: fn(RequeueDeadLetters) -> R,
    ) -> RequeueDeadLettersQuery<'c, 'a, 's, C, R, N> {
        RequeueDeadLettersQuery {
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
pub struct ListDeadLettersQuery<'c, 'a, 's, C: GenericClient, T, const N: usize> {
    client: &'c C,
    params: [&'a (dyn postgres_types::ToSql + Sync); N],
    query: &'static str,
    cached: Option<&'s tokio_postgres::Statement>,
    extractor: fn(&tokio_postgres::Row) -> Result<ListDeadLettersBorrowed, tokio_postgres::Error>,
    mapper: fn(ListDeadLettersBorrowed) -> T,
}
impl<'c, 'a, 's, C, T: 'c, const N: usize> ListDeadLettersQuery<'c, 'a, 's, C, T, N>
where
    C: GenericClient,
{
    pub fn map<R>(
        self,
        mapper: fn(ListDeadLettersBorrowed) -> R,
    ) -> ListDeadLettersQuery<'c, 'a, 's, C, R, N> {
        ListDeadLettersQuery {
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
pub struct RequeueDeadLetterStmt(&'static str, Option<tokio_postgres::Statement>);
/// Replays dead letter `id`: marks it requeued (requeued_at = now()) and enqueues a
/// fresh message with the same transport, queue, body, headers, priority, max_retries
/// and metadata: status 'pending', retry_count 0, available now, idempotency key
/// 'requeue:<id>'. Returns the id of the new message, or no row when there is no dead
/// letter `id` or it was already requeued: a dead letter is requeued at most once,
/// also when two callers race (the function messenger_requeue_dead_letters of
/// schema/V4 holds the rule; `messenger-gen queue failed retry` calls it too).
///
/// The dead letter stays (for inspection, until deleted). The original message keeps
/// its own idempotency key: it usually still exists in messenger_messages (status
/// 'failed', until purged) and owns the key in uq_messenger_messages_idempotency.
pub fn requeue_dead_letter() -> RequeueDeadLetterStmt {
    RequeueDeadLetterStmt(
        "SELECT r.message_id FROM messenger_requeue_dead_letters(ARRAY[$1::bigint]) r",
        None,
    )
}
impl RequeueDeadLetterStmt {
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
    ) -> I64Query<'c, 'a, 's, C, i64, 1> {
        I64Query {
            client,
            params: [id],
            query: self.0,
            cached: self.1.as_ref(),
            extractor: |row| Ok(row.try_get(0)?),
            mapper: |it| it,
        }
    }
}
pub struct RequeueDeadLettersStmt(&'static str, Option<tokio_postgres::Statement>);
/// Replays every dead letter of `ids` not requeued yet, in one statement, as
/// requeue_dead_letter does for one; returns (dead_letter_id, message_id) per
/// requeued dead letter, by dead letter id. Unknown and already requeued ids
/// return nothing.
pub fn requeue_dead_letters() -> RequeueDeadLettersStmt {
    RequeueDeadLettersStmt(
        "SELECT r.dead_letter_id, r.message_id FROM messenger_requeue_dead_letters($1::bigint[]) r ORDER BY r.dead_letter_id",
        None,
    )
}
impl RequeueDeadLettersStmt {
    pub async fn prepare<'a, C: GenericClient>(
        mut self,
        client: &'a C,
    ) -> Result<Self, tokio_postgres::Error> {
        self.1 = Some(client.prepare(self.0).await?);
        Ok(self)
    }
    pub fn bind<'c, 'a, 's, C: GenericClient, T1: crate::ArraySql<Item = i64>>(
        &'s self,
        client: &'c C,
        ids: &'a T1,
    ) -> RequeueDeadLettersQuery<'c, 'a, 's, C, RequeueDeadLetters, 1> {
        RequeueDeadLettersQuery {
            client,
            params: [ids],
            query: self.0,
            cached: self.1.as_ref(),
            extractor:
                |row: &tokio_postgres::Row| -> Result<RequeueDeadLetters, tokio_postgres::Error> {
                    Ok(RequeueDeadLetters {
                        dead_letter_id: row.try_get(0)?,
                        message_id: row.try_get(1)?,
                    })
                },
            mapper: |it| RequeueDeadLetters::from(it),
        }
    }
}
pub struct ListDeadLettersStmt(&'static str, Option<tokio_postgres::Statement>);
/// Lists the dead letters of one transport that await a decision (not requeued),
/// most recent failure first (ties broken by newest id), at most `max_rows` of them.
/// Served by the index idx_messenger_failed_messages_transport_failed_at.
pub fn list_dead_letters() -> ListDeadLettersStmt {
    ListDeadLettersStmt(
        "SELECT f.id, f.message_id, f.transport_name, f.queue_name, f.body, f.headers, f.priority, f.retry_count, f.max_retries, f.idempotency_key, f.metadata, f.original_created_at, f.error_message, f.error_class, f.error_trace, f.failed_at, f.created_at FROM messenger_failed_messages f WHERE f.transport_name = $1::text AND f.requeued_at IS NULL ORDER BY f.failed_at DESC, f.id DESC LIMIT $2::bigint",
        None,
    )
}
impl ListDeadLettersStmt {
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
        transport_name: &'a T1,
        max_rows: &'a i64,
    ) -> ListDeadLettersQuery<'c, 'a, 's, C, ListDeadLetters, 2> {
        ListDeadLettersQuery {
            client,
            params: [transport_name, max_rows],
            query: self.0,
            cached: self.1.as_ref(),
            extractor: |
                row: &tokio_postgres::Row,
            | -> Result<ListDeadLettersBorrowed, tokio_postgres::Error> {
                Ok(ListDeadLettersBorrowed {
                    id: row.try_get(0)?,
                    message_id: row.try_get(1)?,
                    transport_name: row.try_get(2)?,
                    queue_name: row.try_get(3)?,
                    body: row.try_get(4)?,
                    headers: row.try_get(5)?,
                    priority: row.try_get(6)?,
                    retry_count: row.try_get(7)?,
                    max_retries: row.try_get(8)?,
                    idempotency_key: row.try_get(9)?,
                    metadata: row.try_get(10)?,
                    original_created_at: row.try_get(11)?,
                    error_message: row.try_get(12)?,
                    error_class: row.try_get(13)?,
                    error_trace: row.try_get(14)?,
                    failed_at: row.try_get(15)?,
                    created_at: row.try_get(16)?,
                })
            },
            mapper: |it| ListDeadLetters::from(it),
        }
    }
}
impl<'c, 'a, 's, C: GenericClient, T1: crate::StringSql>
    crate::client::async_::Params<
        'c,
        'a,
        's,
        ListDeadLettersParams<T1>,
        ListDeadLettersQuery<'c, 'a, 's, C, ListDeadLetters, 2>,
        C,
    > for ListDeadLettersStmt
{
    fn params(
        &'s self,
        client: &'c C,
        params: &'a ListDeadLettersParams<T1>,
    ) -> ListDeadLettersQuery<'c, 'a, 's, C, ListDeadLetters, 2> {
        self.bind(client, &params.transport_name, &params.max_rows)
    }
}
