//! The PostgreSQL oracle: a payload is valid iff its message type's table accepts it,
//!
//! ```sql
//! INSERT INTO messenger_payloads.<type> (<keys present>)
//! SELECT <keys present> FROM jsonb_populate_record(NULL::messenger_payloads.<type>, $1)
//! ```
//!
//! inside a transaction that is rolled back (only the keys present, so DEFAULTs apply as they
//! would) — after an explicit typing layer. PostgreSQL is lenient where the JSON contract
//! (CONTRACT.md) is strict: `jsonb_populate_record` ignores unknown keys, turns `5` into the
//! text `"5"` and `"yes"` into `true`, takes the string `"{a,b}"` as an array, `uuid` accepts
//! braces and missing hyphens, `timestamptz` accepts `now`, `epoch`, `2024-01-01` and
//! `24:00:00`, the date/time types roll second 60 (a leap second) over into the next minute,
//! `varchar(n)` silently drops trailing spaces past `n`, `int8` goes to 2^63−1,
//! and a `jsonb` column takes any JSON even when its COMMENT names a nested payload type. The
//! typing layer refuses each of those first, and says why; what it lets through, PostgreSQL
//! judges: NOT NULL, CHECKs, varchar lengths, enum labels, integer ranges, real dates, year 0,
//! UTC offsets past ±15:59 and U+0000 in text and jsonb (all of which it refuses itself).
//! `tests/agreement.rs` has one named test per decision.

use std::sync::OnceLock;

use serde_json::{Map, Value};
use tokio_postgres::Client;

use crate::ir::{Catalog, CatalogFacts, MAX_SAFE_INTEGER, MessageType, SqlType, TypeFacts};

/// The schema that holds the message type tables.
pub const PAYLOAD_SCHEMA: &str = "messenger_payloads";

/// CONTRACT.md's uuid pattern: the canonical 8-4-4-4-12 form, either case.
pub const UUID_PATTERN: &str =
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";
/// CONTRACT.md's timestamptz pattern: RFC 3339 with seconds and an offset.
pub const TIMESTAMPTZ_PATTERN: &str =
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$";
/// RFC 3339 full-date (format `date`).
pub const DATE_PATTERN: &str = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$";
/// A timestamp without time zone; seconds 00-59 (PostgreSQL rolls second 60 over, the contract
/// refuses it).
pub const TIMESTAMP_PATTERN: &str =
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-5][0-9](\.[0-9]+)?$";
/// A time of day without offset; seconds 00-59 (likewise).
pub const TIME_PATTERN: &str = r"^[0-9]{2}:[0-9]{2}:[0-5][0-9](\.[0-9]+)?$";

/// Whether `text` matches `pattern` as JSON Schema's `pattern` keyword sees it (ECMA-262
/// semantics, through the same `jsonschema` crate as the runtime).
pub fn matches(pattern: &str, text: &str) -> bool {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static CACHE: OnceLock<Mutex<HashMap<String, jsonschema::Validator>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    let validator = cache.entry(pattern.to_owned()).or_insert_with(|| {
        jsonschema::draft202012::new(&serde_json::json!({ "pattern": pattern }))
            .unwrap_or_else(|e| panic!("pattern {pattern:?} does not compile: {e}"))
    });
    validator.is_valid(&Value::from(text))
}

/// One INSERT the oracle runs: a (typed, normalised) object for one message type table.
#[derive(Debug, Clone)]
pub struct Insert {
    /// The table (message type).
    pub message_type: String,
    /// Where the object is in the payload (`""` for the payload itself).
    pub pointer: String,
    /// The object, with integer-valued floats in integer columns written as integers.
    pub object: Map<String, Value>,
}

/// The typing layer: refuses what the JSON contract refuses but PostgreSQL would accept, and
/// returns the INSERTs that decide the rest (the payload, then each nested payload).
pub fn type_check(
    catalog: &Catalog,
    message_type: &str,
    payload: &Value,
) -> Result<Vec<Insert>, Vec<String>> {
    let mut inserts = Vec::new();
    let mut errors = Vec::new();
    check_object(
        catalog,
        catalog.payload_type(message_type),
        payload,
        "",
        &mut inserts,
        &mut errors,
    );
    if errors.is_empty() {
        Ok(inserts)
    } else {
        Err(errors)
    }
}

