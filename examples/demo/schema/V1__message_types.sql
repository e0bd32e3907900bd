-- =============================================================================
-- Symphony Messenger demo application: migration V1 — message types and transports
--
-- A message type is a table in the schema messenger_payloads that never holds
-- rows: its columns are the payload's fields, its NOT NULL / DEFAULT / CHECK /
-- varchar(n) / enum / array declarations are the payload's constraints, and its
-- COMMENTs are the documentation. messenger-gen turns each into a JSON Schema, a
-- TypeScript interface, a Zod schema and a Rust struct.
--
-- Conventions:
--   * a jsonb column whose COMMENT starts with `@payload <type>` must hold a
--     value of that message type (nested payloads);
--   * which transport accepts which message types is the JSON array
--     config->'message_types' of its row in messenger_transports (seeded here).
--
-- The queue's own schema (messenger_transports, ...) is applied before this by
-- `messenger-gen migrate up` / `symphony_messenger::migrate::up`.
-- Idempotent; rollback in schema/rollback/V1__message_types.sql.
-- =============================================================================

CREATE SCHEMA IF NOT EXISTS messenger_payloads;
COMMENT ON SCHEMA messenger_payloads IS
    'Message types: one table per type, never holding rows; its columns are the payload fields.';

-- The payload tables hold no data; nobody but the owner needs them.
REVOKE ALL ON SCHEMA messenger_payloads FROM PUBLIC;

DO $$
BEGIN
    IF to_regtype('messenger_payloads.notification_channel') IS NULL THEN
        CREATE TYPE messenger_payloads.notification_channel AS ENUM ('sms', 'push', 'email');
    END IF;
END
$$;
COMMENT ON TYPE messenger_payloads.notification_channel IS
    'A channel a notification can be delivered through.';

-- -----------------------------------------------------------------------------
-- retry_policy: a nested payload (used by webhook_delivery.retry_policy)
-- -----------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS messenger_payloads.retry_policy (
    max_attempts     integer NOT NULL
                     CONSTRAINT retry_policy_max_attempts_check CHECK (max_attempts BETWEEN 1 AND 20),
    backoff_seconds  double precision NOT NULL DEFAULT 1.5
                     CONSTRAINT retry_policy_backoff_seconds_check CHECK (backoff_seconds > 0 AND backoff_seconds <= 3600),
    retry_on_status  smallint[] NOT NULL DEFAULT '{500,502,503,504}'
);
COMMENT ON TABLE messenger_payloads.retry_policy IS 'How a failed delivery is retried.';
COMMENT ON COLUMN messenger_payloads.retry_policy.max_attempts IS 'Attempts in total, the first one included.';
COMMENT ON COLUMN messenger_payloads.retry_policy.backoff_seconds IS 'Delay before the first retry; doubled after each further failure.';
COMMENT ON COLUMN messenger_payloads.retry_policy.retry_on_status IS 'HTTP status codes that are retried.';

