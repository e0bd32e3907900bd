//! The patterns and constants of `emit/CONTRACT.md`, shared by every target so they cannot drift
//! apart.

/// A four-digit year other than 0000 (PostgreSQL has no year 0: `0000-01-01` is out of range).
macro_rules! year {
    () => {
        "([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})"
    };
}

/// Hours, minutes and seconds; seconds stop at 59: a leap second (`23:59:60`) is refused by
/// every target, because JavaScript's `Date` cannot represent it and PostgreSQL rolls it (and
/// any `:60`) into the next minute. The field ranges are the formats' (or PostgreSQL's) to check.
macro_rules! clock {
    () => {
        r"[0-9]{2}:[0-9]{2}:[0-5][0-9](\.[0-9]+)?"
    };
}

/// The canonical uuid form (PostgreSQL also accepts braces and missing hyphens; the JSON
/// contract does not).
pub const UUID_PATTERN: &str =
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

/// RFC 3339 full-date (beside `format: date`, which checks the calendar) without year 0000.
pub const DATE_PATTERN: &str = concat!("^", year!(), "-[0-9]{2}-[0-9]{2}$");

/// RFC 3339 date-time with an upper-case `T` and a `Z` or `±hh:mm` offset (validators differ on
/// lower case, spaces and offsets without a colon; this pattern pins the common form), without
/// year 0000, without second 60, and with offsets up to ±15:59 (PostgreSQL's limit; RFC 3339's
/// is ±23:59).
pub const TIMESTAMPTZ_PATTERN: &str = concat!(
    "^",
    year!(),
    "-[0-9]{2}-[0-9]{2}T",
    clock!(),
    "(Z|[+-](0[0-9]|1[0-5]):[0-5][0-9])$"
);

/// `timestamp` (no time zone): RFC 3339's formats require an offset, so a pattern only.
pub const TIMESTAMP_PATTERN: &str = concat!("^", year!(), "-[0-9]{2}-[0-9]{2}T", clock!(), "$");

/// `time` (no time zone).
pub const TIME_PATTERN: &str = concat!("^", clock!(), "$");

/// A string without U+0000, which PostgreSQL's `text` and `jsonb` cannot hold (SQLSTATE 22P05):
/// the type's own pattern of `text`, `varchar(n)` and `char(n)` (see [`needs_nul_pattern`]).
pub const NUL_FREE_PATTERN: &str = r"^[^\u0000]*$";

/// The JSON Schema form of the same rule: `"not": {"pattern": NUL_PATTERN}`. The verdicts are
/// those of [`NUL_FREE_PATTERN`], but a one-character search is far cheaper for validators
/// than matching the whole string against a character class (17 ns instead of 240 ns on 800
/// characters with the `jsonschema` crate).
pub const NUL_PATTERN: &str = r"\u0000";

/// The `$defs` entry of a JSON value PostgreSQL's `json`/`jsonb` can hold: any JSON, with no
/// U+0000 in a string or a property name, recursively. (A message type of this name is refused.)
pub const JSON_DEF: &str = "messenger_json";

/// The int8 policy's bound: `Number.MAX_SAFE_INTEGER`.
pub const INT8_SAFE: i64 = 9_007_199_254_740_991;

/// Whether a text value constrained by these (CHECK) patterns still needs [`NUL_FREE_PATTERN`]:
/// yes unless one of them provably excludes U+0000 ([`excludes_nul`]).
pub fn needs_nul_pattern<S: AsRef<str>>(patterns: &[S]) -> bool {
    !patterns.iter().any(|p| excludes_nul(p.as_ref()))
}

