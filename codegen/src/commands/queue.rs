//! `messenger-gen queue`: statistics, dead letters (list, show, retry, remove) and retention, on
//! the runtime's `operations` (the same SQL an application can call).

use serde::Serialize;
use serde_json::json;
use symphony_messenger::chrono::{DateTime, Utc};
use symphony_messenger::operations::{self, DeadLetterFilter};
use tokio_postgres::Client;

use super::output::{
    age, ago, connect, database_failure, now, print_json, short, since, table, utc, utc_or_dash,
};
use crate::cli::OutputFormat;
use crate::cli_ops::{BulkArgs, DeadLetterFilterArgs, FailedAction, QueueAction, QueueArgs};
use crate::error::Error;
use crate::exit_codes;
use crate::output::{say, say_raw};

/// Runs one queue action.
pub async fn run(args: QueueArgs) -> Result<u8, Error> {
    let format = args.connection.format;
    let now = now()?;
    let client = connect(&args.connection).await?;
    match args.action {
        QueueAction::Stats => stats(&client, format, now).await,
        QueueAction::Failed { action } => match action {
            FailedAction::List { filter, limit } => {
                list(&client, format, &filter, limit, now).await
            }
            FailedAction::Show { id } => show(&client, format, id).await,
            FailedAction::Retry(bulk) => retry(&client, format, &bulk, now).await,
            FailedAction::Remove(bulk) => remove(&client, format, &bulk, now).await,
        },
        QueueAction::Purge {
            completed_older_than,
            dry_run,
        } => purge(&client, format, &completed_older_than, dry_run, now).await,
    }
}

#[derive(Serialize)]
struct StatsLine<'a> {
    #[serde(flatten)]
    stats: &'a operations::QueueStats,
    oldest_pending_age_seconds: Option<i64>,
}

async fn stats(client: &Client, format: OutputFormat, now: DateTime<Utc>) -> Result<u8, Error> {
    let stats = operations::queue_stats(client)
        .await
        .map_err(|e| database_failure(&e))?;
    match format {
        OutputFormat::Json => {
            let lines: Vec<StatsLine> = stats
                .iter()
                .map(|s| StatsLine {
                    stats: s,
                    oldest_pending_age_seconds: s
                        .oldest_pending_at
                        .map(|t| (now - t).num_seconds().max(0)),
                })
                .collect();
            print_json(&lines)?;
        }
        OutputFormat::Human if stats.is_empty() => say!("the queue is empty"),
        OutputFormat::Human => {
            let rows: Vec<Vec<String>> = stats
                .iter()
                .map(|s| {
                    vec![
                        s.transport.clone(),
                        s.queue.clone(),
                        s.pending.to_string(),
                        s.processing.to_string(),
                        s.oldest_pending_at
                            .map(|t| age(now - t))
                            .unwrap_or_else(|| "-".to_owned()),
                        s.failed.to_string(),
                        s.dead_letters.to_string(),
                    ]
                })
                .collect();
            say_raw!(
                "{}",
                table(
                    &[
                        "TRANSPORT",
                        "QUEUE",
                        "PENDING",
                        "PROCESSING",
                        "OLDEST PENDING",
                        "FAILED",
                        "DEAD LETTERS"
                    ],
                    &[false, false, true, true, true, true, true],
                    &rows
                )
            );
        }
    }
    Ok(exit_codes::OK)
}

fn filter(args: &DeadLetterFilterArgs, now: DateTime<Utc>) -> Result<DeadLetterFilter, Error> {
    Ok(DeadLetterFilter {
        transport: args.transport.clone(),
        message_type: args.message_type.clone(),
        since: args.since.as_deref().map(|s| since(s, now)).transpose()?,
        requeued: args.requeued,
    })
}

