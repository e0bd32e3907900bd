-- =============================================================================
-- Symphony Messenger — sending messages (cornucopia query module `dispatch`).
--
-- Annotation syntax (cornucopia 1.0.1): `--! name (nullable params) : (nullable columns)`
-- followed by `---` doc comment lines, which become the rustdoc of the generated
-- function. `param?` = the value may be NULL (Option<T>); `param[?]` = an array
-- whose elements may be NULL (Vec<Option<T>>); `column?` = the column may be NULL.
-- =============================================================================


--! dispatch_message (scheduled_at?, idempotency_key?)
--- Enqueues one message and returns its id.
---
--- The message becomes consumable at `available_at` (pass now() for immediate
--- delivery, a later time for delayed delivery); `scheduled_at` records the delivery
--- time the sender asked for, or NULL. `priority` must be 1..=10 (10 is consumed first).
--- Every column is supplied explicitly: callers own the defaults (queue 'default',
--- headers/metadata '{}', priority 5, max_retries 3).
---
--- A non-NULL `idempotency_key` that already exists for the same transport makes this
--- statement fail with a unique violation (SQLSTATE 23505) on
--- uq_messenger_messages_idempotency; use `dispatch_idempotent` to deduplicate instead.
INSERT INTO messenger_messages (
    transport_name,
    queue_name,
    body,
    headers,
    priority,
    available_at,
    scheduled_at,
    max_retries,
    idempotency_key,
    metadata
)
VALUES (
    :transport_name::text,
    :queue_name::text,
    :body::jsonb,
    :headers::jsonb,
    :priority::smallint,
    :available_at::timestamptz,
    :scheduled_at::timestamptz,
    :max_retries::int,
    :idempotency_key::text,
    :metadata::jsonb
)
RETURNING id;


--! dispatch_batch (scheduled_ats[?], idempotency_keys[?])
--- Enqueues many messages in a single statement (one round trip, one transaction)
--- and returns their ids.
---
--- Element i of every array describes message i; `scheduled_ats` and
--- `idempotency_keys` may contain NULL elements, the other arrays may not (their
--- columns are NOT NULL and UNNEST rows get no column defaults, so every value,
--- including queue 'default', '{}' headers/metadata, priority 5 and max_retries 3,
--- must be supplied by the caller).
---
--- Guarantees:
--- * all or nothing: the statement inserts every message or none (any constraint
---   violation, e.g. a priority outside 1..=10 or an idempotency key that already
---   exists for the transport (SQLSTATE 23505), aborts the whole batch);
--- * if the arrays do not all have the same length, NOTHING is inserted and no id is
---   returned (instead of UNNEST silently padding the short arrays with NULLs), so a
---   caller can detect a malformed batch by comparing the number of ids returned
---   with the number of messages sent;
--- * the ids are returned in the order of the input arrays: rows are inserted in
---   array order (ORDER BY ordinality), the identity sequence therefore hands out
---   increasing ids in that order, and the result is sorted by id.
WITH input AS (
    SELECT
        u.transport_name,
        u.queue_name,
        u.body,
        u.headers,
        u.priority,
        u.available_at,
        u.scheduled_at,
        u.max_retries,
        u.idempotency_key,
        u.metadata,
        u.ord
    FROM unnest(
        :transport_names::text[],
        :queue_names::text[],
        :bodies::jsonb[],
        :headers::jsonb[],
        :priorities::smallint[],
        :available_ats::timestamptz[],
        :scheduled_ats::timestamptz[],
        :max_retries::int[],
        :idempotency_keys::text[],
        :metadatas::jsonb[]
    ) WITH ORDINALITY AS u (
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
        ord
    )
    -- Reject ragged input as a whole (UNNEST would pad the shorter arrays with NULLs).
    WHERE cardinality(:transport_names::text[]) = ALL (ARRAY[
        cardinality(:queue_names::text[]),
        cardinality(:bodies::jsonb[]),
        cardinality(:headers::jsonb[]),
        cardinality(:priorities::smallint[]),
        cardinality(:available_ats::timestamptz[]),
        cardinality(:scheduled_ats::timestamptz[]),
        cardinality(:max_retries::int[]),
        cardinality(:idempotency_keys::text[]),
        cardinality(:metadatas::jsonb[])
    ])
),
inserted AS (
    INSERT INTO messenger_messages (
        transport_name,
        queue_name,
        body,
        headers,
        priority,
        available_at,
        scheduled_at,
        max_retries,
        idempotency_key,
        metadata
    )
    SELECT
        i.transport_name,
        i.queue_name,
        i.body,
        i.headers,
        i.priority,
        i.available_at,
        i.scheduled_at,
        i.max_retries,
        i.idempotency_key,
        i.metadata
    FROM input i
    ORDER BY i.ord
    RETURNING id
)
SELECT inserted.id
FROM inserted
ORDER BY inserted.id;


