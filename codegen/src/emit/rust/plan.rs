//! The plan of `rust/messages.rs`: every name, type and attribute decided, with every error
//! found, before anything is written.

use std::collections::{BTreeMap, BTreeSet};

use messenger_ir::{Catalog, ObjectType, PAYLOAD_SCHEMA, SqlType};

use super::field::{FieldDef, FieldPlanner};
use super::names::{FIELD, TYPE, field_ident, type_name, variants};
use super::{INET_SCHEMA, JSON_SCHEMA};
use crate::contract::ConstraintError;
use crate::emit::error::{EmitError, place};
use crate::emit::names::Names;

/// Everything the module declares.
pub struct Plan {
    /// The names of all message types, sorted.
    pub message_types: Vec<String>,
    /// The transports, by name.
    pub transports: Vec<TransportDef>,
    /// The enum types message types use.
    pub enums: Vec<EnumDef>,
    /// One struct per payload type (message types and the composite types of
    /// `messenger_payloads`), by name.
    pub structs: Vec<StructDef>,
    /// Whether a field's schema is CONTRACT.md's `inet` (the private `IpAddrSchema`).
    pub uses_inet: bool,
    /// Whether a field's schema is CONTRACT.md's JSON value (the private `JsonValueSchema`).
    pub uses_json: bool,
}

/// A Rust enum: of an enum type, or of a column's `IN (...)` list.
pub struct EnumDef {
    /// Its Rust name.
    pub name: String,
    /// Its doc comment.
    pub docs: Option<String>,
    /// (variant, label)
    pub variants: Vec<(String, String)>,
}

/// The struct of a payload type.
pub struct StructDef {
    /// Its Rust name.
    pub name: String,
    /// The payload type's name (a message type's is its `MESSAGE_TYPE`).
    pub message_type: String,
    /// Its doc comment.
    pub docs: Option<String>,
    /// Its fields, in column order.
    pub fields: Vec<FieldDef>,
    /// Enums for the IN lists of this struct's columns.
    pub enums: Vec<EnumDef>,
    /// The functions `#[serde(default = "...")]` names.
    pub defaults: Vec<DefaultFn>,
    /// The transports accepting it, sorted.
    pub transports: Vec<String>,
}

/// `fn name() -> ty { body }` returning a field's DEFAULT.
pub struct DefaultFn {
    /// The function's name.
    pub name: String,
    /// The field's type.
    pub ty: String,
    /// The default value as an expression.
    pub body: String,
}

/// A transport's marker type.
pub struct TransportDef {
    /// Its Rust name.
    pub name: String,
    /// The transport's name.
    pub transport: String,
    /// (message type, Rust type)
    pub accepts: Vec<(String, String)>,
}

/// The Rust names of the catalog's types: payload types and enum types.
pub struct TypeNames {
    /// Payload type (message type or composite type) → struct name.
    pub structs: BTreeMap<String, String>,
    /// (schema, name) of an enum type → (enum name, labels).
    pub enums: BTreeMap<(String, String), (String, Vec<String>)>,
}

impl Plan {
    /// Plans the module for `catalog`.
    pub fn build(catalog: &Catalog) -> Result<Plan, EmitError> {
        let mut names = Names::new(TYPE);
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
            names = names.reserve(used, &format!("`{used}`, which the generated code uses,"));
        }
        // Struct names first: fields refer to them.
        let mut structs = BTreeMap::new();
        for object in catalog.object_types() {
            let what = if object.is_message_type {
                format!("message type `{}`", object.name)
            } else {
                format!("composite type `{}`", object.name)
            };
            let name = names.claim(type_name(object.name, &what)?, what)?;
            structs.insert(object.name.to_owned(), name);
        }
        let (enums, enum_names) = enum_types(catalog, &mut names)?;
        let types = TypeNames {
            structs,
            enums: enum_names,
        };
        let (mut transports, accepted_by) = transports(catalog, &types, &mut names)?;

