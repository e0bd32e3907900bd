//! The Zod emitter: `ts/zod.ts`, one Zod 4 schema per message type with exactly the constraints
//! of CONTRACT.md, one envelope schema per transport, and a compile-time proof that each
//! schema's `z.infer` is the interface (or envelope union) of `ts/payloads.ts`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::write::FileMap;
use messenger_ir::{Catalog, Check, MessageType, PAYLOAD_SCHEMA, SqlType};

use super::contract::{
    DATE_PATTERN, NUL_FREE_PATTERN, TIME_PATTERN, TIMESTAMP_PATTERN, TIMESTAMPTZ_PATTERN,
    UUID_PATTERN, needs_nul_pattern,
};
use super::error::EmitError;
use super::ts::{
    HEADER, JsonKind, Names, Presence, item_bounds, js_string, json_kind, length_bounds, literal,
    literal_set, message_type_names, numeric_bounds, patterns, presence, property_key, runtime_key,
    transport_type_name, transport_types, unknown_payload, validate_checks, write_doc,
};

/// Emits `ts/zod.ts`.
pub fn emit(catalog: &Catalog) -> Result<FileMap, EmitError> {
    let mut files = FileMap::new();
    files.insert("ts/zod.ts", zod_ts(catalog)?)?;
    Ok(files)
}

/// The helpers zod.ts declares only when something uses them.
#[derive(Default)]
struct Uses {
    json: bool,
    /// A value of a type no target knows (`unknownJsonSchema`).
    other: bool,
    nul_free: bool,
    uuid: bool,
    date: bool,
    timestamptz: bool,
    timestamp: bool,
    time: bool,
    min_chars: bool,
    max_chars: bool,
}

/// A Zod expression; `ty` is its Zod type when the expression is built only from schema
/// references, arrays and optional/nullable (what a getter for a forward reference needs), and
/// `forward` says that it refers to a schema not defined yet.
struct Expr {
    code: String,
    ty: Option<String>,
    forward: bool,
}

impl Expr {
    fn plain(code: impl Into<String>) -> Expr {
        Expr {
            code: code.into(),
            ty: None,
            forward: false,
        }
    }
}

struct Context<'c> {
    catalog: &'c Catalog,
    /// Message type name → its schema constant.
    schemas: BTreeMap<&'c str, String>,
}

fn regex(pattern: &str) -> String {
    format!("new RegExp({}, \"u\")", js_string(pattern))
}

/// `z.string()` with the format of `ty` and its patterns and, unless its values are a closed list
/// (`closed`: an IN list checked after it), its length bounds and the U+0000 rule of text.
fn string_expr(ty: &SqlType, checks: &[Check], closed: bool, uses: &mut Uses) -> String {
    let mut code = match ty {
        SqlType::Uuid => {
            uses.uuid = true;
            "z.string().regex(uuidPattern)".to_owned()
        }
        SqlType::Date => {
            uses.date = true;
            "z.iso.date().regex(datePattern)".to_owned()
        }
        SqlType::Timestamptz => {
            uses.timestamptz = true;
            "z.iso.datetime({ offset: true }).regex(timestamptzPattern)".to_owned()
        }
        SqlType::Timestamp => {
            uses.timestamp = true;
            "z.string().regex(timestampPattern)".to_owned()
        }
        SqlType::Time => {
            uses.time = true;
            "z.string().regex(timePattern)".to_owned()
        }
        SqlType::Inet => "z.union([z.ipv4(), z.ipv6()])".to_owned(),
        _ => "z.string()".to_owned(),
    };
    let mut refinements = Vec::new();
    if !closed {
        let (min, max) = length_bounds(ty, checks);
        if let Some(min) = min {
            uses.min_chars = true;
            refinements.push(format!("minChars({min})"));
        }
        if let Some(max) = max {
            uses.max_chars = true;
            refinements.push(format!("maxChars({max})"));
        }
    }
    let patterns = patterns(ty, checks);
    if *ty == SqlType::Inet {
        // A union has no `.regex()`: the same check, applied with `.check()`.
        refinements.extend(patterns.iter().map(|p| format!("z.regex({})", regex(p))));
    }
    if !refinements.is_empty() {
        let _ = write!(code, ".check({})", refinements.join(", "));
    }
    let text = matches!(
        ty,
        SqlType::Text | SqlType::Varchar { .. } | SqlType::Char { .. }
    );
    if text && !closed && needs_nul_pattern(&patterns) {
        uses.nul_free = true;
        code.push_str(".regex(nulFreePattern)");
    }
    if *ty != SqlType::Inet {
        for pattern in patterns {
            let _ = write!(code, ".regex({})", regex(pattern));
        }
    }
    code
}