-- -----------------------------------------------------------------------------
-- send_email
-- -----------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS messenger_payloads.send_email (
    message_id   uuid NOT NULL,
    to_address   varchar(320) NOT NULL
                 CONSTRAINT send_email_to_address_check CHECK (to_address ~ '^[^@ ]+@[^@ ]+$'),
    cc           text[] NOT NULL DEFAULT '{}',
    subject      varchar(200) NOT NULL
                 CONSTRAINT send_email_subject_check CHECK (char_length(subject) >= 1),
    body_text    text NOT NULL
                 CONSTRAINT send_email_body_text_check CHECK (char_length(body_text) <= 100000),
    template     text
                 CONSTRAINT send_email_template_check CHECK (template IN ('welcome', 'reset_password', 'invoice')),
    priority     integer NOT NULL DEFAULT 5
                 CONSTRAINT send_email_priority_check CHECK (priority BETWEEN 1 AND 10),
    send_at      timestamptz
);
COMMENT ON TABLE messenger_payloads.send_email IS 'Send one email.';
COMMENT ON COLUMN messenger_payloads.send_email.message_id IS 'Unique id of this email, for deduplication by the mail provider.';
COMMENT ON COLUMN messenger_payloads.send_email.to_address IS 'Recipient address.';
COMMENT ON COLUMN messenger_payloads.send_email.cc IS 'Carbon-copy addresses.';
COMMENT ON COLUMN messenger_payloads.send_email.subject IS 'Subject line.';
COMMENT ON COLUMN messenger_payloads.send_email.body_text IS 'Plain-text body.';
COMMENT ON COLUMN messenger_payloads.send_email.template IS 'Template to render instead of the plain body, if any.';
COMMENT ON COLUMN messenger_payloads.send_email.priority IS 'Delivery priority, 1 (lowest) to 10 (highest).';
COMMENT ON COLUMN messenger_payloads.send_email.send_at IS 'Earliest time to send; now when absent.';

-- -----------------------------------------------------------------------------
-- webhook_delivery
-- -----------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS messenger_payloads.webhook_delivery (
    delivery_id   uuid NOT NULL,
    url           varchar(2048) NOT NULL
                  CONSTRAINT webhook_delivery_url_check CHECK (url ~ '^https?://[^ ]+$'),
    method        text NOT NULL DEFAULT 'POST'
                  CONSTRAINT webhook_delivery_method_check CHECK (method IN ('GET', 'POST', 'PUT', 'PATCH', 'DELETE')),
    request_body  jsonb,
    retry_policy  jsonb,
    timeout_ms    integer NOT NULL DEFAULT 5000
                  CONSTRAINT webhook_delivery_timeout_ms_check CHECK (timeout_ms > 0 AND timeout_ms <= 60000),
    sequence      bigint NOT NULL
                  CONSTRAINT webhook_delivery_sequence_check CHECK (sequence >= 0)
);
COMMENT ON TABLE messenger_payloads.webhook_delivery IS 'Deliver one HTTP request to a subscriber.';
COMMENT ON COLUMN messenger_payloads.webhook_delivery.delivery_id IS 'Unique id of this delivery, sent as the Idempotency-Key header.';
COMMENT ON COLUMN messenger_payloads.webhook_delivery.url IS 'Where to send the request.';
COMMENT ON COLUMN messenger_payloads.webhook_delivery.method IS 'HTTP method.';
COMMENT ON COLUMN messenger_payloads.webhook_delivery.request_body IS 'The JSON body to send, any JSON value.';
COMMENT ON COLUMN messenger_payloads.webhook_delivery.retry_policy IS '@payload retry_policy How to retry a failed delivery; the transport default when absent.';
COMMENT ON COLUMN messenger_payloads.webhook_delivery.timeout_ms IS 'Request timeout in milliseconds.';
COMMENT ON COLUMN messenger_payloads.webhook_delivery.sequence IS 'Per-subscriber sequence number (int8: see the int8 policy).';

