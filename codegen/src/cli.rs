//! The command line, declared with clap derive; doc comments are the help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Generate typed code from the Symphony Messenger SQL schema, and manage that schema.
#[derive(Debug, Parser)]
#[command(name = "messenger-gen", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate everything under the output directory (all files or none).
    Generate(GenerateArgs),
    /// Exit 1 with a unified diff when the output directory is stale, 0 when it is fresh.
    Check(GenerateArgs),
    /// Apply, roll back, inspect or verify the schema migrations of a database.
    Migrate(MigrateArgs),
    /// Validate payload files against a transport's generated JSON Schema (no database).
    /// Exit 0 when all are valid, 1 when any is invalid, 2 on unreadable input or unknown names.
    Validate(ValidateArgs),
    /// Start an application: messenger-gen.toml and a first message-type migration in DIR.
    Init(InitArgs),
    /// Operate the queue of a database: statistics, dead letters (list, show, retry, remove),
    /// retention.
    Queue(crate::cli_ops::QueueArgs),
    /// Create, list, pause, resume and remove schedules, and show their next fire times.
    Schedule(crate::cli_ops::ScheduleArgs),
}

/// Options of `init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The application's directory (created when missing; default: the working directory).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
}

/// Options of `validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The transport whose schema applies.
    #[arg(long)]
    pub transport: String,
    /// The message type of every file; without it each file is an envelope
    /// `{"headers": {"message_type": ...}, "body": {...}}`.
    #[arg(long = "type", value_name = "MESSAGE_TYPE")]
    pub message_type: Option<String>,
    /// Output: `human` text, or `json`: one line `{file, valid, errors}` per file.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
    /// The configuration file (default: messenger-gen.toml in the working directory, if any);
    /// its output directory holds the schemas.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Payload files; `-` reads standard input.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
}

/// How `validate` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Text for people.
    Human,
    /// One JSON object per line.
    Json,
}

/// Options of `generate` and `check`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Generate against a scratch database created (and dropped) on this server. Without it,
    /// a throw-away cluster is started from the local PostgreSQL binaries.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// The configuration file (default: messenger-gen.toml in the working directory, if any).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Treat warnings as errors (exit 2, nothing written).
    #[arg(long)]
    pub deny_warnings: bool,
}

/// `messenger-gen migrate ...`
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// What to do with the migrations.
    #[command(subcommand)]
    pub action: MigrateAction,
    /// The database to migrate, e.g. postgres://postgres@127.0.0.1:5432/app.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// The configuration file (default: messenger-gen.toml in the working directory, if any);
    /// its `schema` directory holds the application's migrations.
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// The application's migrations (V{n}__{name}.sql, rollbacks in DIR/rollback/), instead of
    /// the `schema` of the configuration file.
    #[arg(long, value_name = "DIR", global = true)]
    pub schema: Option<PathBuf>,
}

/// The migrate actions. The queue's own migrations are built into messenger-gen and recorded
/// in their own history table; the application's come from `schema`.
#[derive(Debug, Clone, Subcommand)]
pub enum MigrateAction {
    /// Apply every pending migration: the queue's first, then the application's.
    Up,
    /// Roll back the application's newest applied migration (runs its script from
    /// rollback/). The queue's schema is only rolled back with --queue.
    Down {
        /// Roll back the queue's newest migration instead (refused while application
        /// migrations are applied).
        #[arg(long)]
        queue: bool,
    },
    /// List applied and pending migrations of the queue and of the application.
    Status,
    /// Check that every table, index, view, trigger and function of the queue's schema exists;
    /// exit 1 listing every missing object.
    Verify,
    /// Add V<n>__NAME.sql and rollback/V<n>__NAME.sql to the application's schema directory.
    New {
        /// The migration's name: ASCII letters, digits and underscores.
        name: String,
    },
    /// Write the queue's and the application's migrations as Supabase CLI migration files
    /// (`<timestamp>_<name>.sql`, the queue's first; the same names on every export), for
    /// `supabase db push` or the dashboard's SQL editor. Each records itself in the history
    /// table `migrate up` reads, so the runtime does not apply it again. No database needed.
    Export {
        /// The Supabase CLI's migrations directory (e.g. supabase/migrations), created when
        /// missing.
        #[arg(long, value_name = "DIR")]
        supabase: PathBuf,
    },
}