--! dispatch_batch_uniform (scheduled_at?, idempotency_keys[?])
--- Enqueues many messages that share everything but their bodies (and idempotency keys):
--- one transport, queue, headers, priority, available_at, scheduled_at, max_retries and
--- metadata. The common case of a batch, and markedly cheaper for the server than
--- dispatch_batch, which unnests ten arrays.
---
--- Guarantees as dispatch_batch: one statement, all or nothing (a duplicate idempotency key,
--- SQLSTATE 23505, aborts the batch), nothing inserted when `bodies` and `idempotency_keys`
--- differ in length, ids returned in input order.
WITH inserted AS (
    INSERT INTO messenger_messages (
        transport_name,
        queue_name,
        body,
        headers,
        priority,
        available_at,
        scheduled_at,
        max_retries,
        idempotency_key,
        metadata
    )
    SELECT
        :transport_name::text,
        :queue_name::text,
        u.body,
        :headers::jsonb,
        :priority::smallint,
        :available_at::timestamptz,
        :scheduled_at::timestamptz,
        :max_retries::int,
        u.idempotency_key,
        :metadata::jsonb
    FROM unnest(:bodies::jsonb[], :idempotency_keys::text[])
        WITH ORDINALITY AS u (body, idempotency_key, ord)
    -- Reject ragged input as a whole (UNNEST would pad the shorter array with NULLs).
    WHERE cardinality(:bodies::jsonb[]) = cardinality(:idempotency_keys::text[])
    ORDER BY u.ord
    RETURNING id
)
SELECT inserted.id
FROM inserted
ORDER BY inserted.id;


--! dispatch_idempotent (scheduled_at?)
--- Enqueues one message unless a message with the same (transport_name,
--- idempotency_key) already exists; returns the id of the new message
--- (inserted = true) or of the EXISTING one (inserted = false), in which case
--- nothing is inserted and the payload passed in is discarded (not compared).
---
--- Race-free, also under concurrency: the conflict is resolved with
--- `ON CONFLICT ... DO UPDATE`, which locks the conflicting row (waiting for a
--- concurrent inserter of the same key to commit or roll back) and always returns
--- it. The tempting alternative, `ON CONFLICT DO NOTHING` followed by a SELECT of the
--- existing row in the same statement, can return NO row at all under READ
--- COMMITTED when the duplicate was committed by another transaction after this
--- statement's snapshot was taken (the SELECT cannot see it).
---
--- Trade-off: on a duplicate the existing row is really updated (idempotency_key is
--- set to itself): a new row version is written, the BEFORE UPDATE trigger bumps its
--- updated_at, and the statement briefly waits if another transaction holds that
--- row's lock (e.g. a worker acking it). Nothing else of the existing row changes
--- (status, lease, body, ... are untouched). `inserted` is computed with the
--- well-known `xmax = 0` idiom (a freshly inserted row version has no xmax; the
--- version written by the DO UPDATE carries the locking transaction id).
---
--- Deduplication lasts as long as the existing row does: once it is purged
--- (see purge_completed) the key can be used again.
INSERT INTO messenger_messages AS m (
    transport_name,
    queue_name,
    body,
    headers,
    priority,
    available_at,
    scheduled_at,
    max_retries,
    idempotency_key,
    metadata
)
VALUES (
    :transport_name::text,
    :queue_name::text,
    :body::jsonb,
    :headers::jsonb,
    :priority::smallint,
    :available_at::timestamptz,
    :scheduled_at::timestamptz,
    :max_retries::int,
    :idempotency_key::text,
    :metadata::jsonb
)
ON CONFLICT (transport_name, idempotency_key) WHERE idempotency_key IS NOT NULL
DO UPDATE SET idempotency_key = EXCLUDED.idempotency_key
RETURNING
    m.id,
    -- Never NULL: the xmax system column is never NULL.
    (m.xmax = 0) AS inserted;
