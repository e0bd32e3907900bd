-- =============================================================================
-- Symphony Messenger — recurring and one-off schedules (cornucopia query module
-- `schedules`). The runtime's scheduler (src/schedule/scheduler.rs) runs them.
--
-- Scheduler pass, one transaction:
--   1. claim_due_schedules   locks the due schedules (FOR UPDATE SKIP LOCKED);
--   2. for each: the ticks to fire are worked out (cron in the schedule's time
--      zone, the missed-tick policy), the body is validated, and each tick is
--      enqueued with dispatch_idempotent, idempotency key
--      'schedule:<id>:<tick>' (tick in RFC 3339, UTC);
--   3. advance_schedule      compare-and-set on next_run_at, recording the
--      error of a refused fire;
--   4. commit.
-- Cron expressions and time zones are evaluated by the application, not in SQL.
-- =============================================================================


--! claim_due_schedules : (cron_expression?, interval_seconds?, run_at?, last_run_at?)
--- Returns up to `max_rows` enabled schedules that are due (next_run_at <= `now`, the
--- scheduler's clock),
--- most overdue first, and locks them until the end of the current transaction
--- (FOR UPDATE SKIP LOCKED): concurrent schedulers skip each other's schedules
--- instead of blocking, and each due schedule is handed to one scheduler at a time.
--- Enqueue and advance_schedule must run in that same transaction; if it rolls
--- back, the schedules are simply due again.
--- Served by an index on next_run_at (idx_messenger_schedules_next_run_at or
--- idx_messenger_schedules_enabled_next_run_at, at the planner's choice).
SELECT
    s.id,
    s.name,
    s.transport_name,
    s.queue_name,
    s.message_type,
    s.body,
    s.headers,
    s.priority,
    s.schedule_type,
    s.cron_expression,
    s.interval_seconds,
    s.run_at,
    s.timezone,
    -- next_run_at is a nullable column, but never NULL here: next_run_at <= now.
    -- messenger-gen: not-null(next_run_at)
    s.next_run_at,
    s.last_run_at,
    s.missed_ticks,
    s.catch_up_limit
FROM messenger_schedules s
WHERE s.enabled
  AND s.next_run_at <= :now::timestamptz
ORDER BY s.next_run_at, s.id
LIMIT :max_rows::bigint
FOR UPDATE SKIP LOCKED;


--! advance_schedule (last_run_at?, next_run_at?, last_error?)
--- Records a scheduler's pass over schedule `id` and moves it to its next run:
--- last_run_at = `last_run_at` when the pass enqueued a message (the latest tick it
--- fired; NULL keeps the previous value), next_run_at = `next_run_at` (NULL when it
--- will not run again, e.g. a one-time schedule that just ran), enabled = `enabled`,
--- and last_error = `last_error`: why the pass refused to fire (last_error_at = `now`),
--- or NULL after a fire that enqueued its message (both cleared).
---
--- Compare-and-set: it only applies while the schedule's next_run_at still equals
--- `expected_next_run_at` (the value read by claim_due_schedules), and returns the id
--- when applied, no row otherwise. When several schedulers race on the same tick
--- (even without the lock of claim_due_schedules), exactly one advances it: under
--- READ COMMITTED the losers wait for the winner's row lock, re-check the WHERE
--- clause against the winner's committed row, and update nothing. A scheduler that
--- gets no row must roll back its transaction, which also discards the messages it
--- enqueued for that pass (the `'schedule:<id>:<tick>'` idempotency key makes a
--- duplicate enqueue harmless anyway).
UPDATE messenger_schedules
SET last_run_at = coalesce(:last_run_at::timestamptz, last_run_at),
    next_run_at = :next_run_at::timestamptz,
    enabled = :enabled::boolean,
    last_error = :last_error::text,
    last_error_at = CASE WHEN :last_error::text IS NULL THEN NULL ELSE :now::timestamptz END
WHERE id = :id::bigint
  AND next_run_at = :expected_next_run_at::timestamptz
RETURNING id;


--! insert_schedule (cron_expression?, interval_seconds?, run_at?, next_run_at?)
--- Creates a schedule and returns its id.
---
--- `schedule_type` is 'cron' (needs `cron_expression`, evaluated in `timezone`),
--- 'interval' (needs `interval_seconds` > 0) or 'once' (needs `run_at`); check
--- constraints reject an inconsistent definition. `next_run_at` is the first run
--- time, computed by the caller (for 'once' usually `run_at`); NULL means the
--- schedule never runs. The schedule's name is not unique.
INSERT INTO messenger_schedules (
    name,
    transport_name,
    queue_name,
    message_type,
    body,
    headers,
    priority,
    schedule_type,
    cron_expression,
    interval_seconds,
    run_at,
    timezone,
    next_run_at,
    enabled
)
VALUES (
    :name::text,
    :transport_name::text,
    :queue_name::text,
    :message_type::text,
    :body::jsonb,
    :headers::jsonb,
    :priority::smallint,
    :schedule_type::text,
    :cron_expression::text,
    :interval_seconds::int,
    :run_at::timestamptz,
    :timezone::text,
    :next_run_at::timestamptz,
    :enabled::boolean
)
RETURNING id;
