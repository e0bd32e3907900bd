//! The Rust emitted for the nested-payload fixture (`codegen/tests/fixtures/ok_nested_payloads`:
//! a payload table's row type alone, nullable and in lists, jsonb and jsonb[] tagged
//! `@payload`, composite types with a domain, an enum and a composite list inside) compiles,
//! round-trips through serde, and the schema `schemars` derives from it gives the verdicts of
//! the emitted transport schema (what the runtime validates with) on every form, with errors
//! pointing inside the nested values. The fixture test keeps `expected/` equal to what
//! `messenger-gen generate` emits for that schema.

#[path = "../codegen/tests/fixtures/ok_nested_payloads/expected/rust/messages.rs"]
mod payloads;

use payloads::{Address, Line, Measure, Parcel, Shipment, ShippingTransport, Unit};
use serde_json::{Value, json};
use symphony_messenger::message::{Accepts, Message, Transport};
use symphony_messenger::validate::Validators;

fn shipment() -> Shipment {
    let kilos = |amount| Measure {
        amount,
        unit: Some(Unit::Kg),
        label: None,
    };
    Shipment {
        lines: vec![
            Line {
                sku: "A1".into(),
                qty: 2,
                measure: Some(kilos(3)),
            },
            Line {
                sku: "B2".into(),
                qty: 1,
                measure: None,
            },
        ],
        extra_lines: None,
        destination: Address {
            city: "Porto".into(),
            zip: Some("4000-001".into()),
        },
        return_to: None,
        stops: Some(vec![Address {
            city: "Lyon".into(),
            zip: None,
        }]),
        parcels: vec![Parcel {
            weight: Some(kilos(4)),
            sizes: Some(vec![kilos(1), kilos(2)]),
            contents: Some(Line {
                sku: "A1".into(),
                qty: 2,
                measure: None,
            }),
        }],
        first_parcel: None,
    }
}

fn validators() -> Validators {
    let schemas = payloads::TRANSPORT_SCHEMAS
        .iter()
        .map(|(name, text)| ((*name).to_owned(), serde_json::from_str(text).unwrap()));
    Validators::from_transport_schemas(schemas).unwrap()
}

/// The pointers of the emitted schema's errors (empty: valid).
fn emitted_errors(validators: &Validators, payload: &Value) -> Vec<String> {
    match validators.validate("shipping", "shipment", payload) {
        Ok(()) => Vec::new(),
        Err(symphony_messenger::error::MessengerError::Validation { errors, .. }) => {
            errors.into_iter().map(|e| e.pointer).collect()
        }
        Err(other) => panic!("{other}"),
    }
}

#[test]
fn nested_forms_compile_and_round_trip() {
    let value = shipment();
    let wire = serde_json::to_value(&value).unwrap();
    assert_eq!(
        wire["parcels"][0]["sizes"][1],
        json!({"amount": 2, "unit": "kg"})
    );
    assert_eq!(wire["stops"], json!([{"city": "Lyon"}]));
    let back: Shipment = serde_json::from_value(wire.clone()).unwrap();
    assert_eq!(back, value);
    assert!(validators().is_valid("shipping", "shipment", &wire));
    // The message type `line` is also nested; the composite types are plain structs.
    assert_eq!(Line::MESSAGE_TYPE, "line");
    assert_eq!(ShippingTransport::MESSAGE_TYPES, ["line", "shipment"]);
    fn accepts<T: Accepts<M>, M: Message>() {}
    accepts::<ShippingTransport, Line>();
    accepts::<ShippingTransport, Shipment>();
    assert_eq!(payloads::MESSAGE_TYPES, ["address", "line", "shipment"]);
}

#[test]
fn schemars_and_the_emitted_schema_agree_on_every_nested_form() {
    let validators = validators();
    let derived = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&serde_json::to_value(schemars::schema_for!(Shipment)).unwrap())
        .unwrap();
    let valid = serde_json::to_value(shipment()).unwrap();
    // The payload with `value` at `pointer` (an object key is added when absent).
    let with = |pointer: &str, value: Value| {
        let mut payload = valid.clone();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        match payload.pointer_mut(parent).unwrap() {
            Value::Object(object) => {
                object.insert(key.to_owned(), value);
            }
            Value::Array(items) => items[key.parse::<usize>().unwrap()] = value,
            other => panic!("{pointer}: {other} holds no fields"),
        }
        payload
    };
    let cases = [
        (valid.clone(), vec![]),
        (with("/lines", json!([])), vec!["/lines"]),
        (with("/lines/1/sku", json!("b2")), vec!["/lines/1/sku"]),
        (with("/lines/1/qty", json!(100)), vec!["/lines/1/qty"]),
        (
            with("/lines/0/measure", json!({"unit": "kg"})),
            vec!["/lines/0/measure"],
        ),
        (
            with("/lines/0/measure/amount", json!(0)),
            vec!["/lines/0/measure/amount"],
        ),
        (
            with("/lines/0/measure/unit", json!("lb")),
            vec!["/lines/0/measure/unit"],
        ),
        (with("/lines/1", json!(null)), vec!["/lines/1"]),
        (
            with("/destination", json!({"zip": "1"})),
            vec!["/destination"],
        ),
        (
            with("/destination/city", json!("x".repeat(51))),
            vec!["/destination/city"],
        ),
        (
            with("/return_to", json!({"city": "Nice", "zip": null})),
            vec![],
        ),
        (
            with("/stops/0", json!({"city": "Lyon", "country": "FR"})),
            vec!["/stops/0"],
        ),
        (
            with("/parcels/0/sizes/1/amount", json!(-1)),
            vec!["/parcels/0/sizes/1/amount"],
        ),
        (
            with("/parcels/0/weight", json!({"amount": 1, "label": null})),
            vec![],
        ),
        (
            with("/parcels/0/contents/qty", json!("2")),
            vec!["/parcels/0/contents/qty"],
        ),
        (with("/first_parcel", json!({})), vec![]),
        (
            with("/first_parcel", json!({"weight": "(1,kg,)"})),
            vec!["/first_parcel/weight"],
        ),
        (
            with("/extra_lines", json!(vec![json!({"sku": "C"}); 4])),
            vec!["/extra_lines"],
        ),
        (
            with("/extra_lines", json!([[{"sku": "C"}]])),
            vec!["/extra_lines/0"],
        ),
    ];
    for (payload, pointers) in cases {
        let errors = emitted_errors(&validators, &payload);
        let mut found: Vec<&str> = errors.iter().map(String::as_str).collect();
        found.dedup();
        assert_eq!(found, pointers, "{payload}");
        assert_eq!(
            derived.is_valid(&payload),
            pointers.is_empty(),
            "schemars disagrees with the emitted schema on {payload}"
        );
    }
}
