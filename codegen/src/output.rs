//! Everything the CLI prints. Standard output goes through [`out`], which turns a reader that
//! went away (`messenger-gen validate … | head -1`) into a quiet stop and any other write
//! error (a full disk) into an error with its exit code; `println!` would panic on both.
//! Standard error goes through [`warn`] and [`stderr`], which never fail: when even stderr
//! cannot be written there is nobody left to tell.

use std::io::Write;

/// Why standard output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The reader closed the pipe (`| head`): stop quietly, as `ls | head` does.
    #[error("standard output was closed")]
    Closed,
    /// Any other write error: a full disk, an I/O error.
    #[error("cannot write to standard output: {0}")]
    Write(std::io::Error),
}

/// Writes `text` to standard output and flushes it (so errors surface here, not at exit).
pub fn out(text: &str) -> Result<(), OutputError> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::BrokenPipe => OutputError::Closed,
            _ => OutputError::Write(e),
        })
}

/// Writes `line` and a newline to standard output (see [`out`]).
pub fn line(line: &str) -> Result<(), OutputError> {
    out(&format!("{line}\n"))
}

/// Writes a warning line to standard error, ignoring write errors.
pub fn warn(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "warning: {line}");
}

/// Writes `text` to standard error as it is, ignoring write errors.
pub fn stderr(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(text.as_bytes());
    let _ = stderr.flush();
}

/// `println!` through [`line`], in a function returning `Result<_, crate::Error>`: a closed pipe
/// or a full disk is an error (see [`out`]), never a panic.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::output::line(&format!($($arg)*))?
    };
}

/// `print!` through [`out`] (see [`say!`]).
macro_rules! say_raw {
    ($($arg:tt)*) => {
        $crate::output::out(&format!($($arg)*))?
    };
}

pub(crate) use {say, say_raw};
