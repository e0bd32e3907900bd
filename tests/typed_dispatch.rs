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

    // Every message type with a transport was exercised above.
    assert_eq!(
        [
            SendEmail::MESSAGE_TYPE,
            SmsNotification::MESSAGE_TYPE,
            UserSignedUp::MESSAGE_TYPE,
            WebhookDelivery::MESSAGE_TYPE,
        ],
        [
            "send_email",
            "sms_notification",
            "user_signed_up",
            "webhook_delivery"
        ]
    );
    assert_eq!(
        MESSAGE_TYPES,
        [
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
