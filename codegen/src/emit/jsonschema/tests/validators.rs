//! The emitted documents as their consumers read them: the 2020-12 metaschema, ajv's strict mode
//! rules, and the verdicts of the `jsonschema` crate (what the runtime validates with).

use serde_json::{Value, json};

use super::{emitted, file, fixture, with_fields};
use crate::emit::test_catalog::*;
use messenger_ir::SqlType;

#[test]
fn the_json_value_definition_refuses_u0000_at_any_depth() {
    let files = emitted(&fixture());
    let every = file(&files, "jsonschema/payloads/every_type.schema.json");
    let defs: Vec<&String> = every["$defs"].as_object().unwrap().keys().collect();
    assert_eq!(defs, ["messenger_json"]);
    let schema = json!({
        "$defs": every["$defs"],
        "$ref": "#/$defs/messenger_json",
    });
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    for valid in [
        json!(null),
        json!(true),
        json!(-1.5),
        json!(""),
        json!("line\nbreak \u{1} 😀"),
        json!([]),
        json!({}),
        json!({"": [{"a": null, "b": ["c", 1]}], "😀": "d"}),
    ] {
        assert!(validator.is_valid(&valid), "{valid}");
    }
    for invalid in [
        json!("\u{0}"),
        json!("a\u{0}b"),
        json!(["a", "\u{0}"]),
        json!({"a": "b\u{0}"}),
        json!({"a\u{0}": "b"}),
        json!([[{"a": [{"b": {"c\u{0}": 1}}]}]]),
    ] {
        assert!(!validator.is_valid(&invalid), "{invalid}");
    }
    // A nested payload's JSON value refers to the definition of the document it is in.
    let mut catalog = with_fields(vec![col("x", payload("inner")).null()]);
    catalog.message_types.push(message_type(
        "inner",
        None,
        vec![col("bag", SqlType::Jsonb { payload: None })],
    ));
    catalog.transports = vec![transport("t", &["m"])];
    let files = emitted(&catalog);
    for (path, expected) in [
        (
            "jsonschema/payloads/m.schema.json",
            &["inner", "messenger_json"][..],
        ),
        (
            "jsonschema/transports/t.schema.json",
            &["inner", "m", "messenger_json"][..],
        ),
    ] {
        let defs: Vec<&String> = file(&files, path)["$defs"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(defs, expected, "{path}");
    }
}

/// The parts of ajv's strict mode that a schema generator can get wrong, checked on
/// every emitted document: `strictTypes` (a type-specific keyword needs a `type` that
/// admits it in its own schema or in one applying to the same instance above it; union
/// types only with "null"; no type the context excludes), `strictRequired` (required keys
/// are in `properties`), no empty `enum`, and only the formats ajv-formats knows.
#[test]
fn every_document_passes_ajv_strict_mode_rules() {
    const FORMATS: [&str; 5] = ["uuid", "date", "date-time", "ipv4", "ipv6"];
    const KEYWORD_TYPES: [(&str, &str); 13] = [
        ("properties", "object"),
        ("required", "object"),
        ("additionalProperties", "object"),
        ("minLength", "string"),
        ("maxLength", "string"),
        ("pattern", "string"),
        ("minimum", "number"),
        ("maximum", "number"),
        ("exclusiveMinimum", "number"),
        ("exclusiveMaximum", "number"),
        ("items", "array"),
        ("minItems", "array"),
        ("maxItems", "array"),
    ];
    fn admits(types: &[String], wanted: &str) -> bool {
        types
            .iter()
            .any(|t| t == wanted || (wanted == "number" && t == "integer"))
    }
    fn walk(schema: &Value, context: &[String], at: &str) {
        let Value::Object(map) = schema else {
            assert!(
                schema.is_boolean(),
                "{at}: a schema is an object or a boolean"
            );
            return;
        };
        if map.contains_key("$ref") {
            // ajv compiles the target on its own; siblings here are annotations only.
            assert!(
                map.keys()
                    .all(|k| ["$ref", "description", "default"].contains(&k.as_str())),
                "{at}: keywords beside $ref"
            );
            return;
        }
        let own: Vec<String> = match map.get("type") {
            None => Vec::new(),
            Some(Value::String(t)) => vec![t.clone()],
            Some(Value::Array(ts)) => {
                let ts: Vec<String> = ts.iter().map(|t| t.as_str().unwrap().to_owned()).collect();
                assert!(
                    ts.len() == 2 && ts.contains(&"null".to_owned()),
                    "{at}: union type {ts:?}"
                );
                ts
            }
            Some(other) => panic!("{at}: type {other}"),
        };
        for t in &own {
            assert!(
                context.is_empty()
                    || context
                        .iter()
                        .any(|c| c == t || (t == "integer" && c == "number")),
                "{at}: type {t} not allowed by context {context:?}"
            );
        }
        let here: Vec<String> = if own.is_empty() {
            context.to_vec()
        } else {
            own
        };
        for (keyword, ty) in KEYWORD_TYPES {
            if map.contains_key(keyword) {
                assert!(admits(&here, ty), "{at}: {keyword} without type {ty}");
            }
        }
        if let Some(format) = map.get("format") {
            assert!(
                FORMATS.contains(&format.as_str().unwrap()),
                "{at}: format {format}"
            );
            assert!(admits(&here, "string"), "{at}: format without type string");
        }
        if let Some(values) = map.get("enum") {
            assert!(!values.as_array().unwrap().is_empty(), "{at}: empty enum");
        }
        let properties = map.get("properties").and_then(Value::as_object);
        if let Some(required) = map.get("required") {
            for key in required.as_array().unwrap() {
                let key = key.as_str().unwrap();
                assert!(
                    properties.is_some_and(|p| p.contains_key(key)),
                    "{at}: required {key} is not in properties"
                );
            }
        }
        assert!(
            map.contains_key("if") == map.contains_key("then"),
            "{at}: if without then"
        );
        for (keyword, value) in map {
            let at = format!("{at}/{keyword}");
            match keyword.as_str() {
                // Same instance: the context carries over.
                "allOf" | "anyOf" | "oneOf" => {
                    for (i, sub) in value.as_array().unwrap().iter().enumerate() {
                        walk(sub, &here, &format!("{at}/{i}"));
                    }
                }
                "if" | "then" | "else" | "not" => walk(value, &here, &at),
                // Another instance (or a definition): a fresh context.
                "properties" | "$defs" => {
                    for (name, sub) in value.as_object().unwrap() {
                        walk(sub, &[], &format!("{at}/{name}"));
                    }
                }
                "items" | "additionalProperties" => walk(value, &[], &at),
                // Property names are strings.
                "propertyNames" => walk(value, &["string".to_owned()], &at),
                _ => {}
            }
        }
    }
    for (path, document) in emitted(&fixture()) {
        walk(&document, &[], &path);
    }
}

/// Every emitted file is a draft 2020-12 schema (checked against the metaschema) that the
/// `jsonschema` crate compiles with formats asserted, every `$ref` resolved locally.
#[test]
fn every_file_is_a_2020_12_schema_that_compiles() {
    for (path, document) in emitted(&fixture()) {
        if let Err(error) = jsonschema::draft202012::meta::validate(&document) {
            panic!(
                "{path}: not a 2020-12 schema: {error} (at {})",
                error.instance_path()
            );
        }
        if let Err(error) = jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&document)
        {
            panic!("{path}: does not compile: {error}");
        }
    }
}

