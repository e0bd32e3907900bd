//! The Rust emitter: `rust/messages.rs`, the application's module (it includes it with
//! `#[path = "../generated/rust/messages.rs"] mod messages;`). It names nothing but
//! `::symphony_messenger` (which re-exports serde, schemars, serde_json, chrono and uuid), so the
//! application needs no other dependency to compile it.
//!
//! One struct per message type, typed and constrained as `CONTRACT.md` says: serde checks the
//! types and the object's shape (`deny_unknown_fields`, required fields, enums), and `schemars`
//! attributes put the CHECK-derived constraints (ranges, lengths, patterns) into the JSON Schema
//! that `schemars::schema_for!` derives, so it gives the verdicts of the reference JSON Schema.
//! One marker type per transport implements `Transport` and `Accepts<M>` for every message type
//! it accepts; a message type accepted by at least one transport implements `Message` (one that
//! no transport accepts, typically a nested payload, stays a plain struct: it cannot be sent).
//!
//! `registry()` hands the application's transports and their JSON Schemas (embedded from
//! `jsonschema/transports/`, the files `messenger-gen validate` reads) to the runtime;
//! `migrations()` embeds the application's migrations.
//!
//! The code is emitted plainly, one construct per line; the pipeline lays it out with the real
//! rustfmt (`crate::rustfmt`), so `cargo fmt --check` is clean on it.
//!
//! Naming: message types, enum types and enum labels become UpperCamelCase, columns snake_case
//! (with `#[serde(rename)]` when that changes the JSON name); a leading digit gets a `_` prefix,
//! a keyword becomes a raw identifier (`r#type`; `self_`/`_Self` where raw is not allowed).
//! Two things that end up with the same Rust name are an [`EmitError`] naming both.

use super::contract::{
    DATE_PATTERN, INT8_SAFE, JSON_DEF, NUL_FREE_PATTERN, TIME_PATTERN, TIMESTAMP_PATTERN,
    TIMESTAMPTZ_PATTERN as DATE_TIME_PATTERN, UUID_PATTERN, needs_nul_pattern,
};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Number, Value};

use super::Sources;
use super::error::EmitError;
use crate::write::FileMap;
use messenger_ir::{Catalog, Check, Column, MessageType, SqlType};

/// The path of the emitted file, relative to the output directory.
pub const PATH: &str = "rust/messages.rs";
/// The private type whose schema is CONTRACT.md's `inet` (schemars says `"format": "ip"`).
const INET_SCHEMA: &str = "IpAddrSchema";
/// The private type whose schema is CONTRACT.md's JSON value (schemars says `true`).
const JSON_SCHEMA: &str = "JsonValueSchema";

/// Emits `rust/messages.rs`.
pub fn emit(catalog: &Catalog, sources: &Sources) -> Result<FileMap, EmitError> {
    let plan = Plan::build(catalog)?;
    let mut files = FileMap::new();
    files.insert(PATH, plan.render(sources))?;
    Ok(files)
}

// ---------------------------------------------------------------------------------------------
// Planning: names, types and attributes, with every error found before anything is written.
// ---------------------------------------------------------------------------------------------

struct Plan {
    message_types: Vec<String>,
    transports: Vec<TransportDef>,
    enums: Vec<EnumDef>,
    structs: Vec<StructDef>,
    uses_inet: bool,
    uses_json: bool,
}

struct EnumDef {
    name: String,
    docs: Option<String>,
    /// (variant, label)
    variants: Vec<(String, String)>,
}

struct StructDef {
    name: String,
    message_type: String,
    docs: Option<String>,
    fields: Vec<FieldDef>,
    /// Enums for the IN lists of this struct's columns.
    enums: Vec<EnumDef>,
    /// (function name, return type, body expression)
    defaults: Vec<(String, String, Expr)>,
    /// The transports accepting it, sorted.
    transports: Vec<String>,
}

struct FieldDef {
    ident: String,
    docs: Option<String>,
    ty: String,
    serde: Vec<String>,
    schemars: Vec<SchemarsAttr>,
}

struct TransportDef {
    name: String,
    transport: String,
    /// (message type, Rust type)
    accepts: Vec<(String, String)>,
}

/// One `#[schemars(...)]` attribute.
enum SchemarsAttr {
    /// `with = "T"`.
    With(String),
    /// `path(path(...(args)))`: `range`, `length`, `regex`, possibly inside `inner`.
    Nested {
        path: Vec<&'static str>,
        args: Vec<String>,
    },
    /// `extend("key" = value, ...)`: values are `json!` tokens.
    Extend(Vec<(String, String)>),
}

/// A default value's expression.
enum Expr {
    /// A literal or a path, short and unbreakable (numbers, `true`, `Enum::Variant`).
    Atom(String),
    /// `"..".to_owned()`.
    Str(String),
    /// `vec![...]` (`Vec::new()` when empty).
    Vec(Vec<Expr>),
    /// Text rustfmt leaves alone (`serde_json::json!` with an object or in braces).
    Verbatim(String),
}

/// What a column's (or an array's element's) values are, before nullability.
#[derive(Clone)]
enum Base {
    Bool,
    Int(IntKind),
    Float,
    Str { max_length: Option<u32> },
    Uuid,
    Date,
    DateTime,
    Timestamp,
    Time,
    Inet,
    Json,
    Payload { rust: String, boxed: bool },
    Enum { rust: String, labels: Vec<String> },
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
            Base::Str { .. } => "String".into(),
            Base::Uuid => "uuid::Uuid".into(),
            Base::Date => "chrono::NaiveDate".into(),
            Base::DateTime => "chrono::DateTime<chrono::FixedOffset>".into(),
            Base::Timestamp => "chrono::NaiveDateTime".into(),
            Base::Time => "chrono::NaiveTime".into(),
            Base::Inet => "std::net::IpAddr".into(),
            Base::Json => "serde_json::Value".into(),
            Base::Payload { rust, boxed: true } => format!("Box<{rust}>"),
            Base::Payload { rust, .. } | Base::Enum { rust, .. } => rust.clone(),
        }
    }

    /// The type whose schema the field gets, when it is not the Rust type's own.
    fn schema_type(&self) -> Option<String> {
        match self {
            Base::Inet => Some(INET_SCHEMA.to_owned()),
            Base::Json => Some(JSON_SCHEMA.to_owned()),
            _ => None,
        }
    }

    /// Whether schemars's schema for it has `"type": "string"` (so `length`/`regex` apply).
    fn is_string(&self) -> bool {
        matches!(
            self,
            Base::Str { .. }
                | Base::Uuid
                | Base::Date
                | Base::DateTime
                | Base::Timestamp
                | Base::Time
                | Base::Inet
        )
    }

    /// The type's own pattern (CONTRACT.md), if any; for text, the U+0000 rule (which a CHECK's
    /// pattern can make unnecessary).
    fn pattern(&self) -> Option<&'static str> {
        match self {
            Base::Str { .. } => Some(NUL_FREE_PATTERN),
            Base::Uuid => Some(UUID_PATTERN),
            Base::Date => Some(DATE_PATTERN),
            Base::DateTime => Some(DATE_TIME_PATTERN),
            Base::Timestamp => Some(TIMESTAMP_PATTERN),
            Base::Time => Some(TIME_PATTERN),
            _ => None,
        }
    }
}

/// Rust names in use, with what each names, to report collisions.
struct Names(BTreeMap<String, String>);

impl Names {
    fn new() -> Names {
        let mut names = Names(BTreeMap::new());
        for used in [
            "Accepts",
            "Message",
            "Transport",
            "Option",
            "Vec",
            "Box",
            "String",
            "Some",
            "None",
            INET_SCHEMA,
            JSON_SCHEMA,
        ] {
            names.0.insert(
                used.to_owned(),
                format!("`{used}`, which the generated code uses,"),
            );
        }
        names
    }

    fn claim(&mut self, name: String, what: String) -> Result<String, EmitError> {
        if let Some(previous) = self.0.get(&name) {
            return Err(EmitError(format!(
                "{previous} and {what} both become the Rust type `{name}`; rename one of them"
            )));
        }
        self.0.insert(name.clone(), what);
        Ok(name)
    }
}

