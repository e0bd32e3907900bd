//! `messenger-gen`: the CLI and generator library of Symphony Messenger.

mod checks;
pub mod cli;
pub mod cli_ops;
mod commands;
pub mod config;
mod contract;
pub mod database;
pub mod db;
pub mod diagnostics;
mod emit;
pub mod exit_codes;
pub mod failure;
mod introspect;
mod lint;
pub mod load;
pub mod pipeline;
pub mod rust_queries;
mod rustfmt;
pub mod warnings;
pub mod write;

use cli::{Cli, Command};

/// Runs a parsed command line and returns the process exit code; errors go to stderr.
pub fn run(cli: Cli) -> u8 {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return exit_codes::INPUT;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Generate(args) => commands::generate::generate(args).await,
            Command::Check(args) => commands::generate::check(args).await,
            Command::Migrate(args) => commands::migrate::run(args).await,
            Command::Validate(args) => commands::validate::run(args),
            Command::Init(args) => commands::init::run(args),
            Command::Queue(args) => commands::queue::run(args).await,
            Command::Schedule(args) => commands::schedule::run(args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            failure.exit_code
        }
    }
}
