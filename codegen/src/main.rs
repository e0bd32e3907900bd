//! The `messenger-gen` binary: parse the command line, run it, exit with its code.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = messenger_gen::cli::Cli::parse();
    std::process::ExitCode::from(messenger_gen::run(cli))
}
