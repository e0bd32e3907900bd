-- =============================================================================
-- Symphony Messenger — consuming messages (cornucopia query module `consume`).
--
-- Lease protocol: claim_batch moves pending messages to 'processing', records
-- the worker in locked_by (for people reading the table) and gives every
-- claimed message a lease ending at lock_expires_at and a fresh lease token: a
-- value of messenger_lease_token_seq, drawn for that message by that claim and
-- never drawn again. Every later statement about a claimed message (ack, retry,
-- dead letter, renew, release) is fenced by `id = :id AND lease_token =
-- :lease_token AND status = 'processing'`: it changes nothing and returns no row
-- for that message once the worker no longer holds that lease (it expired and
-- was rescued, and maybe claimed again — by anyone, the same worker name
-- included). The worker must then drop its result: the runtime reports it as
-- `LeaseLost`.
--
-- The batched statements take the ids and the lease tokens of the claims they
-- finish as two sets: `id = ANY(:ids) AND lease_token = ANY(:lease_tokens)`.
-- Because a token belongs to exactly one claim of one message, a row matches
-- only if its current token is one the caller presents — that is, only if the
-- caller holds its current lease — whatever else is in the batch. (With one
-- token per claim statement this would not hold: a stale completion of an
-- earlier claim of a message, batched with a current one of the same later
-- claim, would finish it.) Both are plain `= ANY` conditions: primary-key
-- lookups with a hashed membership test, whatever the batch size.
--
-- Every hot-path statement RETURNs something, so "no row" always means
-- "fenced". Lease durations and delays are seconds as float8 (the interval type
-- is not supported by the code generator) and are added to the server's clock,
-- so worker clocks do not matter.
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
--- locked_at = now(), lock_expires_at = now() + lease_secs seconds and a lease
--- token of its own (now() = start of the current transaction: call this in its
--- own transaction).
---
--- retry_count is the number of failed attempts so far, so this is attempt
--- retry_count + 1 of at most max_retries + 1. (rescue_expired_leases dead-letters
--- a message whose last attempt's lease expired, so a claimed message always has an
--- attempt left.)
---
--- UPDATE ... RETURNING itself does not preserve any order, so the claimed rows
--- are re-sorted by the same key (priority DESC, available_at, id) in the final
--- SELECT: the returned rows come in dequeue order.
-- messenger-gen: not-null(locked_at, lock_expires_at, lease_token) -- this UPDATE sets them.
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
        lock_expires_at = now() + make_interval(secs => :lease_secs::float8),
        -- Volatile, so evaluated for every claimed row: one token per message.
        lease_token = nextval('messenger_lease_token_seq')
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
        m.lease_token,
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
    -- locked_at, lock_expires_at and lease_token are nullable columns, but never
    -- NULL here: this very statement has just set them.
    c.locked_at,
    c.lock_expires_at,
    c.lease_token,
    c.scheduled_at
FROM claimed c
ORDER BY c.priority DESC, c.available_at, c.id;


--! ack_batch
--- Marks claimed messages as successfully handled: status 'completed',
--- processed_at = now(), lease cleared. `ids` are the messages, `lease_tokens`
--- the tokens of the leases held on them (see the fencing of batches above);
--- returns the ids that were completed. An id missing from the result had lost
--- its lease (it has been or will be redelivered). An expired lease that was not
--- rescued yet is still held: acking it succeeds.
UPDATE messenger_messages m
SET status = 'completed',
    processed_at = now(),
    locked_by = NULL,
    locked_at = NULL,
    lock_expires_at = NULL,
    lease_token = NULL
WHERE m.id = ANY (:ids::bigint[])
  AND m.lease_token = ANY (:lease_tokens::bigint[])
  AND m.status = 'processing'
RETURNING m.id;


