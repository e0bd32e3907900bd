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
    /// Read migrations from this directory (V{n}__{name}.sql, rollbacks in DIR/rollback/)
    /// instead of the Symphony Messenger schema built into this binary.
    #[arg(long, value_name = "DIR", global = true)]
    pub schema: Option<PathBuf>,
}

/// The migrate actions.
#[derive(Debug, Clone, Copy, Subcommand)]
pub enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Roll back the newest applied migration (runs its script from schema/rollback/).
    Down,
    /// List applied and pending migrations.
    Status,
    /// Check that every table, index, view, trigger and function of the schema exists;
    /// exit 1 listing every missing object.
    Verify,
}
