//! What a column's type and CHECKs fold into: the rules of CONTRACT.md that every target
//! renders, checked once here.

use messenger_ir::{Catalog, Check, CompositeType, EnumType, MessageType, Schema, SqlType};
use serde_json::{Number, Value, json};

use super::*;

fn catalog() -> Catalog {
    Catalog {
        schemas: vec![Schema {
            name: "messenger_payloads".to_owned(),
            enums: vec![EnumType {
                name: "channel".to_owned(),
                values: vec!["sms".to_owned(), "push".to_owned(), "email".to_owned()],
                comment: None,
            }],
            composite_types: vec![CompositeType {
                name: "money".to_owned(),
                comment: None,
                attributes: Vec::new(),
            }],
            ..Schema::default()
        }],
        message_types: vec![MessageType {
            name: "inner".to_owned(),
            comment: None,
            fields: Vec::new(),
        }],
        transports: Vec::new(),
    }
}

fn fold(ty: SqlType, checks: &[Check]) -> Result<Constraints, ConstraintError> {
    Constraints::of(&catalog(), &ty, checks, Nesting::Enforced)
}

fn number(value: Value) -> Number {
    serde_json::from_value(value).unwrap()
}

fn min(value: Value, exclusive: bool) -> Check {
    Check::Minimum {
        value: number(value),
        exclusive,
    }
}

fn max(value: Value, exclusive: bool) -> Check {
    Check::Maximum {
        value: number(value),
        exclusive,
    }
}

fn bound(value: Value, exclusive: bool) -> Option<Bound> {
    Some(Bound {
        value: number(value),
        exclusive,
    })
}

fn one_of(values: Value) -> Check {
    Check::OneOf {
        values: values.as_array().unwrap().clone(),
    }
}

fn pattern(regex: &str) -> Check {
    Check::Pattern {
        regex: regex.to_owned(),
    }
}

fn channel() -> SqlType {
    SqlType::Enum {
        schema: "messenger_payloads".to_owned(),
        name: "channel".to_owned(),
    }
}

#[test]
fn integer_types_have_their_range_and_int8_the_safe_integers() {
    let int2 = fold(SqlType::Int2, &[]).unwrap();
    assert_eq!(int2.kind, Kind::Integer);
    assert_eq!(
        (int2.lower, int2.upper),
        (bound(json!(-32768), false), bound(json!(32767), false))
    );
    let int8 = fold(SqlType::Int8, &[max(json!(i64::MAX), false)]).unwrap();
    assert_eq!(int8.lower, bound(json!(-9_007_199_254_740_991_i64), false));
    assert_eq!(int8.upper, bound(json!(9_007_199_254_740_991_i64), false));
    let real = fold(SqlType::Float8, &[]).unwrap();
    assert_eq!(
        (real.kind, real.lower, real.upper),
        (Kind::Number, None, None)
    );
}

/// `>` and `<` stay strict: a target that turned them inclusive would accept the bound itself.
#[test]
fn bounds_keep_the_stricter_and_the_exclusive_one_on_a_tie() {
    let folded = fold(
        SqlType::Int2,
        &[min(json!(-40000), false), max(json!(32767), true)],
    )
    .unwrap();
    assert_eq!(
        folded.lower,
        bound(json!(-32768), false),
        "the type's is stricter"
    );
    assert_eq!(
        folded.upper,
        bound(json!(32767), true),
        "a tie: exclusive wins"
    );
    let folded = fold(
        SqlType::Float8,
        &[
            min(json!(0.5), false),
            min(json!(0.5), true),
            min(json!(-1), false),
            max(json!(99.5), false),
            max(json!(100), false),
        ],
    )
    .unwrap();
    assert_eq!(folded.lower, bound(json!(0.5), true));
    assert_eq!(folded.upper, bound(json!(99.5), false));
    // Exactly, not through f64: 2^53 + 1 is above 2^53.
    let folded = fold(
        SqlType::Float8,
        &[
            max(json!(9_007_199_254_740_993_i64), false),
            max(json!(9_007_199_254_740_992_i64), false),
        ],
    )
    .unwrap();
    assert_eq!(folded.upper, bound(json!(9_007_199_254_740_992_i64), false));
}

