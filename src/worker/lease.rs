//! Fenced leases: claiming messages and every statement that finishes, extends or hands back a
//! claim, each presenting the claim's lease token. The [`crate::worker::Worker`] is built on
//! [`Consumer`]; programs that drive the queue themselves can use it directly.
//!
//! The invariant: a statement about a claimed message changes it only while the lease token it
//! presents is the message's current one. Every claimed message draws a token of its own that is
//! never drawn again, and every transition out of `processing` clears it, so a worker that lost
//! its lease — its lease expired and was rescued, even if it, or a process reusing its name,
//! claimed the message again since — gets [`MessengerError::LeaseLost`] and changes nothing.
//! Because a token names one claim of one message, a batch can present its ids and its tokens
//! as two sets (`id = ANY(..) AND lease_token = ANY(..)`).

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use deadpool_postgres::Pool;
use messenger_queries::sql::consume::{
    ACK_BATCH, ACK_DELETE_BATCH, ACK_MESSAGE, CLAIM_BATCH, DEAD_LETTER_MESSAGE, RELEASE_MESSAGES,
    RENEW_LEASES, RESCUE_EXPIRED_LEASES, RETRY_MESSAGE,
};
use messenger_queries::sql::maintenance::{PURGE_COMPLETED, PURGE_FAILED};
use serde_json::Value;
use tokio_postgres::Row;
use tokio_postgres::types::{FromSql, Type, accepts};

use crate::dispatch::MESSAGE_TYPE_HEADER;
use crate::error::MessengerError;
use crate::statements::{Application, Columns, Executor, Pooled, StatementMode, Target};
use crate::worker::retention::Retention;

/// A claim on one message: its id and the claim's token (unique to this claim of this message).
/// Presented by every statement that finishes or extends the claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Lease {
    /// The message.
    pub message_id: i64,
    /// The claim's token (`messenger_messages.lease_token`).
    pub token: i64,
}

/// A claimed message, as the claim returned it.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// The claim.
    pub lease: Lease,
    /// The transport.
    pub transport: String,
    /// The queue within the transport.
    pub queue: String,
    /// `headers.message_type`, when it is a string.
    pub message_type: Option<String>,
    /// The payload, not yet validated.
    pub body: Value,
    /// The envelope headers.
    pub headers: Value,
    /// The metadata stored beside the message.
    pub metadata: Value,
    /// 1 (highest is 10).
    pub priority: i16,
    /// Which attempt this is, 1-based: failed attempts so far + 1.
    pub attempt: u32,
    /// Retries allowed after the first attempt (stored at dispatch).
    pub max_retries: i32,
    /// The sender's idempotency key, if any.
    pub idempotency_key: Option<String>,
    /// When the message was dispatched.
    pub created_at: DateTime<FixedOffset>,
    /// When it became consumable.
    pub available_at: DateTime<FixedOffset>,
    /// When the lease ends unless renewed (the server's clock).
    pub lease_expires_at: DateTime<FixedOffset>,
    /// The delivery time the sender asked for, if any.
    pub scheduled_at: Option<DateTime<FixedOffset>>,
}

/// A claimed message with its JSON columns as PostgreSQL sent them: what the worker runs.
#[derive(Debug, Clone)]
pub(crate) struct Claimed {
    pub(crate) lease: Lease,
    pub(crate) queue: Arc<str>,
    /// `headers.message_type`, when it is a string.
    pub(crate) message_type: Option<String>,
    pub(crate) body: String,
    pub(crate) headers: String,
    pub(crate) metadata: String,
    pub(crate) attempt: u32,
    pub(crate) max_retries: i32,
    pub(crate) created_at: DateTime<FixedOffset>,
}

/// Which attempt a claim is, from the failed attempts before it.
fn attempt(retry_count: i32) -> u32 {
    u32::try_from(retry_count).unwrap_or(0).saturating_add(1)
}

/// A `json` or `jsonb` value's text, borrowed from the row (jsonb's binary format is a version
/// byte, 1, and the text).
struct JsonText<'a>(&'a str);

