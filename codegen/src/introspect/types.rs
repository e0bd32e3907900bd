//! The catalog's types read into IR types: base types, domains (with their CHECKs, translated
//! into IR checks or reported), arrays, enums, composites and the types with a text form;
//! constant DEFAULTs as JSON. What `catalog.rs` resolves every column, attribute and argument
//! with.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;
use tokio_postgres::Client;

use crate::checks;
use crate::warnings::{self, Warning, WarningCode};
use messenger_ir::{Check, EnumType, SqlType};

pub(super) struct PgType {
    pub(super) name: String,
    pub(super) schema: String,
    pub(super) kind: u8, // typtype: b base, e enum, d domain, c composite, p pseudo, r range, m multirange
    element: u32,
    base: u32,
    base_typmod: i32,
    domain_not_null: bool,
    category: u8,
    /// `typndims`: the array dimensions a domain over an array declares.
    dimensions: i32,
    /// `pg_class` oid of a composite type's attributes (a relation's, or the type's own).
    relation: u32,
    /// A type from an extension with a cast to json: `to_json` writes what the cast makes.
    json_cast: bool,
}

/// The catalog's types by oid, with the CHECKs of domains: what [`resolve`] reads a type from.
pub(super) struct Types {
    pub(super) by_oid: HashMap<u32, PgType>,
    pub(super) domain_checks: HashMap<u32, Vec<CheckConstraint>>,
}

impl Types {
    /// The IR type of `oid` (with `typmod`), for a function's argument or result: domains
    /// resolved, their CHECKs and NOT NULL dropped (a function's values are not checked
    /// against them by PostgREST's callers), no warnings.
    pub(super) fn function_type(&self, oid: u32) -> SqlType {
        let mut ignored = Vec::new();
        resolve(oid, -1, self, "", &mut ignored).0
    }
}

pub(super) async fn types(client: &Client) -> Result<HashMap<u32, PgType>, tokio_postgres::Error> {
    // `to_json` writes a type from an extension (oid >= 16384, FirstNormalObjectId) through its
    // cast to json when it has one (PostGIS's geometry becomes GeoJSON); other types without a
    // JSON form of their own are written as their text.
    let rows = client
        .query(
            "SELECT t.oid, t.typname::text, n.nspname::text, t.typtype::text, t.typelem,
                    t.typbasetype, t.typtypmod, t.typnotnull, t.typcategory::text,
                    t.typndims::int4, t.typrelid,
                    t.oid >= 16384 AND EXISTS (
                        SELECT 1 FROM pg_cast c
                         WHERE c.castsource = t.oid AND c.casttarget = 'json'::regtype)
               FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let kind: String = r.get(3);
            let category: String = r.get(8);
            (
                r.get::<_, u32>(0),
                PgType {
                    name: r.get(1),
                    schema: r.get(2),
                    kind: kind.bytes().next().unwrap_or(b'b'),
                    element: r.get(4),
                    base: r.get(5),
                    base_typmod: r.get(6),
                    domain_not_null: r.get(7),
                    category: category.bytes().next().unwrap_or(b'U'),
                    dimensions: r.get(9),
                    relation: r.get(10),
                    json_cast: r.get(11),
                },
            )
        })
        .collect())
}

/// A CHECK constraint: its name, expression and COMMENT (which may acknowledge a warning).
pub(super) struct CheckConstraint {
    pub(super) name: String,
    pub(super) expr: String,
    pub(super) comment: Option<String>,
}

/// Domain oid → its CHECKs (expressions over `VALUE`).
pub(super) async fn domain_checks(
    client: &Client,
) -> Result<HashMap<u32, Vec<CheckConstraint>>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT contypid, conname::text, pg_get_expr(conbin, 0),
                    obj_description(oid, 'pg_constraint')
               FROM pg_constraint WHERE contype = 'c' AND contypid <> 0 ORDER BY conname",
            &[],
        )
        .await?;
    let mut out: HashMap<u32, Vec<CheckConstraint>> = HashMap::new();
    for r in rows {
        out.entry(r.get(0)).or_default().push(CheckConstraint {
            name: r.get(1),
            expr: r.get(2),
            comment: r.get(3),
        });
    }
    Ok(out)
}

