-- =============================================================================
-- Symphony Messenger — transport registry (cornucopia query module `transports`).
--
-- The column `type` is a Rust keyword: the generated field/parameter is `r#type`.
-- =============================================================================


--! get_transport
--- Returns the transport named `name`, or no row when there is none (the name is
--- unique: uq_messenger_transports_name).
SELECT
    t.id,
    t.name,
    t.type,
    t.config,
    t.enabled,
    t.created_at,
    t.updated_at
FROM messenger_transports t
WHERE t.name = :name::text;


--! list_transports
--- Returns every registered transport, ordered by name.
SELECT
    t.id,
    t.name,
    t.type,
    t.config,
    t.enabled,
    t.created_at,
    t.updated_at
FROM messenger_transports t
ORDER BY t.name;


--! upsert_transport
--- Registers transport `name`, or, if it already exists, overwrites its type, config
--- and enabled flag (created_at is kept; updated_at is bumped by the trigger, even
--- when nothing changed). Returns the transport's id, new or existing. Race-free:
--- concurrent upserts of the same name serialize on the unique index
--- uq_messenger_transports_name, the last one wins. The name must match
--- `^[a-z][a-z0-9_.-]*$` (check constraint messenger_transports_name_check).
INSERT INTO messenger_transports AS t (name, type, config, enabled)
VALUES (:name::text, :type::text, :config::jsonb, :enabled::boolean)
ON CONFLICT (name) DO UPDATE
SET type = EXCLUDED.type,
    config = EXCLUDED.config,
    enabled = EXCLUDED.enabled
RETURNING t.id;
