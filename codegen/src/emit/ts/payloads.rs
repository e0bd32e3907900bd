//! `ts/payloads.ts`: one object type per message type (CONTRACT.md's types, with `?` and
//! `| null` as the field's presence says) and, per transport, the union of the envelopes it
//! accepts. They are type aliases, not interfaces: an interface has no implicit index
//! signature, so it is not assignable to `Json` and a typed payload could not be a jsonb value
//! in a supabase-js insert. An optional field also admits `undefined` (what Zod infers for
//! `.optional()`), so the types are exactly Zod's under `exactOptionalPropertyTypes`, which
//! `tsc --init` turns on.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use messenger_ir::{Catalog, Column, PAYLOAD_SCHEMA};

use super::{array_of, or_null, union};
use crate::contract::{ConstraintError, Constraints, Kind, Nesting, Presence};
use crate::emit::error::EmitError;
use crate::emit::names::Names;
use crate::emit::typescript::{
    HEADER, IDENTIFIER, js_string, object_type_doc, object_type_names, object_type_what,
    property_key, runtime_key, transport_type_name, write_doc,
};

/// The names payloads.ts declares besides the interfaces and envelope unions.
const PAYLOAD_FIXED_NAMES: &[(&str, &str)] = &[
    ("Json", "the type `Json` imported from ./database"),
    ("MessageTypes", "the map type `MessageTypes`"),
    ("MessageTypeName", "the type `MessageTypeName`"),
    ("TransportMessages", "the map type `TransportMessages`"),
    ("TransportName", "the type `TransportName`"),
    ("TRANSPORTS", "the constant `TRANSPORTS`"),
];

/// The TypeScript type of a payload field's values (without `| null`), per CONTRACT.md; `Json`
/// sets `uses_json`.
fn payload_type(
    interfaces: &BTreeMap<&str, String>,
    constraints: &Constraints,
    uses_json: &mut bool,
) -> Result<String, ConstraintError> {
    if let Some(values) = constraints.admitted_values() {
        return Ok(union(&values));
    }
    Ok(match constraints.kind {
        Kind::Boolean => "boolean".to_owned(),
        Kind::Integer | Kind::Number => "number".to_owned(),
        Kind::String => "string".to_owned(),
        Kind::Array => match &constraints.items {
            Some(items) => array_of(&payload_type(interfaces, items, uses_json)?),
            None => "unknown[]".to_owned(),
        },
        Kind::Payload => {
            let name = constraints.payload.as_deref().unwrap_or_default();
            interfaces
                .get(name)
                .cloned()
                .ok_or_else(|| ConstraintError::UnknownPayload(name.to_owned()))?
        }
        // In payloads `Constraints::of` makes a composite of messenger_payloads a nested payload
        // and refuses any other (Nesting::Enforced), so this is never reached.
        Kind::Composite => {
            let (schema, name) = constraints.composite.clone().unwrap_or_default();
            return Err(ConstraintError::ForeignComposite(format!(
                "{schema}.{name}"
            )));
        }
        Kind::Any if constraints.unmapped => "unknown".to_owned(),
        Kind::Any => {
            *uses_json = true;
            "Json".to_owned()
        }
    })
}

fn field_doc(column: &Column) -> Vec<String> {
    let mut doc: Vec<String> = column.comment.iter().cloned().collect();
    if let Some(default) = &column.default_value
        && Presence::of(column) == Presence::Defaulted
    {
        doc.push(format!("@default {default}"));
    }
    doc
}