fn check_object(
    catalog: &Catalog,
    message_type: &MessageType,
    value: &Value,
    pointer: &str,
    inserts: &mut Vec<Insert>,
    errors: &mut Vec<String>,
) {
    let Some(object) = value.as_object() else {
        errors.push(format!(
            "{pointer}: a `{}` payload is a JSON object, not {}",
            message_type.name,
            json_type(value)
        ));
        return;
    };
    let mut typed = Map::new();
    for (key, value) in object {
        let at = format!("{pointer}/{}", escape_pointer(key));
        let Some(column) = message_type.fields.iter().find(|c| &c.name == key) else {
            errors.push(format!(
                "{at}: unknown key (additionalProperties: false; jsonb_populate_record would ignore it)"
            ));
            continue;
        };
        if value.is_null() {
            // NULL is PostgreSQL's call: nullable columns take it, NOT NULL ones refuse it
            // (also when they have a DEFAULT: an explicit null is not a missing key).
            typed.insert(key.clone(), Value::Null);
            continue;
        }
        match check_value(catalog, &column.ty, value, &at, inserts) {
            Ok(v) => {
                typed.insert(key.clone(), v);
            }
            Err(e) => errors.push(format!("{at}: {e}")),
        }
    }
    inserts.push(Insert {
        message_type: message_type.name.clone(),
        pointer: pointer.to_owned(),
        object: typed,
    });
}

fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The JSON type of a value, as JSON Schema names it.
pub fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Checks one non-null value against a column type; returns it normalised.
fn check_value(
    catalog: &Catalog,
    ty: &SqlType,
    value: &Value,
    at: &str,
    inserts: &mut Vec<Insert>,
) -> Result<Value, String> {
    let wrong = |expected: &str| {
        Err(format!(
            "expected {expected}, got {} (PostgreSQL would convert it)",
            json_type(value)
        ))
    };
    match ty {
        SqlType::Bool => match value {
            Value::Bool(_) => Ok(value.clone()),
            _ => wrong("a boolean"),
        },
        SqlType::Int2 | SqlType::Int4 | SqlType::Int8 => {
            let Value::Number(n) = value else {
                return wrong("an integer");
            };
            let integer = integer_value(n)
                .ok_or_else(|| format!("{n} is not an integer (JSON Schema `integer`)"))?;
            if *ty == SqlType::Int8 && integer.abs() > MAX_SAFE_INTEGER {
                return Err(format!(
                    "{n} is outside ±(2^53−1), the int8 policy (PostgreSQL's bigint would take it)"
                ));
            }
            // `5.0` is the integer 5 in JSON (and in JavaScript); PostgreSQL's int4 input
            // refuses the text "5.0", so the oracle writes it as 5.
            Ok(match i64::try_from(integer) {
                Ok(i) => Value::from(i),
                Err(_) => value.clone(),
            })
        }
        SqlType::Float4 | SqlType::Float8 | SqlType::Numeric { .. } => match value {
            Value::Number(_) => Ok(value.clone()),
            _ => wrong("a number"),
        },
        SqlType::Text | SqlType::Varchar { .. } | SqlType::Char { .. } => {
            let Value::String(s) = value else {
                return wrong("a string");
            };
            if let Some(n) = ty.declared_length() {
                let length = s.chars().count();
                if length > n as usize {
                    return Err(format!(
                        "{length} characters, more than {n} (varchar/char would silently drop trailing spaces past {n})"
                    ));
                }
            }
            Ok(value.clone())
        }
        SqlType::Uuid => {
            let Value::String(s) = value else {
                return wrong("a string (uuid)");
            };
            if !matches(UUID_PATTERN, s) {
                return Err(format!(
                    "{s:?} is not a uuid in the canonical 8-4-4-4-12 form (PostgreSQL also reads braces and missing hyphens)"
                ));
            }
            Ok(value.clone())
        }
        SqlType::Date => {
            let Value::String(s) = value else {
                return wrong("a string (date)");
            };
            if !matches(DATE_PATTERN, s) {
                return Err(format!(
                    "{s:?} is not an RFC 3339 full-date YYYY-MM-DD (PostgreSQL also reads 2024-1-1, 20240101, epoch, today...)"
                ));
            }
            Ok(value.clone())
        }
        SqlType::Timestamptz => {
            let Value::String(s) = value else {
                return wrong("a string (date-time)");
            };
            if !matches(TIMESTAMPTZ_PATTERN, s) {
                return Err(format!(
                    "{s:?} is not an RFC 3339 date-time with seconds and an offset (PostgreSQL also reads now, epoch, infinity, a date, no offset, a space...)"
                ));
            }
            rfc3339_time_fields(&s[11..]).map_err(|e| format!("{s:?}: {e}"))?;
            Ok(value.clone())
        }
        SqlType::Timestamp | SqlType::Time => {
            // No standard format: CONTRACT.md gives them a pattern only, and so does the oracle
            // (PostgreSQL then judges the values, e.g. refuses 25:00:00).
            let Value::String(s) = value else {
                return wrong("a string");
            };
            let pattern = if *ty == SqlType::Time {
                TIME_PATTERN
            } else {
                TIMESTAMP_PATTERN
            };
            if !matches(pattern, s) {
                return Err(format!("{s:?} does not match {pattern}"));
            }
            Ok(value.clone())
        }
        SqlType::Inet => {
            let Value::String(s) = value else {
                return wrong("a string (ipv4 or ipv6)");
            };
            // The textual forms of the ipv4 (dotted quad, no leading zeros) and ipv6 formats:
            // no `/prefix` (inet would keep it), no `010.0.0.1` (inet reads it as 10.0.0.1).
            if s.parse::<std::net::IpAddr>().is_err() {
                return Err(format!(
                    "{s:?} is not an IPv4 or IPv6 address in JSON Schema's ipv4/ipv6 form (PostgreSQL's inet also reads a /netmask and leading zeros)"
                ));
            }
            Ok(value.clone())
        }
        SqlType::Json | SqlType::Jsonb { payload: None } | SqlType::Other { .. } => {
            Ok(value.clone())
        }
        // A type with a text form: the contract asks for a JSON string (PostgreSQL would also
        // read a number as its text); the type's input function judges the form.
        SqlType::Textual { name } => match value {
            Value::String(_) => Ok(value.clone()),
            _ => wrong(&format!("a string ({name})")),
        },
        // The generator refuses a composite field in a message type (nested payloads are jsonb
        // tagged `@payload`), so no payload of the corpus has one.
        SqlType::Composite { schema, name } => Err(format!(
            "the composite type {schema}.{name} is not a message type's field (the generator \
             refuses it)"
        )),
        SqlType::Jsonb {
            payload: Some(nested),
        } => {
            // A jsonb column takes any JSON; the COMMENT's @payload says it must be a
            // `nested`, which its own table judges.
            let mut errors = Vec::new();
            check_object(
                catalog,
                catalog.payload_type(nested),
                value,
                at,
                inserts,
                &mut errors,
            );
            if errors.is_empty() {
                Ok(value.clone())
            } else {
                Err(format!("nested `{nested}`: {}", errors.join("; ")))
            }
        }
        SqlType::Enum { .. } => match value {
            // The label itself is PostgreSQL's to check.
            Value::String(_) => Ok(value.clone()),
            _ => wrong("a string (enum label)"),
        },
        SqlType::Array { element } => {
            let Value::Array(items) = value else {
                return wrong("an array (PostgreSQL would also read the string \"{a,b}\")");
            };
            let mut typed = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                if item.is_null() {
                    return Err(format!(
                        "item {i} is null (items are non-null; PostgreSQL arrays take NULL)"
                    ));
                }
                let item = check_value(catalog, element, item, &format!("{at}/{i}"), inserts)
                    .map_err(|e| format!("item {i}: {e}"))?;
                typed.push(item);
            }
            Ok(Value::Array(typed))
        }
    }
}

/// The integer a JSON number denotes, if it is one (`5.0` is 5).
pub fn integer_value(n: &serde_json::Number) -> Option<i128> {
    if let Some(i) = n.as_i64() {
        return Some(i.into());
    }
    if let Some(u) = n.as_u64() {
        return Some(u.into());
    }
    let f = n.as_f64()?;
    (f.is_finite() && f.fract() == 0.0 && f.abs() < 1e30).then_some(f as i128)
}