/// The Zod schema of a value of type `ty` with `checks` (without optional/nullable).
fn value_expr(
    cx: &Context,
    ty: &SqlType,
    checks: &[Check],
    defined: &BTreeSet<&str>,
    uses: &mut Uses,
) -> Result<Expr, EmitError> {
    if let Some(values) = literal_set(cx.catalog, ty, checks)? {
        if values.is_empty() {
            return Ok(Expr::plain("z.never()"));
        }
        let items: Vec<String> = values.iter().map(literal).collect();
        let literals = if values.iter().all(|v| v.is_string()) {
            format!("z.enum([{}])", items.join(", "))
        } else {
            format!("z.literal([{}])", items.join(", "))
        };
        // Lengths and bounds were applied to the list; a format or pattern still has to be
        // checked before the list.
        let format_or_pattern = json_kind(ty) == JsonKind::String
            && (matches!(
                ty,
                SqlType::Date
                    | SqlType::Timestamptz
                    | SqlType::Timestamp
                    | SqlType::Time
                    | SqlType::Inet
            ) || !patterns(ty, checks).is_empty());
        if format_or_pattern {
            let base = string_expr(ty, checks, true, uses);
            return Ok(Expr::plain(format!("{base}.pipe({literals})")));
        }
        return Ok(Expr::plain(literals));
    }
    Ok(match ty {
        SqlType::Bool => Expr::plain("z.boolean()"),
        SqlType::Json | SqlType::Jsonb { payload: None } => {
            uses.json = true;
            Expr::plain("jsonValueSchema")
        }
        SqlType::Other { .. } => {
            uses.json = true;
            uses.other = true;
            Expr::plain("unknownJsonSchema")
        }
        SqlType::Jsonb {
            payload: Some(name),
        } => {
            let schema = cx
                .schemas
                .get(name.as_str())
                .ok_or_else(|| unknown_payload(name))?;
            Expr {
                code: schema.clone(),
                ty: Some(format!("typeof {schema}")),
                forward: !defined.contains(name.as_str()),
            }
        }
        SqlType::Array { element } => {
            let inner = value_expr(cx, element, &[], defined, uses)?;
            let mut code = format!("z.array({})", inner.code);
            let (min, max) = item_bounds(ty, checks);
            if let Some(min) = min {
                let _ = write!(code, ".min({min})");
            }
            if let Some(max) = max {
                let _ = write!(code, ".max({max})");
            }
            Expr {
                code,
                ty: inner.ty.map(|t| format!("z.ZodArray<{t}>")),
                forward: inner.forward,
            }
        }
        other => match json_kind(other) {
            JsonKind::Integer | JsonKind::Number => {
                let mut code = "z.number()".to_owned();
                if json_kind(other) == JsonKind::Integer {
                    code.push_str(".int()");
                }
                let (lower, upper) = numeric_bounds(other, checks);
                if let Some(lower) = lower {
                    let method = if lower.exclusive { "gt" } else { "min" };
                    let _ = write!(code, ".{method}({})", lower.text);
                }
                if let Some(upper) = upper {
                    let method = if upper.exclusive { "lt" } else { "max" };
                    let _ = write!(code, ".{method}({})", upper.text);
                }
                Expr::plain(code)
            }
            _ => Expr::plain(string_expr(other, checks, false, uses)),
        },
    })
}

/// Message types in an order where each comes after the types it nests (depth first, in name
/// order); a cycle leaves some references forward, which become getters.
fn definition_order(catalog: &Catalog) -> Vec<&MessageType> {
    fn nested(ty: &SqlType) -> Option<&str> {
        match ty {
            SqlType::Jsonb { payload } => payload.as_deref(),
            SqlType::Array { element } => nested(element),
            _ => None,
        }
    }
    fn visit<'c>(
        catalog: &'c Catalog,
        message_type: &'c MessageType,
        seen: &mut BTreeSet<&'c str>,
        out: &mut Vec<&'c MessageType>,
    ) {
        if !seen.insert(&message_type.name) {
            return;
        }
        for field in &message_type.fields {
            if let Some(target) = nested(&field.ty).and_then(|n| catalog.message_type(n)) {
                visit(catalog, target, seen, out);
            }
        }
        out.push(message_type);
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for message_type in &catalog.message_types {
        visit(catalog, message_type, &mut seen, &mut out);
    }
    out
}

