//! Builders for the catalogs of the emitters' tests, so that each column reads as its SQL would
//! (`col("n", SqlType::Int4).null().check(min(0, true))`).

use messenger_ir::{
    Catalog, Check, Column, EnumType, Identity, MessageType, PAYLOAD_SCHEMA, Relation, Schema,
    SqlType, Transport,
};
use serde::Serialize;
use serde_json::{Number, Value};

/// A column of type `ty`: NOT NULL, no default, no comment, no CHECK.
pub fn col(name: &str, ty: SqlType) -> Column {
    Column {
        name: name.to_owned(),
        ty,
        nullable: false,
        default: None,
        default_value: None,
        identity: None,
        generated: false,
        comment: None,
        checks: Vec::new(),
    }
}

/// What a column declaration adds to [`col`].
pub trait ColumnExt {
    /// No NOT NULL.
    fn null(self) -> Column;
    /// `DEFAULT sql`, with its constant value when it has one.
    fn default(self, sql: &str, value: Option<Value>) -> Column;
    /// `GENERATED ... AS IDENTITY`.
    fn identity(self, identity: Identity) -> Column;
    /// `GENERATED ALWAYS AS (expression) STORED`.
    fn generated(self, expression: &str) -> Column;
    /// `COMMENT ON COLUMN`.
    fn comment(self, text: &str) -> Column;
    /// One more translated CHECK.
    fn check(self, check: Check) -> Column;
}

impl ColumnExt for Column {
    fn null(mut self) -> Column {
        self.nullable = true;
        self
    }

    fn default(mut self, sql: &str, value: Option<Value>) -> Column {
        self.default = Some(sql.to_owned());
        self.default_value = value;
        self
    }

    fn identity(mut self, identity: Identity) -> Column {
        self.identity = Some(identity);
        self
    }

    fn generated(mut self, expression: &str) -> Column {
        self.generated = true;
        self.default = Some(expression.to_owned());
        self
    }

    fn comment(mut self, text: &str) -> Column {
        self.comment = Some(text.to_owned());
        self
    }

    fn check(mut self, check: Check) -> Column {
        self.checks.push(check);
        self
    }
}

/// A column name for every type but enums, arrays, nested payloads and unmapped types (which
/// need a catalog to refer to), in the order of `messenger_ir::SqlType`.
pub fn scalar_types() -> Vec<(&'static str, SqlType)> {
    vec![
        ("flag", SqlType::Bool),
        ("small", SqlType::Int2),
        ("medium", SqlType::Int4),
        ("big", SqlType::Int8),
        ("real", SqlType::Float4),
        ("double", SqlType::Float8),
        (
            "amount",
            SqlType::Numeric {
                precision: Some(10),
                scale: Some(2),
            },
        ),
        ("text", SqlType::Text),
        (
            "short",
            SqlType::Varchar {
                max_length: Some(5),
            },
        ),
        ("unbounded", SqlType::Varchar { max_length: None }),
        ("code", SqlType::Char { length: Some(2) }),
        ("id", SqlType::Uuid),
        ("day", SqlType::Date),
        ("at", SqlType::Timestamptz),
        ("local_at", SqlType::Timestamp),
        ("clock", SqlType::Time),
        ("ip", SqlType::Inet),
        ("doc", SqlType::Json),
        ("bag", SqlType::Jsonb { payload: None }),
    ]
}

/// A jsonb column's type holding the message type `name`.
pub fn payload(name: &str) -> SqlType {
    SqlType::Jsonb {
        payload: Some(name.to_owned()),
    }
}

/// An array of `element`.
pub fn array(element: SqlType) -> SqlType {
    SqlType::Array {
        element: Box::new(element),
    }
}

/// The enum type `schema.name`.
pub fn enum_ty(schema: &str, name: &str) -> SqlType {
    SqlType::Enum {
        schema: schema.to_owned(),
        name: name.to_owned(),
    }
}

/// A JSON number (an integer, a float, or `json!(...)` of one).
pub fn number(value: impl Serialize) -> Number {
    serde_json::from_value(serde_json::to_value(value).unwrap()).unwrap()
}

/// `x >= value` (`x > value` when `exclusive`).
pub fn min(value: impl Serialize, exclusive: bool) -> Check {
    Check::Minimum {
        value: number(value),
        exclusive,
    }
}

