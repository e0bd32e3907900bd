//! The IR of `messenger-gen`: a plain-data, serde-serialisable catalog of what the SQL declares —
//! tables, views, functions, enums, composite types, message (payload) types and transports — in
//! a stable order (schemas, relations, functions, enums and composite types by name; columns by
//! position; overloads by their argument list). The generator's introspection builds it,
//! its emitters read it, and it is written to `generated/ir.json`, which the root tests read
//! back into these same types: a new SQL type is a compile error wherever it must be handled.
//! Nothing in it refers back to PostgreSQL.

use serde::{Deserialize, Serialize};

/// The PostgreSQL schema that holds message types: one table (never holding rows) per type.
pub const PAYLOAD_SCHEMA: &str = "messenger_payloads";

/// Everything the emitters need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    /// Database schemas: those `Database` describes ([`Schema::described`], with everything in
    /// them), and others only for the enums and composite types that described relations,
    /// functions or message types use (`messenger_payloads`, ...).
    pub schemas: Vec<Schema>,
    /// Message types: the tables of [`PAYLOAD_SCHEMA`], by name.
    pub message_types: Vec<MessageType>,
    /// Transports and the message types each accepts, by name.
    pub transports: Vec<Transport>,
}

/// One database schema.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    /// Its name.
    pub name: String,
    /// Whether the supabase-js `Database` type describes it (`schemas` of messenger-gen.toml).
    /// A schema that is not described holds only the enums and composite types used elsewhere.
    #[serde(default)]
    pub described: bool,
    /// Tables (ordinary, partitioned and foreign), by name.
    pub tables: Vec<Relation>,
    /// Views and materialized views, by name.
    pub views: Vec<Relation>,
    /// Functions PostgREST can call or use as computed fields, by name, then overloads by their
    /// argument list.
    #[serde(default)]
    pub functions: Vec<Function>,
    /// Enum types, by name.
    pub enums: Vec<EnumType>,
    /// Composite types (`CREATE TYPE ... AS (...)`), by name.
    #[serde(default)]
    pub composite_types: Vec<CompositeType>,
}

/// A table or a view.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Relation {
    /// Its name.
    pub name: String,
    /// Its COMMENT.
    pub comment: Option<String>,
    /// What kind of relation it is.
    #[serde(default)]
    pub kind: RelationKind,
    /// For a view: whether PostgreSQL accepts both INSERT and UPDATE on it (an automatically
    /// updatable view, or one with INSTEAD rules or triggers; postgres-meta's `is_updatable`).
    /// Tables: always `true`.
    #[serde(default)]
    pub updatable: bool,
    /// For an updatable view: the columns that cannot be written (computed in the view).
    #[serde(default)]
    pub read_only_columns: Vec<String>,
    /// Columns in position order.
    pub columns: Vec<Column>,
    /// Foreign keys from this relation (what supabase-js calls `Relationships`), by name; for
    /// views and for tables referencing views, the ones PostgREST infers through the views'
    /// columns.
    pub relationships: Vec<Relationship>,
}

/// The kinds of relation `Database` describes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelationKind {
    /// An ordinary table (a partition included).
    #[default]
    Table,
    /// A partitioned table.
    PartitionedTable,
    /// A foreign table.
    ForeignTable,
    /// A view.
    View,
    /// A materialized view (never updatable).
    MaterializedView,
}

/// A column of a table, a view or a message type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    /// Its name.
    pub name: String,
    /// Its type.
    pub ty: SqlType,
    /// Whether it may be NULL (no NOT NULL; for views: always true, as PostgreSQL reports).
    pub nullable: bool,
    /// The DEFAULT expression, as PostgreSQL prints it.
    pub default: Option<String>,
    /// The DEFAULT as a JSON value, when it is a constant (`'POST'::text` → `"POST"`).
    pub default_value: Option<serde_json::Value>,
    /// Identity column kind, if any.
    pub identity: Option<Identity>,
    /// `GENERATED ALWAYS AS (...) STORED`.
    pub generated: bool,
    /// Its COMMENT (with any `@payload` tag removed).
    pub comment: Option<String>,
    /// Constraints translated from single-column CHECKs and domain CHECKs.
    pub checks: Vec<Check>,
}

impl Column {
    /// Whether an INSERT may leave this column out (nullable, defaulted, identity, generated).
    pub fn optional_on_insert(&self) -> bool {
        self.nullable || self.default.is_some() || self.identity.is_some() || self.generated
    }

