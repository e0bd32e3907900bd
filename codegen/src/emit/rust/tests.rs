//! The Rust emitter's module for catalogs that hold every case, formatted as the pipeline
//! formats it, as snapshots and as the types and attributes a reader of the snapshot would
//! check.

use std::path::Path;

use serde_json::json;

use super::*;
use crate::emit::test_catalog::*;
use messenger_ir::{Check, Column, EnumType, MessageType, Schema, SqlType, Transport};

/// A documented column (so the snapshots show doc comments on fields).
fn column(name: &str, ty: SqlType) -> Column {
    col(name, ty).comment(&format!("The {name}."))
}

/// A documented message type.
fn message(name: &str, fields: Vec<Column>) -> MessageType {
    message_type(name, Some(&format!("The {name} message.")), fields)
}

fn catalog(message_types: Vec<MessageType>, transports: &[(&str, &[&str])]) -> Catalog {
    Catalog {
        schemas: vec![Schema {
            name: "messenger_payloads".into(),
            enums: vec![
                EnumType {
                    name: "notification_channel".into(),
                    values: vec!["sms".into(), "push".into(), "email".into()],
                    comment: Some("A channel.".into()),
                },
                EnumType {
                    name: "http status".into(),
                    values: vec!["200 OK".into(), "404".into(), "self".into(), "x-y".into()],
                    comment: None,
                },
            ],
            ..Schema::default()
        }],
        message_types,
        transports: transports
            .iter()
            .map(|(name, types)| Transport {
                name: (*name).into(),
                message_types: types.iter().map(|t| (*t).into()).collect(),
            })
            .collect(),
    }
}

fn channel() -> SqlType {
    SqlType::Enum {
        schema: "messenger_payloads".into(),
        name: "notification_channel".into(),
    }
}

/// The emitted file, formatted as the pipeline formats it.
fn emitted(catalog: &Catalog) -> String {
    let files = emit(catalog, &Sources::default()).unwrap();
    let text = String::from_utf8(files.get(Path::new(PATH)).unwrap().to_vec()).unwrap();
    crate::rustfmt::format(PATH, &text).unwrap()
}

/// The attributes (`#[...]` lines) and the type of the field `name` in a formatted module.
fn field<'t>(text: &'t str, name: &str) -> (Vec<&'t str>, &'t str) {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let head = format!("pub {name}: ");
    let at = lines
        .iter()
        .position(|l| l.starts_with(&head))
        .unwrap_or_else(|| panic!("no field `{name}` in\n{text}"));
    let ty = lines[at][head.len()..].trim_end_matches(',');
    let mut attrs: Vec<&str> = lines[..at]
        .iter()
        .rev()
        .take_while(|l| l.starts_with("#["))
        .copied()
        .collect();
    attrs.reverse();
    (attrs, ty)
}

