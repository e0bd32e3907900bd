//! One struct field: its Rust type, its serde attributes (name, presence, default) and its
//! schemars attributes, which put the column's folded [`Constraints`] into the JSON Schema that
//! `schemars::schema_for!` derives (natively where schemars has an attribute, else as
//! `extend(...)` keywords).

use std::collections::BTreeSet;

use messenger_ir::{Catalog, Column, PAYLOAD_SCHEMA, SqlType};
use serde_json::Value;

use super::names::{int_lit, json_tokens, num_lit, str_lit, type_name, variants};
use super::plan::{DefaultFn, EnumDef, TypeNames, reaches};
use super::{INET_SCHEMA, JSON_SCHEMA};
use crate::contract::patterns::{INT8_SAFE, NUL_FREE_PATTERN};
use crate::contract::{Bound, Constraints, Format, Nesting};
use crate::emit::error::{EmitError, place};
use crate::emit::names::Names;

/// A field of a struct.
pub struct FieldDef {
    /// Its identifier.
    pub ident: String,
    /// Its doc comment.
    pub docs: Option<String>,
    /// Its Rust type.
    pub ty: String,
    /// The arguments of its `#[serde(...)]`.
    pub serde: Vec<String>,
    /// Its `#[schemars(...)]` attributes.
    pub schemars: Vec<SchemarsAttr>,
}

impl FieldDef {
    /// Whether its schema is the private type `schema`'s.
    pub fn uses_schema(&self, schema: &str) -> bool {
        self.schemars
            .iter()
            .any(|a| matches!(a, SchemarsAttr::With(t) if t.contains(schema)))
    }
}

/// One `#[schemars(...)]` attribute.
pub enum SchemarsAttr {
    /// `with = "T"`.
    With(String),
    /// `path(path(...(args)))`: `range`, `length`, `regex`, possibly inside `inner`.
    Nested {
        /// The attribute path (`["inner", "length"]`).
        path: Vec<&'static str>,
        /// Its arguments (`max = 5`).
        args: Vec<String>,
    },
    /// `extend("key" = value, ...)`: values are `json!` tokens.
    Extend(Vec<(String, String)>),
}

/// What a column's (or an array's element's) values are in Rust, before nullability: the Rust
/// target's own mapping of SQL types.
#[derive(Clone)]
enum Base {
    Bool,
    Int(IntKind),
    Float,
    Str,
    /// uuid, dates and times, inet: strings of a fixed form, each with its own Rust type.
    Formatted(Format),
    Json,
    Payload {
        rust: String,
        boxed: bool,
    },
    Enum {
        rust: String,
        labels: Vec<String>,
    },
}

#[derive(Clone, Copy, PartialEq)]
enum IntKind {
    I16,
    I32,
    I64,
}

impl IntKind {
    fn bounds(self) -> (i64, i64) {
        match self {
            IntKind::I16 => (i16::MIN.into(), i16::MAX.into()),
            IntKind::I32 => (i32::MIN.into(), i32::MAX.into()),
            IntKind::I64 => (-INT8_SAFE, INT8_SAFE),
        }
    }

    /// Whether schemars's own schema for the Rust type already has the bounds.
    fn native_bounds(self) -> bool {
        self == IntKind::I16
    }
}

impl Base {
    fn rust(&self) -> String {
        match self {
            Base::Bool => "bool".into(),
            Base::Int(IntKind::I16) => "i16".into(),
            Base::Int(IntKind::I32) => "i32".into(),
            Base::Int(IntKind::I64) => "i64".into(),
            Base::Float => "f64".into(),
            Base::Str => "String".into(),
            Base::Formatted(Format::Uuid) => "uuid::Uuid".into(),
            Base::Formatted(Format::Date) => "chrono::NaiveDate".into(),
            Base::Formatted(Format::DateTime) => "chrono::DateTime<chrono::FixedOffset>".into(),
            Base::Formatted(Format::Timestamp) => "chrono::NaiveDateTime".into(),
            Base::Formatted(Format::Time) => "chrono::NaiveTime".into(),
            Base::Formatted(Format::Inet) => "std::net::IpAddr".into(),
            Base::Json => "serde_json::Value".into(),
            Base::Payload { rust, boxed: true } => format!("Box<{rust}>"),
            Base::Payload { rust, .. } | Base::Enum { rust, .. } => rust.clone(),
        }
    }

