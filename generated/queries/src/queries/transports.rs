// This file was generated with `cornucopia`. Do not modify.

#[derive(Debug)]
pub struct UpsertTransportParams<T1: crate::StringSql, T2: crate::StringSql, T3: crate::JsonSql> {
    pub name: T1,
    pub r#type: T2,
    pub config: T3,
    pub enabled: bool,
}
#[derive(Debug, Clone, PartialEq)]
pub struct GetTransport {
    pub id: i64,
    pub name: String,
    pub r#type: String,
    pub config: serde_json::Value,
    pub enabled: bool,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    pub updated_at: chrono::DateTime<chrono::FixedOffset>,
}
pub struct GetTransportBorrowed<'a> {
    pub id: i64,
    pub name: &'a str,
    pub r#type: &'a str,
    pub config: postgres_types::Json<&'a serde_json::value::RawValue>,
    pub enabled: bool,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    pub updated_at: chrono::DateTime<chrono::FixedOffset>,
}
impl<'a> From<GetTransportBorrowed<'a>> for GetTransport {
    fn from(
        GetTransportBorrowed {
            id,
            name,
            r#type,
            config,
            enabled,
            created_at,
            updated_at,
        }: GetTransportBorrowed<'a>,
    ) -> Self {
        Self {
            id,
            name: name.into(),
            r#type: r#type.into(),
            config: serde_json::from_str(config.0.get()).unwrap(),
            enabled,
            created_at,
            updated_at,
        }
    }
}
#[derive(Debug, Clone, PartialEq)]
pub struct ListTransports {
    pub id: i64,
    pub name: String,
    pub r#type: String,
    pub config: serde_json::Value,
    pub enabled: bool,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    pub updated_at: chrono::DateTime<chrono::FixedOffset>,
}
pub struct ListTransportsBorrowed<'a> {
    pub id: i64,
    pub name: &'a str,
    pub r#type: &'a str,
    pub config: postgres_types::Json<&'a serde_json::value::RawValue>,
    pub enabled: bool,
    pub created_at: chrono::DateTime<chrono::FixedOffset>,
    pub updated_at: chrono::DateTime<chrono::FixedOffset>,
}
impl<'a> From<ListTransportsBorrowed<'a>> for ListTransports {
    fn from(
        ListTransportsBorrowed {
            id,
            name,
            r#type,
            config,
            enabled,
            created_at,
            updated_at,
        }: ListTransportsBorrowed<'a>,
    ) -> Self {
        Self {
            id,
            name: name.into(),
            r#type: r#type.into(),
            config: serde_json::from_str(config.0.get()).unwrap(),
            enabled,
            created_at,
            updated_at,
        }
    }
}
use crate::client::async_::GenericClient;
use futures::{self, StreamExt, TryStreamExt};
pub struct GetTransportQuery<'c, 'a, 's, C: GenericClient, T, const N: usize> {
    client: &'c C,
    params: [&'a (dyn postgres_types::ToSql + Sync); N],
    query: &'static str,
    cached: Option<&'s tokio_postgres::Statement>,
    extractor: fn(&tokio_postgres::Row) -> Result<GetTransportBorrowed, tokio_postgres::Error>,
    mapper: fn(GetTransportBorrowed) -> T,
}
impl<'c, 'a, 's, C, T: 'c, const N: usize> GetTransportQuery<'c, 'a, 's, C, T, N>
where
    C: GenericClient,
{
    pub fn map<R>(
        self,
        mapper: fn(GetTransportBorrowed) -> R,
    ) -> GetTransportQuery<'c, 'a, 's, C, R, N> {
        GetTransportQuery {
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
pub struct ListTransportsQuery<'c, 'a, 's, C: GenericClient, T, const N: usize> {
    client: &'c C,
    params: [&'a (dyn postgres_types::ToSql + Sync); N],
    query: &'static str,
    cached: Option<&'s tokio_postgres::Statement>,
    extractor: fn(&tokio_postgres::Row) -> Result<ListTransportsBorrowed, tokio_postgres::Error>,
    mapper: fn(ListTransportsBorrowed) -> T,
}
impl<'c, 'a, 's, C, T: 'c, const N: usize> ListTransportsQuery<'c, 'a, 's, C, T, N>
where
    C: GenericClient,
{
    pub fn map<R>(
        self,
        mapper: fn(ListTransportsBorrowed) -> R,
    ) -> ListTransportsQuery<'c, 'a, 's, C, R, N> {
        ListTransportsQuery {
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
pub struct GetTransportStmt(&'static str, Option<tokio_postgres::Statement>);
/// Returns the transport named `name`, or no row when there is none (the name is
/// unique: uq_messenger_transports_name).
pub fn get_transport() -> GetTransportStmt {
    GetTransportStmt(
        "SELECT t.id, t.name, t.type, t.config, t.enabled, t.created_at, t.updated_at FROM messenger_transports t WHERE t.name = $1::text",
        None,
    )
}
impl GetTransportStmt {
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
        name: &'a T1,
    ) -> GetTransportQuery<'c, 'a, 's, C, GetTransport, 1> {
        GetTransportQuery {
            client,
            params: [name],
            query: self.0,
            cached: self.1.as_ref(),
            extractor:
                |row: &tokio_postgres::Row| -> Result<GetTransportBorrowed, tokio_postgres::Error> {
                    Ok(GetTransportBorrowed {
                        id: row.try_get(0)?,
                        name: row.try_get(1)?,
                        r#type: row.try_get(2)?,
                        config: row.try_get(3)?,
                        enabled: row.try_get(4)?,
                        created_at: row.try_get(5)?,
                        updated_at: row.try_get(6)?,
                    })
                },
            mapper: |it| GetTransport::from(it),
        }
    }
}
pub struct ListTransportsStmt(&'static str, Option<tokio_postgres::Statement>);
/// Returns every registered transport, ordered by name.
pub fn list_transports() -> ListTransportsStmt {
    ListTransportsStmt(
        "SELECT t.id, t.name, t.type, t.config, t.enabled, t.created_at, t.updated_at FROM messenger_transports t ORDER BY t.name",
        None,
    )
}
impl ListTransportsStmt {
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
    ) -> ListTransportsQuery<'c, 'a, 's, C, ListTransports, 0> {
        ListTransportsQuery {
            client,
            params: [],
            query: self.0,
            cached: self.1.as_ref(),
            extractor: |
                row: &tokio_postgres::Row,
            | -> Result<ListTransportsBorrowed, tokio_postgres::Error> {
                Ok(ListTransportsBorrowed {
                    id: row.try_get(0)?,
                    name: row.try_get(1)?,
                    r#type: row.try_get(2)?,
                    config: row.try_get(3)?,
                    enabled: row.try_get(4)?,
                    created_at: row.try_get(5)?,
                    updated_at: row.try_get(6)?,
                })
            },
            mapper: |it| ListTransports::from(it),
        }
    }
}
pub struct UpsertTransportStmt(&'static str, Option<tokio_postgres::Statement>);
/// Registers transport `name`, or, if it already exists, overwrites its type, config
/// and enabled flag (created_at is kept; updated_at is bumped by the trigger, even
/// when nothing changed). Returns the transport's id, new or existing. Race-free:
/// concurrent upserts of the same name serialize on the unique index
/// uq_messenger_transports_name, the last one wins. The name must match
/// `^[a-z][a-z0-9_.-]*$` (check constraint messenger_transports_name_check).
pub fn upsert_transport() -> UpsertTransportStmt {
    UpsertTransportStmt(
        "INSERT INTO messenger_transports AS t (name, type, config, enabled) VALUES ($1::text, $2::text, $3::jsonb, $4::boolean) ON CONFLICT (name) DO UPDATE SET type = EXCLUDED.type, config = EXCLUDED.config, enabled = EXCLUDED.enabled RETURNING t.id",
        None,
    )
}
impl UpsertTransportStmt {
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
    >(
        &'s self,
        client: &'c C,
        name: &'a T1,
        r#type: &'a T2,
        config: &'a T3,
        enabled: &'a bool,
    ) -> I64Query<'c, 'a, 's, C, i64, 4> {
        I64Query {
            client,
            params: [name, r#type, config, enabled],
            query: self.0,
            cached: self.1.as_ref(),
            extractor: |row| Ok(row.try_get(0)?),
            mapper: |it| it,
        }
    }
}
impl<'c, 'a, 's, C: GenericClient, T1: crate::StringSql, T2: crate::StringSql, T3: crate::JsonSql>
    crate::client::async_::Params<
        'c,
        'a,
        's,
        UpsertTransportParams<T1, T2, T3>,
        I64Query<'c, 'a, 's, C, i64, 4>,
        C,
    > for UpsertTransportStmt
{
    fn params(
        &'s self,
        client: &'c C,
        params: &'a UpsertTransportParams<T1, T2, T3>,
    ) -> I64Query<'c, 'a, 's, C, i64, 4> {
        self.bind(
            client,
            &params.name,
            &params.r#type,
            &params.config,
            &params.enabled,
        )
    }
}
