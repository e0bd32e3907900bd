-- =============================================================================
-- Symphony Messenger — dead letters (cornucopia query module `dead_letters`).
-- =============================================================================


--! requeue_dead_letter
--- Replays a dead letter, atomically (one statement): deletes row `id` of
--- messenger_failed_messages and enqueues a fresh message with the same transport,
--- queue, body, headers, priority, max_retries and metadata: status 'pending',
--- retry_count 0, available_at = now(), no scheduled_at. Returns the id of the new
--- message, or no row when there is no dead letter `id` (already requeued or
--- deleted). Two concurrent requeues of the same dead letter enqueue it once: the
--- second DELETE waits for the first and then finds nothing to delete.
---
--- The new message gets idempotency_key NULL, on purpose: the original message
--- usually still exists in messenger_messages (status 'failed', until purged) and
--- still owns its key in the unique index uq_messenger_messages_idempotency, so
--- reusing the key would make the replay fail with a unique violation. The key
--- remains visible on the original message and was part of the deleted dead letter.
WITH dead AS (
    DELETE FROM messenger_failed_messages
    WHERE id = :id::bigint
    RETURNING
        transport_name,
        queue_name,
        body,
        headers,
        priority,
        max_retries,
        metadata
)
INSERT INTO messenger_messages (
    transport_name,
    queue_name,
    body,
    headers,
    priority,
    status,
    available_at,
    retry_count,
    max_retries,
    idempotency_key,
    metadata
)
SELECT
    dead.transport_name,
    dead.queue_name,
    dead.body,
    dead.headers,
    dead.priority,
    'pending',
    now(),
    0,
    dead.max_retries,
    NULL,
    dead.metadata
FROM dead
RETURNING id;


--! list_dead_letters : (message_id?, idempotency_key?, original_created_at?, error_class?, error_trace?)
--- Lists the dead letters of one transport, most recent failure first (ties broken
--- by newest id), at most `max_rows` of them. Served by the index
--- idx_messenger_failed_messages_transport_failed_at.
SELECT
    f.id,
    f.message_id,
    f.transport_name,
    f.queue_name,
    f.body,
    f.headers,
    f.priority,
    f.retry_count,
    f.max_retries,
    f.idempotency_key,
    f.metadata,
    f.original_created_at,
    f.error_message,
    f.error_class,
    f.error_trace,
    f.failed_at,
    f.created_at
FROM messenger_failed_messages f
WHERE f.transport_name = :transport_name::text
ORDER BY f.failed_at DESC, f.id DESC
LIMIT :max_rows::bigint;
