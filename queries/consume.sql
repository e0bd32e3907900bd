-- =============================================================================
-- Symphony Messenger — consuming messages (cornucopia query module `consume`).
--
-- Lease protocol: claim_batch moves pending messages to 'processing' and records
-- the worker in locked_by with a lease ending at lock_expires_at. Every later
-- statement about a claimed message (ack, retry, dead letter, renew) is fenced by
-- `id = :id AND locked_by = :worker AND status = 'processing'`: it returns no row
-- when the worker no longer holds the lease (the lease expired and was rescued,
-- and possibly claimed again by someone else), and the worker must then drop its
-- result. Worker identifiers must therefore be unique per running worker (e.g.
-- host + pid + random suffix): a worker that reuses another one's name, or that
-- re-claims the same message after a rescue under the same name, is not fenced off.
--
-- Every hot-path statement RETURNs something, so "0 rows" always means "fenced".
-- Lease durations are seconds as float8 (the interval type is not supported by
-- the code generator).
-- =============================================================================


--! claim_batch : (idempotency_key?, scheduled_at?)
--- Claims up to `batch_size` consumable messages of one transport/queue for
--- `worker` and returns them.
---
--- Which rows: pending messages with available_at <= now(), highest priority first,
--- then oldest available_at, then lowest id (FIFO), exactly the order of the
--- partial index idx_messenger_messages_dequeue, which serves the scan. Rows locked
--- by a concurrent claimer are skipped (FOR UPDATE SKIP LOCKED), so concurrent
--- workers never block each other and never claim the same message; a row updated
--- concurrently is re-checked against the WHERE clause before it is locked.
---
--- Each claimed message gets status 'processing', locked_by = worker,
--- locked_at = now() and lock_expires_at = now() + lease_secs seconds
--- (now() = start of the current transaction: call this in its own transaction).
---
--- retry_count is the number of failed attempts so far. A returned message with
--- retry_count > max_retries has used up all its attempts (its last lease expired,
--- see rescue_expired_leases): dead-letter it instead of handling it.
---
--- UPDATE ... RETURNING itself does not preserve any order, so the claimed rows
--- are re-sorted by the same key (priority DESC, available_at, id) in the final
--- SELECT: the returned rows come in dequeue order.
-- messenger-gen: not-null(locked_at, lock_expires_at) -- this UPDATE sets both.
WITH next AS MATERIALIZED (
    SELECT q.id
    FROM messenger_messages q
    WHERE q.transport_name = :transport_name::text
      AND q.queue_name = :queue_name::text
      AND q.status = 'pending'
      AND q.available_at <= now()
    ORDER BY q.priority DESC, q.available_at, q.id
    LIMIT :batch_size::bigint
    FOR UPDATE SKIP LOCKED
),
claimed AS (
    UPDATE messenger_messages m
    SET status = 'processing',
        locked_by = :worker::text,
        locked_at = now(),
        lock_expires_at = now() + make_interval(secs => :lease_secs::float8)
    -- = ANY (ARRAY(...)) rather than a join with `next`: the locked ids are
    -- computed once (InitPlan) and fetched through the primary key, whatever the
    -- row estimate of a generic plan (a join may turn into a full merge join).
    WHERE m.id = ANY (ARRAY(SELECT next.id FROM next))
    RETURNING
        m.id,
        m.transport_name,
        m.queue_name,
        m.body,
        m.headers,
        m.priority,
        m.retry_count,
        m.max_retries,
        m.idempotency_key,
        m.metadata,
        m.created_at,
        m.available_at,
        m.locked_at,
        m.lock_expires_at,
        m.scheduled_at
)
SELECT
    c.id,
    c.transport_name,
    c.queue_name,
    c.body,
    c.headers,
    c.priority,
    c.retry_count,
    c.max_retries,
    c.idempotency_key,
    c.metadata,
    c.created_at,
    c.available_at,
    -- locked_at and lock_expires_at are nullable columns, but never NULL here:
    -- this very statement has just set them (now() and now() + lease).
    c.locked_at,
    c.lock_expires_at,
    c.scheduled_at
FROM claimed c
ORDER BY c.priority DESC, c.available_at, c.id;


--! ack_message
--- Marks a claimed message as successfully handled: status 'completed',
--- processed_at = now(), lease cleared (locked_by, locked_at, lock_expires_at NULL).
---
--- Fenced: only succeeds while `worker` still holds the lease on message `id`
--- (status 'processing' and locked_by = worker). Returns the id on success and no row
--- when the lease was lost; then the message has been (or will be) redelivered.
--- An expired lease that was not rescued yet is still held: acking it succeeds.
UPDATE messenger_messages
SET status = 'completed',
    processed_at = now(),
    locked_by = NULL,
    locked_at = NULL,
    lock_expires_at = NULL