async fn list(
    client: &Client,
    format: OutputFormat,
    args: &DeadLetterFilterArgs,
    limit: i64,
    now: DateTime<Utc>,
) -> Result<u8, Error> {
    if limit < 1 {
        return Err(Error::usage("--limit must be at least 1"));
    }
    let filter = filter(args, now)?;
    let letters = operations::list_dead_letters(client, &filter, limit)
        .await
        .map_err(|e| database_failure(&e))?;
    match format {
        OutputFormat::Json => print_json(&letters)?,
        OutputFormat::Human if letters.is_empty() => say!("no dead letters"),
        OutputFormat::Human => {
            let rows: Vec<Vec<String>> = letters
                .iter()
                .map(|d| {
                    let error = match &d.error_class {
                        Some(class) => format!("{class}: {}", d.error_message),
                        None => d.error_message.clone(),
                    };
                    let mut row = vec![
                        d.id.to_string(),
                        d.transport.clone(),
                        d.queue.clone(),
                        d.message_type.clone().unwrap_or_else(|| "-".to_owned()),
                        d.retry_count.to_string(),
                        utc(d.failed_at),
                    ];
                    if filter.requeued {
                        row.push(utc_or_dash(d.requeued_at));
                    }
                    row.push(short(&error, 60));
                    row
                })
                .collect();
            let mut header = vec!["ID", "TRANSPORT", "QUEUE", "TYPE", "RETRIES", "FAILED AT"];
            let mut numeric = vec![true, false, false, false, true, false];
            if filter.requeued {
                header.push("REQUEUED AT");
                numeric.push(false);
            }
            header.push("ERROR");
            numeric.push(false);
            say_raw!("{}", table(&header, &numeric, &rows));
        }
    }
    Ok(exit_codes::OK)
}

async fn show(client: &Client, format: OutputFormat, id: i64) -> Result<u8, Error> {
    let letter = operations::dead_letter(client, id)
        .await
        .map_err(|e| database_failure(&e))?
        .ok_or_else(|| Error::usage(format!("no dead letter {id}")))?;
    match format {
        OutputFormat::Json => print_json(&letter)?,
        OutputFormat::Human => {
            let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_else(|| "-".to_owned());
            say!("dead letter   {}", letter.id);
            say!("transport     {}", letter.transport);
            say!("queue         {}", letter.queue);
            say!(
                "message type  {}",
                letter.headers["message_type"].as_str().unwrap_or("-")
            );
            say!("message       {}", opt(letter.message_id));
            say!("priority      {}", letter.priority);
            say!(
                "retries       {} of {}",
                letter.retry_count,
                letter.max_retries
            );
            say!(
                "key           {}",
                letter.idempotency_key.as_deref().unwrap_or("-")
            );
            say!("enqueued at   {}", utc_or_dash(letter.original_created_at));
            say!("failed at     {}", utc(letter.failed_at));
            match letter.requeued_at {
                Some(at) => say!(
                    "requeued at   {} as message {}",
                    utc(at),
                    opt(letter.requeued_message_id)
                ),
                None => say!("requeued at   - (awaiting a decision)"),
            }
            say!(
                "error class   {}",
                letter.error_class.as_deref().unwrap_or("-")
            );
            say!("error         {}", letter.error_message);
            if let Some(trace) = &letter.error_trace {
                say!("trace\n{}", indent(trace));
            }
            say!("headers\n{}", indent(&pretty(&letter.headers)));
            say!("body\n{}", indent(&pretty(&letter.body)));
            say!("metadata\n{}", indent(&pretty(&letter.metadata)));
        }
    }
    Ok(exit_codes::OK)
}

fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The ids of a retry or remove, checked: unknown ids fail the command before anything is done.
async fn checked_ids(client: &Client, ids: &[i64]) -> Result<operations::IdCheck, Error> {
    let check = operations::check_dead_letter_ids(client, ids)
        .await
        .map_err(|e| database_failure(&e))?;
    if !check.unknown.is_empty() {
        return Err(Error::usage(format!(
            "no dead letter {}; nothing was done",
            join(&check.unknown)
        )));
    }
    Ok(check)
}

