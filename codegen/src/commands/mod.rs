//! One module per subcommand; each returns the process exit code.

pub mod generate;
pub mod init;
pub mod migrate;
pub mod validate;
