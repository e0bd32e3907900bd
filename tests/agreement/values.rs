//! Valid and invalid values per SQL type and CHECKs: the bounds and just past them, strings at
//! and past their lengths (ASCII and astral-plane characters), pattern samples from `rand_regex`
//! and near misses, and the forms PostgreSQL reads but the JSON contract refuses (uuid, date,
//! date-time, inet). `corpus.rs` puts them into payloads.

use rand::RngExt as _;
use serde_json::{Value, json};

use crate::corpus::STRICTER;
use crate::ir::{Constraints, MAX_SAFE_INTEGER, SqlType, TypeFacts};
use crate::oracle::matches;

/// The corpus' random number generator (portable, seeded).
pub type Rng = rand::rngs::Xoshiro256PlusPlus;

/// Valid and invalid values for one column (or array item).
#[derive(Debug, Default, Clone)]
pub struct Values {
    /// Values that are valid, with what each tests.
    pub valid: Vec<(String, Value)>,
    /// Values that are invalid, with what each tests.
    pub invalid: Vec<(String, Value)>,
}

impl Values {
    /// Adds a valid value (once).
    pub fn ok(&mut self, label: impl Into<String>, value: Value) {
        let label = label.into();
        if !self.valid.iter().any(|(_, v)| same_json(v, &value)) {
            self.valid.push((label, value));
        }
    }

    /// Adds an invalid value (once).
    pub fn bad(&mut self, label: impl Into<String>, value: Value) {
        let label = label.into();
        if !self.invalid.iter().any(|(_, v)| same_json(v, &value)) {
            self.invalid.push((label, value));
        }
    }

    /// The value used when a payload needs "some valid value" of this column.
    pub fn typical(&self) -> &Value {
        &self.valid.first().expect("at least one valid value").1
    }
}

/// The same JSON text (`0.0` and `-0.0`, `5` and `5.0` are different cases).
pub fn same_json(a: &Value, b: &Value) -> bool {
    let (a, b) = (a.to_string(), b.to_string());
    a == b
}

/// An integer as a JSON number (beyond i64 as u64, beyond that as a float).
pub fn int(i: i128) -> Value {
    if let Ok(v) = i64::try_from(i) {
        Value::from(v)
    } else if let Ok(v) = u64::try_from(i) {
        Value::from(v)
    } else {
        Value::from(i as f64)
    }
}

/// A float as a JSON number written with a fraction or exponent (`5.0`, not `5`).
pub fn float(f: f64) -> Value {
    Value::from(f)
}

