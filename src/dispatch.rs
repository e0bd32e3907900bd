//! Validated dispatch: every payload is checked against its transport's schema before any SQL
//! is sent; single messages, idempotent ones, and batches in one round trip (all or nothing).

use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use deadpool_postgres::Pool;
use messenger_queries::sql::dispatch::{
    DISPATCH_BATCH, DISPATCH_BATCH_UNIFORM, DISPATCH_IDEMPOTENT, DISPATCH_MESSAGE,
};
use serde_json::{Map, Value};

use crate::error::MessengerError;
use crate::message::{Accepts, Message};
use crate::registry::Registry;
use crate::statements::{Application, Executor, Pooled, StatementMode, Target};
use crate::validate::{DEFAULT_MAX_PAYLOAD_BYTES, Validators};
use bytes::{BufMut, BytesMut};
use tokio_postgres::types::{IsNull, ToSql, Type, accepts, to_sql_checked};

/// The header that carries the message type name.
pub const MESSAGE_TYPE_HEADER: &str = "message_type";

/// Options of one dispatched message. `Default` is: queue `default`, priority 5, available
/// now, 3 retries, no idempotency key, no extra headers, empty metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct DispatchOptions {
    /// The queue within the transport.
    pub queue: String,
    /// 1 (lowest) to 10 (highest).
    pub priority: i16,
    /// Consumable only after this delay (ignored when `available_at` is set).
    pub delay: Option<Duration>,
    /// Consumable only from this time.
    pub available_at: Option<DateTime<FixedOffset>>,
    /// The delivery time the sender asked for, recorded as is.
    pub scheduled_at: Option<DateTime<FixedOffset>>,
    /// A duplicate (transport, key) returns the existing message's id and inserts nothing.
    pub idempotency_key: Option<String>,
    /// Attempts after the first before the message is dead-lettered.
    pub max_retries: i32,
    /// Extra headers; `message_type` is set by the dispatcher.
    pub headers: Map<String, Value>,
    /// Free-form metadata stored beside the message.
    pub metadata: Value,
}

impl Default for DispatchOptions {
    fn default() -> DispatchOptions {
        DispatchOptions {
            queue: "default".to_owned(),
            priority: 5,
            delay: None,
            available_at: None,
            scheduled_at: None,
            idempotency_key: None,
            max_retries: 3,
            headers: Map::new(),
            metadata: Value::Object(Map::new()),
        }
    }
}

/// What a dispatch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dispatched {
    /// The message's id.
    pub id: i64,
    /// `false` when an idempotency key matched an existing message (whose id this is).
    pub inserted: bool,
}

/// One item of a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchItem {
    /// The transport.
    pub transport: String,
    /// The message type.
    pub message_type: String,
    /// The payload.
    pub body: Value,
    /// Its options.
    pub options: DispatchOptions,
}

/// A message ready for SQL: validated, with its headers and times worked out.
struct Prepared<'a> {
    transport: &'a str,
    message_type: &'a str,
    options: &'a DispatchOptions,
    body: Body<'a>,
    /// The headers when the caller gave extra ones; `None` means just the message type (shared
    /// between the items of a batch instead of built per item).
    headers: Option<Value>,
    available_at: DateTime<FixedOffset>,
}

impl Prepared<'_> {
    fn headers(&self) -> Value {
        self.headers
            .clone()
            .unwrap_or_else(|| plain_headers(self.message_type))
    }
}

/// `{"message_type": <type>}`.
fn plain_headers(message_type: &str) -> Value {
    let mut headers = Map::new();
    headers.insert(MESSAGE_TYPE_HEADER.to_owned(), message_type.into());
    Value::Object(headers)
}

/// A message body as the caller gave it: a JSON value, or JSON bytes (validated in place, and
/// sent as they came, without a `Value` being built).
#[derive(Debug, Clone, Copy)]
enum Body<'a> {
    Value(&'a Value),
    Bytes { bytes: &'a [u8], max: usize },
}

impl Body<'_> {
    fn validate(
        &self,
        validators: &Validators,
        transport: &str,
        message_type: &str,
    ) -> Result<(), MessengerError> {
        match *self {
            Body::Value(value) => validators.validate(transport, message_type, value),
            Body::Bytes { bytes, max } => validators
                .validate_bytes(transport, message_type, bytes, max)
                .map(drop),
        }
    }
}

impl ToSql for Body<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Body::Value(value) => value.to_sql(ty, out),
            // What tokio-postgres' `Json` writes: jsonb's format version, then the text.
            Body::Bytes { bytes, .. } => {
                if *ty == Type::JSONB {
                    out.put_u8(1);
                }
                out.put_slice(bytes);
                Ok(IsNull::No)
            }
        }
    }

    accepts!(JSON, JSONB);
    to_sql_checked!();
}

