//! `symphony-demo`: the demo application's binary.
//!
//! - `symphony-demo [dispatch]` migrates the database (the queue's schema, then the demo's
//!   message types and outbox) and dispatches one message of each type through every transport
//!   that accepts it — an order with nested line items among them;
//! - `symphony-demo worker [--transport T] ...` consumes a transport until SIGINT or SIGTERM,
//!   then drains. Each `send_email` becomes a row of `demo_outbox`, written in the same
//!   transaction as the message's ack; the other message types are printed;
//! - `symphony-demo schedule` runs the demo's scheduler (see `schedule.rs`).
//!
//! `DATABASE_URL=postgres://postgres@127.0.0.1:5432/demo cargo run -p symphony-demo`
//! `DATABASE_URL=... cargo run -p symphony-demo -- worker --transport email`

mod schedule;

use std::time::Duration;

use clap::{Parser, Subcommand};
use symphony_demo::messages::{self, *};
use symphony_messenger::chrono::{DateTime, NaiveDate};
use symphony_messenger::deadpool_postgres;
use symphony_messenger::dispatch::{DispatchOptions, Messenger};
use symphony_messenger::migrate;
use symphony_messenger::statements::StatementMode;
use symphony_messenger::tokio_postgres::NoTls;
use symphony_messenger::worker::{Context, HandlerError, Listener, Worker};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The demo application of Symphony Messenger (DATABASE_URL names the database).
#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate, then dispatch one message of each type (the default).
    Dispatch,
    /// Consume a transport until SIGINT or SIGTERM, then drain.
    Worker(WorkerArgs),
    /// Run the scheduler until Ctrl-C: every due tick of every schedule is enqueued once.
    Schedule,
}

