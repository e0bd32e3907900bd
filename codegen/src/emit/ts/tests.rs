//! The TypeScript emitter's files for catalogs that hold every case, as snapshots and as the
//! facts (types, optionality) a reader of the snapshot would check.

use super::*;
use crate::emit::test_catalog::*;
use crate::write::FileMap;
use messenger_ir::{
    Column, CompositeType, EnumType, Function, FunctionArg, FunctionReturn, Identity,
    PAYLOAD_SCHEMA, Relation, RelationKind, Relationship, Schema, SqlType,
};

fn relation(name: &str, columns: Vec<Column>, relationships: Vec<Relationship>) -> Relation {
    Relation {
        name: name.to_owned(),
        comment: Some(format!("The {name} relation.")),
        updatable: true,
        columns,
        relationships,
        ..Relation::default()
    }
}

fn database_catalog() -> Catalog {
    let mut id = col("id", SqlType::Int8);
    id.identity = Some(Identity::Always);
    let mut by_default = col("seq", SqlType::Int4);
    by_default.identity = Some(Identity::ByDefault);
    let mut total = col(
        "total",
        SqlType::Numeric {
            precision: None,
            scale: None,
        },
    );
    total.generated = true;
    total.default = Some("(amount * 2)".into());
    let status = col("status", enum_ty("public", "status"))
        .default("'new'::status", Some(Value::String("new".into())));
    let tables = vec![
        relation(
            "items",
            vec![
                id.comment("Primary key."),
                by_default,
                col("name", SqlType::Text),
                col("amount", SqlType::Float8).null(),
                total,
                status,
                col("tags", array(SqlType::Text)).null(),
                col("statuses", array(enum_ty("public", "status"))),
                col("channel", enum_ty(PAYLOAD_SCHEMA, "channel")).null(),
                col("meta", SqlType::Jsonb { payload: None }).default("'{}'::jsonb", None),
                col("raw", SqlType::Json).null(),
                col("created_on", SqlType::Date),
                col("seen", SqlType::Timestamptz).null(),
                col("uid", SqlType::Uuid),
                col("from", SqlType::Inet).null(),
                col(
                    "geo",
                    SqlType::Other {
                        name: "point".into(),
                    },
                )
                .null(),
                col("flag", SqlType::Bool),
                col("with space", SqlType::Int2),
                col(
                    "took",
                    SqlType::Textual {
                        name: "pg_catalog.interval".into(),
                    },
                ),
                col(
                    "price",
                    SqlType::Composite {
                        schema: "public".into(),
                        name: "money_pair".into(),
                    },
                )
                .null(),
                col(
                    "entry",
                    SqlType::Composite {
                        schema: "audit-log".into(),
                        name: "entries".into(),
                    },
                )
                .null(),
            ],
            Vec::new(),
        ),
        relation(
            "item_notes",
            vec![col("item_id", SqlType::Int8), col("note", SqlType::Text)],
            vec![
                Relationship {
                    name: "item_notes_item_id_fkey".into(),
                    columns: vec!["item_id".into()],
                    referenced_schema: "public".into(),
                    referenced_relation: "items".into(),
                    referenced_columns: vec!["id".into()],
                    is_one_to_one: true,
                },
                // PostgREST does not embed across schemas: not in `Relationships`.
                Relationship {
                    name: "item_notes_entry_fkey".into(),
                    columns: vec!["item_id".into()],
                    referenced_schema: "audit-log".into(),
                    referenced_relation: "entries".into(),
                    referenced_columns: vec!["id".into()],
                    is_one_to_one: false,
                },
            ],
        ),
    ];
    let views = vec![
        Relation {
            kind: RelationKind::View,
            updatable: false,
            ..relation(
                "item_counts",
                vec![
                    col("status", enum_ty("public", "status")).null(),
                    col("count", SqlType::Int8).null(),
                ],
                Vec::new(),
            )
        },
        Relation {
            kind: RelationKind::View,
            updatable: true,
            read_only_columns: vec!["shout".into()],
            ..relation(
                "open_items",
                vec![
                    col("name", SqlType::Text).null(),
                    col("shout", SqlType::Text).null(),
                ],
                Vec::new(),
            )
        },
    ];
    let items_row = SqlType::Composite {
        schema: "public".into(),
        name: "items".into(),
    };
    let function = |name: &str, args: Vec<FunctionArg>, returns: FunctionReturn| Function {
        name: name.into(),
        comment: None,
        signature: String::new(),
        all_args: args.len(),
        args,
        returns,
        returns_set: false,
        rows: None,
    };
    let arg = |name: &str, ty: SqlType| FunctionArg {
        name: name.into(),
        ty,
        has_default: false,
    };
    let functions = vec![
        function(
            "add_one",
            vec![arg("x", SqlType::Int4)],
            FunctionReturn::Value { ty: SqlType::Int4 },
        ),
        // A computed field of items (one unnamed row argument, a scalar result).
        function(
            "item_label",
            vec![arg("", items_row.clone())],
            FunctionReturn::Value { ty: SqlType::Text },
        ),
        Function {
            returns_set: true,
            rows: Some(1000.0),
            ..function(
                "items_like",
                vec![FunctionArg {
                    has_default: true,
                    ..arg("pattern", SqlType::Text)
                }],
                FunctionReturn::Value { ty: items_row },
            )
        },
        function("noop", Vec::new(), FunctionReturn::Void),
    ];
    let composite_types = vec![CompositeType {
        name: "money_pair".into(),
        comment: Some("An amount and its currency.".into()),
        attributes: vec![
            col(
                "amount",
                SqlType::Numeric {
                    precision: None,
                    scale: None,
                },
            ),
            col("currency", SqlType::Char { length: Some(3) }),
        ],
    }];
    Catalog {
        schemas: vec![
            Schema {
                name: "empty".into(),
                described: true,
                ..Schema::default()
            },
            Schema {
                name: "audit-log".into(),
                described: true,
                tables: vec![relation(
                    "entries",
                    vec![col("at", SqlType::Timestamptz)],
                    Vec::new(),
                )],
                ..Schema::default()
            },
            Schema {
                name: PAYLOAD_SCHEMA.into(),
                tables: vec![relation(
                    "ignored",
                    vec![col("x", SqlType::Text)],
                    Vec::new(),
                )],
                enums: vec![EnumType {
                    name: "channel".into(),
                    values: vec!["sms".into(), "push".into()],
                    comment: None,
                }],
                ..Schema::default()
            },
            Schema {
                name: "public".into(),
                described: true,
                tables,
                views,
                enums: vec![EnumType {
                    name: "status".into(),
                    values: vec!["new".into(), "done".into()],
                    comment: Some("Where an item is.".into()),
                }],
                functions,
                composite_types,
            },
        ],
        message_types: Vec::new(),
        transports: Vec::new(),
    }
}

