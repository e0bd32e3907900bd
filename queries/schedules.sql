-- =============================================================================
-- Symphony Messenger — recurring and one-off schedules (cornucopia query module
-- `schedules`).
--
-- Scheduler loop, one transaction per tick:
--   1. claim_due_schedules   locks the due schedules (FOR UPDATE SKIP LOCKED);
--   2. for each: enqueue the message with dispatch_idempotent, idempotency key
--      'schedule:<id>:<tick>' where tick is the next_run_at being fired,
--      and compute the following run time;
--   3. advance_schedule      compare-and-set on next_run_at;
--   4. commit.
-- Cron expressions and time zones are evaluated by the application, not in SQL.
-- =============================================================================


--! claim_due_schedules : (cron_expression?, interval_seconds?, run_at?, last_run_at?)
--- Returns up to `max_rows` enabled schedules that are due (next_run_at <= now()),
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
    -- next_run_at is a nullable column, but never NULL here: next_run_at <= now().
    -- messenger-gen: not-null(next_run_at)
    s.next_run_at,
    s.last_run_at
FROM messenger_schedules s
WHERE s.enabled
  AND s.next_run_at <= now()
ORDER BY s.next_run_at, s.id
LIMIT :max_rows::bigint
FOR UPDATE SKIP LOCKED;


--! advance_schedule (next_run_at?)
--- Records that schedule `id` fired for the tick `tick` (last_run_at = tick) and
--- moves it to its next run: next_run_at = `next_run_at` (NULL when it will not run
--- again, e.g. a one-time schedule that just ran) and enabled = `enabled`.
---
--- Compare-and-set: it only applies while the schedule's next_run_at still equals
--- `expected_next_run_at` (the value read by claim_due_schedules), and returns the id
--- when applied, no row otherwise. When several schedulers race on the same tick
--- (even without the lock of claim_due_schedules), exactly one advances it: under
--- READ COMMITTED the losers wait for the winner's row lock, re-check the WHERE
--- clause against the winner's committed row, and update nothing. A scheduler that
--- gets no row must roll back its transaction, which also discards the message it
--- enqueued for that tick (the `'schedule:<id>:<tick>'` idempotency key makes a
--- duplicate enqueue harmless anyway).
UPDATE messenger_schedules
SET last_run_at = :tick::timestamptz,
    next_run_at = :next_run_at::timestamptz,
    enabled = :enabled::boolean
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
