//! `messenger-gen schedule`: create (the body validated against the application's schemas, as
//! `validate` does), list, pause, resume, remove schedules and show their next fire times — on
//! the runtime's `schedule::store`, the code an application's own API calls.

use serde_json::json;
use symphony_messenger::chrono::{DateTime, SecondsFormat, Utc};
use symphony_messenger::schedule::store::{self, Schedule};
use symphony_messenger::schedule::{MissedTicks, NewSchedule, Recurrence, ScheduleError};
use symphony_messenger::validate::{DEFAULT_MAX_PAYLOAD_BYTES, parse_payload};
use tokio_postgres::Client;

use super::output::{
    connect, database_failure, duration, instant, now, print_json, short, table, utc, utc_or_dash,
};
use super::validate::{Contents, load_validators, read};
use crate::cli::OutputFormat;
use crate::cli_ops::{Missed, ScheduleAction, ScheduleAddArgs, ScheduleArgs};
use crate::config::Config;
use crate::error::Error;
use crate::exit_codes;
use crate::output::{say, say_raw};

/// Runs one schedule action.
pub async fn run(args: ScheduleArgs) -> Result<u8, Error> {
    let format = args.connection.format;
    let now = now()?;
    // `add` checks everything it can before connecting: a bad body never needs a database.
    let new = match &args.action {
        ScheduleAction::Add(add) => Some(new_schedule(add)?),
        _ => None,
    };
    let client = connect(&args.connection).await?;
    match args.action {
        ScheduleAction::List => list(&client, format).await,
        ScheduleAction::Add(add) => {
            let (new, validators) = new.ok_or_else(|| Error::usage("no schedule"))?;
            let created = store::create(&client, &validators, &new, now)
                .await
                .map_err(|e| failure(e, &add.body))?;
            report(format, "created", &created)
        }
        ScheduleAction::Pause { id } => {
            let s = store::pause(&client, id)
                .await
                .map_err(|e| failure(e, ""))?;
            report(format, "paused", &s)
        }
        ScheduleAction::Resume { id } => {
            let s = store::resume(&client, id, now)
                .await
                .map_err(|e| failure(e, ""))?;
            report(format, "resumed", &s)
        }
        ScheduleAction::Remove { id } => {
            let s = store::remove(&client, id)
                .await
                .map_err(|e| failure(e, ""))?;
            report(format, "removed", &s)
        }
        ScheduleAction::Next { id, count } => next(&client, format, id, count, now).await,
    }
}

/// A schedule error as a failure: a database error keeps its hint, everything else is input.
fn failure(err: ScheduleError, body_file: &str) -> Error {
    match err {
        ScheduleError::Database(db) => database_failure(&db),
        ScheduleError::Message(symphony_messenger::error::MessengerError::Validation {
            transport,
            message_type,
            errors,
            ..
        }) => {
            let mut text = format!(
                "{body_file}: the body is not a valid `{message_type}` for transport `{transport}`; nothing was created"
            );
            for e in errors {
                text.push_str(&format!("\n  {e}"));
            }
            Error::usage(text)
        }
        other => Error::usage(other.to_string()),
    }
}

fn new_schedule(
    args: &ScheduleAddArgs,
) -> Result<(NewSchedule, symphony_messenger::validate::Validators), Error> {
    let recurrence = match (&args.cron, &args.every, &args.at) {
        (Some(expr), None, None) => Recurrence::cron(expr, &args.timezone),
        (None, Some(every), None) => {
            let every = duration(every).map_err(|e| Error::usage(format!("--every: {e}")))?;
            if every.subsec_nanos() != 0 {
                return Err(Error::usage("--every: whole seconds only"));
            }
            Recurrence::interval(every.num_seconds())
        }
        (None, None, Some(at)) => Ok(Recurrence::once(
            instant(at).map_err(|e| Error::usage(format!("--at: {e}")))?,
        )),
        _ => return Err(Error::usage("give exactly one of --cron, --every, --at")),
    }
    .map_err(|e| Error::usage(e.to_string()))?;
    let missed_ticks = match args.missed {
        Missed::Skip => MissedTicks::Skip,
        Missed::CatchUp => MissedTicks::catch_up(args.catch_up_limit)
            .map_err(|e| Error::usage(format!("--catch-up-limit: {e}")))?,
    };
    let bytes = read_body(&args.body)?;
    let body = parse_payload(&bytes, DEFAULT_MAX_PAYLOAD_BYTES)
        .map_err(|e| Error::usage(format!("{}: {e}", args.body)))?;
    let config = Config::load(args.config.as_deref())?;
    let validators = load_validators(&config.output.join("jsonschema/transports"))?;
    let new = NewSchedule {
        queue: args.queue.clone(),
        priority: args.priority,
        missed_ticks,
        ..NewSchedule::new(
            args.name.clone(),
            args.transport.clone(),
            args.message_type.clone(),
            body,
            recurrence,
        )
    };
    // The same check `create` makes, before connecting.
    store::check(&validators, &new).map_err(|e| failure(e, &args.body))?;
    Ok((new, validators))
}

