// This file was generated with `cornucopia`. Do not modify.

#[derive(Debug)]
pub struct DispatchMessageParams<
    T1: crate::StringSql,
    T2: crate::StringSql,
    T3: crate::JsonSql,
    T4: crate::JsonSql,
    T5: crate::StringSql,
    T6: crate::JsonSql,
> {
    pub transport_name: T1,
    pub queue_name: T2,
    pub body: T3,
    pub headers: T4,
    pub priority: i16,
    pub available_at: chrono::DateTime<chrono::FixedOffset>,
    pub scheduled_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub max_retries: i32,
    pub idempotency_key: Option<T5>,
    pub metadata: T6,
}
#[derive(Debug)]
pub struct DispatchBatchParams<
    T1: crate::StringSql,
    T2: crate::ArraySql<Item = T1>,
    T3: crate::StringSql,
    T4: crate::ArraySql<Item = T3>,
    T5: crate::JsonSql,
    T6: crate::ArraySql<Item = T5>,
    T7: crate::JsonSql,
    T8: crate::ArraySql<Item = T7>,
    T9: crate::ArraySql<Item = i16>,
    T10: crate::ArraySql<Item = chrono::DateTime<chrono::FixedOffset>>,
    T11: crate::ArraySql<Item = Option<chrono::DateTime<chrono::FixedOffset>>>,
    T12: crate::ArraySql<Item = i32>,
    T13: crate::StringSql,
    T14: crate::ArraySql<Item = Option<T13>>,
    T15: crate::JsonSql,
    T16: crate::ArraySql<Item = T15>,
> {
    pub transport_names: T2,
    pub queue_names: T4,
    pub bodies: T6,
    pub headers: T8,
    pub priorities: T9,
    pub available_ats: T10,
    pub scheduled_ats: T11,
    pub max_retries: T12,
    pub idempotency_keys: T14,
    pub metadatas: T16,
}
#[derive(Debug)]
pub struct DispatchBatchUniformParams<
    T1: crate::StringSql,
    T2: crate::StringSql,
    T3: crate::JsonSql,
    T4: crate::JsonSql,
    T5: crate::JsonSql,
    T6: crate::ArraySql<Item = T5>,
    T7: crate::StringSql,
    T8: crate::ArraySql<Item = Option<T7>>,
> {
    pub transport_name: T1,
    pub queue_name: T2,
    pub headers: T3,
    pub priority: i16,
    pub available_at: chrono::DateTime<chrono::FixedOffset>,
    pub scheduled_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub max_retries: i32,
    pub metadata: T4,
    pub bodies: T6,
    pub idempotency_keys: T8,
}
#[derive(Debug)]
pub struct DispatchIdempotentParams<
    T1: crate::StringSql,
    T2: crate::StringSql,
    T3: crate::JsonSql,
    T4: crate::JsonSql,
    T5: crate::StringSql,
    T6: crate::JsonSql,