fn prepare<'a>(
    validators: &Validators,
    transport: &'a str,
    message_type: &'a str,
    body: Body<'a>,
    options: &'a DispatchOptions,
    now: DateTime<Utc>,
) -> Result<Prepared<'a>, MessengerError> {
    if !(1..=10).contains(&options.priority) {
        return Err(MessengerError::InvalidOption(format!(
            "priority {} is outside 1..=10",
            options.priority
        )));
    }
    if options.max_retries < 0 {
        return Err(MessengerError::InvalidOption(format!(
            "max_retries {} is negative",
            options.max_retries
        )));
    }
    if let Some(given) = options.headers.get(MESSAGE_TYPE_HEADER)
        && given != message_type
    {
        return Err(MessengerError::InvalidOption(format!(
            "header `{MESSAGE_TYPE_HEADER}` is {given} but the message type is `{message_type}`"
        )));
    }
    if options
        .headers
        .iter()
        .any(|(k, v)| k.contains('\0') || contains_nul(v))
    {
        return Err(MessengerError::InvalidOption(
            "a header contains U+0000, which PostgreSQL cannot store".to_owned(),
        ));
    }
    if contains_nul(&options.metadata) {
        return Err(MessengerError::InvalidOption(
            "metadata contains U+0000, which PostgreSQL cannot store".to_owned(),
        ));
    }
    body.validate(validators, transport, message_type)?;
    let headers = (!options.headers.is_empty()).then(|| {
        let mut headers = options.headers.clone();
        headers.insert(MESSAGE_TYPE_HEADER.to_owned(), message_type.into());
        Value::Object(headers)
    });
    let available_at = match (options.available_at, options.delay) {
        (Some(at), _) => at,
        (None, None) => now.fixed_offset(),
        (None, Some(delay)) => {
            let too_long = || MessengerError::InvalidOption("the delay is too long".to_owned());
            let delay = chrono::Duration::from_std(delay).map_err(|_| too_long())?;
            now.checked_add_signed(delay)
                .ok_or_else(too_long)?
                .fixed_offset()
        }
    };
    Ok(Prepared {
        transport,
        message_type,
        options,
        body,
        headers,
        available_at,
    })
}

/// Whether a JSON value holds U+0000 in any string or key (jsonb cannot store it).
fn contains_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(contains_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || contains_nul(v)),
        _ => false,
    }
}

/// Validates and inserts one message using `client`: a plain client, a pooled connection or
/// your own transaction (so the message commits or rolls back with your work). The statement
/// is sent unnamed (see [`Executor`]): one round trip, safe through any pooler.
pub async fn dispatch_json_with<C: Executor>(
    client: &C,
    validators: &Validators,
    transport: &str,
    message_type: &str,
    body: &Value,
    options: &DispatchOptions,
) -> Result<Dispatched, MessengerError> {
    let m = prepare(
        validators,
        transport,
        message_type,
        Body::Value(body),
        options,
        Utc::now(),
    )?;
    insert_one(&Application(client), &m).await
}

/// The one row a single-row statement returns.
fn single(
    rows: Vec<tokio_postgres::Row>,
    statement: &str,
) -> Result<tokio_postgres::Row, MessengerError> {
    rows.into_iter()
        .next()
        .ok_or_else(|| MessengerError::Internal(format!("statement `{statement}` returned no row")))
}

async fn insert_one(target: &impl Target, m: &Prepared<'_>) -> Result<Dispatched, MessengerError> {
    let headers = m.headers();
    let queue = m.options.queue.as_str();
    // With a key, the statement that returns the existing message's id on a duplicate.
    let key = m.options.idempotency_key.as_deref();
    let sql = if key.is_some() {
        &DISPATCH_IDEMPOTENT
    } else {
        &DISPATCH_MESSAGE
    };
    let row = single(
        target
            .run(
                sql,
                &[
                    ("transport_name", &m.transport),
                    ("queue_name", &queue),
                    ("body", &m.body),
                    ("headers", &headers),
                    ("priority", &m.options.priority),
                    ("available_at", &m.available_at),
                    ("scheduled_at", &m.options.scheduled_at),
                    ("max_retries", &m.options.max_retries),
                    ("idempotency_key", &key),
                    ("metadata", &m.options.metadata),
                ],
            )
            .await?,
        sql.name,
    )?;
    Ok(Dispatched {
        id: row.try_get("id")?,
        inserted: if key.is_some() {
            row.try_get("inserted")?
        } else {
            true
        },
    })
}

