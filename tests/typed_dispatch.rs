//! Typed dispatch of every generated message type round-trips: what is read back from
//! `messenger_messages.body` deserialises to an equal struct, and the compiler only lets a
//! message go to a transport that accepts it.

use chrono::{DateTime, NaiveDate};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use symphony_messenger::dispatch::{DispatchOptions, Messenger};
use symphony_messenger::message::{Accepts, Message, Transport};

mod demo;
use demo::messages::*;

async fn round_trip<T, M>(messenger: &Messenger, client: &tokio_postgres::Client, message: &M)
where
    T: Accepts<M>,
    M: Message + PartialEq + std::fmt::Debug + DeserializeOwned,
{
    let sent = messenger
        .dispatch::<T, M>(message, &DispatchOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", M::MESSAGE_TYPE));
    let row = client
        .query_one(
            "SELECT transport_name, headers, body FROM messenger_messages WHERE id = $1",
            &[&sent.id],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), T::NAME);
    assert_eq!(row.get::<_, Value>(1)["message_type"], M::MESSAGE_TYPE);
    let back: M = serde_json::from_value(row.get::<_, Value>(2)).unwrap();
    assert_eq!(&back, message, "{} did not round-trip", M::MESSAGE_TYPE);
}

fn at(text: &str) -> DateTime<chrono::FixedOffset> {
    DateTime::parse_from_rfc3339(text).unwrap()
}

fn euros(amount_cents: i64) -> Money {
    Money {
        amount_cents,
        currency: "EUR".into(),
    }
}

/// An order with every nested form: a list of line items (a payload table's row type, each
/// with a composite `money` inside), addresses (one required, one optional), discounts (jsonb[]
/// tagged `@payload`), a composite total, tags and metadata.
fn order() -> OrderPlaced {
    let item = |sku: &str, quantity: i32, cents: i64| OrderLineItem {
        sku: sku.into(),
        name: format!("Product {sku}"),
        quantity,
        unit_price: euros(cents),
        gift_note: None,
    };
    OrderPlaced {
        order_id: "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c".parse().unwrap(),
        customer_id: "7c6b5a49-3827-4160-9f8e-7d6c5b4a3928".parse().unwrap(),
        placed_at: at("2026-11-28T09:15:00+01:00"),
        items: vec![
            item("TEA-EARL-GREY", 2, 450),
            OrderLineItem {
                gift_note: Some("Happy birthday, Ada! 🎂".into()),
                ..item("MUG-01", 1, 1299)
            },
            item("SPOON-7", 6, 199),
        ],
        shipping: OrderAddress {
            recipient: "Ada Lovelace".into(),
            line1: "12 St James's Square".into(),
            line2: None,
            city: "London".into(),
            postal_code: "SW1Y 4JH".into(),
            country: "GB".into(),
        },
        billing: Some(OrderAddress {
            recipient: "Charles Babbage".into(),
            line1: "1 Dorset Street".into(),
            line2: Some("c/o The Analytical Society".into()),
            city: "London".into(),
            postal_code: "W1U 4EG".into(),
            country: "GB".into(),
        }),
        discounts: vec![OrderDiscount {
            code: "WELCOME10".into(),
            amount_cents: 300,
            source: OrderDiscountSource::Voucher,
        }],
        total: euros(3093),
        tags: vec!["gift".into(), "first-order".into()],
        metadata: Some(json!({"channel": "web", "ab_test": ["b", 2]})),
    }
}

