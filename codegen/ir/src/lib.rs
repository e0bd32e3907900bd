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
    /// `jsonb`; `payload` names a message type describing it (from an `@payload` COMMENT tag).
    Jsonb {
        /// The message type the value must match, if declared.
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
    /// The message type whose payloads the values hold (a jsonb column tagged `@payload`),
    /// looking through arrays.
    pub fn nested_payload(&self) -> Option<&str> {
        match self {
            SqlType::Jsonb { payload } => payload.as_deref(),
            SqlType::Array { element } => element.nested_payload(),
            _ => None,
        }
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
}