#[test]
fn lengths_merge_with_varchar_and_item_counts_with_each_other() {
    let folded = fold(
        SqlType::Varchar {
            max_length: Some(5),
        },
        &[Check::MaxLength { value: 9 }, Check::MinLength { value: 0 }],
    )
    .unwrap();
    assert_eq!((folded.min_length, folded.max_length), (Some(0), Some(5)));
    assert!(folded.text);
    let folded = fold(
        SqlType::Array {
            element: Box::new(SqlType::Char { length: Some(2) }),
        },
        &[
            Check::MinItems { value: 1 },
            Check::MinItems { value: 2 },
            Check::MaxItems { value: 4 },
        ],
    )
    .unwrap();
    assert_eq!((folded.min_items, folded.max_items), (Some(2), Some(4)));
    let items = folded.items.unwrap();
    assert_eq!((items.kind, items.max_length), (Kind::String, Some(2)));
}

#[test]
fn lists_intersect_in_the_order_of_the_first_without_duplicates() {
    let folded = fold(channel(), &[one_of(json!(["email", "sms", "fax"]))]).unwrap();
    assert_eq!(folded.values, Some(vec![json!("sms"), json!("email")]));
    assert!(folded.in_list);
    let enum_only = fold(channel(), &[]).unwrap();
    assert!(!enum_only.in_list);
    assert_eq!(enum_only.values.unwrap().len(), 3);
    let folded = fold(SqlType::Int4, &[one_of(json!([1, 2, 1.0, 3]))]).unwrap();
    assert_eq!(folded.values, Some(vec![json!(1), json!(2), json!(3)]));
    let impossible = fold(SqlType::Text, &[one_of(json!(["x"])), one_of(json!(["y"]))]).unwrap();
    assert_eq!(impossible.values, Some(Vec::new()));
    // Any JSON value may be limited to a list too.
    let any = fold(SqlType::Json, &[one_of(json!([42, "x"]))]).unwrap();
    assert_eq!((any.kind, any.values.unwrap().len()), (Kind::Any, 2));
}

#[test]
fn admitted_values_leave_out_what_the_other_constraints_refuse() {
    let folded = fold(
        SqlType::Int4,
        &[
            one_of(json!([0, 1, 2.5, 10, 11])),
            min(json!(0), true),
            max(json!(10), false),
        ],
    )
    .unwrap();
    assert_eq!(folded.admitted_values(), Some(vec![json!(1), json!(10)]));
    let folded = fold(
        SqlType::Varchar {
            max_length: Some(5),
        },
        &[
            one_of(json!(["small", "medium", ""])),
            Check::MinLength { value: 1 },
        ],
    )
    .unwrap();
    assert_eq!(folded.admitted_values(), Some(vec![json!("small")]));
    let uuid = fold(
        SqlType::Uuid,
        &[one_of(json!([
            "0e4e3b1c-8a3e-4c39-9d2e-6b1f4c1d2e3f",
            "{0e4e3b1c}"
        ]))],
    )
    .unwrap();
    assert_eq!(uuid.admitted_values().unwrap().len(), 1);
    assert_eq!(fold(SqlType::Text, &[]).unwrap().admitted_values(), None);
}

#[test]
fn the_nul_rule_applies_to_text_no_pattern_or_list_keeps_free_of_u0000() {
    assert!(fold(SqlType::Text, &[]).unwrap().needs_nul_rule());
    assert!(
        fold(SqlType::Text, &[pattern("^[^@ ]+@[^@ ]+$")])
            .unwrap()
            .needs_nul_rule()
    );
    assert!(
        !fold(SqlType::Text, &[pattern("^[A-Z]+$")])
            .unwrap()
            .needs_nul_rule()
    );
    assert!(
        !fold(SqlType::Text, &[one_of(json!(["a"]))])
            .unwrap()
            .needs_nul_rule()
    );
    assert!(!fold(SqlType::Uuid, &[]).unwrap().needs_nul_rule());
}

