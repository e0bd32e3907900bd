//! The Rust emitted for the edge-case fixture (`codegen/tests/fixtures/ok_payload_edge_cases`:
//! keywords, spaces, leading digits, camelCase, a domain, an enum with odd labels, strict
//! bounds) compiles, serde uses the SQL names on the wire, and `>` / `<` stay exclusive in the
//! embedded transport schema and in the schema schemars derives. The fixture test keeps
//! `expected/` equal to what `messenger-gen generate` emits for that schema.

#[path = "../codegen/tests/fixtures/ok_payload_edge_cases/expected/rust/messages.rs"]
mod payloads;

use payloads::{Bounds, Mood, OddNames, OddTransport};
use serde_json::json;
use symphony_messenger::message::{Message, Transport};

#[test]
fn awkward_sql_names_compile_and_keep_their_wire_names() {
    let value = OddNames {
        r#type: "t".into(),
        r#match: Some(3),
        r#ref: None,
        my_field: false,
        _2fa: Some("123456".into()),
        camel_case: 50,
        mood: Mood::VerySad,
        moods: Some(vec![Mood::Happy, Mood::SoSo]),
    };
    let wire = serde_json::to_value(&value).unwrap();
    assert_eq!(
        wire,
        json!({
            "type": "t", "match": 3, "my field": false, "2fa": "123456", "camelCase": 50,
            "mood": "very sad", "moods": ["happy", "so-so"]
        })
    );
    let back: OddNames = serde_json::from_value(wire).unwrap();
    assert_eq!(back, value);
    // Defaults from SQL apply when the field is absent.
    let minimal: OddNames = serde_json::from_value(json!({"type": "t", "camelCase": 0})).unwrap();
    assert!(minimal.my_field);
    assert_eq!(minimal.mood, Mood::SoSo);
    assert_eq!(OddNames::MESSAGE_TYPE, "odd_names");
    assert_eq!(OddTransport::NAME, "odd");
    assert_eq!(payloads::MESSAGE_TYPES, ["bounds", "odd_names"]);
    assert_eq!(payloads::TRANSPORTS, ["odd"]);
    // The domain's CHECK (0..=100) is in the derived schema.
    let schema = serde_json::to_value(schemars::schema_for!(OddNames)).unwrap();
    assert_eq!(schema["properties"]["camelCase"]["maximum"], json!(100));
}

#[test]
fn the_registry_and_the_migrations_are_embedded() {
    let registry = payloads::registry();
    assert_eq!(registry.transports().collect::<Vec<_>>(), ["odd"]);
    assert_eq!(
        registry
            .message_types("odd")
            .map(Iterator::collect::<Vec<_>>),
        Some(vec!["bounds", "odd_names"])
    );
    assert_eq!(payloads::TRANSPORT_SCHEMAS.len(), 1);
    let migrations = payloads::migrations().unwrap();
    assert_eq!(
        migrations
            .ids()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["V1__payloads"]
    );
    assert_eq!(payloads::MIGRATIONS.len(), 1);
    assert!(payloads::ROLLBACKS.is_empty());
}

/// `ratio > 0 AND ratio < 1`, `tries > 0 AND tries < 10`, `level >= 1 AND level < 5`: the
/// bounds themselves are invalid where the CHECK is strict and valid where it is not, for the
/// runtime's validator (the embedded transport schema) and for schemars' derived schema alike.
#[test]
fn strict_bounds_stay_exclusive() {
    let registry = payloads::registry();
    let derived = serde_json::to_value(schemars::schema_for!(Bounds)).unwrap();
    let derived = jsonschema::draft202012::new(&derived).unwrap();
    let valid = json!({"ratio": 0.5, "tries": 9, "level": 1});
    assert!(registry.validators().is_valid("odd", "bounds", &valid));
    assert!(derived.is_valid(&valid));
    for (field, bound) in [
        ("ratio", json!(0)),
        ("ratio", json!(1)),
        ("tries", json!(0)),
        ("tries", json!(10)),
        ("level", json!(5)),
        ("level", json!(0)),
    ] {
        let mut payload = valid.clone();
        payload[field] = bound.clone();
        assert!(
            !registry.validators().is_valid("odd", "bounds", &payload),
            "transport schema accepts {field} = {bound}"
        );
        assert!(
            !derived.is_valid(&payload),
            "schemars' schema accepts {field} = {bound}"
        );
    }
    // The type is what the runtime sends: a valid value round-trips.
    let bounds: Bounds = serde_json::from_value(valid.clone()).unwrap();
    assert_eq!(serde_json::to_value(&bounds).unwrap(), valid);
}