pub(super) async fn enums(
    client: &Client,
) -> Result<BTreeMap<String, Vec<EnumType>>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT n.nspname::text, t.typname::text, obj_description(t.oid, 'pg_type'),
                    array_agg(e.enumlabel::text ORDER BY e.enumsortorder)
               FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
               JOIN pg_enum e ON e.enumtypid = t.oid
              GROUP BY n.nspname, t.typname, t.oid
              ORDER BY n.nspname, t.typname",
            &[],
        )
        .await?;
    let mut out: BTreeMap<String, Vec<EnumType>> = BTreeMap::new();
    for r in rows {
        out.entry(r.get(0)).or_default().push(EnumType {
            name: r.get(1),
            comment: r.get(2),
            values: r.get(3),
        });
    }
    Ok(out)
}

/// The array dimensions a domain (or a domain over it, ...) declares: `CREATE DOMAIN d AS
/// integer[][]` says 2, which a column of type `d` does not repeat in its own `attndims`.
pub(super) fn domain_dimensions(oid: u32, types: &HashMap<u32, PgType>) -> i32 {
    let mut dimensions = 0;
    let mut current = types.get(&oid);
    // The chain of domains is finite, but a bound keeps a damaged catalog from looping.
    for _ in 0..32 {
        match current {
            Some(t) if t.kind == b'd' => {
                dimensions = dimensions.max(t.dimensions);
                current = types.get(&t.base);
            }
            _ => break,
        }
    }
    dimensions
}

pub(super) fn check_constraint(row: &tokio_postgres::Row) -> CheckConstraint {
    CheckConstraint {
        name: row.get(0),
        expr: row.get(2),
        comment: row.get(3),
    }
}

/// The warning for a CHECK that is not translated, unless its COMMENT acknowledges it.
pub(super) fn untranslated(
    place: &str,
    on: &str,
    check: &CheckConstraint,
    reason: &str,
) -> Option<Warning> {
    let CheckConstraint {
        name: constraint,
        expr,
        comment,
    } = check;
    match warnings::acknowledged(comment.as_deref(), WarningCode::UntranslatedCheck) {
        Ok(true) => None,
        Ok(false) => Some(Warning {
            code: WarningCode::UntranslatedCheck,
            location: place.to_owned(),
            message: format!(
                "CHECK {constraint} `{expr}` is not translated into JSON Schema, TypeScript, Zod \
                 or Rust ({reason}); only PostgreSQL enforces it. If that is intended, say so \
                 in SQL: COMMENT ON CONSTRAINT {constraint} ON {on} IS \
                 '{}untranslated-check) <reason>'",
                warnings::ACKNOWLEDGE_TAG
            ),
        }),
        Err(problem) => Some(Warning {
            code: WarningCode::BadAcknowledgement,
            location: place.to_owned(),
            message: format!("the COMMENT of CHECK {constraint}: {problem}"),
        }),
    }
}