const EQUALS: &str = "\
/** `true` when A and B are the same type (a compile-time check; nothing runs). */
type Equals<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
";

const JSON_VALUE: &str = "
/**
 * Any JSON value that PostgreSQL's json and jsonb can hold (CONTRACT.md): a `json` column, or a
 * `jsonb` column without a declared payload type. No string and no key may contain U+0000.
 */
export const jsonValueSchema: z.ZodType<Json> = z.lazy(() =>
  z.union([
    z.string().regex(nulFreePattern),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(jsonValueSchema),
    z.record(z.string().regex(nulFreePattern), jsonValueSchema.optional()),
  ]),
);
";

const UNKNOWN_JSON: &str = "
/** A value of a type no target knows: a JSON value PostgreSQL can hold, typed `unknown`. */
const unknownJsonSchema: z.ZodType<unknown> = jsonValueSchema;
";

const MIN_CHARS: &str = "
/** At least `minimum` characters, counted in code points like PostgreSQL's char_length. */
function minChars(minimum: number): z.core.$ZodCheck<string> {
  return z.check<string>((ctx) => {
    if ([...ctx.value].length < minimum) {
      ctx.issues.push({
        code: \"too_small\",
        origin: \"string\",
        minimum,
        inclusive: true,
        input: ctx.value,
        message: `Too small: expected string to have >=${minimum} characters`,
      });
    }
  });
}
";

const MAX_CHARS: &str = "
/**
 * At most `maximum` characters, counted in code points like PostgreSQL's char_length (as Zod
 * 4.6's own `.max()` does; Zod 3 counted UTF-16 code units).
 */
function maxChars(maximum: number): z.core.$ZodCheck<string> {
  return z.check<string>((ctx) => {
    if ([...ctx.value].length > maximum) {
      ctx.issues.push({
        code: \"too_big\",
        origin: \"string\",
        maximum,
        inclusive: true,
        input: ctx.value,
        message: `Too big: expected string to have <=${maximum} characters`,
      });
    }
  });
}
";

