//! The TypeScript emitter's files for catalogs that hold every case, as snapshots and as the
//! facts (types, optionality) a reader of the snapshot would check.

use super::*;
use crate::emit::test_catalog::*;
use crate::write::FileMap;
use messenger_ir::{
    Column, EnumType, Identity, PAYLOAD_SCHEMA, Relation, Relationship, Schema, SqlType,
};

fn relation(name: &str, columns: Vec<Column>, relationships: Vec<Relationship>) -> Relation {
    Relation {
        name: name.to_owned(),
        comment: Some(format!("The {name} relation.")),
        columns,
        relationships,
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
            ],
            Vec::new(),
        ),
        relation(
            "item_notes",
            vec![col("item_id", SqlType::Int8), col("note", SqlType::Text)],
            vec![Relationship {
                name: "item_notes_item_id_fkey".into(),
                columns: vec!["item_id".into()],
                referenced_relation: "items".into(),
                referenced_columns: vec!["id".into()],
                is_one_to_one: true,
            }],
        ),
    ];
    let views = vec![relation(
        "item_counts",
        vec![
            col("status", enum_ty("public", "status")).null(),
            col("count", SqlType::Int8).null(),
        ],
        Vec::new(),
    )];
    Catalog {
        schemas: vec![
            Schema {
                name: "empty".into(),
                tables: Vec::new(),
                views: Vec::new(),
                composite_types: Vec::new(),
                enums: Vec::new(),
            },
            Schema {
                name: "audit-log".into(),
                tables: vec![relation(
                    "entries",
                    vec![col("at", SqlType::Timestamptz)],
                    Vec::new(),
                )],
                views: Vec::new(),
                composite_types: Vec::new(),
                enums: Vec::new(),
            },
            Schema {
                name: PAYLOAD_SCHEMA.into(),
                tables: vec![relation(
                    "ignored",
                    vec![col("x", SqlType::Text)],
                    Vec::new(),
                )],
                views: Vec::new(),
                composite_types: Vec::new(),
                enums: vec![EnumType {
                    name: "channel".into(),
                    values: vec!["sms".into(), "push".into()],
                    comment: None,
                }],
            },
            Schema {
                name: "public".into(),
                tables,
                views,
                composite_types: Vec::new(),
                enums: vec![EnumType {
                    name: "status".into(),
                    values: vec!["new".into(), "done".into()],
                    comment: Some("Where an item is.".into()),
                }],
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
}

#[test]
fn payloads_ts_follows_the_contract() {
    let files = emit(&payload_catalog()).unwrap();
    let text = file(&files, "ts/payloads.ts");
    insta::assert_snapshot!(text);
    for line in [
        // Nullable: optional and null; BY DEFAULT identity: optional, never null; GENERATED
        // ALWAYS: never given.
        "  docb?: Json | null;",
        "  counter?: number;",
        "  serial?: never;",
        "  computed?: never;",
        "  mystery: unknown;",
        // Literal unions: the labels, the IN values the bounds admit, none at all.
        "  channels: (\"sms\" | \"push\" | \"e\\\"mail\")[];",
        "  level: 2 | 3;",
        "  impossible: never;",
        "  child?: TreeNode | null;",
    ] {
        assert!(text.contains(&format!("{line}\n")), "{line}");
    }
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
