// Type-level tests of the generated TypeScript: this file compiles (tsc --strict, see
// tsconfig.json) only when `Database` and the payload types say what the SQL schema says.
//
// supabase-js types a `Database` that does not fit its schema shape as `never` without any
// error: `select` data becomes `never[]` (assignable to anything), unknown table names are
// accepted and only inserts complain. So everything below asserts POSITIVE facts with a strict
// `Equals` (a `never` or `any` never equals the expected type), and every `@ts-expect-error`
// is paired with a statement just like it that must compile.

import { createClient } from "@supabase/supabase-js";
import type { z } from "zod";

import type { Constants, Database, Enums, Json, Tables, TablesInsert } from "@generated/database.js";
import type {
  EmailMessage,
  MessageTypes,
  Money,
  OrderAddress,
  OrderDiscount,
  OrderLineItem,
  OrderPlaced,
  OrdersMessage,
  RetryPolicy,
  SendEmail,
  SmsNotification,
  UserSignedUp,
  WebhookDelivery,
} from "@generated/payloads.js";
import {
  MESSAGE_TYPE_SCHEMAS,
  MoneySchema,
  OrderPlacedSchema,
  RetryPolicySchema,
  SendEmailSchema,
  SmsNotificationSchema,
  UserSignedUpSchema,
  WebhookDeliverySchema,
} from "@generated/zod.js";

/** `true` exactly when A and B are the same type (not merely mutually assignable). */
type Equals<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** `true` when T is `never` (a broken supabase-js schema makes rows `never`). */
type IsNever<T> = [T] extends [never] ? true : false;

/** `true` when T is `any`. */
type IsAny<T> = 0 extends 1 & T ? true : false;

type MessageStatus = "pending" | "processing" | "completed" | "failed";

const supabase = createClient<Database>("http://localhost", "key");

// ---------------------------------------------------------------------------------------------
// Database: the shape supabase-js needs, so that the client is typed at all.
// ---------------------------------------------------------------------------------------------

const _statusEnum: Equals<Database["public"]["Enums"]["messenger_message_status"], MessageStatus> =
  true;
const _statusEnumHelper: Equals<Enums<"messenger_message_status">, MessageStatus> = true;
const _statusConstants: Equals<
  (typeof Constants)["public"]["Enums"]["messenger_message_status"][number],
  MessageStatus
> = true;
const _tableNames: Equals<
  keyof Database["public"]["Tables"],
  | "demo_outbox"
  | "messenger_failed_messages"
  | "messenger_messages"
  | "messenger_schedules"
  | "messenger_transports"
> = true;
// The demo application's own table (its worker's outbox) is typed like the queue's.
const _outboxId: Equals<Tables<"demo_outbox">["message_id"], number> = true;
const _outboxSentAt: Equals<TablesInsert<"demo_outbox">["sent_at"], string | undefined> = true;
const _viewNames: Equals<
  keyof Database["public"]["Views"],
  "messenger_failed_summary" | "messenger_queue_depth" | "messenger_schedules_summary"
> = true;

type MessageRow = Tables<"messenger_messages">;
const _rowId: Equals<MessageRow["id"], number> = true;
const _rowBody: Equals<MessageRow["body"], Json> = true;
const _rowStatus: Equals<MessageRow["status"], MessageStatus> = true;
const _rowPriority: Equals<MessageRow["priority"], number> = true;
const _rowNullable: Equals<MessageRow["last_error"], string | null> = true;
const _rowTimestamp: Equals<MessageRow["available_at"], string> = true;

type MessageInsert = TablesInsert<"messenger_messages">;
// GENERATED ALWAYS AS IDENTITY: `id?: never`.
const _insertId: Equals<MessageInsert["id"], undefined> = true;
const _insertBody: Equals<MessageInsert["body"], Json> = true;
const _insertStatus: Equals<MessageInsert["status"], MessageStatus | undefined> = true;

export async function selects(): Promise<void> {
  const { data, error } = await supabase.from("messenger_messages").select("id, status");
  if (error !== null || data === null) return;
  type Row = (typeof data)[number];
  const _notNever: IsNever<Row> = false;
  const _notAny: IsAny<Row> = false;
  const _keys: Equals<keyof Row, "id" | "status"> = true;
  const _id: Equals<Row["id"], number> = true;
  const _status: Equals<Row["status"], MessageStatus> = true;

  const { data: all } = await supabase.from("messenger_messages").select("*");
  if (all === null) return;
  const _allBody: Equals<(typeof all)[number]["body"], Json> = true;
  const _allLocked: Equals<(typeof all)[number]["locked_by"], string | null> = true;

  // A view is queryable and typed too.
  const { data: depth } = await supabase.from("messenger_queue_depth").select("*");
  if (depth === null) return;
  type DepthRow = (typeof depth)[number];
  const _depthNotNever: IsNever<DepthRow> = false;
  const _depthKeysNotNever: IsNever<keyof DepthRow> = false;

  // A filter on an enum column takes the enum's literals.
  await supabase.from("messenger_messages").select("id").eq("status", "pending");
  // @ts-expect-error "done" is not a messenger_message_status
  await supabase.from("messenger_messages").select("id").eq("status", "done");
}

