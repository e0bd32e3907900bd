-- =============================================================================
-- Symphony Messenger: migration V4 — schedules that fire exactly once, and the
-- operations CLI
--
-- * messenger_schedules gets its missed-tick policy (skip, or catch up at most
--   N ticks) and the error of its last refused fire;
-- * a dead letter records when it was requeued, so requeuing it twice enqueues
--   it once; the requeue itself is one function, shared by the runtime's typed
--   query and `messenger-gen queue failed retry`;
-- * an index serves the dead letters still awaiting a decision, newest first.
--
-- Idempotent like V1: columns and indexes use IF NOT EXISTS (a column's CHECK
-- comes with its ADD COLUMN), the function is CREATE OR REPLACE.
-- =============================================================================


-- -----------------------------------------------------------------------------
-- messenger_schedules: missed ticks and refused fires
-- -----------------------------------------------------------------------------
ALTER TABLE messenger_schedules
    ADD COLUMN IF NOT EXISTS missed_ticks text NOT NULL DEFAULT 'skip'
        CONSTRAINT messenger_schedules_missed_ticks_check
        CHECK (missed_ticks IN ('skip', 'catch_up')),
    ADD COLUMN IF NOT EXISTS catch_up_limit integer NOT NULL DEFAULT 1
        CONSTRAINT messenger_schedules_catch_up_limit_check
        CHECK (catch_up_limit BETWEEN 1 AND 1000),
    ADD COLUMN IF NOT EXISTS last_error text NULL,
    ADD COLUMN IF NOT EXISTS last_error_at timestamptz NULL;

COMMENT ON COLUMN messenger_schedules.missed_ticks IS
    'What a scheduler does with ticks it finds more than its grace period late (after downtime): skip (the default: they are not enqueued, except that when every due tick is late the latest one is enqueued once) or catch_up (the latest catch_up_limit due ticks are enqueued, oldest first).';
COMMENT ON COLUMN messenger_schedules.catch_up_limit IS
    'With missed_ticks = catch_up: the most ticks one scheduler pass enqueues for this schedule (1 to 1000); ignored with skip.';
COMMENT ON COLUMN messenger_schedules.last_error IS
    'Why the most recent fire was refused (the body no longer matches its message type''s schema, an unknown transport, a definition that cannot be evaluated), or NULL when the most recent fire enqueued its message.';
COMMENT ON COLUMN messenger_schedules.last_error_at IS
    'When last_error was recorded, or NULL when there is no error.';


-- -----------------------------------------------------------------------------
-- messenger_failed_messages: requeued once
-- -----------------------------------------------------------------------------
ALTER TABLE messenger_failed_messages
    ADD COLUMN IF NOT EXISTS requeued_at timestamptz NULL;

COMMENT ON COLUMN messenger_failed_messages.requeued_at IS
    'When the dead letter was requeued (its copy in messenger_messages has idempotency key ''requeue:<id>''), or NULL while it awaits a decision. A dead letter is requeued at most once.';

CREATE INDEX IF NOT EXISTS idx_messenger_failed_messages_unresolved
    ON messenger_failed_messages (failed_at DESC, id DESC)
    WHERE requeued_at IS NULL;


-- -----------------------------------------------------------------------------
-- messenger_requeue_dead_letters(bigint[])
-- -----------------------------------------------------------------------------
-- One statement: the UPDATE is the fence (a dead letter already requeued, or
-- requeued concurrently, is not selected: under READ COMMITTED a second
-- caller waits for the first one's row lock and then re-checks
-- requeued_at IS NULL), and the INSERT enqueues exactly the fenced rows.
CREATE OR REPLACE FUNCTION messenger_requeue_dead_letters(dead_letter_ids bigint[])
RETURNS TABLE (dead_letter_id bigint, message_id bigint)
LANGUAGE sql
VOLATILE
AS $$
    WITH fenced AS (
        UPDATE messenger_failed_messages f
        SET requeued_at = now()
        WHERE f.id = ANY (dead_letter_ids)
          AND f.requeued_at IS NULL
        RETURNING
            f.id AS dead_id,
            f.transport_name,
            f.queue_name,
            f.body,
            f.headers,
            f.priority,
            f.max_retries,
            f.metadata
    ),
    inserted AS (
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
            fenced.transport_name,
            fenced.queue_name,
            fenced.body,
            fenced.headers,
            fenced.priority,
            'pending',
            now(),
            0,
            fenced.max_retries,
            'requeue:' || fenced.dead_id,
            fenced.metadata
        FROM fenced
        ORDER BY fenced.dead_id
        RETURNING messenger_messages.id AS new_id, messenger_messages.idempotency_key AS new_key
    )
    SELECT substr(inserted.new_key, 9)::bigint, inserted.new_id
    FROM inserted
    ORDER BY 1;
$$;

COMMENT ON FUNCTION messenger_requeue_dead_letters(bigint[]) IS
    'Requeues the dead letters with the given ids that were not requeued yet: marks them requeued_at = now() and enqueues a fresh pending copy of each (same transport, queue, body, headers, priority, max_retries, metadata; retry_count 0; idempotency key ''requeue:<dead letter id>''). Returns (dead_letter_id, message_id) per requeued dead letter; ids that are unknown or already requeued return nothing.';

-- The queue is for the backend only (see V1's row level security): on Supabase,
-- anon and authenticated would otherwise get EXECUTE through the default
-- privileges of the public schema. (With RLS they would still change nothing.)
REVOKE ALL ON FUNCTION messenger_requeue_dead_letters(bigint[]) FROM PUBLIC;
DO $$
DECLARE
    api_role text;
BEGIN
    FOREACH api_role IN ARRAY ARRAY['anon', 'authenticated'] LOOP
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = api_role) THEN
            EXECUTE format(
                'REVOKE ALL ON FUNCTION messenger_requeue_dead_letters(bigint[]) FROM %I',
                api_role
            );
        END IF;
    END LOOP;
END
$$;


-- -----------------------------------------------------------------------------
-- Verification: fail the migration if any object of V4 is missing
-- -----------------------------------------------------------------------------
DO $$
DECLARE
    missing text[] := ARRAY[]::text[];
    col     record;
BEGIN
    FOR col IN
        SELECT *
        FROM (VALUES
            ('messenger_schedules', 'missed_ticks'),
            ('messenger_schedules', 'catch_up_limit'),
            ('messenger_schedules', 'last_error'),
            ('messenger_schedules', 'last_error_at'),
            ('messenger_failed_messages', 'requeued_at')
        ) AS c(table_name, column_name)
    LOOP
        IF NOT EXISTS (
            SELECT 1
            FROM pg_catalog.pg_attribute a
            WHERE a.attrelid = to_regclass(col.table_name)
              AND a.attname = col.column_name
              AND NOT a.attisdropped
        ) THEN
            missing := array_append(missing, col.table_name || '.' || col.column_name);
        END IF;
    END LOOP;

    IF to_regclass('idx_messenger_failed_messages_unresolved') IS NULL THEN
        missing := array_append(missing, 'idx_messenger_failed_messages_unresolved');
    END IF;
    IF to_regprocedure('messenger_requeue_dead_letters(bigint[])') IS NULL THEN
        missing := array_append(missing, 'function messenger_requeue_dead_letters(bigint[])');
    END IF;

    IF cardinality(missing) > 0 THEN
        RAISE EXCEPTION 'symphony messenger V4 verification failed, missing: %',
            array_to_string(missing, ', ');
    END IF;
END
$$;