> {
    pub transport_name: T1,
    pub queue_name: T2,
    pub body: T3,
    pub headers: T4,
    pub priority: i16,
    pub available_at: chrono::DateTime<chrono::FixedOffset>,
    pub scheduled_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub max_retries: i32,
    pub idempotency_key: T5,
    pub metadata: T6,
}
#[derive(Debug, Clone, PartialEq, Copy)]
pub struct DispatchIdempotent {
    pub id: i64,
    pub inserted: bool,
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
pub struct DispatchIdempotentQuery<'c, 'a, 's, C: GenericClient, T, const N: usize> {
    client: &'c C,
    params: [&'a (dyn postgres_types::ToSql + Sync); N],
    query: &'static str,
    cached: Option<&'s tokio_postgres::Statement>,
    extractor: fn(&tokio_postgres::Row) -> Result<DispatchIdempotent, tokio_postgres::Error>,
    mapper: fn(DispatchIdempotent) -> T,
}
impl<'c, 'a, 's, C, T: 'c, const N: usize> DispatchIdempotentQuery<'c, 'a, 's, C, T, N>
where
    C: GenericClient,
{
    pub fn map<R>(
        self,
        mapper: fn(DispatchIdempotent) -> R,
    ) -> DispatchIdempotentQuery<'c, 'a, 's, C, R, N> {
        DispatchIdempotentQuery {
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
pub struct DispatchMessageStmt(&'static str, Option<tokio_postgres::Statement>);
/// Enqueues one message and returns its id.
///
/// The message becomes consumable at `available_at` (pass now() for immediate
/// delivery, a later time for delayed delivery); `scheduled_at` records the delivery
/// time the sender asked for, or NULL. `priority` must be 1..=10 (10 is consumed first).
/// Every column is supplied explicitly: callers own the defaults (queue 'default',
/// headers/metadata '{}', priority 5, max_retries 3).
///
/// A non-NULL `idempotency_key` that already exists for the same transport makes this
/// statement fail with a unique violation (SQLSTATE 23505) on
/// uq_messenger_messages_idempotency; use `dispatch_idempotent` to deduplicate instead.
pub fn dispatch_message() -> DispatchMessageStmt {
    DispatchMessageStmt(
        "INSERT INTO messenger_messages ( transport_name, queue_name, body, headers, priority, available_at, scheduled_at, max_retries, idempotency_key, metadata ) VALUES ( $1::text, $2::text, $3::jsonb, $4::jsonb, $5::smallint, $6::timestamptz, $7::timestamptz, $8::int, $9::text, $10::jsonb ) RETURNING id",
        None,
    )
}
impl DispatchMessageStmt {
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
        T3: crate::JsonSql,
        T4: crate::JsonSql,
        T5: crate::StringSql,
        T6: crate::JsonSql,
    >(
        &'s self,
        client: &'c C,
        transport_name: &'a T1,
        queue_name: &'a T2,
        body: &'a T3,
        headers: &'a T4,
        priority: &'a i16,
        available_at: &'a chrono::DateTime<chrono::FixedOffset>,
        scheduled_at: &'a Option<chrono::DateTime<chrono::FixedOffset>>,
        max_retries: &'a i32,
        idempotency_key: &'a Option<T5>,
        metadata: &'a T6,
    ) -> I64Query<'c, 'a, 's, C, i64, 10> {
        I64Query {
            client,
            params: [
                transport_name,
                queue_name,
                body,
                headers,
                priority,
                available_at,
                scheduled_at,
                max_retries,
                idempotency_key,
                metadata,
            ],
            query: self.0,
            cached: self.1.as_ref(),
            extractor: |row| Ok(row.try_get(0)?),
            mapper: |it| it,
        }
    }
}
impl<
    'c,
    'a,
    's,
    C: GenericClient,
    T1: crate::StringSql,
    T2: crate::StringSql,
    T3: crate::JsonSql,
    T4: crate::JsonSql,
    T5: crate::StringSql,
    T6: crate::JsonSql,
>
    crate::client::async_::Params<
        'c,
        'a,
        's,
        DispatchMessageParams<T1, T2, T3, T4, T5, T6>,
        I64Query<'c, 'a, 's, C, i64, 10>,
        C,
    > for DispatchMessageStmt
{
    fn params(
        &'s self,
        client: &'c C,
        params: &'a DispatchMessageParams<T1, T2, T3, T4, T5, T6>,
    ) -> I64Query<'c, 'a, 's, C, i64, 10> {
        self.bind(
            client,
            &params.transport_name,
            &params.queue_name,
            &params.body,
            &params.headers,
            &params.priority,
            &params.available_at,
            &params.scheduled_at,
            &params.max_retries,
            &params.idempotency_key,
            &params.metadata,
        )
    }
}
pub struct DispatchBatchStmt(&'static str, Option<tokio_postgres::Statement>);
/// Enqueues many messages in a single statement (one round trip, one transaction)
/// and returns their ids.
///
/// Element i of every array describes message i; `scheduled_ats` and
/// `idempotency_keys` may contain NULL elements, the other arrays may not (their
/// columns are NOT NULL and UNNEST rows get no column defaults, so every value,
/// including queue 'default', '{}' headers/metadata, priority 5 and max_retries 3,
/// must be supplied by the caller).
///
/// Guarantees:
/// * all or nothing: the statement inserts every message or none (any constraint
/// violation, e.g. a priority outside 1..=10 or an idempotency key that already
/// exists for the transport (SQLSTATE 23505), aborts the whole batch);
/// * if the arrays do not all have the same length, NOTHING is inserted and no id is
/// returned (instead of UNNEST silently padding the short arrays with NULLs), so a
/// caller can detect a malformed batch by comparing the number of ids returned
/// with the number of messages sent;
/// * the ids are returned in the order of the input arrays: rows are inserted in
/// array order (ORDER BY ordinality), the identity sequence therefore hands out
/// increasing ids in that order, and the result is sorted by id.
pub fn dispatch_batch() -> DispatchBatchStmt {
    DispatchBatchStmt(
        "WITH input AS ( SELECT u.transport_name, u.queue_name, u.body, u.headers, u.priority, u.available_at, u.scheduled_at, u.max_retries, u.idempotency_key, u.metadata, u.ord FROM unnest( $1::text[], $2::text[], $3::jsonb[], $4::jsonb[], $5::smallint[], $6::timestamptz[], $7::timestamptz[], $8::int[], $9::text[], $10::jsonb[] ) WITH ORDINALITY AS u ( transport_name, queue_name, body, headers, priority, available_at, scheduled_at, max_retries, idempotency_key, metadata, ord ) WHERE cardinality($1::text[]) = ALL (ARRAY[ cardinality($2::text[]), cardinality($3::jsonb[]), cardinality($4::jsonb[]), cardinality($5::smallint[]), cardinality($6::timestamptz[]), cardinality($7::timestamptz[]), cardinality($8::int[]), cardinality($9::text[]), cardinality($10::jsonb[]) ]) ), inserted AS ( INSERT INTO messenger_messages ( transport_name, queue_name, body, headers, priority, available_at, scheduled_at, max_retries, idempotency_key, metadata ) SELECT i.transport_name, i.queue_name, i.body, i.headers, i.priority, i.available_at, i.scheduled_at, i.max_retries, i.idempotency_key, i.metadata FROM input i ORDER BY i.ord RETURNING id ) SELECT inserted.id FROM inserted ORDER BY inserted.id",
        None,
    )
}
impl DispatchBatchStmt {
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
        T2: crate::ArraySql<Item = T1>,
        T3: crate::StringSql,
        T4: crate::ArraySql<Item = T3>,
        T5: crate::JsonSql,
        T6: crate::ArraySql<Item = T5>,
        T7: crate::JsonSql,
        T8: crate::ArraySql<Item = T7>,
        T9: crate::ArraySql<Item = i16>,
        T10: crate::ArraySql<Item = chrono::DateTime<chrono::FixedOffset>>,
        T11: crate::ArraySql<Item = Option<chrono::DateTime<chrono::FixedOffset>>>,
        T12: crate::ArraySql<Item = i32>,
        T13: crate::StringSql,
        T14: crate::ArraySql<Item = Option<T13>>,
        T15: crate::JsonSql,
        T16: crate::ArraySql<Item = T15>,
    >(
        &'s self,
        client: &'c C,
        transport_names: &'a T2,
        queue_names: &'a T4,
        bodies: &'a T6,
        headers: &'a T8,
        priorities: &'a T9,
        available_ats: &'a T10,
        scheduled_ats: &'a T11,
        max_retries: &'a T12,
        idempotency_keys: &'a T14,
        metadatas: &'a T16,
    ) -> I64Query<'c, 'a, 's, C, i64, 10> {
        I64Query {
            client,
            params: [
                transport_names,
                queue_names,
                bodies,
                headers,
                priorities,
                available_ats,
                scheduled_ats,
                max_retries,
                idempotency_keys,
                metadatas,
            ],
            query: self.0,
            cached: self.1.as_ref(),
            extractor: |row| Ok(row.try_get(0)?),
            mapper: |it| it,
        }
    }
}
impl<
    'c,
    'a,
    's,
    C: GenericClient,
    T1: crate::StringSql,
    T2: crate::ArraySql<Item = T1>,
    T3: crate::StringSql,
    T4: crate::ArraySql<Item = T3>,
    T5: crate::JsonSql,
    T6: crate::ArraySql<Item = T5>,
    T7: crate::JsonSql,
    T8: crate::ArraySql<Item = T7>,
    T9: crate::ArraySql<Item = i16>,
    T10: crate::ArraySql<Item = chrono::DateTime<chrono::FixedOffset>>,
    T11: crate::ArraySql<Item = Option<chrono::DateTime<chrono::FixedOffset>>>,
    T12: crate::ArraySql<Item = i32>,
    T13: crate::StringSql,
    T14: crate::ArraySql<Item = Option<T13>>,
    T15: crate::JsonSql,
    T16: crate::ArraySql<Item = T15>,
>
    crate::client::async_::Params<
        'c,
        'a,
        's,
        DispatchBatchParams<T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13, T14, T15, T16>,
        I64Query<'c, 'a, 's, C, i64, 10>,
        C,
    > for DispatchBatchStmt
{
    fn params(
        &'s self,
        client: &'c C,
        params: &'a DispatchBatchParams<
            T1,
            T2,
            T3,
            T4,
            T5,
            T6,
            T7,
            T8,
            T9,
            T10,
            T11,
            T12,
            T13,
            T14,
            T15,
            T16,
        >,
    ) -> I64Query<'c, 'a, 's, C, i64, 10> {
        self.bind(
            client,
            &params.transport_names,
            &params.queue_names,
            &params.bodies,
            &params.headers,
            &params.priorities,
            &params.available_ats,
            &params.scheduled_ats,
            &params.max_retries,
            &params.idempotency_keys,
            &params.metadatas,
        )
    }
}
pub struct DispatchBatchUniformStmt(&'static str, Option<tokio_postgres::Statement>);
/// Enqueues many messages that share everything but their bodies (and idempotency keys):
/// one transport, queue, headers, priority, available_at, scheduled_at, max_retries and
/// metadata. The common case of a batch, and markedly cheaper for the server than
/// dispatch_batch, which unnests ten arrays.
///
/// Guarantees as dispatch_batch: one statement, all or nothing (a duplicate idempotency key,
/// SQLSTATE 23505, aborts the batch), nothing inserted when `bodies` and `idempotency_keys`
/// differ in length, ids returned in input order.
pub fn dispatch_batch_uniform() -> DispatchBatchUniformStmt {
    DispatchBatchUniformStmt(
        "WITH inserted AS ( INSERT INTO messenger_messages ( transport_name, queue_name, body, headers, priority, available_at, scheduled_at, max_retries, idempotency_key, metadata ) SELECT $1::text, $2::text, u.body, $3::jsonb, $4::smallint, $5::timestamptz, $6::timestamptz, $7::int, u.idempotency_key, $8::jsonb FROM unnest($9::jsonb[], $10::text[]) WITH ORDINALITY AS u (body, idempotency_key, ord) WHERE cardinality($9::jsonb[]) = cardinality($10::text[]) ORDER BY u.ord RETURNING id ) SELECT inserted.id FROM inserted ORDER BY inserted.id",
        None,
    )
}
impl DispatchBatchUniformStmt {
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
        T3: crate::JsonSql,
        T4: crate::JsonSql,
        T5: crate::JsonSql,
        T6: crate::ArraySql<Item = T5>,
        T7: crate::StringSql,
        T8: crate::ArraySql<Item = Option<T7>>,
    >(
        &'s self,
        client: &'c C,
        transport_name: &'a T1,
        queue_name: &'a T2,
        headers: &'a T3,
        priority: &'a i16,
        available_at: &'a chrono::DateTime<chrono::FixedOffset>,
        scheduled_at: &'a Option<chrono::DateTime<chrono::FixedOffset>>,
        max_retries: &'a i32,
        metadata: &'a T4,
        bodies: &'a T6,
        idempotency_keys: &'a T8,
    ) -> I64Query<'c, 'a, 's, C, i64, 10> {
        I64Query {
            client,
            params: [
                transport_name,
                queue_name,
                headers,
                priority,
                available_at,
                scheduled_at,
                max_retries,
                metadata,
                bodies,
                idempotency_keys,
            ],
            query: self.0,
            cached: self.1.as_ref(),
            extractor: |row| Ok(row.try_get(0)?),
            mapper: |it| it,
        }
    }
}
impl<
    'c,
    'a,
    's,
    C: GenericClient,
    T1: crate::StringSql,
    T2: crate::StringSql,
    T3: crate::JsonSql,
    T4: crate::JsonSql,
    T5: crate::JsonSql,
    T6: crate::ArraySql<Item = T5>,
    T7: crate::StringSql,
    T8: crate::ArraySql<Item = Option<T7>>,
>
    crate::client::async_::Params<
        'c,
        'a,
        's,
        DispatchBatchUniformParams<T1, T2, T3, T4, T5, T6, T7, T8>,
        I64Query<'c, 'a, 's, C, i64, 10>,
        C,
    > for DispatchBatchUniformStmt
{
    fn params(
        &'s self,
        client: &'c C,
        params: &'a DispatchBatchUniformParams<T1, T2, T3, T4, T5, T6, T7, T8>,
    ) -> I64Query<'c, 'a, 's, C, i64, 10> {
        self.bind(
            client,
            &params.transport_name,
            &params.queue_name,
            &params.headers,
            &params.priority,
            &params.available_at,
            &params.scheduled_at,
            &params.max_retries,
            &params.metadata,
            &params.bodies,
            &params.idempotency_keys,
        )
    }
}
pub struct DispatchIdempotentStmt(&'static str, Option<tokio_postgres::Statement>);
/// Enqueues one message unless a message with the same (transport_name,
/// idempotency_key) already exists; returns the id of the new message
/// (inserted = true) or of the EXISTING one (inserted = false), in which case
/// nothing is inserted and the payload passed in is discarded (not compared).
///
/// Race-free, also under concurrency: the conflict is resolved with
/// `ON CONFLICT ... DO UPDATE`, which locks the conflicting row (waiting for a
/// concurrent inserter of the same key to commit or roll back) and always returns
/// it. The tempting alternative, `ON CONFLICT DO NOTHING` followed by a SELECT of the
/// existing row in the same statement, can return NO row at all under READ
/// COMMITTED when the duplicate was committed by another transaction after this
/// statement's snapshot was taken (the SELECT cannot see it).
///
/// Trade-off: on a duplicate the existing row is really updated (idempotency_key is
/// set to itself): a new row version is written, the BEFORE UPDATE trigger bumps its
/// updated_at, and the statement briefly waits if another transaction holds that
/// row's lock (e.g. a worker acking it). Nothing else of the existing row changes
/// (status, lease, body, ... are untouched). `inserted` is computed with the
/// well-known `xmax = 0` idiom (a freshly inserted row version has no xmax; the
/// version written by the DO UPDATE carries the locking transaction id).
///
/// Deduplication lasts as long as the existing row does: once it is purged
/// (see purge_completed) the key can be used again.
pub fn dispatch_idempotent() -> DispatchIdempotentStmt {
    DispatchIdempotentStmt(
        "INSERT INTO messenger_messages AS m ( transport_name, queue_name, body, headers, priority, available_at, scheduled_at, max_retries, idempotency_key, metadata ) VALUES ( $1::text, $2::text, $3::jsonb, $4::jsonb, $5::smallint, $6::timestamptz, $7::timestamptz, $8::int, $9::text, $10::jsonb ) ON CONFLICT (transport_name, idempotency_key) WHERE idempotency_key IS NOT NULL DO UPDATE SET idempotency_key = EXCLUDED.idempotency_key RETURNING m.id, (m.xmax = 0) AS inserted",
        None,
    )
}
impl DispatchIdempotentStmt {
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
        T3: crate::JsonSql,
        T4: crate::JsonSql,
        T5: crate::StringSql,
        T6: crate::JsonSql,
    >(
        &'s self,
        client: &'c C,
        transport_name: &'a T1,
        queue_name: &'a T2,
        body: &'a T3,
        headers: &'a T4,
        priority: &'a i16,
        available_at: &'a chrono::DateTime<chrono::FixedOffset>,
        scheduled_at: &'a Option<chrono::DateTime<chrono::FixedOffset>>,
        max_retries: &'a i32,
        idempotency_key: &'a T5,
        metadata: &'a T6,
    ) -> DispatchIdempotentQuery<'c, 'a, 's, C, DispatchIdempotent, 10> {
        DispatchIdempotentQuery {
            client,
            params: [
                transport_name,
                queue_name,
                body,
                headers,
                priority,
                available_at,
                scheduled_at,
                max_retries,
                idempotency_key,
                metadata,
            ],
            query: self.0,
            cached: self.1.as_ref(),
            extractor:
                |row: &tokio_postgres::Row| -> Result<DispatchIdempotent, tokio_postgres::Error> {
                    Ok(DispatchIdempotent {
                        id: row.try_get(0)?,
                        inserted: row.try_get(1)?,
                    })
                },
            mapper: |it| DispatchIdempotent::from(it),
        }
    }
}
impl<
    'c,
    'a,
    's,
    C: GenericClient,
    T1: crate::StringSql,
    T2: crate::StringSql,
    T3: crate::JsonSql,
    T4: crate::JsonSql,
    T5: crate::StringSql,
    T6: crate::JsonSql,
>
    crate::client::async_::Params<
        'c,
        'a,
        's,
        DispatchIdempotentParams<T1, T2, T3, T4, T5, T6>,
        DispatchIdempotentQuery<'c, 'a, 's, C, DispatchIdempotent, 10>,
        C,
    > for DispatchIdempotentStmt
{
    fn params(
        &'s self,
        client: &'c C,
        params: &'a DispatchIdempotentParams<T1, T2, T3, T4, T5, T6>,
    ) -> DispatchIdempotentQuery<'c, 'a, 's, C, DispatchIdempotent, 10> {
        self.bind(
            client,
            &params.transport_name,
            &params.queue_name,
            &params.body,
            &params.headers,
            &params.priority,
            &params.available_at,
            &params.scheduled_at,
            &params.max_retries,
            &params.idempotency_key,
            &params.metadata,
        )
    }
}
