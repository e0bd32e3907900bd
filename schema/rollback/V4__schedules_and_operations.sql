-- Rollback of V4__schedules_and_operations.sql: the requeue function, the index
-- of unresolved dead letters, and the columns V4 added (their CHECKs and
-- comments go with them). IF EXISTS everywhere, so it can run twice.
DROP FUNCTION IF EXISTS messenger_requeue_dead_letters(bigint[]);
DROP INDEX IF EXISTS idx_messenger_failed_messages_unresolved;
ALTER TABLE messenger_failed_messages
    DROP COLUMN IF EXISTS requeued_at;
ALTER TABLE messenger_schedules
    DROP COLUMN IF EXISTS last_error_at,
    DROP COLUMN IF EXISTS last_error,
    DROP COLUMN IF EXISTS catch_up_limit,
    DROP COLUMN IF EXISTS missed_ticks;
