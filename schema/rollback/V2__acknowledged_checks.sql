-- Rollback of V2__acknowledged_checks.sql: the COMMENTs go.
COMMENT ON CONSTRAINT messenger_schedules_definition_check ON messenger_schedules IS NULL;
COMMENT ON CONSTRAINT messenger_messages_lease_check ON messenger_messages IS NULL;