/// int2/int4/int8: the bounds (type, CHECKs, the int8 policy) and one past them, integer-valued
/// floats (valid), fractions, numeric strings.
pub fn integer_values(rng: &mut Rng, ty: &SqlType, c: &Constraints) -> Values {
    let (type_lo, type_hi) = ty.integer_range().unwrap();
    let (lo, hi) = c.integer_bounds(ty);
    let mut v = Values::default();
    if let Some(list) = &c.one_of {
        v = one_of_values(list, "IN-list value");
        let max = list.iter().filter_map(|x| x.as_i64()).max().unwrap_or(0);
        v.bad("a number not in the IN list", int(i128::from(max) + 1));
    } else {
        v.ok(format!("minimum ({lo})"), int(lo));
        v.ok(format!("maximum ({hi})"), int(hi));
        v.ok("middle of the range", int(lo + (hi - lo) / 2));
        if lo < hi {
            v.ok("minimum + 1", int(lo + 1));
            v.ok("maximum − 1", int(hi - 1));
        }
        for _ in 0..2 {
            let r = rng.random_range(lo..=hi);
            v.ok(format!("random in range ({r})"), int(r));
        }
        if lo <= 0 && hi >= 0 {
            v.ok("negative zero (-0.0)", float(-0.0));
        }
        if lo.abs() <= MAX_SAFE_INTEGER {
            v.ok(
                format!("minimum as an integer-valued float ({lo}.0)"),
                float(lo as f64),
            );
        }
        if hi.abs() <= MAX_SAFE_INTEGER {
            v.ok(
                format!("maximum as an integer-valued float ({hi}.0)"),
                float(hi as f64),
            );
        }
    }
    let below = match c.minimum {
        Some((m, true)) if m.fract() == 0.0 && m as i128 == lo - 1 => {
            format!("the exclusive minimum itself ({})", lo - 1)
        }
        _ => format!("just below the minimum ({})", lo - 1),
    };
    let above = match c.maximum {
        Some((m, true)) if m.fract() == 0.0 && m as i128 == hi + 1 => {
            format!("the exclusive maximum itself ({})", hi + 1)
        }
        _ => format!("just above the maximum ({})", hi + 1),
    };
    v.bad(below, int(lo - 1));
    v.bad(above, int(hi + 1));
    v.bad(
        format!("just below the minimum, as a float ({}.0)", lo - 1),
        float((lo - 1) as f64),
    );
    if type_lo < lo {
        v.bad(format!("the type's minimum ({type_lo})"), int(type_lo));
    }
    v.bad(
        format!("beyond the type's range ({})", type_hi + 1),
        int(type_hi + 1),
    );
    v.bad(
        format!("beyond the type's range ({})", type_lo - 1),
        int(type_lo - 1),
    );
    if *ty == SqlType::Int8 {
        v.bad("2^53, beyond the int8 policy", int(1 << 53));
        v.bad("−2^53, beyond the int8 policy", int(-(1 << 53)));
        v.bad(
            "2^63−1, bigint's maximum (beyond the int8 policy)",
            int(i64::MAX.into()),
        );
        v.bad("2^63, beyond bigint", json!(9_223_372_036_854_775_808_u64));
        v.bad("1e20 as a float", float(1e20));
    }
    // Fractions in range: near the minimum, and near zero where doubles are too coarse to hold
    // a fraction next to the minimum (int8).
    let in_range = |f: f64| f.fract() != 0.0 && f >= lo as f64 && f <= hi as f64;
    for fraction in [lo as f64 + 0.5, lo as f64 + 0.001, 0.5] {
        if in_range(fraction) {
            v.bad(format!("not an integer ({fraction})"), float(fraction));
        }
    }
    if lo == hi {
        v.bad(
            format!("not an integer ({})", lo as f64 - 0.5),
            float(lo as f64 - 0.5),
        );
    }
    v.bad("wrong type: a numeric string", json!(lo.to_string()));
    v.bad("wrong type: a boolean", json!(true));
    v.bad("wrong type: an array", json!([int(lo)]));
    v.bad("wrong type: an object", json!({ "value": int(lo) }));
    v
}

/// Text: samples, exactly max/min length in ASCII and astral characters, one past them, a
/// trailing space past varchar(n), pattern near misses, IN-list misses, wrong types.
pub fn string_values(rng: &mut Rng, c: &Constraints) -> Values {
    if let Some(list) = &c.one_of {
        let mut v = one_of_values(list, "IN-list value");
        v.bad("wrong type: a number", json!(1));
        return v;
    }
    let mut v = Values::default();
    let samples = string_samples(rng, c);
    for (i, s) in samples.iter().enumerate() {
        v.ok(
            format!("sample string #{i} ({} characters)", s.chars().count()),
            json!(s),
        );
    }
    let base = samples.first().cloned().unwrap_or_default();
    if let Some(max) = c.max_length {
        let max = max as usize;
        for (filler, s) in boundary_strings(&base, max, &c.patterns) {
            v.ok(
                format!("exactly maxLength ({max}) characters of {filler:?}"),
                json!(s),
            );
        }
        let too_long = boundary_strings(&base, max + 1, &c.patterns);
        for (filler, s) in &too_long {
            v.bad(
                format!(
                    "too long: maxLength + 1 ({}) characters of {filler:?}",
                    max + 1
                ),
                json!(s),
            );
        }
        if too_long.is_empty() {
            v.bad(
                format!(
                    "too long: maxLength + 1 ({}) characters (the pattern cannot match that long)",
                    max + 1
                ),
                json!("9".repeat(max + 1)),
            );
        }
        if let Some((_, s)) = boundary_strings(&base, max, &c.patterns).into_iter().next() {
            // varchar(n) silently drops trailing spaces past n; the JSON contract does not.
            v.bad(
                format!(
                    "too long: maxLength characters plus a trailing space ({})",
                    max + 1
                ),
                json!(s + " "),
            );
        }
    }
    if let Some(min) = c.min_length.filter(|m| *m > 0) {
        let min = min as usize;
        for (filler, s) in boundary_strings(&base, min, &c.patterns) {
            v.ok(
                format!("exactly minLength ({min}) characters of {filler:?}"),
                json!(s),
            );
        }
        let short: String = base.chars().take(min - 1).collect();
        v.bad(
            format!("too short: minLength − 1 ({}) characters", min - 1),
            json!(short),
        );
    }
    for (label, s) in pattern_mismatches(&samples, c) {
        v.bad(format!("pattern mismatch: {label}"), json!(s));
    }
    // U+0000: a JSON string may hold it, PostgreSQL's text cannot (nor the contract). Only where
    // the lengths and patterns admit it, so that U+0000 is the one thing wrong.
    let nul = samples.iter().find_map(|s| {
        let chars: Vec<char> = s.chars().collect();
        // After the first character, at the end, in the middle.
        [chars.len().min(1), chars.len(), chars.len() / 2]
            .into_iter()
            .map(|at| {
                let (head, tail) = chars.split_at(at);
                head.iter()
                    .chain(['\0'].iter())
                    .chain(tail)
                    .collect::<String>()
            })
            .find(|candidate| fits(candidate, c))
    });
    if let Some(nul) = nul {
        v.bad(
            "a string holding U+0000 (PostgreSQL's text cannot store it)",
            json!(nul),
        );
    }
    v.bad("wrong type: a number", json!(5));
    v.bad("wrong type: a boolean", json!(true));
    v.bad("wrong type: an array of strings", json!([base]));
    v.bad("wrong type: an object", json!({ "text": base }));
    v
}