    /// The type whose schema the field gets, when it is not the Rust type's own.
    fn schema_type(&self) -> Option<String> {
        match self {
            Base::Formatted(Format::Inet) => Some(INET_SCHEMA.to_owned()),
            Base::Json => Some(JSON_SCHEMA.to_owned()),
            _ => None,
        }
    }

    /// Whether schemars's schema for it has `"type": "string"` (so `length`/`regex` apply).
    fn is_string(&self) -> bool {
        matches!(self, Base::Str | Base::Formatted(_))
    }
}

/// Plans the fields of one struct, collecting the enums and default functions they need.
pub struct FieldPlanner<'a> {
    pub catalog: &'a Catalog,
    pub types: &'a TypeNames,
    /// The payload type (message type or composite type) whose fields these are.
    pub owner: &'a str,
    pub struct_name: &'a str,
    /// The module's type names (an IN list's enum takes one).
    pub names: &'a mut Names,
    /// Enums for the IN lists of the struct's columns.
    pub enums: Vec<EnumDef>,
    /// Functions returning the fields' DEFAULTs.
    pub defaults: Vec<DefaultFn>,
}

impl FieldPlanner<'_> {
    /// The field of `column`, named `ident`.
    pub fn field(&mut self, column: &Column, ident: String) -> Result<FieldDef, EmitError> {
        let table = self.owner;
        let mut constraints =
            Constraints::of(self.catalog, &column.ty, &column.checks, Nesting::Enforced)
                .map_err(|e| EmitError::column(PAYLOAD_SCHEMA, table, &column.name, e))?;
        let (element, is_array) = match &column.ty {
            SqlType::Array { element } => (self.base(element, column)?, true),
            other => (self.base(other, column)?, false),
        };
        // Boxing is only needed without the Vec.
        let mut base = match element {
            Base::Payload { rust, .. } if is_array => Base::Payload { rust, boxed: false },
            other => other,
        };
        // The `IN (...)` list the field's schema still has to state as an `enum`.
        let mut list = constraints
            .in_list
            .then(|| constraints.values.clone())
            .flatten();
        // An IN list on a string or enum column becomes a Rust enum. Lengths (a CHECK, a
        // varchar) hold for every value or for none: the enum keeps the values that satisfy
        // them rather than repeat them.
        if !is_array
            && list.is_some()
            && matches!(base, Base::Str | Base::Enum { .. })
            && let Some(labels) = constraints.admitted_values()
        {
            let labels: Vec<String> = labels
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            base = self.in_list_enum(column, labels)?;
            constraints.min_length = None;
            constraints.max_length = None;
            list = None;
        }
        let inner_type = base.rust();
        let ty_inner = if is_array {
            format!("Vec<{inner_type}>")
        } else {
            inner_type
        };
        // A closed list of JSON values (an `enum`) needs no JSON value schema beside it.
        let schema_inner = match (
            list.is_none().then(|| base.schema_type()).flatten(),
            is_array,
        ) {
            (Some(t), true) => Some(format!("Vec<{t}>")),
            (Some(t), false) => Some(t),
            (None, _) => None,
        };
        let (ty, mut serde, schema_type) =
            self.presence(column, &ident, &base, is_array, ty_inner, schema_inner)?;
        let json_name = ident.trim_start_matches("r#");
        if json_name != column.name {
            serde.insert(0, format!("rename = {}", str_lit(&column.name)));
        }
        let mut schemars: Vec<SchemarsAttr> =
            schema_type.map(SchemarsAttr::With).into_iter().collect();
        let mut extend = Vec::new();
        if is_array {
            array_constraints(&constraints, &base, &mut schemars);
        } else {
            value_constraints(&constraints, &base, &mut schemars, &mut extend);
            if let Some(values) = &list {
                extend.push(("enum".into(), enum_values(values, column.nullable)));
            }
        }
        if !extend.is_empty() {
            schemars.push(SchemarsAttr::Extend(extend));
        }
        Ok(FieldDef {
            ident,
            docs: column.comment.clone(),
            ty,
            serde,
            schemars,
        })
    }

    /// The type of a non-array column (or an array's element).
    fn base(&self, ty: &SqlType, column: &Column) -> Result<Base, EmitError> {
        let owner = self.owner;
        Ok(match ty {
            SqlType::Bool => Base::Bool,
            SqlType::Int2 => Base::Int(IntKind::I16),
            SqlType::Int4 => Base::Int(IntKind::I32),
            SqlType::Int8 => Base::Int(IntKind::I64),
            SqlType::Float4 | SqlType::Float8 | SqlType::Numeric { .. } => Base::Float,
            SqlType::Text
            | SqlType::Varchar { .. }
            | SqlType::Char { .. }
            | SqlType::Textual { .. } => Base::Str,
            SqlType::Uuid => Base::Formatted(Format::Uuid),
            SqlType::Date => Base::Formatted(Format::Date),
            SqlType::Timestamptz => Base::Formatted(Format::DateTime),
            SqlType::Timestamp => Base::Formatted(Format::Timestamp),
            SqlType::Time => Base::Formatted(Format::Time),
            SqlType::Inet => Base::Formatted(Format::Inet),
            SqlType::Json | SqlType::Jsonb { payload: None } | SqlType::Other { .. } => Base::Json,
            // `Constraints::of` has checked that the target exists (and that a composite type
            // is one of messenger_payloads).
            SqlType::Jsonb {
                payload: Some(target),
            }
            | SqlType::Composite { name: target, .. } => Base::Payload {
                rust: self.types.structs[target].clone(),
                boxed: reaches(self.catalog, target, owner, &mut BTreeSet::new()),
            },
            SqlType::Enum { schema, name } => {
                let (rust, labels) = &self.types.enums[&(schema.clone(), name.clone())];
                Base::Enum {
                    rust: rust.clone(),
                    labels: labels.clone(),
                }
            }
            SqlType::Array { .. } => {
                return Err(EmitError::unsupported(
                    PAYLOAD_SCHEMA,
                    owner,
                    &column.name,
                    "an array of arrays, which no target supports".to_owned(),
                ));
            }
        })
    }

    /// The enum of a column's IN list (`labels`: the values its other constraints admit).
    fn in_list_enum(&mut self, column: &Column, labels: Vec<String>) -> Result<Base, EmitError> {
        let owner = self.owner;
        if labels.is_empty() {
            return Err(EmitError::unsupported(
                PAYLOAD_SCHEMA,
                owner,
                &column.name,
                "no value of its IN list satisfies its length limits, and a Rust enum needs one"
                    .to_owned(),
            ));
        }
        let what = format!(
            "the IN list of {}",
            place(PAYLOAD_SCHEMA, owner, &column.name)
        );
        let name = self.names.claim(
            format!("{}{}", self.struct_name, type_name(&column.name, &what)?),
            what.clone(),
        )?;
        self.enums.push(EnumDef {
            name: name.clone(),
            docs: Some(format!(
                "The values `{owner}.{}` allows (its CHECK ... IN list).",
                column.name
            )),
            variants: variants(&labels, &what)?,
        });
        Ok(Base::Enum { rust: name, labels })
    }

    /// The field's type, serde attributes and schema type, from its nullability and DEFAULT
    /// (CONTRACT.md "Objects").
    fn presence(
        &mut self,
        column: &Column,
        ident: &str,
        base: &Base,
        is_array: bool,
        ty_inner: String,
        schema_inner: Option<String>,
    ) -> Result<(String, Vec<String>, Option<String>), EmitError> {
        let optional = || {
            vec![
                "default".to_owned(),
                "skip_serializing_if = \"Option::is_none\"".to_owned(),
            ]
        };
        if column.nullable {
            let schema_type = schema_inner.map(|t| format!("Option<{t}>"));
            return Ok((format!("Option<{ty_inner}>"), optional(), schema_type));
        }
        if column.default.is_none() {
            return Ok((ty_inner, Vec::new(), schema_inner));
        }
        let constant = match &column.default_value {
            Some(value) => default_expr(value, base, is_array).map_err(|reason| {
                EmitError::unsupported(PAYLOAD_SCHEMA, self.owner, &column.name, reason)
            })?,
            None => None,
        };
        let Some(body) = constant else {
            // Not a constant: absent means "the database's default"; the schema keeps `null`
            // out as CONTRACT.md says.
            let schema_type = Some(schema_inner.unwrap_or_else(|| ty_inner.clone()));
            return Ok((format!("Option<{ty_inner}>"), optional(), schema_type));
        };
        let function = format!("default_{}", ident.trim_start_matches("r#"));
        let serde = vec![format!("default = \"{}::{function}\"", self.struct_name)];
        self.defaults.push(DefaultFn {
            name: function,
            ty: ty_inner.clone(),
            body,
        });
        Ok((ty_inner, serde, schema_inner))
    }
}

