//! Operations on a running queue, as `messenger-gen queue` runs them: statistics from the
//! monitoring views, dead letters (list, show, retry, remove) and retention. Plain SQL on any
//! tokio-postgres client, so the CLI (built without the generated queries) and applications
//! share it. Requeuing goes through `messenger_requeue_dead_letters` (schema/V4), the one home
//! of the rule that a dead letter is requeued at most once.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use tokio_postgres::GenericClient;
use tokio_postgres::types::ToSql;

/// How many rows one statement of a bulk retry, remove or purge touches: short transactions,
/// short locks, bounded WAL bursts.
pub const BATCH_ROWS: i64 = 10_000;

/// One transport and queue: how many messages are in each state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueStats {
    /// The transport.
    pub transport: String,
    /// The queue.
    pub queue: String,
    /// Waiting to be consumed.
    pub pending: i64,
    /// Leased by a worker.
    pub processing: i64,
    /// Handled and not purged yet.
    pub completed: i64,
    /// Retries exhausted (dead-lettered) and not purged yet.
    pub failed: i64,
    /// Dead letters of this transport and queue awaiting a decision (not requeued).
    pub dead_letters: i64,
    /// `available_at` of the oldest pending message.
    pub oldest_pending_at: Option<DateTime<Utc>>,
}

/// Per transport and queue, from the view `messenger_queue_depth` and the dead letters that
/// await a decision; ordered by transport and queue.
pub async fn queue_stats<C: GenericClient>(
    client: &C,
) -> Result<Vec<QueueStats>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT coalesce(d.transport_name, f.transport_name) AS transport,
                    coalesce(d.queue_name, f.queue_name) AS queue,
                    coalesce(d.pending_count, 0) AS pending,
                    coalesce(d.processing_count, 0) AS processing,
                    coalesce(d.completed_count, 0) AS completed,
                    coalesce(d.failed_count, 0) AS failed,
                    coalesce(f.dead_letters, 0) AS dead_letters,
                    d.oldest_pending_at
               FROM messenger_queue_depth d
               FULL JOIN (SELECT transport_name, queue_name, count(*) AS dead_letters
                            FROM messenger_failed_messages
                           WHERE requeued_at IS NULL
                           GROUP BY transport_name, queue_name) f
                 ON f.transport_name = d.transport_name AND f.queue_name = d.queue_name
              ORDER BY 1, 2",
            &[],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(QueueStats {
                transport: r.try_get("transport")?,
                queue: r.try_get("queue")?,
                pending: r.try_get("pending")?,
                processing: r.try_get("processing")?,
                completed: r.try_get("completed")?,
                failed: r.try_get("failed")?,
                dead_letters: r.try_get("dead_letters")?,
                oldest_pending_at: r.try_get("oldest_pending_at")?,
            })
        })
        .collect()
}

/// Which dead letters a list, retry or remove applies to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeadLetterFilter {
    /// Only this transport.
    pub transport: Option<String>,
    /// Only this message type (`headers->>'message_type'`).
    pub message_type: Option<String>,
    /// Only those that failed at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// The requeued ones instead of those awaiting a decision.
    pub requeued: bool,
}

impl DeadLetterFilter {
    /// The WHERE clause and its parameters (numbered from `$1`).
    fn clause(&self) -> (String, Vec<&(dyn ToSql + Sync)>) {
        let mut conditions = vec![if self.requeued {
            "f.requeued_at IS NOT NULL".to_owned()
        } else {
            "f.requeued_at IS NULL".to_owned()
        }];
        let mut params: Vec<&(dyn ToSql + Sync)> = Vec::new();
        if let Some(transport) = &self.transport {
            params.push(transport);
            conditions.push(format!("f.transport_name = ${}", params.len()));
        }
        if let Some(message_type) = &self.message_type {
            params.push(message_type);
            conditions.push(format!("f.headers->>'message_type' = ${}", params.len()));
        }
        if let Some(since) = &self.since {
            params.push(since);
            conditions.push(format!("f.failed_at >= ${}", params.len()));
        }
        (conditions.join(" AND "), params)
    }
}

/// A dead letter as listed: who, what, why, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadLetterSummary {
    /// The dead letter's id.
    pub id: i64,
    /// The transport.
    pub transport: String,
    /// The queue.
    pub queue: String,
    /// `headers->>'message_type'`.
    pub message_type: Option<String>,
    /// Failed attempts before it was dead-lettered.
    pub retry_count: i32,
    /// The error's class.
    pub error_class: Option<String>,
    /// The error.
    pub error_message: String,
    /// When it failed for good.
    pub failed_at: DateTime<Utc>,
    /// When it was requeued.
    pub requeued_at: Option<DateTime<Utc>>,
}