fn file(files: &FileMap, path: &str) -> String {
    String::from_utf8(files.get(std::path::Path::new(path)).unwrap().to_vec()).unwrap()
}

#[test]
fn database_ts_has_the_postgres_meta_shape() {
    let files = emit(&database_catalog()).unwrap();
    let text = file(&files, "ts/database.ts");
    insta::assert_snapshot!(text);
    // postgres-meta's Insert: GENERATED ALWAYS never, identity BY DEFAULT and defaulted
    // optional, nullable optional and null, the rest required.
    assert!(text.contains(
        "        Insert: {\n          \
         id?: never\n          \
         seq?: number\n          \
         name: string\n          \
         amount?: number | null\n          \
         total?: never\n          \
         status?: Database[\"public\"][\"Enums\"][\"status\"]\n"
    ));
    // Every table and view has `Relationships`; an enum outside `Database` is its labels.
    assert_eq!(
        text.matches("Relationships: ").count(),
        text.matches("        Row: {").count()
    );
    assert!(text.contains("          channel: \"sms\" | \"push\" | null\n"));
    // A type with a text form is a string; composites refer into `Database` when their schema
    // is described (the row of audit-log's entries, a composite type of public).
    assert!(text.contains("          took: string\n"));
    assert!(text.contains(
        "          price: Database[\"public\"][\"CompositeTypes\"][\"money_pair\"] | null\n"
    ));
    assert!(text.contains(
        "          entry: Database[\"audit-log\"][\"Tables\"][\"entries\"][\"Row\"] | null\n"
    ));
    // The computed field is in items' Row (nullable), and not a column of Insert.
    assert!(text.contains("          item_label: string | null\n"));
    assert_eq!(text.matches("item_label:").count(), 2, "Row and Functions");
    // Only the same-schema foreign key is a relationship.
    assert!(text.contains("item_notes_item_id_fkey"));
    assert!(!text.contains("item_notes_entry_fkey"));
    // A view PostgreSQL cannot write has no Insert; an updatable one has, its computed column
    // never given.
    let counts = &text[text.find("      item_counts: {").unwrap()..];
    assert!(
        counts[..counts.find("Relationships").unwrap()]
            .find("Insert")
            .is_none()
    );
    assert!(
        text.contains(
            "        Insert: {\n          name?: string | null\n          shout?: never\n"
        )
    );
    assert!(text.contains(
        "      add_one: {\n        Args: { x: number }\n        Returns: number\n      }\n"
    ));
    assert!(text.contains("        Args: { pattern?: string }\n"));
    assert!(text.contains("          to: \"items\"\n          isOneToOne: false\n"));
}

