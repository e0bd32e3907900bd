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
//! a `jsonb` column takes any JSON even when its COMMENT names a nested payload type, an array
//! column takes any number of dimensions whatever it declares (`[[1, 2], [3, 4]]` in an
//! `integer[]`), and a composite column reads the literal `"(a,1)"` from a string and fills
//! a nested object field by field: a missing key is NULL, an unknown key is ignored, and the
//! NOT NULL, DEFAULT and CHECKs of a table whose row type it is do not apply. The typing layer
//! refuses each of those first, and says why; a nested object of a table's row type (or of a
//! jsonb column tagged `@payload`) is then judged by an INSERT into its own table, and one of a
//! `CREATE TYPE` by `jsonb_populate_record` of its type. What the typing layer lets through,
//! PostgreSQL judges: NOT NULL, CHECKs, varchar lengths, enum labels, domains, integer ranges,
//! real dates, year 0, UTC offsets past ±15:59 and U+0000 in text and jsonb (all of which it
//! refuses itself). `tests/agreement.rs` has one named test per decision.

use std::sync::OnceLock;

use serde_json::{Map, Value};
use tokio_postgres::Client;

use crate::ir::{
    Catalog, CatalogFacts, MAX_SAFE_INTEGER, ObjectType, PAYLOAD_SCHEMA, SqlType, TypeFacts,
};

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

/// One statement the oracle runs: a (typed, normalised) object of one payload type, INSERTed
/// into its table, or for a composite type (which has no table) read with
/// `jsonb_populate_record` of the type.
#[derive(Debug, Clone)]
pub struct Insert {
    /// The payload type: a message type (table) or a composite type of messenger_payloads.
    pub message_type: String,
    /// Whether it is a composite type rather than a table.
    pub composite: bool,
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

/// Types one object of `message_type`, queues the statement that judges it, and returns it
/// typed (`None` when it has errors).
fn check_object(
    catalog: &Catalog,
    message_type: ObjectType<'_>,
    value: &Value,
    pointer: &str,
    inserts: &mut Vec<Insert>,
    errors: &mut Vec<String>,
) -> Option<Map<String, Value>> {
    let Some(object) = value.as_object() else {
        errors.push(format!(
            "{pointer}: a `{}` payload is a JSON object, not {}",
            message_type.name,
            json_type(value)
        ));
        return None;
    };
    let errors_before = errors.len();
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
        message_type: message_type.name.to_owned(),
        composite: !message_type.is_message_type,
        pointer: pointer.to_owned(),
        object: typed.clone(),
    });
    (errors.len() == errors_before).then_some(typed)
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
        SqlType::Jsonb {
            payload: Some(nested),
        } => {
            // A jsonb column takes any JSON; the COMMENT's @payload says it must be a
            // `nested`, which its own table (or type) judges. jsonb keeps the value as given.
            check_nested(catalog, nested, value, at, inserts).map(|_| value.clone())
        }
        SqlType::Composite { schema, name } if schema == PAYLOAD_SCHEMA => {
            // PostgreSQL reads a composite literal from a string ("(a,1)") and fills an object
            // field by field, past the NOT NULL and CHECKs of the type's table: the object is
            // typed here and judged by its own table (or type); the outer INSERT gets it
            // typed, so that `5.0` reaches an integer field as 5.
            if !value.is_object() {
                return Err(format!(
                    "expected a `{name}` object, got {} (PostgreSQL would read a composite \
                     literal such as \"(a,1)\" from a string)",
                    json_type(value)
                ));
            }
            check_nested(catalog, name, value, at, inserts).map(Value::Object)
        }
        SqlType::Composite { schema, name } => Err(format!(
            "the composite type {schema}.{name} is outside {PAYLOAD_SCHEMA}, which the \
             generator refuses in payloads"
        )),
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

/// Types a nested object of the payload type `nested` at `at`, queueing its statements.
fn check_nested(
    catalog: &Catalog,
    nested: &str,
    value: &Value,
    at: &str,
    inserts: &mut Vec<Insert>,
) -> Result<Map<String, Value>, String> {
    let mut errors = Vec::new();
    let typed = check_object(
        catalog,
        catalog.payload_type(nested),
        value,
        at,
        inserts,
        &mut errors,
    );
    match typed {
        Some(typed) if errors.is_empty() => Ok(typed),
        _ => Err(format!("nested `{nested}`: {}", errors.join("; "))),
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

/// Reads `object` as a value of the composite type `messenger_payloads.<name>`: PostgreSQL
/// checks each attribute's type, length, enum label and domain (NOT NULL and CHECKs), with a
/// missing key read as NULL.
pub fn populate_sql(name: &str) -> String {
    let quote = |name: &str| format!("\"{}\"", name.replace('"', "\"\""));
    format!(
        "SELECT jsonb_populate_record(NULL::{PAYLOAD_SCHEMA}.{}, $1)",
        quote(name)
    )
}

/// Runs the statement that judges `insert` in a transaction that is rolled back: the INSERT
/// of its object (keys present only) into its table, or `jsonb_populate_record` of its
/// composite type; `Err` carries PostgreSQL's message.
pub async fn postgres_judge(client: &mut Client, insert: &Insert) -> Result<(), String> {
    if !insert.composite {
        return postgres_insert(client, &insert.message_type, &insert.object).await;
    }
    let payload = Value::Object(insert.object.clone());
    client
        .execute(populate_sql(&insert.message_type).as_str(), &[&payload])
        .await
        .map(|_| ())
        .map_err(|e| match e.as_db_error() {
            Some(db) => format!("{}: {}", db.code().code(), db.message()),
            None => e.to_string(),
        })
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
        if let Err(e) = postgres_judge(client, insert).await {
            errors.push(format!(
                "{}: {} {PAYLOAD_SCHEMA}.{}: {e}",
                if insert.pointer.is_empty() {
                    "/"
                } else {
                    &insert.pointer
                },
                if insert.composite {
                    "jsonb_populate_record of"
                } else {
                    "INSERT INTO"
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