/// The dead letters that match `filter`, most recent failure first, at most `limit`.
pub async fn list_dead_letters<C: GenericClient>(
    client: &C,
    filter: &DeadLetterFilter,
    limit: i64,
) -> Result<Vec<DeadLetterSummary>, tokio_postgres::Error> {
    let (clause, mut params) = filter.clause();
    params.push(&limit);
    let sql = format!(
        "SELECT f.id, f.transport_name, f.queue_name, f.headers->>'message_type' AS message_type,
                f.retry_count, f.error_class, f.error_message, f.failed_at, f.requeued_at
           FROM messenger_failed_messages f
          WHERE {clause}
          ORDER BY f.failed_at DESC, f.id DESC
          LIMIT ${}",
        params.len()
    );
    let rows = client.query(&sql, &params).await?;
    rows.iter()
        .map(|r| {
            Ok(DeadLetterSummary {
                id: r.try_get("id")?,
                transport: r.try_get("transport_name")?,
                queue: r.try_get("queue_name")?,
                message_type: r.try_get("message_type")?,
                retry_count: r.try_get("retry_count")?,
                error_class: r.try_get("error_class")?,
                error_message: r.try_get("error_message")?,
                failed_at: r.try_get("failed_at")?,
                requeued_at: r.try_get("requeued_at")?,
            })
        })
        .collect()
}

/// How many dead letters match `filter`.
pub async fn count_dead_letters<C: GenericClient>(
    client: &C,
    filter: &DeadLetterFilter,
) -> Result<i64, tokio_postgres::Error> {
    let (clause, params) = filter.clause();
    let sql = format!("SELECT count(*) FROM messenger_failed_messages f WHERE {clause}");
    client.query_one(&sql, &params).await?.try_get(0)
}

/// Everything about one dead letter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeadLetter {
    /// The dead letter's id.
    pub id: i64,
    /// The original message, while it exists.
    pub message_id: Option<i64>,
    /// The transport.
    pub transport: String,
    /// The queue.
    pub queue: String,
    /// The payload.
    pub body: Value,
    /// The envelope headers.
    pub headers: Value,
    /// The priority.
    pub priority: i16,
    /// Failed attempts.
    pub retry_count: i32,
    /// The retry limit it had.
    pub max_retries: i32,
    /// The original message's idempotency key.
    pub idempotency_key: Option<String>,
    /// Free-form metadata.
    pub metadata: Value,
    /// When the original message was enqueued.
    pub original_created_at: Option<DateTime<Utc>>,
    /// The error.
    pub error_message: String,
    /// The error's class.
    pub error_class: Option<String>,
    /// The error's trace.
    pub error_trace: Option<String>,
    /// When it failed for good.
    pub failed_at: DateTime<Utc>,
    /// When it was requeued.
    pub requeued_at: Option<DateTime<Utc>>,
    /// The message it was requeued as (idempotency key `requeue:<id>`), while it exists.
    pub requeued_message_id: Option<i64>,
}

/// The dead letter `id`, or `None`.
pub async fn dead_letter<C: GenericClient>(
    client: &C,
    id: i64,
) -> Result<Option<DeadLetter>, tokio_postgres::Error> {
    let row = client
        .query_opt(
            "SELECT f.id, f.message_id, f.transport_name, f.queue_name, f.body, f.headers,
                    f.priority, f.retry_count, f.max_retries, f.idempotency_key, f.metadata,
                    f.original_created_at, f.error_message, f.error_class, f.error_trace,
                    f.failed_at, f.requeued_at,
                    (SELECT m.id FROM messenger_messages m
                      WHERE m.transport_name = f.transport_name
                        AND m.idempotency_key = 'requeue:' || f.id) AS requeued_message_id
               FROM messenger_failed_messages f
              WHERE f.id = $1",
            &[&id],
        )
        .await?;
    row.map(|r| {
        Ok(DeadLetter {
            id: r.try_get("id")?,
            message_id: r.try_get("message_id")?,
            transport: r.try_get("transport_name")?,
            queue: r.try_get("queue_name")?,
            body: r.try_get("body")?,
            headers: r.try_get("headers")?,
            priority: r.try_get("priority")?,
            retry_count: r.try_get("retry_count")?,
            max_retries: r.try_get("max_retries")?,
            idempotency_key: r.try_get("idempotency_key")?,
            metadata: r.try_get("metadata")?,
            original_created_at: r.try_get("original_created_at")?,
            error_message: r.try_get("error_message")?,
            error_class: r.try_get("error_class")?,
            error_trace: r.try_get("error_trace")?,
            failed_at: r.try_get("failed_at")?,
            requeued_at: r.try_get("requeued_at")?,
            requeued_message_id: r.try_get("requeued_message_id")?,
        })
    })
    .transpose()
}

/// Where each of a list of dead letter ids stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IdCheck {
    /// Dead letters awaiting a decision.
    pub awaiting: Vec<i64>,
    /// Dead letters requeued before.
    pub requeued: Vec<i64>,
    /// Ids with no dead letter.
    pub unknown: Vec<i64>,
}