/// The schemars attributes of an array: its CHECKs are about the array (cardinality); the
/// element type's own constraints go to `items` (`inner`).
fn array_constraints(constraints: &Constraints, base: &Base, schemars: &mut Vec<SchemarsAttr>) {
    let mut items = Vec::new();
    if let Some(n) = constraints.min_items {
        items.push(format!("min = {n}"));
    }
    if let Some(n) = constraints.max_items {
        items.push(format!("max = {n}"));
    }
    if !items.is_empty() {
        schemars.push(nested(&["length"], items));
    }
    let Some(element) = &constraints.items else {
        return;
    };
    match base {
        Base::Str => {
            if let Some(n) = element.max_length {
                schemars.push(nested(&["inner", "length"], vec![format!("max = {n}")]));
            }
        }
        Base::Int(kind) if !kind.native_bounds() => {
            let (min, max) = kind.bounds();
            schemars.push(nested(
                &["inner", "range"],
                vec![
                    format!("min = {}", int_lit(min)),
                    format!("max = {}", int_lit(max)),
                ],
            ));
        }
        _ => {}
    }
    if let Some(pattern) = own_pattern(element, base) {
        schemars.push(nested(
            &["inner", "regex"],
            vec![format!("pattern = {}", str_lit(pattern))],
        ));
    }
}