WHERE id = :id::bigint
  AND locked_by = :worker::text
  AND status = 'processing'
RETURNING id;


--! retry_message
--- Puts a claimed message whose handling failed back into the queue for a later
--- attempt: status 'pending', retry_count + 1, last_error = error,
--- available_at = next_available_at (the back-off, computed by the caller), lease
--- cleared. Returns the id and the new retry_count.
---
--- Fenced like ack_message: no row when `worker` no longer holds the lease.
--- Does not check max_retries: the caller decides between retry_message and
--- dead_letter_message (claim_batch returns retry_count and max_retries).
UPDATE messenger_messages
SET status = 'pending',
    retry_count = retry_count + 1,
    last_error = :error::text,
    available_at = :next_available_at::timestamptz,
    locked_by = NULL,
    locked_at = NULL,
    lock_expires_at = NULL
WHERE id = :id::bigint
  AND locked_by = :worker::text
  AND status = 'processing'
RETURNING id, retry_count;


--! dead_letter_message (error_class?, error_trace?)
--- Permanently fails a claimed message, in one statement (atomically): the message
--- gets status 'failed', retry_count + 1 (the attempt that just failed counts, as
--- in retry_message: retry_count is the number of failed attempts), last_error =
--- error_message, processed_at = now() and its lease cleared; and a copy with the
--- error details is inserted into messenger_failed_messages (message_id pointing
--- back to it). Returns the id of the new dead-letter row.
---
--- Fenced like ack_message: when `worker` no longer holds the lease, nothing is
--- updated, nothing is inserted and no row is returned.
WITH moved AS (
    UPDATE messenger_messages
    SET status = 'failed',
        retry_count = retry_count + 1,
        last_error = :error_message::text,
        processed_at = now(),
        locked_by = NULL,
        locked_at = NULL,
        lock_expires_at = NULL
    WHERE id = :id::bigint
      AND locked_by = :worker::text
      AND status = 'processing'
    RETURNING
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
        created_at
)
INSERT INTO messenger_failed_messages (
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
    error_trace
)
SELECT
    moved.id,
    moved.transport_name,
    moved.queue_name,
    moved.body,
    moved.headers,
    moved.priority,
    moved.retry_count,
    moved.max_retries,
    moved.idempotency_key,
    moved.metadata,
    moved.created_at,
    :error_message::text,
    :error_class::text,
    :error_trace::text
FROM moved
RETURNING id;


--! renew_lease
--- Extends the lease of a claimed message: lock_expires_at = now() + lease_secs
--- seconds (a heartbeat for long-running handlers; call it well before the lease
--- ends). Returns the id and the new expiry (never NULL: just set).
---
--- Fenced like ack_message: no row when `worker` no longer holds the lease; the
--- worker should then abandon the message.
-- messenger-gen: not-null(lock_expires_at) -- this UPDATE sets it.
UPDATE messenger_messages
SET lock_expires_at = now() + make_interval(secs => :lease_secs::float8)
WHERE id = :id::bigint
  AND locked_by = :worker::text
  AND status = 'processing'
RETURNING id, lock_expires_at;


--! rescue_expired_leases
--- Returns messages whose lease expired (status 'processing' and
--- lock_expires_at < now(), i.e. their worker died or hung) to the queue, at most
--- `max_rows` of them, oldest expiry first; returns their ids.
---
--- Each rescued message gets status 'pending' and its lease cleared; its
--- available_at is kept, so it keeps its place in the dequeue order. The lost attempt
--- counts as a failed one: retry_count + 1 and last_error records which worker's
--- lease expired when. This stops a "poison" message that crashes its worker from
--- circulating forever: consumers must check retry_count > max_retries on the rows
--- returned by claim_batch and dead-letter such a message instead of handling it.
---
--- Safe to run from several processes at once: rows are locked with FOR UPDATE SKIP
--- LOCKED, so concurrent rescuers skip each other's rows instead of blocking, and a
--- message whose worker is acking it at this very moment (row locked) is skipped.
--- Served by the partial index idx_messenger_messages_lock_expiry.
WITH expired AS MATERIALIZED (
    SELECT e.id
    FROM messenger_messages e
    WHERE e.status = 'processing'
      AND e.lock_expires_at < now()
    ORDER BY e.lock_expires_at
    LIMIT :max_rows::bigint
    FOR UPDATE SKIP LOCKED
)
UPDATE messenger_messages m
SET status = 'pending',
    retry_count = m.retry_count + 1,
    last_error = format('lease held by %s expired at %s', m.locked_by, m.lock_expires_at),
    locked_by = NULL,
    locked_at = NULL,
    lock_expires_at = NULL
-- Primary-key lookups of the locked ids, whatever the plan's row estimate.
WHERE m.id = ANY (ARRAY(SELECT expired.id FROM expired))
RETURNING m.id;