#[test]
fn payloads_ts_follows_the_contract() {
    let files = emit(&payload_catalog()).unwrap();
    let text = file(&files, "ts/payloads.ts");
    insta::assert_snapshot!(text);
    for line in [
        // Nullable: optional and null; BY DEFAULT identity: optional, never null; GENERATED
        // ALWAYS: never given. Optional fields admit `undefined`, as Zod's `.optional()`.
        "  docb?: Json | null | undefined;",
        "  counter?: number | undefined;",
        "  serial?: undefined;",
        "  computed?: undefined;",
        "  mystery: unknown;",
        // Literal unions: the labels, the IN values the bounds admit, none at all.
        "  channels: (\"sms\" | \"push\" | \"e\\\"mail\")[];",
        "  level: 2 | 3;",
        "  impossible: never;",
        "  child?: TreeNode | null | undefined;",
        // Type aliases (assignable to Json), and other headers are JSON values.
        "export type TreeNode = {",
        "      headers: { message_type: \"checks\"; [key: string]: Json };",
    ] {
        assert!(text.contains(&format!("{line}\n")), "{line}");
    }
    assert!(!text.contains("interface"));
}

#[test]
fn an_empty_catalog_gives_valid_files() {
    let files = emit(&Catalog {
        schemas: Vec::new(),
        message_types: Vec::new(),
        transports: Vec::new(),
    })
    .unwrap();
    insta::assert_snapshot!(format!(
        "{}\n=====\n{}",
        file(&files, "ts/database.ts"),
        file(&files, "ts/payloads.ts")
    ));
}

#[test]
fn output_is_deterministic() {
    let catalog = payload_catalog();
    assert_eq!(emit(&catalog).unwrap(), emit(&catalog).unwrap());
}

#[test]
fn colliding_names_are_an_error_naming_both() {
    let error = |names: &[&str]| emit(&with_message_types(names)).unwrap_err().to_string();
    assert_eq!(
        error(&["a_b", "A_b"]),
        "message type `a_b` and message type `A_b` both become the TypeScript name `AB`; \
         rename one of them"
    );
    assert_eq!(
        error(&["both_message"]),
        "message type `both_message` and transport `both` both become the TypeScript name \
         `BothMessage`; rename one of them"
    );
    assert_eq!(
        error(&["json"]),
        "the type `Json` imported from ./database and message type `json` both become the \
         TypeScript name `Json`; rename one of them"
    );
}

#[test]
fn dangling_references_are_errors() {
    let mut catalog = payload_catalog();
    catalog.transports[0].message_types.push("nope".into());
    let err = emit(&catalog).unwrap_err().to_string();
    assert!(
        err.contains("transport `both`") && err.contains("`nope`"),
        "{err}"
    );

    let mut catalog = payload_catalog();
    catalog.message_types[0]
        .fields
        .push(col("other", payload("missing")));
    let err = emit(&catalog).unwrap_err().to_string();
    assert!(
        err.contains("all_types.other") && err.contains("missing"),
        "{err}"
    );

    let mut catalog = payload_catalog();
    catalog.message_types[0]
        .fields
        .push(col("e", enum_ty("public", "gone")));
    let err = emit(&catalog).unwrap_err().to_string();
    assert!(
        err.contains("all_types.e") && err.contains("public.gone"),
        "{err}"
    );
}
