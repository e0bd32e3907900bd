-- =============================================================================
-- Symphony Messenger demo application: migration V2 — the outbox
--
-- What the demo's worker "sends": each handled send_email becomes a row here,
-- written in the same transaction as the message's ack (Context::ack_in), so a
-- message is in the outbox exactly once however often its worker crashes.
-- Idempotent; rollback in schema/rollback/V3__outbox.sql.
-- =============================================================================

CREATE TABLE IF NOT EXISTS demo_outbox (
    message_id  bigint PRIMARY KEY,
    to_address  text NOT NULL,
    subject     text NOT NULL,
    sent_at     timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE demo_outbox IS 'Emails the demo worker has sent: one row per handled send_email message.';
COMMENT ON COLUMN demo_outbox.message_id IS 'The id of the handled message in messenger_messages; unique, so a message is sent once.';
COMMENT ON COLUMN demo_outbox.to_address IS 'The recipient.';
COMMENT ON COLUMN demo_outbox.subject IS 'The subject line.';
COMMENT ON COLUMN demo_outbox.sent_at IS 'When the worker sent it.';

-- Like the queue's tables: nothing for Supabase's anon and authenticated roles.
ALTER TABLE demo_outbox ENABLE ROW LEVEL SECURITY;
