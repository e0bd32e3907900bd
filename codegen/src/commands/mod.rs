//! One module per subcommand; each returns the process exit code.

mod export;
pub mod generate;
pub mod init;
pub mod migrate;
pub(crate) mod output;
pub mod queue;
pub mod schedule;
pub mod validate;
