//! The part of the generator's IR (`generated/ir.json`, see `codegen/src/model/mod.rs`) that the
//! agreement test reads: message types, their columns with types and translated CHECKs, and the
//! enum types. Read from disk at run time, so the test follows a regenerated `generated/`.

use serde::Deserialize;
use serde_json::{Number, Value};

/// The catalog, as far as payloads are concerned.
#[derive(Debug, Clone, Deserialize)]
pub struct Catalog {
    /// Database schemas, for their enum types.
    pub schemas: Vec<Schema>,
    /// Message types, by name.
    pub message_types: Vec<MessageType>,
    /// Transports and the message types each accepts.
    #[serde(default)]
    pub transports: Vec<Transport>,
}

/// A transport.
#[derive(Debug, Clone, Deserialize)]
pub struct Transport {
    /// Its name.
    pub name: String,
    /// The message types it accepts.
    pub message_types: Vec<String>,
}

/// A database schema's enum types.
#[derive(Debug, Clone, Deserialize)]
pub struct Schema {
    /// Its name.
    pub name: String,
    /// Its enum types.
    pub enums: Vec<EnumType>,
}

/// An enum type.
#[derive(Debug, Clone, Deserialize)]
pub struct EnumType {
    /// Its name.
    pub name: String,
    /// Its labels.
    pub values: Vec<String>,
}

/// A message type: a table of `messenger_payloads`.
#[derive(Debug, Clone, Deserialize)]
pub struct MessageType {
    /// The table name.
    pub name: String,
    /// Its columns in order.
    pub fields: Vec<Column>,
}

/// A column.
#[derive(Debug, Clone, Deserialize)]
pub struct Column {
    /// Its name.
    pub name: String,
    /// Its type.
    pub ty: SqlType,
    /// Whether it may be NULL.
    pub nullable: bool,
    /// The DEFAULT expression.
    pub default: Option<String>,
    /// The DEFAULT as JSON, when constant.
    #[serde(default)]
    pub default_value: Option<Value>,
    /// Translated single-column CHECKs.
    #[serde(default)]
    pub checks: Vec<Check>,
    /// `always` or `by_default` for an identity column.
    #[serde(default)]
    pub identity: Option<String>,
    /// `GENERATED ALWAYS AS (...) STORED`.
    #[serde(default)]
    pub generated: bool,
}

impl Column {
    /// NOT NULL without DEFAULT (nor identity, nor generated): the JSON key is required.
    pub fn required(&self) -> bool {
        !self.nullable && self.default.is_none() && self.identity.is_none() && !self.generated
    }

    /// `GENERATED ALWAYS` (identity or stored): a payload may not give it at all.
    pub fn never_given(&self) -> bool {
        self.identity.as_deref() == Some("always") || self.generated
    }
}

/// A column type (domains resolved).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SqlType {
    Bool,
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    Numeric {
        precision: Option<u32>,
        scale: Option<u32>,
    },
    Text,
    Varchar {
        max_length: Option<u32>,
    },
    Char {
        length: Option<u32>,
    },
    Uuid,
    Date,
    Timestamptz,
    Timestamp,
    Time,
    Inet,
    Json,
    Jsonb {
        payload: Option<String>,
    },
    Enum {
        schema: String,
        name: String,
    },
    Array {
        element: Box<SqlType>,
    },
    Other {
        name: String,
    },
}

impl SqlType {
    /// The inclusive range of an integer type, the int8 policy included.
    pub fn integer_range(&self) -> Option<(i128, i128)> {
        match self {
            SqlType::Int2 => Some((i16::MIN.into(), i16::MAX.into())),
            SqlType::Int4 => Some((i32::MIN.into(), i32::MAX.into())),
            SqlType::Int8 => Some((-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)),
            _ => None,
        }
    }

    /// The declared maximum length of varchar(n) / char(n).
    pub fn declared_length(&self) -> Option<u32> {
        match self {
            SqlType::Varchar { max_length } => *max_length,
            SqlType::Char { length } => *length,
            _ => None,
        }
    }

    /// Text types: a JSON string with no format.
    pub fn is_text(&self) -> bool {
        matches!(
            self,
            SqlType::Text | SqlType::Varchar { .. } | SqlType::Char { .. }
        )
    }
}