/// Valid strings: regex samples for patterned columns, else an assortment; all fitting.
fn string_samples(rng: &mut Rng, c: &Constraints) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |s: String| {
        if !s.contains('\0') && fits(&s, c) && !out.contains(&s) {
            out.push(s);
        }
    };
    if let Some(pattern) = c.patterns.first() {
        let core = pattern
            .strip_prefix('^')
            .unwrap_or(pattern)
            .strip_suffix('$')
            .filter(|p| !p.ends_with('\\'))
            .unwrap_or_else(|| pattern.strip_prefix('^').unwrap_or(pattern));
        // Printable-ASCII samples first (the payloads' typical value stays readable), then
        // samples from all of Unicode.
        let ascii =
            rand_regex::Regex::compile(&core.replace("[^", "[^\\x{80}-\\x{10FFFF}\\x00-\\x20"), 8);
        if let Ok(ascii) = ascii {
            for _ in 0..3 {
                let s: String = rng.sample(&ascii);
                add(s);
            }
        }
        let generators = [4, 12, 40]
            .map(|repeat| rand_regex::Regex::compile(core, repeat))
            .into_iter()
            .collect::<Result<Vec<_>, _>>()
            .unwrap_or_else(|e| {
                panic!("rand_regex cannot generate strings for {pattern:?}: {e:?}")
            });
        for generator in &generators {
            for _ in 0..4 {
                let s: String = rng.sample(generator);
                add(s);
            }
        }
    } else {
        for s in [
            "hello",
            "Héllo wörld, ça va? 😀",
            "line one\nline two\ttabbed",
            "quote \" backslash \\ slash / brace {",
            "  padded with spaces  ",
            "NULL",
            "ß ﬀ İ ǅ",
            "\u{202e}right-to-left\u{202c}",
            "a",
            "😀",
            "",
        ] {
            add(s.to_owned());
        }
        let any = rand_regex::Regex::compile("(.|\n){0,40}", 40).expect("a valid regex");
        for _ in 0..3 {
            let s: String = rng.sample(&any);
            add(s);
        }
    }
    assert!(
        !out.is_empty(),
        "no string sample fits {c:?}; extend tests/agreement/values.rs"
    );
    out
}

/// uuid: canonical forms (either case, nil, max) and the forms PostgreSQL also reads.
pub fn uuid_values(rng: &mut Rng) -> Values {
    let mut v = Values::default();
    let hex = |rng: &mut Rng, n: usize| -> String {
        (0..n)
            .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap())
            .collect()
    };
    let random = format!(
        "{}-{}-4{}-{}{}-{}",
        hex(rng, 8),
        hex(rng, 4),
        hex(rng, 3),
        ["8", "9", "a", "b"][rng.random_range(0..4)],
        hex(rng, 3),
        hex(rng, 12)
    );
    v.ok("a random version-4 uuid", json!(random));
    v.ok("upper-case hex", json!(random.to_uppercase()));
    v.ok(
        "the nil uuid",
        json!("00000000-0000-0000-0000-000000000000"),
    );
    v.ok(
        "the max uuid",
        json!("ffffffff-ffff-ffff-ffff-ffffffffffff"),
    );
    v.ok(
        "no RFC 4122 version or variant",
        json!("12345678-1234-0234-0234-123456789abc"),
    );
    let compact: String = random.chars().filter(|c| *c != '-').collect();
    v.bad(
        "uuid in braces (PostgreSQL reads it)",
        json!(format!("{{{random}}}")),
    );
    v.bad("uuid without hyphens (PostgreSQL reads it)", json!(compact));
    v.bad(
        "uuid with a urn:uuid: prefix",
        json!(format!("urn:uuid:{random}")),
    );
    v.bad("uuid one character short", json!(&random[..35]));
    v.bad("uuid one character long", json!(format!("{random}0")));
    v.bad(
        "uuid with a non-hex digit",
        json!(format!("g{}", &random[1..])),
    );
    v.bad(
        "uuid with hyphens misplaced",
        json!(format!("{}-{}", &compact[..7], &compact[7..])),
    );
    v.bad(
        "uuid with hyphens every four digits (PostgreSQL reads it)",
        json!(
            compact
                .as_bytes()
                .chunks(4)
                .map(|c| std::str::from_utf8(c).unwrap())
                .collect::<Vec<_>>()
                .join("-")
        ),
    );
    v.bad("uuid with a leading space", json!(format!(" {random}")));
    v.bad("uuid with a trailing newline", json!(format!("{random}\n")));
    v.bad("empty string", json!(""));
    v.bad("wrong type: a number", json!(123));
    v.bad("wrong type: an array", json!([random]));
    v
}

