//! A command's failure: what to tell the user and which exit code to leave with.

use crate::exit_codes;

/// A failed command: a message for stderr and the exit code.
#[derive(Debug)]
pub struct Failure {
    /// The exit code (see [`crate::exit_codes`]).
    pub exit_code: u8,
    /// A sentence the user can act on.
    pub message: String,
}

impl Failure {
    /// A failure with the given exit code and message.
    pub fn new(exit_code: u8, message: impl Into<String>) -> Failure {
        Failure {
            exit_code,
            message: message.into(),
        }
    }

    /// A usage or input error (exit 2).
    pub fn input(message: impl Into<String>) -> Failure {
        Failure::new(exit_codes::INPUT, message)
    }
}
