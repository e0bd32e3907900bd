//! A column's type and CHECKs folded into target-neutral constraints: the JSON type of its
//! values, the type's own textual form, bounds (inclusive or exclusive), lengths, patterns,
//! literal sets and item constraints. Each rule of `emit/CONTRACT.md` about them is applied here
//! once; the emitters only render the result.

use std::cmp::Ordering;

use messenger_ir::{Catalog, Check, PAYLOAD_SCHEMA, SqlType};
use serde_json::{Number, Value};

use super::patterns::{
    DATE_PATTERN, INT8_SAFE, TIME_PATTERN, TIMESTAMP_PATTERN, TIMESTAMPTZ_PATTERN, UUID_PATTERN,
    needs_nul_pattern,
};

/// The JSON type of a column's values (JSON Schema is the contract's reference), which decides
/// which CHECKs mean something: as in JSON Schema, a keyword about another type would be no
/// constraint at all (`pattern` on an array, `minimum` on a string), so it is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `bool`.
    Boolean,
    /// `int2`, `int4`, `int8`.
    Integer,
    /// `float4`, `float8`, `numeric`.
    Number,
    /// Text, uuid, dates and times, inet, enum types.
    String,
    /// An array.
    Array,
    /// A nested payload type (an object): a `jsonb` column tagged `@payload`, or a composite
    /// type of `messenger_payloads` (a payload table's row type or a `CREATE TYPE`).
    Payload,
    /// A composite value (a `CREATE TYPE ... AS` type or a relation's row type) outside
    /// message types: an object of its attributes.
    Composite,
    /// Any JSON value (`json`, `jsonb` without a payload type, a type no target knows).
    Any,
}

impl Kind {
    /// The JSON Schema type name (`Payload` is an object; `Any` has none).
    pub fn json_type(self) -> &'static str {
        match self {
            Kind::Boolean => "boolean",
            Kind::Integer => "integer",
            Kind::Number => "number",
            Kind::String => "string",
            Kind::Array => "array",
            Kind::Payload | Kind::Composite => "object",
            Kind::Any => "value",
        }
    }

    /// Whether a literal of an `IN (...)` list can be a value of this kind.
    fn admits(self, value: &Value) -> bool {
        match self {
            Kind::Boolean => value.is_boolean(),
            Kind::Integer | Kind::Number => value.is_number(),
            Kind::String => value.is_string(),
            Kind::Any => true,
            Kind::Array | Kind::Payload | Kind::Composite => false,
        }
    }
}

/// The textual form a string type pins beside its JSON type (CONTRACT.md "Scalars").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `uuid`: the canonical form.
    Uuid,
    /// `date`: RFC 3339 full-date without year 0000.
    Date,
    /// `timestamptz`: RFC 3339 date-time with an offset.
    DateTime,
    /// `timestamp`: date and time without an offset.
    Timestamp,
    /// `time`: time of day without an offset.
    Time,
    /// `inet`: an IPv4 or an IPv6 address.
    Inet,
}

impl Format {
    /// The contract's pattern for the form (`inet` has formats only).
    pub fn pattern(self) -> Option<&'static str> {
        match self {
            Format::Uuid => Some(UUID_PATTERN),
            Format::Date => Some(DATE_PATTERN),
            Format::DateTime => Some(TIMESTAMPTZ_PATTERN),
            Format::Timestamp => Some(TIMESTAMP_PATTERN),
            Format::Time => Some(TIME_PATTERN),
            Format::Inet => None,
        }
    }
}

/// A numeric bound: `minimum`/`maximum`, or strict (`exclusiveMinimum`/`exclusiveMaximum`).
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    /// The bound as written in the CHECK (or the type's range).
    pub value: Number,
    /// `>` / `<` rather than `>=` / `<=`.
    pub exclusive: bool,
}

/// Whether a `jsonb` column tagged `@payload` (or a composite type of `messenger_payloads`)
/// holds a nested payload type: in payloads yes; in table rows no, because PostgreSQL stores
/// any JSON there (and composite columns of tables have no mapping yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    /// The tag is enforced ([`Kind::Payload`]).
    Enforced,
    /// The column holds any JSON ([`Kind::Any`]).
    Ignored,
}

