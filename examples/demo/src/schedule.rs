//! `symphony-demo schedule`: the demo application's scheduler. Run any number of these: each
//! due tick of every schedule in the database is enqueued exactly once among them. Prints one
//! line per enqueued tick (`fired schedule=<id> tick=<RFC 3339> message=<id> inserted=<bool>`)
//! and one per refused fire on stderr; stops on Ctrl-C.
//!
//! `SCHEDULER_POLL_MS` sets the pause between passes (default 1000).

use std::io::Write as _;
use std::time::Duration;

use symphony_demo::messages;
use symphony_messenger::chrono::SecondsFormat;
use symphony_messenger::deadpool_postgres;
use symphony_messenger::migrate;
use symphony_messenger::schedule::{Scheduler, SchedulerOptions};
use symphony_messenger::tokio_postgres::NoTls;

use crate::Error;

/// Migrates, then runs the scheduler until Ctrl-C.
pub async fn run() -> Result<(), Error> {
    let url = std::env::var("DATABASE_URL")
        .map_err(|_| "set DATABASE_URL to the database to use (it is migrated first)")?;
    let (mut client, connection) = symphony_messenger::tokio_postgres::connect(&url, NoTls).await?;
    tokio::spawn(connection);
    migrate::up(&mut client, Some(&messages::migrations()?)).await?;
    drop(client);

    let poll_ms = match std::env::var("SCHEDULER_POLL_MS") {
        Ok(text) => text
            .parse::<u64>()
            .map_err(|e| format!("SCHEDULER_POLL_MS={text}: {e}"))?,
        Err(_) => 1000,
    };
    let mut config = deadpool_postgres::Config::new();
    config.url = Some(url);
    let pool = config.create_pool(Some(deadpool_postgres::Runtime::Tokio1), NoTls)?;
    let scheduler = Scheduler::new(pool, messages::registry()).with_options(SchedulerOptions {
        poll_interval: Duration::from_millis(poll_ms),
        ..SchedulerOptions::default()
    });
    println!("scheduler started (pid {})", std::process::id());
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    scheduler
        .run_with(shutdown, |pass| {
            let mut out = std::io::stdout().lock();
            for fire in &pass.fired {
                let _ = writeln!(
                    out,
                    "fired schedule={} tick={} message={} inserted={}",
                    fire.schedule_id,
                    fire.tick.to_rfc3339_opts(SecondsFormat::AutoSi, true),
                    fire.message_id,
                    fire.inserted
                );
            }
            let _ = out.flush();
            for refusal in &pass.refused {
                eprintln!(
                    "refused schedule={}: {}",
                    refusal.schedule_id, refusal.error
                );
            }
        })
        .await;
    Ok(())
}
