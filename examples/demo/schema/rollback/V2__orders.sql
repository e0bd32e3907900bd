-- Rollback of V2__orders.sql: the transport, then the message types and the types they use.
DELETE FROM messenger_transports WHERE name = 'orders';
DROP TABLE IF EXISTS messenger_payloads.order_placed;
DROP TABLE IF EXISTS messenger_payloads.order_discount;
DROP TABLE IF EXISTS messenger_payloads.order_address;
DROP TABLE IF EXISTS messenger_payloads.order_line_item;
DROP TYPE IF EXISTS messenger_payloads.money;
DROP DOMAIN IF EXISTS messenger_payloads.currency_code;
DROP DOMAIN IF EXISTS messenger_payloads.cents;