/// boolean: the two values, and the strings and numbers PostgreSQL reads as booleans.
pub fn bool_values() -> Values {
    let mut v = Values::default();
    v.ok("true", json!(true));
    v.ok("false", json!(false));
    v.bad(
        "wrong type: the string \"true\" (PostgreSQL reads it)",
        json!("true"),
    );
    v.bad(
        "wrong type: the string \"yes\" (PostgreSQL reads it)",
        json!("yes"),
    );
    v.bad("wrong type: the string \"t\"", json!("t"));
    v.bad("wrong type: the number 1 (PostgreSQL reads it)", json!(1));
    v.bad("wrong type: the number 0", json!(0));
    v.bad("wrong type: an array", json!([true]));
    v
}

/// Values of a closed list (IN list or enum labels).
pub fn one_of_values(list: &[Value], what: &str) -> Values {
    let mut v = Values::default();
    for value in list {
        v.ok(format!("{what} {value}"), value.clone());
    }
    if let Some(first) = list.iter().find_map(Value::as_str) {
        let candidates = [
            ("unknown value", "no-such-value".to_owned()),
            ("different case", first.to_uppercase()),
            ("different case", first.to_lowercase()),
            ("trailing space", format!("{first} ")),
            ("leading space", format!(" {first}")),
            ("empty string", String::new()),
        ];
        for (label, s) in candidates {
            if !list.contains(&json!(s)) {
                v.bad(format!("not in the list: {label} {s:?}"), json!(s));
            }
        }
        v.bad("wrong type: a number", json!(1));
        v.bad("wrong type: an array of a valid value", json!([first]));
    }
    v
}

/// float4/float8/numeric: bounds (inclusive and exclusive) and the next double past them.
pub fn float_values(ty: &SqlType, c: &Constraints) -> Values {
    let mut v = Values::default();
    let real = *ty == SqlType::Float4;
    let lo = c.minimum.map(|(m, ex)| if ex { m.next_up() } else { m });
    let hi = c.maximum.map(|(m, ex)| if ex { m.next_down() } else { m });
    match c.minimum {
        Some((m, false)) => {
            v.ok(format!("minimum ({m})"), float(m));
            if m.fract() == 0.0 {
                v.ok(format!("minimum as an integer ({m})"), int(m as i128));
            }
            v.bad(
                format!("just below the minimum ({})", m.next_down()),
                float(m.next_down()),
            );
        }
        Some((m, true)) => {
            v.ok(
                format!("just above the exclusive minimum ({})", m.next_up()),
                float(m.next_up()),
            );
            v.bad(format!("the exclusive minimum itself ({m})"), float(m));
            if m.fract() == 0.0 {
                v.bad(
                    format!("the exclusive minimum itself, as an integer ({m})"),
                    int(m as i128),
                );
            }
        }
        None if real => {
            v.ok("a large negative real", float(-3.0e38));
            v.ok("a tiny positive real", float(1.5e-45));
            v.bad(format!("beyond real's range {STRICTER}"), float(-1e39));
        }
        None => {
            v.ok("a large negative number", float(-1e300));
            v.ok("the smallest positive double", float(5e-324));
        }
    }
    match c.maximum {
        Some((m, false)) => {
            v.ok(format!("maximum ({m})"), float(m));
            if m.fract() == 0.0 {
                v.ok(format!("maximum as an integer ({m})"), int(m as i128));
            }
            v.bad(
                format!("just above the maximum ({})", m.next_up()),
                float(m.next_up()),
            );
        }
        Some((m, true)) => {
            v.ok(
                format!("just below the exclusive maximum ({})", m.next_down()),
                float(m.next_down()),
            );
            v.bad(format!("the exclusive maximum itself ({m})"), float(m));
        }
        None if real => v.ok("a large positive real", float(3.0e38)),
        None => v.ok("a large positive number", float(1e300)),
    }
    let (a, b) = (lo.unwrap_or(-1e6), hi.unwrap_or(1e6));
    let mid = a + (b - a) / 2.0;
    v.ok(format!("middle of the range ({mid})"), float(mid));
    if mid.round() >= a && mid.round() <= b {
        v.ok(
            format!("an integer in range ({})", mid.round()),
            int(mid.round() as i128),
        );
    }
    if a <= 0.0 && b >= 0.0 {
        v.ok("negative zero (-0.0)", float(-0.0));
    }
    let fraction = a + (b - a) * 0.3125;
    v.ok(format!("a fraction in range ({fraction})"), float(fraction));
    v.bad("wrong type: a numeric string", json!(mid.to_string()));
    v.bad(
        "wrong type: the string \"NaN\" (PostgreSQL reads it)",
        json!("NaN"),
    );
    v.bad(
        "wrong type: the string \"Infinity\" (PostgreSQL reads it)",
        json!("Infinity"),
    );
    v.bad("wrong type: a boolean", json!(false));
    v.bad("wrong type: an array", json!([mid]));
    v
}

