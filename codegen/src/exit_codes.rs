//! Named exit codes of `messenger-gen`; scripts and CI depend on them. Which error leaves with
//! which code is decided in one place: [`crate::error::Error::exit_code`].

/// Success: done, up to date, valid.
pub const OK: u8 = 0;
/// A check found a difference: stale output, schema objects missing or different, invalid
/// payloads.
pub const DIFFERENCE: u8 = 1;
/// Bad usage or bad input: unreadable or unwritable files, SQL errors in migrations or queries,
/// unknown names, refused configuration, standard output that cannot be written.
pub const INPUT: u8 = 2;
/// The database failed: it cannot be reached, the connection was lost, or a statement
/// messenger-gen itself sends (not one of your files) failed.
pub const DATABASE: u8 = 3;
/// Interrupted by SIGHUP (128 + 1, as shells report it); everything was cleaned up.
pub const HANGUP: u8 = 129;
/// Interrupted by Ctrl-C (128 + SIGINT); everything was cleaned up.
pub const INTERRUPTED: u8 = 130;
/// Stopped by SIGTERM (128 + 15); everything was cleaned up.
pub const TERMINATED: u8 = 143;
/// The reader of standard output went away (`| head`): stopped quietly, as a process killed by
/// SIGPIPE (128 + 13) would be.
pub const CLOSED_PIPE: u8 = 141;