    /// Whether PostgreSQL refuses any value for it in an INSERT: `GENERATED ALWAYS` (an identity
    /// or a stored generated column).
    pub fn always_generated(&self) -> bool {
        self.identity == Some(Identity::Always) || self.generated
    }
}

/// The two kinds of identity column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Identity {
    /// `GENERATED ALWAYS AS IDENTITY`: an INSERT may not set it.
    Always,
    /// `GENERATED BY DEFAULT AS IDENTITY`.
    ByDefault,
}

/// A column type, with domains resolved to their base type (their CHECKs land in
/// [`Column::checks`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SqlType {
    /// `boolean`.
    Bool,
    /// `smallint`.
    Int2,
    /// `integer`.
    Int4,
    /// `bigint`: see the int8 policy in README (JSON integers within ±(2^53−1)).
    Int8,
    /// `real`.
    Float4,
    /// `double precision`.
    Float8,
    /// `numeric(p, s)`: a JSON number (IEEE double in JavaScript).
    Numeric {
        /// Declared precision.
        precision: Option<u32>,
        /// Declared scale.
        scale: Option<u32>,
    },
    /// `text`.
    Text,
    /// `varchar(n)` / `varchar`.
    Varchar {
        /// `n`, the maximum length in characters.
        max_length: Option<u32>,
    },
    /// `char(n)` (`bpchar`).
    Char {
        /// `n`.
        length: Option<u32>,
    },
    /// `uuid`.
    Uuid,
    /// `date`.
    Date,
    /// `timestamptz`.
    Timestamptz,
    /// `timestamp` (without time zone).
    Timestamp,
    /// `time`.
    Time,
    /// `inet`.
    Inet,
    /// `json`.
    Json,
    /// `jsonb`; `payload` names the payload type describing it (from an `@payload` COMMENT tag):
    /// a message type or a composite type of [`PAYLOAD_SCHEMA`].
    Jsonb {
        /// The payload type the value must match, if declared.
        payload: Option<String>,
    },
    /// An enum type.
    Enum {
        /// Its schema.
        schema: String,
        /// Its name.
        name: String,
    },
    /// An array (one dimension as far as the emitters are concerned).
    Array {
        /// The element type.
        element: Box<SqlType>,
    },
    /// A composite type: a `CREATE TYPE ... AS (...)` type or a table's row type.
    Composite {
        /// Its schema.
        schema: String,
        /// Its name.
        name: String,
    },
    /// A type whose values PostgreSQL writes and reads as text, with no JSON form of its own
    /// (its `to_json` is a string): interval, bytea, timetz, ranges and multiranges, money, bit
    /// strings, cidr and macaddr, geometric types, tsvector, xml, and extension types such as
    /// citext or vector. A JSON string.
    Textual {
        /// The type, `schema.name` (`pg_catalog.interval`).
        name: String,
    },
    /// A type none of the targets knows; emitted as "any" with a warning.
    Other {
        /// The type as PostgreSQL prints it.
        name: String,
    },
}

impl SqlType {
    /// The payload type (an [`ObjectType`]) whose values these are, looking through arrays: a
    /// jsonb column tagged `@payload`, or a composite type of [`PAYLOAD_SCHEMA`] (a payload
    /// table's row type or a `CREATE TYPE`).
    pub fn nested_payload(&self) -> Option<&str> {
        match self {
            SqlType::Jsonb { payload } => payload.as_deref(),
            SqlType::Composite { schema, name } if schema == PAYLOAD_SCHEMA => Some(name),
            SqlType::Array { element } => element.nested_payload(),
            _ => None,
        }
    }

