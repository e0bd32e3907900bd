-- Rollback of V1__message_types.sql: the seeded transports, then the message types.
DELETE FROM messenger_transports WHERE name IN ('email', 'webhooks', 'notifications');
DROP TABLE IF EXISTS messenger_payloads.user_signed_up;
DROP TABLE IF EXISTS messenger_payloads.sms_notification;
DROP TABLE IF EXISTS messenger_payloads.webhook_delivery;
DROP TABLE IF EXISTS messenger_payloads.send_email;
DROP TABLE IF EXISTS messenger_payloads.retry_policy;
DROP TYPE IF EXISTS messenger_payloads.notification_channel;
DROP SCHEMA IF EXISTS messenger_payloads;