fn zod_ts(catalog: &Catalog) -> Result<String, EmitError> {
    // Helpers start with a lower-case letter and cannot collide with these names; `Equals` and
    // `Json` can (the payload interfaces are reached through the `payloads` namespace).
    let mut names = Names::new(&[
        ("Equals", "the helper type `Equals`"),
        ("Json", "the type `Json` imported from ./database"),
    ]);
    let interfaces = message_type_names(catalog)?;
    let mut cx = Context {
        catalog,
        schemas: BTreeMap::new(),
    };
    let mut inputs = BTreeMap::new();
    for message_type in &catalog.message_types {
        let interface = &interfaces[message_type.name.as_str()];
        let what = format!("message type `{}`", message_type.name);
        let schema = names.claim(format!("{interface}Schema"), what.clone())?;
        inputs.insert(
            message_type.name.as_str(),
            names.claim(format!("{interface}Input"), what)?,
        );
        cx.schemas.insert(message_type.name.as_str(), schema);
    }
    let mut transports = Vec::new();
    for transport in &catalog.transports {
        let union = transport_type_name(&transport.name)?;
        let what = format!("transport `{}`", transport.name);
        let schema = names.claim(format!("{union}Schema"), what.clone())?;
        let input = names.claim(format!("{union}Input"), what)?;
        transports.push((
            transport,
            union,
            schema,
            input,
            transport_types(catalog, transport)?,
        ));
    }

    let mut uses = Uses::default();
    let mut body = String::new();
    let mut defined = BTreeSet::new();
    for message_type in definition_order(catalog) {
        let schema = &cx.schemas[message_type.name.as_str()];
        let mut doc: Vec<String> = message_type.comment.iter().cloned().collect();
        doc.push(format!("Message type `{}`.", message_type.name));
        body.push('\n');
        write_doc(&mut body, "", &doc);
        if message_type.fields.is_empty() {
            let _ = writeln!(body, "export const {schema} = z.strictObject({{}});");
        } else {
            let _ = writeln!(body, "export const {schema} = z.strictObject({{");
        }
        for field in &message_type.fields {
            let place = || format!("{PAYLOAD_SCHEMA}.{}.{}", message_type.name, field.name);
            let in_field = |e: EmitError| EmitError(format!("{}: {e}", place()));
            validate_checks(&field.ty, &field.checks).map_err(in_field)?;
            let expr = if presence(field) == Presence::Absent {
                Expr::plain("z.never()")
            } else {
                value_expr(&cx, &field.ty, &field.checks, &defined, &mut uses).map_err(in_field)?
            };
            let (suffix, wrap): (&str, fn(String) -> String) = match presence(field) {
                Presence::Required => ("", |t| t),
                Presence::Absent => (".optional()", |t| format!("z.ZodOptional<{t}>")),
                Presence::Defaulted => (".optional()", |t| format!("z.ZodOptional<{t}>")),
                Presence::Nullable => (".nullable().optional()", |t| {
                    format!("z.ZodOptional<z.ZodNullable<{t}>>")
                }),
            };
            let code = format!("{}{suffix}", expr.code);
            if expr.forward {
                // Defined later (or this very schema): a getter defers the reference, and its
                // declared type lets TypeScript infer the recursive type.
                let ty = expr.ty.map(wrap).ok_or_else(|| {
                    EmitError(format!("{}: a forward reference without a type", place()))
                })?;
                let _ = write!(
                    body,
                    "  get {}(): {ty} {{\n    return {code};\n  }},\n",
                    property_key(&field.name)
                );
            } else {
                let _ = writeln!(body, "  {}: {code},", runtime_key(&field.name));
            }
        }
        if !message_type.fields.is_empty() {
            body.push_str("});\n");
        }
        let _ = writeln!(
            body,
            "export type {} = z.infer<typeof {schema}>;",
            inputs[message_type.name.as_str()]
        );
        defined.insert(message_type.name.as_str());
    }

    for (transport, _, schema, input, types) in &transports {
        body.push('\n');
        write_doc(
            &mut body,
            "",
            &[format!(
                "The envelope schema of the transport `{}` (headers + body of the named type).",
                transport.name
            )],
        );
        if types.is_empty() {
            let _ = writeln!(body, "export const {schema} = z.never();");
        } else {
            let _ = writeln!(body, "export const {schema} = z.union([");
            for message_type in types {
                let _ = write!(
                    body,
                    "  z.strictObject({{\n    \
                       headers: z.looseObject({{ message_type: z.literal({}) }}),\n    \
                       body: {},\n  \
                     }}),\n",
                    js_string(&message_type.name),
                    cx.schemas[message_type.name.as_str()]
                );
            }
            body.push_str("]);\n");
        }
        let _ = writeln!(body, "export type {input} = z.infer<typeof {schema}>;");
    }

    body.push_str("\n/** The schema of every message type, by name. */\n");
    write_map(
        &mut body,
        "MESSAGE_TYPE_SCHEMAS",
        catalog
            .message_types
            .iter()
            .map(|m| (m.name.as_str(), cx.schemas[m.name.as_str()].as_str())),
    );
    body.push_str("\n/** The envelope schema of every transport, by name. */\n");
    write_map(
        &mut body,
        "TRANSPORT_SCHEMAS",
        transports
            .iter()
            .map(|(t, _, schema, _, _)| (t.name.as_str(), schema.as_str())),
    );

    body.push_str(
        "\n// Compile-time proof that every schema infers exactly its type in ./payloads.\n",
    );
    for message_type in &catalog.message_types {
        let _ = writeln!(
            body,
            "true satisfies Equals<{}, payloads.{}>;",
            inputs[message_type.name.as_str()],
            interfaces[message_type.name.as_str()]
        );
    }
    for (_, union, _, input, _) in &transports {
        let _ = writeln!(body, "true satisfies Equals<{input}, payloads.{union}>;");
    }

    let mut out = String::from(HEADER);
    if catalog.message_types.is_empty() && transports.is_empty() {
        // Nothing to validate: no import that a strict configuration would call unused.
        out.push_str("\nexport {};\n");
        return Ok(out);
    }
    out.push_str("\nimport { z } from \"zod\";\n");
    // Type-only imports with the `.ts` extension: see ts.rs (they resolve everywhere).
    if uses.json {
        out.push_str("import type { Json } from \"./database.ts\";\n");
    }
    out.push_str("import type * as payloads from \"./payloads.ts\";\n\n");
    out.push_str(EQUALS);
    uses.nul_free |= uses.json;
    if uses.uuid || uses.date || uses.timestamptz || uses.timestamp || uses.time || uses.nul_free {
        out.push('\n');
    }
    if uses.uuid {
        let _ = writeln!(
            out,
            "/** A uuid in its canonical text form (CONTRACT.md). */\nconst uuidPattern = {};",
            regex(UUID_PATTERN)
        );
    }
    if uses.date {
        let _ = writeln!(
            out,
            "/** An RFC 3339 full-date other than year 0000 (CONTRACT.md). */\n\
             const datePattern = {};",
            regex(DATE_PATTERN)
        );
    }
    if uses.timestamptz {
        let _ = writeln!(
            out,
            "/**\n * An RFC 3339 date-time with seconds (00-59) and an offset (up to ±15:59), other than\n \
             * year 0000 (CONTRACT.md).\n */\nconst timestamptzPattern = {};",
            regex(TIMESTAMPTZ_PATTERN)
        );
    }
    if uses.timestamp {
        let _ = writeln!(
            out,
            "/** A date and time of day (seconds 00-59) without offset, other than year 0000. */\n\
             const timestampPattern = {};",
            regex(TIMESTAMP_PATTERN)
        );
    }
    if uses.time {
        let _ = writeln!(
            out,
            "/** A time of day (seconds 00-59) without offset. */\nconst timePattern = {};",
            regex(TIME_PATTERN)
        );
    }
    if uses.nul_free {
        let _ = writeln!(
            out,
            "/** A string without U+0000, which PostgreSQL's text and jsonb cannot hold. */\n\
             const nulFreePattern = {};",
            regex(NUL_FREE_PATTERN)
        );
    }
    if uses.json {
        out.push_str(JSON_VALUE);
    }
    if uses.other {
        out.push_str(UNKNOWN_JSON);
    }
    if uses.min_chars {
        out.push_str(MIN_CHARS);
    }
    if uses.max_chars {
        out.push_str(MAX_CHARS);
    }
    out.push_str(&body);
    Ok(out)
}