    /// The type as PostgreSQL writes it (`format_type`): `integer`, `character varying(5)`,
    /// `jsonb[]`, `messenger_payloads.order_line_item[]`. For messages, which speak SQL.
    pub fn sql(&self) -> String {
        let sized = |base: &str, n: &Option<u32>| match n {
            Some(n) => format!("{base}({n})"),
            None => base.to_owned(),
        };
        match self {
            SqlType::Bool => "boolean".to_owned(),
            SqlType::Int2 => "smallint".to_owned(),
            SqlType::Int4 => "integer".to_owned(),
            SqlType::Int8 => "bigint".to_owned(),
            SqlType::Float4 => "real".to_owned(),
            SqlType::Float8 => "double precision".to_owned(),
            SqlType::Numeric { precision, scale } => match (precision, scale) {
                (Some(p), Some(s)) => format!("numeric({p},{s})"),
                _ => "numeric".to_owned(),
            },
            SqlType::Text => "text".to_owned(),
            SqlType::Varchar { max_length } => sized("character varying", max_length),
            SqlType::Char { length } => sized("character", length),
            SqlType::Uuid => "uuid".to_owned(),
            SqlType::Date => "date".to_owned(),
            SqlType::Timestamptz => "timestamp with time zone".to_owned(),
            SqlType::Timestamp => "timestamp without time zone".to_owned(),
            SqlType::Time => "time without time zone".to_owned(),
            SqlType::Inet => "inet".to_owned(),
            SqlType::Json => "json".to_owned(),
            SqlType::Jsonb { .. } => "jsonb".to_owned(),
            SqlType::Enum { schema, name } | SqlType::Composite { schema, name } => {
                qualified(schema, name)
            }
            SqlType::Array { element } => format!("{}[]", element.sql()),
            SqlType::Textual { name } => match name.strip_prefix("pg_catalog.") {
                Some(builtin) => builtin.to_owned(),
                None => name.clone(),
            },
            SqlType::Other { name } => name.clone(),
        }
    }
}

/// `schema.name` as `format_type` writes a type outside `pg_catalog` and `public` (which are
/// on the default search path).
fn qualified(schema: &str, name: &str) -> String {
    let quote = |ident: &str| {
        let plain = ident
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
            && ident
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$');
        if plain {
            ident.to_owned()
        } else {
            format!("\"{}\"", ident.replace('"', "\"\""))
        }
    };
    if schema == "public" || schema == "pg_catalog" {
        quote(name)
    } else {
        format!("{}.{}", quote(schema), quote(name))
    }
}

/// A single-column CHECK translated into a constraint every target understands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Check {
    /// `x >= value` (or `x > value` when `exclusive`).
    Minimum {
        /// The bound.
        value: serde_json::Number,
        /// Strict inequality.
        exclusive: bool,
    },
    /// `x <= value` (or `x < value` when `exclusive`).
    Maximum {
        /// The bound.
        value: serde_json::Number,
        /// Strict inequality.
        exclusive: bool,
    },
    /// `char_length(x) >= n`.
    MinLength {
        /// The bound.
        value: u32,
    },
    /// `char_length(x) <= n` (varchar(n) is carried by the type, not here).
    MaxLength {
        /// The bound.
        value: u32,
    },
    /// `x ~ 'regex'`: the pattern, valid as both a POSIX ARE and an ECMA-262 regex.
    Pattern {
        /// The regex.
        regex: String,
    },
    /// `x IN (...)`: the allowed values (strings or numbers).
    OneOf {
        /// The values.
        values: Vec<serde_json::Value>,
    },
    /// `cardinality(x) >= n` on an array.
    MinItems {
        /// The bound.
        value: u32,
    },
    /// `cardinality(x) <= n` on an array.
    MaxItems {
        /// The bound.
        value: u32,
    },
}

/// A foreign key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relationship {
    /// The constraint's name.
    pub name: String,
    /// The referencing columns.
    pub columns: Vec<String>,
    /// The schema of the referenced relation. PostgREST embeds only within one schema, so
    /// `Database` lists a relationship only when this is the referencing relation's schema.
    pub referenced_schema: String,
    /// The referenced relation.
    pub referenced_relation: String,
    /// The referenced columns.
    pub referenced_columns: Vec<String>,
    /// Whether the referencing columns are unique (a one-to-one relationship).
    pub is_one_to_one: bool,
}

/// An enum type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnumType {
    /// Its name.
    pub name: String,
    /// Its labels in declaration order.
    pub values: Vec<String>,
    /// Its COMMENT.
    pub comment: Option<String>,
}

/// A type whose values are JSON objects in payloads: a message type (a table of
/// [`PAYLOAD_SCHEMA`]) or a composite type of [`PAYLOAD_SCHEMA`] (`CREATE TYPE ... AS (...)`).
/// Both can be nested in a payload, under their name; only a message type can be sent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ObjectType<'c> {
    /// Its name (unique in [`PAYLOAD_SCHEMA`]: a table's row type and a composite type share
    /// PostgreSQL's namespace of types).
    pub name: &'c str,
    /// Its COMMENT.
    pub comment: Option<&'c str>,
    /// Its fields: the table's columns or the type's attributes, in order.
    pub fields: &'c [Column],
    /// Whether it is a message type (a table) rather than a composite type.
    pub is_message_type: bool,
}