/// The schemars attributes of a value that is not an array: bounds, lengths and patterns, with
/// schemars' own attributes where it has them, else as keywords in `extend`.
fn value_constraints(
    constraints: &Constraints,
    base: &Base,
    schemars: &mut Vec<SchemarsAttr>,
    extend: &mut Vec<(String, String)>,
) {
    let (lower, upper) = (constraints.lower.as_ref(), constraints.upper.as_ref());
    // schemars' `range` is inclusive: exclusive bounds are keywords.
    let mut range = Vec::new();
    let mut bound = |key: &str, keyword: &str, bound: Option<&Bound>, native: Option<i64>| {
        match bound {
            // schemars states i16's own range already.
            Some(Bound {
                value,
                exclusive: false,
            }) if native.is_none() || value.as_i64() != native => {
                range.push(format!("{key} = {}", num_lit(value)));
            }
            Some(Bound {
                value,
                exclusive: true,
            }) => extend.push((keyword.to_owned(), num_lit(value))),
            _ => {}
        }
    };
    let (native_min, native_max) = match base {
        Base::Int(kind) if kind.native_bounds() => {
            let (min, max) = kind.bounds();
            (Some(min), Some(max))
        }
        _ => (None, None),
    };
    bound("min", "exclusiveMinimum", lower, native_min);
    bound("max", "exclusiveMaximum", upper, native_max);
    if !range.is_empty() {
        schemars.push(nested(&["range"], range));
    }
    let mut patterns: Vec<&str> = own_pattern(constraints, base).into_iter().collect();
    patterns.extend(constraints.patterns.iter().map(String::as_str));
    let mut length = Vec::new();
    if let Some(n) = constraints.min_length {
        length.push(format!("min = {n}"));
    }
    if let Some(n) = constraints.max_length {
        length.push(format!("max = {n}"));
    }
    if !base.is_string() {
        // An enum (of an IN list): its values are strings, but schemars' schema for it has no
        // `type`, so its constraints are keywords.
        push_keywords(
            extend,
            constraints.min_length,
            constraints.max_length,
            &patterns,
        );
        return;
    }
    if !length.is_empty() {
        schemars.push(nested(&["length"], length));
    }
    if let Some((first, rest)) = patterns.split_first() {
        schemars.push(nested(
            &["regex"],
            vec![format!("pattern = {}", str_lit(first))],
        ));
        // `pattern` is taken: the others go to an `allOf`.
        if !rest.is_empty() {
            extend.push(("allOf".into(), all_of_patterns(rest)));
        }
    }
}