        let mut structs = Vec::new();
        for object in catalog.object_types() {
            let mut transports = accepted_by.get(object.name).cloned().unwrap_or_default();
            transports.sort();
            transports.dedup();
            structs.push(struct_def(catalog, &types, object, transports, &mut names)?);
        }
        let uses_schema = |schema: &str| {
            structs
                .iter()
                .flat_map(|s| &s.fields)
                .any(|f| f.uses_schema(schema))
        };
        let (uses_inet, uses_json) = (uses_schema(INET_SCHEMA), uses_schema(JSON_SCHEMA));

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

type EnumNames = BTreeMap<(String, String), (String, Vec<String>)>;

/// The enum types message types use, as Rust enums.
fn enum_types(
    catalog: &Catalog,
    names: &mut Names,
) -> Result<(Vec<EnumDef>, EnumNames), EmitError> {
    fn enum_of(ty: &SqlType) -> Option<(&str, &str)> {
        match ty {
            SqlType::Enum { schema, name } => Some((schema, name)),
            SqlType::Array { element } => enum_of(element),
            _ => None,
        }
    }
    let mut used = BTreeSet::new();
    for object in catalog.object_types() {
        for field in object.fields {
            if let Some((schema, name)) = enum_of(&field.ty) {
                if catalog.enum_type(schema, name).is_none() {
                    let unknown = ConstraintError::UnknownEnum {
                        schema: schema.to_owned(),
                        name: name.to_owned(),
                    };
                    return Err(EmitError::column(
                        PAYLOAD_SCHEMA,
                        object.name,
                        &field.name,
                        unknown,
                    ));
                }
                used.insert((schema.to_owned(), name.to_owned()));
            }
        }
    }
    let mut enums = Vec::new();
    let mut enum_names = BTreeMap::new();
    for (schema, name) in used {
        let Some(enum_type) = catalog.enum_type(&schema, &name) else {
            continue;
        };
        let what = format!("enum type `{schema}.{name}`");
        let rust = names.claim(type_name(&name, &what)?, what.clone())?;
        enums.push(EnumDef {
            name: rust.clone(),
            docs: enum_type.comment.clone(),
            variants: variants(&enum_type.values, &what)?,
        });
        enum_names.insert((schema, name), (rust, enum_type.values.clone()));
    }
    Ok((enums, enum_names))
}

/// Message type → the transports accepting it.
type AcceptedBy<'c> = BTreeMap<&'c str, Vec<String>>;

/// The transports' marker types, and for each message type the transports accepting it.
fn transports<'c>(
    catalog: &'c Catalog,
    types: &TypeNames,
    names: &mut Names,
) -> Result<(Vec<TransportDef>, AcceptedBy<'c>), EmitError> {
    let mut transports = Vec::new();
    let mut accepted_by: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for transport in &catalog.transports {
        let what = format!("transport `{}`", transport.name);
        let rust = names.claim(
            format!("{}Transport", type_name(&transport.name, &what)?),
            what,
        )?;
        let accepted = catalog
            .accepted_types(transport)
            .map_err(|unknown| EmitError::unknown_message_type(transport, unknown))?;
        let mut accepts = Vec::new();
        for message_type in accepted {
            let name = &types.structs[&message_type.name];
            accepts.push((message_type.name.clone(), name.clone()));
            accepted_by
                .entry(&message_type.name)
                .or_default()
                .push(transport.name.clone());
        }
        transports.push(TransportDef {
            name: rust,
            transport: transport.name.clone(),
            accepts,
        });
    }
    Ok((transports, accepted_by))
}

/// The struct of a payload type.
fn struct_def(
    catalog: &Catalog,
    types: &TypeNames,
    object: ObjectType<'_>,
    transports: Vec<String>,
    names: &mut Names,
) -> Result<StructDef, EmitError> {
    let name = types.structs[object.name].clone();
    let mut planner = FieldPlanner {
        catalog,
        types,
        owner: object.name,
        struct_name: &name,
        names,
        enums: Vec::new(),
        defaults: Vec::new(),
    };
    let mut idents = Names::new(FIELD);
    let mut fields = Vec::new();
    for column in object.fields {
        let what = format!(
            "column {}",
            place(PAYLOAD_SCHEMA, object.name, &column.name)
        );
        let ident = field_ident(&column.name).map_err(|()| EmitError::NoIdentifier {
            what: what.clone(),
            target: FIELD,
        })?;
        let ident = idents.claim(ident, what)?;
        fields.push(planner.field(column, ident)?);
    }
    let (enums, defaults) = (planner.enums, planner.defaults);
    Ok(StructDef {
        name,
        message_type: object.name.to_owned(),
        docs: object.comment.map(str::to_owned),
        fields,
        enums,
        defaults,
        transports,
    })
}

/// Whether payload type `from` holds a `to` without indirection (a non-array payload field,
/// transitively): then `to`'s field of type `from` needs a `Box`. (Introspection refuses
/// recursive payload types; an IR built otherwise still compiles.)
pub fn reaches(catalog: &Catalog, from: &str, to: &str, seen: &mut BTreeSet<String>) -> bool {
    if from == to {
        return true;
    }
    if !seen.insert(from.to_owned()) {
        return false;
    }
    let Some(object) = catalog.object_type(from) else {
        return false;
    };
    object.fields.iter().any(|f| match &f.ty {
        SqlType::Jsonb {
            payload: Some(next),
        } => reaches(catalog, next, to, seen),
        SqlType::Composite { schema, name } if schema == PAYLOAD_SCHEMA => {
            reaches(catalog, name, to, seen)
        }
        _ => false,
    })
}