#[test]
fn patterns_come_after_the_type_s_own_once_each() {
    let folded = fold(
        SqlType::Uuid,
        &[pattern("^0"), pattern("^0"), pattern(UUID_PATTERN)],
    )
    .unwrap();
    assert_eq!(folded.patterns.len(), 2);
    assert_eq!(folded.all_patterns(), [UUID_PATTERN, "^0"]);
    let inet = fold(SqlType::Inet, &[]).unwrap();
    assert_eq!(
        (inet.format, inet.own_pattern()),
        (Some(Format::Inet), None)
    );
}

#[test]
fn payload_tags_are_enforced_in_payloads_only() {
    let tagged = SqlType::Jsonb {
        payload: Some("inner".to_owned()),
    };
    let folded = fold(tagged.clone(), &[]).unwrap();
    assert_eq!(
        (folded.kind, folded.payload.as_deref()),
        (Kind::Payload, Some("inner"))
    );
    let in_table = Constraints::of(&catalog(), &tagged, &[], Nesting::Ignored).unwrap();
    assert_eq!(in_table.kind, Kind::Any);
    let other = fold(
        SqlType::Other {
            name: "point".to_owned(),
        },
        &[],
    )
    .unwrap();
    assert!(other.unmapped && other.kind == Kind::Any);
}

/// A CHECK a validator of the column's JSON type would ignore is refused, so no target drops
/// it silently.
#[test]
fn checks_that_mean_nothing_for_the_values_are_errors() {
    let error = |ty: SqlType, check: Check| fold(ty, &[check]).unwrap_err().to_string();
    let cases = [
        (
            SqlType::Text,
            min(json!(5), false),
            "the CHECK `>= 5` means nothing for a column of type text, whose values are JSON strings: no validator could enforce it. Remove the CHECK or change the column's type",
        ),
        (
            SqlType::Int4,
            Check::MaxLength { value: 3 },
            "the CHECK `char_length(...) <= 3` means nothing for a column of type integer, whose values are JSON integers: no validator could enforce it. Remove the CHECK or change the column's type",
        ),
        (
            SqlType::Text,
            Check::MinItems { value: 1 },
            "the CHECK `cardinality(...) >= 1` means nothing for a column of type text, whose values are JSON strings: no validator could enforce it. Remove the CHECK or change the column's type",
        ),
        (
            SqlType::Array {
                element: Box::new(SqlType::Text),
            },
            one_of(json!(["a"])),
            "the CHECK `IN (...)` means nothing for a column of type text[], whose values are JSON arrays: no validator could enforce it. Remove the CHECK or change the column's type",
        ),
        (
            SqlType::Jsonb {
                payload: Some("inner".to_owned()),
            },
            Check::MaxLength { value: 3 },
            "the CHECK `char_length(...) <= 3` means nothing for a column of type jsonb, whose values are `inner` payloads (JSON objects): no validator could enforce it. Remove the CHECK or change the column's type",
        ),
        (
            SqlType::Json,
            pattern("a"),
            "the CHECK `~ 'a'` means nothing for a column of type json, whose values are any JSON: no validator could enforce it. Remove the CHECK or change the column's type",
        ),
        (
            SqlType::Bool,
            one_of(json!(["yes"])),
            "the CHECK `IN (...)` allows \"yes\", which is not a value of the column's type boolean (a JSON boolean)",
        ),
        (
            SqlType::Int4,
            one_of(json!(["1"])),
            "the CHECK `IN (...)` allows \"1\", which is not a value of the column's type integer (a JSON integer)",
        ),
    ];
    for (ty, check, expected) in cases {
        assert_eq!(error(ty, check), expected);
    }
    assert_eq!(
        fold(
            SqlType::Jsonb {
                payload: Some("nope".to_owned())
            },
            &[]
        )
        .unwrap_err()
        .to_string(),
        "the nested payload type `nope` is neither a table nor a composite type of messenger_payloads (no messenger_payloads.nope)"
    );
    assert_eq!(
        fold(
            SqlType::Enum {
                schema: "public".to_owned(),
                name: "gone".to_owned()
            },
            &[]
        )
        .unwrap_err()
        .to_string(),
        "the enum type `public.gone` is not in the IR"
    );
}