pub(super) fn payloads_ts(catalog: &Catalog) -> Result<String, EmitError> {
    let mut names = PAYLOAD_FIXED_NAMES
        .iter()
        .fold(Names::new(IDENTIFIER), |names, (name, what)| {
            names.reserve(name, what)
        });
    let interfaces = object_type_names(catalog)?;
    for object in catalog.object_types() {
        names.claim(interfaces[object.name].clone(), object_type_what(&object))?;
    }
    let mut transports = Vec::new();
    for transport in &catalog.transports {
        let ident = names.claim(
            transport_type_name(&transport.name)?,
            format!("transport `{}`", transport.name),
        )?;
        let types = catalog
            .accepted_types(transport)
            .map_err(|unknown| EmitError::unknown_message_type(transport, unknown))?;
        transports.push((transport, ident, types));
    }

    let mut uses_json = false;
    let mut body = String::new();
    for object in catalog.object_types() {
        let mut doc: Vec<String> = object.comment.into_iter().map(str::to_owned).collect();
        doc.push(object_type_doc(&object));
        body.push('\n');
        write_doc(&mut body, "", &doc);
        let interface = &interfaces[object.name];
        if object.fields.is_empty() {
            // No key is allowed; also what Zod infers for `z.strictObject({})`.
            let _ = writeln!(body, "export type {interface} = Record<string, never>;");
            continue;
        }
        let _ = writeln!(body, "export type {interface} = {{");
        for field in object.fields {
            let in_field = |e| EmitError::column(PAYLOAD_SCHEMA, object.name, &field.name, e);
            let constraints = Constraints::of(catalog, &field.ty, &field.checks, Nesting::Enforced)
                .map_err(in_field)?;
            let ts = payload_type(&interfaces, &constraints, &mut uses_json).map_err(in_field)?;
            write_doc(&mut body, "  ", &field_doc(field));
            let key = property_key(&field.name);
            let _ = match Presence::of(field) {
                Presence::Required => writeln!(body, "  {key}: {ts};"),
                Presence::Defaulted => writeln!(body, "  {key}?: {ts} | undefined;"),
                Presence::Nullable => writeln!(body, "  {key}?: {} | undefined;", or_null(&ts)),
                // What Zod infers for `z.never().optional()`.
                Presence::Absent => writeln!(body, "  {key}?: undefined;"),
            };
        }
        body.push_str("};\n");
    }

    body.push_str("\n/** Every message type by name (the `message_type` header). */\n");
    if catalog.message_types.is_empty() {
        body.push_str("export type MessageTypes = {};\n");
    } else {
        body.push_str("export type MessageTypes = {\n");
        for message_type in &catalog.message_types {
            let _ = writeln!(
                body,
                "  {}: {};",
                property_key(&message_type.name),
                interfaces[message_type.name.as_str()]
            );
        }
        body.push_str("};\n");
    }
    body.push_str(
        "\n/** The name of a message type. */\nexport type MessageTypeName = keyof MessageTypes;\n",
    );

    for (transport, ident, types) in &transports {
        body.push('\n');
        write_doc(
            &mut body,
            "",
            &[format!(
                "A message of the transport `{}`: `headers.message_type` names its type.",
                transport.name
            )],
        );
        if types.is_empty() {
            let _ = writeln!(body, "export type {ident} = never;");
            continue;
        }
        // Other headers are JSON values (the column is jsonb), which keeps the envelope
        // assignable to `Json`.
        uses_json = true;
        let _ = writeln!(body, "export type {ident} =");
        for (i, message_type) in types.iter().enumerate() {
            let _ = write!(
                body,
                "  | {{\n      \
                     headers: {{ message_type: {}; [key: string]: Json }};\n      \
                     body: {};\n    \
                   }}{}\n",
                js_string(&message_type.name),
                interfaces[message_type.name.as_str()],
                if i + 1 == types.len() { ";" } else { "" },
            );
        }
    }

    body.push_str("\n/** The messages of each transport. */\n");
    if transports.is_empty() {
        body.push_str("export type TransportMessages = {};\n");
    } else {
        body.push_str("export type TransportMessages = {\n");
        for (transport, ident, _) in &transports {
            let _ = writeln!(body, "  {}: {ident};", property_key(&transport.name));
        }
        body.push_str("};\n");
    }
    body.push_str(
        "\n/** The name of a transport. */\nexport type TransportName = keyof TransportMessages;\n",
    );
    body.push_str("\n/** The message types each transport accepts. */\n");
    if transports.is_empty() {
        body.push_str("export const TRANSPORTS = {} as const;\n");
    } else {
        body.push_str("export const TRANSPORTS = {\n");
        for (transport, _, types) in &transports {
            let types: Vec<String> = types.iter().map(|t| js_string(&t.name)).collect();
            let _ = writeln!(
                body,
                "  {}: [{}],",
                runtime_key(&transport.name),
                types.join(", ")
            );
        }
        body.push_str("} as const;\n");
    }

    let mut out = String::from(HEADER);
    if uses_json {
        // A type-only import with the `.ts` extension resolves under every moduleResolution
        // (node10, node16/nodenext, bundler) and in Deno, and is erased from the JavaScript.
        out.push_str("\nimport type { Json } from \"./database.ts\";\n");
    }
    out.push_str(&body);
    Ok(out)
}
