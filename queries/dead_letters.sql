-- =============================================================================
-- Symphony Messenger — dead letters (cornucopia query module `dead_letters`).
-- =============================================================================


--! requeue_dead_letter
--- Replays dead letter `id`: marks it requeued (requeued_at = now()) and enqueues a
--- fresh message with the same transport, queue, body, headers, priority, max_retries
--- and metadata: status 'pending', retry_count 0, available now, idempotency key
--- 'requeue:<id>'. Returns the id of the new message, or no row when there is no dead
--- letter `id` or it was already requeued: a dead letter is requeued at most once,
--- also when two callers race (the function messenger_requeue_dead_letters of
--- schema/V4 holds the rule; `messenger-gen queue failed retry` calls it too).
---
--- The dead letter stays (for inspection, until deleted). The original message keeps
--- its own idempotency key: it usually still exists in messenger_messages (status
--- 'failed', until purged) and owns the key in uq_messenger_messages_idempotency.
SELECT r.message_id
FROM messenger_requeue_dead_letters(ARRAY[:id::bigint]) r;


--! requeue_dead_letters
--- Replays every dead letter of `ids` not requeued yet, in one statement, as
--- requeue_dead_letter does for one; returns (dead_letter_id, message_id) per
--- requeued dead letter, by dead letter id. Unknown and already requeued ids
--- return nothing.
SELECT r.dead_letter_id, r.message_id
FROM messenger_requeue_dead_letters(:ids::bigint[]) r
ORDER BY r.dead_letter_id;


--! list_dead_letters : (message_id?, idempotency_key?, original_created_at?, error_class?, error_trace?)
--- Lists the dead letters of one transport that await a decision (not requeued),
--- most recent failure first (ties broken by newest id), at most `max_rows` of them.
--- Served by the index idx_messenger_failed_messages_transport_failed_at.
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
  AND f.requeued_at IS NULL
ORDER BY f.failed_at DESC, f.id DESC
LIMIT :max_rows::bigint;
