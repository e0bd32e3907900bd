-- =============================================================================
-- Symphony Messenger: rollback of migration V1 (base schema)
--
-- Drops every object created by V1__symphony_messenger_schema.sql, in
-- dependency order: views -> triggers -> functions -> tables -> types.
-- Every statement uses IF EXISTS, so the script succeeds on a database where
-- the schema is only partially present or already rolled back (it can be run
-- twice). Indexes, constraints, identity sequences, comments and RLS settings
-- are dropped together with their tables.
--
-- CASCADE is deliberately NOT used: if some unrelated object depends on a
-- messenger object, the rollback fails loudly instead of silently dropping it.
-- =============================================================================

-- Views
DROP VIEW IF EXISTS messenger_schedules_summary;
DROP VIEW IF EXISTS messenger_failed_summary;
DROP VIEW IF EXISTS messenger_queue_depth;

-- Triggers (IF EXISTS also tolerates a missing table)
DROP TRIGGER IF EXISTS trg_messenger_schedules_updated_at  ON messenger_schedules;
DROP TRIGGER IF EXISTS trg_messenger_transports_updated_at ON messenger_transports;
DROP TRIGGER IF EXISTS trg_messenger_messages_updated_at   ON messenger_messages;

-- Functions
DROP FUNCTION IF EXISTS messenger_set_updated_at();

-- Tables (messenger_failed_messages first: it references messenger_messages)
DROP TABLE IF EXISTS messenger_failed_messages;
DROP TABLE IF EXISTS messenger_schedules;
DROP TABLE IF EXISTS messenger_transports;
DROP TABLE IF EXISTS messenger_messages;

-- Types
DROP TYPE IF EXISTS messenger_message_status;