/// Why a column's CHECKs cannot be folded (the IR is inconsistent, or a CHECK would mean nothing
/// for the column's values and a validator would silently ignore it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConstraintError {
    /// A CHECK about another JSON type than the column's.
    #[error(
        "the CHECK `{check}` means nothing for a column of type {sql}, whose values are \
         {subject}: no validator could enforce it. Remove the CHECK or change the column's type"
    )]
    Inapplicable {
        /// The CHECK as SQL (`>= 5`, `char_length(...) <= 3`, `IN (...)`).
        check: String,
        /// The column's type as PostgreSQL writes it.
        sql: String,
        /// What the column holds (`JSON strings`, ``inner` payloads (JSON objects)`).
        subject: String,
    },
    /// An `IN (...)` value the column's type cannot hold.
    #[error(
        "the CHECK `IN (...)` allows {value}, which is not a value of the column's type {sql} \
         (a JSON {kind})"
    )]
    Misfit {
        /// The value.
        value: String,
        /// The column's type as PostgreSQL writes it.
        sql: String,
        /// The column's JSON type.
        kind: &'static str,
    },
    /// A nested payload type that is neither a message type nor a composite type of
    /// `messenger_payloads`.
    #[error(
        "the nested payload type `{0}` is neither a table nor a composite type of \
         {PAYLOAD_SCHEMA} (no {PAYLOAD_SCHEMA}.{0})"
    )]
    UnknownPayload(String),
    /// A composite type outside `messenger_payloads` in a payload (introspection refuses it
    /// first, with what to write instead).
    #[error(
        "its type {0} is a composite type outside {PAYLOAD_SCHEMA}; nested payload types are \
         declared in {PAYLOAD_SCHEMA}"
    )]
    ForeignComposite(String),
    /// An enum type the catalog does not hold.
    #[error("the enum type `{schema}.{name}` is not in the IR")]
    UnknownEnum {
        /// Its schema.
        schema: String,
        /// Its name.
        name: String,
    },
    /// A composite type the catalog does not hold.
    #[error("the composite type `{schema}.{name}` is not in the IR")]
    UnknownComposite {
        /// Its schema.
        schema: String,
        /// Its name.
        name: String,
    },
}

/// What a column's non-null values are: its type's own constraints narrowed by its CHECKs.
/// Nullability, presence and defaults are the column's, not the value's.
#[derive(Debug, Clone, PartialEq)]
pub struct Constraints {
    /// The JSON type.
    pub kind: Kind,
    /// The nested payload type (a message type or a composite type of `messenger_payloads`)
    /// of a [`Kind::Payload`] value.
    pub payload: Option<String>,
    /// The composite type (schema, name) of a [`Kind::Composite`] value: a `CREATE TYPE`
    /// type or a relation's row type.
    pub composite: Option<(String, String)>,
    /// The textual form of a string type.
    pub format: Option<Format>,
    /// A type no target maps ([`Kind::Any`], with a generator warning): typed `unknown` where
    /// the target has types.
    pub unmapped: bool,
    /// A `text`, `varchar(n)` or `char(n)` value, which must be free of U+0000 (CONTRACT.md).
    pub text: bool,
    /// The values allowed when they are a closed list: the labels of an enum type and the
    /// `IN (...)` CHECKs, intersected (in the order of the first list, without duplicates,
    /// numbers compared by value). An empty list allows nothing.
    pub values: Option<Vec<Value>>,
    /// Whether an `IN (...)` CHECK narrows [`Constraints::values`] (rather than only the enum
    /// type's labels).
    pub in_list: bool,
    /// Lower bound: the type's range (integers) merged with the CHECKs, the stricter kept, the
    /// exclusive one on a tie.
    pub lower: Option<Bound>,
    /// Upper bound, likewise.
    pub upper: Option<Bound>,
    /// Minimum length in code points (`char_length`), as the CHECKs say (0 included).
    pub min_length: Option<u32>,
    /// Maximum length in code points: `varchar(n)`/`char(n)` and the CHECKs, the smaller kept.
    pub max_length: Option<u32>,
    /// The CHECK regexes (ECMA-262, unanchored search like `~`), in order, without duplicates.
    pub patterns: Vec<String>,
    /// The constraints of an array's items (their type's own; CHECKs are the array's).
    pub items: Option<Box<Constraints>>,
    /// Minimum number of items (`cardinality`), as the CHECKs say (0 included).
    pub min_items: Option<u32>,
    /// Maximum number of items.
    pub max_items: Option<u32>,
}

impl Constraints {
    /// Folds the type `ty` and the `checks` of a column.
    pub fn of(
        catalog: &Catalog,
        ty: &SqlType,
        checks: &[Check],
        nesting: Nesting,
    ) -> Result<Constraints, ConstraintError> {
        let mut folded = Constraints::of_type(catalog, ty, nesting)?;
        for check in checks {
            folded.apply(check, ty)?;
        }
        Ok(folded)
    }