/// The body file (`-`: standard input), read no further than a payload may be long.
fn read_body(file: &str) -> Result<Vec<u8>, Error> {
    match read(file, DEFAULT_MAX_PAYLOAD_BYTES) {
        Ok(Contents::Bytes(bytes)) => Ok(bytes),
        Ok(Contents::TooLarge) => Err(Error::usage(format!(
            "{file}: a body is at most {DEFAULT_MAX_PAYLOAD_BYTES} bytes; nothing was created"
        ))),
        Err(e) => Err(Error::usage(format!("cannot read {file}: {e}"))),
    }
}

fn report(format: OutputFormat, verb: &str, s: &Schedule) -> Result<u8, Error> {
    match format {
        OutputFormat::Json => print_json(&json!({"action": verb, "schedule": s}))?,
        OutputFormat::Human => {
            let next = match (s.enabled, s.next_run_at) {
                _ if verb == "removed" => String::new(),
                (false, _) => "; paused".to_owned(),
                (true, Some(next)) => format!("; next run {}", utc(next)),
                (true, None) => "; will not run again".to_owned(),
            };
            say!(
                "{verb} schedule {} ({}): {}{next}",
                s.id,
                s.name,
                s.describe()
            );
        }
    }
    Ok(exit_codes::OK)
}

async fn list(client: &Client, format: OutputFormat) -> Result<u8, Error> {
    let schedules = store::list(client).await.map_err(|e| failure(e, ""))?;
    match format {
        OutputFormat::Json => print_json(&schedules)?,
        OutputFormat::Human if schedules.is_empty() => say!("no schedules"),
        OutputFormat::Human => {
            let rows: Vec<Vec<String>> = schedules
                .iter()
                .map(|s| {
                    vec![
                        s.id.to_string(),
                        s.name.clone(),
                        s.transport.clone(),
                        s.message_type.clone(),
                        s.describe(),
                        if s.enabled { "enabled" } else { "paused" }.to_owned(),
                        utc_or_dash(s.next_run_at),
                        utc_or_dash(s.last_run_at),
                        match s.missed_ticks.as_str() {
                            "catch_up" => format!("catch up {}", s.catch_up_limit),
                            other => other.to_owned(),
                        },
                        s.last_error
                            .as_deref()
                            .map(|e| short(e, 60))
                            .unwrap_or_else(|| "-".to_owned()),
                    ]
                })
                .collect();
            say_raw!(
                "{}",
                table(
                    &[
                        "ID",
                        "NAME",
                        "TRANSPORT",
                        "TYPE",
                        "WHEN",
                        "STATE",
                        "NEXT RUN",
                        "LAST RUN",
                        "MISSED",
                        "LAST ERROR"
                    ],
                    &[true],
                    &rows
                )
            );
        }
    }
    Ok(exit_codes::OK)
}

async fn next(
    client: &Client,
    format: OutputFormat,
    id: i64,
    count: usize,
    now: DateTime<Utc>,
) -> Result<u8, Error> {
    let s = store::get(client, id).await.map_err(|e| failure(e, ""))?;
    let zone = s
        .recurrence()
        .map_err(|e| Error::usage(format!("schedule {id}: {e}")))?
        .zone();
    let times = s
        .upcoming(now, count)
        .map_err(|e| Error::usage(format!("schedule {id}: {e}")))?;
    let local = |t: DateTime<Utc>| {
        t.with_timezone(&zone)
            .to_rfc3339_opts(SecondsFormat::AutoSi, true)
    };
    match format {
        OutputFormat::Json => print_json(&json!({
            "schedule": id,
            "timezone": zone.name(),
            "next": times.iter().map(|t| json!({"local": local(*t), "utc": utc(*t)})).collect::<Vec<_>>(),
        }))?,
        OutputFormat::Human if times.is_empty() => {
            say!("schedule {id} ({}) will not run again", s.name)
        }
        OutputFormat::Human => {
            let rows: Vec<Vec<String>> = times
                .iter()
                .enumerate()
                .map(|(i, t)| vec![(i + 1).to_string(), local(*t), utc(*t)])
                .collect();
            let local_header = format!("LOCAL ({})", zone.name());
            say_raw!("{}", table(&["#", &local_header, "UTC"], &[true], &rows));
        }
    }
    Ok(exit_codes::OK)
}