/// Validates every item, then inserts them all in one statement (one round trip); returns
/// their ids in order. Any invalid item fails the whole batch before SQL is sent, naming its
/// index; any database error rolls the whole statement back. Sent unnamed, like
/// [`dispatch_json_with`].
pub async fn dispatch_batch_with<C: Executor>(
    client: &C,
    validators: &Validators,
    items: &[BatchItem],
) -> Result<Vec<i64>, MessengerError> {
    let prepared = prepare_batch(validators, items)?;
    insert_batch(&Application(client), &prepared).await
}

fn prepare_batch<'a>(
    validators: &Validators,
    items: &'a [BatchItem],
) -> Result<Vec<Prepared<'a>>, MessengerError> {
    let mut prepared = Vec::with_capacity(items.len());
    // One clock reading for the batch: the messages are sent together.
    let now = Utc::now();
    for (index, item) in items.iter().enumerate() {
        let m = prepare(
            validators,
            &item.transport,
            &item.message_type,
            Body::Value(&item.body),
            &item.options,
            now,
        )
        .map_err(|err| match err {
            MessengerError::Validation {
                transport,
                message_type,
                errors,
                ..
            } => MessengerError::Validation {
                transport,
                message_type,
                index: Some(index),
                errors,
            },
            other => MessengerError::BatchItem {
                index,
                source: Box::new(other),
            },
        })?;
        prepared.push(m);
    }
    Ok(prepared)
}

/// The `id` of every row.
fn ids(rows: Vec<tokio_postgres::Row>) -> Result<Vec<i64>, MessengerError> {
    rows.iter()
        .map(|row| row.try_get(0).map_err(MessengerError::from))
        .collect()
}