/// date: RFC 3339 full-dates, impossible dates and the forms PostgreSQL also reads.
pub fn date_values() -> Values {
    let mut v = Values::default();
    for (label, s) in [
        ("a leap day", "2024-02-29"),
        ("a leap day of a 400-year leap year", "2000-02-29"),
        ("the last day of a year", "1999-12-31"),
        ("year 1", "0001-01-01"),
        ("year 9999", "9999-12-31"),
        ("an ordinary day", "2024-07-14"),
    ] {
        v.ok(label, json!(s));
    }
    for (label, s) in [
        ("no zero padding (PostgreSQL reads it)", "2024-1-1"),
        ("no hyphens (PostgreSQL reads it)", "20240101"),
        ("a leading space (PostgreSQL reads it)", " 2024-01-01"),
        ("a trailing space", "2024-01-01 "),
        ("month 13", "2024-13-01"),
        ("month 0", "2024-00-10"),
        ("day 0", "2024-01-00"),
        ("February 29 of a non-leap year", "2023-02-29"),
        ("February 29 of a non-leap century", "1900-02-29"),
        ("February 30", "2024-02-30"),
        ("April 31", "2024-04-31"),
        ("a date-time", "2024-01-01T00:00:00Z"),
        ("'today' (PostgreSQL reads it)", "today"),
        ("'epoch' (PostgreSQL reads it)", "epoch"),
        ("'infinity' (PostgreSQL reads it)", "infinity"),
        ("year 10000 (PostgreSQL reads it)", "10000-01-01"),
        ("slashes", "2024/01/01"),
        ("empty string", ""),
    ] {
        v.bad(format!("bad date: {label}"), json!(s));
    }
    v.bad(
        "bad date: year 0 (PostgreSQL has no year 0)",
        json!("0000-06-15"),
    );
    v.bad("wrong type: a number", json!(20240101));
    v
}

