-- =============================================================================
-- Symphony Messenger demo application: migration V2 — orders, a message type
-- with nested payloads
--
-- order_placed carries what real messages carry: a list of line items, a
-- shipping address, discounts, tags and free-form metadata. The nested objects
-- are declared in SQL, three ways:
--   * a table of messenger_payloads used as a type: `shipping
--     messenger_payloads.order_address` (one object) and `items
--     messenger_payloads.order_line_item[]` (a list). The nested table's NOT
--     NULL, DEFAULT and CHECKs hold inside the payload;
--   * a jsonb[] column whose COMMENT starts with `@payload <type>` (discounts):
--     the same, stored as jsonb;
--   * a composite type, `CREATE TYPE messenger_payloads.money AS (...)`: its
--     attributes can have no NOT NULL, DEFAULT or CHECK of their own — here the
--     domains cents and currency_code carry them.
--
-- Idempotent; rollback in schema/rollback/V2__orders.sql.
-- =============================================================================

DO $$
BEGIN
    IF to_regtype('messenger_payloads.cents') IS NULL THEN
        CREATE DOMAIN messenger_payloads.cents AS bigint NOT NULL
            CONSTRAINT cents_check CHECK (VALUE >= 0);
    END IF;
    IF to_regtype('messenger_payloads.currency_code') IS NULL THEN
        CREATE DOMAIN messenger_payloads.currency_code AS text NOT NULL
            CONSTRAINT currency_code_check CHECK (VALUE ~ '^[A-Z]{3}$');
    END IF;
    IF to_regtype('messenger_payloads.money') IS NULL THEN
        CREATE TYPE messenger_payloads.money AS (
            amount_cents  messenger_payloads.cents,
            currency      messenger_payloads.currency_code
        );
    END IF;
END
$$;
COMMENT ON DOMAIN messenger_payloads.cents IS 'An amount in the currency''s smallest unit.';
COMMENT ON DOMAIN messenger_payloads.currency_code IS 'An ISO 4217 currency code.';
COMMENT ON TYPE messenger_payloads.money IS 'An amount of money in one currency.';
COMMENT ON COLUMN messenger_payloads.money.amount_cents IS 'The amount, in cents (or the currency''s smallest unit).';
COMMENT ON COLUMN messenger_payloads.money.currency IS 'The ISO 4217 code of the currency.';

-- -----------------------------------------------------------------------------
-- order_line_item, order_address, order_discount: nested payloads of
-- order_placed (no transport accepts them on their own)
-- -----------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS messenger_payloads.order_line_item (
    sku         varchar(32) NOT NULL
                CONSTRAINT order_line_item_sku_check CHECK (sku ~ '^[A-Z0-9][A-Z0-9-]*$'),
    name        varchar(200) NOT NULL,
    quantity    integer NOT NULL DEFAULT 1
                CONSTRAINT order_line_item_quantity_check CHECK (quantity BETWEEN 1 AND 1000),
    unit_price  messenger_payloads.money NOT NULL,
    gift_note   varchar(500)
);
COMMENT ON TABLE messenger_payloads.order_line_item IS 'One line of an order.';
COMMENT ON COLUMN messenger_payloads.order_line_item.sku IS 'Stock keeping unit: capital letters, digits and hyphens.';
COMMENT ON COLUMN messenger_payloads.order_line_item.name IS 'Product name as shown to the customer.';
COMMENT ON COLUMN messenger_payloads.order_line_item.quantity IS 'Units ordered.';
COMMENT ON COLUMN messenger_payloads.order_line_item.unit_price IS 'Price of one unit.';
COMMENT ON COLUMN messenger_payloads.order_line_item.gift_note IS 'A note to print on the gift wrap, if any.';