export async function inserts(): Promise<void> {
  // A complete insert compiles...
  await supabase
    .from("messenger_messages")
    .insert({ transport_name: "email", body: { hello: "world" }, status: "pending", priority: 5 });
  await supabase.from("messenger_messages").insert({ transport_name: "email", body: null });

  // @ts-expect-error body is required (NOT NULL without DEFAULT)
  await supabase.from("messenger_messages").insert({ transport_name: "email" });
  // @ts-expect-error transport_name is required (NOT NULL without DEFAULT)
  await supabase.from("messenger_messages").insert({ body: {} });
  // @ts-expect-error "done" is not a messenger_message_status
  await supabase.from("messenger_messages").insert({ transport_name: "email", body: {}, status: "done" });
  // @ts-expect-error id is GENERATED ALWAYS AS IDENTITY: not insertable
  await supabase.from("messenger_messages").insert({ id: 1, transport_name: "email", body: {} });
  // @ts-expect-error priority is a number, not a string
  await supabase.from("messenger_messages").insert({ transport_name: "email", body: {}, priority: "5" });

  // A typed payload is a jsonb value (payload types are type aliases, so they fit `Json`):
  // inserting one as a message body compiles...
  await supabase.from("messenger_messages").insert({ transport_name: "email", body: minimalEmail });
  const envelope: EmailMessage = { headers: { message_type: "send_email", trace: "t-1" }, body: fullEmail };
  await supabase
    .from("messenger_messages")
    .insert({ transport_name: "email", body: envelope.body, headers: envelope.headers });
  // ...and a body with a field its message type does not have is rejected.
  await supabase.from("messenger_messages").insert({
    transport_name: "email",
    // @ts-expect-error `urgent` is not a field of send_email
    body: { ...minimalEmail, urgent: true } satisfies SendEmail,
  });

  // An update may leave everything out but still checks the enum.
  await supabase.from("messenger_messages").update({ status: "completed" }).eq("id", 1);
  // @ts-expect-error "done" is not a messenger_message_status
  await supabase.from("messenger_messages").update({ status: "done" }).eq("id", 1);
}

export function unknownTables(): void {
  supabase.from("messenger_transports");
  // @ts-expect-error no such table or view
  supabase.from("no_such_table");
  // @ts-expect-error message types live in messenger_payloads, not in the public API
  supabase.from("send_email");
}

// ---------------------------------------------------------------------------------------------
// Payloads: every Zod schema infers exactly its interface.
// ---------------------------------------------------------------------------------------------

const _retryPolicy: Equals<z.infer<typeof RetryPolicySchema>, RetryPolicy> = true;
const _sendEmail: Equals<z.infer<typeof SendEmailSchema>, SendEmail> = true;
const _smsNotification: Equals<z.infer<typeof SmsNotificationSchema>, SmsNotification> = true;
const _userSignedUp: Equals<z.infer<typeof UserSignedUpSchema>, UserSignedUp> = true;
const _webhookDelivery: Equals<z.infer<typeof WebhookDeliverySchema>, WebhookDelivery> = true;
const _orderPlaced: Equals<z.infer<typeof OrderPlacedSchema>, OrderPlaced> = true;
// A composite type (CREATE TYPE) has an interface and a schema, but is no message type.
const _money: Equals<z.infer<typeof MoneySchema>, Money> = true;
const _moneyNotAMessage: Equals<Extract<keyof MessageTypes, "money">, never> = true;

// The same for every message type there is, so a new type cannot be forgotten here.
type Inferred = {
  -readonly [K in keyof typeof MESSAGE_TYPE_SCHEMAS]: z.infer<(typeof MESSAGE_TYPE_SCHEMAS)[K]>;
};
const _sameNames: Equals<keyof Inferred, keyof MessageTypes> = true;
const _everyType: Equals<Inferred, MessageTypes> = true;
const _notNeverPayload: IsNever<SendEmail["to_address"]> = false;

const uuid = "6f1c1d7e-8a51-4f61-9a53-2a4f1c2b9e10";

