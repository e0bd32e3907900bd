//! The Zod emitter: `ts/zod.ts`, one Zod 4 schema per message type with exactly the constraints
//! of CONTRACT.md, one envelope schema per transport, and a compile-time proof that each
//! schema's `z.infer` is the interface (or envelope union) of `ts/payloads.ts` (whose names come
//! from the same `emit/typescript.rs`).

mod snippets;
#[cfg(test)]
mod tests;
mod values;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use messenger_ir::{Catalog, MessageType, ObjectType, PAYLOAD_SCHEMA, Transport};

use super::error::EmitError;
use super::names::Names;
use super::typescript::{
    HEADER, IDENTIFIER, js_string, object_type_doc, object_type_names, object_type_what,
    property_key, runtime_key, transport_type_name, write_doc,
};
use crate::contract::patterns::{
    DATE_PATTERN, NUL_FREE_PATTERN, TIME_PATTERN, TIMESTAMP_PATTERN, TIMESTAMPTZ_PATTERN,
    UUID_PATTERN,
};
use crate::contract::{Constraints, Nesting, Presence};
use crate::write::FileMap;
use snippets::{EQUALS, JSON_VALUE, MAX_CHARS, MIN_CHARS, UNKNOWN_JSON};
use values::{Expr, Uses, definition_order, regex, value_expr};

/// Emits `ts/zod.ts`.
pub fn emit(catalog: &Catalog) -> Result<FileMap, EmitError> {
    let mut files = FileMap::new();
    files.insert("ts/zod.ts", zod_ts(catalog)?)?;
    Ok(files)
}

/// The names zod.ts declares for a catalog.
struct Declarations<'c> {
    /// Message type → its interface in payloads.ts.
    interfaces: BTreeMap<&'c str, String>,
    /// Message type → its schema constant.
    schemas: BTreeMap<&'c str, String>,
    /// Message type → its inferred input type.
    inputs: BTreeMap<&'c str, String>,
    /// Every transport with its envelope union (in payloads.ts), schema, input type and the
    /// message types it accepts.
    transports: Vec<TransportDecl<'c>>,
}

struct TransportDecl<'c> {
    transport: &'c Transport,
    union: String,
    schema: String,
    input: String,
    types: Vec<&'c MessageType>,
}