/// `x <= value` (`x < value` when `exclusive`).
pub fn max(value: impl Serialize, exclusive: bool) -> Check {
    Check::Maximum {
        value: number(value),
        exclusive,
    }
}

/// `x IN (values...)`, from a JSON array.
pub fn one_of(values: Value) -> Check {
    Check::OneOf {
        values: values.as_array().unwrap().clone(),
    }
}

/// `x ~ regex`.
pub fn pattern(regex: &str) -> Check {
    Check::Pattern {
        regex: regex.to_owned(),
    }
}

/// A message type.
pub fn message_type(name: &str, comment: Option<&str>, fields: Vec<Column>) -> MessageType {
    MessageType {
        name: name.to_owned(),
        comment: comment.map(str::to_owned),
        fields,
    }
}

/// An enum type without a comment.
pub fn enum_type(name: &str, values: &[&str]) -> EnumType {
    EnumType {
        name: name.to_owned(),
        values: values.iter().map(|v| (*v).to_owned()).collect(),
        comment: None,
    }
}

/// A table without comment and foreign keys.
pub fn table(name: &str, columns: Vec<Column>) -> Relation {
    Relation {
        name: name.to_owned(),
        comment: None,
        updatable: true,
        columns,
        ..Relation::default()
    }
}

/// A schema with tables and enum types, without views; `Database` describes it unless it
/// holds the message types.
pub fn schema(name: &str, tables: Vec<Relation>, enums: Vec<EnumType>) -> Schema {
    Schema {
        name: name.to_owned(),
        described: name != PAYLOAD_SCHEMA,
        tables,
        enums,
        ..Schema::default()
    }
}

/// A transport accepting `types`.
pub fn transport(name: &str, types: &[&str]) -> Transport {
    Transport {
        name: name.to_owned(),
        message_types: types.iter().map(|t| (*t).to_owned()).collect(),
    }
}

/// A catalog without schemas, message types or transports.
pub fn empty_catalog() -> Catalog {
    Catalog {
        schemas: Vec::new(),
        message_types: Vec::new(),
        transports: Vec::new(),
    }
}