/// The type's own pattern (CONTRACT.md), if any; for text, the U+0000 rule (which a CHECK's
/// pattern or a closed list can make unnecessary).
fn own_pattern(constraints: &Constraints, base: &Base) -> Option<&'static str> {
    match base {
        Base::Str => constraints.needs_nul_rule().then_some(NUL_FREE_PATTERN),
        Base::Enum { .. } => None,
        _ => constraints.own_pattern(),
    }
}

fn nested(path: &[&'static str], args: Vec<String>) -> SchemarsAttr {
    SchemarsAttr::Nested {
        path: path.to_vec(),
        args,
    }
}

/// `minLength`, `maxLength` and the patterns as JSON Schema keywords (one pattern as
/// `pattern`, several as an `allOf` of patterns).
fn push_keywords(
    extend: &mut Vec<(String, String)>,
    min_length: Option<u32>,
    max_length: Option<u32>,
    patterns: &[&str],
) {
    if let Some(n) = min_length {
        extend.push(("minLength".into(), n.to_string()));
    }
    if let Some(n) = max_length {
        extend.push(("maxLength".into(), n.to_string()));
    }
    match patterns {
        [] => {}
        [one] => extend.push(("pattern".into(), str_lit(one))),
        many => extend.push(("allOf".into(), all_of_patterns(many))),
    }
}

/// `[{"pattern": p}, ...]`.
fn all_of_patterns(patterns: &[&str]) -> String {
    let all: Vec<String> = patterns
        .iter()
        .map(|p| format!("{{\"pattern\": {}}}", str_lit(p)))
        .collect();
    format!("[{}]", all.join(", "))
}

/// `[values]` for an `enum`, with `null` when the column is nullable.
fn enum_values(values: &[Value], nullable: bool) -> String {
    let mut items: Vec<String> = values.iter().map(json_tokens).collect();
    if nullable && !values.contains(&Value::Null) {
        items.push("null".into());
    }
    format!("[{}]", items.join(", "))
}

/// The expression of a constant default, `None` when the type has no literal for it, `Err`
/// saying why a default is impossible.
fn default_expr(value: &Value, base: &Base, is_array: bool) -> Result<Option<String>, String> {
    if matches!(base, Base::Json) && !is_array {
        // rustfmt lays `json!(...)` out like a call when its tokens are an expression, and
        // leaves an object, which is not one, as written.
        return Ok(Some(format!("serde_json::json!({})", json_tokens(value))));
    }
    if is_array {
        let Value::Array(items) = value else {
            return Ok(None);
        };
        let mut exprs = Vec::new();
        for item in items {
            match default_expr(item, base, false)? {
                Some(e) => exprs.push(e),
                None => return Ok(None),
            }
        }
        if exprs.is_empty() {
            return Ok(Some("Vec::new()".to_owned()));
        }
        return Ok(Some(format!("vec![{}]", exprs.join(", "))));
    }
    Ok(match (base, value) {
        (Base::Bool, Value::Bool(b)) => Some(b.to_string()),
        (Base::Int(kind), Value::Number(n)) => {
            let (min, max) = kind.bounds();
            n.as_i64()
                .filter(|i| (min..=max).contains(i) || *kind == IntKind::I64)
                .map(|i| i.to_string())
        }
        (Base::Float, Value::Number(n)) => n.as_f64().map(|f| format!("{f:?}")),
        (Base::Str, Value::String(s)) => Some(format!("{}.to_owned()", str_lit(s))),
        (Base::Enum { rust, labels }, Value::String(s)) => {
            let variants = variants(labels, "its enum").map_err(|e| e.to_string())?;
            let Some((variant, _)) = variants.iter().find(|(_, l)| l == s) else {
                return Err(format!(
                    "the DEFAULT {s:?} is not one of its values {labels:?}"
                ));
            };
            Some(format!("{rust}::{variant}"))
        }
        _ => None,
    })
}