--! ack_delete_batch
--- Like ack_batch, but deletes the handled messages instead of keeping them as
--- 'completed' (for workers configured to keep nothing): no row version is left
--- for the purge, and the idempotency keys are free at once. Returns the ids that
--- were deleted; a missing id had lost its lease.
DELETE FROM messenger_messages m
WHERE m.id = ANY (:ids::bigint[])
  AND m.lease_token = ANY (:lease_tokens::bigint[])
  AND m.status = 'processing'
RETURNING m.id;


--! ack_message
--- Marks one claimed message as successfully handled: status 'completed',
--- processed_at = now(), lease cleared. Returns the id, or no row when the lease
--- `lease_token` on message `id` is no longer held.
UPDATE messenger_messages
SET status = 'completed',
    processed_at = now(),
    locked_by = NULL,
    locked_at = NULL,
    lock_expires_at = NULL,
    lease_token = NULL
WHERE id = :id::bigint
  AND lease_token = :lease_token::bigint
  AND status = 'processing'
RETURNING id;


--! retry_message
--- Puts a claimed message whose handling failed back into the queue for a later
--- attempt: status 'pending', retry_count + 1, last_error = error, available_at =
--- now() + delay_secs seconds (the back-off, chosen by the caller; the server's
--- clock), lease cleared. Returns the id and the new retry_count.
---
--- Fenced: no row when the lease `lease_token` on message `id` is no longer held.
--- Does not check max_retries: the caller decides between retry_message and
--- dead_letter_message (claim_batch returns retry_count and max_retries).
UPDATE messenger_messages
SET status = 'pending',
    retry_count = retry_count + 1,
    last_error = :error::text,
    available_at = now() + make_interval(secs => :delay_secs::float8),
    locked_by = NULL,
    locked_at = NULL,
    lock_expires_at = NULL,
    lease_token = NULL