impl<'c> ObjectType<'c> {
    /// A message type as an object type.
    pub fn of_message_type(message_type: &'c MessageType) -> ObjectType<'c> {
        ObjectType {
            name: &message_type.name,
            comment: message_type.comment.as_deref(),
            fields: &message_type.fields,
            is_message_type: true,
        }
    }

    /// A composite type as an object type.
    pub fn of_composite_type(composite: &'c CompositeType) -> ObjectType<'c> {
        ObjectType {
            name: &composite.name,
            comment: composite.comment.as_deref(),
            fields: &composite.attributes,
            is_message_type: false,
        }
    }
}

/// A composite type and its attributes (as columns: name, type, comment; composite attributes
/// cannot be NOT NULL, have no DEFAULT and no CHECK).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompositeType {
    /// Its name.
    pub name: String,
    /// Its COMMENT.
    pub comment: Option<String>,
    /// Its attributes, in order.
    pub attributes: Vec<Column>,
}

/// A function: what `supabase.rpc()` calls, and what PostgREST makes of a function taking a
/// table's row (a computed field or a computed relationship).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Function {
    /// Its name.
    pub name: String,
    /// Its COMMENT.
    pub comment: Option<String>,
    /// Its arguments as PostgreSQL prints them (`pg_get_function_arguments`), which orders the
    /// overloads of a name.
    pub signature: String,
    /// Its input arguments (IN, INOUT and VARIADIC), in order.
    pub args: Vec<FunctionArg>,
    /// How many arguments it has of any mode (OUT and TABLE columns included).
    pub all_args: usize,
    /// What it returns (one row's worth; [`Function::returns_set`] says whether it is a set).
    pub returns: FunctionReturn,
    /// `RETURNS SETOF ...` or `RETURNS TABLE (...)`.
    pub returns_set: bool,
    /// The planner's row estimate of a set-returning function (`ROWS n`).
    pub rows: Option<f64>,
}

/// An input argument of a [`Function`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionArg {
    /// Its name; empty when unnamed.
    pub name: String,
    /// Its type.
    pub ty: SqlType,
    /// Whether it has a DEFAULT (may be left out).
    pub has_default: bool,
}

/// What a [`Function`] returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FunctionReturn {
    /// `void`.
    Void,
    /// An anonymous `record` whose columns the function does not declare.
    Record,
    /// `RETURNS TABLE (...)`, or several OUT arguments: a row of these columns.
    Columns {
        /// The columns (name and type; nullable, as a function result cannot be NOT NULL).
        columns: Vec<FunctionColumn>,
    },
    /// A value of a type: a base type, an array, an enum, a composite type or a relation's
    /// row type ([`SqlType::Composite`]), or a pseudo-type ([`SqlType::Other`]).
    Value {
        /// The type.
        ty: SqlType,
    },
}

/// A column of a function's result (`RETURNS TABLE` or an OUT argument).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionColumn {
    /// Its name.
    pub name: String,
    /// Its type.
    pub ty: SqlType,
}

/// A message type: a table of [`PAYLOAD_SCHEMA`]; its columns are the payload's fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageType {
    /// Its name (the table name; carried as `message_type` in message headers).
    pub name: String,
    /// Its COMMENT.
    pub comment: Option<String>,
    /// Its fields, in column order.
    pub fields: Vec<Column>,
}

/// A transport and the message types it accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transport {
    /// Its name.
    pub name: String,
    /// The names of the message types it accepts, sorted.
    pub message_types: Vec<String>,
}

impl Catalog {
    /// The message type of this name.
    pub fn message_type(&self, name: &str) -> Option<&MessageType> {
        self.message_types.iter().find(|m| m.name == name)
    }

