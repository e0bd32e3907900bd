//! The generator's IR (`messenger_ir`, the same types `messenger-gen` writes to
//! `generated/ir.json`), read from disk at run time so the test follows a regenerated
//! `generated/`, and what the test derives from it on its own: its reading of CONTRACT.md's
//! ranges and constraints, kept independent of the generator's emitters on purpose (the corpus
//! built from it is what checks them).

use serde_json::Value;

pub use messenger_ir::{Catalog, Check, Column, ObjectType, PAYLOAD_SCHEMA, SqlType};

/// `Number.MAX_SAFE_INTEGER`, the int8 policy's bound (CONTRACT.md).
pub const MAX_SAFE_INTEGER: i128 = (1 << 53) - 1;

/// `generated/ir.json` (or `$MESSENGER_GENERATED_DIR/ir.json`).
pub fn load() -> Catalog {
    let path = crate::node::generated_file("ir.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not the IR this test knows: {e}", path.display()))
}

/// Look-ups that fail the test when the IR lacks what the corpus refers to.
pub trait CatalogFacts {
    /// The payload type of this name: a message type, or a composite type nested in them.
    fn payload_type(&self, name: &str) -> ObjectType<'_>;
    /// The labels of the enum type `schema.name`.
    fn enum_labels(&self, schema: &str, name: &str) -> &[String];
}

impl CatalogFacts for Catalog {
    fn payload_type(&self, name: &str) -> ObjectType<'_> {
        self.object_type(name)
            .unwrap_or_else(|| panic!("no message type or composite type `{name}` in the IR"))
    }

    fn enum_labels(&self, schema: &str, name: &str) -> &[String] {
        self.enum_type(schema, name)
            .map(|e| e.values.as_slice())
            .unwrap_or_else(|| panic!("no enum type {schema}.{name} in the IR"))
    }
}

/// What the contract says about a column's presence in a payload.
pub trait ColumnFacts {
    /// NOT NULL without DEFAULT (nor identity, nor generated): the JSON key is required.
    fn required(&self) -> bool;
}

impl ColumnFacts for Column {
    fn required(&self) -> bool {
        !self.optional_on_insert()
    }
}

/// What the contract says about the values of a type.
pub trait TypeFacts {
    /// The inclusive range of an integer type, the int8 policy included.
    fn integer_range(&self) -> Option<(i128, i128)>;
    /// The declared maximum length of varchar(n) / char(n).
    fn declared_length(&self) -> Option<u32>;
    /// Text types: a JSON string with no format.
    fn is_text(&self) -> bool;
}

impl TypeFacts for SqlType {
    fn integer_range(&self) -> Option<(i128, i128)> {
        match self {
            SqlType::Int2 => Some((i16::MIN.into(), i16::MAX.into())),
            SqlType::Int4 => Some((i32::MIN.into(), i32::MAX.into())),
            SqlType::Int8 => Some((-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)),
            _ => None,
        }
    }

    fn declared_length(&self) -> Option<u32> {
        match self {
            SqlType::Varchar { max_length } => *max_length,
            SqlType::Char { length } => *length,
            _ => None,
        }
    }

    fn is_text(&self) -> bool {
        matches!(
            self,
            SqlType::Text | SqlType::Varchar { .. } | SqlType::Char { .. }
        )
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
