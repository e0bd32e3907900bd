-- =============================================================================
-- Symphony Messenger — housekeeping and monitoring (cornucopia query module
-- `maintenance`).
-- =============================================================================


--! purge_completed
--- Deletes completed messages processed before `cutoff`, at most `max_rows` of them
--- (oldest first), and returns how many were deleted. Call it in a loop until it
--- returns less than `max_rows`: bounded batches keep transactions, locks and WAL
--- bursts short.
---
--- Rows locked by another transaction are skipped (FOR UPDATE SKIP LOCKED), so
--- several purgers can run concurrently and a purge never waits for workers.
--- Purging a message frees its idempotency key (see dispatch_idempotent); a
--- dead letter still pointing at it gets message_id NULL (ON DELETE SET NULL).
WITH doomed AS MATERIALIZED (
    SELECT c.id
    FROM messenger_messages c
    WHERE c.status = 'completed'
      AND c.processed_at < :cutoff::timestamptz
    ORDER BY c.processed_at
    LIMIT :max_rows::bigint
    FOR UPDATE SKIP LOCKED
),
deleted AS (
    DELETE FROM messenger_messages m
    -- = ANY (ARRAY(...)) rather than USING doomed: primary-key lookups of the
    -- locked ids, whatever the row estimate of a generic plan (with a parameter
    -- as LIMIT, a join was planned as a merge join over the whole primary key).
    WHERE m.id = ANY (ARRAY(SELECT doomed.id FROM doomed))
    RETURNING m.id
)
-- count(*) is never NULL (0 when nothing was deleted).
SELECT count(*) AS deleted_count
FROM deleted;


--! purge_failed
--- Deletes failed (dead-lettered) messages processed before `cutoff`, at most `max_rows`
--- of them (oldest first), and returns how many were deleted; loop like purge_completed.
--- Their copies in messenger_failed_messages stay (message_id becomes NULL, ON DELETE SET
--- NULL) until requeued or deleted; purging frees the idempotency keys the failed
--- messages held. Uses idx_messenger_messages_processed_at; SKIP LOCKED as purge_completed.
WITH doomed AS MATERIALIZED (
    SELECT f.id
    FROM messenger_messages f
    WHERE f.status = 'failed'
      AND f.processed_at < :cutoff::timestamptz
    ORDER BY f.processed_at
    LIMIT :max_rows::bigint
    FOR UPDATE SKIP LOCKED
),
deleted AS (
    DELETE FROM messenger_messages m
    WHERE m.id = ANY (ARRAY(SELECT doomed.id FROM doomed))
    RETURNING m.id
)
-- count(*) is never NULL (0 when nothing was deleted).
SELECT count(*) AS deleted_count
FROM deleted;


--! queue_depth : (oldest_pending_at?)
--- Returns, per transport and queue, the number of messages in each status, the
--- total, and the available_at of the oldest pending message (NULL when nothing is
--- pending), ordered by transport and queue. Reads the view messenger_queue_depth
--- (a full aggregate over messenger_messages: a monitoring query, not a hot path).
---
--- Although the catalog reports every view column as nullable, only
--- oldest_pending_at can be NULL: transport_name and queue_name are NOT NULL
--- grouping columns, and count() never returns NULL.
SELECT
    d.transport_name,
    d.queue_name,
    d.pending_count,
    d.processing_count,
    d.completed_count,
    d.failed_count,
    d.total_count,
    d.oldest_pending_at
FROM messenger_queue_depth d
ORDER BY d.transport_name, d.queue_name;