CREATE TABLE IF NOT EXISTS messenger_payloads.order_address (
    recipient    varchar(200) NOT NULL,
    line1        varchar(200) NOT NULL,
    line2        varchar(200),
    city         varchar(100) NOT NULL,
    postal_code  varchar(16) NOT NULL,
    country      text NOT NULL
                 CONSTRAINT order_address_country_check CHECK (country ~ '^[A-Z]{2}$')
);
COMMENT ON TABLE messenger_payloads.order_address IS 'A postal address.';
COMMENT ON COLUMN messenger_payloads.order_address.recipient IS 'Who receives the parcel.';
COMMENT ON COLUMN messenger_payloads.order_address.line1 IS 'Street and number.';
COMMENT ON COLUMN messenger_payloads.order_address.line2 IS 'Apartment, floor, c/o.';
COMMENT ON COLUMN messenger_payloads.order_address.city IS 'City or town.';
COMMENT ON COLUMN messenger_payloads.order_address.postal_code IS 'Postal code as written in the country.';
COMMENT ON COLUMN messenger_payloads.order_address.country IS 'ISO 3166-1 alpha-2 country code.';

CREATE TABLE IF NOT EXISTS messenger_payloads.order_discount (
    code          varchar(32) NOT NULL
                  CONSTRAINT order_discount_code_check CHECK (code ~ '^[A-Z0-9]+$'),
    amount_cents  integer NOT NULL
                  CONSTRAINT order_discount_amount_cents_check CHECK (amount_cents > 0),
    source        text NOT NULL DEFAULT 'voucher'
                  CONSTRAINT order_discount_source_check CHECK (source IN ('voucher', 'loyalty', 'price_match'))
);
COMMENT ON TABLE messenger_payloads.order_discount IS 'A discount applied to an order.';
COMMENT ON COLUMN messenger_payloads.order_discount.code IS 'The voucher or promotion code.';
COMMENT ON COLUMN messenger_payloads.order_discount.amount_cents IS 'Amount taken off the total, in cents.';
COMMENT ON COLUMN messenger_payloads.order_discount.source IS 'Where the discount comes from.';

-- -----------------------------------------------------------------------------
-- order_placed
-- -----------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS messenger_payloads.order_placed (
    order_id     uuid NOT NULL,
    customer_id  uuid NOT NULL,
    placed_at    timestamptz NOT NULL,
    items        messenger_payloads.order_line_item[] NOT NULL
                 CONSTRAINT order_placed_items_check CHECK (cardinality(items) BETWEEN 1 AND 100),
    shipping     messenger_payloads.order_address NOT NULL,
    billing      messenger_payloads.order_address,
    discounts    jsonb[] NOT NULL DEFAULT '{}',
    total        messenger_payloads.money NOT NULL,
    tags         text[] NOT NULL DEFAULT '{}'
                 CONSTRAINT order_placed_tags_check CHECK (cardinality(tags) <= 20),
    metadata     jsonb
);
COMMENT ON TABLE messenger_payloads.order_placed IS 'A customer placed an order.';
COMMENT ON COLUMN messenger_payloads.order_placed.order_id IS 'The order''s id.';
COMMENT ON COLUMN messenger_payloads.order_placed.customer_id IS 'The customer''s id.';
COMMENT ON COLUMN messenger_payloads.order_placed.placed_at IS 'When the order was placed.';
COMMENT ON COLUMN messenger_payloads.order_placed.items IS 'The lines of the order, 1 to 100.';
COMMENT ON COLUMN messenger_payloads.order_placed.shipping IS 'Where to ship the order.';
COMMENT ON COLUMN messenger_payloads.order_placed.billing IS 'Billing address; the shipping address when absent.';
COMMENT ON COLUMN messenger_payloads.order_placed.discounts IS '@payload order_discount Discounts applied, in the order they were applied.';
COMMENT ON COLUMN messenger_payloads.order_placed.total IS 'Amount charged, after discounts.';
COMMENT ON COLUMN messenger_payloads.order_placed.tags IS 'Free-form labels, at most 20.';
COMMENT ON COLUMN messenger_payloads.order_placed.metadata IS 'Anything else the shop wants to pass on, any JSON value.';

INSERT INTO messenger_transports (name, type, config) VALUES
    ('orders', 'postgres', '{"message_types": ["order_placed"]}')
ON CONFLICT (name) DO NOTHING;