async fn insert_batch(
    target: &impl Target,
    prepared: &[Prepared<'_>],
) -> Result<Vec<i64>, MessengerError> {
    let Some(first) = prepared.first() else {
        return Ok(Vec::new());
    };
    let bodies: Vec<Body> = prepared.iter().map(|m| m.body).collect();
    let keys: Vec<Option<&str>> = prepared
        .iter()
        .map(|m| m.options.idempotency_key.as_deref())
        .collect();
    // The common batch differs only in its bodies (and keys): send everything else once. The
    // server then unnests two arrays instead of ten (0.92 of COPY instead of 0.79; BENCHMARKS.md).
    let uniform = prepared.iter().all(|m| {
        m.transport == first.transport
            && m.message_type == first.message_type
            && m.headers == first.headers
            && m.available_at == first.available_at
            && m.options.queue == first.options.queue
            && m.options.priority == first.options.priority
            && m.options.scheduled_at == first.options.scheduled_at
            && m.options.max_retries == first.options.max_retries
            && m.options.metadata == first.options.metadata
    });
    if uniform {
        let queue = first.options.queue.as_str();
        let rows = target
            .run(
                &DISPATCH_BATCH_UNIFORM,
                &[
                    ("transport_name", &first.transport),
                    ("queue_name", &queue),
                    ("headers", &first.headers()),
                    ("priority", &first.options.priority),
                    ("available_at", &first.available_at),
                    ("scheduled_at", &first.options.scheduled_at),
                    ("max_retries", &first.options.max_retries),
                    ("metadata", &first.options.metadata),
                    ("bodies", &bodies),
                    ("idempotency_keys", &keys),
                ],
            )
            .await?;
        return ids(rows);
    }
    let transports: Vec<&str> = prepared.iter().map(|m| m.transport).collect();
    let queues: Vec<&str> = prepared.iter().map(|m| m.options.queue.as_str()).collect();
    // Items without extra headers share one `{"message_type": ...}` per message type.
    let mut plain = std::collections::BTreeMap::new();
    for m in prepared.iter().filter(|m| m.headers.is_none()) {
        plain
            .entry(m.message_type)
            .or_insert_with(|| plain_headers(m.message_type));
    }
    let headers: Vec<&Value> = prepared
        .iter()
        .map(|m| m.headers.as_ref().unwrap_or_else(|| &plain[m.message_type]))
        .collect();
    let priorities: Vec<i16> = prepared.iter().map(|m| m.options.priority).collect();
    let available: Vec<DateTime<FixedOffset>> = prepared.iter().map(|m| m.available_at).collect();
    let scheduled: Vec<Option<DateTime<FixedOffset>>> =
        prepared.iter().map(|m| m.options.scheduled_at).collect();
    let retries: Vec<i32> = prepared.iter().map(|m| m.options.max_retries).collect();
    let metadata: Vec<&Value> = prepared.iter().map(|m| &m.options.metadata).collect();
    let rows = target
        .run(
            &DISPATCH_BATCH,
            &[
                ("transport_names", &transports),
                ("queue_names", &queues),
                ("bodies", &bodies),
                ("headers", &headers),
                ("priorities", &priorities),
                ("available_ats", &available),
                ("scheduled_ats", &scheduled),
                ("max_retries", &retries),
                ("idempotency_keys", &keys),
                ("metadatas", &metadata),
            ],
        )
        .await?;
    ids(rows)
}

/// The dispatching side of Symphony Messenger on a deadpool-postgres pool.
#[derive(Clone)]
pub struct Messenger {
    pool: Pool,
    registry: &'static Registry,
    validators: &'static Validators,
    max_payload_bytes: usize,
    mode: StatementMode,
}

impl Messenger {
    /// A messenger on `pool` for the application whose transports and message types are in
    /// `registry` (usually `registry()` of the module `messenger-gen` generates).
    pub fn new(pool: Pool, registry: &'static Registry) -> Messenger {
        Messenger {
            pool,
            registry,
            validators: registry.validators(),
            max_payload_bytes: DEFAULT_MAX_PAYLOAD_BYTES,
            mode: StatementMode::Prepared,
        }
    }

    /// Sets how statements are sent (default [`StatementMode::Prepared`]); use
    /// [`StatementMode::Unnamed`] when `pool` connects through a transaction-mode pooler.
    pub fn with_statement_mode(mut self, mode: StatementMode) -> Messenger {
        self.mode = mode;
        self
    }

    /// How statements are sent.
    pub fn statement_mode(&self) -> StatementMode {
        self.mode
    }

    /// The application's registry.
    pub fn registry(&self) -> &'static Registry {
        self.registry
    }

    /// The pool.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Sets the payload size limit for [`Messenger::dispatch_bytes`] (default 1 MiB).
    pub fn with_max_payload_bytes(mut self, limit: usize) -> Messenger {
        self.max_payload_bytes = limit;
        self
    }

    /// The validators in use.
    pub fn validators(&self) -> &'static Validators {
        self.validators
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, MessengerError> {
        self.pool
            .get()
            .await
            .map_err(|e| MessengerError::Pool(e.to_string()))
    }

    /// Dispatches a generated payload struct to transport `T`, which must accept it: the
    /// compiler checks `T: Accepts<M>`, implemented by the generated transport marker types.
    pub async fn dispatch<T, M>(
        &self,
        message: &M,
        options: &DispatchOptions,
    ) -> Result<Dispatched, MessengerError>
    where
        M: Message,
        T: Accepts<M>,
    {
        let body = serde_json::to_value(message).map_err(|e| MessengerError::InvalidJson {
            reason: e.to_string(),
        })?;
        self.dispatch_json(T::NAME, M::MESSAGE_TYPE, &body, options)
            .await
    }

    /// Dispatches a JSON payload from outside, validated against `message_type` of `transport`.
    pub async fn dispatch_json(
        &self,
        transport: &str,
        message_type: &str,
        body: &Value,
        options: &DispatchOptions,
    ) -> Result<Dispatched, MessengerError> {
        self.dispatch_body(transport, message_type, Body::Value(body), options)
            .await
    }

    /// Dispatches raw JSON bytes (a request body, say): the size limit is checked before
    /// parsing, the payload is validated in place (no `serde_json::Value` is built, see
    /// [`Validators::validate_bytes`]) and the bytes are stored as they came — numbers too
    /// precise for an `f64` keep their digits, which a `Value` would round.
    pub async fn dispatch_bytes(
        &self,
        transport: &str,
        message_type: &str,
        bytes: &[u8],
        options: &DispatchOptions,
    ) -> Result<Dispatched, MessengerError> {
        let body = Body::Bytes {
            bytes,
            max: self.max_payload_bytes,
        };
        self.dispatch_body(transport, message_type, body, options)
            .await
    }

    async fn dispatch_body(
        &self,
        transport: &str,
        message_type: &str,
        body: Body<'_>,
        options: &DispatchOptions,
    ) -> Result<Dispatched, MessengerError> {
        // Validate before taking a connection: an invalid payload costs no database work.
        let m = prepare(
            self.validators,
            transport,
            message_type,
            body,
            options,
            Utc::now(),
        )?;
        let client = self.client().await?;
        insert_one(&Pooled(&client, self.mode), &m).await
    }

    /// Dispatches a batch in one round trip, all or nothing (see [`dispatch_batch_with`]).
    pub async fn dispatch_batch(&self, items: &[BatchItem]) -> Result<Vec<i64>, MessengerError> {
        // Validate before taking a connection: an invalid batch costs no database work.
        let prepared = prepare_batch(self.validators, items)?;
        let client = self.client().await?;
        insert_batch(&Pooled(&client, self.mode), &prepared).await
    }
}