/// The IR type of `oid`/`typmod`, the CHECKs of any domains on the way, and whether a domain
/// says NOT NULL.
pub(super) fn resolve(
    oid: u32,
    typmod: i32,
    types: &Types,
    place: &str,
    warnings: &mut Vec<Warning>,
) -> (SqlType, Vec<Check>, bool) {
    let Some(t) = types.by_oid.get(&oid) else {
        return (
            SqlType::Other {
                name: oid.to_string(),
            },
            Vec::new(),
            false,
        );
    };
    if t.kind == b'd' {
        let (ty, mut checks, not_null) = resolve(t.base, t.base_typmod, types, place, warnings);
        for check in types.domain_checks.get(&oid).into_iter().flatten() {
            match checks::translate(&check.expr, "VALUE") {
                Ok(found) => checks.extend(found),
                Err(reason) => warnings.extend(untranslated(
                    &format!("{place} (domain {}.{})", t.schema, t.name),
                    &format!("DOMAIN {}.{}", t.schema, t.name),
                    check,
                    &reason,
                )),
            }
        }
        return (ty, checks, not_null || t.domain_not_null);
    }
    if t.category == b'A' && t.element != 0 {
        let (element, _, _) = resolve(t.element, typmod, types, place, warnings);
        return (
            SqlType::Array {
                element: Box::new(element),
            },
            Vec::new(),
            false,
        );
    }
    if t.kind == b'c' {
        // A table's row type or a `CREATE TYPE ... AS (...)`. In payloads, those of
        // messenger_payloads are nested payload types (and the others refused, in
        // `payloads::check_shape`); `relations` warns about them in other tables.
        return (
            SqlType::Composite {
                schema: t.schema.clone(),
                name: t.name.clone(),
            },
            Vec::new(),
            false,
        );
    }
    if t.kind == b'e' {
        return (
            SqlType::Enum {
                schema: t.schema.clone(),
                name: t.name.clone(),
            },
            Vec::new(),
            false,
        );
    }
    if t.kind == b'c' && t.relation != 0 {
        return (
            SqlType::Composite {
                schema: t.schema.clone(),
                name: t.name.clone(),
            },
            Vec::new(),
            false,
        );
    }
    let length = (typmod >= 4)
        .then(|| u32::try_from(typmod - 4).ok())
        .flatten();
    let ty = match (t.schema.as_str(), t.name.as_str()) {
        ("pg_catalog", "bool") => SqlType::Bool,
        ("pg_catalog", "int2") => SqlType::Int2,
        ("pg_catalog", "int4") => SqlType::Int4,
        ("pg_catalog", "int8") => SqlType::Int8,
        ("pg_catalog", "float4") => SqlType::Float4,
        ("pg_catalog", "float8") => SqlType::Float8,
        ("pg_catalog", "numeric") => {
            let (precision, scale) = if typmod >= 4 {
                let t = u32::try_from(typmod - 4).unwrap_or_default();
                (Some(t >> 16), Some(t & 0xffff))
            } else {
                (None, None)
            };
            SqlType::Numeric { precision, scale }
        }
        ("pg_catalog", "text") => SqlType::Text,
        ("pg_catalog", "varchar") => SqlType::Varchar { max_length: length },
        ("pg_catalog", "bpchar") => SqlType::Char { length },
        ("pg_catalog", "uuid") => SqlType::Uuid,
        ("pg_catalog", "date") => SqlType::Date,
        ("pg_catalog", "timestamptz") => SqlType::Timestamptz,
        ("pg_catalog", "timestamp") => SqlType::Timestamp,
        ("pg_catalog", "time") => SqlType::Time,
        ("pg_catalog", "inet") => SqlType::Inet,
        ("pg_catalog", "json") => SqlType::Json,
        ("pg_catalog", "jsonb") => SqlType::Jsonb { payload: None },
        // Every other base, range and multirange type is written by `to_json` as its text
        // (unless it comes with a cast to json) and read back from a JSON string.
        (schema, name) if matches!(t.kind, b'b' | b'r' | b'm') && !t.json_cast => {
            SqlType::Textual {
                name: format!("{schema}.{name}"),
            }
        }
        // Pseudo-types (what functions take and return: void, record, anyelement, ...) are
        // the functions' emitter's business; a column cannot have one.
        (schema, name) if t.kind == b'p' => SqlType::Other {
            name: format!("{schema}.{name}"),
        },
        (schema, name) => {
            warnings.push(Warning {
                code: WarningCode::UnmappedType,
                location: place.to_owned(),
                message: format!(
                    "type {schema}.{name} has no mapping (its cast to json decides its JSON \
                     form); it is emitted as any JSON value"
                ),
            });
            SqlType::Other {
                name: format!("{schema}.{name}"),
            }
        }
    };
    (ty, Vec::new(), false)
}