-- -----------------------------------------------------------------------------
-- sms_notification
-- -----------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS messenger_payloads.sms_notification (
    phone_number  varchar(16) NOT NULL
                  CONSTRAINT sms_notification_phone_number_check CHECK (phone_number ~ '^\+[1-9][0-9]{6,14}$'),
    message       varchar(480) NOT NULL,
    channels      messenger_payloads.notification_channel[] NOT NULL DEFAULT '{sms}'
                  CONSTRAINT sms_notification_channels_check CHECK (cardinality(channels) >= 1),
    sender_ip     inet,
    expires_on    date,
    unicode       boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE messenger_payloads.sms_notification IS 'Notify a phone number by SMS (and optionally other channels).';
COMMENT ON COLUMN messenger_payloads.sms_notification.phone_number IS 'Destination in E.164 format.';
COMMENT ON COLUMN messenger_payloads.sms_notification.message IS 'Text to send.';
COMMENT ON COLUMN messenger_payloads.sms_notification.channels IS 'Channels to deliver through, at least one.';
COMMENT ON COLUMN messenger_payloads.sms_notification.sender_ip IS 'Address of the client that asked for the notification.';
COMMENT ON COLUMN messenger_payloads.sms_notification.expires_on IS 'Do not deliver after this day.';
COMMENT ON COLUMN messenger_payloads.sms_notification.unicode IS 'Send as UCS-2 instead of GSM-7.';

-- -----------------------------------------------------------------------------
-- user_signed_up
-- -----------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS messenger_payloads.user_signed_up (
    user_id        uuid NOT NULL,
    email          varchar(320) NOT NULL,
    display_name   varchar(100),
    plan           text NOT NULL DEFAULT 'free'
                   CONSTRAINT user_signed_up_plan_check CHECK (plan IN ('free', 'pro', 'enterprise')),
    referral_code  text
                   CONSTRAINT user_signed_up_referral_code_check CHECK (referral_code ~ '^[A-Z0-9]{8}$'),
    signed_up_at   timestamptz NOT NULL,
    birth_date     date,
    age            smallint
                   CONSTRAINT user_signed_up_age_check CHECK (age >= 13 AND age < 150),
    credit         numeric NOT NULL DEFAULT 0
                   CONSTRAINT user_signed_up_credit_check CHECK (credit >= 0 AND credit <= 1000000),
    interests      text[],
    marketing_opt_in boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE messenger_payloads.user_signed_up IS 'A user created an account.';
COMMENT ON COLUMN messenger_payloads.user_signed_up.user_id IS 'The new user''s id.';
COMMENT ON COLUMN messenger_payloads.user_signed_up.email IS 'The address the user signed up with.';
COMMENT ON COLUMN messenger_payloads.user_signed_up.display_name IS 'Name shown to other users.';
COMMENT ON COLUMN messenger_payloads.user_signed_up.plan IS 'Subscription plan chosen at sign-up.';
COMMENT ON COLUMN messenger_payloads.user_signed_up.referral_code IS 'Code of the referring user: eight capital letters or digits.';
COMMENT ON COLUMN messenger_payloads.user_signed_up.signed_up_at IS 'When the account was created.';
COMMENT ON COLUMN messenger_payloads.user_signed_up.birth_date IS 'Date of birth, if given.';
COMMENT ON COLUMN messenger_payloads.user_signed_up.age IS 'Age in years at sign-up, if known.';
COMMENT ON COLUMN messenger_payloads.user_signed_up.credit IS 'Starting credit in the account currency.';
COMMENT ON COLUMN messenger_payloads.user_signed_up.interests IS 'Topics the user picked.';
COMMENT ON COLUMN messenger_payloads.user_signed_up.marketing_opt_in IS 'Whether the user agreed to marketing email.';

-- -----------------------------------------------------------------------------
-- Transports and the message types each accepts.
-- -----------------------------------------------------------------------------
INSERT INTO messenger_transports (name, type, config) VALUES
    ('email', 'postgres', '{"message_types": ["send_email"]}'),
    ('webhooks', 'postgres', '{"message_types": ["webhook_delivery"]}'),
    ('notifications', 'postgres', '{"message_types": ["sms_notification", "send_email", "user_signed_up"]}')
ON CONFLICT (name) DO NOTHING;

DO $$
DECLARE
    missing text;
BEGIN
    SELECT string_agg(t, ', ') INTO missing
    FROM unnest(ARRAY['messenger_payloads.retry_policy', 'messenger_payloads.send_email',
                      'messenger_payloads.webhook_delivery', 'messenger_payloads.sms_notification',
                      'messenger_payloads.user_signed_up']) AS t
    WHERE to_regclass(t) IS NULL;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'symphony messenger V2 verification failed, missing: %', missing;
    END IF;
END
$$;