/// Whether no string that `pattern` (ECMA-262, searched like PostgreSQL's `~`) matches can
/// contain U+0000 — decided conservatively, so `false` only means "not proven": the pattern is
/// anchored at both ends (`^...$`, no top-level `|`) and every atom that consumes a character is
/// one that cannot be U+0000 (a literal, `\d`, `\w`, `\s`, an escaped punctuation character or
/// control escape, or a bracket class that is not negated and holds nothing else). `.`, `[^...]`,
/// `\D`, `\W`, `\S`, numeric escapes, `(?...)` groups and anything unusual give `false`.
pub fn excludes_nul(pattern: &str) -> bool {
    let Some(body) = pattern.strip_prefix('^') else {
        return false;
    };
    let Some(body) = body.strip_suffix('$') else {
        return false;
    };
    let chars: Vec<char> = body.chars().collect();
    // A `$` escaped by an odd number of backslashes is a literal, not the anchor.
    let trailing_backslashes = chars.iter().rev().take_while(|c| **c == '\\').count();
    if trailing_backslashes % 2 == 1 {
        return false;
    }
    /// An escape (the character after `\`) that stands for characters other than U+0000.
    fn safe_escape(c: char) -> bool {
        matches!(c, 'd' | 'w' | 's' | 'b' | 'B' | 't' | 'n' | 'r' | 'f' | 'v')
            || "^$\\.*+?()[]{}|/-".contains(c)
    }
    let mut depth = 0usize;
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\0' | '.' => return false,
            '\\' => {
                match chars.get(i + 1) {
                    Some(&c) if safe_escape(c) => {}
                    _ => return false,
                }
                i += 1;
            }
            '(' => {
                if chars.get(i + 1) == Some(&'?') {
                    if chars.get(i + 2) != Some(&':') {
                        return false;
                    }
                    i += 2;
                }
                depth += 1;
            }
            ')' => {
                let Some(outer) = depth.checked_sub(1) else {
                    return false;
                };
                depth = outer;
            }
            '|' if depth == 0 => return false,
            '[' => {
                i += 1;
                if chars.get(i) == Some(&'^') {
                    return false;
                }
                loop {
                    match chars.get(i) {
                        None | Some('\0') => return false,
                        Some(']') => break,
                        Some('\\') => match chars.get(i + 1) {
                            Some(&c) if safe_escape(c) => i += 1,
                            _ => return false,
                        },
                        Some(_) => {}
                    }
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    depth == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_patterns_read_as_documented() {
        assert_eq!(
            DATE_PATTERN,
            "^([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-[0-9]{2}-[0-9]{2}$"
        );
        assert_eq!(
            TIMESTAMPTZ_PATTERN,
            r"^([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-5][0-9](\.[0-9]+)?(Z|[+-](0[0-9]|1[0-5]):[0-5][0-9])$"
        );
        assert_eq!(
            TIMESTAMP_PATTERN,
            r"^([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-5][0-9](\.[0-9]+)?$"
        );
        assert_eq!(TIME_PATTERN, r"^[0-9]{2}:[0-9]{2}:[0-5][0-9](\.[0-9]+)?$");
    }

    /// The verdicts of the `jsonschema` crate (ECMA-262 semantics, as the runtime) with the
    /// contract's patterns: year 0000, second 60 and offsets past ±15:59 are refused.
    #[test]
    fn the_patterns_refuse_what_postgres_or_javascript_cannot_hold() {
        let matches = |pattern: &str, text: &str| {
            jsonschema::draft202012::new(&serde_json::json!({ "pattern": pattern }))
                .unwrap()
                .is_valid(&serde_json::json!(text))
        };
        for year in ["0001", "0010", "0100", "1000", "2024", "9999"] {
            assert!(matches(DATE_PATTERN, &format!("{year}-06-15")), "{year}");
            let at = format!("{year}-06-15T12:00:00Z");
            assert!(matches(TIMESTAMPTZ_PATTERN, &at), "{at}");
        }
        assert!(!matches(DATE_PATTERN, "0000-06-15"));
        assert!(!matches(TIMESTAMPTZ_PATTERN, "0000-06-15T00:00:00Z"));
        assert!(!matches(TIMESTAMP_PATTERN, "0000-06-15T00:00:00"));
        for ok in [
            "2024-01-01T10:00:59.999Z",
            "2024-01-01T10:00:00+15:59",
            "2024-01-01T10:00:00-15:59",
            "2024-01-01T10:00:00+00:00",
            "2024-01-01T10:00:00-09:30",
        ] {
            assert!(matches(TIMESTAMPTZ_PATTERN, ok), "{ok}");
        }
        for bad in [
            "2016-12-31T23:59:60Z",
            "2016-12-31T18:59:60-05:00",
            "2024-01-01T10:00:00+16:00",
            "2024-01-01T10:00:00-16:00",
            "2024-01-01T10:00:00+15:60",
            "2024-01-01T10:00:00+0100",
        ] {
            assert!(!matches(TIMESTAMPTZ_PATTERN, bad), "{bad}");
        }
        assert!(!matches(TIMESTAMP_PATTERN, "2016-12-31T23:59:60"));
        assert!(!matches(TIME_PATTERN, "23:59:60"));
        assert!(matches(TIME_PATTERN, "23:59:59.5"));
        assert!(matches(NUL_FREE_PATTERN, ""));
        assert!(matches(
            NUL_FREE_PATTERN,
            "line\nbreak, tab\t, \u{1} and 😀"
        ));
        assert!(!matches(NUL_FREE_PATTERN, "a\u{0}b"));
        assert!(!matches(NUL_FREE_PATTERN, "\u{0}"));
    }

    #[test]
    fn only_patterns_that_provably_exclude_nul_drop_the_nul_rule() {
        for proven in [
            "^[A-Z0-9]{8}$",
            r"^\+[1-9][0-9]{6,14}$",
            "^(a|b)+$",
            "^(?:ab|cd)?$",
            r"^\d+\.\w*\s?[\-\]a-z]$",
            "^$",
            "^[a]*$",
        ] {
            assert!(excludes_nul(proven), "{proven}");
            assert!(!needs_nul_pattern(&[proven]), "{proven}");
        }
        for unproven in [
            "^[^@ ]+@[^@ ]+$",
            "^https?://[^ ]+$",
            "[A-Z]",
            "^[A-Z]",
            "[A-Z]$",
            "^a|b$",
            "^a.b$",
            r"^[\s\S]*$",
            r"^\D$",
            r"^\x00$",
            r"^\u0000$",
            r"^[\0]$",
            r"^a\$",
            "^(?=a)a$",
            "^(a$",
            "^a)$",
            "^[a$",
            "^a\u{0}$",
            NUL_FREE_PATTERN,
        ] {
            assert!(!excludes_nul(unproven), "{unproven}");
        }
        assert!(needs_nul_pattern::<&str>(&[]));
        assert!(needs_nul_pattern(&["^https?://[^ ]+$"]));
        assert!(!needs_nul_pattern(&["^https?://[^ ]+$", "^[a-z:/.]+$"]));
    }
}
