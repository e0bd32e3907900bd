//! The Zod expression of a column's values, rendered from its folded [`Constraints`], and the
//! helpers of zod.ts that the expressions use.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use messenger_ir::{Catalog, ObjectType};

use crate::contract::{ConstraintError, Constraints, Format, Kind};
use crate::emit::typescript::{js_string, literal};

/// The helpers zod.ts declares only when something uses them.
#[derive(Default)]
pub struct Uses {
    /// `jsonValueSchema` (and the `Json` import).
    pub json: bool,
    /// A value of a type no target knows (`unknownJsonSchema`).
    pub other: bool,
    /// `nulFreePattern`.
    pub nul_free: bool,
    /// `uuidPattern`.
    pub uuid: bool,
    /// `datePattern`.
    pub date: bool,
    /// `timestamptzPattern`.
    pub timestamptz: bool,
    /// `timestampPattern`.
    pub timestamp: bool,
    /// `timePattern`.
    pub time: bool,
    /// `minChars`.
    pub min_chars: bool,
    /// `maxChars`.
    pub max_chars: bool,
}

/// A Zod expression; `ty` is its Zod type when the expression is built only from schema
/// references, arrays and optional/nullable (what a getter for a forward reference needs), and
/// `forward` says that it refers to a schema not defined yet.
pub struct Expr {
    /// The expression.
    pub code: String,
    /// Its Zod type, when it can be written.
    pub ty: Option<String>,
    /// Whether it refers to a schema defined later in the file.
    pub forward: bool,
}

impl Expr {
    /// An expression that refers to no schema.
    pub fn plain(code: impl Into<String>) -> Expr {
        Expr {
            code: code.into(),
            ty: None,
            forward: false,
        }
    }
}

/// `new RegExp(pattern, "u")`: ECMA-262 with Unicode semantics, as the JSON Schema validators
/// read `pattern`.
pub fn regex(pattern: &str) -> String {
    format!("new RegExp({}, \"u\")", js_string(pattern))
}

/// The Zod schema of values with these constraints (without optional/nullable). `schemas` maps
/// message types to their schema constants, `defined` holds those already declared.
pub fn value_expr(
    schemas: &BTreeMap<&str, String>,
    constraints: &Constraints,
    defined: &BTreeSet<&str>,
    uses: &mut Uses,
) -> Result<Expr, ConstraintError> {
    if let Some(values) = constraints.admitted_values() {
        if values.is_empty() {
            return Ok(Expr::plain("z.never()"));
        }
        let items: Vec<String> = values.iter().map(literal).collect();
        let literals = if values.iter().all(|v| v.is_string()) {
            format!("z.enum([{}])", items.join(", "))
        } else {
            format!("z.literal([{}])", items.join(", "))
        };
        // Lengths, bounds and the uuid form were applied to the list; another format or a
        // pattern still has to be checked before it.
        let format_checked_first = match constraints.format {
            None | Some(Format::Uuid) => false,
            Some(
                Format::Date | Format::DateTime | Format::Timestamp | Format::Time | Format::Inet,
            ) => true,
        };
        let format_or_pattern = constraints.kind == Kind::String
            && (format_checked_first || !constraints.patterns.is_empty());
        if format_or_pattern {
            let base = string_expr(constraints, uses);
            return Ok(Expr::plain(format!("{base}.pipe({literals})")));
        }
        return Ok(Expr::plain(literals));
    }
    Ok(match constraints.kind {
        Kind::Boolean => Expr::plain("z.boolean()"),
        Kind::Any if constraints.unmapped => {
            uses.json = true;
            uses.other = true;
            Expr::plain("unknownJsonSchema")
        }
        Kind::Any => {
            uses.json = true;
            Expr::plain("jsonValueSchema")
        }
        Kind::Payload => {
            let name = constraints.payload.as_deref().unwrap_or_default();
            let schema = schemas
                .get(name)
                .ok_or_else(|| ConstraintError::UnknownPayload(name.to_owned()))?;
            Expr {
                code: schema.clone(),
                ty: Some(format!("typeof {schema}")),
                forward: !defined.contains(name),
            }
        }
        Kind::Array => {
            let inner = match &constraints.items {
                Some(items) => value_expr(schemas, items, defined, uses)?,
                None => Expr::plain("z.never()"),
            };
            let mut code = format!("z.array({})", inner.code);
            // `.min(0)` says nothing.
            if let Some(min) = constraints.min_items.filter(|n| *n > 0) {
                let _ = write!(code, ".min({min})");
            }
            if let Some(max) = constraints.max_items {
                let _ = write!(code, ".max({max})");
            }
            Expr {
                code,
                ty: inner.ty.map(|t| format!("z.ZodArray<{t}>")),
                forward: inner.forward,
            }
        }
        Kind::Integer | Kind::Number => {
            let mut code = "z.number()".to_owned();
            if constraints.kind == Kind::Integer {
                code.push_str(".int()");
            }
            if let Some(lower) = &constraints.lower {
                let method = if lower.exclusive { "gt" } else { "min" };
                let _ = write!(code, ".{method}({})", lower.value);
            }
            if let Some(upper) = &constraints.upper {
                let method = if upper.exclusive { "lt" } else { "max" };
                let _ = write!(code, ".{method}({})", upper.value);
            }
            Expr::plain(code)
        }
        Kind::String => Expr::plain(string_expr(constraints, uses)),
        // In payloads `Constraints::of` makes a composite of messenger_payloads a nested payload
        // and refuses any other (Nesting::Enforced), so this is never reached.
        Kind::Composite => {
            let (schema, name) = constraints.composite.clone().unwrap_or_default();
            return Err(ConstraintError::ForeignComposite(format!(
                "{schema}.{name}"
            )));
        }
    })
}