/// timestamptz: RFC 3339 date-times (offsets, fractions) and everything else — leap seconds
/// included: the contract refuses second 60 (JavaScript's `Date` cannot hold it, PostgreSQL rolls
/// it into the next minute).
pub fn timestamptz_values() -> Values {
    let mut v = Values::default();
    for (label, s) in [
        ("UTC with Z", "2024-01-01T00:00:00Z"),
        (
            "fractional seconds and a positive offset",
            "2024-06-15T12:34:56.789+05:30",
        ),
        ("a negative offset", "2024-06-15T12:34:56-08:00"),
        ("microseconds on a leap day", "2024-02-29T23:59:59.999999Z"),
        ("offset +00:00", "2024-01-01T00:00:00+00:00"),
        (
            "nanoseconds (PostgreSQL rounds them)",
            "2024-01-01T00:00:00.123456789Z",
        ),
        ("year 1", "0001-01-01T00:00:00Z"),
        ("year 9999", "9999-12-31T23:59:59Z"),
        ("offset +14:00", "2024-01-01T10:00:00+14:00"),
        ("offset -12:00", "2024-01-01T10:00:00-12:00"),
        (
            "offset +15:59, PostgreSQL's largest",
            "2024-01-01T10:00:00+15:59",
        ),
    ] {
        v.ok(label, json!(s));
    }
    for (label, s) in [
        ("a date only (PostgreSQL reads it)", "2024-01-01"),
        ("no offset (PostgreSQL reads it)", "2024-01-01T10:00:00"),
        (
            "a lower-case t (PostgreSQL reads it)",
            "2024-01-01t10:00:00Z",
        ),
        (
            "a space separator (PostgreSQL reads it)",
            "2024-01-01 10:00:00Z",
        ),
        ("'now' (PostgreSQL reads it)", "now"),
        ("'infinity' (PostgreSQL reads it)", "infinity"),
        ("'-infinity' (PostgreSQL reads it)", "-infinity"),
        ("'epoch' (PostgreSQL reads it)", "epoch"),
        ("'today' (PostgreSQL reads it)", "today"),
        ("month 13", "2024-13-01T00:00:00Z"),
        ("February 30", "2024-02-30T00:00:00Z"),
        (
            "hour 24 (PostgreSQL reads 24:00:00)",
            "2024-01-01T24:00:00Z",
        ),
        ("minute 60", "2024-01-01T10:60:00Z"),
        ("second 61", "2024-01-01T10:00:61Z"),
        (
            "second 60 not at 23:59 UTC (PostgreSQL rolls it over)",
            "2024-01-01T10:00:60Z",
        ),
        (
            "a leap second at 23:59:60 UTC (JavaScript cannot hold it, PostgreSQL rolls it over)",
            "2016-12-31T23:59:60Z",
        ),
        (
            "a leap second at 23:59:60 UTC, written with an offset",
            "2016-12-31T18:59:60-05:00",
        ),
        ("no seconds (PostgreSQL reads it)", "2024-01-01T10:00Z"),
        ("an offset without a colon", "2024-01-01T10:00:00+0100"),
        ("an offset without minutes", "2024-01-01T10:00:00+01"),
        ("an offset of 24 hours", "2024-01-01T10:00:00+24:00"),
        ("a decimal comma", "2024-01-01T10:00:00,5Z"),
        ("a lower-case z", "2024-01-01T10:00:00z"),
        ("a dot without digits", "2024-01-01T10:00:00.Z"),
        ("a space before Z", "2024-01-01T10:00:00 Z"),
        ("a leading space", " 2024-01-01T10:00:00Z"),
        ("empty string", ""),
    ] {
        v.bad(format!("bad date-time: {label}"), json!(s));
    }
    v.bad(
        "bad date-time: offset +16:00, past PostgreSQL's ±15:59",
        json!("2024-01-01T10:00:00+16:00"),
    );
    v.bad(
        "bad date-time: offset -16:00, past PostgreSQL's ±15:59",
        json!("2024-01-01T10:00:00-16:00"),
    );
    v.bad(
        "bad date-time: year 0 (PostgreSQL has no year 0)",
        json!("0000-06-15T00:00:00Z"),
    );
    v.bad("wrong type: a number (epoch seconds)", json!(1_704_067_200));
    v
}

/// timestamp (without time zone): a pattern only in the contract (no standard format), so the
/// calendar and clock ranges are PostgreSQL's alone.
pub fn timestamp_values() -> Values {
    let mut v = Values::default();
    v.ok("a local date-time", json!("2024-01-01T00:00:00"));
    v.ok(
        "microseconds on a leap day",
        json!("2024-02-29T23:59:59.999999"),
    );
    for (label, s) in [
        ("with an offset", "2024-01-01T00:00:00Z"),
        ("a date only (PostgreSQL reads it)", "2024-01-01"),
        (
            "a space separator (PostgreSQL reads it)",
            "2024-01-01 00:00:00",
        ),
        ("'now' (PostgreSQL reads it)", "now"),
        (
            "second 60 (PostgreSQL rolls it over)",
            "2016-12-31T23:59:60",
        ),
        ("year 0 (PostgreSQL has no year 0)", "0000-06-15T00:00:00"),
    ] {
        v.bad(format!("bad timestamp: {label}"), json!(s));
    }
    v.bad(
        format!("bad timestamp: month 13 {STRICTER}"),
        json!("2024-13-01T00:00:00"),
    );
    v.bad(
        format!("bad timestamp: hour 25 {STRICTER}"),
        json!("2024-01-01T25:00:00"),
    );
    v.bad("wrong type: a number", json!(0));
    v
}