impl<'a> FromSql<'a> for JsonText<'a> {
    fn from_sql(
        ty: &Type,
        raw: &'a [u8],
    ) -> Result<JsonText<'a>, Box<dyn std::error::Error + Sync + Send>> {
        let text = if *ty == Type::JSONB {
            match raw.split_first() {
                Some((1, text)) => text,
                _ => return Err("unsupported jsonb format version".into()),
            }
        } else {
            raw
        };
        Ok(JsonText(std::str::from_utf8(text)?))
    }

    accepts!(JSON, JSONB);
}

/// `message_type` of a headers object's text, when it is a string.
fn message_type_of(headers: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Envelope<'a> {
        #[serde(default, borrow)]
        message_type: Option<Cow<'a, str>>,
    }
    // Not a string (or not an object at all): no message type.
    let envelope: Envelope<'_> = serde_json::from_str(headers).ok()?;
    envelope.message_type.map(Cow::into_owned)
}

/// The outcome of a batched fenced statement: the leases it applied to, and those that were no
/// longer held (nothing was changed for them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fenced {
    /// Leases the statement applied to.
    pub done: Vec<Lease>,
    /// Leases that were lost.
    pub lost: Vec<Lease>,
}

/// What one rescue pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rescued {
    /// Messages put back into the queue (an attempt counted).
    pub rescued: Vec<i64>,
    /// Messages whose expired lease was their last attempt: dead-lettered.
    pub dead_lettered: Vec<i64>,
}

/// The fenced statements of a consumer of one transport on a deadpool-postgres pool.
///
/// Every claimed message draws a lease token of its own, never drawn again; every statement
/// that finishes, extends or hands back a claim presents it and changes nothing when it is no
/// longer the message's current one (the lease expired and was rescued, and maybe the message
/// was claimed again — by anyone, a process reusing this worker's name included): single
/// statements then fail with [`MessengerError::LeaseLost`], batched ones list the lease under
/// [`Fenced::lost`].
#[derive(Clone)]
pub struct Consumer {
    pool: Pool,
    mode: StatementMode,
    transport: String,
    worker: String,
    retention: Retention,
}

impl std::fmt::Debug for Consumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer")
            .field("transport", &self.transport)
            .field("worker", &self.worker)
            .field("mode", &self.mode)
            .field("retention", &self.retention)
            .finish()
    }
}

