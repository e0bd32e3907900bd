//! `symphony-demo`: migrates a database (the queue's schema, then the demo's message types) and
//! dispatches one message of each type through every transport that accepts it — an order with
//! nested line items among them.
//!
//! `DATABASE_URL=postgres://postgres@127.0.0.1:5432/demo cargo run -p symphony-demo`
//!
//! `symphony-demo schedule` runs the demo's scheduler instead (see `schedule.rs`).

mod schedule;

use symphony_demo::messages::{self, *};
use symphony_messenger::chrono::{DateTime, NaiveDate};
use symphony_messenger::deadpool_postgres;
use symphony_messenger::dispatch::{DispatchOptions, Messenger};
use symphony_messenger::migrate;
use symphony_messenger::tokio_postgres::NoTls;

type Error = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let result = match std::env::args().nth(1).as_deref() {
        Some("schedule") => schedule::run().await,
        _ => run().await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Error> {
    let url = std::env::var("DATABASE_URL")
        .map_err(|_| "set DATABASE_URL to the database to use (it is migrated first)")?;
    let (mut client, connection) = symphony_messenger::tokio_postgres::connect(&url, NoTls).await?;
    tokio::spawn(connection);
    let applied = migrate::up(&mut client, Some(&messages::migrations()?)).await?;
    for id in applied.queue.iter().chain(&applied.application) {
        println!("applied {id}");
    }

    let mut config = deadpool_postgres::Config::new();
    config.url = Some(url);
    let pool = config.create_pool(Some(deadpool_postgres::Runtime::Tokio1), NoTls)?;
    let messenger = Messenger::new(pool, messages::registry());
    let options = DispatchOptions::default();

    let email = SendEmail {
        message_id: "6f1c1d7e-8a51-4f61-9a53-2a4f1c2b9e10".parse()?,
        to_address: "ada@example.com".into(),
        cc: vec![],
        subject: "Welcome".into(),
        body_text: "Hello, Ada.".into(),
        template: Some(SendEmailTemplate::Welcome),
        priority: 5,
        send_at: None,
    };
    let sent = messenger
        .dispatch::<EmailTransport, _>(&email, &options)
        .await?;
    println!("dispatched send_email to email: id {}", sent.id);
    let sent = messenger
        .dispatch::<NotificationsTransport, _>(&email, &options)
        .await?;
    println!("dispatched send_email to notifications: id {}", sent.id);

    let sms = SmsNotification {
        phone_number: "+4915112345678".into(),
        message: "Your code is 1234".into(),
        channels: vec![NotificationChannel::Sms],
        sender_ip: None,
        expires_on: Some(NaiveDate::from_ymd_opt(2026, 12, 31).ok_or("a date")?),
        unicode: false,
    };
    let sent = messenger
        .dispatch::<NotificationsTransport, _>(&sms, &options)
        .await?;
    println!(
        "dispatched sms_notification to notifications: id {}",
        sent.id
    );

    let signed_up = UserSignedUp {
        user_id: "0b6f8d1e-2f6a-4c1e-8d3b-5a7c9e1f2a3b".parse()?,
        email: "grace@example.com".into(),
        display_name: Some("Grace".into()),
        plan: UserSignedUpPlan::Free,
        referral_code: None,
        signed_up_at: DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")?,
        birth_date: None,
        age: None,
        credit: 0.0,
        interests: None,
        marketing_opt_in: true,
    };
    let sent = messenger
        .dispatch::<NotificationsTransport, _>(&signed_up, &options)
        .await?;
    println!("dispatched user_signed_up to notifications: id {}", sent.id);

    let hook: WebhookDelivery =
        symphony_messenger::serde_json::from_value(symphony_messenger::serde_json::json!({
            "delivery_id": "2b1f7c3e-6d4a-4e8b-9f0c-1a2b3c4d5e6f",
            "url": "https://example.com/hooks/orders",
            "request_body": {"order": 42},
            "retry_policy": {"max_attempts": 3},
            "sequence": 1
        }))?;
    let sent = messenger
        .dispatch::<WebhooksTransport, _>(&hook, &options)
        .await?;
    println!("dispatched webhook_delivery to webhooks: id {}", sent.id);

    dispatch_order(&messenger, &options).await?;
    Ok(())
}

/// An order with line items, a shipping address and a discount: nested payloads, each checked
/// against the order_placed schema (`/items/1/unit_price/currency`, ...) before it is sent.
async fn dispatch_order(messenger: &Messenger, options: &DispatchOptions) -> Result<(), Error> {
    let euros = |amount_cents| Money {
        amount_cents,
        currency: "EUR".into(),
    };
    let item = |sku: &str, name: &str, quantity, cents| OrderLineItem {
        sku: sku.into(),
        name: name.into(),
        quantity,
        unit_price: euros(cents),
        gift_note: None,
    };
    let order = OrderPlaced {
        order_id: "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c".parse()?,
        customer_id: "0b6f8d1e-2f6a-4c1e-8d3b-5a7c9e1f2a3b".parse()?,
        placed_at: DateTime::parse_from_rfc3339("2026-11-28T09:15:00+01:00")?,
        items: vec![
            item("TEA-EARL-GREY", "Earl Grey, 250 g", 2, 450),
            item("MUG-01", "Mug", 1, 1299),
        ],
        shipping: OrderAddress {
            recipient: "Ada Lovelace".into(),
            line1: "12 St James's Square".into(),
            line2: None,
            city: "London".into(),
            postal_code: "SW1Y 4JH".into(),
            country: "GB".into(),
        },
        billing: None,
        discounts: vec![OrderDiscount {
            code: "WELCOME10".into(),
            amount_cents: 300,
            source: OrderDiscountSource::Voucher,
        }],
        total: euros(1899),
        tags: vec!["first-order".into()],
        metadata: None,
    };
    let sent = messenger
        .dispatch::<OrdersTransport, _>(&order, options)
        .await?;
    println!(
        "dispatched order_placed ({} line items) to orders: id {}",
        order.items.len(),
        sent.id
    );
    Ok(())
}