/// time (without time zone): a pattern only in the contract.
pub fn time_values() -> Values {
    let mut v = Values::default();
    v.ok("a time of day", json!("10:00:00"));
    v.ok("fractional seconds", json!("23:59:59.5"));
    for (label, s) in [
        ("no seconds (PostgreSQL reads it)", "10:00"),
        ("with an offset", "10:00:00Z"),
        ("'now' (PostgreSQL reads it)", "now"),
        ("second 60 (PostgreSQL rolls it over)", "23:59:60"),
    ] {
        v.bad(format!("bad time: {label}"), json!(s));
    }
    v.bad(format!("bad time: hour 25 {STRICTER}"), json!("25:00:00"));
    v.bad("wrong type: a number", json!(36000));
    v
}

/// inet: IPv4 and IPv6 addresses, and what inet reads besides (netmasks, leading zeros).
pub fn inet_values() -> Values {
    let mut v = Values::default();
    for (label, s) in [
        ("IPv4", "192.168.0.1"),
        ("IPv4 0.0.0.0", "0.0.0.0"),
        ("IPv4 broadcast", "255.255.255.255"),
        ("IPv6 loopback", "::1"),
        ("IPv6 unspecified", "::"),
        ("IPv6 compressed", "2001:db8::8a2e:370:7334"),
        (
            "IPv6 in full with leading zeros",
            "2001:0db8:0000:0000:0000:ff00:0042:8329",
        ),
        ("IPv6 upper case", "2001:DB8::1"),
        ("IPv6 link-local", "fe80::1"),
        ("IPv4-mapped IPv6", "::ffff:192.0.2.1"),
    ] {
        v.ok(label, json!(s));
    }
    for (label, s) in [
        ("an IPv4 netmask (inet keeps it)", "10.0.0.1/8"),
        ("an IPv6 prefix length (inet keeps it)", "::1/128"),
        ("a leading zero (PostgreSQL reads 010 as 10)", "010.0.0.1"),
        ("an octet above 255", "1.2.3.256"),
        ("two octets", "10.1"),
        ("five octets", "1.2.3.4.5"),
        ("an IPv6 zone id", "fe80::1%eth0"),
        ("three colons", "2001:db8:::1"),
        ("a non-hex IPv6 group", "2001:db8::g"),
        ("a host name", "example.com"),
        ("a leading space", " 1.2.3.4"),
        ("empty string", ""),
    ] {
        v.bad(format!("bad inet: {label}"), json!(s));
    }
    v.bad("wrong type: a number", json!(3_232_235_521_u32));
    v
}

/// Values of a type with a text form (CONTRACT.md: a JSON string; PostgreSQL's input function
/// judges the form). The forms are each type's own, so each type used by a message type needs
/// its samples here.
pub fn textual_values(name: &str) -> Values {
    let mut v = Values::default();
    /// Labelled samples.
    type Samples = &'static [(&'static str, &'static str)];
    let (valid, malformed): (Samples, Samples) = match name {
        "pg_catalog.interval" => (
            &[
                ("PostgreSQL's form", "1 day 02:00:00"),
                ("ISO 8601", "P1DT2H"),
                ("a time", "00:30:00"),
            ],
            &[("a word", "soon"), ("a unit without a number", "days")],
        ),
        "pg_catalog.bytea" => (
            &[("hex", "\\x01ff"), ("empty", ""), ("escape format", "abc")],
            &[("a bad escape", "\\q"), ("odd hex digits", "\\x0")],
        ),
        other => panic!(
            "no sample values for the type {other} with a text form; add them to \
             textual_values in tests/agreement/values.rs"
        ),
    };
    for (label, text) in valid {
        v.ok(*label, json!(text));
    }
    for (label, text) in malformed {
        v.bad(format!("{STRICTER} {label}"), json!(text));
    }
    v.bad("a number (the contract wants its text)", json!(1));
    v.bad("a boolean", json!(true));
    v.bad("an array", json!(["1 day"]));
    v.bad("U+0000 (text cannot hold it)", json!("1\u{0}"));
    v
}