fn join(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

async fn retry(
    client: &Client,
    format: OutputFormat,
    args: &BulkArgs,
    now: DateTime<Utc>,
) -> Result<u8, Error> {
    if args.all {
        let filter = filter(&args.filter, now)?;
        if filter.requeued {
            return Err(Error::usage(
                "--requeued: requeued dead letters are not requeued again",
            ));
        }
        let count = if args.dry_run {
            operations::count_dead_letters(client, &filter)
                .await
                .map_err(|e| database_failure(&e))? as u64
        } else {
            operations::retry_matching(client, &filter)
                .await
                .map_err(|e| database_failure(&e))?
        };
        match format {
            OutputFormat::Json => print_json(&json!({"dry_run": args.dry_run, "retried": count}))?,
            OutputFormat::Human => say!(
                "{} {}",
                if args.dry_run {
                    "would retry"
                } else {
                    "retried"
                },
                plural(count, "dead letter", "dead letters")
            ),
        }
        return Ok(exit_codes::OK);
    }
    let check = checked_ids(client, &args.ids).await?;
    let requeued = if args.dry_run {
        check
            .awaiting
            .iter()
            .map(|id| (*id, None))
            .collect::<Vec<_>>()
    } else {
        operations::retry_dead_letters(client, &check.awaiting)
            .await
            .map_err(|e| database_failure(&e))?
            .into_iter()
            .map(|(d, m)| (d, Some(m)))
            .collect()
    };
    // A dead letter requeued by someone else between the check and the retry is "already".
    let mut already = check.requeued.clone();
    already.extend(
        check
            .awaiting
            .iter()
            .filter(|id| !requeued.iter().any(|(d, _)| d == *id)),
    );
    already.sort_unstable();
    match format {
        OutputFormat::Json => print_json(&json!({
            "dry_run": args.dry_run,
            "retried": requeued.iter().map(|(d, m)| json!({"dead_letter_id": d, "message_id": m})).collect::<Vec<_>>(),
            "already_retried": already,
        }))?,
        OutputFormat::Human => {
            for (d, m) in &requeued {
                match m {
                    Some(m) => say!("dead letter {d} requeued as message {m}"),
                    None => say!("dead letter {d} would be requeued"),
                }
            }
            let mut summary = format!(
                "{} {}",
                if args.dry_run {
                    "would retry"
                } else {
                    "retried"
                },
                plural(requeued.len() as u64, "dead letter", "dead letters")
            );
            if !already.is_empty() {
                summary.push_str(&format!(
                    "; already retried before, so not again: {}",
                    join(&already)
                ));
            }
            say!("{summary}");
        }
    }
    Ok(exit_codes::OK)
}

async fn remove(
    client: &Client,
    format: OutputFormat,
    args: &BulkArgs,
    now: DateTime<Utc>,
) -> Result<u8, Error> {
    let count = if args.all {
        let filter = filter(&args.filter, now)?;
        if args.dry_run {
            operations::count_dead_letters(client, &filter)
                .await
                .map_err(|e| database_failure(&e))? as u64
        } else {
            operations::remove_matching(client, &filter)
                .await
                .map_err(|e| database_failure(&e))?
        }
    } else {
        let check = checked_ids(client, &args.ids).await?;
        let mut ids = check.awaiting;
        ids.extend(check.requeued);
        if args.dry_run {
            ids.len() as u64
        } else {
            operations::remove_dead_letters(client, &ids)
                .await
                .map_err(|e| database_failure(&e))?
        }
    };
    match format {
        OutputFormat::Json => print_json(&json!({"dry_run": args.dry_run, "removed": count}))?,
        OutputFormat::Human => say!(
            "{} {}",
            if args.dry_run {
                "would remove"
            } else {
                "removed"
            },
            plural(count, "dead letter", "dead letters")
        ),
    }
    Ok(exit_codes::OK)
}

async fn purge(
    client: &Client,
    format: OutputFormat,
    older_than: &str,
    dry_run: bool,
    now: DateTime<Utc>,
) -> Result<u8, Error> {
    let cutoff =
        ago(older_than, now).map_err(|e| Error::usage(format!("--completed-older-than: {e}")))?;
    let count = if dry_run {
        operations::count_completed_before(client, cutoff)
            .await
            .map_err(|e| database_failure(&e))? as u64
    } else {
        operations::purge_completed_before(client, cutoff)
            .await
            .map_err(|e| database_failure(&e))?
    };
    match format {
        OutputFormat::Json => print_json(&json!({
            "dry_run": dry_run,
            "purged": count,
            "processed_before": utc(cutoff),
        }))?,
        OutputFormat::Human => say!(
            "{} {} processed before {}",
            if dry_run { "would purge" } else { "purged" },
            plural(count, "completed message", "completed messages"),
            utc(cutoff)
        ),
    }
    Ok(exit_codes::OK)
}
