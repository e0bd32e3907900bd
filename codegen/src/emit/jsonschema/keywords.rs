//! A column's folded constraints ([`Constraints`]) as JSON Schema keywords, in a fixed order,
//! written for ajv's strict mode: a `type` beside every type-specific keyword, union types only
//! as `[T, "null"]`, never an empty `enum`.

use serde_json::Value;

use super::json::{Json, Object};
use super::{def_ref, no_nul};
use crate::contract::patterns::JSON_DEF;
use crate::contract::{Constraints, Format, Kind};

/// The schema of a property: the constraints of its values, `null` allowed when `nullable`.
pub fn property(
    constraints: &Constraints,
    nullable: bool,
    description: Option<&str>,
    default: Option<&Value>,
) -> Json {
    let mut schema = Object::new().with_opt("description", description);
    match (constraints.kind, &constraints.payload) {
        // The JSON value already allows null.
        (Kind::Any, _) => match &constraints.values {
            None => schema.push("$ref", def_ref(JSON_DEF)),
            Some(values) => push_values(&mut schema, values, nullable),
        },
        // if/then/else rather than `anyOf` with null: validators then report the nested
        // payload's own errors (`/retry_policy/max_attempts minimum`) instead of one failed
        // `anyOf` on the field.
        (Kind::Payload, Some(name)) if nullable => {
            schema.push("if", Json::from(Object::new().with("type", "object")));
            schema.push(
                "then",
                Json::from(Object::new().with("$ref", def_ref(name))),
            );
            schema.push("else", Json::from(Object::new().with("type", "null")));
        }
        (Kind::Payload, Some(name)) => schema.push("$ref", def_ref(name)),
        (Kind::Composite, _) => {
            let target = def_ref(&composite_def(constraints));
            if nullable {
                schema.push("if", Json::from(Object::new().with("type", "object")));
                schema.push("then", Json::from(Object::new().with("$ref", target)));
                schema.push("else", Json::from(Object::new().with("type", "null")));
            } else {
                schema.push("$ref", target);
            }
        }
        _ => typed(constraints, &mut schema, nullable),
    }
    if let Some(default) = default {
        schema.push("default", default.clone());
    }
    Json::from(schema)
}

/// The `$defs` name of a composite value's type: `<schema>.<name>` (a dot cannot be in a
/// message type's name here, as message types are not in table documents).
pub fn composite_def(constraints: &Constraints) -> String {
    let (schema, name) = constraints.composite.clone().unwrap_or_default();
    format!("{schema}.{name}")
}

/// The keywords of a value of one JSON type.
fn typed(constraints: &Constraints, schema: &mut Object, nullable: bool) {
    let ty = constraints.kind.json_type();
    if nullable {
        schema.push("type", vec![Json::from(ty), Json::from("null")]);
    } else {
        schema.push("type", ty);
    }
    if let Some(values) = &constraints.values {
        push_values(schema, values, nullable);
    }
    match constraints.format {
        Some(Format::Uuid) => schema.push("format", "uuid"),
        Some(Format::Date) => schema.push("format", "date"),
        Some(Format::DateTime) => schema.push("format", "date-time"),
        Some(Format::Inet) => {
            let formats = ["ipv4", "ipv6"]
                .map(|f| Json::from(Object::new().with("format", f)))
                .to_vec();
            schema.push("anyOf", formats);
        }
        // No standard format: the pattern alone.
        Some(Format::Timestamp | Format::Time) | None => {}
    }
    match constraints.all_patterns().as_slice() {
        [] => {}
        [pattern] => schema.push("pattern", *pattern),
        patterns => schema.push(
            "allOf",
            patterns
                .iter()
                .map(|p| Json::from(Object::new().with("pattern", *p)))
                .collect::<Vec<_>>(),
        ),
    }
    if constraints.needs_nul_rule() {
        schema.push("not", Json::from(no_nul()));
    }
    if let Some(n) = constraints.min_length {
        schema.push("minLength", n);
    }
    if let Some(n) = constraints.max_length {
        schema.push("maxLength", n);
    }
    if let Some(bound) = &constraints.lower {
        let keyword = if bound.exclusive {
            "exclusiveMinimum"
        } else {
            "minimum"
        };
        schema.push(keyword, bound.value.clone());
    }
    if let Some(bound) = &constraints.upper {
        let keyword = if bound.exclusive {
            "exclusiveMaximum"
        } else {
            "maximum"
        };
        schema.push(keyword, bound.value.clone());
    }
    if let Some(items) = &constraints.items {
        schema.push("items", property(items, false, None, None));
    }
    if let Some(n) = constraints.min_items {
        schema.push("minItems", n);
    }
    if let Some(n) = constraints.max_items {
        schema.push("maxItems", n);
    }
}

/// `enum` with `null` added when nullable (a CHECK that evaluates to NULL passes). No value at
/// all becomes `"not": {}`: ajv refuses an empty `enum`.
fn push_values(schema: &mut Object, values: &[Value], nullable: bool) {
    let mut values: Vec<Json> = values.iter().cloned().map(Json::from).collect();
    if nullable {
        values.push(Json::from(Value::Null));
    }
    if values.is_empty() {
        schema.push("not", Object::new());
    } else {
        schema.push("enum", values);
    }
}