impl<'c> Declarations<'c> {
    fn new(catalog: &'c Catalog) -> Result<Declarations<'c>, EmitError> {
        // Helpers start with a lower-case letter and cannot collide with these names; `Equals`
        // and `Json` can (the payload interfaces are reached through the `payloads` namespace).
        let mut names = Names::new(IDENTIFIER)
            .reserve("Equals", "the helper type `Equals`")
            .reserve("Json", "the type `Json` imported from ./database");
        let interfaces = object_type_names(catalog)?;
        let mut schemas = BTreeMap::new();
        let mut inputs = BTreeMap::new();
        for object in catalog.object_types() {
            let interface = &interfaces[object.name];
            let what = object_type_what(&object);
            let schema = names.claim(format!("{interface}Schema"), what.clone())?;
            let input = names.claim(format!("{interface}Input"), what)?;
            schemas.insert(object.name, schema);
            inputs.insert(object.name, input);
        }
        let mut transports = Vec::new();
        for transport in &catalog.transports {
            let union = transport_type_name(&transport.name)?;
            let what = format!("transport `{}`", transport.name);
            let schema = names.claim(format!("{union}Schema"), what.clone())?;
            let input = names.claim(format!("{union}Input"), what)?;
            let types = catalog
                .accepted_types(transport)
                .map_err(|unknown| EmitError::unknown_message_type(transport, unknown))?;
            transports.push(TransportDecl {
                transport,
                union,
                schema,
                input,
                types,
            });
        }
        Ok(Declarations {
            interfaces,
            schemas,
            inputs,
            transports,
        })
    }
}

fn zod_ts(catalog: &Catalog) -> Result<String, EmitError> {
    let declarations = Declarations::new(catalog)?;
    let mut uses = Uses::default();
    let mut body = String::new();
    let mut defined = BTreeSet::new();
    for object in definition_order(catalog) {
        write_object_type(
            &mut body,
            catalog,
            &declarations,
            object,
            &defined,
            &mut uses,
        )?;
        defined.insert(object.name);
    }
    write_transports(&mut body, &declarations, &mut uses);
    write_maps_and_proofs(&mut body, catalog, &declarations);

    let mut out = String::from(HEADER);
    if declarations.schemas.is_empty() && declarations.transports.is_empty() {
        // Nothing to validate: no import that a strict configuration would call unused.
        out.push_str("\nexport {};\n");
        return Ok(out);
    }
    write_prelude(&mut out, &mut uses);
    out.push_str(&body);
    Ok(out)
}

/// A payload type's schema (a message type's or a composite type's) and its input type.
fn write_object_type(
    body: &mut String,
    catalog: &Catalog,
    declarations: &Declarations,
    object: ObjectType<'_>,
    defined: &BTreeSet<&str>,
    uses: &mut Uses,
) -> Result<(), EmitError> {
    let schema = &declarations.schemas[object.name];
    let mut doc: Vec<String> = object.comment.into_iter().map(str::to_owned).collect();
    doc.push(object_type_doc(&object));
    body.push('\n');
    write_doc(body, "", &doc);
    if object.fields.is_empty() {
        let _ = writeln!(body, "export const {schema} = z.strictObject({{}});");
    } else {
        let _ = writeln!(body, "export const {schema} = z.strictObject({{");
    }
    for field in object.fields {
        let in_field = |e| EmitError::column(PAYLOAD_SCHEMA, object.name, &field.name, e);
        let constraints = Constraints::of(catalog, &field.ty, &field.checks, Nesting::Enforced)
            .map_err(in_field)?;
        let presence = Presence::of(field);
        let expr = if presence == Presence::Absent {
            Expr::plain("z.never()")
        } else {
            value_expr(&declarations.schemas, &constraints, defined, uses).map_err(in_field)?
        };
        let (suffix, wrap): (&str, fn(String) -> String) = match presence {
            Presence::Required => ("", |t| t),
            Presence::Absent | Presence::Defaulted => {
                (".optional()", |t| format!("z.ZodOptional<{t}>"))
            }
            Presence::Nullable => (".nullable().optional()", |t| {
                format!("z.ZodOptional<z.ZodNullable<{t}>>")
            }),
        };
        let code = format!("{}{suffix}", expr.code);
        match expr.ty.filter(|_| expr.forward) {
            // Defined later (or this very schema): a getter defers the reference, and its
            // declared type lets TypeScript infer the recursive type. (A forward expression is
            // built from schema references only, so it always has a type.)
            Some(ty) => {
                let _ = write!(
                    body,
                    "  get {}(): {} {{\n    return {code};\n  }},\n",
                    property_key(&field.name),
                    wrap(ty)
                );
            }
            None => {
                let _ = writeln!(body, "  {}: {code},", runtime_key(&field.name));
            }
        }
    }
    if !object.fields.is_empty() {
        body.push_str("});\n");
    }
    let _ = writeln!(
        body,
        "export type {} = z.infer<typeof {schema}>;",
        declarations.inputs[object.name]
    );
    Ok(())
}

/// Each transport's envelope schema and input type: other headers are JSON values, as the
/// transport's JSON Schema says.
fn write_transports(body: &mut String, declarations: &Declarations, uses: &mut Uses) {
    for decl in &declarations.transports {
        let (schema, input) = (&decl.schema, &decl.input);
        body.push('\n');
        write_doc(
            body,
            "",
            &[format!(
                "The envelope schema of the transport `{}` (headers + body of the named type).",
                decl.transport.name
            )],
        );
        if decl.types.is_empty() {
            let _ = writeln!(body, "export const {schema} = z.never();");
        } else {
            uses.json = true;
            let _ = writeln!(body, "export const {schema} = z.union([");
            for message_type in &decl.types {
                let _ = write!(
                    body,
                    "  z.strictObject({{\n    \
                       headers: z.object({{ message_type: z.literal({}) }}).catchall(jsonValueSchema),\n    \
                       body: {},\n  \
                     }}),\n",
                    js_string(&message_type.name),
                    declarations.schemas[message_type.name.as_str()]
                );
            }
            body.push_str("]);\n");
        }
        let _ = writeln!(body, "export type {input} = z.infer<typeof {schema}>;");
    }
}

/// The schema maps by name, and the compile-time proof that each schema infers its type.
fn write_maps_and_proofs(body: &mut String, catalog: &Catalog, declarations: &Declarations) {
    body.push_str("\n/** The schema of every message type, by name. */\n");
    write_map(
        body,
        "MESSAGE_TYPE_SCHEMAS",
        catalog.message_types.iter().map(|m| {
            (
                m.name.as_str(),
                declarations.schemas[m.name.as_str()].as_str(),
            )
        }),
    );
    body.push_str("\n/** The envelope schema of every transport, by name. */\n");
    write_map(
        body,
        "TRANSPORT_SCHEMAS",
        declarations
            .transports
            .iter()
            .map(|d| (d.transport.name.as_str(), d.schema.as_str())),
    );
    body.push_str(
        "\n// Compile-time proof that every schema infers exactly its type in ./payloads.\n",
    );
    for object in catalog.object_types() {
        let _ = writeln!(
            body,
            "true satisfies Equals<{}, payloads.{}>;",
            declarations.inputs[object.name], declarations.interfaces[object.name]
        );
    }
    for decl in &declarations.transports {
        let _ = writeln!(
            body,
            "true satisfies Equals<{}, payloads.{}>;",
            decl.input, decl.union
        );
    }
}

/// The imports and the helpers the schemas use.
fn write_prelude(out: &mut String, uses: &mut Uses) {
    out.push_str("\nimport { z } from \"zod\";\n");
    // Type-only imports with the `.ts` extension resolve under every moduleResolution and in
    // Deno, and are erased from the JavaScript.
    if uses.json {
        out.push_str("import type { Json } from \"./database.ts\";\n");
    }
    out.push_str("import type * as payloads from \"./payloads.ts\";\n\n");
    out.push_str(EQUALS);
    uses.nul_free |= uses.json;
    if uses.uuid || uses.date || uses.timestamptz || uses.timestamp || uses.time || uses.nul_free {
        out.push('\n');
    }
    let patterns = [
        (
            uses.uuid,
            "/** A uuid in its canonical text form (CONTRACT.md). */\nconst uuidPattern",
            UUID_PATTERN,
        ),
        (
            uses.date,
            "/** An RFC 3339 full-date other than year 0000 (CONTRACT.md). */\nconst datePattern",
            DATE_PATTERN,
        ),
        (
            uses.timestamptz,
            "/**\n * An RFC 3339 date-time with seconds (00-59) and an offset (up to ±15:59), other \
             than\n * year 0000 (CONTRACT.md).\n */\nconst timestamptzPattern",
            TIMESTAMPTZ_PATTERN,
        ),
        (
            uses.timestamp,
            "/** A date and time of day (seconds 00-59) without offset, other than year 0000. */\n\
             const timestampPattern",
            TIMESTAMP_PATTERN,
        ),
        (
            uses.time,
            "/** A time of day (seconds 00-59) without offset. */\nconst timePattern",
            TIME_PATTERN,
        ),
        (
            uses.nul_free,
            "/** A string without U+0000, which PostgreSQL's text and jsonb cannot hold. */\n\
             const nulFreePattern",
            NUL_FREE_PATTERN,
        ),
    ];
    for (used, declaration, pattern) in patterns {
        if used {
            let _ = writeln!(out, "{declaration} = {};", regex(pattern));
        }
    }
    for (used, snippet) in [
        (uses.json, JSON_VALUE),
        (uses.other, UNKNOWN_JSON),
        (uses.min_chars, MIN_CHARS),
        (uses.max_chars, MAX_CHARS),
    ] {
        if used {
            out.push_str(snippet);
        }
    }
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
