//! The constants of `CONTRACT.md`, shared by every emitter so the targets cannot drift apart.

/// The canonical uuid form (PostgreSQL also accepts braces and missing hyphens; the JSON
/// contract does not).
pub(crate) const UUID_PATTERN: &str =
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

/// RFC 3339 date-time with an upper-case `T` and a `Z` or `±hh:mm` offset (validators differ on
/// lower case, spaces and offsets without a colon; this pattern pins the common form).
pub(crate) const TIMESTAMPTZ_PATTERN: &str =
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$";

/// `timestamp` (no time zone): RFC 3339's formats require an offset, so a pattern only.
pub(crate) const TIMESTAMP_PATTERN: &str =
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?$";

/// `time` (no time zone).
pub(crate) const TIME_PATTERN: &str = r"^[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?$";

/// The int8 policy's bound: `Number.MAX_SAFE_INTEGER`.
pub(crate) const INT8_SAFE: i64 = 9_007_199_254_740_991;