fn error(catalog: &Catalog) -> String {
    match emit(catalog, &Sources::default()) {
        Ok(_) => panic!("expected an EmitError"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn every_sql_type() {
    let mut types = scalar_types();
    types.extend([
        ("inner", payload("inner")),
        ("channel", channel()),
        (
            "money",
            SqlType::Other {
                name: "pg_catalog.money".into(),
            },
        ),
    ]);
    let mut fields: Vec<Column> = types.iter().map(|(n, t)| column(n, t.clone())).collect();
    fields.extend(
        types
            .iter()
            .map(|(n, t)| column(&format!("maybe_{n}"), t.clone()).null()),
    );
    fields.extend(
        types
            .iter()
            .map(|(n, t)| column(&format!("{n}_list"), array(t.clone()))),
    );
    let catalog = catalog(
        vec![
            message("all_types", fields),
            message("inner", vec![column("x", SqlType::Int4)]),
        ],
        &[("everything", &["all_types"])],
    );
    let text = emitted(&catalog);
    insta::assert_snapshot!(text);
    for (name, ty) in [
        ("flag", "bool"),
        ("small", "i16"),
        ("medium", "i32"),
        ("big", "i64"),
        ("amount", "f64"),
        ("id", "uuid::Uuid"),
        ("at", "chrono::DateTime<chrono::FixedOffset>"),
        ("ip", "std::net::IpAddr"),
        ("inner", "Inner"),
        ("money", "serde_json::Value"),
        ("maybe_text", "Option<String>"),
        ("text_list", "Vec<String>"),
        ("inner_list", "Vec<Inner>"),
    ] {
        assert_eq!(field(&text, name).1, ty, "{name}");
    }
    // The int8 policy and the U+0000 rule, on the value and on array items.
    assert_eq!(
        field(&text, "big").0,
        ["#[schemars(range(min = -9007199254740991i64, max = 9007199254740991i64))]"]
    );
    assert_eq!(
        field(&text, "text_list").0,
        [r#"#[schemars(inner(regex(pattern = r"^[^\u0000]*$")))]"#]
    );
}

#[test]
fn defaults_and_nullability() {
    let fields = vec![
        column("required", SqlType::Text),
        column("optional", SqlType::Text).null(),
        column("optional_with_default", SqlType::Int4)
            .default("7", Some(json!(7)))
            .null(),
        column("flag", SqlType::Bool).default("true", Some(json!(true))),
        column("small", SqlType::Int2).default("-3", Some(json!(-3))),
        column("big", SqlType::Int8).default("0", Some(json!(0))),
        column("ratio", SqlType::Float8).default("0.25", Some(json!(0.25))),
        column(
            "amount",
            SqlType::Numeric {
                precision: None,
                scale: None,
            },
        )
        .default("100", Some(json!(100))),
        column("label", SqlType::Text)
            .default("'it''s \"quoted\"'::text", Some(json!("it's \"quoted\""))),
        column("long_label", SqlType::Text).default(
            "'...'::text",
            Some(json!(
                "a rather long default value that will not fit on one line......"
            )),
        ),
        column("channel", channel()).default("'push'", Some(json!("push"))),
        column("channels", array(channel()))
            .default("'{sms,email}'", Some(json!(["sms", "email"]))),
        column("codes", array(SqlType::Int4)).default(
            "'{...}'",
            Some(json!([
                100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1100, 1200, 1300, 1400, 1500,
                1600, 1700, 1800, 1900, 2000
            ])),
        ),
        column("tags", array(SqlType::Text)).default("'{a,b}'", Some(json!(["alpha", "beta"]))),
        column("many_tags", array(SqlType::Text)).default(
            "'{...}'",
            Some(json!([
                "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta"
            ])),
        ),
        column("empty", array(SqlType::Uuid)).default("'{}'", Some(json!([]))),
        column("settings", SqlType::Jsonb { payload: None }).default(
            "'{\"a\": [1, 2]}'::jsonb",
            Some(json!({"a": [1, 2], "b": null})),
        ),
        column("list", SqlType::Json).default("'[1, \"x\"]'::json", Some(json!([1, "x"]))),
        column("long_list", SqlType::Json).default(
            "'[...]'::json",
            Some(json!([
                "a rather long first value",
                "a second value",
                "a third value",
                "the last one"
            ])),
        ),
        column("json_null", SqlType::Jsonb { payload: None })
            .default("'null'::jsonb", Some(json!(null))),
        column("created_at", SqlType::Timestamptz).default("now()", None),
        column("ip", SqlType::Inet).default("inet_client_addr()", None),
        column(
            "policy",
            SqlType::Jsonb {
                payload: Some("policy".into()),
            },
        )
        .default("'{\"tries\": 3}'::jsonb", Some(json!({"tries": 3}))),
        {
            let mut c = column("undocumented", SqlType::Int4);
            c.comment = None;
            c
        },
    ];
    let mut policy = message("policy", vec![column("tries", SqlType::Int4)]);
    policy.comment = None;
    let catalog = catalog(
        vec![policy, message("defaults", fields)],
        &[("a", &["defaults"]), ("b", &["defaults", "policy"])],
    );
    let text = emitted(&catalog);
    insta::assert_snapshot!(text);
    // Nullable: `Option`, absent when `None`; a constant DEFAULT: the type itself, filled in
    // by a function; a DEFAULT that is not a constant: `Option`, the database fills it in.
    let optional = r#"#[serde(default, skip_serializing_if = "Option::is_none")]"#;
    assert_eq!(field(&text, "optional").0[0], optional);
    assert_eq!(field(&text, "optional").1, "Option<String>");
    assert_eq!(
        field(&text, "flag"),
        (
            vec![r#"#[serde(default = "Defaults::default_flag")]"#],
            "bool"
        )
    );
    assert_eq!(
        field(&text, "created_at").1,
        "Option<chrono::DateTime<chrono::FixedOffset>>"
    );
    assert!(text.contains("fn default_channels() -> Vec<NotificationChannel> {"));
}

#[test]
fn every_check_kind() {
    let fields = vec![
        column("priority", SqlType::Int4)
            .check(min(json!(1), false))
            .check(max(json!(10), false)),
        column("timeout", SqlType::Int4)
            .check(min(json!(0), true))
            .check(max(json!(60000), false)),
        column("age", SqlType::Int2)
            .check(min(json!(13), false))
            .check(max(json!(150), true)),
        // Looser than the type: the type's bounds stay.
        column("wide", SqlType::Int2)
            .check(min(json!(-100000), false))
            .check(max(json!(100000), false)),
        column("count", SqlType::Int8).check(min(json!(0), false)),
        column("signed", SqlType::Int8)
            .check(min(json!(-5), false))
            .check(max(json!(5), true)),
        column("ratio", SqlType::Float8)
            .check(min(json!(0), true))
            .check(max(json!(1), true)),
        // Two CHECKs on the same bound (column and domain): the stricter wins.
        column("score", SqlType::Float8)
            .check(min(json!(0.5), false))
            .check(min(json!(0.5), true))
            .check(min(json!(-1), false))
            .check(max(json!(99.5), false))
            .check(max(json!(100), false)),
        column(
            "subject",
            SqlType::Varchar {
                max_length: Some(200),
            },
        )
        .check(Check::MinLength { value: 1 })
        .check(Check::MaxLength { value: 300 }),
        column(
            "short",
            SqlType::Varchar {
                max_length: Some(200),
            },
        )
        .check(Check::MaxLength { value: 20 }),
        column("email", SqlType::Text).check(Check::Pattern {
            regex: "^[^@ ]+@[^@ ]+$".into(),
        }),
        column("quoted", SqlType::Text).check(Check::Pattern {
            regex: r#"^"[a-z]+"\d$"#.into(),
        }),
        column("two_patterns", SqlType::Text)
            .check(Check::Pattern { regex: "^a".into() })
            .check(Check::Pattern { regex: "b$".into() }),
        column("long_pattern", SqlType::Text).check(Check::Pattern {
            regex: "^(alpha|beta|gamma|delta|epsilon|zeta|eta|theta|iota|kappa|lambda|mu)+$".into(),
        }),
        column("id", SqlType::Uuid).check(Check::Pattern { regex: "^0".into() }),
        column("method", SqlType::Text).check(Check::OneOf {
            values: vec![json!("GET"), json!("POST"), json!("x-y")],
        }),
        column(
            "size",
            SqlType::Varchar {
                max_length: Some(5),
            },
        )
        .check(Check::OneOf {
            values: vec![json!("small"), json!("medium"), json!("large")],
        })
        .check(Check::Pattern {
            regex: "^[a-z]+$".into(),
        })
        .null(),
        column("only_push", channel()).check(Check::OneOf {
            values: vec![json!("push"), json!("email")],
        }),
        column("level", SqlType::Int4)
            .check(Check::OneOf {
                values: vec![json!(1), json!(2), json!(3)],
            })
            .null(),
        column("yes", SqlType::Bool).check(Check::OneOf {
            values: vec![json!(true)],
        }),
        column(
            "tags",
            array(SqlType::Varchar {
                max_length: Some(30),
            }),
        )
        .check(Check::MinItems { value: 1 })
        .check(Check::MaxItems { value: 10 }),
        column("ids", array(SqlType::Uuid)).check(Check::MaxItems { value: 3 }),
    ];
    let text = emitted(&catalog(vec![message("checked", fields)], &[]));
    insta::assert_snapshot!(text);
    // `>` and `<` stay strict: schemars' `range` is inclusive, so they are keywords.
    for (name, attrs) in [
        ("priority", vec!["#[schemars(range(min = 1, max = 10))]"]),
        (
            "timeout",
            vec![
                "#[schemars(range(max = 60000))]",
                r#"#[schemars(extend("exclusiveMinimum" = 0))]"#,
            ],
        ),
        (
            "age",
            vec![
                "#[schemars(range(min = 13))]",
                r#"#[schemars(extend("exclusiveMaximum" = 150))]"#,
            ],
        ),
        (
            "ratio",
            vec![r#"#[schemars(extend("exclusiveMinimum" = 0, "exclusiveMaximum" = 1))]"#],
        ),
        // int2's own range is schemars' already; looser CHECKs add nothing.
        ("wide", vec![]),
    ] {
        assert_eq!(field(&text, name).0, attrs, "{name}");
    }
    // An IN list of strings is an enum of the values its length allows.
    assert_eq!(field(&text, "size").1, "Option<CheckedSize>");
    assert!(text.contains("pub enum CheckedSize {"));
    assert!(!text.contains("\"medium\""));
    // A CHECK that means nothing for the values is refused, as by every target.
    let meaningless =
        column("bodies", SqlType::Jsonb { payload: None }).check(Check::MinLength { value: 2 });
    assert_eq!(
        error(&catalog(vec![message("m", vec![meaningless])], &[])),
        "messenger_payloads.m.bodies: the CHECK `char_length(...) >= 2` means nothing for a \
         column of type jsonb, whose values are any JSON: no validator could enforce it. Remove \
         the CHECK or change the column's type"
    );
}

#[test]
fn enums_nested_and_recursive_payloads() {
    let node = message(
        "tree_node",
        vec![
            column("label", SqlType::Text),
            column(
                "parent",
                SqlType::Jsonb {
                    payload: Some("tree_node".into()),
                },
            )
            .null(),
            column(
                "children",
                array(SqlType::Jsonb {
                    payload: Some("tree_node".into()),
                }),
            ),
            column(
                "ping",
                SqlType::Jsonb {
                    payload: Some("ping".into()),
                },
            )
            .null(),
        ],
    );
    let ping = message(
        "ping",
        vec![
            column(
                "pong",
                SqlType::Jsonb {
                    payload: Some("tree_node".into()),
                },
            )
            .null(),
            column(
                "status",
                SqlType::Enum {
                    schema: "messenger_payloads".into(),
                    name: "http status".into(),
                },
            ),
            column("channels", array(channel())),
        ],
    );
    let catalog = catalog(
        vec![ping, node],
        &[("idle", &[]), ("trees", &["ping", "tree_node"])],
    );
    let text = emitted(&catalog);
    insta::assert_snapshot!(text);
    // A payload that holds itself directly needs a `Box`; in a `Vec` it does not.
    assert_eq!(field(&text, "parent").1, "Option<Box<TreeNode>>");
    assert_eq!(field(&text, "children").1, "Vec<TreeNode>");
    assert_eq!(field(&text, "status").1, "HttpStatus");
    assert!(text.contains("impl Accepts<TreeNode> for TreesTransport {}"));
}

#[test]
fn keywords_and_odd_names() {
    let fields = vec![
        column("type", SqlType::Text),
        column("match", SqlType::Text),
        column("gen", SqlType::Text),
        column("self", SqlType::Text),
        column("union", SqlType::Text),
        column("first name", SqlType::Text),
        column("2fa", SqlType::Bool),
        column("userId", SqlType::Uuid),
        column("HTTPStatus", SqlType::Int4),
        column("größe", SqlType::Int4),
        column("a\"b", SqlType::Int4),
        column("Upper", SqlType::Int4),
    ];
    let mut odd = message("2fa code", fields);
    odd.comment = Some(
        "First line.\n\n  Indented: `x`.   \r\nTrailing spaces above; a list:\n- one\n- two\n\n\
         ```\nSELECT 1;\n```\n\n    indented code\n    more"
            .into(),
    );
    let catalog = catalog(
        vec![odd, message("self", vec![])],
        &[("Self Service", &["2fa code", "self"])],
    );
    let text = emitted(&catalog);
    insta::assert_snapshot!(text);
    assert_eq!(field(&text, "r#type").1, "String");
    assert_eq!(field(&text, "self_").1, "String");
    assert_eq!(field(&text, "_2fa").1, "bool");
    assert_eq!(
        field(&text, "first_name").0[0],
        r#"#[serde(rename = "first name")]"#
    );
}

#[test]
fn the_real_schema_is_rustfmt_clean() {
    // The demo application compiles examples/demo/generated/rust/messages.rs, which
    // `messenger-gen check` keeps equal to this output, and `cargo fmt --check` formats it.
    let ir: Catalog =
        serde_json::from_str(include_str!("../../../../examples/demo/generated/ir.json")).unwrap();
    emitted(&ir);
}

#[test]
fn collisions_are_errors_naming_both() {
    let fields = |names: &[&str]| -> Vec<Column> {
        names.iter().map(|n| column(n, SqlType::Text)).collect()
    };
    let e = error(&catalog(
        vec![message("m", fields(&["user_id", "userId"]))],
        &[],
    ));
    assert_eq!(
        e,
        "column messenger_payloads.m.user_id and column messenger_payloads.m.userId both become \
         the Rust field `user_id`; rename one of them"
    );
    let e = error(&catalog(
        vec![message("send_email", vec![]), message("SendEmail", vec![])],
        &[],
    ));
    assert_eq!(
        e,
        "message type `send_email` and message type `SendEmail` both become the Rust type \
         `SendEmail`; rename one of them"
    );
    let e = error(&catalog(
        vec![message("email_transport", vec![])],
        &[("email", &[])],
    ));
    assert!(
        e.contains("message type `email_transport` and transport `email`"),
        "{e}"
    );
    let e = error(&catalog(
        vec![
            message(
                "send",
                vec![column("mode", SqlType::Text).check(Check::OneOf {
                    values: vec![json!("a")],
                })],
            ),
            message("send_mode", vec![]),
        ],
        &[],
    ));
    assert!(
        e.contains("message type `send_mode` and the IN list of messenger_payloads.send.mode"),
        "{e}"
    );
    let e = error(&catalog(
        vec![message(
            "m",
            vec![column("v", SqlType::Text).check(Check::OneOf {
                values: vec![json!("a-b"), json!("a_b")],
            })],
        )],
        &[],
    ));
    assert_eq!(
        e,
        "the value \"a-b\" of the IN list of messenger_payloads.m.v and the value \"a_b\" of the \
         IN list of messenger_payloads.m.v both become the Rust variant `AB`; rename one of them"
    );
    let e = error(&catalog(vec![message("message", vec![])], &[]));
    assert!(
        e.contains("`Message`, which the generated code uses,"),
        "{e}"
    );
    let e = error(&catalog(vec![message("m", fields(&["???"]))], &[]));
    assert_eq!(
        e,
        "column messenger_payloads.m.??? has no letter or digit to make a Rust field from; \
         rename it"
    );
    let e = error(&catalog(vec![message("m", vec![])], &[("t", &["missing"])]));
    assert_eq!(
        e,
        "transport `t` accepts `missing`, which is not a message type (no table \
         messenger_payloads.missing)"
    );
    let mut bad_default = column("c", channel()).default("'fax'", Some(json!("fax")));
    bad_default.comment = None;
    let e = error(&catalog(vec![message("m", vec![bad_default])], &[]));
    assert!(
        e.starts_with("messenger_payloads.m.c: the DEFAULT \"fax\" is not one of its values"),
        "{e}"
    );
}