impl Plan {
    fn build(catalog: &Catalog) -> Result<Plan, EmitError> {
        let mut names = Names::new();
        // Struct names first: fields refer to them.
        let mut struct_names = BTreeMap::new();
        for message_type in &catalog.message_types {
            let what = format!("message type `{}`", message_type.name);
            let name = names.claim(type_name(&message_type.name, &what)?, what)?;
            struct_names.insert(message_type.name.clone(), name);
        }

        // Enum types used by message types.
        let mut enum_names = BTreeMap::new();
        let mut enums = Vec::new();
        let mut used = BTreeSet::new();
        for message_type in &catalog.message_types {
            for field in &message_type.fields {
                collect_enums(&field.ty, &mut used);
            }
        }
        for (schema, name) in used {
            let enum_type = catalog.enum_type(&schema, &name).ok_or_else(|| {
                EmitError(format!(
                    "a message type uses the enum type {schema}.{name}, which the catalog lacks"
                ))
            })?;
            let what = format!("enum type `{schema}.{name}`");
            let rust = names.claim(type_name(&name, &what)?, what.clone())?;
            let variants = variants(&enum_type.values, &what)?;
            enums.push(EnumDef {
                name: rust.clone(),
                docs: enum_type.comment.clone(),
                variants,
            });
            enum_names.insert((schema, name), (rust, enum_type.values.clone()));
        }

        // Transports.
        let mut transports = Vec::new();
        let mut accepted_by: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for transport in &catalog.transports {
            let what = format!("transport `{}`", transport.name);
            let rust = names.claim(
                format!("{}Transport", type_name(&transport.name, &what)?),
                what,
            )?;
            let mut accepts = Vec::new();
            for message_type in &transport.message_types {
                let Some(name) = struct_names.get(message_type) else {
                    return Err(EmitError(format!(
                        "transport `{}` accepts the message type `{message_type}`, which does \
                         not exist",
                        transport.name
                    )));
                };
                accepts.push((message_type.clone(), name.clone()));
                accepted_by
                    .entry(message_type)
                    .or_default()
                    .push(transport.name.clone());
            }
            transports.push(TransportDef {
                name: rust,
                transport: transport.name.clone(),
                accepts,
            });
        }

        let context = Context {
            catalog,
            struct_names: &struct_names,
            enum_names: &enum_names,
        };
        let mut structs = Vec::new();
        let mut uses_inet = false;
        let mut uses_json = false;
        for message_type in &catalog.message_types {
            let mut transports = accepted_by
                .get(message_type.name.as_str())
                .cloned()
                .unwrap_or_default();
            transports.sort();
            transports.dedup();
            let def = context.struct_def(message_type, transports, &mut names)?;
            uses_inet |= def
                .fields
                .iter()
                .flat_map(|f| &f.schemars)
                .any(|a| matches!(a, SchemarsAttr::With(t) if t.contains(INET_SCHEMA)));
            uses_json |= def
                .fields
                .iter()
                .flat_map(|f| &f.schemars)
                .any(|a| matches!(a, SchemarsAttr::With(t) if t.contains(JSON_SCHEMA)));
            structs.push(def);
        }

        let mut message_types: Vec<String> = catalog
            .message_types
            .iter()
            .map(|m| m.name.clone())
            .collect();
        message_types.sort();
        transports.sort_by(|a, b| a.transport.cmp(&b.transport));
        Ok(Plan {
            message_types,
            transports,
            enums,
            structs,
            uses_inet,
            uses_json,
        })
    }
}

fn collect_enums(ty: &SqlType, out: &mut BTreeSet<(String, String)>) {
    match ty {
        SqlType::Enum { schema, name } => {
            out.insert((schema.clone(), name.clone()));
        }
        SqlType::Array { element } => collect_enums(element, out),
        _ => {}
    }
}

fn variants(labels: &[String], what: &str) -> Result<Vec<(String, String)>, EmitError> {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    let mut out = Vec::new();
    for label in labels {
        let variant = type_ident(label).map_err(|()| {
            EmitError(format!(
                "the value {label:?} of {what} has no letter or digit to make a Rust variant of"
            ))
        })?;
        if let Some(previous) = seen.get(&variant) {
            return Err(EmitError(format!(
                "the values {previous:?} and {label:?} of {what} both become the Rust variant \
                 `{variant}`"
            )));
        }
        seen.insert(variant.clone(), label);
        out.push((variant, label.clone()));
    }
    Ok(out)
}

struct Context<'a> {
    catalog: &'a Catalog,
    struct_names: &'a BTreeMap<String, String>,
    enum_names: &'a BTreeMap<(String, String), (String, Vec<String>)>,
}

/// The constraints on one value, merged from the type and the CHECKs.
#[derive(Default)]
struct Constraints {
    lower: Option<(Number, bool)>,
    upper: Option<(Number, bool)>,
    min_length: Option<u32>,
    max_length: Option<u32>,
    patterns: Vec<String>,
    one_of: Option<Vec<Value>>,
    min_items: Option<u32>,
    max_items: Option<u32>,
}

impl Constraints {
    fn add(&mut self, check: &Check) {
        match check {
            Check::Minimum { value, exclusive } => {
                self.lower = stricter(self.lower.take(), (value.clone(), *exclusive), true);
            }
            Check::Maximum { value, exclusive } => {
                self.upper = stricter(self.upper.take(), (value.clone(), *exclusive), false);
            }
            Check::MinLength { value } => {
                self.min_length = Some(self.min_length.map_or(*value, |v| v.max(*value)));
            }
            Check::MaxLength { value } => {
                self.max_length = Some(self.max_length.map_or(*value, |v| v.min(*value)));
            }
            Check::Pattern { regex } => {
                if !self.patterns.contains(regex) {
                    self.patterns.push(regex.clone());
                }
            }
            Check::OneOf { values } => {
                self.one_of = Some(match self.one_of.take() {
                    None => values.clone(),
                    Some(previous) => previous
                        .into_iter()
                        .filter(|v| values.contains(v))
                        .collect(),
                });
            }
            Check::MinItems { value } => {
                self.min_items = Some(self.min_items.map_or(*value, |v| v.max(*value)));
            }
            Check::MaxItems { value } => {
                self.max_items = Some(self.max_items.map_or(*value, |v| v.min(*value)));
            }
        }
    }
}

/// The stricter of two bounds (`lower`: the larger one; else the smaller); exclusive wins a tie.
fn stricter(
    current: Option<(Number, bool)>,
    new: (Number, bool),
    lower: bool,
) -> Option<(Number, bool)> {
    let Some(current) = current else {
        return Some(new);
    };
    let order = compare(&new.0, &current.0);
    let new_wins = match order {
        Ordering::Equal => new.1 && !current.1,
        Ordering::Greater => lower,
        Ordering::Less => !lower,
    };
    Some(if new_wins { new } else { current })
}

fn compare(a: &Number, b: &Number) -> Ordering {
    let exact = |n: &Number| {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    };
    match (exact(a), exact(b)) {
        (Some(a), Some(b)) => a.cmp(&b),
        _ => {
            let (a, b) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
            a.partial_cmp(&b).unwrap_or(Ordering::Equal)
        }
    }
}