/// Seconds as the float8 the statements take.
fn seconds(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

/// The ids of the rows (column `id`) as a set, to split leases into done and lost.
fn returned_ids(rows: &[Row]) -> Result<std::collections::HashSet<i64>, MessengerError> {
    rows.iter()
        .map(|row| row.try_get::<_, i64>("id").map_err(MessengerError::from))
        .collect()
}

fn split(leases: &[Lease], rows: &[Row]) -> Result<Fenced, MessengerError> {
    // Each returned row is one of the leases' messages, once: as many rows as leases (with
    // distinct messages) means every lease held.
    if rows.len() == leases.len() {
        return Ok(Fenced {
            done: leases.to_vec(),
            lost: Vec::new(),
        });
    }
    let ids = returned_ids(rows)?;
    let (done, lost) = leases
        .iter()
        .partition(|lease| ids.contains(&lease.message_id));
    Ok(Fenced { done, lost })
}

fn arrays(leases: &[Lease]) -> (Vec<i64>, Vec<i64>) {
    leases.iter().map(|l| (l.message_id, l.token)).unzip()
}

/// Acks `leases` on `target` under `retention`.
pub(crate) async fn ack_on(
    target: &impl Target,
    retention: Retention,
    leases: &[Lease],
) -> Result<Fenced, MessengerError> {
    if leases.is_empty() {
        return Ok(Fenced::default());
    }
    let (ids, tokens) = arrays(leases);
    let statement = match retention {
        Retention::Delete => &ACK_DELETE_BATCH,
        Retention::Keep(_) => &ACK_BATCH,
    };
    let rows = target
        .run(statement, &[("ids", &ids), ("lease_tokens", &tokens)])
        .await?;
    split(leases, &rows)
}

/// Acks one lease on the application's client or transaction, under `retention`.
pub(crate) async fn ack_with<E: Executor + ?Sized>(
    executor: &E,
    retention: Retention,
    lease: Lease,
) -> Result<(), MessengerError> {
    let lost = match retention {
        Retention::Delete => !ack_on(&Application(executor), retention, &[lease])
            .await?
            .lost
            .is_empty(),
        Retention::Keep(_) => Application(executor)
            .run(
                &ACK_MESSAGE,
                &[("id", &lease.message_id), ("lease_token", &lease.token)],
            )
            .await?
            .is_empty(),
    };
    if lost {
        return Err(MessengerError::LeaseLost {
            message_id: lease.message_id,
            lease_token: lease.token,
        });
    }
    Ok(())
}

impl Consumer {
    /// A consumer of `transport` named `worker` (recorded in `locked_by` for people reading the
    /// table; the lease token, not the name, is the fence). Statements are prepared and cached,
    /// and acked messages are kept for a day ([`Retention::default`]).
    pub fn new(pool: Pool, transport: &str, worker: &str) -> Consumer {
        Consumer {
            pool,
            mode: StatementMode::Prepared,
            transport: transport.to_owned(),
            worker: worker.to_owned(),
            retention: Retention::default(),
        }
    }

    /// Sets how statements are sent ([`StatementMode::Unnamed`] through a transaction-mode
    /// pooler).
    pub fn with_statement_mode(mut self, mode: StatementMode) -> Consumer {
        self.mode = mode;
        self
    }

    /// Sets what an ack does with the message: keep it as `completed` or delete it.
    pub fn with_retention(mut self, retention: Retention) -> Consumer {
        self.retention = retention;
        self
    }

    /// The transport.
    pub fn transport(&self) -> &str {
        &self.transport
    }

    /// The worker name recorded in `locked_by`.
    pub fn worker(&self) -> &str {
        &self.worker
    }

    /// The retention.
    pub fn retention(&self) -> Retention {
        self.retention
    }

    /// How statements are sent.
    pub fn statement_mode(&self) -> StatementMode {
        self.mode
    }

    /// The pool.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    async fn run(
        &self,
        sql: &messenger_queries::sql::Sql,
        params: &[crate::statements::Param<'_>],
    ) -> Result<Vec<Row>, MessengerError> {
        let client = self
            .pool
            .get()
            .await
            .map_err(|e| MessengerError::Pool(e.to_string()))?;
        Pooled(&client, self.mode).run(sql, params).await
    }

    /// The rows of a claim (see [`Consumer::claim`]), on `client` or a pooled connection.
    async fn claim_rows(
        &self,
        client: Option<&deadpool_postgres::Client>,
        queue: &str,
        max: usize,
        lease: Duration,
    ) -> Result<Vec<Row>, MessengerError> {
        let batch = i64::try_from(max).unwrap_or(i64::MAX);
        let lease = seconds(lease);
        let sql = &CLAIM_BATCH;
        let params: &[crate::statements::Param<'_>] = &[
            ("transport_name", &self.transport),
            ("queue_name", &queue),
            ("batch_size", &batch),
            ("worker", &self.worker),
            ("lease_secs", &lease),
        ];
        match client {
            Some(client) => Pooled(client, self.mode).run(sql, params).await,
            None => self.run(sql, params).await,
        }
    }

    /// Claims up to `max` consumable messages of `queue` (highest priority, then oldest first),
    /// each leased for `lease`. Never blocks on other claimers.
    pub async fn claim(
        &self,
        queue: &str,
        max: usize,
        lease: Duration,
    ) -> Result<Vec<Delivery>, MessengerError> {
        let rows = self.claim_rows(None, queue, max, lease).await?;
        let Some(first) = rows.first() else {
            return Ok(Vec::new());
        };
        let c = Columns::of(
            first,
            CLAIM_BATCH.name,
            [
                "id",
                "lease_token",
                "transport_name",
                "queue_name",
                "body",
                "headers",
                "metadata",
                "priority",
                "retry_count",
                "max_retries",
                "idempotency_key",
                "created_at",
                "available_at",
                "lock_expires_at",
                "scheduled_at",
            ],
        )?;
        rows.iter()
            .map(|row| {
                let headers: Value = row.try_get(c.at(5))?;
                let retry_count: i32 = row.try_get(c.at(8))?;
                Ok(Delivery {
                    lease: Lease {
                        message_id: row.try_get(c.at(0))?,
                        token: row.try_get(c.at(1))?,
                    },
                    transport: row.try_get(c.at(2))?,
                    queue: row.try_get(c.at(3))?,
                    message_type: headers
                        .get(MESSAGE_TYPE_HEADER)
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    body: row.try_get(c.at(4))?,
                    headers,
                    metadata: row.try_get(c.at(6))?,
                    priority: row.try_get(c.at(7))?,
                    attempt: attempt(retry_count),
                    max_retries: row.try_get(c.at(9))?,
                    idempotency_key: row.try_get(c.at(10))?,
                    created_at: row.try_get(c.at(11))?,
                    available_at: row.try_get(c.at(12))?,
                    lease_expires_at: row.try_get(c.at(13))?,
                    scheduled_at: row.try_get(c.at(14))?,
                })
            })
            .collect()
    }

    /// [`Consumer::claim`] for the worker: only what it uses, the JSON columns as PostgreSQL
    /// sent them (the body is validated and deserialised from its text; headers and metadata
    /// are parsed only if a handler asks).
    pub(crate) async fn claim_raw(
        &self,
        client: &deadpool_postgres::Client,
        queue: &str,
        max: usize,
        lease: Duration,
    ) -> Result<Vec<Claimed>, MessengerError> {
        let rows = self.claim_rows(Some(client), queue, max, lease).await?;
        let Some(first) = rows.first() else {
            return Ok(Vec::new());
        };
        let c = Columns::of(
            first,
            CLAIM_BATCH.name,
            [
                "id",
                "lease_token",
                "queue_name",
                "body",
                "headers",
                "metadata",
                "retry_count",
                "max_retries",
                "created_at",
            ],
        )?;
        let queue: Arc<str> = first.try_get::<_, &str>(c.at(2))?.into();
        rows.iter()
            .map(|row| {
                let headers = row.try_get::<_, JsonText>(c.at(4))?.0;
                Ok(Claimed {
                    lease: Lease {
                        message_id: row.try_get(c.at(0))?,
                        token: row.try_get(c.at(1))?,
                    },
                    queue: queue.clone(),
                    message_type: message_type_of(headers),
                    body: row.try_get::<_, JsonText>(c.at(3))?.0.to_owned(),
                    headers: headers.to_owned(),
                    metadata: row.try_get::<_, JsonText>(c.at(5))?.0.to_owned(),
                    attempt: attempt(row.try_get(c.at(6))?),
                    max_retries: row.try_get(c.at(7))?,
                    created_at: row.try_get(c.at(8))?,
                })
            })
            .collect()
    }

    /// Completes one message (kept as `completed` or deleted, per the retention).
    pub async fn ack(&self, lease: Lease) -> Result<(), MessengerError> {
        let fenced = self.ack_many(&[lease]).await?;
        match fenced.lost.first() {
            Some(lost) => Err(MessengerError::LeaseLost {
                message_id: lost.message_id,
                lease_token: lost.token,
            }),
            None => Ok(()),
        }
    }

    /// Completes a message on the application's own client or transaction (unnamed statements,
    /// so through any pooler), so that its work and the ack commit together.
    pub async fn ack_in<E: Executor + ?Sized>(
        &self,
        executor: &E,
        lease: Lease,
    ) -> Result<(), MessengerError> {
        ack_with(executor, self.retention, lease).await
    }

    /// [`Consumer::ack_many`] on `client`.
    pub(crate) async fn ack_many_on(
        &self,
        client: &deadpool_postgres::Client,
        leases: &[Lease],
    ) -> Result<Fenced, MessengerError> {
        ack_on(&Pooled(client, self.mode), self.retention, leases).await
    }

    /// Completes many messages in one statement.
    pub async fn ack_many(&self, leases: &[Lease]) -> Result<Fenced, MessengerError> {
        if leases.is_empty() {
            return Ok(Fenced::default());
        }
        let client = self
            .pool
            .get()
            .await
            .map_err(|e| MessengerError::Pool(e.to_string()))?;
        ack_on(&Pooled(&client, self.mode), self.retention, leases).await
    }

    /// Puts a message back for another attempt after `delay` (the server's clock), counting the
    /// failed attempt and recording `error`. Returns the number of failed attempts now.
    pub async fn retry(
        &self,
        lease: Lease,
        delay: Duration,
        error: &str,
    ) -> Result<i32, MessengerError> {
        let delay = seconds(delay);
        let rows = self
            .run(
                &RETRY_MESSAGE,
                &[
                    ("error", &error),
                    ("delay_secs", &delay),
                    ("id", &lease.message_id),
                    ("lease_token", &lease.token),
                ],
            )
            .await?;
        match rows.first() {
            Some(row) => Ok(row.try_get("retry_count")?),
            None => Err(MessengerError::LeaseLost {
                message_id: lease.message_id,
                lease_token: lease.token,
            }),
        }
    }

    /// Moves a message to the dead letters with its error, in one statement. Returns the id of
    /// the dead letter (`messenger_failed_messages.id`).
    pub async fn dead_letter(
        &self,
        lease: Lease,
        message: &str,
        class: Option<&str>,
        trace: Option<&str>,
    ) -> Result<i64, MessengerError> {
        let rows = self
            .run(
                &DEAD_LETTER_MESSAGE,
                &[
                    ("error_message", &message),
                    ("id", &lease.message_id),
                    ("lease_token", &lease.token),
                    ("error_class", &class),
                    ("error_trace", &trace),
                ],
            )
            .await?;
        match rows.first() {
            Some(row) => Ok(row.try_get("id")?),
            None => Err(MessengerError::LeaseLost {
                message_id: lease.message_id,
                lease_token: lease.token,
            }),
        }
    }

    /// Extends every lease in `leases` to `lease` from now, in one statement (the heartbeat).
    pub async fn renew(&self, leases: &[Lease], lease: Duration) -> Result<Fenced, MessengerError> {
        if leases.is_empty() {
            return Ok(Fenced::default());
        }
        let (ids, tokens) = arrays(leases);
        let lease = seconds(lease);
        let rows = self
            .run(
                &RENEW_LEASES,
                &[
                    ("lease_secs", &lease),
                    ("ids", &ids),
                    ("lease_tokens", &tokens),
                ],
            )
            .await?;
        split(leases, &rows)
    }

    /// Hands claimed, unstarted messages back to the queue at once, without counting an attempt.
    pub async fn release(&self, leases: &[Lease]) -> Result<Fenced, MessengerError> {
        if leases.is_empty() {
            return Ok(Fenced::default());
        }
        let (ids, tokens) = arrays(leases);
        let rows = self
            .run(
                &RELEASE_MESSAGES,
                &[("ids", &ids), ("lease_tokens", &tokens)],
            )
            .await?;
        split(leases, &rows)
    }

    /// Finishes up to `max_rows` expired leases of any transport: back into the queue with the
    /// attempt counted, or to the dead letters when it was the last attempt. Safe to run from
    /// every process at once.
    pub async fn rescue_expired(&self, max_rows: usize) -> Result<Rescued, MessengerError> {
        let max = i64::try_from(max_rows).unwrap_or(i64::MAX);
        let rows = self
            .run(&RESCUE_EXPIRED_LEASES, &[("max_rows", &max)])
            .await?;
        let mut rescued = Rescued::default();
        for row in &rows {
            let id: i64 = row.try_get("id")?;
            let outcome: &str = row.try_get("outcome")?;
            match outcome {
                "dead_lettered" => rescued.dead_lettered.push(id),
                _ => rescued.rescued.push(id),
            }
        }
        Ok(rescued)
    }

    /// Deletes up to `max_rows` completed and up to `max_rows` failed messages that finished more
    /// than `older_than` ago (their dead-letter copies stay). Returns how many were deleted.
    pub async fn purge(
        &self,
        older_than: Duration,
        max_rows: usize,
    ) -> Result<u64, MessengerError> {
        let cutoff = chrono::Duration::from_std(older_than)
            .ok()
            .and_then(|age| chrono::Utc::now().checked_sub_signed(age))
            .unwrap_or(DateTime::<chrono::Utc>::MIN_UTC)
            .fixed_offset();
        let max = i64::try_from(max_rows).unwrap_or(i64::MAX);
        let mut deleted = 0u64;
        for sql in [&PURGE_COMPLETED, &PURGE_FAILED] {
            let rows = self
                .run(sql, &[("cutoff", &cutoff), ("max_rows", &max)])
                .await?;
            if let Some(row) = rows.first() {
                deleted += u64::try_from(row.try_get::<_, i64>("deleted_count")?).unwrap_or(0);
            }
        }
        Ok(deleted)
    }
}
