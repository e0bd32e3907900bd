-- =============================================================================
-- Symphony Messenger: rollback of migration V3 (consuming)
--
-- Drops what V3__consuming.sql created, in dependency order (trigger, function,
-- column, sequence), and restores the table's default autovacuum settings.
-- IF EXISTS everywhere, so it can run twice; no CASCADE.
-- =============================================================================

DROP TRIGGER IF EXISTS trg_messenger_messages_notify ON messenger_messages;
DROP FUNCTION IF EXISTS messenger_notify_consumable();

ALTER TABLE messenger_messages RESET (
    autovacuum_vacuum_scale_factor,
    autovacuum_vacuum_threshold,
    autovacuum_vacuum_insert_scale_factor,
    autovacuum_analyze_scale_factor,
    autovacuum_vacuum_cost_delay
);

ALTER TABLE messenger_messages DROP COLUMN IF EXISTS lease_token;
DROP SEQUENCE IF EXISTS messenger_lease_token_seq;