impl Context<'_> {
    fn struct_def(
        &self,
        message_type: &MessageType,
        transports: Vec<String>,
        names: &mut Names,
    ) -> Result<StructDef, EmitError> {
        let name = self.struct_names[&message_type.name].clone();
        let mut fields = Vec::new();
        let mut enums = Vec::new();
        let mut defaults = Vec::new();
        let mut idents: BTreeMap<String, &str> = BTreeMap::new();
        for column in &message_type.fields {
            let ident = field_ident(&column.name).map_err(|_| {
                EmitError(format!(
                    "column `{}.{}` has no letter or digit to make a Rust field of",
                    message_type.name, column.name
                ))
            })?;
            if let Some(previous) = idents.get(&ident) {
                return Err(EmitError(format!(
                    "columns `{0}.{previous}` and `{0}.{1}` both become the Rust field `{ident}`",
                    message_type.name, column.name
                )));
            }
            idents.insert(ident.clone(), &column.name);
            let field = self.field_def(
                message_type,
                column,
                ident,
                &name,
                names,
                &mut enums,
                &mut defaults,
            )?;
            fields.push(field);
        }
        Ok(StructDef {
            name,
            message_type: message_type.name.clone(),
            docs: message_type.comment.clone(),
            fields,
            enums,
            defaults,
            transports,
        })
    }

    /// The type of a non-array column (or an array's element).
    fn base(&self, ty: &SqlType, owner: &str, place: &str) -> Result<Base, EmitError> {
        Ok(match ty {
            SqlType::Bool => Base::Bool,
            SqlType::Int2 => Base::Int(IntKind::I16),
            SqlType::Int4 => Base::Int(IntKind::I32),
            SqlType::Int8 => Base::Int(IntKind::I64),
            SqlType::Float4 | SqlType::Float8 | SqlType::Numeric { .. } => Base::Float,
            SqlType::Text => Base::Str { max_length: None },
            SqlType::Varchar { max_length } => Base::Str {
                max_length: *max_length,
            },
            SqlType::Char { length } => Base::Str {
                max_length: *length,
            },
            SqlType::Uuid => Base::Uuid,
            SqlType::Date => Base::Date,
            SqlType::Timestamptz => Base::DateTime,
            SqlType::Timestamp => Base::Timestamp,
            SqlType::Time => Base::Time,
            SqlType::Inet => Base::Inet,
            SqlType::Json | SqlType::Jsonb { payload: None } | SqlType::Other { .. } => Base::Json,
            SqlType::Jsonb {
                payload: Some(target),
            } => {
                let Some(rust) = self.struct_names.get(target) else {
                    return Err(EmitError(format!(
                        "{place} is a `{target}` payload, which is not a message type"
                    )));
                };
                Base::Payload {
                    rust: rust.clone(),
                    boxed: self.reaches(target, owner, &mut BTreeSet::new()),
                }
            }
            SqlType::Enum { schema, name } => {
                let (rust, labels) = &self.enum_names[&(schema.clone(), name.clone())];
                Base::Enum {
                    rust: rust.clone(),
                    labels: labels.clone(),
                }
            }
            SqlType::Array { .. } => {
                return Err(EmitError(format!(
                    "{place} is an array of arrays, which no target supports"
                )));
            }
        })
    }

    /// Whether message type `from` holds a `to` without indirection (a non-array payload
    /// field, transitively): then `to`'s field of type `from` needs a `Box`.
    fn reaches(&self, from: &str, to: &str, seen: &mut BTreeSet<String>) -> bool {
        if from == to {
            return true;
        }
        if !seen.insert(from.to_owned()) {
            return false;
        }
        let Some(message_type) = self.catalog.message_type(from) else {
            return false;
        };
        message_type.fields.iter().any(|f| match &f.ty {
            SqlType::Jsonb {
                payload: Some(next),
            } => self.reaches(next, to, seen),
            _ => false,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn field_def(
        &self,
        message_type: &MessageType,
        column: &Column,
        ident: String,
        struct_name: &str,
        names: &mut Names,
        enums: &mut Vec<EnumDef>,
        defaults: &mut Vec<(String, String, Expr)>,
    ) -> Result<FieldDef, EmitError> {
        let place = format!("`{}.{}`", message_type.name, column.name);
        let mut constraints = Constraints::default();
        for check in &column.checks {
            constraints.add(check);
        }
        let mut schemars = Vec::new();
        let mut extend: Vec<(String, String)> = Vec::new();

        let (element, is_array) = match &column.ty {
            SqlType::Array { element } => (self.base(element, &message_type.name, &place)?, true),
            other => (self.base(other, &message_type.name, &place)?, false),
        };
        // Boxing is only needed without the Vec.
        let element = match element {
            Base::Payload { rust, .. } if is_array => Base::Payload { rust, boxed: false },
            other => other,
        };

        // An IN list of strings on a string or enum column becomes a Rust enum.
        let mut base = element.clone();
        let mut inner_type = element.rust();
        if !is_array
            && matches!(base, Base::Str { .. } | Base::Enum { .. })
            && let Some(values) = &constraints.one_of
            && let Some(labels) = values
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<String>>>()
        {
            // Lengths (a CHECK, a varchar) hold for every value or for none: keep the values
            // that satisfy them rather than repeat them on the enum.
            if let Base::Str {
                max_length: Some(n),
            } = base
            {
                constraints.add(&Check::MaxLength { value: n });
            }
            let (min, max) = (constraints.min_length, constraints.max_length);
            let labels: Vec<String> = labels
                .into_iter()
                .filter(|l| {
                    let n = u32::try_from(l.chars().count()).unwrap_or(u32::MAX);
                    min.is_none_or(|min| n >= min) && max.is_none_or(|max| n <= max)
                })
                .collect();
            if labels.is_empty() {
                return Err(EmitError(format!(
                    "no value of the IN list of {place} satisfies its length limits"
                )));
            }
            constraints.min_length = None;
            constraints.max_length = None;
            let what = format!("the IN list of {place}");
            let enum_name = names.claim(
                format!("{struct_name}{}", type_name(&column.name, &what)?),
                what,
            )?;
            let variants = variants(&labels, &format!("the IN list of {place}"))?;
            enums.push(EnumDef {
                name: enum_name.clone(),
                docs: Some(format!(
                    "The values `{}` allows (its CHECK ... IN list).",
                    &place[1..place.len() - 1]
                )),
                variants,
            });
            base = Base::Enum {
                rust: enum_name.clone(),
                labels,
            };
            inner_type = enum_name;
            constraints.one_of = None;
        }

        let ty_inner = if is_array {
            format!("Vec<{inner_type}>")
        } else {
            inner_type.clone()
        };
        // A closed list of JSON values (an `enum`) needs no JSON value schema beside it.
        let own_schema = if constraints.one_of.is_some() {
            None
        } else {
            base.schema_type()
        };
        let schema_inner = match (own_schema, is_array) {
            (Some(t), true) => Some(format!("Vec<{t}>")),
            (Some(t), false) => Some(t),
            (None, _) => None,
        };

        // Nullability and defaults.
        let mut serde = Vec::new();
        let ty;
        let mut schema_type = schema_inner.clone();
        let default_expr = if column.nullable || column.default.is_none() {
            None
        } else {
            column
                .default_value
                .as_ref()
                .map(|v| default_expr(v, &base, is_array, &place))
                .transpose()?
                .flatten()
        };
        if column.nullable {
            ty = format!("Option<{ty_inner}>");
            serde.push("default".to_owned());
            serde.push("skip_serializing_if = \"Option::is_none\"".to_owned());
            schema_type = schema_inner.map(|t| format!("Option<{t}>"));
        } else if column.default.is_some() {
            if let Some(expr) = default_expr {
                let function = format!("default_{}", ident.trim_start_matches("r#"));
                serde.push(format!("default = \"{struct_name}::{function}\""));
                defaults.push((function, ty_inner.clone(), expr));
                ty = ty_inner.clone();
            } else {
                // Not a constant: absent means "the database's default"; the schema keeps
                // `null` out as CONTRACT.md says.
                ty = format!("Option<{ty_inner}>");
                serde.push("default".to_owned());
                serde.push("skip_serializing_if = \"Option::is_none\"".to_owned());
                schema_type = Some(schema_inner.unwrap_or_else(|| ty_inner.clone()));
            }
        } else {
            ty = ty_inner.clone();
        }
        let json_name = ident.trim_start_matches("r#");
        if json_name != column.name {
            serde.insert(0, format!("rename = {}", str_lit(&column.name)));
        }
        if let Some(t) = schema_type {
            schemars.push(SchemarsAttr::With(t));
        }

        // Constraints of the type itself.
        let own_pattern = base
            .pattern()
            .filter(|p| *p != NUL_FREE_PATTERN || needs_nul_pattern(&constraints.patterns))
            .map(str::to_owned);
        if is_array {
            // The CHECKs are the array's (cardinality); the element type's own constraints
            // go to `items` (`inner`).
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
            match &base {
                Base::Str {
                    max_length: Some(n),
                } => schemars.push(nested(&["inner", "length"], vec![format!("max = {n}")])),
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
            if let Some(pattern) = &own_pattern {
                schemars.push(nested(
                    &["inner", "regex"],
                    vec![format!("pattern = {}", str_lit(pattern))],
                ));
            }
            // Anything else a CHECK said about the array: as the JSON Schema says it.
            bounds_as_extensions(&constraints, &mut extend);
            lengths_as_extensions(&constraints, &mut extend);
            patterns_as_extensions(&constraints.patterns, &mut extend);
            if let Some(values) = &constraints.one_of {
                extend.push(("enum".into(), enum_values(values, column.nullable)));
            }
        } else {
            if let Base::Str {
                max_length: Some(n),
            } = &base
            {
                constraints.add(&Check::MaxLength { value: *n });
            }
            // Bounds.
            match &base {
                Base::Int(kind) => {
                    let (min, max) = kind.bounds();
                    let lower =
                        stricter(constraints.lower.take(), (Number::from(min), false), true);
                    let upper =
                        stricter(constraints.upper.take(), (Number::from(max), false), false);
                    let native = kind.native_bounds();
                    let mut range = Vec::new();
                    let mut exclusive = Vec::new();
                    if let Some((n, false)) = &lower {
                        if !(native && n.as_i64() == Some(min)) {
                            range.push(format!("min = {}", num_lit(n)));
                        }
                    } else if let Some((n, true)) = &lower {
                        exclusive.push(("exclusiveMinimum".to_owned(), num_lit(n)));
                    }
                    if let Some((n, false)) = &upper {
                        if !(native && n.as_i64() == Some(max)) {
                            range.push(format!("max = {}", num_lit(n)));
                        }
                    } else if let Some((n, true)) = &upper {
                        exclusive.push(("exclusiveMaximum".to_owned(), num_lit(n)));
                    }
                    if !range.is_empty() {
                        schemars.push(nested(&["range"], range));
                    }
                    extend.extend(exclusive);
                }
                Base::Float => {
                    let mut range = Vec::new();
                    match &constraints.lower {
                        Some((n, false)) => range.push(format!("min = {}", num_lit(n))),
                        Some((n, true)) => {
                            extend.push(("exclusiveMinimum".to_owned(), num_lit(n)));
                        }
                        None => {}
                    }
                    match &constraints.upper {
                        Some((n, false)) => range.push(format!("max = {}", num_lit(n))),
                        Some((n, true)) => {
                            extend.push(("exclusiveMaximum".to_owned(), num_lit(n)));
                        }
                        None => {}
                    }
                    if !range.is_empty() {
                        schemars.push(nested(&["range"], range));
                    }
                }
                _ => bounds_as_extensions(&constraints, &mut extend),
            }
            // Lengths and patterns.
            let mut patterns: Vec<String> = own_pattern.into_iter().collect();
            patterns.extend(constraints.patterns.iter().cloned());
            if base.is_string() {
                let mut length = Vec::new();
                if let Some(n) = constraints.min_length {
                    length.push(format!("min = {n}"));
                }
                if let Some(n) = constraints.max_length {
                    length.push(format!("max = {n}"));
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
            } else {
                lengths_as_extensions(&constraints, &mut extend);
                patterns_as_extensions(&patterns, &mut extend);
            }
            if let Some(values) = &constraints.one_of {
                extend.push(("enum".into(), enum_values(values, column.nullable)));
            }
            if let Some(n) = constraints.min_items {
                extend.push(("minItems".into(), n.to_string()));
            }
            if let Some(n) = constraints.max_items {
                extend.push(("maxItems".into(), n.to_string()));
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
}

fn nested(path: &[&'static str], args: Vec<String>) -> SchemarsAttr {
    SchemarsAttr::Nested {
        path: path.to_vec(),
        args,
    }
}

fn bounds_as_extensions(c: &Constraints, extend: &mut Vec<(String, String)>) {
    if let Some((n, exclusive)) = &c.lower {
        let key = if *exclusive {
            "exclusiveMinimum"
        } else {
            "minimum"
        };
        extend.push((key.into(), num_lit(n)));
    }
    if let Some((n, exclusive)) = &c.upper {
        let key = if *exclusive {
            "exclusiveMaximum"
        } else {
            "maximum"
        };
        extend.push((key.into(), num_lit(n)));
    }
}

fn lengths_as_extensions(c: &Constraints, extend: &mut Vec<(String, String)>) {
    if let Some(n) = c.min_length {
        extend.push(("minLength".into(), n.to_string()));
    }
    if let Some(n) = c.max_length {
        extend.push(("maxLength".into(), n.to_string()));
    }
}

/// One pattern as `pattern`, several as an `allOf` of patterns.
fn patterns_as_extensions(patterns: &[String], extend: &mut Vec<(String, String)>) {
    match patterns {
        [] => {}
        [one] => extend.push(("pattern".into(), str_lit(one))),
        many => extend.push(("allOf".into(), all_of_patterns(many))),
    }
}

/// `[{"pattern": p}, ...]`.
fn all_of_patterns(patterns: &[String]) -> String {
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

/// The expression of a constant default, or `None` when the type has no literal for it.
fn default_expr(
    value: &Value,
    base: &Base,
    is_array: bool,
    place: &str,
) -> Result<Option<Expr>, EmitError> {
    if matches!(base, Base::Json) && !is_array {
        return Ok(Some(json_expr(value)));
    }
    if is_array {
        let Value::Array(items) = value else {
            return Ok(None);
        };
        let mut exprs = Vec::new();
        for item in items {
            match default_expr(item, base, false, place)? {
                Some(e) => exprs.push(e),
                None => return Ok(None),
            }
        }
        return Ok(Some(Expr::Vec(exprs)));
    }
    Ok(match (base, value) {
        (Base::Bool, Value::Bool(b)) => Some(Expr::Atom(b.to_string())),
        (Base::Int(kind), Value::Number(n)) => {
            let (min, max) = kind.bounds();
            n.as_i64()
                .filter(|i| (min..=max).contains(i) || *kind == IntKind::I64)
                .map(|i| Expr::Atom(i.to_string()))
        }
        (Base::Float, Value::Number(n)) => n.as_f64().map(|f| Expr::Atom(format!("{f:?}"))),
        (Base::Str { .. }, Value::String(s)) => Some(Expr::Str(s.clone())),
        (Base::Enum { rust, labels }, Value::String(s)) => {
            if !labels.contains(s) {
                return Err(EmitError(format!(
                    "the DEFAULT {s:?} of {place} is not one of its values {labels:?}"
                )));
            }
            let variants = variants(labels, place)?;
            let variant = &variants.iter().find(|(_, l)| l == s).expect("a label").0;
            Some(Expr::Atom(format!("{rust}::{variant}")))
        }
        _ => None,
    })
}

/// `serde_json::json!(...)` of the value (rustfmt lays it out like a call when its tokens are
/// an expression, and leaves an object, which is not one, as written).
fn json_expr(value: &Value) -> Expr {
    Expr::Verbatim(format!("serde_json::json!({})", json_tokens(value)))
}

// ---------------------------------------------------------------------------------------------
// Identifiers.
// ---------------------------------------------------------------------------------------------

/// The words of a name: split at anything but ASCII letters and digits, and at case changes
/// (`userId` → user, Id; `HTTPServer` → HTTP, Server).
fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        if c.is_ascii_uppercase() && !current.is_empty() {
            let previous = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            if previous.is_ascii_lowercase()
                || previous.is_ascii_digit()
                || (previous.is_ascii_uppercase() && next_lower)
            {
                words.push(std::mem::take(&mut current));
            }
        }
        current.push(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Strict and reserved keywords of edition 2024 (weak keywords are fine as identifiers).
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// A snake_case field name: `r#type` for keywords, `self_` where a raw identifier is not
/// allowed, `_2fa` for a leading digit.
fn field_ident(name: &str) -> Result<String, ()> {
    let words = words(name);
    if words.is_empty() {
        return Err(());
    }
    let snake = words
        .iter()
        .map(|w| w.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join("_");
    Ok(if snake.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{snake}")
    } else if matches!(snake.as_str(), "self" | "super" | "crate") {
        format!("{snake}_")
    } else if KEYWORDS.contains(&snake.as_str()) {
        format!("r#{snake}")
    } else {
        snake
    })
}

/// An UpperCamelCase type name for `what`, or an error saying why there is none.
fn type_name(name: &str, what: &str) -> Result<String, EmitError> {
    type_ident(name).map_err(|()| {
        EmitError(format!(
            "{what} has no letter or digit to make a Rust type of"
        ))
    })
}

/// An UpperCamelCase type or variant name: `_2faCode` for a leading digit, `_Self` for `self`.
fn type_ident(name: &str) -> Result<String, ()> {
    let words = words(name);
    if words.is_empty() {
        return Err(());
    }
    let camel: String = words
        .iter()
        .map(|w| {
            let lower = w.to_ascii_lowercase();
            let mut chars = lower.chars();
            let first = chars.next().expect("words are not empty");
            first.to_ascii_uppercase().to_string() + chars.as_str()
        })
        .collect();
    Ok(
        if camel.starts_with(|c: char| c.is_ascii_digit()) || camel == "Self" {
            format!("_{camel}")
        } else {
            camel
        },
    )
}

// ---------------------------------------------------------------------------------------------
// Literals.
// ---------------------------------------------------------------------------------------------

/// A Rust string literal: raw when that reads better (backslashes or quotes, no control
/// characters), else escaped.
fn str_lit(s: &str) -> String {
    if s.contains(['\\', '"']) && !s.chars().any(char::is_control) {
        let mut hashes = String::new();
        while s.contains(&format!("\"{hashes}")) {
            hashes.push('#');
        }
        format!("r{hashes}\"{s}\"{hashes}")
    } else {
        format!("{s:?}")
    }
}

/// An integer literal that typechecks where any integer type may be inferred (`i32` by
/// default, so larger values get a suffix).
fn int_lit(i: i64) -> String {
    if i32::try_from(i).is_ok() {
        i.to_string()
    } else {
        format!("{i}i64")
    }
}

/// A number as a Rust literal (`impl Into<Value>` or inside `json!`).
fn num_lit(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        int_lit(i)
    } else if let Some(u) = n.as_u64() {
        format!("{u}u64")
    } else {
        format!("{:?}", n.as_f64().unwrap_or(0.0))
    }
}

/// A JSON value as `json!` tokens.
fn json_tokens(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => num_lit(n),
        Value::String(s) => str_lit(s),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(json_tokens).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let items: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k:?}: {}", json_tokens(v)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering.
// ---------------------------------------------------------------------------------------------

const HEADER: &str = "\
//! The application's message types, transports and migrations, declared in SQL.
//!
//! Generated by messenger-gen. Do not edit.
//!
//! One struct per table of `messenger_payloads`: its columns are the fields, typed as
//! messenger-gen's CONTRACT.md says. Deserializing checks types, required fields and unknown
//! keys; the constraints from CHECKs, `varchar(n)` and the int8 policy are in the JSON Schema
//! that `schemars::schema_for!` derives, so validate against it to get the verdict of the
//! reference JSON Schema. A message type that some transport accepts implements `Message`; a
//! message type no transport accepts (a nested payload) is a plain struct. Each transport is a
//! marker type implementing `Transport`, and `Accepts<M>` for every message type `M` it accepts.
//! [`registry`] gives the runtime the transports' JSON Schemas; [`migrations`] the migrations.
#![allow(
    clippy::approx_constant,
    clippy::doc_lazy_continuation,
    clippy::doc_overindented_list_items,
    clippy::enum_variant_names
)]

#[allow(unused_imports)]
use ::symphony_messenger::{chrono, schemars, serde, serde_json, uuid};
";

/// serde's and schemars' derives name their crates through these paths: the module's imports
/// from `::symphony_messenger`, so the application needs neither as a dependency.
const CRATE_ATTRS: &str = "#[serde(crate = \"serde\")]\n#[schemars(crate = \"schemars\")]\n";

const STRUCT_DERIVE: &str = "#[derive(Debug, Clone, PartialEq, serde::Serialize, \
                             serde::Deserialize, schemars::JsonSchema)]\n";
const ENUM_DERIVE: &str = "#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, \
                           serde::Deserialize, schemars::JsonSchema)]\n";

impl Plan {
    fn render(&self, sources: &Sources) -> String {
        let mut out = String::from(HEADER);
        let mut traits = Vec::new();
        if self.transports.iter().any(|t| !t.accepts.is_empty()) {
            traits.push("Accepts");
        }
        if self.structs.iter().any(|s| !s.transports.is_empty()) {
            traits.push("Message");
        }
        if !self.transports.is_empty() {
            traits.push("Transport");
        }
        match traits.as_slice() {
            [] => {}
            [one] => out.push_str(&format!("use ::symphony_messenger::message::{one};\n")),
            many => out.push_str(&format!(
                "use ::symphony_messenger::message::{{{}}};\n",
                many.join(", ")
            )),
        }

        out.push_str("\n/// The names of all message types, sorted (nested-only ones included).\n");
        out.push_str(&format!(
            "pub const MESSAGE_TYPES: &[&str] = &[{}];\n",
            str_list(&self.message_types)
        ));
        out.push_str("\n/// The names of all transports, sorted.\n");
        let mut transports: Vec<&str> = self
            .transports
            .iter()
            .map(|t| t.transport.as_str())
            .collect();
        transports.sort();
        out.push_str(&format!(
            "pub const TRANSPORTS: &[&str] = &[{}];\n",
            str_list(&transports)
        ));

        for def in &self.enums {
            out.push('\n');
            render_enum(&mut out, def);
        }
        for def in &self.structs {
            out.push('\n');
            render_struct(&mut out, def);
        }
        for def in &self.transports {
            out.push('\n');
            render_transport(&mut out, def);
        }
        if self.uses_inet {
            out.push('\n');
            out.push_str(INET_HELPER);
        }
        if self.uses_json {
            out.push('\n');
            out.push_str(&json_helper());
        }
        out.push('\n');
        render_registry(&mut out, &self.transports);
        out.push('\n');
        render_migrations(&mut out, sources);
        out
    }
}

/// `TRANSPORT_SCHEMAS` (embedded with `include_str!` from the files `messenger-gen validate`
/// reads) and `registry()`.
fn render_registry(out: &mut String, transports: &[TransportDef]) {
    let mut names: Vec<&str> = transports.iter().map(|t| t.transport.as_str()).collect();
    names.sort();
    out.push_str(
        "/// Each transport's JSON Schema (`jsonschema/transports/<name>.schema.json`), embedded:\n\
         /// (transport, schema).\n\
         pub const TRANSPORT_SCHEMAS: &[(&str, &str)] = &[\n",
    );
    for name in names {
        out.push_str(&format!(
            "({}, include_str!({})),\n",
            str_lit(name),
            str_lit(&format!("../jsonschema/transports/{name}.schema.json"))
        ));
    }
    out.push_str(
        "];\n\n\
         /// The application's transports and message types with their compiled validators, for\n\
         /// `Messenger::new(pool, registry())` and the worker. Compiled on first use.\n\
         ///\n\
         /// # Panics\n\
         /// If an embedded schema does not compile, which `messenger-gen generate` rules out\n\
         /// (it compiles them before writing); only a hand-edited schema file can do it.\n\
         pub fn registry() -> &'static ::symphony_messenger::Registry {\n\
         static REGISTRY: ::std::sync::OnceLock<::symphony_messenger::Registry> = ::std::sync::OnceLock::new();\n\
         REGISTRY.get_or_init(|| match ::symphony_messenger::Registry::from_embedded(TRANSPORT_SCHEMAS) {\n\
         Ok(registry) => registry,\n\
         Err(err) => panic!(\"the generated transport schemas do not compile: {err}\"),\n\
         })\n\
         }\n",
    );
}

/// `MIGRATIONS`, `ROLLBACKS` (embedded with `include_str!`) and `migrations()`.
fn render_migrations(out: &mut String, sources: &Sources) {
    let list = |out: &mut String, name: &str, doc: &str, stems: &[String], sub: &str| {
        out.push_str(&format!(
            "/// {doc}: (file stem, SQL).\npub const {name}: &[(&str, &str)] = &[\n"
        ));
        for stem in stems {
            out.push_str(&format!(
                "({}, include_str!({})),\n",
                str_lit(stem),
                str_lit(&format!("{}/{sub}{stem}.sql", sources.schema_dir))
            ));
        }
        out.push_str("];\n");
    };
    list(
        out,
        "MIGRATIONS",
        "The application's migrations, embedded from its schema directory",
        &sources.migrations,
        "",
    );
    out.push('\n');
    list(
        out,
        "ROLLBACKS",
        "Their rollback scripts, embedded from `rollback/`",
        &sources.rollbacks,
        "rollback/",
    );
    out.push_str(
        "\n/// The application's migrations, for\n\
         /// `symphony_messenger::migrate::up(&mut client, Some(&migrations()?))`, which applies the\n\
         /// queue's own migrations first.\n\
         pub fn migrations() -> Result<::symphony_messenger::migrate::Migrations, ::symphony_messenger::migrate::MigrateError> {\n\
         ::symphony_messenger::migrate::Migrations::from_embedded(MIGRATIONS, ROLLBACKS)\n\
         }\n",
    );
}

const INET_HELPER: &str = "\
/// The JSON Schema of an `inet` value (CONTRACT.md): an IPv4 or an IPv6 address. (schemars
/// gives `std::net::IpAddr` the non-standard `\"format\": \"ip\"`.)
enum IpAddrSchema {}

impl schemars::JsonSchema for IpAddrSchema {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        \"IpAddr\".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({\"type\": \"string\", \"anyOf\": [{\"format\": \"ipv4\"}, {\"format\": \"ipv6\"}]})
    }
}
";

/// The private type whose schema is CONTRACT.md's JSON value: the definition the JSON Schema
/// emitter puts in `$defs` (recursive, so schemars puts it there too).
fn json_helper() -> String {
    let nul_free = str_lit(NUL_FREE_PATTERN);
    format!(
        "\
/// The JSON Schema of a `json`/`jsonb` value (CONTRACT.md): any JSON value that PostgreSQL can
/// hold, so no string and no property name with U+0000, at any depth. (schemars gives
/// `serde_json::Value` the schema `true`.)
enum {JSON_SCHEMA} {{}}

impl schemars::JsonSchema for {JSON_SCHEMA} {{
    fn schema_name() -> std::borrow::Cow<'static, str> {{
        {name}.into()
    }}

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {{
        let json = generator.subschema_for::<Self>();
        schemars::json_schema!({{
            \"description\": \"A JSON value that PostgreSQL's json and jsonb can hold.\",
            \"allOf\": [
                {{\"if\": {{\"type\": \"string\"}}, \"then\": {{\"type\": \"string\", \"pattern\": {nul_free}}}}},
                {{\"if\": {{\"type\": \"array\"}}, \"then\": {{\"type\": \"array\", \"items\": json}}}},
                {{
                    \"if\": {{\"type\": \"object\"}},
                    \"then\": {{
                        \"type\": \"object\",
                        \"propertyNames\": {{\"pattern\": {nul_free}}},
                        \"additionalProperties\": json
                    }}
                }}
            ]
        }})
    }}
}}
",
        name = str_lit(JSON_DEF),
    )
}

/// A COMMENT as `///` lines. rustdoc would compile a code block in it as a doctest of the
/// root crate, so a fence without a language becomes ```` ```text ```` and a line that would
/// start an indented code block loses its indentation.
fn render_docs(out: &mut String, indent: usize, docs: &str) {
    let pad = " ".repeat(indent);
    let text = docs.replace("\r\n", "\n").replace('\r', "\n");
    let mut previous_blank = true;
    let mut in_fence = false;
    for line in text.trim_end().lines() {
        let mut line = line.trim_end();
        let content = line.trim_start();
        let indentation = &line[..line.len() - content.len()];
        let fence = content.starts_with("```");
        if !in_fence && previous_blank && (indentation.len() >= 4 || indentation.contains('\t')) {
            line = content;
        }
        if line.is_empty() {
            out.push_str(&format!("{pad}///\n"));
        } else if fence && !in_fence && content.trim_start_matches('`').trim().is_empty() {
            out.push_str(&format!("{pad}/// {line}text\n"));
        } else {
            out.push_str(&format!("{pad}/// {line}\n"));
        }
        in_fence ^= fence;
        previous_blank = line.is_empty();
    }
}

fn render_enum(out: &mut String, def: &EnumDef) {
    match &def.docs {
        Some(docs) if !docs.trim().is_empty() => render_docs(out, 0, docs),
        _ => {}
    }
    // Variants carry no docs: schemars would turn the `enum` into a `oneOf` of `const`s.
    out.push_str("#[allow(missing_docs)]\n");
    out.push_str(ENUM_DERIVE);
    out.push_str(CRATE_ATTRS);
    out.push_str(&format!("pub enum {} {{\n", def.name));
    for (variant, label) in &def.variants {
        out.push_str(&format!(
            "#[serde(rename = {})]\n{variant},\n",
            str_lit(label)
        ));
    }
    out.push_str("}\n");
}

fn render_struct(out: &mut String, def: &StructDef) {
    let documented = |docs: &Option<String>| docs.as_ref().is_some_and(|d| !d.trim().is_empty());
    if documented(&def.docs) {
        render_docs(out, 0, def.docs.as_deref().unwrap_or_default());
    } else {
        out.push_str("#[allow(missing_docs)]\n");
    }
    out.push_str(STRUCT_DERIVE);
    out.push_str(
        "#[serde(crate = \"serde\", deny_unknown_fields)]\n#[schemars(crate = \"schemars\")]\n",
    );
    if def.fields.is_empty() {
        out.push_str(&format!("pub struct {} {{}}\n", def.name));
    } else {
        out.push_str(&format!("pub struct {} {{\n", def.name));
        for field in &def.fields {
            if documented(&field.docs) {
                render_docs(out, 4, field.docs.as_deref().unwrap_or_default());
            } else {
                out.push_str("    #[allow(missing_docs)]\n");
            }
            if !field.serde.is_empty() {
                out.push_str(&format!("#[serde({})]\n", field.serde.join(", ")));
            }
            for attr in &field.schemars {
                let args = match attr {
                    SchemarsAttr::With(t) => format!("with = {}", str_lit(t)),
                    SchemarsAttr::Nested { path, args } => {
                        let open: String = path.iter().map(|p| format!("{p}(")).collect();
                        format!("{open}{}{}", args.join(", "), ")".repeat(path.len()))
                    }
                    // Not a meta item (the keys are literals), so rustfmt leaves it as written:
                    // on one line.
                    SchemarsAttr::Extend(pairs) => {
                        let pairs: Vec<String> =
                            pairs.iter().map(|(k, v)| format!("{k:?} = {v}")).collect();
                        format!("extend({})", pairs.join(", "))
                    }
                };
                out.push_str(&format!("#[schemars({args})]\n"));
            }
            out.push_str(&format!("pub {}: {},\n", field.ident, field.ty));
        }
        out.push_str("}\n");
    }
    for def in &def.enums {
        out.push('\n');
        render_enum(out, def);
    }
    if !def.defaults.is_empty() {
        out.push_str(&format!("\nimpl {} {{\n", def.name));
        for (i, (function, ty, expr)) in def.defaults.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(&format!(
                "fn {function}() -> {ty} {{\n{}\n}}\n",
                expr.code()
            ));
        }
        out.push_str("}\n");
    }
    if !def.transports.is_empty() {
        out.push_str(&format!("\nimpl Message for {} {{\n", def.name));
        out.push_str(&format!(
            "const MESSAGE_TYPE: &'static str = {};\n\
             const TRANSPORTS: &'static [&'static str] = &[{}];\n",
            str_lit(&def.message_type),
            str_list(&def.transports)
        ));
        out.push_str("}\n");
    }
}

fn render_transport(out: &mut String, def: &TransportDef) {
    let accepted: Vec<String> = def
        .accepts
        .iter()
        .map(|(_, rust)| format!("[`{rust}`]"))
        .collect();
    if accepted.is_empty() {
        out.push_str(&format!(
            "/// The transport `{}`; it accepts no message type.\n",
            def.transport
        ));
    } else {
        out.push_str(&format!(
            "/// The transport `{}`; it accepts {}.\n",
            def.transport,
            accepted.join(", ")
        ));
    }
    out.push_str("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]\n");
    out.push_str(&format!("pub struct {};\n", def.name));
    out.push_str(&format!("\nimpl Transport for {} {{\n", def.name));
    let mut names: Vec<&str> = def.accepts.iter().map(|(m, _)| m.as_str()).collect();
    names.sort();
    out.push_str(&format!(
        "const NAME: &'static str = {};\n\
         const MESSAGE_TYPES: &'static [&'static str] = &[{}];\n\
         }}\n",
        str_lit(&def.transport),
        str_list(&names)
    ));
    for (_, rust) in &def.accepts {
        out.push_str(&format!("\nimpl Accepts<{rust}> for {} {{}}\n", def.name));
    }
}

/// String literals separated by commas, for a slice.
fn str_list<S: AsRef<str>>(items: &[S]) -> String {
    let items: Vec<String> = items.iter().map(|i| str_lit(i.as_ref())).collect();
    items.join(", ")
}

impl Expr {
    /// The expression as Rust source.
    fn code(&self) -> String {
        match self {
            Expr::Atom(text) | Expr::Verbatim(text) => text.clone(),
            Expr::Str(s) => format!("{}.to_owned()", str_lit(s)),
            Expr::Vec(items) if items.is_empty() => "Vec::new()".into(),
            Expr::Vec(items) => {
                let items: Vec<String> = items.iter().map(Expr::code).collect();
                format!("vec![{}]", items.join(", "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use messenger_ir::{EnumType, Schema, Transport};

    fn column(name: &str, ty: SqlType) -> Column {
        Column {
            name: name.into(),
            ty,
            nullable: false,
            default: None,
            default_value: None,
            identity: None,
            generated: false,
            comment: Some(format!("The {name}.")),
            checks: Vec::new(),
        }
    }

    fn nullable(mut c: Column) -> Column {
        c.nullable = true;
        c
    }

    fn with_default(mut c: Column, sql: &str, value: Option<Value>) -> Column {
        c.default = Some(sql.into());
        c.default_value = value;
        c
    }

    fn checked(mut c: Column, checks: Vec<Check>) -> Column {
        c.checks = checks;
        c
    }

    fn array(element: SqlType) -> SqlType {
        SqlType::Array {
            element: Box::new(element),
        }
    }

    fn message_type(name: &str, fields: Vec<Column>) -> MessageType {
        MessageType {
            name: name.into(),
            comment: Some(format!("The {name} message.")),
            fields,
        }
    }

    fn catalog(message_types: Vec<MessageType>, transports: &[(&str, &[&str])]) -> Catalog {
        Catalog {
            schemas: vec![Schema {
                name: "messenger_payloads".into(),
                tables: Vec::new(),
                views: Vec::new(),
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

    fn min(value: Value, exclusive: bool) -> Check {
        Check::Minimum {
            value: serde_json::from_value(value).unwrap(),
            exclusive,
        }
    }

    fn max(value: Value, exclusive: bool) -> Check {
        Check::Maximum {
            value: serde_json::from_value(value).unwrap(),
            exclusive,
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

    use std::path::Path;

    fn error(catalog: &Catalog) -> String {
        match emit(catalog, &Sources::default()) {
            Ok(_) => panic!("expected an EmitError"),
            Err(EmitError(message)) => message,
        }
    }

    #[test]
    fn every_sql_type() {
        let types = vec![
            ("flag", SqlType::Bool),
            ("small", SqlType::Int2),
            ("int", SqlType::Int4),
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
            ("note", SqlType::Text),
            (
                "name",
                SqlType::Varchar {
                    max_length: Some(40),
                },
            ),
            ("unbounded", SqlType::Varchar { max_length: None }),
            ("code", SqlType::Char { length: Some(3) }),
            ("id", SqlType::Uuid),
            ("day", SqlType::Date),
            ("at", SqlType::Timestamptz),
            ("local_at", SqlType::Timestamp),
            ("clock", SqlType::Time),
            ("ip", SqlType::Inet),
            ("doc", SqlType::Json),
            ("body", SqlType::Jsonb { payload: None }),
            (
                "inner",
                SqlType::Jsonb {
                    payload: Some("inner".into()),
                },
            ),
            ("channel", channel()),
            (
                "money",
                SqlType::Other {
                    name: "pg_catalog.money".into(),
                },
            ),
        ];
        let mut fields: Vec<Column> = types.iter().map(|(n, t)| column(n, t.clone())).collect();
        fields.extend(
            types
                .iter()
                .map(|(n, t)| nullable(column(&format!("maybe_{n}"), t.clone()))),
        );
        fields.extend(
            types
                .iter()
                .map(|(n, t)| column(&format!("{n}_list"), array(t.clone()))),
        );
        let catalog = catalog(
            vec![
                message_type("all_types", fields),
                message_type("inner", vec![column("x", SqlType::Int4)]),
            ],
            &[("everything", &["all_types"])],
        );
        insta::assert_snapshot!(emitted(&catalog));
    }

    #[test]
    fn defaults_and_nullability() {
        let fields = vec![
            column("required", SqlType::Text),
            nullable(column("optional", SqlType::Text)),
            nullable(with_default(
                column("optional_with_default", SqlType::Int4),
                "7",
                Some(json!(7)),
            )),
            with_default(column("flag", SqlType::Bool), "true", Some(json!(true))),
            with_default(column("small", SqlType::Int2), "-3", Some(json!(-3))),
            with_default(column("big", SqlType::Int8), "0", Some(json!(0))),
            with_default(column("ratio", SqlType::Float8), "0.25", Some(json!(0.25))),
            with_default(
                column(
                    "amount",
                    SqlType::Numeric {
                        precision: None,
                        scale: None,
                    },
                ),
                "100",
                Some(json!(100)),
            ),
            with_default(
                column("label", SqlType::Text),
                "'it''s \"quoted\"'::text",
                Some(json!("it's \"quoted\"")),
            ),
            with_default(
                column("long_label", SqlType::Text),
                "'...'::text",
                Some(json!(
                    "a rather long default value that will not fit on one line......"
                )),
            ),
            with_default(column("channel", channel()), "'push'", Some(json!("push"))),
            with_default(
                column("channels", array(channel())),
                "'{sms,email}'",
                Some(json!(["sms", "email"])),
            ),
            with_default(
                column("codes", array(SqlType::Int4)),
                "'{...}'",
                Some(json!([
                    100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1100, 1200, 1300, 1400,
                    1500, 1600, 1700, 1800, 1900, 2000
                ])),
            ),
            with_default(
                column("tags", array(SqlType::Text)),
                "'{a,b}'",
                Some(json!(["alpha", "beta"])),
            ),
            with_default(
                column("many_tags", array(SqlType::Text)),
                "'{...}'",
                Some(json!([
                    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta"
                ])),
            ),
            with_default(
                column("empty", array(SqlType::Uuid)),
                "'{}'",
                Some(json!([])),
            ),
            with_default(
                column("settings", SqlType::Jsonb { payload: None }),
                "'{\"a\": [1, 2]}'::jsonb",
                Some(json!({"a": [1, 2], "b": null})),
            ),
            with_default(
                column("list", SqlType::Json),
                "'[1, \"x\"]'::json",
                Some(json!([1, "x"])),
            ),
            with_default(
                column("long_list", SqlType::Json),
                "'[...]'::json",
                Some(json!([
                    "a rather long first value",
                    "a second value",
                    "a third value",
                    "the last one"
                ])),
            ),
            with_default(
                column("json_null", SqlType::Jsonb { payload: None }),
                "'null'::jsonb",
                Some(json!(null)),
            ),
            with_default(column("created_at", SqlType::Timestamptz), "now()", None),
            with_default(column("ip", SqlType::Inet), "inet_client_addr()", None),
            with_default(
                column(
                    "policy",
                    SqlType::Jsonb {
                        payload: Some("policy".into()),
                    },
                ),
                "'{\"tries\": 3}'::jsonb",
                Some(json!({"tries": 3})),
            ),
            {
                let mut c = column("undocumented", SqlType::Int4);
                c.comment = None;
                c
            },
        ];
        let mut policy = message_type("policy", vec![column("tries", SqlType::Int4)]);
        policy.comment = None;
        let catalog = catalog(
            vec![policy, message_type("defaults", fields)],
            &[("a", &["defaults"]), ("b", &["defaults", "policy"])],
        );
        insta::assert_snapshot!(emitted(&catalog));
    }

    #[test]
    fn every_check_kind() {
        let fields = vec![
            checked(
                column("priority", SqlType::Int4),
                vec![min(json!(1), false), max(json!(10), false)],
            ),
            checked(
                column("timeout", SqlType::Int4),
                vec![min(json!(0), true), max(json!(60000), false)],
            ),
            checked(
                column("age", SqlType::Int2),
                vec![min(json!(13), false), max(json!(150), true)],
            ),
            // Looser than the type: the type's bounds stay.
            checked(
                column("wide", SqlType::Int2),
                vec![min(json!(-100000), false), max(json!(100000), false)],
            ),
            checked(column("count", SqlType::Int8), vec![min(json!(0), false)]),
            checked(
                column("signed", SqlType::Int8),
                vec![min(json!(-5), false), max(json!(5), true)],
            ),
            checked(
                column("ratio", SqlType::Float8),
                vec![min(json!(0), true), max(json!(1), true)],
            ),
            // Two CHECKs on the same bound (column and domain): the stricter wins.
            checked(
                column("score", SqlType::Float8),
                vec![
                    min(json!(0.5), false),
                    min(json!(0.5), true),
                    min(json!(-1), false),
                    max(json!(99.5), false),
                    max(json!(100), false),
                ],
            ),
            checked(
                column(
                    "subject",
                    SqlType::Varchar {
                        max_length: Some(200),
                    },
                ),
                vec![
                    Check::MinLength { value: 1 },
                    Check::MaxLength { value: 300 },
                ],
            ),
            checked(
                column(
                    "short",
                    SqlType::Varchar {
                        max_length: Some(200),
                    },
                ),
                vec![Check::MaxLength { value: 20 }],
            ),
            checked(
                column("email", SqlType::Text),
                vec![Check::Pattern {
                    regex: "^[^@ ]+@[^@ ]+$".into(),
                }],
            ),
            checked(
                column("quoted", SqlType::Text),
                vec![Check::Pattern {
                    regex: r#"^"[a-z]+"\d$"#.into(),
                }],
            ),
            checked(
                column("two_patterns", SqlType::Text),
                vec![
                    Check::Pattern { regex: "^a".into() },
                    Check::Pattern { regex: "b$".into() },
                ],
            ),
            checked(
                column("long_pattern", SqlType::Text),
                vec![Check::Pattern {
                    regex:
                        "^(alpha|beta|gamma|delta|epsilon|zeta|eta|theta|iota|kappa|lambda|mu)+$"
                            .into(),
                }],
            ),
            checked(
                column("id", SqlType::Uuid),
                vec![Check::Pattern { regex: "^0".into() }],
            ),
            checked(
                column("method", SqlType::Text),
                vec![Check::OneOf {
                    values: vec![json!("GET"), json!("POST"), json!("x-y")],
                }],
            ),
            nullable(checked(
                column(
                    "size",
                    SqlType::Varchar {
                        max_length: Some(5),
                    },
                ),
                vec![
                    Check::OneOf {
                        values: vec![json!("small"), json!("medium"), json!("large")],
                    },
                    Check::Pattern {
                        regex: "^[a-z]+$".into(),
                    },
                ],
            )),
            checked(
                column("only_push", channel()),
                vec![Check::OneOf {
                    values: vec![json!("push"), json!("email")],
                }],
            ),
            nullable(checked(
                column("level", SqlType::Int4),
                vec![Check::OneOf {
                    values: vec![json!(1), json!(2), json!(3)],
                }],
            )),
            checked(
                column("yes", SqlType::Bool),
                vec![Check::OneOf {
                    values: vec![json!(true)],
                }],
            ),
            checked(
                column(
                    "tags",
                    array(SqlType::Varchar {
                        max_length: Some(30),
                    }),
                ),
                vec![Check::MinItems { value: 1 }, Check::MaxItems { value: 10 }],
            ),
            checked(
                column("ids", array(SqlType::Uuid)),
                vec![Check::MaxItems { value: 3 }],
            ),
            checked(
                column("bodies", SqlType::Jsonb { payload: None }),
                vec![Check::MinLength { value: 2 }],
            ),
        ];
        let catalog = catalog(vec![message_type("checked", fields)], &[]);
        insta::assert_snapshot!(emitted(&catalog));
    }

    #[test]
    fn enums_nested_and_recursive_payloads() {
        let node = message_type(
            "tree_node",
            vec![
                column("label", SqlType::Text),
                nullable(column(
                    "parent",
                    SqlType::Jsonb {
                        payload: Some("tree_node".into()),
                    },
                )),
                column(
                    "children",
                    array(SqlType::Jsonb {
                        payload: Some("tree_node".into()),
                    }),
                ),
                nullable(column(
                    "ping",
                    SqlType::Jsonb {
                        payload: Some("ping".into()),
                    },
                )),
            ],
        );
        let ping = message_type(
            "ping",
            vec![
                nullable(column(
                    "pong",
                    SqlType::Jsonb {
                        payload: Some("tree_node".into()),
                    },
                )),
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
        insta::assert_snapshot!(emitted(&catalog));
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
        let mut odd = message_type("2fa code", fields);
        odd.comment = Some(
            "First line.\n\n  Indented: `x`.   \r\nTrailing spaces above; a list:\n- one\n- two\n\n\
             ```\nSELECT 1;\n```\n\n    indented code\n    more"
                .into(),
        );
        let catalog = catalog(
            vec![odd, message_type("self", vec![])],
            &[("Self Service", &["2fa code", "self"])],
        );
        insta::assert_snapshot!(emitted(&catalog));
    }

    #[test]
    fn the_real_schema_is_rustfmt_clean() {
        // The demo application compiles examples/demo/generated/rust/messages.rs, which
        // `messenger-gen check` keeps equal to this output, and `cargo fmt --check` formats it.
        let ir: Catalog =
            serde_json::from_str(include_str!("../../../examples/demo/generated/ir.json")).unwrap();
        emitted(&ir);
    }

    #[test]
    fn collisions_are_errors_naming_both() {
        let fields = |names: &[&str]| -> Vec<Column> {
            names.iter().map(|n| column(n, SqlType::Text)).collect()
        };
        let e = error(&catalog(
            vec![message_type("m", fields(&["user_id", "userId"]))],
            &[],
        ));
        assert_eq!(
            e,
            "columns `m.user_id` and `m.userId` both become the Rust field `user_id`"
        );
        let e = error(&catalog(
            vec![
                message_type("send_email", vec![]),
                message_type("SendEmail", vec![]),
            ],
            &[],
        ));
        assert_eq!(
            e,
            "message type `send_email` and message type `SendEmail` both become the Rust type \
             `SendEmail`; rename one of them"
        );
        let e = error(&catalog(
            vec![message_type("email_transport", vec![])],
            &[("email", &[])],
        ));
        assert!(
            e.contains("message type `email_transport` and transport `email`"),
            "{e}"
        );
        let e = error(&catalog(
            vec![
                message_type(
                    "send",
                    vec![checked(
                        column("mode", SqlType::Text),
                        vec![Check::OneOf {
                            values: vec![json!("a")],
                        }],
                    )],
                ),
                message_type("send_mode", vec![]),
            ],
            &[],
        ));
        assert!(
            e.contains("message type `send_mode` and the IN list of `send.mode`"),
            "{e}"
        );
        let e = error(&catalog(
            vec![message_type(
                "m",
                vec![checked(
                    column("v", SqlType::Text),
                    vec![Check::OneOf {
                        values: vec![json!("a-b"), json!("a_b")],
                    }],
                )],
            )],
            &[],
        ));
        assert_eq!(
            e,
            "the values \"a-b\" and \"a_b\" of the IN list of `m.v` both become the Rust variant \
             `AB`"
        );
        let e = error(&catalog(vec![message_type("message", vec![])], &[]));
        assert!(
            e.contains("`Message`, which the generated code uses,"),
            "{e}"
        );
        let e = error(&catalog(vec![message_type("m", fields(&["???"]))], &[]));
        assert_eq!(
            e,
            "column `m.???` has no letter or digit to make a Rust field of"
        );
        let e = error(&catalog(
            vec![message_type("m", vec![])],
            &[("t", &["missing"])],
        ));
        assert_eq!(
            e,
            "transport `t` accepts the message type `missing`, which does not exist"
        );
        let mut bad_default = with_default(column("c", channel()), "'fax'", Some(json!("fax")));
        bad_default.comment = None;
        let e = error(&catalog(vec![message_type("m", vec![bad_default])], &[]));
        assert!(
            e.starts_with("the DEFAULT \"fax\" of `m.c` is not one of its values"),
            "{e}"
        );
    }

    #[test]
    fn identifiers() {
        assert_eq!(field_ident("type"), Ok("r#type".into()));
        assert_eq!(field_ident("crate"), Ok("crate_".into()));
        assert_eq!(field_ident("first name"), Ok("first_name".into()));
        assert_eq!(field_ident("HTTPStatus"), Ok("http_status".into()));
        assert_eq!(field_ident("v2Api"), Ok("v2_api".into()));
        assert_eq!(field_ident("2fa"), Ok("_2fa".into()));
        assert_eq!(field_ident("--"), Err(()));
        assert_eq!(type_ident("send_email"), Ok("SendEmail".into()));
        assert_eq!(type_ident("GET"), Ok("Get".into()));
        assert_eq!(type_ident("self"), Ok("_Self".into()));
        assert_eq!(type_ident("404"), Ok("_404".into()));
        assert_eq!(type_ident("+"), Err(()));
        assert_eq!(str_lit(r"^\d$"), r#"r"^\d$""#);
        assert_eq!(str_lit("a\"#b\\"), "r##\"a\"#b\\\"##");
        assert_eq!(str_lit("tab\there"), "\"tab\\there\"");
        assert_eq!(
            num_lit(&Number::from(-9_007_199_254_740_991_i64)),
            "-9007199254740991i64"
        );
        assert_eq!(num_lit(&Number::from_f64(1.5).unwrap()), "1.5");
    }
}
