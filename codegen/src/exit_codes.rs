//! Named exit codes of `messenger-gen`; scripts and CI depend on them.

/// Success: done, up to date, valid.
pub const OK: u8 = 0;
/// A check found a difference: stale output, missing schema objects, invalid payloads.
pub const DIFFERENCE: u8 = 1;
/// Bad usage or bad input: unreadable files, SQL errors in queries, unknown names.
pub const INPUT: u8 = 2;
/// The database could not be reached.
pub const DATABASE_UNREACHABLE: u8 = 3;
/// Interrupted by Ctrl-C (128 + SIGINT, as shells report it).
pub const INTERRUPTED: u8 = 130;