export const minimalEmail: SendEmail = {
  message_id: uuid,
  to_address: "ada@example.com",
  subject: "Hello",
  body_text: "Hi Ada",
};
export const fullEmail: SendEmail = {
  ...minimalEmail,
  cc: ["bob@example.com"],
  template: "welcome",
  priority: 10,
  send_at: null,
};
// @ts-expect-error to_address is required
export const emailWithoutAddress: SendEmail = { message_id: uuid, subject: "Hello", body_text: "Hi" };
export const emailWithWrongTemplate: SendEmail = {
  ...minimalEmail,
  // @ts-expect-error "goodbye" is not one of the template IN-list values
  template: "goodbye",
};
export const emailWithNullPriority: SendEmail = {
  ...minimalEmail,
  // @ts-expect-error priority is NOT NULL (with a DEFAULT): optional, but never null
  priority: null,
};

export const sms: SmsNotification = { phone_number: "+15551234567", message: "hi", channels: ["push"] };
export const smsWithWrongChannel: SmsNotification = {
  phone_number: "+15551234567",
  message: "hi",
  // @ts-expect-error "fax" is not a notification_channel
  channels: ["fax"],
};

export const user: UserSignedUp = {
  user_id: uuid,
  email: "ada@example.com",
  signed_up_at: "2024-01-01T00:00:00Z",
  plan: "pro",
  age: null,
};
export const userWithWrongPlan: UserSignedUp = {
  user_id: uuid,
  email: "ada@example.com",
  signed_up_at: "2024-01-01T00:00:00Z",
  // @ts-expect-error "gold" is not a plan
  plan: "gold",
};

export const webhook: WebhookDelivery = {
  delivery_id: uuid,
  url: "https://example.com/hook",
  sequence: 7,
  request_body: { any: ["json", 1, true, null] },
  retry_policy: { max_attempts: 3 },
};
export const webhookWithBadPolicy: WebhookDelivery = {
  delivery_id: uuid,
  url: "https://example.com/hook",
  sequence: 7,
  // @ts-expect-error a nested retry_policy needs max_attempts
  retry_policy: { backoff_seconds: 2 },
};
export const webhookWithExtraKey: WebhookDelivery = {
  delivery_id: uuid,
  url: "https://example.com/hook",
  sequence: 7,
  // @ts-expect-error no such field (additionalProperties: false)
  unexpected: 1,
};

// Nested payloads: a list of a payload table's rows, one required and one nullable row, a
// jsonb[] tagged `@payload`, and a composite type (its attributes required only through their
// domains' NOT NULL).
const _items: Equals<OrderPlaced["items"], OrderLineItem[]> = true;
const _shipping: Equals<OrderPlaced["shipping"], OrderAddress> = true;
const _billing: Equals<OrderPlaced["billing"], OrderAddress | null | undefined> = true;
const _discounts: Equals<OrderPlaced["discounts"], OrderDiscount[] | undefined> = true;
const _total: Equals<OrderPlaced["total"], Money> = true;
const _unitPrice: Equals<OrderLineItem["unit_price"], Money> = true;
const _amount: Equals<Money["amount_cents"], number> = true;
const _ordersCarry: Equals<OrdersMessage["body"], OrderPlaced> = true;

const lineItem: OrderLineItem = {
  sku: "TEA-EARL-GREY",
  name: "Earl Grey",
  unit_price: { amount_cents: 450, currency: "EUR" },
};
const address: OrderAddress = {
  recipient: "Ada Lovelace",
  line1: "12 St James's Square",
  city: "London",
  postal_code: "SW1Y 4JH",
  country: "GB",
};
export const order: OrderPlaced = {
  order_id: uuid,
  customer_id: uuid,
  placed_at: "2026-11-28T09:15:00+01:00",
  items: [lineItem, { ...lineItem, quantity: 2, gift_note: null }],
  shipping: address,
  billing: null,
  discounts: [{ code: "WELCOME10", amount_cents: 300, source: "loyalty" }],
  total: { amount_cents: 1050, currency: "EUR" },
};
export const orderWithBadItem: OrderPlaced = {
  ...order,
  items: [
    lineItem,
    // @ts-expect-error a line item needs its unit_price
    { sku: "MUG-01", name: "Mug" },
  ],
};
export const orderWithNullItem: OrderPlaced = {
  ...order,
  // @ts-expect-error items are never null (PostgreSQL arrays take NULL; the contract does not)
  items: [lineItem, null],
};
export const orderWithExtraItemKey: OrderPlaced = {
  ...order,
  // @ts-expect-error no such field in a line item (additionalProperties: false)
  items: [{ ...lineItem, colour: "red" }],
};
export const orderWithNullShipping: OrderPlaced = {
  ...order,
  // @ts-expect-error shipping is NOT NULL
  shipping: null,
};
export const orderWithBadDiscount: OrderPlaced = {
  ...order,
  // @ts-expect-error "coupon" is not a source of order_discount
  discounts: [{ code: "X", amount_cents: 1, source: "coupon" }],
};
export const orderWithPartialMoney: OrderPlaced = {
  ...order,
  // @ts-expect-error the domain of currency is NOT NULL, so a money needs it
  total: { amount_cents: 1050 },
};
