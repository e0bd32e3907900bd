-- Rollback of V3__outbox.sql.
DROP TABLE IF EXISTS demo_outbox;