/// Composite types of messenger_payloads (a payload table's row type, a `CREATE TYPE`) are
/// nested payloads like jsonb tagged `@payload`, alone and in arrays whose cardinality CHECKs
/// bound the items; other composite types are refused in payloads.
#[test]
fn composite_types_are_nested_payloads() {
    let composite = |schema: &str, name: &str| SqlType::Composite {
        schema: schema.to_owned(),
        name: name.to_owned(),
    };
    let array = |element: SqlType| SqlType::Array {
        element: Box::new(element),
    };
    for name in ["inner", "money"] {
        let one = fold(composite("messenger_payloads", name), &[]).unwrap();
        assert_eq!(
            (one.kind, one.payload.as_deref()),
            (Kind::Payload, Some(name))
        );
    }
    let items = fold(
        array(composite("messenger_payloads", "inner")),
        &[Check::MinItems { value: 1 }, Check::MaxItems { value: 100 }],
    )
    .unwrap();
    assert_eq!(items.kind, Kind::Array);
    assert_eq!((items.min_items, items.max_items), (Some(1), Some(100)));
    let item = items.items.unwrap();
    assert_eq!(
        (item.kind, item.payload.as_deref()),
        (Kind::Payload, Some("inner"))
    );
    let tagged = fold(
        array(SqlType::Jsonb {
            payload: Some("money".to_owned()),
        }),
        &[],
    )
    .unwrap();
    assert_eq!(tagged.items.unwrap().payload.as_deref(), Some("money"));

    let foreign = fold(array(composite("public", "address")), &[]).unwrap_err();
    assert_eq!(
        foreign.to_string(),
        "its type address is a composite type outside messenger_payloads; nested payload types \
         are declared in messenger_payloads"
    );
    let unknown = fold(composite("messenger_payloads", "gone"), &[]).unwrap_err();
    assert_eq!(unknown, ConstraintError::UnknownPayload("gone".to_owned()));
    // In tables, composite columns are objects: composites_are_objects_in_tables_and_refused_in_payloads.
}

#[test]
fn types_with_a_text_form_are_strings_free_of_u0000() {
    let interval = SqlType::Textual {
        name: "pg_catalog.interval".to_owned(),
    };
    let folded = fold(interval.clone(), &[]).unwrap();
    assert_eq!(folded.kind, Kind::String);
    assert_eq!(folded.format, None);
    assert!(folded.needs_nul_rule());
    // CHECKs on the text apply as on text.
    let checked = fold(interval, &[pattern("^P")]).unwrap();
    assert_eq!(checked.all_patterns(), ["^P"]);
}

#[test]
fn composites_are_objects_in_tables_and_refused_in_payloads() {
    let mut catalog = catalog();
    catalog.schemas.push(Schema {
        name: "public".to_owned(),
        described: true,
        composite_types: vec![messenger_ir::CompositeType {
            name: "address".to_owned(),
            comment: None,
            attributes: Vec::new(),
        }],
        ..Schema::default()
    });
    let address = SqlType::Composite {
        schema: "public".to_owned(),
        name: "address".to_owned(),
    };
    let in_table = Constraints::of(&catalog, &address, &[], Nesting::Ignored).unwrap();
    assert_eq!(in_table.kind, Kind::Composite);
    assert_eq!(
        in_table.composite,
        Some(("public".to_owned(), "address".to_owned()))
    );
    assert_eq!(
        Constraints::of(&catalog, &address, &[], Nesting::Enforced),
        Err(ConstraintError::ForeignComposite("address".to_owned()))
    );
    // A CHECK cannot be folded into a composite value.
    assert!(matches!(
        Constraints::of(&catalog, &address, &[pattern("x")], Nesting::Ignored),
        Err(ConstraintError::Inapplicable { .. })
    ));
    let missing = SqlType::Composite {
        schema: "public".to_owned(),
        name: "gone".to_owned(),
    };
    assert!(matches!(
        Constraints::of(&catalog, &missing, &[], Nesting::Ignored),
        Err(ConstraintError::UnknownComposite { .. })
    ));
}