    fn new(kind: Kind) -> Constraints {
        Constraints {
            kind,
            payload: None,
            composite: None,
            format: None,
            unmapped: false,
            text: false,
            values: None,
            in_list: false,
            lower: None,
            upper: None,
            min_length: None,
            max_length: None,
            patterns: Vec::new(),
            items: None,
            min_items: None,
            max_items: None,
        }
    }

    fn string(format: Format) -> Constraints {
        Constraints {
            format: Some(format),
            ..Constraints::new(Kind::String)
        }
    }

    fn text(max_length: Option<u32>) -> Constraints {
        Constraints {
            text: true,
            max_length,
            ..Constraints::new(Kind::String)
        }
    }

    fn integer(min: i64, max: i64) -> Constraints {
        let bound = |value: i64| {
            Some(Bound {
                value: value.into(),
                exclusive: false,
            })
        };
        Constraints {
            lower: bound(min),
            upper: bound(max),
            ..Constraints::new(Kind::Integer)
        }
    }

    /// A value of the nested payload type `name`, which the catalog must declare.
    fn nested(catalog: &Catalog, name: &str) -> Result<Constraints, ConstraintError> {
        if catalog.object_type(name).is_none() {
            return Err(ConstraintError::UnknownPayload(name.to_owned()));
        }
        Ok(Constraints {
            payload: Some(name.to_owned()),
            ..Constraints::new(Kind::Payload)
        })
    }

    /// The constraints of the type alone.
    fn of_type(
        catalog: &Catalog,
        ty: &SqlType,
        nesting: Nesting,
    ) -> Result<Constraints, ConstraintError> {
        Ok(match ty {
            SqlType::Bool => Constraints::new(Kind::Boolean),
            SqlType::Int2 => Constraints::integer(i16::MIN.into(), i16::MAX.into()),
            SqlType::Int4 => Constraints::integer(i32::MIN.into(), i32::MAX.into()),
            // The int8 policy: integers JavaScript represents exactly.
            SqlType::Int8 => Constraints::integer(-INT8_SAFE, INT8_SAFE),
            SqlType::Float4 | SqlType::Float8 | SqlType::Numeric { .. } => {
                Constraints::new(Kind::Number)
            }
            SqlType::Text => Constraints::text(None),
            SqlType::Varchar { max_length: n } | SqlType::Char { length: n } => {
                Constraints::text(*n)
            }
            SqlType::Uuid => Constraints::string(Format::Uuid),
            SqlType::Date => Constraints::string(Format::Date),
            SqlType::Timestamptz => Constraints::string(Format::DateTime),
            SqlType::Timestamp => Constraints::string(Format::Timestamp),
            SqlType::Time => Constraints::string(Format::Time),
            SqlType::Inet => Constraints::string(Format::Inet),
            SqlType::Jsonb {
                payload: Some(name),
            } if nesting == Nesting::Enforced => Constraints::nested(catalog, name)?,
            SqlType::Composite { schema, name } if nesting == Nesting::Enforced => {
                if schema != PAYLOAD_SCHEMA {
                    return Err(ConstraintError::ForeignComposite(ty.sql()));
                }
                Constraints::nested(catalog, name)?
            }
            SqlType::Json | SqlType::Jsonb { .. } => Constraints::new(Kind::Any),
            SqlType::Other { .. } => Constraints {
                unmapped: true,
                ..Constraints::new(Kind::Any)
            },
            SqlType::Enum { schema, name } => {
                let enum_type = catalog.enum_type(schema, name).ok_or_else(|| {
                    ConstraintError::UnknownEnum {
                        schema: schema.clone(),
                        name: name.clone(),
                    }
                })?;
                Constraints {
                    values: Some(
                        enum_type
                            .values
                            .iter()
                            .cloned()
                            .map(Value::String)
                            .collect(),
                    ),
                    ..Constraints::new(Kind::String)
                }
            }
            SqlType::Array { element } => Constraints {
                items: Some(Box::new(Constraints::of_type(catalog, element, nesting)?)),
                ..Constraints::new(Kind::Array)
            },
            // Its text form is what PostgreSQL writes and reads; U+0000 cannot be in it.
            SqlType::Textual { .. } => Constraints::text(None),
            // A composite column of a table (payloads took theirs above): an object of its
            // attributes, as `to_json` writes it.
            SqlType::Composite { schema, name } => {
                if catalog.relation(schema, name).is_none()
                    && catalog.composite_type(schema, name).is_none()
                {
                    return Err(ConstraintError::UnknownComposite {
                        schema: schema.clone(),
                        name: name.clone(),
                    });
                }
                Constraints {
                    composite: Some((schema.clone(), name.clone())),
                    ..Constraints::new(Kind::Composite)
                }
            }
        })
    }

