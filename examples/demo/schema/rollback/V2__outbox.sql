-- Rollback of V2__outbox.sql.
DROP TABLE IF EXISTS demo_outbox;