/// `z.string()` with the format and the CHECK patterns and, unless the values are a closed list
/// (checked after it), the length bounds and the U+0000 rule of text.
fn string_expr(constraints: &Constraints, uses: &mut Uses) -> String {
    let mut code = match constraints.format {
        Some(Format::Uuid) => {
            uses.uuid = true;
            "z.string().regex(uuidPattern)".to_owned()
        }
        Some(Format::Date) => {
            uses.date = true;
            "z.iso.date().regex(datePattern)".to_owned()
        }
        Some(Format::DateTime) => {
            uses.timestamptz = true;
            "z.iso.datetime({ offset: true }).regex(timestamptzPattern)".to_owned()
        }
        Some(Format::Timestamp) => {
            uses.timestamp = true;
            "z.string().regex(timestampPattern)".to_owned()
        }
        Some(Format::Time) => {
            uses.time = true;
            "z.string().regex(timePattern)".to_owned()
        }
        Some(Format::Inet) => "z.union([z.ipv4(), z.ipv6()])".to_owned(),
        None => "z.string()".to_owned(),
    };
    let inet = constraints.format == Some(Format::Inet);
    let mut refinements = Vec::new();
    if constraints.values.is_none() {
        // `minChars(0)` says nothing.
        if let Some(min) = constraints.min_length.filter(|n| *n > 0) {
            uses.min_chars = true;
            refinements.push(format!("minChars({min})"));
        }
        if let Some(max) = constraints.max_length {
            uses.max_chars = true;
            refinements.push(format!("maxChars({max})"));
        }
    }
    if inet {
        // A union has no `.regex()`: the same check, applied with `.check()`.
        refinements.extend(
            constraints
                .patterns
                .iter()
                .map(|p| format!("z.regex({})", regex(p))),
        );
    }
    if !refinements.is_empty() {
        let _ = write!(code, ".check({})", refinements.join(", "));
    }
    if constraints.needs_nul_rule() {
        uses.nul_free = true;
        code.push_str(".regex(nulFreePattern)");
    }
    if !inet {
        for pattern in &constraints.patterns {
            let _ = write!(code, ".regex({})", regex(pattern));
        }
    }
    code
}

/// Payload types in an order where each comes after the types it nests (depth first, in name
/// order); a cycle (which introspection refuses, but an IR built otherwise may hold) leaves
/// some references forward, which become getters.
pub fn definition_order(catalog: &Catalog) -> Vec<ObjectType<'_>> {
    fn visit<'c>(
        catalog: &'c Catalog,
        object: ObjectType<'c>,
        seen: &mut BTreeSet<&'c str>,
        out: &mut Vec<ObjectType<'c>>,
    ) {
        if !seen.insert(object.name) {
            return;
        }
        for field in object.fields {
            if let Some(target) = field
                .ty
                .nested_payload()
                .and_then(|n| catalog.object_type(n))
            {
                visit(catalog, target, seen, out);
            }
        }
        out.push(object);
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for object in catalog.object_types() {
        visit(catalog, object, &mut seen, &mut out);
    }
    out
}