/// A DEFAULT expression as a JSON value, when it is a constant of the column's type.
pub(super) fn constant_default(default: &str, ty: &SqlType) -> Option<Value> {
    // `'POST'::text`, `'{}'::text[]`, `5`, `1.5`, `false`, `'{sms}'::schema.enum[]`.
    let (literal, _cast) = match default.rsplit_once("::") {
        Some((lit, cast)) if !cast.contains('(') || cast.starts_with("character varying(") => {
            (lit, Some(cast))
        }
        _ => (default, None),
    };
    let literal = literal.trim().trim_start_matches('(').trim_end_matches(')');
    let text = literal
        .strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .map(|s| s.replace("''", "'"));
    match ty {
        SqlType::Array { element } => {
            let body = text?.strip_prefix('{')?.strip_suffix('}')?.to_owned();
            if body.is_empty() {
                return Some(Value::Array(Vec::new()));
            }
            body.split(',')
                .map(|item| {
                    if item.contains(['"', '\\', '{']) {
                        return None;
                    }
                    scalar(item, element)
                })
                .collect::<Option<Vec<_>>>()
                .map(Value::Array)
        }
        _ => match text {
            Some(s) => scalar(&s, ty),
            None => scalar(literal, ty),
        },
    }
}

fn scalar(text: &str, ty: &SqlType) -> Option<Value> {
    match ty {
        SqlType::Bool => match text {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
        SqlType::Int2 | SqlType::Int4 | SqlType::Int8 => text.parse::<i64>().ok().map(Value::from),
        SqlType::Float4 | SqlType::Float8 | SqlType::Numeric { .. } => {
            if let Ok(i) = text.parse::<i64>() {
                return Some(Value::from(i));
            }
            let f: f64 = text.parse().ok()?;
            (format!("{f}") == text).then(|| serde_json::Number::from_f64(f).map(Value::Number))?
        }
        SqlType::Text | SqlType::Varchar { .. } | SqlType::Char { .. } | SqlType::Enum { .. } => {
            // A function call like now() is not a constant.
            (!text.ends_with(')')).then(|| Value::String(text.to_owned()))
        }
        SqlType::Jsonb { .. } | SqlType::Json => serde_json::from_str(text).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::constant_default;
    use messenger_ir::SqlType;
    use serde_json::json;

    #[test]
    fn constant_defaults() {
        let text = SqlType::Text;
        assert_eq!(constant_default("'POST'::text", &text), Some(json!("POST")));
        assert_eq!(
            constant_default("'it''s'::text", &text),
            Some(json!("it's"))
        );
        assert_eq!(constant_default("now()", &SqlType::Timestamptz), None);
        assert_eq!(constant_default("5", &SqlType::Int4), Some(json!(5)));
        assert_eq!(constant_default("1.5", &SqlType::Float8), Some(json!(1.5)));
        assert_eq!(
            constant_default("false", &SqlType::Bool),
            Some(json!(false))
        );
        assert_eq!(
            constant_default("'{}'::jsonb", &SqlType::Jsonb { payload: None }),
            Some(json!({}))
        );
        let ints = SqlType::Array {
            element: Box::new(SqlType::Int2),
        };
        assert_eq!(
            constant_default("'{500,502}'::smallint[]", &ints),
            Some(json!([500, 502]))
        );
        let texts = SqlType::Array {
            element: Box::new(SqlType::Text),
        };
        assert_eq!(constant_default("'{}'::text[]", &texts), Some(json!([])));
        let e = SqlType::Array {
            element: Box::new(SqlType::Enum {
                schema: "s".into(),
                name: "e".into(),
            }),
        };
        assert_eq!(constant_default("'{sms}'::s.e[]", &e), Some(json!(["sms"])));
    }
}