    /// The message types `transport` accepts, in its order; `Err` names the first one the
    /// catalog does not declare.
    pub fn accepted_types<'c>(
        &'c self,
        transport: &'c Transport,
    ) -> Result<Vec<&'c MessageType>, &'c str> {
        transport
            .message_types
            .iter()
            .map(|name| self.message_type(name).ok_or(name.as_str()))
            .collect()
    }

    /// The schema of this name.
    pub fn schema(&self, name: &str) -> Option<&Schema> {
        self.schemas.iter().find(|s| s.name == name)
    }

    /// The schemas `Database` describes, by name.
    pub fn described_schemas(&self) -> impl Iterator<Item = &Schema> {
        self.schemas.iter().filter(|s| s.described)
    }

    /// The composite type `schema.name` (`CREATE TYPE ... AS`).
    pub fn composite_type(&self, schema: &str, name: &str) -> Option<&CompositeType> {
        self.schema(schema)?
            .composite_types
            .iter()
            .find(|c| c.name == name)
    }

    /// The table or view `schema.name`.
    pub fn relation(&self, schema: &str, name: &str) -> Option<&Relation> {
        let schema = self.schema(schema)?;
        schema
            .tables
            .iter()
            .chain(&schema.views)
            .find(|r| r.name == name)
    }

    /// The enum type `schema.name`.
    pub fn enum_type(&self, schema: &str, name: &str) -> Option<&EnumType> {
        self.schemas
            .iter()
            .find(|s| s.name == schema)?
            .enums
            .iter()
            .find(|e| e.name == name)
    }

    /// The message type or composite type of [`PAYLOAD_SCHEMA`] of this name.
    pub fn object_type(&self, name: &str) -> Option<ObjectType<'_>> {
        match self.message_type(name) {
            Some(message_type) => Some(ObjectType::of_message_type(message_type)),
            None => self
                .composite_type(PAYLOAD_SCHEMA, name)
                .map(ObjectType::of_composite_type),
        }
    }

    /// Every message type, then every composite type of [`PAYLOAD_SCHEMA`], in the IR's order
    /// (by name).
    pub fn object_types(&self) -> Vec<ObjectType<'_>> {
        let composites = self
            .schemas
            .iter()
            .filter(|s| s.name == PAYLOAD_SCHEMA)
            .flat_map(|s| &s.composite_types)
            .map(ObjectType::of_composite_type);
        self.message_types
            .iter()
            .map(ObjectType::of_message_type)
            .chain(composites)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_written_as_postgresql_writes_them() {
        let array = |element: SqlType| SqlType::Array {
            element: Box::new(element),
        };
        let composite = |schema: &str, name: &str| SqlType::Composite {
            schema: schema.to_owned(),
            name: name.to_owned(),
        };
        assert_eq!(array(SqlType::Jsonb { payload: None }).sql(), "jsonb[]");
        assert_eq!(
            array(composite(PAYLOAD_SCHEMA, "order_line_item")).sql(),
            "messenger_payloads.order_line_item[]"
        );
        assert_eq!(composite("public", "address").sql(), "address");
        assert_eq!(
            composite(PAYLOAD_SCHEMA, "Mood Ring").sql(),
            "messenger_payloads.\"Mood Ring\""
        );
        assert_eq!(
            SqlType::Varchar {
                max_length: Some(5)
            }
            .sql(),
            "character varying(5)"
        );
        assert_eq!(
            SqlType::Numeric {
                precision: Some(10),
                scale: Some(2)
            }
            .sql(),
            "numeric(10,2)"
        );
    }

    #[test]
    fn payload_types_are_message_types_and_composite_types_of_messenger_payloads() {
        let column = |name: &str, ty: SqlType| Column {
            name: name.to_owned(),
            ty,
            nullable: true,
            default: None,
            default_value: None,
            identity: None,
            generated: false,
            comment: None,
            checks: Vec::new(),
        };
        let composite = |name: &str| CompositeType {
            name: name.to_owned(),
            comment: None,
            attributes: vec![column("a", SqlType::Int4)],
        };
        let schema = |name: &str, composite_types| Schema {
            name: name.to_owned(),
            composite_types,
            ..Schema::default()
        };
        let catalog = Catalog {
            schemas: vec![
                schema("public", vec![composite("elsewhere")]),
                schema(PAYLOAD_SCHEMA, vec![composite("money")]),
            ],
            message_types: vec![MessageType {
                name: "order".to_owned(),
                comment: None,
                fields: vec![column(
                    "total",
                    SqlType::Composite {
                        schema: PAYLOAD_SCHEMA.to_owned(),
                        name: "money".to_owned(),
                    },
                )],
            }],
            transports: Vec::new(),
        };
        let names: Vec<(&str, bool)> = catalog
            .object_types()
            .iter()
            .map(|o| (o.name, o.is_message_type))
            .collect();
        assert_eq!(names, [("order", true), ("money", false)]);
        assert!(catalog.object_type("elsewhere").is_none());
        let order = catalog.object_type("order").unwrap();
        assert_eq!(order.fields[0].ty.nested_payload(), Some("money"));
        assert!(catalog.composite_type("public", "elsewhere").is_some());
        // An IR written before composite types existed still reads.
        let old: Schema = serde_json::from_value(serde_json::json!({
            "name": "public", "tables": [], "views": [], "enums": []
        }))
        .unwrap();
        assert!(old.composite_types.is_empty());
    }
}
