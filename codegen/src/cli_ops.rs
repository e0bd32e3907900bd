//! The command line of the operations commands (`queue`, `schedule`), declared with clap derive
//! beside `cli.rs`; doc comments are the help text.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use crate::cli::OutputFormat;

/// Where the queue is and how to answer.
#[derive(Debug, Args)]
pub struct Connection {
    /// The database whose queue to operate, e.g. postgres://postgres@127.0.0.1:5432/app.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// Output: `human` tables, or `json` for scripts.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human, global = true)]
    pub format: OutputFormat,
}

/// `messenger-gen queue ...`
#[derive(Debug, Args)]
pub struct QueueArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: QueueAction,
    /// The database and the output format.
    #[command(flatten)]
    pub connection: Connection,
}

/// The queue actions.
#[derive(Debug, Subcommand)]
pub enum QueueAction {
    /// Per transport and queue: pending, processing, age of the oldest pending message, failed
    /// messages and dead letters awaiting a decision.
    Stats,
    /// Dead letters: list, show, retry, remove.
    Failed {
        /// What to do with dead letters.
        #[command(subcommand)]
        action: FailedAction,
    },
    /// Delete completed messages processed longer ago than a duration.
    Purge {
        /// How old a completed message must be to go, e.g. `30d`, `12h`, `1h 30m`.
        #[arg(long, value_name = "DURATION")]
        completed_older_than: String,
        /// Count what would be deleted, delete nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Which dead letters.
#[derive(Debug, Args)]
pub struct DeadLetterFilterArgs {
    /// Only dead letters of this transport.
    #[arg(long)]
    pub transport: Option<String>,
    /// Only dead letters of this message type.
    #[arg(long = "type", value_name = "MESSAGE_TYPE")]
    pub message_type: Option<String>,
    /// Only dead letters that failed since then: a duration back from now (`24h`) or an
    /// RFC 3339 instant (`2026-05-01T00:00:00Z`).
    #[arg(long, value_name = "DURATION|TIME")]
    pub since: Option<String>,
    /// The dead letters requeued before, instead of those awaiting a decision.
    #[arg(long)]
    pub requeued: bool,
}

/// The dead-letter actions.
#[derive(Debug, Subcommand)]
pub enum FailedAction {
    /// List dead letters awaiting a decision, most recent failure first.
    List {
        /// Which dead letters.
        #[command(flatten)]
        filter: DeadLetterFilterArgs,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Show everything about one dead letter: payload, headers, error and trace.
    Show {
        /// The dead letter's id.
        id: i64,
    },
    /// Requeue dead letters as fresh pending messages. Each dead letter is requeued once:
    /// retrying it again enqueues nothing.
    Retry(BulkArgs),
    /// Delete dead letters.
    Remove(BulkArgs),
}

/// The dead letters of a retry or remove.
#[derive(Debug, Args)]
pub struct BulkArgs {
    /// Dead letter ids; unknown ids are an error and nothing is done.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub ids: Vec<i64>,
    /// Every dead letter that matches the filters instead of ids.
    #[arg(long)]
    pub all: bool,
    /// Which dead letters (with --all).
    #[command(flatten)]
    pub filter: DeadLetterFilterArgs,
    /// Say what would be done, do nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `messenger-gen schedule ...`
#[derive(Debug, Args)]
pub struct ScheduleArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: ScheduleAction,
    /// The database and the output format.
    #[command(flatten)]
    pub connection: Connection,
}

/// The schedule actions.
#[derive(Debug, Subcommand)]
pub enum ScheduleAction {
    /// List every schedule with its next run and last error.
    List,
    /// Create a schedule; its body (from FILE, or `-` for standard input) is validated against
    /// the message type's schema for the transport first.
    Add(Box<ScheduleAddArgs>),
    /// Stop firing a schedule.
    Pause {
        /// The schedule's id.
        id: i64,
    },
    /// Fire a paused schedule again, from its next fire time (ticks of the pause are skipped).
    Resume {
        /// The schedule's id.
        id: i64,
    },
    /// Delete a schedule (the messages it enqueued stay).
    Remove {
        /// The schedule's id.
        id: i64,
    },
    /// The next fire times of a schedule, in its time zone and in UTC.
    Next {
        /// The schedule's id.
        id: i64,
        /// How many.
        #[arg(long, default_value_t = 5)]
        count: usize,
    },
}

/// Options of `schedule add`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("when").required(true).args(["cron", "every", "at"])))]
pub struct ScheduleAddArgs {
    /// A name for people (not unique).
    #[arg(long)]
    pub name: String,
    /// The transport every fire is sent through.
    #[arg(long)]
    pub transport: String,
    /// The message type of the body.
    #[arg(long = "type", value_name = "MESSAGE_TYPE")]
    pub message_type: String,
    /// A cron expression: 5 fields (minute hour day-of-month month day-of-week) or 6 with
    /// seconds first, evaluated in --timezone.
    #[arg(long, value_name = "EXPR")]
    pub cron: Option<String>,
    /// The IANA time zone of --cron.
    #[arg(long, default_value = "UTC", requires = "cron")]
    pub timezone: String,
    /// A fixed interval, e.g. `30s`, `15m`, `1h`; the first fire is one interval from now.
    #[arg(long, value_name = "DURATION")]
    pub every: Option<String>,
    /// Once, at this RFC 3339 instant.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// The queue within the transport.
    #[arg(long, default_value = "default")]
    pub queue: String,
    /// 1 (lowest) to 10 (highest).
    #[arg(long, default_value_t = 5)]
    pub priority: i16,
    /// What happens to ticks missed while no scheduler ran.
    #[arg(long, value_enum, default_value_t = Missed::Skip)]
    pub missed: Missed,
    /// With --missed catch-up: the most missed ticks fired at once (1 to 1000).
    #[arg(long, default_value_t = 10)]
    pub catch_up_limit: i64,
    /// The application's configuration file (default: messenger-gen.toml in the working
    /// directory, if any); its output directory holds the schemas the body is checked against.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The body: a JSON file, or `-` for standard input.
    #[arg(value_name = "FILE")]
    pub body: String,
}

/// The missed-tick policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Missed {
    /// Late ticks are skipped; after downtime the schedule fires once.
    Skip,
    /// The latest --catch-up-limit late ticks fire.
    CatchUp,
}