/// Sorts `ids` into awaiting, requeued and unknown (each ascending, without duplicates).
pub async fn check_dead_letter_ids<C: GenericClient>(
    client: &C,
    ids: &[i64],
) -> Result<IdCheck, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT i.id, f.id IS NOT NULL AS known, f.requeued_at IS NOT NULL AS requeued
               FROM (SELECT DISTINCT unnest($1::bigint[]) AS id) i
               LEFT JOIN messenger_failed_messages f ON f.id = i.id
              ORDER BY i.id",
            &[&ids],
        )
        .await?;
    let mut check = IdCheck::default();
    for r in rows {
        let id: i64 = r.try_get("id")?;
        match (r.try_get("known")?, r.try_get("requeued")?) {
            (false, _) => check.unknown.push(id),
            (true, true) => check.requeued.push(id),
            (true, false) => check.awaiting.push(id),
        }
    }
    Ok(check)
}

/// Requeues the dead letters `ids` that were not requeued yet (one statement per
/// [`BATCH_ROWS`]); returns `(dead letter id, new message id)` pairs. Requeuing the same ids
/// again returns nothing: each dead letter is enqueued once.
pub async fn retry_dead_letters<C: GenericClient>(
    client: &C,
    ids: &[i64],
) -> Result<Vec<(i64, i64)>, tokio_postgres::Error> {
    let mut requeued = Vec::new();
    for chunk in ids.chunks(BATCH_ROWS as usize) {
        let rows = client
            .query(
                "SELECT dead_letter_id, message_id FROM messenger_requeue_dead_letters($1)",
                &[&chunk],
            )
            .await?;
        for r in rows {
            requeued.push((r.try_get(0)?, r.try_get(1)?));
        }
    }
    Ok(requeued)
}

/// Requeues every dead letter awaiting a decision that matches `filter` (its `requeued` flag
/// is ignored), oldest id first, one statement per [`BATCH_ROWS`]; returns how many.
pub async fn retry_matching<C: GenericClient>(
    client: &C,
    filter: &DeadLetterFilter,
) -> Result<u64, tokio_postgres::Error> {
    let filter = DeadLetterFilter {
        requeued: false,
        ..filter.clone()
    };
    let (clause, mut params) = filter.clause();
    let batch = BATCH_ROWS;
    params.push(&batch);
    let sql = format!(
        "SELECT count(*) FROM messenger_requeue_dead_letters(ARRAY(
             SELECT f.id FROM messenger_failed_messages f WHERE {clause}
              ORDER BY f.id LIMIT ${}))",
        params.len()
    );
    let mut total = 0;
    loop {
        let n: i64 = client.query_one(&sql, &params).await?.try_get(0)?;
        total += n as u64;
        if n < batch {
            return Ok(total);
        }
    }
}

/// Deletes the dead letters `ids`; returns how many were deleted.
pub async fn remove_dead_letters<C: GenericClient>(
    client: &C,
    ids: &[i64],
) -> Result<u64, tokio_postgres::Error> {
    client
        .execute(
            "DELETE FROM messenger_failed_messages WHERE id = ANY ($1)",
            &[&ids],
        )
        .await
}

/// Deletes every dead letter that matches `filter`, one statement per [`BATCH_ROWS`]; returns
/// how many.
pub async fn remove_matching<C: GenericClient>(
    client: &C,
    filter: &DeadLetterFilter,
) -> Result<u64, tokio_postgres::Error> {
    let (clause, mut params) = filter.clause();
    let batch = BATCH_ROWS;
    params.push(&batch);
    let sql = format!(
        "DELETE FROM messenger_failed_messages d
          WHERE d.id = ANY (ARRAY(SELECT f.id FROM messenger_failed_messages f WHERE {clause}
                                  ORDER BY f.id LIMIT ${} FOR UPDATE SKIP LOCKED))",
        params.len()
    );
    let mut total = 0;
    loop {
        let n = client.execute(&sql, &params).await?;
        total += n;
        if n < batch as u64 {
            return Ok(total);
        }
    }
}

/// How many completed messages were processed before `cutoff`.
pub async fn count_completed_before<C: GenericClient>(
    client: &C,
    cutoff: DateTime<Utc>,
) -> Result<i64, tokio_postgres::Error> {
    client
        .query_one(
            "SELECT count(*) FROM messenger_messages
              WHERE status = 'completed' AND processed_at < $1",
            &[&cutoff],
        )
        .await?
        .try_get(0)
}

/// Deletes the completed messages processed before `cutoff`, one statement per
/// [`BATCH_ROWS`] (rows locked by others are skipped, as `purge_completed` does); returns
/// how many. Dead letters pointing at them keep their copy (`message_id` becomes NULL).
pub async fn purge_completed_before<C: GenericClient>(
    client: &C,
    cutoff: DateTime<Utc>,
) -> Result<u64, tokio_postgres::Error> {
    let batch = BATCH_ROWS;
    let mut total = 0;
    loop {
        let n = client
            .execute(
                "DELETE FROM messenger_messages m
                  WHERE m.id = ANY (ARRAY(
                      SELECT c.id FROM messenger_messages c
                       WHERE c.status = 'completed' AND c.processed_at < $1
                       ORDER BY c.processed_at LIMIT $2
                       FOR UPDATE SKIP LOCKED))",
                &[&cutoff, &batch],
            )
            .await?;
        total += n;
        if n < batch as u64 {
            return Ok(total);
        }
    }
}