    /// Narrows the constraints by a CHECK.
    fn apply(&mut self, check: &Check, ty: &SqlType) -> Result<(), ConstraintError> {
        let applies = match (check, self.kind) {
            (_, Kind::Payload | Kind::Composite) => false,
            (Check::OneOf { .. }, kind) => kind != Kind::Array,
            (_, Kind::Any) => false,
            (Check::Minimum { .. } | Check::Maximum { .. }, kind) => {
                matches!(kind, Kind::Integer | Kind::Number)
            }
            (Check::MinLength { .. } | Check::MaxLength { .. } | Check::Pattern { .. }, kind) => {
                kind == Kind::String
            }
            (Check::MinItems { .. } | Check::MaxItems { .. }, kind) => kind == Kind::Array,
        };
        if !applies {
            let subject = match (self.kind, &self.payload) {
                (Kind::Payload, Some(name)) => format!("`{name}` payloads (JSON objects)"),
                (Kind::Composite, _) => "composite values (JSON objects)".to_owned(),
                (Kind::Any, _) => "any JSON".to_owned(),
                (kind, _) => format!("JSON {}s", kind.json_type()),
            };
            return Err(ConstraintError::Inapplicable {
                check: check_sql(check),
                sql: ty.sql(),
                subject,
            });
        }
        match check {
            Check::Minimum { value, exclusive } => {
                let bound = Bound {
                    value: value.clone(),
                    exclusive: *exclusive,
                };
                self.lower = Some(stricter(self.lower.take(), bound, Ordering::Greater));
            }
            Check::Maximum { value, exclusive } => {
                let bound = Bound {
                    value: value.clone(),
                    exclusive: *exclusive,
                };
                self.upper = Some(stricter(self.upper.take(), bound, Ordering::Less));
            }
            Check::MinLength { value } => self.min_length = larger(self.min_length, *value),
            Check::MaxLength { value } => self.max_length = smaller(self.max_length, *value),
            Check::Pattern { regex } => {
                if !self.patterns.contains(regex) {
                    self.patterns.push(regex.clone());
                }
            }
            Check::OneOf { values } => {
                if let Some(misfit) = values.iter().find(|v| !self.kind.admits(v)) {
                    return Err(ConstraintError::Misfit {
                        value: misfit.to_string(),
                        sql: ty.sql(),
                        kind: self.kind.json_type(),
                    });
                }
                self.values = Some(intersect(self.values.take(), values));
                self.in_list = true;
            }
            Check::MinItems { value } => self.min_items = larger(self.min_items, *value),
            Check::MaxItems { value } => self.max_items = smaller(self.max_items, *value),
        }
        Ok(())
    }

    /// The type's own pattern (uuid, dates and times), if any.
    pub fn own_pattern(&self) -> Option<&'static str> {
        self.format.and_then(Format::pattern)
    }

    /// Every pattern the value must match: the type's own first, then the CHECKs'.
    pub fn all_patterns(&self) -> Vec<&str> {
        let mut all: Vec<&str> = self.own_pattern().into_iter().collect();
        for pattern in &self.patterns {
            if !all.contains(&pattern.as_str()) {
                all.push(pattern);
            }
        }
        all
    }

    /// Whether the value needs the U+0000 rule: text that neither a closed list of values nor
    /// a CHECK pattern (`patterns::excludes_nul`) already keeps free of U+0000.
    pub fn needs_nul_rule(&self) -> bool {
        self.text && self.values.is_none() && needs_nul_pattern(&self.patterns)
    }

    /// [`Constraints::values`] without those the other constraints rule out (a number out of
    /// bounds or not an integer, a string of the wrong length or not a canonical uuid), for
    /// targets that write the list as literals instead of checking each constraint. Patterns
    /// and the date/time/inet forms are left to the validators.
    pub fn admitted_values(&self) -> Option<Vec<Value>> {
        let values = self.values.as_ref()?;
        Some(
            values
                .iter()
                .filter(|value| self.admits(value))
                .cloned()
                .collect(),
        )
    }

    fn admits(&self, value: &Value) -> bool {
        match self.kind {
            Kind::Boolean => value.is_boolean(),
            Kind::Integer | Kind::Number => {
                let Value::Number(n) = value else {
                    return false;
                };
                let integral =
                    self.kind == Kind::Number || n.as_f64().is_some_and(|x| x.fract() == 0.0);
                integral && self.within(n)
            }
            Kind::String => {
                let Some(text) = value.as_str() else {
                    return false;
                };
                let length = u32::try_from(text.chars().count()).unwrap_or(u32::MAX);
                self.min_length.is_none_or(|m| length >= m)
                    && self.max_length.is_none_or(|m| length <= m)
                    && (self.format != Some(Format::Uuid) || is_uuid(text))
            }
            Kind::Array | Kind::Payload | Kind::Composite => false,
            Kind::Any => true,
        }
    }

    /// Whether `n` is within the bounds.
    fn within(&self, n: &Number) -> bool {
        let above = self
            .lower
            .as_ref()
            .is_none_or(|l| match compare(n, &l.value) {
                Ordering::Greater => true,
                Ordering::Equal => !l.exclusive,
                Ordering::Less => false,
            });
        let below = self
            .upper
            .as_ref()
            .is_none_or(|u| match compare(n, &u.value) {
                Ordering::Less => true,
                Ordering::Equal => !u.exclusive,
                Ordering::Greater => false,
            });
        above && below
    }
}