/// `export const NAME = { key: value, ... } as const;`
fn write_map<'a>(out: &mut String, name: &str, entries: impl Iterator<Item = (&'a str, &'a str)>) {
    let entries: Vec<String> = entries
        .map(|(key, value)| format!("  {}: {value},\n", runtime_key(key)))
        .collect();
    if entries.is_empty() {
        let _ = writeln!(out, "export const {name} = {{}} as const;");
    } else {
        let _ = writeln!(
            out,
            "export const {name} = {{\n{}}} as const;",
            entries.concat()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::ts::tests::{message, payload_catalog};
    use super::*;

    fn zod(catalog: &Catalog) -> Result<String, EmitError> {
        let files = emit(catalog)?;
        Ok(String::from_utf8(
            files
                .get(std::path::Path::new("ts/zod.ts"))
                .unwrap()
                .to_vec(),
        )
        .unwrap())
    }

    #[test]
    fn zod_ts_follows_the_contract() {
        insta::assert_snapshot!(zod(&payload_catalog()).unwrap());
    }

    #[test]
    fn an_empty_catalog_gives_a_valid_file() {
        let catalog = Catalog {
            schemas: Vec::new(),
            message_types: Vec::new(),
            transports: Vec::new(),
        };
        insta::assert_snapshot!(zod(&catalog).unwrap());
    }

    #[test]
    fn nested_types_come_first_and_cycles_use_getters() {
        let catalog = payload_catalog();
        let order: Vec<&str> = definition_order(&catalog)
            .iter()
            .map(|m| m.name.as_str())
            .collect();
        assert_eq!(
            order,
            ["tree_node", "all_types", "checks", "string", "weird name-2"]
        );
        let text = zod(&catalog).unwrap();
        assert!(text.contains(
            "  get parent(): z.ZodOptional<z.ZodNullable<typeof TreeNodeSchema>> {\n    \
             return TreeNodeSchema.nullable().optional();\n  },\n"
        ));
        assert!(text.contains("  child: TreeNodeSchema.nullable().optional(),\n"));
    }

    #[test]
    fn colliding_names_are_an_error_naming_both() {
        let mut catalog = payload_catalog();
        catalog.message_types.push(message("a_b", None, Vec::new()));
        catalog.message_types.push(message("A_b", None, Vec::new()));
        let err = zod(&catalog).unwrap_err().0;
        assert!(err.contains("`a_b`") && err.contains("`A_b`"), "{err}");

        let mut catalog = payload_catalog();
        catalog
            .message_types
            .push(message("both_message", None, Vec::new()));
        let err = zod(&catalog).unwrap_err().0;
        assert!(
            err.contains("`both_message`") && err.contains("`both`"),
            "{err}"
        );
    }
}