fn two_digits(s: &str) -> u32 {
    s.parse().expect("digits checked by the pattern")
}

/// HH:MM:SS ranges of an RFC 3339 time, without its leap second: CONTRACT.md refuses second 60
/// (JavaScript's `Date` cannot represent it; PostgreSQL reads it, rolled into the next minute).
fn clock_fields(hms: &str) -> Result<(), String> {
    let (h, m, s) = (
        two_digits(&hms[0..2]),
        two_digits(&hms[3..5]),
        two_digits(&hms[6..8]),
    );
    if h > 23 {
        return Err(format!(
            "hour {h} (RFC 3339 hours are 00-23; PostgreSQL reads 24:00:00 as midnight)"
        ));
    }
    if m > 59 {
        return Err(format!("minute {m}"));
    }
    if s == 60 {
        return Err(
            "second 60 (a leap second: JavaScript's Date cannot represent it, PostgreSQL rolls \
             it into the next minute; the contract's seconds are 00-59)"
                .to_owned(),
        );
    }
    if s > 60 {
        return Err(format!("second {s}"));
    }
    Ok(())
}

/// The time part of an RFC 3339 date-time (after the `T`) whose shape the pattern checked:
/// field ranges as format `date-time` has them, but without the leap second (CONTRACT.md).
/// Calendar dates (month 13, February 30, year 0) and offsets past PostgreSQL's ±15:59 are
/// PostgreSQL's to refuse.
fn rfc3339_time_fields(time: &str) -> Result<(), String> {
    clock_fields(&time[..8])?;
    let offset = time.trim_start_matches(|c: char| c.is_ascii_digit() || c == ':' || c == '.');
    if offset != "Z" {
        let (oh, om) = (two_digits(&offset[1..3]), two_digits(&offset[4..6]));
        if oh > 23 || om > 59 {
            return Err(format!(
                "offset {offset} (RFC 3339 offsets are at most 23:59)"
            ));
        }
    }
    Ok(())
}

/// The INSERT for `object` into `messenger_payloads.<table>`, naming only the keys present.
pub fn insert_sql(table: &str, keys: &[&str]) -> String {
    let quote = |name: &str| format!("\"{}\"", name.replace('"', "\"\""));
    let table = format!("{PAYLOAD_SCHEMA}.{}", quote(table));
    if keys.is_empty() {
        return format!("INSERT INTO {table} DEFAULT VALUES");
    }
    let columns = keys.iter().map(|k| quote(k)).collect::<Vec<_>>().join(", ");
    format!(
        "INSERT INTO {table} ({columns}) SELECT {columns} FROM jsonb_populate_record(NULL::{table}, $1)"
    )
}

/// Runs the INSERT of `object` (keys present only) into `table` in a transaction that is
/// rolled back; `Err` carries PostgreSQL's message.
pub async fn postgres_insert(
    client: &mut Client,
    table: &str,
    object: &Map<String, Value>,
) -> Result<(), String> {
    let keys: Vec<&str> = object.keys().map(String::as_str).collect();
    let sql = insert_sql(table, &keys);
    let payload = Value::Object(object.clone());
    let tx = client
        .transaction()
        .await
        .map_err(|e| format!("BEGIN failed: {e}"))?;
    let result = if keys.is_empty() {
        tx.execute(sql.as_str(), &[]).await
    } else {
        tx.execute(sql.as_str(), &[&payload]).await
    };
    tx.rollback()
        .await
        .map_err(|e| format!("ROLLBACK failed: {e}"))?;
    result.map(|_| ()).map_err(|e| match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => e.to_string(),
    })
}

/// The oracle's verdict on one payload: the typing layer, then every INSERT it asks for.
pub async fn judge(
    client: &mut Client,
    catalog: &Catalog,
    message_type: &str,
    payload: &Value,
) -> Result<(), Vec<String>> {
    let inserts = type_check(catalog, message_type, payload)?;
    let mut errors = Vec::new();
    for insert in &inserts {
        if let Err(e) = postgres_insert(client, &insert.message_type, &insert.object).await {
            errors.push(format!(
                "{}: INSERT INTO {PAYLOAD_SCHEMA}.{}: {e}",
                if insert.pointer.is_empty() {
                    "/"
                } else {
                    &insert.pointer
                },
                insert.message_type
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}