/// A CHECK as SQL writes it, without its column, for messages (`>= 5`, `IN (...)`).
fn check_sql(check: &Check) -> String {
    let strict = |exclusive: bool, or_equal: &str, strict: &str| {
        if exclusive { strict } else { or_equal }.to_owned()
    };
    match check {
        Check::Minimum { value, exclusive } => {
            format!("{} {value}", strict(*exclusive, ">=", ">"))
        }
        Check::Maximum { value, exclusive } => {
            format!("{} {value}", strict(*exclusive, "<=", "<"))
        }
        Check::MinLength { value } => format!("char_length(...) >= {value}"),
        Check::MaxLength { value } => format!("char_length(...) <= {value}"),
        Check::Pattern { regex } => format!("~ '{}'", regex.replace('\'', "''")),
        Check::OneOf { .. } => "IN (...)".to_owned(),
        Check::MinItems { value } => format!("cardinality(...) >= {value}"),
        Check::MaxItems { value } => format!("cardinality(...) <= {value}"),
    }
}

/// The stricter of two bounds: the one further in the direction `stricter` (`Greater` for a
/// lower bound); on equal values the exclusive one.
fn stricter(current: Option<Bound>, new: Bound, stricter: Ordering) -> Bound {
    let Some(current) = current else {
        return new;
    };
    match compare(&new.value, &current.value) {
        Ordering::Equal if new.exclusive => new,
        Ordering::Equal => current,
        order if order == stricter => new,
        _ => current,
    }
}

fn larger(current: Option<u32>, new: u32) -> Option<u32> {
    Some(current.map_or(new, |c| c.max(new)))
}

fn smaller(current: Option<u32>, new: u32) -> Option<u32> {
    Some(current.map_or(new, |c| c.min(new)))
}

/// Compares two JSON numbers, exactly when both are integers.
pub fn compare(a: &Number, b: &Number) -> Ordering {
    let integer = |n: &Number| {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    };
    match (integer(a), integer(b)) {
        (Some(a), Some(b)) => a.cmp(&b),
        _ => {
            let (a, b) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
            a.partial_cmp(&b).unwrap_or(Ordering::Equal)
        }
    }
}

/// JSON equality with numbers compared by value (`1` equals `1.0`), as JSON Schema's `enum` does.
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(a), Value::Number(b)) => compare(a, b) == Ordering::Equal,
        _ => a == b,
    }
}

/// The values allowed by both `current` (none: no list yet) and `allowed`, in the order of
/// `current`, without duplicates.
fn intersect(current: Option<Vec<Value>>, allowed: &[Value]) -> Vec<Value> {
    let candidates = current.unwrap_or_else(|| allowed.to_vec());
    let mut out: Vec<Value> = Vec::new();
    for value in candidates {
        if allowed.iter().any(|a| same_value(a, &value))
            && !out.iter().any(|o| same_value(o, &value))
        {
            out.push(value);
        }
    }
    out
}

/// Whether `text` is a uuid in the canonical form (CONTRACT.md's `UUID_PATTERN`).
fn is_uuid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                *b == b'-'
            } else {
                b.is_ascii_hexdigit()
            }
        })
}

#[cfg(test)]
#[path = "constraints_tests.rs"]
mod tests;