#[derive(clap::Args)]
struct WorkerArgs {
    /// The transport to consume.
    #[arg(long, default_value = "email")]
    transport: String,
    /// The name recorded in locked_by (default: host:pid:random).
    #[arg(long)]
    name: Option<String>,
    /// Handlers running at once.
    #[arg(long, default_value_t = 10)]
    concurrency: usize,
    /// Messages per claim.
    #[arg(long, default_value_t = 10)]
    batch_size: usize,
    /// Claimed messages waiting for a handler (default: the batch size).
    #[arg(long)]
    prefetch: Option<usize>,
    /// Lease duration in milliseconds.
    #[arg(long, default_value_t = 30_000)]
    lease_ms: u64,
    /// Rescue interval in milliseconds.
    #[arg(long, default_value_t = 5_000)]
    rescue_ms: u64,
    /// Poll interval in milliseconds.
    #[arg(long, default_value_t = 1_000)]
    poll_ms: u64,
    /// How long a drain lets running handlers finish, in milliseconds.
    #[arg(long, default_value_t = 30_000)]
    drain_ms: u64,
    /// How long "sending" one email takes, in milliseconds.
    #[arg(long, default_value_t = 0)]
    work_ms: u64,
    /// DATABASE_URL goes through a transaction-mode pooler: unnamed statements, no LISTEN.
    #[arg(long)]
    pooler: bool,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Dispatch) {
        Command::Dispatch => dispatch().await,
        Command::Worker(args) => work(args).await,
        Command::Schedule => schedule::run().await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn database_url() -> Result<String, Error> {
    Ok(std::env::var("DATABASE_URL")
        .map_err(|_| "set DATABASE_URL to the database to use (it is migrated first)")?)
}

fn pool(url: &str) -> Result<deadpool_postgres::Pool, Error> {
    let mut config = deadpool_postgres::Config::new();
    config.url = Some(url.to_owned());
    Ok(config.create_pool(Some(deadpool_postgres::Runtime::Tokio1), NoTls)?)
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut terminate) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
        }
        Err(err) => {
            eprintln!("cannot handle SIGTERM ({err}); stopping on Ctrl-C only");
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

async fn work(args: WorkerArgs) -> Result<(), Error> {
    let url = database_url()?;
    let pool = pool(&url)?;
    let registry = messages::registry();
    let mut builder = Worker::builder(pool.clone(), registry, &args.transport)
        .concurrency(args.concurrency)
        .batch_size(args.batch_size)
        .lease(Duration::from_millis(args.lease_ms))
        .rescue_interval(Duration::from_millis(args.rescue_ms))
        .poll_interval(Duration::from_millis(args.poll_ms))
        .drain_timeout(Duration::from_millis(args.drain_ms));
    if let Some(name) = &args.name {
        builder = builder.name(name.clone());
    }
    if let Some(prefetch) = args.prefetch {
        builder = builder.prefetch(prefetch);
    }
    builder = if args.pooler {
        builder.statement_mode(StatementMode::Unnamed)
    } else {
        builder.listen(Listener::new(url.parse()?, NoTls))
    };
    let types: Vec<String> = registry
        .message_types(&args.transport)
        .ok_or_else(|| format!("unknown transport `{}`", args.transport))?
        .map(str::to_owned)
        .collect();
    let work = Duration::from_millis(args.work_ms);
    for message_type in &types {
        builder = match message_type.as_str() {
            "send_email" => {
                let pool = pool.clone();
                builder.handle::<SendEmail, _>(move |email, ctx| {
                    send_email(pool.clone(), email, ctx, work)
                })
            }
            "sms_notification" => builder.handle::<SmsNotification, _>(|sms, ctx| async move {
                println!("message {}: SMS to {}", ctx.message_id(), sms.phone_number);
                Ok(())
            }),
            "user_signed_up" => builder.handle::<UserSignedUp, _>(|user, ctx| async move {
                println!("message {}: welcome {}", ctx.message_id(), user.email);
                Ok(())
            }),
            "webhook_delivery" => builder.handle::<WebhookDelivery, _>(|hook, ctx| async move {
                println!("message {}: POST {}", ctx.message_id(), hook.url);
                Ok(())
            }),
            other => return Err(format!("the demo has no handler for `{other}`").into()),
        };
    }
    let worker = builder.build()?;
    let metrics = worker.metrics();
    println!(
        "worker {} consumes transport {} ({})",
        worker.name(),
        args.transport,
        types.join(", ")
    );
    let report = worker.run(shutdown_signal()).await?;
    let totals = metrics.snapshot();
    println!(
        "drained: {} released, {} cancelled, {} still held; {} acked, {} retried, {} dead-lettered",
        report.released,
        report.cancelled,
        report.still_held,
        totals.acked,
        totals.retried,
        totals.dead_lettered
    );
    Ok(())
}

/// "Sends" an email: records it in the outbox and acks the message in the same transaction.
async fn send_email(
    pool: deadpool_postgres::Pool,
    email: SendEmail,
    ctx: Context,
    work: Duration,
) -> Result<(), HandlerError> {
    if !work.is_zero() {
        tokio::time::sleep(work).await;
    }
    let mut client = pool.get().await.map_err(HandlerError::msg)?;
    let tx = client.transaction().await?;
    tx.execute(
        "INSERT INTO demo_outbox (message_id, to_address, subject) VALUES ($1, $2, $3)",
        &[&ctx.message_id(), &email.to_address, &email.subject],
    )
    .await?;
    ctx.ack_in(&tx).await.map_err(HandlerError::msg)?;
    tx.commit().await?;
    Ok(())
}

async fn dispatch() -> Result<(), Error> {
    let url = database_url()?;
    let (mut client, connection) = symphony_messenger::tokio_postgres::connect(&url, NoTls).await?;
    tokio::spawn(connection);
    let applied = migrate::up(&mut client, Some(&messages::migrations()?)).await?;
    for id in applied.queue.iter().chain(&applied.application) {
        println!("applied {id}");
    }

    let messenger = Messenger::new(pool(&url)?, messages::registry());
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