WHERE id = :id::bigint
  AND lease_token = :lease_token::bigint
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
--- Fenced: when the lease `lease_token` on message `id` is no longer held, nothing
--- is updated, nothing is inserted and no row is returned.
WITH moved AS (
    UPDATE messenger_messages
    SET status = 'failed',
        retry_count = retry_count + 1,
        last_error = :error_message::text,
        processed_at = now(),
        locked_by = NULL,
        locked_at = NULL,
        lock_expires_at = NULL,
        lease_token = NULL
    WHERE id = :id::bigint
      AND lease_token = :lease_token::bigint
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


--! renew_leases
--- Extends the leases of claimed messages (the heartbeat: one statement for every
--- message a worker holds): lock_expires_at = now() + lease_secs seconds. Fenced
--- like ack_batch; returns the renewed ids and their new expiry. A missing id has
--- lost its lease: abandon that message.
-- messenger-gen: not-null(lock_expires_at) -- this UPDATE sets it.
UPDATE messenger_messages m
SET lock_expires_at = now() + make_interval(secs => :lease_secs::float8)
WHERE m.id = ANY (:ids::bigint[])
  AND m.lease_token = ANY (:lease_tokens::bigint[])
  AND m.status = 'processing'
RETURNING m.id, m.lock_expires_at;


--! release_messages
--- Hands claimed messages that were never started back to the queue at once
--- (a draining worker's buffer): status 'pending', lease cleared, retry_count and
--- available_at unchanged (no attempt was made, and each keeps its place in the
--- dequeue order). Fenced like ack_batch; returns the released ids. Notifies channel symphony_messenger once per transport and queue, so idle
--- workers claim them without waiting for their next poll.
WITH released AS (
    UPDATE messenger_messages m
    SET status = 'pending',
        locked_by = NULL,
        locked_at = NULL,
        lock_expires_at = NULL,
        lease_token = NULL
    WHERE m.id = ANY (:ids::bigint[])
      AND m.lease_token = ANY (:lease_tokens::bigint[])
      AND m.status = 'processing'
    RETURNING m.id, m.transport_name, m.queue_name
),
notified AS (
    SELECT pg_notify('symphony_messenger', q.transport_name || ':' || q.queue_name)
    FROM (SELECT DISTINCT r.transport_name, r.queue_name FROM released r) q
)
-- The scalar subquery makes the notifications happen (an unreferenced CTE that
-- only reads is never evaluated); it runs once, and only when a row was released.
SELECT r.id
FROM released r
WHERE (SELECT count(*) FROM notified) >= 0;


--! rescue_expired_leases
--- Finishes the attempts whose lease expired (status 'processing' and
--- lock_expires_at < now(): the worker died, hung or lost its connection), at most
--- `max_rows` of them, oldest expiry first, and returns each id with its outcome.
---
--- The lost attempt counts as a failed one (retry_count + 1, last_error says whose
--- lease expired when), and the lease is cleared. A message with attempts left
--- goes back to 'pending' (outcome 'rescued'; available_at is kept, so it keeps
--- its place in the dequeue order); one whose last attempt this was (retry_count + 1
--- > max_retries) is dead-lettered in the same statement (outcome 'dead_lettered':
--- status 'failed', processed_at = now(), a copy in messenger_failed_messages with
--- error_class 'LeaseExpired'), so a message that crashes its worker every time
--- cannot circulate forever. Rescued messages are announced on channel
--- symphony_messenger like new ones.
---
--- Safe to run from every worker process at once: rows are locked with FOR UPDATE
--- SKIP LOCKED, so concurrent rescuers skip each other's rows instead of blocking
--- and each expired lease is finished once. A message whose worker is acking it
--- at this very moment is skipped (row locked), and an ack that commits between
--- this statement's snapshot and its row lock is seen by the re-check of the
--- WHERE clause (the row is no longer 'processing'): a completed message is never
--- put back. Served by the partial index idx_messenger_messages_lock_expiry.
WITH expired AS MATERIALIZED (
    SELECT e.id
    FROM messenger_messages e
    WHERE e.status = 'processing'
      AND e.lock_expires_at < now()
    ORDER BY e.lock_expires_at
    LIMIT :max_rows::bigint
    FOR UPDATE SKIP LOCKED
),
finished AS (
    UPDATE messenger_messages m
    SET status = CASE
            WHEN m.retry_count + 1 > m.max_retries THEN 'failed'
            ELSE 'pending'
        END::messenger_message_status,
        retry_count = m.retry_count + 1,
        last_error = format('the lease of worker %s expired at %s', m.locked_by, m.lock_expires_at),
        processed_at = CASE WHEN m.retry_count + 1 > m.max_retries THEN now() END,
        locked_by = NULL,
        locked_at = NULL,
        lock_expires_at = NULL,
        lease_token = NULL
    -- Primary-key lookups of the locked ids, whatever the plan's row estimate.
    WHERE m.id = ANY (ARRAY(SELECT expired.id FROM expired))
    RETURNING
        m.id,
        m.status,
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
        m.last_error
),
dead AS (
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
        error_class
    )
    SELECT
        f.id,
        f.transport_name,
        f.queue_name,
        f.body,
        f.headers,
        f.priority,
        f.retry_count,
        f.max_retries,
        f.idempotency_key,
        f.metadata,
        f.created_at,
        f.last_error,
        'LeaseExpired'
    FROM finished f
    WHERE f.status = 'failed'
),
notified AS (
    SELECT pg_notify('symphony_messenger', q.transport_name || ':' || q.queue_name)
    FROM (
        SELECT DISTINCT f.transport_name, f.queue_name
        FROM finished f
        WHERE f.status = 'pending'
    ) q
)
-- The scalar subquery makes the notifications happen (see release_messages).
SELECT
    f.id,
    -- Never NULL: a CASE with an ELSE over a NOT NULL column.
    CASE WHEN f.status = 'failed' THEN 'dead_lettered' ELSE 'rescued' END AS outcome
FROM finished f
WHERE (SELECT count(*) FROM notified) >= 0
ORDER BY f.id;
