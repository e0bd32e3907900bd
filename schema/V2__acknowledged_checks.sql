-- =============================================================================
-- Symphony Messenger: migration V2 — acknowledged multi-column CHECKs
--
-- messenger-gen warns about every CHECK it cannot translate into JSON Schema,
-- TypeScript, Zod and Rust (these two span several columns). Both guard rows
-- that only the runtime's own statements write, never a JSON payload, so only
-- PostgreSQL needs to enforce them; the COMMENTs say so, which acknowledges the
-- warnings (`@messenger-gen allow(<code>) <reason>`).
-- =============================================================================

COMMENT ON CONSTRAINT messenger_messages_lease_check ON messenger_messages IS
    'A message in status processing is leased: locked_by and lock_expires_at are set.
@messenger-gen allow(untranslated-check) queue rows are written by the runtime''s statements, not from JSON; PostgreSQL enforces it.';

COMMENT ON CONSTRAINT messenger_schedules_definition_check ON messenger_schedules IS
    'A schedule has the definition its type needs: a cron expression, an interval or a run time.
@messenger-gen allow(untranslated-check) schedules are validated by the runtime and the CLI before they are written; PostgreSQL enforces it.';
