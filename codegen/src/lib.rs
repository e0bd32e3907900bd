//! `messenger-gen`: the CLI and generator library of Symphony Messenger.
//!
//! The pipeline (`pipeline.rs`): load the inputs → a scratch database (`database/`) → apply the
//! migrations → cornucopia's query crate (`rust_queries.rs`) → the catalog into the IR
//! (`introspect/`, the IR crate `messenger-ir`) → the emitters (`emit/`, rendering what
//! `contract/` folds) → rustfmt → lints → `write.rs`. Each stage has its
//! own error type; `error.rs` maps them to exit codes in one place.

mod checks;
pub mod cli;
pub mod cli_ops;
mod commands;
pub mod config;
mod contract;
mod crate_check;
mod database;
mod emit;
mod error;
mod exit_codes;
mod introspect;
mod lint;
pub mod load;
mod output;
mod owner;
pub mod pipeline;
mod rust_queries;
mod rustfmt;
mod signals;
mod sys;
mod warnings;
mod write;

use cli::{Cli, Command};

pub use error::Error;

/// Runs a parsed command line and returns the process exit code; errors go to stderr.
pub fn run(cli: Cli) -> u8 {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            output::stderr(&format!("error: cannot start the async runtime: {err}\n"));
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
        Err(error) => {
            if let Some(text) = error.render() {
                output::stderr(&text);
            }
            error.exit_code()
        }
    }
}
