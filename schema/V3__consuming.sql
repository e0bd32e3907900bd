-- =============================================================================
-- Symphony Messenger: migration V3 — consuming
--
-- What the worker (src/worker/) needs from the queue table:
--   * fenced leases: every claim gets a fresh lease token, and every statement
--     that finishes or extends a lease must present it;
--   * wake-up: a notification when messages become consumable, once per
--     statement and (transport, queue), not once per row;
--   * autovacuum settings for a table where every row is inserted, updated at
--     least twice and deleted.
--
-- Idempotent like V1 (IF NOT EXISTS, CREATE OR REPLACE, ALTER ... SET); no
-- BEGIN/COMMIT (refinery runs it in one transaction). Rollback:
-- schema/rollback/V3__consuming.sql.
-- =============================================================================


-- -----------------------------------------------------------------------------
-- Lease tokens
-- -----------------------------------------------------------------------------
-- A worker name is not a fence: a restarted process may reuse it, and the same
-- worker may claim a message again after its first lease was rescued. A token
-- drawn from a sequence for every claimed message is never reused, so "id = X
-- AND lease_token = T" matches exactly one claim of one message, and a set of
-- tokens names exactly the claims a batch finishes. (The exact locked_at of the
-- claim would almost do, but two transactions can start in the same
-- microsecond.) CACHE 100: each session reserves a hundred values at a time, so
-- a claim of a hundred messages touches the sequence once; tokens stay unique,
-- only their order across sessions is lost, which nothing relies on.
CREATE SEQUENCE IF NOT EXISTS messenger_lease_token_seq AS bigint CACHE 100;

COMMENT ON SEQUENCE messenger_lease_token_seq IS
    'Source of lease tokens: every claimed message draws its own value, never drawn again.';

ALTER TABLE messenger_messages ADD COLUMN IF NOT EXISTS lease_token bigint NULL;

COMMENT ON COLUMN messenger_messages.lease_token IS
    'Fencing token of the current lease, drawn from messenger_lease_token_seq by the claim; ack, retry, dead letter, renewal and release must present it, so a worker that lost its lease (even one reusing a worker name) changes nothing. NULL when not leased.';


-- -----------------------------------------------------------------------------
-- Wake-up notifications
-- -----------------------------------------------------------------------------
-- One pg_notify per (transport, queue) per INSERT statement, and PostgreSQL
-- folds identical notifications of one transaction into one: a batch of 1,000
-- messages wakes the workers once. Messages that are not consumable within a
-- second (delayed ones) send nothing; workers find them by polling. The second
-- of slack is measured on clock_timestamp(), not now(): now() is the start of
-- the inserting transaction, which may be older than the available_at the
-- sender computed, and senders' clocks may run a little ahead; a worker woken
-- early keeps looking for a second (see below). The payload is
-- '<transport>:<queue>' (transport names cannot contain ':').
--
-- Debounced across transactions too: a transaction that sends a notification
-- holds a database-wide lock from its commit's start to its end, so with one
-- NOTIFY per transaction concurrent producers commit one at a time (measured
-- here: 16 clients inserting single rows fell from ~3,000 to ~450 commits/s).
-- Only the transaction that gets the transaction-level advisory lock
-- (namespace 1937337709 = 'symm', key hashtext('<transport>:<queue>')) without
-- waiting notifies; the others inserting into the same queue at that moment do
-- not (and commit without that lock). Their messages may commit after the
-- notification was delivered, so a worker looks again every 25 ms for a second
-- after any activity (src/worker/fetch.rs); a transaction-level lock also works
-- through a transaction-mode pooler.
CREATE OR REPLACE FUNCTION messenger_notify_consumable()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_notify('symphony_messenger', q.transport_name || ':' || q.queue_name)
    FROM (
        SELECT DISTINCT n.transport_name, n.queue_name
        FROM messenger_inserted_messages n
        WHERE n.status = 'pending'
          AND n.available_at <= clock_timestamp() + interval '1 second'
    ) q
    WHERE pg_try_advisory_xact_lock(1937337709, hashtext(q.transport_name || ':' || q.queue_name));
    RETURN NULL;
END;
$$;

COMMENT ON FUNCTION messenger_notify_consumable() IS
    'Statement trigger function: notifies channel symphony_messenger with ''<transport>:<queue>'' once for each transport and queue that received consumable messages in the statement, unless a concurrent transaction is notifying that queue (transaction-level advisory lock 1937337709, hashtext of the payload).';

CREATE OR REPLACE TRIGGER trg_messenger_messages_notify
    AFTER INSERT ON messenger_messages
    REFERENCING NEW TABLE AS messenger_inserted_messages
    FOR EACH STATEMENT EXECUTE FUNCTION messenger_notify_consumable();


-- -----------------------------------------------------------------------------
-- Autovacuum for a high-churn table
-- -----------------------------------------------------------------------------
-- Every message is inserted, updated by its claim and its ack (a status change
-- is never a HOT update: status is in the predicates of the partial indexes),
-- and finally deleted by the purge. With the defaults (vacuum after 20 % of the
-- table is dead) a table of a million messages accumulates 200,000 dead row
-- versions before vacuum starts, and the claim's index scan over the partial
-- dequeue index wades through their dead index entries. So:
--   * vacuum after 2 % (+ 1,000 rows) of dead rows instead of 20 % (+ 50);
--   * analyze after 2 % instead of 10 %, so plans follow the backlog's size;
--   * do not throttle the vacuum of this table (cost delay 0): it is small
--     when healthy, and a throttled vacuum falls behind the churn;
--   * insert-driven vacuum after 5 % (PostgreSQL 13+), which also keeps the
--     visibility map fresh for index-only scans.
ALTER TABLE messenger_messages SET (
    autovacuum_vacuum_scale_factor = 0.02,
    autovacuum_vacuum_threshold = 1000,
    autovacuum_vacuum_insert_scale_factor = 0.05,
    autovacuum_analyze_scale_factor = 0.02,
    autovacuum_vacuum_cost_delay = 0
);


-- -----------------------------------------------------------------------------
-- Verification: fail the migration if any object of this version is missing
-- -----------------------------------------------------------------------------
DO $$
DECLARE
    missing text[] := ARRAY[]::text[];
BEGIN
    IF to_regclass('messenger_lease_token_seq') IS NULL THEN
        missing := array_append(missing, 'sequence messenger_lease_token_seq');
    END IF;

    IF NOT EXISTS (
        SELECT 1
        FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = to_regclass('messenger_messages')
          AND a.attname = 'lease_token'
          AND NOT a.attisdropped
    ) THEN
        missing := array_append(missing, 'column messenger_messages.lease_token');
    END IF;

    IF NOT EXISTS (
        SELECT 1
        FROM pg_catalog.pg_proc p
        WHERE p.oid = to_regprocedure('messenger_notify_consumable()')
          AND p.prorettype = 'pg_catalog.trigger'::regtype
    ) THEN
        missing := array_append(missing, 'function messenger_notify_consumable()');
    END IF;

    IF NOT EXISTS (
        SELECT 1
        FROM pg_catalog.pg_trigger tg
        WHERE tg.tgname = 'trg_messenger_messages_notify'
          AND tg.tgrelid = to_regclass('messenger_messages')
          AND NOT tg.tgisinternal
    ) THEN
        missing := array_append(missing, 'trigger trg_messenger_messages_notify');
    END IF;

    IF cardinality(missing) > 0 THEN
        RAISE EXCEPTION 'symphony messenger V3 verification failed, missing: %',
            array_to_string(missing, ', ');
    END IF;
END
$$;