/// json/jsonb: any JSON value.
pub fn any_json_values() -> Values {
    let mut v = Values::default();
    let mut deep = json!("bottom");
    for _ in 0..20 {
        deep = json!({ "d": [deep] });
    }
    for (label, value) in [
        ("an object", json!({"event": "created", "id": 7})),
        ("an empty object", json!({})),
        ("an empty array", json!([])),
        ("a string", json!("text")),
        ("zero", json!(0)),
        ("a negative fraction", json!(-1.5)),
        ("true", json!(true)),
        ("false", json!(false)),
        (
            "mixed nesting",
            json!({"nested": {"array": [1, "two", null, {"three": 3}]}}),
        ),
        ("nested empty arrays", json!([[[]]])),
        ("an emoji string", json!("😀")),
        ("an empty key", json!({"": ""})),
        ("non-ASCII keys", json!({"clé": "valeur", "😀": 1})),
        ("a large number", json!(1e300)),
        ("20 levels deep", deep),
    ] {
        v.ok(label, value);
    }
    // jsonb (and json) cannot store U+0000 anywhere: not in a string, not in a key.
    v.bad(
        "a string holding U+0000 (jsonb cannot store it)",
        json!({"text": "a\u{0}b"}),
    );
    v.bad("U+0000 alone", json!("\u{0}"));
    v.bad(
        "a key holding U+0000 (jsonb cannot store it)",
        json!({"key\u{0}": 1}),
    );
    v.bad(
        "U+0000 deep inside arrays and objects",
        json!([{"d": [[{"e": "f\u{0}"}]]}]),
    );
    v
}

/// Whether `s` fits the length bounds and matches every pattern.
pub fn fits(s: &str, c: &Constraints) -> bool {
    let n = s.chars().count();
    c.min_length.is_none_or(|m| n >= m as usize)
        && c.max_length.is_none_or(|m| n <= m as usize)
        && c.patterns.iter().all(|p| matches(p, s))
}

/// Strings of exactly `target` characters that match every pattern, made from `sample`: one
/// padded with ASCII `a`, one with the astral-plane `😀` (one code point, two UTF-16 units),
/// and — when neither fits the pattern — one with a character of the sample itself.
fn boundary_strings(sample: &str, target: usize, patterns: &[String]) -> Vec<(char, String)> {
    let mut out: Vec<(char, String)> = ['a', '😀']
        .into_iter()
        .filter_map(|filler| Some((filler, stretch(sample, target, patterns, filler)?)))
        .collect();
    if out.is_empty() {
        let mut own: Vec<char> = sample.chars().filter(|c| *c != '\0').collect();
        own.dedup();
        out.extend(
            own.into_iter()
                .find_map(|filler| Some((filler, stretch(sample, target, patterns, filler)?))),
        );
    }
    out
}

/// `sample` grown (by repeating `filler` at some position) or shrunk (by removing a run) to
/// exactly `target` characters while still matching every pattern.
fn stretch(sample: &str, target: usize, patterns: &[String], filler: char) -> Option<String> {
    let chars: Vec<char> = sample.chars().collect();
    let ok = |s: &str| patterns.iter().all(|p| matches(p, s));
    if chars.len() <= target {
        let run: String = std::iter::repeat_n(filler, target - chars.len()).collect();
        (0..=chars.len()).find_map(|i| {
            let s: String = chars[..i].iter().collect::<String>()
                + &run
                + &chars[i..].iter().collect::<String>();
            (ok(&s) && (chars.len() < target || s.contains(filler))).then_some(s)
        })
    } else {
        let cut = chars.len() - target;
        (0..=target).find_map(|i| {
            let s: String = chars[..i].iter().chain(&chars[i + cut..]).collect();
            (ok(&s) && s.contains(filler)).then_some(s)
        })
    }
}

/// Strings that fit the lengths but not a pattern, derived from valid samples.
fn pattern_mismatches(samples: &[String], c: &Constraints) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for s in samples.iter().take(3) {
        let first: String = s.chars().skip(1).collect();
        let candidates = [
            ("a leading space", format!(" {s}")),
            ("a trailing space", format!("{s} ")),
            ("a trailing newline", format!("{s}\n")),
            ("a leading newline", format!("\n{s}")),
            ("the first character removed", first),
            ("upper case", s.to_uppercase()),
            ("lower case", s.to_lowercase()),
            ("an @ appended", format!("{s}@")),
            ("a letter appended", format!("{s}x")),
            ("a digit appended", format!("{s}9")),
            ("the empty string", String::new()),
            ("an unrelated word", "not matching".to_owned()),
        ];
        for (label, candidate) in candidates {
            let n = candidate.chars().count();
            let lengths_ok = c.min_length.is_none_or(|m| n >= m as usize)
                && c.max_length.is_none_or(|m| n <= m as usize);
            if lengths_ok
                && !c.patterns.iter().all(|p| matches(p, &candidate))
                && !out.iter().any(|(_, o)| o == &candidate)
            {
                out.push((label.to_owned(), candidate));
            }
        }
    }
    out
}