/// The verdicts the `jsonschema` crate gives with the emitted schemas, on envelopes and
/// nested (cyclic) payloads, with errors pointing into the body.
#[test]
fn the_jsonschema_crate_gives_the_expected_verdicts() {
    let files = emitted(&fixture());
    let validator = |path: &str| {
        jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(file(&files, path))
            .unwrap()
    };
    let errors = |validator: &jsonschema::Validator, instance: &Value| -> Vec<String> {
        validator
            .iter_errors(instance)
            .map(|e| format!("{} {}", e.instance_path().as_str(), e.kind().keyword()))
            .collect()
    };

    let alpha = validator("jsonschema/transports/alpha.schema.json");
    let order = json!({
        "headers": {"message_type": "order", "trace_id": "t-1"},
        "body": {
            "ship_to": {"city": "Oslo"},
            "notes": {"label": "root", "children": [{"label": "leaf", "parent": null}]}
        }
    });
    assert!(alpha.is_valid(&order), "{:?}", errors(&alpha, &order));
    let broken = json!({
        "headers": {"message_type": "order"},
        "body": {"ship_to": {"city": 1}, "notes": {"children": [{}]}}
    });
    let found = errors(&alpha, &broken);
    // Errors in a nested payload point inside it, whether the field is nullable or not.
    for expected in ["/body/ship_to/city type", "/body/notes/children/0 required"] {
        assert!(
            found.iter().any(|e| e == expected),
            "{expected} not in {found:?}"
        );
    }
    for invalid in [
        json!({"headers": {"message_type": "every_type"}, "body": {}}),
        json!({"headers": {}, "body": {}}),
        json!({"body": {"ship_to": {"city": "Oslo"}}}),
        json!({"headers": {"message_type": "order"}, "body": {"ship_to": {"city": "Oslo"}}, "x": 1}),
    ] {
        assert!(!alpha.is_valid(&invalid), "{invalid}");
    }

    let beta = validator("jsonschema/transports/beta.schema.json");
    let every = json!({
        "flag": true, "small": 32767, "medium": -2147483648_i64, "big": 9007199254740991_i64,
        "real": 1.5, "double": 0, "amount": 12.34, "text": "", "short": "héllo",
        "unbounded": "x", "code": "ab", "id": "0e4e3b1c-8a3e-4c39-9d2e-6b1f4c1d2e3f",
        "day": "2024-02-29", "at": "2024-02-29T12:00:00.5+01:00",
        "local_at": "2024-02-29T12:00:00", "clock": "23:59:59", "ip": "::1",
        "doc": null, "bag": [1, {"a": null}], "channel": "push", "numbers": [1, 2],
        "money": "$1.00"
    });
    let envelope = |body: Value| json!({"headers": {"message_type": "every_type"}, "body": body});
    assert!(
        beta.is_valid(&envelope(every.clone())),
        "{:?}",
        errors(&beta, &envelope(every.clone()))
    );
    for (field, bad) in [
        ("small", json!(32768)),
        ("big", json!(9007199254740992_i64)),
        ("short", json!("toolong")),
        ("id", json!("0e4e3b1c8a3e4c399d2e6b1f4c1d2e3f")),
        ("day", json!("2024-02-30")),
        ("at", json!("2024-02-29T12:00:00")),
        ("at", json!("2024-02-29 12:00:00Z")),
        ("local_at", json!("2024-02-29T12:00:00Z")),
        ("ip", json!("1.2.3")),
        ("channel", json!("fax")),
        ("numbers", json!([1.5])),
        ("flag", json!(null)),
        // What PostgreSQL cannot store, or JavaScript cannot read.
        ("text", json!("a\u{0}b")),
        ("short", json!("\u{0}")),
        ("day", json!("0000-02-29")),
        ("at", json!("0000-01-01T00:00:00Z")),
        ("at", json!("2016-12-31T23:59:60Z")),
        ("at", json!("2024-02-29T12:00:00+16:00")),
        ("local_at", json!("2024-02-29T12:00:60")),
        ("clock", json!("23:59:60")),
        ("doc", json!("\u{0}")),
        ("bag", json!([1, {"a": ["b\u{0}"]}])),
        ("money", json!({"key\u{0}": 1})),
    ] {
        let mut body = every.clone();
        body[field] = bad.clone();
        let found = errors(&beta, &envelope(body));
        assert!(
            found
                .iter()
                .any(|e| e.starts_with(&format!("/body/{field}"))),
            "{field} = {bad}: {found:?}"
        );
    }
}