/// The TypeScript targets' payload catalog: every SqlType, every Check kind, nullable and
/// defaulted fields, enums, a nested payload and a cycle, transports with one, two and no
/// types, and awkward names.
pub fn payload_catalog() -> Catalog {
    let all_types = vec![
        col("flag", SqlType::Bool).comment("A boolean.\nOn two lines */ even."),
        col("small", SqlType::Int2),
        col("medium", SqlType::Int4),
        col("big", SqlType::Int8),
        col("real4", SqlType::Float4),
        col("real8", SqlType::Float8),
        col(
            "amount",
            SqlType::Numeric {
                precision: Some(10),
                scale: Some(2),
            },
        ),
        col("note", SqlType::Text),
        col(
            "code",
            SqlType::Varchar {
                max_length: Some(8),
            },
        ),
        col("free_varchar", SqlType::Varchar { max_length: None }),
        col("fixed", SqlType::Char { length: Some(2) }),
        col("id", SqlType::Uuid),
        col("day", SqlType::Date),
        col("at", SqlType::Timestamptz),
        col("local_at", SqlType::Timestamp),
        col("clock", SqlType::Time),
        col("ip", SqlType::Inet),
        col("doc", SqlType::Json),
        col("docb", SqlType::Jsonb { payload: None }).null(),
        col("channel", enum_ty(PAYLOAD_SCHEMA, "channel")),
        col("tags", array(SqlType::Text)),
        col("channels", array(enum_ty(PAYLOAD_SCHEMA, "channel"))),
        col(
            "mystery",
            SqlType::Other {
                name: "point".into(),
            },
        ),
        col("child", payload("tree_node")).null(),
        col("serial", SqlType::Int8).identity(Identity::Always),
        col("counter", SqlType::Int4).identity(Identity::ByDefault),
        col("computed", SqlType::Int4).generated("(medium * 2)"),
    ];
    let checks = vec![
        col("ranged", SqlType::Int4)
            .check(Check::Minimum {
                value: number(1),
                exclusive: false,
            })
            .check(Check::Maximum {
                value: number(10),
                exclusive: true,
            }),
        col("huge", SqlType::Int8).check(Check::Maximum {
            value: number(i64::MAX),
            exclusive: false,
        }),
        col("ratio", SqlType::Float8)
            .check(Check::Minimum {
                value: number(0),
                exclusive: true,
            })
            .check(Check::Maximum {
                value: number(1.5),
                exclusive: false,
            }),
        col(
            "word",
            SqlType::Varchar {
                max_length: Some(20),
            },
        )
        .check(Check::MinLength { value: 2 })
        .check(Check::MaxLength { value: 10 })
        .check(Check::Pattern {
            regex: "^[a-z]+\\\\?\"/$".into(),
        }),
        col("mode", SqlType::Text).null().check(Check::OneOf {
            values: vec!["on".into(), "off".into(), "toolong".into()],
        }),
        col("level", SqlType::Int2)
            .check(Check::OneOf {
                values: vec![1.into(), 2.into(), 3.into(), 2.5.into(), 40000.into()],
            })
            .check(Check::Minimum {
                value: number(2),
                exclusive: false,
            }),
        col("kind", SqlType::Text)
            .default("'a'::text", Some(Value::String("a".into())))
            .check(Check::OneOf {
                values: vec!["a".into(), "b".into()],
            })
            .check(Check::Pattern {
                regex: "^[a-z]$".into(),
            }),
        col("sub_channel", enum_ty(PAYLOAD_SCHEMA, "channel")).check(Check::OneOf {
            values: vec!["sms".into(), "carrier pigeon".into()],
        }),
        col("impossible", SqlType::Int2).check(Check::OneOf {
            values: vec![40000.into()],
        }),
        col("list", array(SqlType::Int4))
            .default("'{1}'::integer[]", Some(serde_json::json!([1])))
            .check(Check::MinItems { value: 1 })
            .check(Check::MaxItems { value: 3 }),
        col("when", SqlType::Timestamptz)
            .null()
            .check(Check::Pattern { regex: "Z$".into() }),
        col("addr", SqlType::Inet).check(Check::MaxLength { value: 15 }),
        col("any_of", SqlType::Jsonb { payload: None })
            .null()
            .check(Check::OneOf {
                values: vec!["x".into(), 1.into()],
            }),
        col("local_mode", SqlType::Timestamp).check(Check::OneOf {
            values: vec!["2024-01-01T00:00:00".into()],
        }),
    ];
    let tree = vec![
        col("label", SqlType::Text),
        col("parent", payload("tree_node")).null(),
        col("children", array(payload("tree_node")))
            .default("'{}'::jsonb[]", Some(serde_json::json!([]))),
        col("leaf", payload("all_types")).null(),
    ];
    let awkward = vec![
        col("with space", SqlType::Text),
        col("class", SqlType::Text),
        col("2nd", SqlType::Int4),
        col("$dollar", SqlType::Bool),
        col("Ünïcode", SqlType::Text),
        col("__proto__", SqlType::Text),
    ];
    Catalog {
        schemas: vec![Schema {
            name: PAYLOAD_SCHEMA.to_owned(),
            enums: vec![EnumType {
                name: "channel".to_owned(),
                values: vec!["sms".into(), "push".into(), "e\"mail".into()],
                comment: None,
            }],
            ..Schema::default()
        }],
        message_types: vec![
            message_type("all_types", Some("Every SQL type."), all_types),
            message_type("checks", None, checks),
            message_type("string", Some("Named like a keyword."), Vec::new()),
            message_type("tree_node", Some("A node; nests itself."), tree),
            message_type("weird name-2", None, awkward),
        ],
        transports: vec![
            Transport {
                name: "both".to_owned(),
                message_types: vec!["all_types".to_owned(), "checks".to_owned()],
            },
            Transport {
                name: "empty".to_owned(),
                message_types: Vec::new(),
            },
            Transport {
                name: "my.queue-1".to_owned(),
                message_types: vec!["tree_node".to_owned()],
            },
        ],
    }
}

/// [`payload_catalog`] with empty message types of these names added (names that collide).
pub fn with_message_types(names: &[&str]) -> Catalog {
    let mut catalog = payload_catalog();
    for name in names {
        catalog
            .message_types
            .push(message_type(name, None, Vec::new()));
    }
    catalog
}