#[tokio::test]
async fn every_message_type_round_trips_through_every_transport_that_accepts_it() {
    let (_db, messenger, client) = demo::migrated(2).await;

    let email = SendEmail {
        message_id: "6f1c1d7e-8a51-4f61-9a53-2a4f1c2b9e10".parse().unwrap(),
        to_address: "ada@example.com".into(),
        cc: vec!["charles@example.com".into()],
        subject: "Notes — on the engine 😀".into(),
        body_text: "Hi".into(),
        template: Some(SendEmailTemplate::ResetPassword),
        priority: 10,
        send_at: Some(at("2026-11-28T10:00:00.250+01:00")),
    };
    round_trip::<EmailTransport, _>(&messenger, &client, &email).await;
    round_trip::<NotificationsTransport, _>(&messenger, &client, &email).await;

    let sms = SmsNotification {
        phone_number: "+4915112345678".into(),
        message: "Your code is 1234".into(),
        channels: vec![NotificationChannel::Sms, NotificationChannel::Push],
        sender_ip: Some("2001:db8::1".parse().unwrap()),
        expires_on: Some(NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()),
        unicode: true,
    };
    round_trip::<NotificationsTransport, _>(&messenger, &client, &sms).await;

    let signed_up = UserSignedUp {
        user_id: "0b6f8d1e-2f6a-4c1e-8d3b-5a7c9e1f2a3b".parse().unwrap(),
        email: "grace@example.com".into(),
        display_name: None,
        plan: UserSignedUpPlan::Enterprise,
        referral_code: Some("AB12CD34".into()),
        signed_up_at: at("2026-01-02T03:04:05Z"),
        birth_date: Some(NaiveDate::from_ymd_opt(1906, 12, 9).unwrap()),
        age: Some(119),
        credit: 12.5,
        interests: Some(vec!["compilers".into(), "navy".into()]),
        marketing_opt_in: false,
    };
    round_trip::<NotificationsTransport, _>(&messenger, &client, &signed_up).await;

    let webhook = WebhookDelivery {
        delivery_id: "9d3c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a09".parse().unwrap(),
        url: "https://example.com/hooks/1".into(),
        method: WebhookDeliveryMethod::Patch,
        request_body: Some(json!({"nested": [1, "two", null, {"three": true}]})),
        retry_policy: Some(RetryPolicy {
            max_attempts: 5,
            backoff_seconds: 0.5,
            retry_on_status: vec![429, 503],
        }),
        timeout_ms: 60_000,
        sequence: 9_007_199_254_740_991,
    };
    round_trip::<WebhooksTransport, _>(&messenger, &client, &webhook).await;

    round_trip::<OrdersTransport, _>(&messenger, &client, &order()).await;

    // Every message type with a transport was exercised above.
    assert_eq!(
        [
            OrderPlaced::MESSAGE_TYPE,
            SendEmail::MESSAGE_TYPE,
            SmsNotification::MESSAGE_TYPE,
            UserSignedUp::MESSAGE_TYPE,
            WebhookDelivery::MESSAGE_TYPE,
        ],
        [
            "order_placed",
            "send_email",
            "sms_notification",
            "user_signed_up",
            "webhook_delivery"
        ]
    );
    assert_eq!(
        MESSAGE_TYPES,
        [
            "order_address",
            "order_discount",
            "order_line_item",
            "order_placed",
            "retry_policy",
            "send_email",
            "sms_notification",
            "user_signed_up",
            "webhook_delivery"
        ],
        "a message type was added: add it to this test"
    );
    assert_eq!(EmailTransport::MESSAGE_TYPES, ["send_email"]);
    assert_eq!(SendEmail::TRANSPORTS, ["email", "notifications"]);
}

#[tokio::test]
async fn an_invalid_line_item_is_refused_with_a_pointer_into_the_list() {
    // The struct's types cannot say "sku matches ^[A-Z0-9][A-Z0-9-]*$" or "1..100 items";
    // validation reports where in the nested list the problem is, before any SQL.
    let (_db, messenger, client) = demo::migrated(1).await;
    let mut bad = order();
    bad.items[2].sku = "spoon 7".into();
    bad.items[1].unit_price.currency = "euro".into();
    let err = messenger
        .dispatch::<OrdersTransport, _>(&bad, &DispatchOptions::default())
        .await
        .unwrap_err();
    let shown = err.to_string();
    assert!(shown.contains("at /items/2/sku"), "{shown}");
    assert!(shown.contains("at /items/1/unit_price/currency"), "{shown}");
    let mut empty = order();
    empty.items.clear();
    let shown = messenger
        .dispatch::<OrdersTransport, _>(&empty, &DispatchOptions::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(shown.contains("at /items"), "{shown}");
    let rows: i64 = client
        .query_one("SELECT count(*) FROM messenger_messages", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, 0);
}

#[tokio::test]
async fn a_typed_message_breaking_a_check_is_refused_before_sql() {
    // The struct's types cannot express every CHECK (priority 1..=10); validation still runs.
    let (_db, messenger, client) = demo::migrated(1).await;
    let email = SendEmail {
        message_id: uuid::Uuid::nil(),
        to_address: "not an address".into(),
        cc: Vec::new(),
        subject: "s".into(),
        body_text: "b".into(),
        template: None,
        priority: 11,
        send_at: None,
    };
    let err = messenger
        .dispatch::<EmailTransport, _>(&email, &DispatchOptions::default())
        .await
        .unwrap_err();
    let shown = err.to_string();
    assert!(shown.contains("at /priority"), "{shown}");
    assert!(shown.contains("at /to_address"), "{shown}");
    let rows: i64 = client
        .query_one("SELECT count(*) FROM messenger_messages", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, 0);
}