/// `Number.MAX_SAFE_INTEGER`, the int8 policy's bound (CONTRACT.md).
pub const MAX_SAFE_INTEGER: i128 = (1 << 53) - 1;

/// A translated CHECK.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Check {
    Minimum { value: Number, exclusive: bool },
    Maximum { value: Number, exclusive: bool },
    MinLength { value: u32 },
    MaxLength { value: u32 },
    Pattern { regex: String },
    OneOf { values: Vec<Value> },
    MinItems { value: u32 },
    MaxItems { value: u32 },
}

impl Catalog {
    /// `generated/ir.json` (or `$MESSENGER_GENERATED_DIR/ir.json`).
    pub fn load() -> Catalog {
        let path = crate::node::generated_file("ir.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not the IR this test knows: {e}", path.display()))
    }

    /// The message type of this name.
    pub fn message_type(&self, name: &str) -> &MessageType {
        self.message_types
            .iter()
            .find(|m| m.name == name)
            .unwrap_or_else(|| panic!("no message type `{name}` in the IR"))
    }

    /// The labels of the enum type `schema.name`.
    pub fn enum_labels(&self, schema: &str, name: &str) -> &[String] {
        self.schemas
            .iter()
            .find(|s| s.name == schema)
            .and_then(|s| s.enums.iter().find(|e| e.name == name))
            .map(|e| e.values.as_slice())
            .unwrap_or_else(|| panic!("no enum type {schema}.{name} in the IR"))
    }
}

/// What a column's CHECKs and type say about its values, merged (the stricter bound wins).
#[derive(Debug, Clone, Default)]
pub struct Constraints {
    /// Lower bound and whether it is exclusive.
    pub minimum: Option<(f64, bool)>,
    /// Upper bound and whether it is exclusive.
    pub maximum: Option<(f64, bool)>,
    /// Minimum length in code points.
    pub min_length: Option<u32>,
    /// Maximum length in code points.
    pub max_length: Option<u32>,
    /// Regexes the value must match (unanchored search, like `~`).
    pub patterns: Vec<String>,
    /// The only allowed values.
    pub one_of: Option<Vec<Value>>,
    /// Minimum number of array items.
    pub min_items: Option<u32>,
    /// Maximum number of array items.
    pub max_items: Option<u32>,
}

impl Constraints {
    /// The constraints of a column: its CHECKs and `varchar(n)`.
    pub fn of(column: &Column) -> Constraints {
        let mut c = Constraints {
            max_length: column.ty.declared_length(),
            ..Constraints::default()
        };
        for check in &column.checks {
            match check {
                Check::Minimum { value, exclusive } => {
                    let v = value.as_f64().expect("a finite bound");
                    c.minimum = Some(match c.minimum {
                        Some((old, old_ex)) if old > v || (old == v && old_ex) => (old, old_ex),
                        _ => (v, *exclusive),
                    });
                }
                Check::Maximum { value, exclusive } => {
                    let v = value.as_f64().expect("a finite bound");
                    c.maximum = Some(match c.maximum {
                        Some((old, old_ex)) if old < v || (old == v && old_ex) => (old, old_ex),
                        _ => (v, *exclusive),
                    });
                }
                Check::MinLength { value } => {
                    c.min_length = Some(c.min_length.map_or(*value, |old| old.max(*value)));
                }
                Check::MaxLength { value } => {
                    c.max_length = Some(c.max_length.map_or(*value, |old| old.min(*value)));
                }
                Check::Pattern { regex } => c.patterns.push(regex.clone()),
                Check::OneOf { values } => c.one_of = Some(values.clone()),
                Check::MinItems { value } => c.min_items = Some(*value),
                Check::MaxItems { value } => c.max_items = Some(*value),
            }
        }
        c
    }

    /// The inclusive integer range of an integer type under these bounds.
    pub fn integer_bounds(&self, ty: &SqlType) -> (i128, i128) {
        let (mut lo, mut hi) = ty.integer_range().expect("an integer type");
        if let Some((m, exclusive)) = self.minimum {
            let bound = if exclusive {
                m.floor() as i128 + 1
            } else {
                m.ceil() as i128
            };
            lo = lo.max(bound);
        }
        if let Some((m, exclusive)) = self.maximum {
            let bound = if exclusive {
                m.ceil() as i128 - 1
            } else {
                m.floor() as i128
            };
            hi = hi.min(bound);
        }
        (lo, hi)
    }
}
